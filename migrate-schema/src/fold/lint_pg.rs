//! The safety lint on PostgreSQL upgrades: what fails inside a transaction,
//! what locks or rewrites a table that existed before the revision, and what
//! breaks the code still running, judged on each statement's tree with the
//! model as it was before the statement.

use std::collections::{HashMap, HashSet};

use migrate_core::Rule;
use pg_query::NodeRef;
use pg_query::protobuf::{
    self, AlterTableType, ConstrType, ObjectType, TransactionStmtKind, node::Node as N,
};

use super::state::{DEFAULT_SCHEMA, Finding, Mark, Relation, State, StmtRef, TableId, TableState};

/// What the lint is told about the project.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// The oldest PostgreSQL major version the migrations run on.
    pub postgres_version: u32,
    /// Whether names over 63 bytes are looked for (the statement's text is
    /// scanned again for them).
    pub identifier_length: bool,
    /// Whether the project's dialects include SQLite: the ALTER TABLE
    /// forms SQLite does not have are reported.
    pub sqlite: bool,
    /// `migrate.toml` gives every revision a lock timeout (its header
    /// may still turn it off).
    pub default_lock_timeout: bool,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            postgres_version: migrate_core::OLDEST_POSTGRES,
            identifier_length: false,
            sqlite: false,
            default_lock_timeout: false,
        }
    }
}

/// The lint over a chain's upgrades, in the order they are folded.
#[derive(Debug)]
pub struct Linter {
    options: Options,
    /// `CHECK (column IS NOT NULL)` constraints added NOT VALID and not
    /// validated yet, by table and column: they do not prove SET NOT NULL.
    unvalidated: HashSet<(TableId, String)>,
    /// The journal's mark before the revision: tables created after it are
    /// new, and exempt from the lock rules.
    start: Option<Mark>,
    transactional: bool,
    /// Whether the revision has set `lock_timeout` so far.
    lock_timeout: bool,
    /// Whether `lock-timeout` was reported in this revision (once is enough).
    lock_timeout_reported: bool,
    /// Constraints this revision added NOT VALID to existing tables, by
    /// table and name: validating one in the same transaction scans under
    /// the lock that adding it took.
    added_not_valid: HashSet<(TableId, String)>,
    /// The labels of enum types this revision renamed away or dropped, by
    /// the name they had: a type created again under that name with fewer
    /// labels has lost values.
    enums_gone: HashMap<(String, String), Vec<String>>,
    /// Enum types this revision created again with fewer labels, by name,
    /// with the labels they lost.
    enums_shrunk: HashMap<(String, String), Vec<String>>,
    findings: Vec<Finding>,
}

impl Linter {
    /// A lint judging for `options`.
    pub fn new(options: Options) -> Linter {
        Linter {
            options,
            unvalidated: HashSet::new(),
            start: None,
            transactional: true,
            lock_timeout: false,
            lock_timeout_reported: false,
            added_not_valid: HashSet::new(),
            enums_gone: HashMap::new(),
            enums_shrunk: HashMap::new(),
            findings: Vec::new(),
        }
    }

    /// Starts a revision's upgrade; `start` is the journal's mark before
    /// it; `lock_timeout` is its `lock_timeout` header, if any.
    pub fn begin(
        &mut self,
        start: Mark,
        transactional: bool,
        lock_timeout: Option<std::time::Duration>,
    ) {
        self.start = Some(start);
        self.transactional = transactional;
        // The runtime sets the revision's lock_timeout before its first
        // statement, as a `SET lock_timeout` there would.
        self.lock_timeout =
            lock_timeout.map_or(self.options.default_lock_timeout, |d| !d.is_zero());
        self.lock_timeout_reported = false;
        self.added_not_valid.clear();
        self.enums_gone.clear();
        self.enums_shrunk.clear();
    }

    /// What was found since the last call.
    pub fn take(&mut self) -> Vec<Finding> {
        std::mem::take(&mut self.findings)
    }

