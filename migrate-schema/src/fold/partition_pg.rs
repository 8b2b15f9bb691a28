//! What PostgreSQL does to a partitioned table's partitions when the
//! partitioned table changes: their columns stay the parent's, and each of
//! the parent's keys and indexes has one on every partition, attached to it.
//!
//! A partition gets the parent's index when it is made (`PARTITION OF`),
//! attached (`ATTACH PARTITION`), or when the index is made on the parent
//! (`CREATE INDEX` without `ONLY`, `ADD PRIMARY KEY`, `ADD UNIQUE`). An
//! equivalent index the partition already has is attached; otherwise a new
//! one is made, named as an unnamed one on the partition would be
//! (`events_2025_kind_idx`, `events_2025_pkey`). Dropping the parent's index
//! drops those attached to it; dropping an attached one alone is refused.

use std::cmp::Ordering;

use pg_query::protobuf::{self, node::Node as N};

use super::lower_pg::{
    bound_value, drop_column, key_column_name, put_key, string_of, unnamed_index,
};
use super::outcome::shown;
use super::state::{
    BoundValue, ColumnState, IndexKeyState, IndexState, KeyState, PartitionBound, Relation, State,
    TableId,
};

/// The partitions of `id`, and theirs, parents first; none unless `id` is
/// a partitioned table.
pub(super) fn partitions(state: &State, id: TableId) -> Vec<TableId> {
    let mut out = Vec::new();
    if state.table(id).partition_key.is_none() {
        return out;
    }
    let mut next = 0;
    let mut parent = id;
    loop {
        out.extend(direct_partitions(state, parent));
        let Some(&p) = out.get(next) else {
            return out;
        };
        next += 1;
        parent = p;
    }
}

/// The `DEFAULT` partition of `parent`, if it has one.
pub(super) fn default_partition(state: &State, parent: TableId) -> Option<TableId> {
    state
        .tables()
        .find(|(_, t)| {
            t.partition_of == Some(parent) && t.partition_bound == Some(PartitionBound::Default)
        })
        .map(|(id, _)| id)
}

fn direct_partitions(state: &State, parent: TableId) -> Vec<TableId> {
    state
        .tables()
        .filter(|(_, t)| t.partition_of == Some(parent))
        .map(|(p, _)| p)
        .collect()
}

/// PostgreSQL keeps a partition's columns its parent's (`ALTER TABLE` on a
/// partitioned table recurses): what a statement changed in `id`'s
/// columns, from `before`, is changed in each of its partitions too. A
/// column dropped goes with what depends on it there (its indexes and
/// checks); a column added or changed is the parent's; what the statement
/// left alone keeps the partition's own default and NOT NULL.
pub(super) fn sync_columns(state: &mut State, id: TableId, before: &[ColumnState]) {
    let after = state.table(id).columns.clone();
    if after == before {
        return;
    }
    let dropped: Vec<&str> = before
        .iter()
        .filter(|c| !after.iter().any(|a| a.name == c.name))
        .map(|c| c.name.as_str())
        .collect();
    let changed: Vec<&ColumnState> = after.iter().filter(|c| !before.contains(c)).collect();
    for p in partitions(state, id) {
        for column in &dropped {
            if state.table(p).column(column).is_some() {
                drop_column(state, p, column);
            }
        }
        let t = state.table_mut(p);
        for c in &changed {
            match t.column_mut(&c.name) {
                Some(mine) => *mine = (*c).clone(),
                None => t.columns.push((*c).clone()),
            }
        }
    }
}

/// PostgreSQL gives each partition its parent's checks under their names,
/// and validates them with the parent's: after a statement on partitioned
/// table `parent` (or one that gave it a partition), each partition (and
/// theirs) has each check of its parent, validated where the parent's is.
pub(super) fn sync_checks(state: &mut State, parent: TableId) {
    for p in partitions(state, parent) {
        let Some(pp) = state.table(p).partition_of else {
            continue;
        };
        let mine = &state.table(p).checks;
        let changes =
            state
                .table(pp)
                .checks
                .iter()
                .any(|c| match mine.iter().find(|m| m.name == c.name) {
                    Some(m) => m.not_valid && !c.not_valid,
                    None => true,
                });
        if !changes {
            continue;
        }
        let wanted = state.table(pp).checks.clone();
        let t = state.table_mut(p);
        for c in wanted {
            match t.checks.iter_mut().find(|m| m.name == c.name) {
                Some(m) => m.not_valid &= c.not_valid,
                None => t.checks.push(c),
            }
        }
    }
}

