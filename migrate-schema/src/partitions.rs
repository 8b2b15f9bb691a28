//! PostgreSQL declarative partitioning: how two schemas' partition keys
//! and partitions are compared, and the SQL of each change.
//!
//! A partitioned table is a [`Table`](crate::Table) with a
//! [`partition_key`](crate::Table::partition_key); its partitions are
//! [`Partition`]s, outside [`Schema::tables`]: their columns, and the
//! indexes, foreign keys and checks PostgreSQL gives them from the parent,
//! are the parent's, so a column or index added to the parent is one change
//! (on the parent) and never shows once per partition.
//!
//! Keys and bounds are compared in their token form ([`token_form`]: case
//! of keywords and unquoted names, whitespace). That is exact only because
//! both sides are in the server's form: introspection reads
//! `pg_get_partkeydef` and `pg_get_expr(relpartbound)`, and the declared
//! ones are put through the same functions on the compared server
//! (`migrate_runtime::introspect::settle_declared`). Rewriting them
//! ourselves, as [`crate::canon`] does for checks, would not be: a bound is
//! printed as a value of the key's type (`'2020-01-01'` on a `timestamptz`
//! key is `'2020-01-01 00:00:00+00'`, depending on the session's
//! `TimeZone`), which only the server knows.
//!
//! Changes, in the order [`crate::diff()`] places them:
//!
//! - dropped partitions (sub-partitions first), before tables are created,
//!   so a new partition may take a dropped one's range: `DETACH PARTITION`
//!   then `DROP TABLE`, since PostgreSQL refuses to drop a partition of a
//!   table a foreign key references;
//! - partitions whose bound or parent changes: `DETACH PARTITION` (all of
//!   them first, so two partitions may swap ranges), then after the new
//!   tables and columns, `ATTACH PARTITION` with the new bound, which keeps
//!   the rows and checks them against it;
//! - new partitions (parents first), after the new tables; a plain table
//!   that becomes a partition is attached (`ATTACH PARTITION`, rows kept),
//!   and detached again by the downgrade, where it keeps the indexes
//!   PostgreSQL cloned onto it from the parent;
//! - a table whose partition key changes, or that becomes partitioned or
//!   stops being so: PostgreSQL cannot do this in place, so the revision
//!   gets a `-- REVIEW:` line and a statement that stops the upgrade
//!   until the table is rebuilt by hand ([`PartitionChange::Repartition`]).

use std::collections::BTreeMap;

use migrate_core::quote_ident;
use migrate_core::sql::Dialect;

use crate::model::{Partition, QualifiedName, Schema};
use crate::views::token_form;

/// One operation on a partition or a partition key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionChange {
    /// `CREATE TABLE p PARTITION OF m FOR VALUES …`.
    Create(Partition),
    /// `DROP TABLE p` (its rows go with it).
    Drop(Partition),
    /// `ALTER TABLE m DETACH PARTITION p`: the partition becomes a table of
    /// its own, with its rows.
    Detach(Partition),
    /// `ALTER TABLE m ATTACH PARTITION p FOR VALUES …`: PostgreSQL checks
    /// every row of `p` against the bound.
    Attach(Partition),
    /// The partition key of a table changes (or the table becomes
    /// partitioned, or stops being so): not possible in place.
    Repartition {
        /// The table (or sub-partitioned partition).
        table: QualifiedName,
        /// The key before (`None`: a plain table).
        from: Option<String>,
        /// The key after.
        to: Option<String>,
    },
}

impl PartitionChange {
    /// The operation that undoes this one.
    pub fn inverse(&self) -> PartitionChange {
        use PartitionChange::*;
        match self.clone() {
            Create(p) => Drop(p),
            Drop(p) => Create(p),
            Detach(p) => Attach(p),
            Attach(p) => Detach(p),
            Repartition { table, from, to } => Repartition {
                table,
                from: to,
                to: from,
            },
        }
    }

    /// Whether the change loses rows or needs work by hand.
    pub fn is_destructive(&self) -> bool {
        matches!(
            self,
            PartitionChange::Drop(_) | PartitionChange::Repartition { .. }
        )
    }