    /// Judges one statement (its text `sql` and its tree), with `state` as
    /// it is before it.
    pub fn statement(
        &mut self,
        state: &State,
        sql: &str,
        tree: &protobuf::ParseResult,
        at: &StmtRef,
    ) {
        if self.options.identifier_length {
            self.long_identifiers(sql, at);
        }
        for raw in &tree.stmts {
            if let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
                self.node(state, node, at);
            }
        }
    }

    fn push(&mut self, rule: Rule, at: &StmtRef, what: String) {
        let fix = rule.fix();
        self.push_fix(rule, at, what, fix);
    }

    fn push_fix(&mut self, rule: Rule, at: &StmtRef, what: String, fix: &str) {
        self.findings.push(Finding {
            rule,
            at: at.clone(),
            message: format!("{what}; {fix}"),
        });
    }

    /// A table that existed before this revision, named by `r`.
    fn existing(&self, state: &State, r: &protobuf::RangeVar) -> Option<(TableId, String)> {
        let (schema, name) = range_name(r);
        match state.relation(&schema, &name) {
            Some(Relation::Table(id))
                if !self.start.is_some_and(|m| state.created_since(m, id)) =>
            {
                Some((id, shown(&schema, &name)))
            }
            _ => None,
        }
    }

    fn not_in_transaction(&mut self, at: &StmtRef, what: &str) {
        if self.transactional {
            self.push(
                Rule::NonTransactional,
                at,
                format!(
                    "{what} cannot run inside a transaction block, and this revision runs in one: PostgreSQL refuses it and the revision fails"
                ),
            );
        }
    }

    /// DDL on an existing table: reported once per revision when no
    /// `SET lock_timeout` came before it.
    fn ddl(&mut self, at: &StmtRef, table: &str) {
        if !self.lock_timeout && !self.lock_timeout_reported {
            self.lock_timeout_reported = true;
            self.push(
                Rule::LockTimeout,
                at,
                format!(
                    "this statement locks table {table} with no lock_timeout set in the revision: while it waits for the lock, every query on {table} waits behind it"
                ),
            );
        }
    }

    /// Names over 63 bytes, read from the statement's text: the parser has
    /// already cut them in the tree.
    fn long_identifiers(&mut self, sql: &str, at: &StmtRef) {
        let Ok(scanned) = pg_query::scan(sql) else {
            return;
        };
        for token in scanned.tokens {
            if token.token() != protobuf::Token::Ident {
                continue;
            }
            let Some(text) = sql.get(token.start as usize..token.end as usize) else {
                continue;
            };
            let name = match text.strip_prefix('"').and_then(|t| t.strip_suffix('"')) {
                Some(quoted) => quoted.replace("\"\"", "\""),
                None => text.to_owned(),
            };
            if name.len() > 63 {
                self.push(
                    Rule::IdentifierLength,
                    at,
                    format!(
                        "the name `{}` is {} bytes: PostgreSQL keeps the first 63 and drops the rest without an error, so two long names can collide",
                        name.escape_debug(),
                        name.len()
                    ),
                );
            }
        }
    }

    fn node(&mut self, state: &State, node: &N, at: &StmtRef) {
        match node {
            N::TransactionStmt(s) => {
                use TransactionStmtKind as K;
                let word = match s.kind() {
                    K::TransStmtBegin => "BEGIN",
                    K::TransStmtStart => "START TRANSACTION",
                    K::TransStmtCommit => "COMMIT",
                    K::TransStmtRollback => "ROLLBACK",
                    K::TransStmtPrepare => "PREPARE TRANSACTION",
                    K::TransStmtCommitPrepared => "COMMIT PREPARED",
                    K::TransStmtRollbackPrepared => "ROLLBACK PREPARED",
                    _ => return,
                };
                let what = if self.transactional {
                    format!(
                        "{word} inside a revision ends or nests the transaction the revision runs in: a failure after it leaves the database half migrated, out of step with the history table"
                    )
                } else {
                    format!(
                        "{word} inside a revision: the runner records the revision as applied whatever the transaction it starts or ends did"
                    )
                };
                self.push(Rule::TransactionControl, at, what);
            }
            N::IndexStmt(s) => {
                let partitioned = s
                    .relation
                    .as_ref()
                    .and_then(|r| table_id(state, r))
                    .filter(|id| state.table(*id).partition_key.is_some());
                if s.unique
                    && let Some(r) = &s.relation
                    && let Some(key) =
                        partitioned.and_then(|id| state.table(id).partition_key.as_ref())
                {
                    let key = key.elements.clone();
                    let columns: Vec<String> = s
                        .index_params
                        .iter()
                        .filter_map(|p| match p.node.as_ref() {
                            Some(N::IndexElem(e)) if !e.name.is_empty() => Some(e.name.clone()),
                            _ => None,
                        })
                        .collect();
                    let (schema, name) = range_name(r);
                    self.key_lacks_partition_column(
                        at,
                        "UNIQUE index",
                        &shown(&schema, &name),
                        &key,
                        &columns,
                    );
                }
                if s.concurrent {
                    if self.transactional {
                        self.not_in_transaction(at, "CREATE INDEX CONCURRENTLY");
                    } else if let Some(id) = partitioned {
                        let t = state.table(id);
                        self.push(
                            Rule::PartitionedUnsupported,
                            at,
                            format!(
                                "CREATE INDEX CONCURRENTLY on partitioned table {}: PostgreSQL refuses it (cannot create index on partitioned table concurrently) and the revision fails",
                                shown(&t.schema, &t.name)
                            ),
                        );
                    }
                } else if partitioned.is_some() && s.relation.as_ref().is_some_and(|r| !r.inh) {
                    // `ON ONLY`: an index on the partitioned table alone,
                    // built by none of its partitions.
                } else if let Some((_, table)) =
                    s.relation.as_ref().and_then(|r| self.existing(state, r))
                {
                    self.ddl(at, &table);
                    if partitioned.is_some() {
                        self.push_fix(
                            Rule::IndexNotConcurrent,
                            at,
                            format!(
                                "CREATE INDEX on partitioned table {table}, which existed before this revision, builds it on each of its partitions, blocking their INSERT, UPDATE and DELETE until it is built"
                            ),
                            "PostgreSQL cannot build it CONCURRENTLY on a partitioned table: create it ON ONLY the partitioned table, then CONCURRENTLY on each partition in a revision with `-- transactional: false`, then ALTER INDEX … ATTACH PARTITION each",
                        );
                    } else {
                        self.push(
                            Rule::IndexNotConcurrent,
                            at,
                            format!(
                                "CREATE INDEX on table {table}, which existed before this revision, blocks its INSERT, UPDATE and DELETE until the index is built"
                            ),
                        );
                    }
                }
            }
            N::DropStmt(s) => match s.remove_type() {
                ObjectType::ObjectIndex if s.concurrent => {
                    self.not_in_transaction(at, "DROP INDEX CONCURRENTLY");
                    for object in &s.objects {
                        if let Some((schema, name)) = list_name(&object_names(object))
                            && let Some(Relation::Index(id)) = state.relation(&schema, &name)
                            && state.table(id).partition_key.is_some()
                            && !self.transactional
                        {
                            self.push(
                                Rule::PartitionedUnsupported,
                                at,
                                format!(
                                    "DROP INDEX CONCURRENTLY of {}, an index of partitioned table {}: PostgreSQL refuses it (cannot drop partitioned index concurrently) and the revision fails",
                                    shown(&schema, &name),
                                    shown(&state.table(id).schema, &state.table(id).name)
                                ),
                            );
                        }
                    }
                }
                ObjectType::ObjectType => {
                    for object in &s.objects {
                        if let Some(key) = list_name(&object_names(object)) {
                            self.enum_gone(state, key);
                        }
                    }
                }
                ObjectType::ObjectTable => {
                    for object in &s.objects {
                        let Some((schema, name)) = list_name(&object_names(object)) else {
                            continue;
                        };
                        if let Some(Relation::Table(id)) = state.relation(&schema, &name)
                            && !self.start.is_some_and(|m| state.created_since(m, id))
                        {
                            let table = shown(&schema, &name);
                            self.ddl(at, &table);
                            self.push(
                                Rule::DropTable,
                                at,
                                format!(
                                    "DROP TABLE {table}: the application still running during and after the deploy fails on every query that reads or writes it"
                                ),
                            );
                        }
                    }
                }
                _ => {}
            },
            N::ReindexStmt(s) if has_option(&s.params, "concurrently") => {
                self.not_in_transaction(at, "REINDEX CONCURRENTLY");
            }
            N::VacuumStmt(s) if s.is_vacuumcmd => {
                self.not_in_transaction(at, "VACUUM");
                if has_option(&s.options, "full") {
                    self.full_rewrite(state, at, "VACUUM FULL", vacuum_relations(s));
                }
            }
            N::ClusterStmt(s) => {
                let rels: Vec<&protobuf::RangeVar> = s.relation.iter().collect();
                self.full_rewrite(state, at, "CLUSTER", rels);
            }
            N::AlterSystemStmt(_) => self.not_in_transaction(at, "ALTER SYSTEM"),
            N::CreatedbStmt(_) => self.not_in_transaction(at, "CREATE DATABASE"),
            N::DropdbStmt(_) => self.not_in_transaction(at, "DROP DATABASE"),
            N::CreateTableSpaceStmt(_) => self.not_in_transaction(at, "CREATE TABLESPACE"),
            N::DropTableSpaceStmt(_) => self.not_in_transaction(at, "DROP TABLESPACE"),
            N::AlterEnumStmt(s) if s.old_val.is_empty() && self.options.postgres_version < 12 => {
                self.not_in_transaction(at, "ALTER TYPE … ADD VALUE (before PostgreSQL 12)");
            }
            N::VariableSetStmt(v) if v.name.eq_ignore_ascii_case("lock_timeout") => {
                self.lock_timeout = true;
            }
            N::RenameStmt(s) if s.rename_type() == ObjectType::ObjectType => {
                if let Some(key) = s
                    .object
                    .as_deref()
                    .and_then(|o| list_name(&object_names(o)))
                {
                    self.enum_gone(state, key);
                }
            }
            N::CreateEnumStmt(s) => {
                let names: Vec<String> = s.type_name.iter().filter_map(string_of).collect();
                if let Some(key) = list_name(&names)
                    && let Some(old) = self.enums_gone.get(&key)
                {
                    let new: Vec<String> = s.vals.iter().filter_map(string_of).collect();
                    let lost: Vec<String> =
                        old.iter().filter(|v| !new.contains(v)).cloned().collect();
                    if lost.is_empty() {
                        self.enums_shrunk.remove(&key);
                    } else {
                        self.enums_shrunk.insert(key, lost);
                    }
                }
            }
            N::RenameStmt(s) => self.rename(state, s, at),
            N::AlterTableStmt(s) if s.objtype() == ObjectType::ObjectTable => {
                self.alter_table(state, s, at);
            }
            N::CreateStmt(s) => {
                for e in &s.table_elts {
                    if let Some(N::ColumnDef(c)) = e.node.as_ref() {
                        self.column_hygiene(at, &c.colname, c);
                    }
                }
                if let Some(spec) = &s.partspec {
                    let key = super::lower_pg::partition_key(spec).elements;
                    let table = s.relation.as_ref().map_or_else(String::new, |r| {
                        let (schema, name) = range_name(r);
                        shown(&schema, &name)
                    });
                    for e in &s.table_elts {
                        match e.node.as_ref() {
                            Some(N::ColumnDef(c)) => {
                                for k in column_constraints(c) {
                                    self.unique_without_key(at, &table, &key, k, Some(&c.colname));
                                }
                            }
                            Some(N::Constraint(k)) => {
                                self.unique_without_key(at, &table, &key, k, None);
                            }
                            _ => {}
                        }
                    }
                }
                if let Some(bound) = &s.partbound
                    && let [parent] = s.inh_relations.as_slice()
                    && let Some(N::RangeVar(p)) = parent.node.as_ref()
                    && let Some((pid, parent_name)) = self.existing(state, p)
                {
                    // PostgreSQL takes an ACCESS EXCLUSIVE lock on the parent.
                    self.ddl(at, &parent_name);
                    if !bound.is_default {
                        let table = s.relation.as_ref().map_or_else(String::new, |r| {
                            let (schema, name) = range_name(r);
                            shown(&schema, &name)
                        });
                        let what = format!("CREATE TABLE {table} PARTITION OF {parent_name}");
                        self.default_partition_scan(state, at, pid, Some(bound), &what);
                    }
                }
            }
            _ => {}
        }
    }

    fn full_rewrite(
        &mut self,
        state: &State,
        at: &StmtRef,
        what: &str,
        rels: Vec<&protobuf::RangeVar>,
    ) {
        if rels.is_empty() {
            self.push(
                Rule::FullRewrite,
                at,
                format!(
                    "{what} rewrites every table it covers under an ACCESS EXCLUSIVE lock: no query reads or writes them until it ends"
                ),
            );
            return;
        }
        for r in rels {
            if let Some((_, table)) = self.existing(state, r) {
                self.push(
                    Rule::FullRewrite,
                    at,
                    format!(
                        "{what} rewrites table {table} under an ACCESS EXCLUSIVE lock: no query reads or writes it until it ends"
                    ),
                );
            }
        }
    }

    /// An ALTER TABLE form SQLite does not have. SQLite's ALTER TABLE knows
    /// RENAME TO, RENAME COLUMN, ADD COLUMN (without PRIMARY KEY or UNIQUE)
    /// and DROP COLUMN.
    fn sqlite_alter(&mut self, at: &StmtRef, table: &str, cmd: &protobuf::AlterTableCmd) {
        use AlterTableType as T;
        let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
        let what = match (cmd.subtype(), def) {
            (
                T::AtAlterColumnType
                | T::AtSetNotNull
                | T::AtDropNotNull
                | T::AtColumnDefault
                | T::AtAddIdentity
                | T::AtDropIdentity
                | T::AtSetIdentity,
                _,
            ) => format!("ALTER COLUMN {}", cmd.name),
            (T::AtAddConstraint, _) => "ADD CONSTRAINT".to_owned(),
            (T::AtDropConstraint, _) => format!("DROP CONSTRAINT {}", cmd.name),
            (T::AtAddColumn, Some(N::ColumnDef(c))) => {
                let Some(kind) = c.constraints.iter().find_map(|k| match k.node.as_ref() {
                    Some(N::Constraint(k)) if k.contype() == ConstrType::ConstrPrimary => {
                        Some("PRIMARY KEY")
                    }
                    Some(N::Constraint(k)) if k.contype() == ConstrType::ConstrUnique => {
                        Some("UNIQUE")
                    }
                    _ => None,
                }) else {
                    return;
                };
                format!("ADD COLUMN {} with {kind}", c.colname)
            }
            _ => return,
        };
        self.push(
            Rule::SqliteAlter,
            at,
            format!(
                "ALTER TABLE {table} {what}: SQLite, one of this project's dialects, has no such ALTER TABLE and refuses the statement"
            ),
        );
    }

    /// Notes the labels of the enum `key` as the type leaves that name.
    fn enum_gone(&mut self, state: &State, key: (String, String)) {
        if let Some(e) = state.find_enum(&key.0, &key.1) {
            self.enums_gone.insert(key, e.values.clone());
        }
    }

    /// The labels a column of type `from` (as the model writes it) loses
    /// when converted to the enum `to`: those of `from` when it is an enum
    /// too, else those `to` lost when this revision created it again.
    fn enum_lost(&self, state: &State, from: &str, to: &(String, String)) -> Vec<String> {
        let Some(target) = state.find_enum(&to.0, &to.1) else {
            return Vec::new();
        };
        let from_key = match from.trim().split_once('.') {
            Some((schema, name)) => (unquote(schema), unquote(name)),
            None => (DEFAULT_SCHEMA.to_owned(), unquote(from)),
        };
        if from_key != *to
            && let Some(old) = state.find_enum(&from_key.0, &from_key.1)
        {
            return old
                .values
                .iter()
                .filter(|v| !target.values.contains(v))
                .cloned()
                .collect();
        }
        self.enums_shrunk.get(to).cloned().unwrap_or_default()
    }

    fn rename(&mut self, state: &State, s: &protobuf::RenameStmt, at: &StmtRef) {
        let kind = match s.rename_type() {
            ObjectType::ObjectTable => "table",
            ObjectType::ObjectColumn if s.relation_type() == ObjectType::ObjectTable => "column",
            _ => return,
        };
        let Some((_, table)) = s.relation.as_ref().and_then(|r| self.existing(state, r)) else {
            return;
        };
        self.ddl(at, &table);
        let what = if kind == "table" {
            format!(
                "renaming table {table} to {}: the application still running during and after the deploy fails on every query that names it",
                s.newname
            )
        } else {
            format!(
                "renaming column {table}.{} to {}: the application still running during and after the deploy fails on every query that names it",
                s.subname, s.newname
            )
        };
        self.push(Rule::Rename, at, what);
    }

    fn alter_table(&mut self, state: &State, s: &protobuf::AlterTableStmt, at: &StmtRef) {
        let Some(r) = &s.relation else {
            return;
        };
        let existing = self.existing(state, r);
        let (schema, name) = range_name(r);
        let named = shown(&schema, &name);
        let cmds: Vec<&protobuf::AlterTableCmd> = s
            .cmds
            .iter()
            .filter_map(|c| match c.node.as_ref() {
                Some(N::AlterTableCmd(c)) => Some(c.as_ref()),
                _ => None,
            })
            .collect();
        for cmd in &cmds {
            if self.options.sqlite {
                self.sqlite_alter(at, &named, cmd);
            }
            let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
            match (cmd.subtype(), def) {
                (AlterTableType::AtDetachPartition, Some(N::PartitionCmd(p))) if p.concurrent => {
                    self.not_in_transaction(at, "DETACH PARTITION CONCURRENTLY");
                    let default = table_id(state, r)
                        .and_then(|id| super::partition_pg::default_partition(state, id))
                        .map(|d| state.table(d));
                    if let Some(d) = default
                        && !self.transactional
                    {
                        self.push_fix(
                            Rule::PartitionedUnsupported,
                            at,
                            format!(
                                "DETACH PARTITION CONCURRENTLY from {named}, which has a default partition ({}): PostgreSQL refuses it (cannot detach partitions concurrently when a default partition exists) and the revision fails",
                                shown(&d.schema, &d.name)
                            ),
                            "detach it without CONCURRENTLY (an ACCESS EXCLUSIVE lock on the partitioned table for a moment, with a lock_timeout), or detach the default partition first",
                        );
                    }
                }
                (AlterTableType::AtAttachPartition, Some(N::PartitionCmd(p))) => {
                    if let Some(id) = table_id(state, r) {
                        self.attach_partition(state, at, id, &named, p);
                    }
                }
                (AlterTableType::AtDropColumn | AlterTableType::AtAlterColumnType, _)
                    if table_id(state, r).is_some_and(|id| {
                        state
                            .table(id)
                            .partition_key
                            .as_ref()
                            .is_some_and(|k| k.columns.contains(&cmd.name))
                    }) =>
                {
                    let verb = if cmd.subtype() == AlterTableType::AtDropColumn {
                        "drop"
                    } else {
                        "alter"
                    };
                    self.push_fix(
                        Rule::PartitionedUnsupported,
                        at,
                        format!(
                            "column {}.{} is part of the partition key: PostgreSQL refuses to {verb} it (cannot {verb} column \"{}\" because it is part of the partition key) and the revision fails",
                            named, cmd.name, cmd.name
                        ),
                        "a partition key does not change: make a new partitioned table with the new key, move the rows, and switch over",
                    );
                }
                (AlterTableType::AtValidateConstraint, _) => {
                    if let Some(id) = table_id(state, r)
                        && let Some(c) = state.table(id).checks.iter().find(|c| c.name == cmd.name)
                        && let Some(column) = not_null_sql(&c.expression.sql)
                    {
                        self.unvalidated.remove(&(id, column));
                    }
                }
                (AlterTableType::AtAddConstraint, Some(N::Constraint(k))) => {
                    if k.contype() == ConstrType::ConstrCheck
                        && k.skip_validation
                        && let Some(id) = table_id(state, r)
                        && let Some(column) = k.raw_expr.as_deref().and_then(not_null_node)
                    {
                        self.unvalidated.insert((id, column));
                    }
                    if let Some(key) = partition_key_of(state, r) {
                        self.unique_without_key(at, &named, &key, k, None);
                        self.unsupported_foreign_key(at, &named, k);
                    }
                }
                (AlterTableType::AtAddColumn, Some(N::ColumnDef(c))) => {
                    self.column_hygiene(at, &c.colname, c);
                    if let Some(key) = partition_key_of(state, r) {
                        for k in column_constraints(c) {
                            self.unique_without_key(at, &named, &key, k, Some(&c.colname));
                        }
                    }
                }
                _ => {}
            }
        }
        let Some((id, table)) = existing else {
            return;
        };
        self.ddl(at, &table);
        for cmd in cmds {
            let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
            match (cmd.subtype(), def) {
                (AlterTableType::AtAddConstraint, Some(N::Constraint(k))) => {
                    if k.skip_validation && !k.conname.is_empty() {
                        self.added_not_valid.insert((id, k.conname.clone()));
                    }
                    let partitioned = state.table(id).partition_key.is_some();
                    let key = matches!(
                        k.contype(),
                        ConstrType::ConstrPrimary | ConstrType::ConstrUnique
                    );
                    if partitioned && k.contype() == ConstrType::ConstrForeign {
                        self.partitioned_foreign_key(state, at, id, &table, k);
                    } else if partitioned && key {
                        // With ONLY, the partitioned table's alone: instant.
                        if r.inh && k.indexname.is_empty() {
                            self.push_fix(
                                Rule::KeyWithoutIndex,
                                at,
                                format!(
                                    "ADD {} on partitioned table {table} builds its index on every partition under an ACCESS EXCLUSIVE lock: no query reads or writes them until the indexes are built",
                                    if k.contype() == ConstrType::ConstrPrimary {
                                        "PRIMARY KEY"
                                    } else {
                                        "UNIQUE"
                                    }
                                ),
                                "add it with ALTER TABLE ONLY (instant, on the partitioned table alone), then on each partition CREATE UNIQUE INDEX CONCURRENTLY and ADD … USING INDEX, then ALTER INDEX … ATTACH PARTITION each",
                            );
                        }
                    } else {
                        self.add_constraint(at, &table, k);
                    }
                }
                (AlterTableType::AtValidateConstraint, _)
                    if self.transactional
                        && self.added_not_valid.contains(&(id, cmd.name.clone())) =>
                {
                    self.push(
                        Rule::ConstraintNotValid,
                        at,
                        format!(
                            "VALIDATE CONSTRAINT {} runs in the transaction that added it NOT VALID to table {table}: the lock ADD CONSTRAINT took is held through the scan of every row, as if NOT VALID were not there",
                            cmd.name
                        ),
                    );
                }
                (AlterTableType::AtSetNotNull, _) => self.set_not_null(state, at, id, &table, &cmd.name),
                (AlterTableType::AtAddColumn, Some(N::ColumnDef(c))) => {
                    self.add_column(at, &table, c);
                }
                (AlterTableType::AtAlterColumnType, Some(N::ColumnDef(c))) => {
                    self.alter_type(state, at, id, &table, &cmd.name, c);
                }
                (AlterTableType::AtDropColumn, _) => self.push(
                    Rule::DropColumn,
                    at,
                    format!(
                        "dropping column {table}.{}: the application still running during and after the deploy fails on every query that names it",
                        cmd.name
                    ),
                ),
                _ => {}
            }
        }
    }

    /// `ATTACH PARTITION` to `parent`: PostgreSQL checks the rows of the
    /// table attached against the bound, and those of the parent's default
    /// partition against the new bound, each under an ACCESS EXCLUSIVE
    /// lock, unless the table's validated checks prove it.
    fn attach_partition(
        &mut self,
        state: &State,
        at: &StmtRef,
        parent: TableId,
        parent_name: &str,
        p: &protobuf::PartitionCmd,
    ) {
        let Some(r) = &p.name else {
            return;
        };
        let (schema, name) = range_name(r);
        let what = format!(
            "ATTACH PARTITION {} to {parent_name}",
            shown(&schema, &name)
        );
        let key = state
            .table(parent)
            .partition_key
            .as_ref()
            .map(|k| k.columns.as_slice());
        if let Some((id, table)) = self.existing(state, r) {
            // The checks compared with the bound where the model can read
            // both; else any validated check on the key's columns is taken
            // as proof.
            let proved = p
                .bound
                .as_ref()
                .map(super::lower_pg::partition_bound)
                .and_then(|b| super::partition_pg::checks_prove(state, parent, id, &b))
                .unwrap_or_else(|| proves_bound(state.table(id), key));
            if !proved {
                self.push(
                    Rule::PartitionScan,
                    at,
                    format!(
                        "{what} checks every row of table {table} against the partition bound under an ACCESS EXCLUSIVE lock on it: no query reads or writes it until the check ends"
                    ),
                );
            }
            let build = super::partition_pg::to_build(state, parent, id);
            if !build.is_empty() && state.is_certain(id) {
                self.push_fix(
                    Rule::IndexNotConcurrent,
                    at,
                    format!(
                        "{what} builds on table {table} an index for each of {} of {parent_name}, which it has no equivalent of, under an ACCESS EXCLUSIVE lock on it: no query reads or writes it until they are built",
                        build.join(", ")
                    ),
                    "build the equivalent indexes on it first with CREATE INDEX CONCURRENTLY (for a key, CREATE UNIQUE INDEX CONCURRENTLY, then ADD CONSTRAINT … USING INDEX) in a revision with `-- transactional: false`: ATTACH PARTITION then attaches them instead",
                );
            }
        }
        if !p.bound.as_ref().is_some_and(|b| b.is_default) {
            self.default_partition_scan(state, at, parent, p.bound.as_ref(), &what);
        }
    }

    /// A new partition of `parent` (`what` adds it): PostgreSQL checks that
    /// no row of the parent's default partition, if one existed before the
    /// revision, falls within the new bound.
    fn default_partition_scan(
        &mut self,
        state: &State,
        at: &StmtRef,
        parent: TableId,
        bound: Option<&protobuf::PartitionBoundSpec>,
        what: &str,
    ) {
        let key = state
            .table(parent)
            .partition_key
            .as_ref()
            .map(|k| k.columns.as_slice());
        let Some(id) = super::partition_pg::default_partition(state, parent) else {
            return;
        };
        let t = state.table(id);
        // The default partition's checks compared with the new bound where
        // the model can read both; else any validated check on the key's
        // columns is taken as proof.
        let spared = bound
            .map(super::lower_pg::partition_bound)
            .and_then(|b| super::partition_pg::checks_exclude(state, parent, id, &b))
            .unwrap_or_else(|| proves_bound(t, key));
        if self.start.is_some_and(|m| state.created_since(m, id)) || spared {
            return;
        }
        self.push_fix(
            Rule::PartitionScan,
            at,
            format!(
                "{what} checks every row of its default partition {} for rows of the new bound under an ACCESS EXCLUSIVE lock on it: no query reads or writes it until the check ends",
                shown(&t.schema, &t.name)
            ),
            "add a CHECK to the default partition that excludes the new bound, NOT VALID and VALIDATE CONSTRAINT it in an earlier revision: PostgreSQL then skips the scan",
        );
    }

    /// `ADD FOREIGN KEY` on partitioned table `id`, which existed before
    /// the revision: PostgreSQL refuses it `NOT VALID`, and checks the rows
    /// of each partition that has no validated equivalent of its own (one
    /// it has is attached without a scan).
    fn partitioned_foreign_key(
        &mut self,
        state: &State,
        at: &StmtRef,
        id: TableId,
        table: &str,
        k: &protobuf::Constraint,
    ) {
        if k.skip_validation {
            // Refused: reported by `unsupported_foreign_key`.
            return;
        }
        let columns: Vec<String> = k.fk_attrs.iter().filter_map(string_of).collect();
        let referenced = k.pktable.as_ref().and_then(|r| table_id(state, r));
        let unproved: Vec<String> = super::partition_pg::partitions(state, id)
            .into_iter()
            .map(|p| state.table(p))
            .filter(|t| t.partition_key.is_none())
            .filter(|t| {
                !t.foreign_keys.iter().any(|f| {
                    !f.not_valid && f.columns == columns && Some(f.ref_table) == referenced
                })
            })
            .map(|t| shown(&t.schema, &t.name))
            .collect();
        if unproved.is_empty() {
            return;
        }
        self.push_fix(
            Rule::ConstraintNotValid,
            at,
            format!(
                "ADD FOREIGN KEY on partitioned table {table} checks every row of {} under a SHARE ROW EXCLUSIVE lock: writes wait until the check ends, and PostgreSQL cannot add it NOT VALID to a partitioned table",
                unproved.join(", ")
            ),
            FOREIGN_KEY_RECIPE,
        );
    }

    /// `ADD FOREIGN KEY … NOT VALID` on a partitioned table, new or not.
    fn unsupported_foreign_key(&mut self, at: &StmtRef, table: &str, k: &protobuf::Constraint) {
        if k.contype() == ConstrType::ConstrForeign && k.skip_validation {
            self.push_fix(
                Rule::PartitionedUnsupported,
                at,
                format!(
                    "ADD FOREIGN KEY … NOT VALID on partitioned table {table}: PostgreSQL refuses it (cannot add NOT VALID foreign key on partitioned table) and the revision fails"
                ),
                FOREIGN_KEY_RECIPE,
            );
        }
    }

    /// A primary key or unique constraint `k` (of `column`, written with
    /// it) on partitioned table `table` with partition key `key`.
    fn unique_without_key(
        &mut self,
        at: &StmtRef,
        table: &str,
        key: &[Option<String>],
        k: &protobuf::Constraint,
        column: Option<&str>,
    ) {
        let kind = match k.contype() {
            ConstrType::ConstrPrimary => "PRIMARY KEY",
            ConstrType::ConstrUnique => "UNIQUE",
            _ => return,
        };
        if !k.indexname.is_empty() {
            return;
        }
        let columns: Vec<String> = match column {
            Some(c) => vec![c.to_owned()],
            None => k.keys.iter().filter_map(string_of).collect(),
        };
        self.key_lacks_partition_column(at, kind, table, key, &columns);
    }

    /// A unique key or index of `columns` on partitioned table `table`:
    /// PostgreSQL refuses it unless it has every column of the partition
    /// key (a key with an expression is not looked at).
    fn key_lacks_partition_column(
        &mut self,
        at: &StmtRef,
        kind: &str,
        table: &str,
        key: &[Option<String>],
        columns: &[String],
    ) {
        let Some(key) = key.iter().cloned().collect::<Option<Vec<String>>>() else {
            return;
        };
        let Some(lacking) = key.iter().find(|k| !columns.contains(k)) else {
            return;
        };
        self.push_fix(
            Rule::PartitionedUnsupported,
            at,
            format!(
                "{kind} ({}) on partitioned table {table} lacks column {lacking} of its partition key: PostgreSQL refuses it (unique constraint on partitioned table must include all partitioning columns) and the revision fails",
                columns.join(", ")
            ),
            "add the partition key's columns to it: PostgreSQL enforces uniqueness within each partition, so a key unique across partitions must include them",
        );
    }

    fn add_constraint(&mut self, at: &StmtRef, table: &str, k: &protobuf::Constraint) {
        match k.contype() {
            ConstrType::ConstrForeign | ConstrType::ConstrCheck if !k.skip_validation => {
                let what = if k.contype() == ConstrType::ConstrForeign {
                    let referenced = k
                        .pktable
                        .as_ref()
                        .map(|r| {
                            let (s, n) = range_name(r);
                            shown(&s, &n)
                        })
                        .unwrap_or_default();
                    let locked = if referenced == table || referenced.is_empty() {
                        table.to_owned()
                    } else {
                        format!("{table} and {referenced}")
                    };
                    format!(
                        "ADD FOREIGN KEY without NOT VALID checks every row of table {table} while it holds a SHARE ROW EXCLUSIVE lock on {locked}: writes wait until the check ends"
                    )
                } else {
                    format!(
                        "ADD CHECK without NOT VALID checks every row of table {table} under an ACCESS EXCLUSIVE lock: no query reads or writes it until the check ends"
                    )
                };
                self.push(Rule::ConstraintNotValid, at, what);
            }
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique if k.indexname.is_empty() => {
                let kind = if k.contype() == ConstrType::ConstrPrimary {
                    "ADD PRIMARY KEY"
                } else {
                    "ADD UNIQUE"
                };
                self.push(
                    Rule::KeyWithoutIndex,
                    at,
                    format!(
                        "{kind} builds its index on table {table} under an ACCESS EXCLUSIVE lock: no query reads or writes it until the index is built"
                    ),
                );
            }
            // The same lock and build as a key, and no way around it:
            // PostgreSQL has no `EXCLUDE … USING INDEX`.
            ConstrType::ConstrExclusion => self.push_fix(
                Rule::KeyWithoutIndex,
                at,
                format!(
                    "ADD EXCLUDE builds its index on table {table} and checks every row under an ACCESS EXCLUSIVE lock: no query reads or writes it until the index is built"
                ),
                "PostgreSQL cannot add an exclusion constraint USING INDEX or CONCURRENTLY: add it while the table is small or quiet, with a lock_timeout, or create it with the table",
            ),
            _ => {}
        }
    }

    fn set_not_null(
        &mut self,
        state: &State,
        at: &StmtRef,
        id: TableId,
        table: &str,
        column: &str,
    ) {
        // Already NOT NULL: nothing to scan.
        if state.table(id).column(column).is_some_and(|c| !c.nullable) {
            return;
        }
        if self.options.postgres_version < 12 {
            self.push_fix(
                Rule::SetNotNull,
                at,
                format!(
                    "SET NOT NULL on {table}.{column} scans every row under an ACCESS EXCLUSIVE lock: before PostgreSQL 12 no check constraint spares the scan"
                ),
                "allow the statement if the table is small, or keep the column nullable with a validated CHECK (column IS NOT NULL)",
            );
            return;
        }
        let proven = state.table(id).checks.iter().any(|c| {
            not_null_sql(&c.expression.sql).is_some_and(|c| c.eq_ignore_ascii_case(column))
        }) && !self
            .unvalidated
            .iter()
            .any(|(t, c)| *t == id && c.eq_ignore_ascii_case(column));
        if !proven {
            self.push(
                Rule::SetNotNull,
                at,
                format!(
                    "SET NOT NULL on {table}.{column} scans every row under an ACCESS EXCLUSIVE lock: no validated CHECK ({column} IS NOT NULL) proves it first"
                ),
            );
        }
    }

    fn add_column(&mut self, at: &StmtRef, table: &str, c: &protobuf::ColumnDef) {
        let column = &c.colname;
        let base = c.type_name.as_ref().map(type_of).map(|t| t.base);
        let serial = base.as_deref().is_some_and(is_serial);
        let mut not_null = c.is_not_null;
        let mut default = c.raw_default.as_deref();
        let mut filled = None;
        if serial {
            filled = Some("a serial column");
        }
        if !c.identity.is_empty() {
            filled = Some("an identity column");
        }
        for k in &c.constraints {
            let Some(N::Constraint(k)) = k.node.as_ref() else {
                continue;
            };
            match k.contype() {
                ConstrType::ConstrNotnull => not_null = true,
                ConstrType::ConstrPrimary | ConstrType::ConstrUnique => {
                    not_null |= k.contype() == ConstrType::ConstrPrimary;
                    self.push_fix(
                        Rule::KeyWithoutIndex,
                        at,
                        format!(
                            "ADD COLUMN {table}.{column} with a key builds its index on table {table} under an ACCESS EXCLUSIVE lock: no query reads or writes it until the index is built"
                        ),
                        "add the column, CREATE UNIQUE INDEX CONCURRENTLY on it in a revision with `-- transactional: false`, then ADD … USING INDEX",
                    );
                }
                ConstrType::ConstrForeign => self.push_fix(
                    Rule::ConstraintNotValid,
                    at,
                    format!(
                        "ADD COLUMN {table}.{column} REFERENCES checks every row of table {table} while it holds a SHARE ROW EXCLUSIVE lock on the referenced table: its writes wait until the check ends"
                    ),
                    "add the column, then its foreign key NOT VALID, then VALIDATE CONSTRAINT in a later revision",
                ),
                ConstrType::ConstrDefault => default = k.raw_expr.as_deref().or(default),
                ConstrType::ConstrIdentity => filled = Some("an identity column"),
                ConstrType::ConstrGenerated if k.generated_kind != "v" => {
                    filled = Some("a stored generated column");
                }
                _ => {}
            }
        }
        let default = default.filter(|d| !is_null_const(d));
        let volatile = if let Some(what) = filled {
            Some(format!("adding {what}"))
        } else if let Some(d) = default {
            if self.options.postgres_version < 11 {
                Some("a default before PostgreSQL 11".to_owned())
            } else {
                volatile_call(d).map(|f| format!("the volatile default {f}()"))
            }
        } else {
            None
        };
        if let Some(why) = volatile {
            self.push(
                Rule::VolatileDefault,
                at,
                format!(
                    "ADD COLUMN {table}.{column} with {why} writes a value into every existing row, rewriting table {table} under an ACCESS EXCLUSIVE lock"
                ),
            );
        }
        if not_null && default.is_none() && filled.is_none() {
            self.push(
                Rule::AddNotNullColumn,
                at,
                format!(
                    "ADD COLUMN {table}.{column} NOT NULL without a DEFAULT fails as soon as table {table} has a row (PostgreSQL: \"column contains null values\"), and code still inserting without it fails after"
                ),
            );
        }
    }

    fn alter_type(
        &mut self,
        state: &State,
        at: &StmtRef,
        id: TableId,
        table: &str,
        column: &str,
        c: &protobuf::ColumnDef,
    ) {
        self.column_hygiene(at, column, c);
        let Some(new) = c.type_name.as_ref() else {
            return;
        };
        let Some(old) = state.table(id).column(column) else {
            return;
        };
        let target: Vec<String> = new.names.iter().filter_map(string_of).collect();
        if let Some(to) = list_name(&target) {
            let lost = self.enum_lost(state, &old.data_type, &to);
            if !lost.is_empty() {
                // Its message says the table is rewritten: `rewrite-type`
                // would only repeat it.
                let lost: Vec<String> = lost
                    .iter()
                    .map(|v| format!("'{}'", v.escape_debug()))
                    .collect();
                self.push(
                    Rule::EnumValueRemoved,
                    at,
                    format!(
                        "converting {table}.{column} to enum {} removes the value(s) {}: the conversion rewrites table {table} under an ACCESS EXCLUSIVE lock and fails on the first row holding one of them",
                        shown(&to.0, &to.1),
                        lost.join(", ")
                    ),
                );
                return;
            }
        }
        if !state.is_certain(id) {
            return;
        }
        let from = type_from_sql(&old.data_type);
        let to = type_of(new);
        let change = match classify(&from, &to) {
            Change::Narrow => Change::Narrow,
            _ if c.raw_default.is_some() => Change::Rewrite,
            other => other,
        };
        let shown_to = to.shown();
        match change {
            Change::Cheap => {}
            Change::Rewrite => self.push(
                Rule::RewriteType,
                at,
                format!(
                    "changing {table}.{column} from {} to {shown_to} rewrites table {table} and its indexes under an ACCESS EXCLUSIVE lock: no query reads or writes it until the rewrite ends",
                    old.data_type
                ),
            ),
            Change::Narrow => self.push(
                Rule::NarrowingType,
                at,
                format!(
                    "changing {table}.{column} from {} to the narrower {shown_to} fails on a value that does not fit, and code still writing such values fails after; it also rewrites table {table} under an ACCESS EXCLUSIVE lock",
                    old.data_type
                ),
            ),
        }
    }

    /// The hygiene rules on a column's definition.
    fn column_hygiene(&mut self, at: &StmtRef, column: &str, c: &protobuf::ColumnDef) {
        let Some(t) = c.type_name.as_ref().map(type_of) else {
            return;
        };
        let key = c.constraints.iter().any(|k| {
            matches!(k.node.as_ref(), Some(N::Constraint(k))
                if matches!(k.contype(), ConstrType::ConstrPrimary | ConstrType::ConstrIdentity))
        }) || !c.identity.is_empty();
        if is_serial(&t.base) && t.base != "bigserial" && t.base != "serial8" {
            self.push(
                Rule::PreferBigintIdentity,
                at,
                format!(
                    "column {column} is {}: its 32-bit (or 16-bit) sequence runs out, and serial's sequence is not tied to the column as an identity is",
                    t.base
                ),
            );
        } else if is_serial(&t.base) {
            self.push(
                Rule::PreferBigintIdentity,
                at,
                format!(
                    "column {column} is bigserial: an identity column ties its sequence to the column (permissions, copies, GENERATED ALWAYS)"
                ),
            );
        } else if key && matches!(t.base.as_str(), "int4" | "int2") {
            self.push(
                Rule::PreferBigintIdentity,
                at,
                format!(
                    "key column {column} is {}: its values run out at 2^31 (or 2^15)",
                    t.shown()
                ),
            );
        }
        match t.base.as_str() {
            "timestamp" => self.push(
                Rule::PreferTimestamptzText,
                at,
                format!(
                    "column {column} is timestamp without time zone: its values depend on the writer's time zone"
                ),
            ),
            "varchar" | "bpchar" if !t.mods.is_empty() => self.push(
                Rule::PreferTimestamptzText,
                at,
                format!(
                    "column {column} is {}: widening the limit later takes a lock, and char pads with spaces",
                    t.shown()
                ),
            ),
            _ => {}
        }
    }
}