/// Why PostgreSQL refuses to attach `table` as a partition of `parent`
/// for its checks: it must already have each of the parent's checks, under
/// its name, with the same condition, validated where the parent's is.
pub(super) fn check_lacking(state: &State, parent: TableId, table: TableId) -> Option<String> {
    let (p, t) = (state.table(parent), state.table(table));
    for c in &p.checks {
        let why = match t.checks.iter().find(|m| m.name == c.name) {
            None => "lacks it",
            Some(m) if m.expression.sql != c.expression.sql => "has it with another condition",
            Some(m) if m.not_valid && !c.not_valid => "has it NOT VALID",
            Some(_) => continue,
        };
        return Some(format!(
            "table {} {why}: ATTACH PARTITION needs the check {} ({}) of {} on it first, validated; add it there (NOT VALID, then VALIDATE CONSTRAINT in an earlier revision)",
            shown(&t.schema, &t.name),
            c.name,
            c.expression.sql,
            shown(&p.schema, &p.name)
        ));
    }
    None
}

/// Before `parent`'s check `name` is dropped or renamed to `new`: the
/// same is done to its partitions' (and theirs).
pub(super) fn inherited_check(state: &mut State, parent: TableId, name: &str, new: Option<&str>) {
    for p in partitions(state, parent) {
        if !state.table(p).checks.iter().any(|c| c.name == name) {
            continue;
        }
        let t = state.table_mut(p);
        match new {
            Some(new) => {
                for c in t.checks.iter_mut().filter(|c| c.name == name) {
                    c.name = new.to_owned();
                }
            }
            None => t.checks.retain(|c| c.name != name),
        }
    }
}

/// One of a partitioned table's indexes, as a partition gets it.
#[derive(Debug, Clone)]
enum Wanted {
    Primary(KeyState),
    Unique(KeyState),
    Index(IndexState),
}

impl Wanted {
    fn name(&self) -> &str {
        match self {
            Wanted::Primary(k) | Wanted::Unique(k) => &k.name,
            Wanted::Index(i) => &i.name,
        }
    }
}

/// The keys and indexes of `parent`, in the order PostgreSQL made them
/// as far as the model knows it (the primary key, the unique keys, then
/// the indexes); an exclusion constraint is left out.
fn wanted(state: &State, parent: TableId) -> Vec<Wanted> {
    let t = state.table(parent);
    t.primary_key
        .iter()
        .cloned()
        .map(Wanted::Primary)
        .chain(t.uniques.iter().cloned().map(Wanted::Unique))
        .chain(t.indexes.iter().cloned().map(Wanted::Index))
        .collect()
}

/// Whether two indexes are the same but for their names
/// (`CompareIndexInfo`).
fn same_index(a: &IndexState, b: &IndexState) -> bool {
    a.unique == b.unique
        && a.keys == b.keys
        && a.predicate == b.predicate
        && a.method == b.method
        && a.key_options == b.key_options
        && a.include == b.include
}

/// Each of `parent`'s keys and indexes, with the one of `partition`
/// attached to it, if any: the first equivalent one not attached to an
/// earlier one.
fn attachments(
    state: &State,
    parent: TableId,
    partition: TableId,
) -> Vec<(Wanted, Option<String>)> {
    let p = state.table(partition);
    let mut used: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    for w in wanted(state, parent) {
        let mine = match &w {
            Wanted::Primary(k) => p
                .primary_key
                .as_ref()
                .filter(|m| m.columns == k.columns)
                .map(|m| m.name.as_str()),
            Wanted::Unique(k) => p
                .uniques
                .iter()
                .find(|m| m.columns == k.columns && !used.contains(&m.name.as_str()))
                .map(|m| m.name.as_str()),
            Wanted::Index(i) => p
                .indexes
                .iter()
                .find(|m| same_index(m, i) && !used.contains(&m.name.as_str()))
                .map(|m| m.name.as_str()),
        };
        used.extend(mine);
        out.push((w, mine.map(str::to_owned)));
    }
    out
}

