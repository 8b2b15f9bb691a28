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
use super::state::{ColumnState, IndexKeyState, IndexState, KeyState, Relation, State, TableId};

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