/// A type as the lint compares it: canonical base name, modifiers, array.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Ty {
    base: String,
    mods: Vec<i64>,
    array: bool,
}

impl Ty {
    fn shown(&self) -> String {
        let mut s = self.base.clone();
        if !self.mods.is_empty() {
            let mods: Vec<String> = self.mods.iter().map(i64::to_string).collect();
            s.push_str(&format!("({})", mods.join(", ")));
        }
        if self.array {
            s.push_str("[]");
        }
        s
    }
}

/// What a type change costs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Change {
    /// No rewrite and no scan.
    Cheap,
    /// The table is rewritten.
    Rewrite,
    /// Values may not fit.
    Narrow,
}

fn canonical(base: &str) -> String {
    let base = base.trim().to_ascii_lowercase();
    let base = base.strip_prefix("pg_catalog.").unwrap_or(&base).to_owned();
    match base.as_str() {
        "character varying" | "varchar" => "varchar",
        "character" | "char" | "bpchar" => "bpchar",
        "integer" | "int" | "int4" => "int4",
        "smallint" | "int2" => "int2",
        "bigint" | "int8" => "int8",
        "decimal" | "numeric" => "numeric",
        "timestamp" | "timestamp without time zone" => "timestamp",
        "timestamptz" | "timestamp with time zone" => "timestamptz",
        "bit varying" | "varbit" => "varbit",
        "double precision" | "float8" => "float8",
        "real" | "float4" => "float4",
        "boolean" | "bool" => "bool",
        other => other,
    }
    .to_owned()
}