/// The keys and indexes of `parent` that `table` has no equivalent of:
/// those attaching it as a partition builds on it.
pub(super) fn to_build(state: &State, parent: TableId, table: TableId) -> Vec<String> {
    attachments(state, parent, table)
        .into_iter()
        .filter(|(_, mine)| mine.is_none())
        .map(|(w, _)| w.name().to_owned())
        .collect()
}

/// Gives `partition` each of `parent`'s keys and indexes (those named in
/// `only`, when given) it has no equivalent of, then gives its own
/// partitions the ones it made.
pub(super) fn clone_indexes(
    state: &mut State,
    parent: TableId,
    partition: TableId,
    only: Option<&[String]>,
) {
    let mut made = Vec::new();
    for (w, mine) in attachments(state, parent, partition) {
        if mine.is_some() || only.is_some_and(|o| !o.iter().any(|n| n == w.name())) {
            continue;
        }
        made.extend(make(state, partition, w));
    }
    if made.is_empty() {
        return;
    }
    for sub in direct_partitions(state, partition) {
        clone_indexes(state, partition, sub, Some(&made));
    }
}

/// Gives each partition of `parent` its indexes named in `names`.
pub(super) fn clone_to_partitions(state: &mut State, parent: TableId, names: &[String]) {
    if names.is_empty() || state.table(parent).partition_key.is_none() {
        return;
    }
    for p in direct_partitions(state, parent) {
        clone_indexes(state, parent, p, Some(names));
    }
}

/// Makes `w` on `partition` under the name PostgreSQL gives it; returns
/// that name, or nothing when the partition cannot take it (a primary key
/// of its own already).
fn make(state: &mut State, partition: TableId, w: Wanted) -> Option<String> {
    let primary = matches!(w, Wanted::Primary(_));
    match w {
        Wanted::Primary(k) | Wanted::Unique(k) => {
            put_key(state, partition, primary, None, k.deferral, k.columns).ok()
        }
        Wanted::Index(i) => {
            let t = state.table(partition);
            let keys: Vec<String> = i.keys.iter().map(key_name).collect();
            let name = unnamed_index(state, &t.schema, &t.name, &keys);
            let schema = t.schema.clone();
            state.set_relation(&schema, &name, Some(Relation::Index(partition)));
            state.table_mut(partition).indexes.push(IndexState {
                name: name.clone(),
                ..i
            });
            Some(name)
        }
    }
}

/// The name an index key gives its index's column (`FigureIndexColname`).
fn key_name(key: &IndexKeyState) -> String {
    match key {
        IndexKeyState::Column(c) => c.clone(),
        IndexKeyState::Expression(e) => key_column_name(e),
    }
}

/// Before `parent`'s key or index `object` is dropped: drops the ones of
/// its partitions (and theirs) attached to it.
pub(super) fn drop_attached(state: &mut State, parent: TableId, object: &str) {
    if state.table(parent).partition_key.is_none() {
        return;
    }
    for p in direct_partitions(state, parent) {
        let attached = attachments(state, parent, p)
            .into_iter()
            .find(|(w, _)| w.name() == object)
            .and_then(|(_, mine)| mine);
        if let Some(mine) = attached {
            drop_attached(state, p, &mine);
            remove(state, p, &mine);
        }
    }
}

/// The key or index of `parent` that `partition`'s `object` is attached to.
pub(super) fn attached_to(state: &State, partition: TableId, object: &str) -> Option<String> {
    let parent = state.table(partition).partition_of?;
    attachments(state, parent, partition)
        .into_iter()
        .find(|(_, mine)| mine.as_deref() == Some(object))
        .map(|(w, _)| w.name().to_owned())
}

fn remove(state: &mut State, id: TableId, name: &str) {
    let schema = state.table(id).schema.clone();
    let t = state.table_mut(id);
    let key = if t.primary_key.as_ref().is_some_and(|k| k.name == name) {
        t.primary_key = None;
        true
    } else if let Some(i) = t.uniques.iter().position(|k| k.name == name) {
        t.uniques.remove(i);
        true
    } else {
        t.indexes.retain(|i| i.name != name);
        false
    };
    if key {
        state.remove_constraint_name(&schema, name);
    }
    state.set_relation(&schema, name, None);
}