    /// A short description, e.g. `create partition ev_2020 of ev`.
    pub fn summary(&self) -> String {
        match self {
            PartitionChange::Create(p) => format!("create partition {} of {}", p.name, p.parent),
            PartitionChange::Drop(p) => format!("drop partition {} of {}", p.name, p.parent),
            PartitionChange::Detach(p) => format!("detach partition {} from {}", p.name, p.parent),
            PartitionChange::Attach(p) => {
                format!("attach partition {} to {} {}", p.name, p.parent, p.bound)
            }
            PartitionChange::Repartition { table, to, .. } => match to {
                Some(key) => format!("change the partitioning of {table} to {key}"),
                None => format!("make {table} a plain table (not partitioned)"),
            },
        }
    }
}

/// The partition changes of a comparison, by phase (see the module
/// documentation).
#[derive(Debug, Default)]
pub(crate) struct PartitionPlan {
    pub drops: Vec<PartitionChange>,
    pub detaches: Vec<PartitionChange>,
    pub repartitions: Vec<PartitionChange>,
    pub attaches: Vec<PartitionChange>,
    pub creates: Vec<PartitionChange>,
}

/// Whether two keys or bounds are the same, in token form.
fn same(a: &str, b: &str) -> bool {
    token_form(a, Dialect::Postgres) == token_form(b, Dialect::Postgres)
}

fn same_key(a: &Option<String>, b: &Option<String>) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => same(a, b),
        (None, None) => true,
        _ => false,
    }
}

/// How deep a partition sits below its root table (a partition of a
/// table is 1).
fn depth(partitions: &BTreeMap<QualifiedName, Partition>, p: &Partition) -> usize {
    let mut d = 1;
    let mut parent = &p.parent;
    while let Some(q) = partitions.get(parent) {
        d += 1;
        parent = &q.parent;
        if d > 64 {
            break;
        }
    }
    d
}

/// The partition changes that turn `current` into `target` (both
/// normalised by [`crate::diff()`]).
pub(crate) fn diff(current: &Schema, target: &Schema) -> PartitionPlan {
    let mut plan = PartitionPlan::default();
    for (name, to) in &target.tables {
        if let Some(from) = current.tables.get(name)
            && !same_key(&from.partition_key, &to.partition_key)
        {
            plan.repartitions.push(PartitionChange::Repartition {
                table: name.clone(),
                from: from.partition_key.clone(),
                to: to.partition_key.clone(),
            });
        }
    }
    let mut created: Vec<&Partition> = Vec::new();
    let mut dropped: Vec<&Partition> = Vec::new();
    for (name, to) in &target.partitions {
        match current.partitions.get(name) {
            // A plain table becomes a partition: attached with its rows
            // (PostgreSQL checks that its columns match the parent's and
            // its rows the bound).
            None if current.tables.contains_key(name) => {
                plan.attaches.push(PartitionChange::Attach(to.clone()));
            }
            None => created.push(to),
            Some(from) if !same_key(&from.partition_key, &to.partition_key) => {
                // A sub-partitioned partition with another key: its own
                // partitions hold the rows, so it is re-created.
                dropped.push(from);
                created.push(to);
            }
            Some(from) if from.parent != to.parent || !same(&from.bound, &to.bound) => {
                plan.detaches.push(PartitionChange::Detach(from.clone()));
                plan.attaches.push(PartitionChange::Attach(to.clone()));
            }
            Some(_) => {}
        }
    }
    for (name, from) in &current.partitions {
        if !target.partitions.contains_key(name) {
            dropped.push(from);
        }
    }
    created.sort_by_key(|p| (depth(&target.partitions, p), p.name.clone()));
    dropped.sort_by_key(|p| {
        (
            std::cmp::Reverse(depth(&current.partitions, p)),
            p.name.clone(),
        )
    });
    plan.creates = created
        .into_iter()
        .map(|p| PartitionChange::Create(p.clone()))
        .collect();
    plan.drops = dropped
        .into_iter()
        .map(|p| PartitionChange::Drop(p.clone()))
        .collect();
    plan
}