fn type_of(t: &protobuf::TypeName) -> Ty {
    let names: Vec<String> = t.names.iter().filter_map(string_of).collect();
    let base = names.last().cloned().unwrap_or_default();
    let mods = t
        .typmods
        .iter()
        .filter_map(|m| match m.node.as_ref() {
            Some(N::AConst(c)) => match c.val.as_ref() {
                Some(protobuf::a_const::Val::Ival(i)) => Some(i64::from(i.ival)),
                _ => None,
            },
            _ => None,
        })
        .collect();
    Ty {
        base: canonical(&base),
        mods,
        array: !t.array_bounds.is_empty(),
    }
}

/// A type as the model writes it (`character varying(20)`, `numeric(10, 2)[]`).
fn type_from_sql(sql: &str) -> Ty {
    let mut s = sql.trim();
    let mut array = false;
    while let Some(rest) = s.strip_suffix("[]") {
        array = true;
        s = rest.trim_end();
    }
    let (base, mods) = match s.split_once('(') {
        Some((base, rest)) => {
            let inner = rest.split(')').next().unwrap_or("");
            let mods = inner
                .split(',')
                .filter_map(|m| m.trim().parse::<i64>().ok())
                .collect();
            // `timestamp(3) with time zone`: the words after the modifier.
            let after = rest.split_once(')').map(|(_, a)| a.trim()).unwrap_or("");
            (format!("{} {after}", base.trim()), mods)
        }
        None => (s.to_owned(), Vec::new()),
    };
    Ty {
        base: canonical(&base),
        mods,
        array,
    }
}