// ------------------------------------------------------------- bounds

/// Why PostgreSQL refuses a partition of `parent` named `name` with
/// `bound` beside the partitions `parent` has, when the model can tell:
/// a second default partition, an empty range, a range or list that
/// overlaps another partition's, a hash modulus that does not divide or
/// is not divided by the others, or a remainder taken. Bounds the model
/// cannot compare (expressions, floats, types it does not order) are
/// left alone.
pub(super) fn bound_conflict(
    state: &State,
    parent: TableId,
    name: &str,
    bound: &PartitionBound,
) -> Option<String> {
    let types: Vec<Option<String>> = match &state.table(parent).partition_key {
        Some(key) => key
            .elements
            .iter()
            .map(|e| {
                e.as_ref()
                    .and_then(|c| state.table(parent).column(c))
                    .map(|c| c.data_type.to_ascii_lowercase())
            })
            .collect(),
        None => return None,
    };
    if let PartitionBound::Range { from, to } = bound
        && matches!(
            compare_all(from, to, &types),
            Some(Ordering::Equal | Ordering::Greater)
        )
    {
        return Some(format!(
            "empty range bound for partition {name}: its lower bound {} is not below its upper bound {}; fix the bound",
            shown_values(from),
            shown_values(to)
        ));
    }
    for (_, sibling) in state
        .tables()
        .filter(|(_, t)| t.partition_of == Some(parent))
    {
        let Some(theirs) = &sibling.partition_bound else {
            continue;
        };
        let other = &sibling.name;
        let conflict = match (bound, theirs) {
            (PartitionBound::Default, PartitionBound::Default) => Some(format!(
                "partition {name} conflicts with the default partition {other}: a partitioned table has one; drop or detach {other} first, or give {name} a bound"
            )),
            (PartitionBound::Range { from, to }, PartitionBound::Range { from: f2, to: t2 }) => {
                (compare_all(from, t2, &types) == Some(Ordering::Less)
                    && compare_all(f2, to, &types) == Some(Ordering::Less))
                .then(|| overlap(name, other, theirs))
            }
            (PartitionBound::List(mine), PartitionBound::List(others)) => mine
                .iter()
                .any(|a| {
                    others
                        .iter()
                        .any(|b| equal(a, b, types.first().and_then(Option::as_deref)))
                })
                .then(|| overlap(name, other, theirs)),
            (
                PartitionBound::Hash { modulus, remainder },
                PartitionBound::Hash {
                    modulus: m2,
                    remainder: r2,
                },
            ) => {
                let (small, large) = ((*modulus).min(*m2), (*modulus).max(*m2));
                if small <= 0 || large % small != 0 {
                    Some(format!(
                        "partition {name}'s modulus {modulus} and partition {other}'s modulus {m2}: each hash partition's modulus must be a factor of the next larger one; fix the modulus"
                    ))
                } else {
                    (remainder % small == r2 % small).then(|| overlap(name, other, theirs))
                }
            }
            _ => None,
        };
        if conflict.is_some() {
            return conflict;
        }
    }
    None
}

fn overlap(name: &str, other: &str, theirs: &PartitionBound) -> String {
    let bound = match theirs {
        PartitionBound::Range { from, to } => {
            format!("FROM {} TO {}", shown_values(from), shown_values(to))
        }
        PartitionBound::List(values) => format!("IN {}", shown_values(values)),
        PartitionBound::Hash { modulus, remainder } => {
            format!("WITH (MODULUS {modulus}, REMAINDER {remainder})")
        }
        PartitionBound::Default => "DEFAULT".to_owned(),
    };
    format!("partition {name} would overlap partition {other} ({bound}); fix the bound")
}

fn shown_values(values: &[BoundValue]) -> String {
    let shown: Vec<String> = values
        .iter()
        .map(|v| match v {
            BoundValue::MinValue => "MINVALUE".to_owned(),
            BoundValue::MaxValue => "MAXVALUE".to_owned(),
            BoundValue::Null => "NULL".to_owned(),
            BoundValue::Integer(i) => i.to_string(),
            BoundValue::Text(t) => format!("'{}'", t.replace('\'', "''")),
            BoundValue::Other => "…".to_owned(),
        })
        .collect();
    format!("({})", shown.join(", "))
}

