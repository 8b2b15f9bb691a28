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

use super::lower_pg::{drop_column, key_column_name};
use super::naming::{choose, columns_part, index_column_names};
use std::cmp::Ordering;

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
    let t = state.table(partition);
    let (schema, table) = (t.schema.clone(), t.name.clone());
    let key_taken =
        |n: &str| state.relation_taken(&schema, n) || state.constraint_taken(&schema, n);
    match w {
        Wanted::Primary(k) => {
            if t.primary_key.is_some() {
                return None;
            }
            let name = choose(&table, None, "pkey", key_taken);
            state.set_relation(&schema, &name, Some(Relation::KeyIndex(partition)));
            state.add_constraint_name(&schema, &name);
            let t = state.table_mut(partition);
            for c in &k.columns {
                if let Some(col) = t.column_mut(c) {
                    col.nullable = false;
                }
            }
            t.primary_key = Some(KeyState {
                name: name.clone(),
                ..k
            });
            Some(name)
        }
        Wanted::Unique(k) => {
            let names = index_column_names(&k.columns);
            let name = choose(&table, Some(&columns_part(&names)), "key", key_taken);
            state.set_relation(&schema, &name, Some(Relation::KeyIndex(partition)));
            state.add_constraint_name(&schema, &name);
            state.table_mut(partition).uniques.push(KeyState {
                name: name.clone(),
                ..k
            });
            Some(name)
        }
        Wanted::Index(i) => {
            let keys: Vec<String> = i.keys.iter().map(key_name).collect();
            let names = index_column_names(&keys);
            let name = choose(&table, Some(&columns_part(&names)), "idx", |n| {
                state.relation_taken(&schema, n)
            });
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