/// What changing a column from `old` to `new` costs, without USING.
fn classify(old: &Ty, new: &Ty) -> Change {
    if old.array != new.array {
        return Change::Rewrite;
    }
    let widen = |old: &[i64], new: &[i64]| match (old.first(), new.first()) {
        (_, None) => Change::Cheap,
        (None, Some(_)) => Change::Narrow,
        (Some(a), Some(b)) if b >= a => Change::Cheap,
        _ => Change::Narrow,
    };
    match (old.base.as_str(), new.base.as_str()) {
        (a, b) if a == b && old.mods == new.mods => Change::Cheap,
        ("varchar", "varchar") | ("varbit", "varbit") => widen(&old.mods, &new.mods),
        ("timestamp", "timestamp") | ("timestamptz", "timestamptz") | ("time", "time") => {
            widen(&old.mods, &new.mods)
        }
        ("varchar", "text") | ("cidr", "inet") => Change::Cheap,
        ("text", "varchar") => widen(&[], &new.mods),
        ("numeric", "numeric") => match (old.mods.as_slice(), new.mods.as_slice()) {
            (_, []) => Change::Cheap,
            ([], _) => Change::Narrow,
            (o, n) => {
                let (p, s) = (o[0], o.get(1).copied().unwrap_or(0));
                let (p2, s2) = (n[0], n.get(1).copied().unwrap_or(0));
                if s2 < s || p2 - s2 < p - s {
                    Change::Narrow
                } else if s2 == s {
                    Change::Cheap
                } else {
                    Change::Rewrite
                }
            }
        },
        ("bpchar", "bpchar") => match widen(&old.mods, &new.mods) {
            Change::Narrow => Change::Narrow,
            _ => Change::Rewrite,
        },
        ("int8", "int4" | "int2") | ("int4", "int2") => Change::Narrow,
        _ => Change::Rewrite,
    }
}