/// Two range bounds compared element by element, each in its key
/// column's type; `None` when an element cannot be compared.
fn compare_all(a: &[BoundValue], b: &[BoundValue], types: &[Option<String>]) -> Option<Ordering> {
    if a.len() != b.len() || a.len() != types.len() {
        return None;
    }
    for ((x, y), t) in a.iter().zip(b).zip(types) {
        match compare(x, y, t.as_deref()?)? {
            Ordering::Equal => {}
            other => return Some(other),
        }
    }
    Some(Ordering::Equal)
}

fn compare(a: &BoundValue, b: &BoundValue, data_type: &str) -> Option<Ordering> {
    use BoundValue::{MaxValue, MinValue};
    match (a, b) {
        (MinValue, MinValue) | (MaxValue, MaxValue) => Some(Ordering::Equal),
        (MinValue, _) | (_, MaxValue) => Some(Ordering::Less),
        (_, MinValue) | (MaxValue, _) => Some(Ordering::Greater),
        _ => Some(ordered(a, data_type)?.cmp(&ordered(b, data_type)?)),
    }
}

/// Whether two list values are the same value of `data_type`.
fn equal(a: &BoundValue, b: &BoundValue, data_type: Option<&str>) -> bool {
    match (a, b) {
        (BoundValue::Null, BoundValue::Null) => true,
        (BoundValue::Text(x), BoundValue::Text(y)) if data_type.is_some_and(is_text) => x == y,
        _ => data_type
            .and_then(|t| Some(ordered(a, t)? == ordered(b, t)?))
            .unwrap_or(false),
    }
}

fn is_text(data_type: &str) -> bool {
    data_type == "text"
        || data_type.starts_with("varchar")
        || data_type.starts_with("character varying")
}

/// A value in a form that orders as `data_type` orders it: integers, and
/// dates and timestamps written `YYYY-MM-DD[ HH:MM[:SS[.f]]]` without a
/// time zone; `None` for anything else.
fn ordered(v: &BoundValue, data_type: &str) -> Option<Ordered> {
    let integer = matches!(
        data_type,
        "int" | "integer" | "int2" | "int4" | "int8" | "smallint" | "bigint"
    );
    match v {
        BoundValue::Integer(i) if integer => Some(Ordered::Integer(*i)),
        BoundValue::Text(t) if integer => t.trim().parse().ok().map(Ordered::Integer),
        BoundValue::Text(t) if data_type == "date" => {
            let (date, _) = date_time(t)?;
            Some(Ordered::Text(date))
        }
        BoundValue::Text(t) if data_type.starts_with("timestamp") => {
            let (date, time) = date_time(t)?;
            Some(Ordered::Text(format!("{date} {time}")))
        }
        _ => None,
    }
}

#[derive(Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Ordered {
    Integer(i64),
    Text(String),
}

/// `YYYY-MM-DD` and a time `HH:MM:SS.ffffff` (midnight when none), from
/// a literal with no time zone.
fn date_time(t: &str) -> Option<(String, String)> {
    let t = t.trim();
    let (date, rest) = t.split_at_checked(10)?;
    let b = date.as_bytes();
    let digits = |r: std::ops::Range<usize>| b[r].iter().all(u8::is_ascii_digit);
    if !(digits(0..4) && b[4] == b'-' && digits(5..7) && b[7] == b'-' && digits(8..10)) {
        return None;
    }
    let rest = rest.trim_start_matches([' ', 'T']);
    if rest.is_empty() {
        return Some((date.to_owned(), "00:00:00.000000".to_owned()));
    }
    // HH:MM[:SS[.ffffff]], nothing after (no zone, no era).
    let (hms, fraction) = rest.split_once('.').unwrap_or((rest, ""));
    let parts: Vec<&str> = hms.split(':').collect();
    let ok = |p: &str| p.len() == 2 && p.bytes().all(|c| c.is_ascii_digit());
    if !(2..=3).contains(&parts.len())
        || !parts.iter().all(|p| ok(p))
        || !fraction.bytes().all(|c| c.is_ascii_digit())
        || fraction.len() > 6
    {
        return None;
    }
    let seconds = parts.get(2).copied().unwrap_or("00");
    Some((
        date.to_owned(),
        format!("{}:{}:{seconds}.{fraction:0<6}", parts[0], parts[1]),
    ))
}