/// Default-schema names made `None` and out-of-scope partitions left out,
/// as [`crate::diff()`] does for tables.
pub(crate) fn normalise(schema: &Schema, out: &mut Schema, default: &str, include_schemas: bool) {
    let norm = |q: &QualifiedName| match &q.schema {
        Some(s) if s == default => QualifiedName::new(q.name.clone()),
        _ => q.clone(),
    };
    for p in schema.partitions.values() {
        let mut p = p.clone();
        p.name = norm(&p.name);
        p.parent = norm(&p.parent);
        if include_schemas || p.name.schema.is_none() {
            out.partitions.insert(p.name.clone(), p);
        }
    }
}

/// One statement of a partition change, with what precedes it.
pub(crate) struct Step {
    /// A `-- REVIEW:` line.
    pub review: Option<String>,
    /// The statement, without `;`.
    pub sql: String,
}

fn qn(name: &QualifiedName) -> String {
    match &name.schema {
        Some(s) => format!(
            "{}.{}",
            quote_ident(s, Dialect::Postgres),
            quote_ident(&name.name, Dialect::Postgres)
        ),
        None => quote_ident(&name.name, Dialect::Postgres),
    }
}

/// The SQL of one change.
pub(crate) fn render(change: &PartitionChange) -> Vec<Step> {
    let plain = |sql: String| Step { review: None, sql };
    match change {
        PartitionChange::Create(p) => {
            let mut sql = format!(
                "CREATE TABLE {} PARTITION OF {} {}",
                qn(&p.name),
                qn(&p.parent),
                p.bound
            );
            if let Some(key) = &p.partition_key {
                sql.push_str(&format!(" PARTITION BY {key}"));
            }
            vec![plain(sql)]
        }
        // Detached first: PostgreSQL refuses to drop a partition of a table
        // that a foreign key references ("other objects depend on it"),
        // while DETACH checks that no row references the partition's rows.
        PartitionChange::Drop(p) => vec![
            Step {
                review: Some(format!(
                    "drops partition {} of {} and all its rows",
                    qn(&p.name),
                    qn(&p.parent)
                )),
                sql: format!(
                    "ALTER TABLE {} DETACH PARTITION {}",
                    qn(&p.parent),
                    qn(&p.name)
                ),
            },
            plain(format!("DROP TABLE {}", qn(&p.name))),
        ],
        PartitionChange::Detach(p) => vec![plain(format!(
            "ALTER TABLE {} DETACH PARTITION {}",
            qn(&p.parent),
            qn(&p.name)
        ))],
        PartitionChange::Attach(p) => vec![plain(format!(
            "ALTER TABLE {} ATTACH PARTITION {} {}",
            qn(&p.parent),
            qn(&p.name),
            p.bound
        ))],
        PartitionChange::Repartition { table, from, to } => {
            let word = |k: &Option<String>| match k {
                Some(k) => format!("PARTITION BY {k}"),
                None => "not partitioned".to_owned(),
            };
            let message = format!(
                "PostgreSQL cannot change the partitioning of {} in place ({} -> {}): rebuild it by hand (create the new table under another name with its partitions, copy the rows, drop the old table, rename the new one), then delete this statement",
                qn(table),
                word(from),
                word(to)
            );
            vec![Step {
                review: Some(message.clone()),
                sql: format!(
                    "DO $$ BEGIN RAISE EXCEPTION '%', {}; END $$",
                    literal(&message)
                ),
            }]
        }
    }
}

/// A string literal for a `RAISE` (`'` doubled; `$` cannot end the body
/// since names with `$$` are quoted).
fn literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''").replace("$$", "$ $"))
}

#[cfg(test)]
mod tests {
    use crate::{DiffOptions, diff, parse_schema, render};
    use migrate_core::sql::Dialect;