fn is_serial(base: &str) -> bool {
    matches!(
        base,
        "serial" | "serial4" | "bigserial" | "serial8" | "smallserial" | "serial2"
    )
}

/// Functions whose value differs per row: a column added with one as its
/// default is written into every row.
const VOLATILE: &[&str] = &[
    "random",
    "gen_random_uuid",
    "uuid_generate_v1",
    "uuid_generate_v1mc",
    "uuid_generate_v4",
    "uuidv4",
    "uuidv7",
    "clock_timestamp",
    "timeofday",
    "nextval",
    "random_normal",
];

/// The first known volatile function an expression calls.
fn volatile_call(node: &protobuf::Node) -> Option<String> {
    let name_of = |f: &protobuf::FuncCall| {
        f.funcname
            .last()
            .and_then(string_of)
            .map(|n| n.to_ascii_lowercase())
            .filter(|n| VOLATILE.contains(&n.as_str()))
    };
    let n = node.node.as_ref()?;
    if let N::FuncCall(f) = n
        && let Some(name) = name_of(f)
    {
        return Some(name);
    }
    n.nodes().into_iter().find_map(|(child, ..)| match child {
        NodeRef::FuncCall(f) => name_of(f),
        _ => None,
    })
}

fn is_null_const(node: &protobuf::Node) -> bool {
    matches!(node.node.as_ref(), Some(N::AConst(c)) if c.isnull)
}