// ------------------------------------------------------- checks as proof

/// Whether the validated checks of `table` prove that its rows fall within
/// `bound` of a partition of `parent`, so that `ATTACH PARTITION` skips its
/// scan: `None` when the model cannot tell (a key of several columns or
/// an expression, a bound or a check it does not read).
pub(super) fn checks_prove(
    state: &State,
    parent: TableId,
    table: TableId,
    bound: &PartitionBound,
) -> Option<bool> {
    any_check(state, parent, table, bound, within)
}

/// Whether the validated checks of `table`, the default partition of
/// `parent`, prove that none of its rows falls within `bound`, so that a
/// new partition with that bound spares it the scan: `None` when the model
/// cannot tell.
pub(super) fn checks_exclude(
    state: &State,
    parent: TableId,
    table: TableId,
    bound: &PartitionBound,
) -> Option<bool> {
    any_check(state, parent, table, bound, excludes)
}

/// Whether one of the validated checks of `table` passes `proves` for a
/// range `bound` on the one-column key of `parent`: `Some(false)` when
/// every check is read and none does, `None` when the model cannot tell.
fn any_check(
    state: &State,
    parent: TableId,
    table: TableId,
    bound: &PartitionBound,
    proves: impl Fn(&protobuf::Node, &str, &str, &BoundValue, &BoundValue) -> Option<bool>,
) -> Option<bool> {
    let key = state.table(parent).partition_key.as_ref()?;
    let [Some(column)] = key.elements.as_slice() else {
        return None;
    };
    let data_type = state
        .table(parent)
        .column(column)?
        .data_type
        .to_ascii_lowercase();
    let PartitionBound::Range { from, to } = bound else {
        return None;
    };
    let ([from], [to]) = (from.as_slice(), to.as_slice()) else {
        return None;
    };
    let mut unsure = false;
    for check in state.table(table).checks.iter().filter(|c| !c.not_valid) {
        let Some(tree) = check.expression.tree.0.as_deref() else {
            unsure = true;
            continue;
        };
        match proves(tree, column, &data_type, from, to) {
            Some(true) => return Some(true),
            Some(false) => {}
            None => unsure = true,
        }
    }
    (!unsure).then_some(false)
}

/// Whether every row `node` accepts has `column` outside `[from, to)`:
/// an `OR` when each part does, an `AND` when one part does, a comparison
/// with a constant when its side lies wholly outside.
fn excludes(
    node: &protobuf::Node,
    column: &str,
    data_type: &str,
    from: &BoundValue,
    to: &BoundValue,
) -> Option<bool> {
    if let Some(N::BoolExpr(b)) = node.node.as_ref() {
        let parts: Vec<Option<bool>> = b
            .args
            .iter()
            .map(|a| excludes(a, column, data_type, from, to))
            .collect();
        return match b.boolop() {
            protobuf::BoolExprType::OrExpr => {
                if parts.contains(&Some(false)) {
                    Some(false)
                } else {
                    parts.iter().all(Option::is_some).then_some(true)
                }
            }
            protobuf::BoolExprType::AndExpr => {
                if parts.contains(&Some(true)) {
                    Some(true)
                } else {
                    parts.iter().all(Option::is_some).then_some(false)
                }
            }
            _ => (!check_names(node, column)).then_some(false),
        };
    }
    let Some((op, value)) = comparison(node, column) else {
        return (!check_names(node, column)).then_some(false);
    };
    ordered(&value, data_type)?;
    let at_or_below = |bound: &BoundValue| match bound {
        BoundValue::MinValue => Some(false),
        BoundValue::MaxValue => Some(true),
        b => Some(compare(&value, b, data_type)? != Ordering::Greater),
    };
    let at_or_above = |bound: &BoundValue| match bound {
        BoundValue::MinValue => Some(true),
        BoundValue::MaxValue => Some(false),
        b => Some(compare(&value, b, data_type)? != Ordering::Less),
    };
    match op.as_str() {
        // Below the range: `< v` with v <= from, `<= v` with v < from.
        "<" => at_or_below(from),
        "<=" => {
            Some(at_or_below(from)? && compare(&value, from, data_type) != Some(Ordering::Equal))
        }
        // At or above its end: `>= v` or `> v` with v >= to.
        ">=" | ">" => at_or_above(to),
        _ => Some(false),
    }
}