    fn sql(a: &str, b: &str) -> (String, String, Vec<String>) {
        let a = parse_schema(a, Dialect::Postgres).unwrap();
        let b = parse_schema(b, Dialect::Postgres).unwrap();
        let changes = diff(&a, &b, Dialect::Postgres, &DiffOptions::default());
        let r = render(&changes, Dialect::Postgres);
        (
            r.upgrade,
            r.downgrade,
            changes.iter().map(|c| c.summary()).collect(),
        )
    }

    const EV: &str = "CREATE TABLE ev (id int, at date) PARTITION BY RANGE (at);\n";

    #[test]
    fn new_partitioned_table_then_its_partitions() {
        let (up, down, _) = sql(
            "",
            &format!(
                "{EV}CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') PARTITION BY HASH (id);\n\
                 CREATE TABLE ev_2020_0 PARTITION OF ev_2020 FOR VALUES WITH (MODULUS 1, REMAINDER 0);\n\
                 CREATE INDEX ev_id ON ev (id);"
            ),
        );
        assert_eq!(
            up,
            "CREATE TABLE ev (\n    id INT,\n    at DATE\n) PARTITION BY RANGE (at);\n\n\
             CREATE INDEX ev_id ON ev (id);\n\n\
             CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01') PARTITION BY HASH (id);\n\n\
             CREATE TABLE ev_2020_0 PARTITION OF ev_2020 FOR VALUES WITH (MODULUS 1, REMAINDER 0);\n\n"
        );
        assert_eq!(
            down,
            "-- REVIEW: drops partition ev_2020_0 of ev_2020 and all its rows\n\
             ALTER TABLE ev_2020 DETACH PARTITION ev_2020_0;\n\nDROP TABLE ev_2020_0;\n\n\
             -- REVIEW: drops partition ev_2020 of ev and all its rows\n\
             ALTER TABLE ev DETACH PARTITION ev_2020;\n\nDROP TABLE ev_2020;\n\n\
             -- REVIEW: drops table ev and all its rows\nDROP TABLE ev;\n\n"
        );
    }

    #[test]
    fn bound_change_detaches_and_attaches_and_parent_columns_once() {
        let a = format!(
            "{EV}CREATE TABLE ev_a PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"
        );
        let b = "CREATE TABLE ev (id int, at date, note text) PARTITION BY RANGE (at);\n\
                 CREATE TABLE ev_a PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2022-01-01');\n\
                 CREATE TABLE ev_b PARTITION OF ev DEFAULT;";
        let (up, down, summaries) = sql(&a, b);
        assert_eq!(
            summaries,
            [
                "detach partition ev_a from ev",
                "add column ev.note",
                "attach partition ev_a to ev FOR VALUES FROM ('2020-01-01') TO ('2022-01-01')",
                "create partition ev_b of ev",
            ]
        );
        assert!(up.starts_with("ALTER TABLE ev DETACH PARTITION ev_a;\n\nALTER TABLE ev ADD COLUMN note TEXT;\n\nALTER TABLE ev ATTACH PARTITION ev_a FOR VALUES FROM ('2020-01-01') TO ('2022-01-01');\n\n"), "{up}");
        assert!(down.contains("ALTER TABLE ev ATTACH PARTITION ev_a FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');"), "{down}");
        // Same bound in another spelling: nothing.
        let (up, _, _) = sql(
            &a,
            &format!(
                "{EV}create table ev_a partition of ev for values from ('2020-01-01') to ('2021-01-01');"
            ),
        );
        assert_eq!(up, "");
    }

    #[test]
    fn a_changed_key_stops_the_upgrade_with_a_review() {
        let (up, down, _) = sql("CREATE TABLE ev (id int, at date);", EV);
        assert!(up.starts_with("-- REVIEW: PostgreSQL cannot change the partitioning of ev in place (not partitioned -> PARTITION BY RANGE (at))"), "{up}");
        assert!(
            up.contains("DO $$ BEGIN RAISE EXCEPTION '%', 'PostgreSQL cannot change"),
            "{up}"
        );
        assert!(
            down.contains("(PARTITION BY RANGE (at) -> not partitioned)"),
            "{down}"
        );
    }
}