/// The column of `column IS NOT NULL`, as a tree.
fn not_null_node(node: &protobuf::Node) -> Option<String> {
    let Some(N::NullTest(t)) = node.node.as_ref() else {
        return None;
    };
    if t.nulltesttype() != protobuf::NullTestType::IsNotNull {
        return None;
    }
    match t.arg.as_deref().and_then(|a| a.node.as_ref()) {
        Some(N::ColumnRef(c)) => c.fields.last().and_then(string_of),
        _ => None,
    }
}

/// The column of `column IS NOT NULL`, as the model writes a check.
/// Whether `t` has a validated check that may prove a partition bound on
/// `key`: one that names every column of the key (any check, when the key
/// is not known), other than `column IS NOT NULL`. The check is not
/// compared with the bound itself.
fn proves_bound(t: &TableState, key: Option<&[String]>) -> bool {
    t.checks.iter().any(|c| {
        !c.not_valid
            && not_null_sql(&c.expression.sql).is_none()
            && key.is_none_or(|k| k.iter().all(|col| c.expression.columns.contains(col)))
    })
}

fn not_null_sql(sql: &str) -> Option<String> {
    let s: String = sql
        .chars()
        .filter(|c| !c.is_whitespace() && *c != '(' && *c != ')')
        .collect();
    let lower = s.to_ascii_lowercase();
    let column = &s[..lower.strip_suffix("isnotnull")?.len()];
    let column = column.trim_matches('"');
    (!column.is_empty() && !column.contains(['.', ' '])).then(|| column.to_owned())
}