/// Whether `tree`, a check, keeps `column` within `[from, to)`; `None`
/// when a part of it that names the column is not a comparison with a
/// constant.
fn within(
    tree: &protobuf::Node,
    column: &str,
    data_type: &str,
    from: &BoundValue,
    to: &BoundValue,
) -> Option<bool> {
    let mut lower: Option<(BoundValue, bool)> = None;
    let mut upper: Option<(BoundValue, bool)> = None;
    for part in conjuncts(tree) {
        let Some((op, value)) = comparison(part, column) else {
            if check_names(part, column) {
                return None;
            }
            continue;
        };
        ordered(&value, data_type)?;
        let tighter = |old: &Option<(BoundValue, bool)>, want: std::cmp::Ordering| {
            old.as_ref()
                .is_none_or(|(v, _)| compare(&value, v, data_type) == Some(want))
        };
        match op.as_str() {
            ">=" | ">" if tighter(&lower, std::cmp::Ordering::Greater) => {
                lower = Some((value.clone(), op == ">="));
            }
            "<" | "<=" if tighter(&upper, std::cmp::Ordering::Less) => {
                upper = Some((value.clone(), op == "<="));
            }
            "=" => {
                lower = Some((value.clone(), true));
                upper = Some((value, true));
            }
            _ => {}
        }
    }
    let low_ok = match from {
        BoundValue::MinValue => lower.is_some() || upper.is_some(),
        _ => match &lower {
            Some((l, _)) => matches!(
                compare(l, from, data_type)?,
                Ordering::Greater | Ordering::Equal
            ),
            None => false,
        },
    };
    let high_ok = match to {
        BoundValue::MaxValue => lower.is_some() || upper.is_some(),
        _ => match &upper {
            Some((u, inclusive)) => match compare(u, to, data_type)? {
                Ordering::Less => true,
                Ordering::Equal => !inclusive,
                Ordering::Greater => false,
            },
            None => false,
        },
    };
    Some(low_ok && high_ok)
}

/// The parts of an `AND`, flattened.
fn conjuncts(node: &protobuf::Node) -> Vec<&protobuf::Node> {
    match node.node.as_ref() {
        Some(N::BoolExpr(b)) if b.boolop() == protobuf::BoolExprType::AndExpr => {
            b.args.iter().flat_map(conjuncts).collect()
        }
        _ => vec![node],
    }
}

/// `column <op> constant` (or the constant first, the operator turned
/// round): the operator and the constant.
fn comparison(node: &protobuf::Node, column: &str) -> Option<(String, BoundValue)> {
    let Some(N::AExpr(e)) = node.node.as_ref() else {
        return None;
    };
    if e.kind() != protobuf::AExprKind::AexprOp {
        return None;
    }
    let [op] = e.name.as_slice() else {
        return None;
    };
    let op = string_of(op)?;
    let is_column = |n: &protobuf::Node| match n.node.as_ref() {
        Some(N::ColumnRef(c)) => c.fields.last().and_then(string_of).as_deref() == Some(column),
        _ => false,
    };
    let constant = |n: &protobuf::Node| match bound_value(n) {
        v @ (BoundValue::Integer(_) | BoundValue::Text(_)) => Some(v),
        _ => None,
    };
    let (l, r) = (e.lexpr.as_deref()?, e.rexpr.as_deref()?);
    if is_column(l) {
        Some((op, constant(r)?))
    } else if is_column(r) {
        let turned = match op.as_str() {
            "<" => ">",
            "<=" => ">=",
            ">" => "<",
            ">=" => "<=",
            other => other,
        };
        Some((turned.to_owned(), constant(l)?))
    } else {
        None
    }
}

/// Whether `node` names `column` anywhere.
fn check_names(node: &protobuf::Node, column: &str) -> bool {
    let Some(n) = node.node.as_ref() else {
        return false;
    };
    n.nodes().into_iter().any(|(child, ..)| match child {
        pg_query::NodeRef::ColumnRef(c) => {
            c.fields.last().and_then(string_of).as_deref() == Some(column)
        }
        _ => false,
    })
}