fn has_option(options: &[protobuf::Node], name: &str) -> bool {
    options.iter().any(|o| match o.node.as_ref() {
        Some(N::DefElem(d)) if d.defname.eq_ignore_ascii_case(name) => {
            match d.arg.as_deref().and_then(|a| a.node.as_ref()) {
                Some(N::Boolean(b)) => b.boolval,
                Some(N::String(s)) => {
                    !matches!(s.sval.to_ascii_lowercase().as_str(), "false" | "off" | "0")
                }
                Some(N::Integer(i)) => i.ival != 0,
                _ => true,
            }
        }
        _ => false,
    })
}

fn vacuum_relations(s: &protobuf::VacuumStmt) -> Vec<&protobuf::RangeVar> {
    s.rels
        .iter()
        .filter_map(|r| match r.node.as_ref() {
            Some(N::VacuumRelation(v)) => v.relation.as_ref(),
            _ => None,
        })
        .collect()
}

/// The way to a foreign key on a partitioned table without reading its
/// rows under the lock.
const FOREIGN_KEY_RECIPE: &str = "add it NOT VALID to each partition, VALIDATE CONSTRAINT them in a later revision, then add it to the partitioned table, which takes them over without a scan";

/// The partition key of the table `r` names, when it is a partitioned
/// table: each element, a column or `None` for an expression.
fn partition_key_of(state: &State, r: &protobuf::RangeVar) -> Option<Vec<Option<String>>> {
    let id = table_id(state, r)?;
    Some(state.table(id).partition_key.as_ref()?.elements.clone())
}

/// The constraints written with a column.
fn column_constraints(c: &protobuf::ColumnDef) -> impl Iterator<Item = &protobuf::Constraint> {
    c.constraints.iter().filter_map(|k| match k.node.as_ref() {
        Some(N::Constraint(k)) => Some(k.as_ref()),
        _ => None,
    })
}

fn table_id(state: &State, r: &protobuf::RangeVar) -> Option<TableId> {
    let (schema, name) = range_name(r);
    match state.relation(&schema, &name) {
        Some(Relation::Table(id)) => Some(id),
        _ => None,
    }
}

fn range_name(r: &protobuf::RangeVar) -> (String, String) {
    let schema = if r.schemaname.is_empty() {
        DEFAULT_SCHEMA.to_owned()
    } else {
        r.schemaname.clone()
    };
    (schema, r.relname.clone())
}

fn shown(schema: &str, name: &str) -> String {
    if schema == DEFAULT_SCHEMA {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

fn string_of(node: &protobuf::Node) -> Option<String> {
    match node.node.as_ref()? {
        N::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

fn unquote(name: &str) -> String {
    let name = name.trim();
    match name.strip_prefix('"').and_then(|n| n.strip_suffix('"')) {
        Some(quoted) => quoted.replace("\"\"", "\""),
        None => name.to_owned(),
    }
}

fn object_names(node: &protobuf::Node) -> Vec<String> {
    match node.node.as_ref() {
        Some(N::List(l)) => l.items.iter().filter_map(string_of).collect(),
        Some(N::TypeName(t)) => t.names.iter().filter_map(string_of).collect(),
        Some(N::String(s)) => vec![s.sval.clone()],
        _ => Vec::new(),
    }
}

fn list_name(names: &[String]) -> Option<(String, String)> {
    match names {
        [name] => Some((DEFAULT_SCHEMA.to_owned(), name.clone())),
        [schema, name] | [_, schema, name] => Some((schema.clone(), name.clone())),
        _ => None,
    }
}

#[cfg(test)]
mod tests;
