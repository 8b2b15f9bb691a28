//! Comparing two schemas: the operations that turn `current` into `target`.
//!
//! Objects are matched by name (schemas, enum types, tables, columns,
//! indexes) and constraints by content — columns, referenced table and
//! columns, actions, canonical expression — where either side has no name,
//! and by name and content where both have one (with
//! [`DiffOptions::compare_names`], a name on one side only is a
//! difference). Types, defaults and
//! expressions are compared in their [canonical forms](crate::canon).
//!
//! The list is in an order the database accepts: schemas, enum types,
//! foreign keys that go away, other constraints and indexes that go away,
//! new tables (referenced tables first; a foreign key in a cycle is added
//! after all tables exist), column changes, new constraints and indexes,
//! new foreign keys, comments, dropped tables (referencing tables first),
//! and dropped types and schemas last. Each [`Change`] carries what is
//! needed to render it and its [inverse](Change::inverse), so the
//! downgrade is the inverses in reverse order.

use std::collections::{BTreeMap, BTreeSet};

use migrate_core::sql::Dialect;
use migrate_core::{escape_control, quote_ident};

use crate::canon::{
    canonical_expression, canonical_type, same_default, same_expression, same_type,
};
use crate::kinds::{self, KindChange};
use crate::model::{
    CheckConstraint, Column, EnumType, Exclusion, ForeignKey, Function, Identity, Index, IndexKey,
    PrimaryKey, Privilege, QualifiedName, Schema, Table, Trigger, UniqueConstraint, View,
};

/// What the comparison looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DiffOptions {
    /// Compare column types (default `true`).
    pub compare_type: bool,
    /// Compare server defaults (default `true`).
    pub compare_server_default: bool,
    /// Compare every schema, and the set of schemas itself; when `false`
    /// (the default) only objects in the default schema are compared.
    pub include_schemas: bool,
    /// Let constraint names count wherever one side knows a name: a key
    /// declared without a name (which the database names `t_c_key`, or
    /// `t_c_key1` when that is taken) then differs from a named one. When
    /// `false` (the default, what autogenerate wants) an unnamed
    /// constraint matches a named one of the same content; two names that
    /// differ always differ, and indexes are always matched by name.
    pub compare_names: bool,
    /// Compare privileges on tables, views, materialized views and
    /// sequences ([`Schema::grants`], PostgreSQL; default `false`: both
    /// sides' grants are left out).
    pub compare_grants: bool,
}

impl Default for DiffOptions {
    fn default() -> DiffOptions {
        DiffOptions {
            compare_type: true,
            compare_server_default: true,
            include_schemas: false,
            compare_names: false,
            compare_grants: false,
        }
    }
}

/// What a comment is on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CommentTarget {
    /// `COMMENT ON TABLE`.
    Table(QualifiedName),
    /// `COMMENT ON COLUMN table.column`.
    Column(QualifiedName, String),
    /// `COMMENT ON TYPE`.
    Type(QualifiedName),
    /// `COMMENT ON VIEW` (`true`: `MATERIALIZED VIEW`).
    View(QualifiedName, bool),
}

/// A column whose type is an enum type being changed, with its default on
/// each side of the change.
///
/// PostgreSQL cannot convert a column's default along with its type
/// (`default for column "status" cannot be cast automatically`), so a
/// re-created enum type drops the default of each such column before
/// converting it, and sets the new default after.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumColumn {
    /// The table.
    pub table: QualifiedName,
    /// The column.
    pub column: String,
    /// The column's default before the change.
    pub default: Option<String>,
    /// The column's default after the change (set once the column has the
    /// new type).
    pub new_default: Option<String>,
}

/// One operation of a schema change.
// `RebuildTable` carries two whole tables; a revision holds a handful of
// changes, so boxing them would buy nothing but churn for every match.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// `CREATE SCHEMA`.
    CreateSchema(String),
    /// `DROP SCHEMA`.
    DropSchema(String),
    /// `CREATE TYPE … AS ENUM`, with its comment.
    CreateEnum(EnumType),
    /// `DROP TYPE`.
    DropEnum(EnumType),
    /// `ALTER TYPE … ADD VALUE` at the end of the list. The inverse
    /// re-creates the type without it, so the columns of that type are
    /// carried too.
    AddEnumValue {
        /// The type before the change.
        from: EnumType,
        /// The new label.
        value: String,
        /// Columns of that type.
        columns: Vec<EnumColumn>,
    },
    /// Values removed or reordered: the type is re-created under its name
    /// and its columns converted through `text`.
    ReplaceEnum {
        /// The type before.
        from: EnumType,
        /// The type after.
        to: EnumType,
        /// Columns of that type.
        columns: Vec<EnumColumn>,
    },
    /// `ALTER TABLE … RENAME TO …`, declared in `schema.sql` with
    /// `-- renamed_from:` (see [`crate::rename`]).
    RenameTable {
        /// The old name.
        from: QualifiedName,
        /// The new name (same schema).
        to: QualifiedName,
    },
    /// `ALTER TABLE … RENAME COLUMN … TO …`, declared with
    /// `-- renamed_from:`.
    RenameColumn {
        /// The table, by its name after any table rename.
        table: QualifiedName,
        /// The old name.
        from: String,
        /// The new name.
        to: String,
    },
    /// `CREATE TABLE`, with its indexes and comments.
    CreateTable(Table),
    /// `DROP TABLE` (its indexes and comments go with it).
    DropTable {
        /// The whole table, so the inverse can re-create it.
        table: Table,
        /// A new table with the same columns: probably a rename.
        renamed_to: Option<QualifiedName>,
    },
    /// `ALTER TABLE … ADD COLUMN`.
    AddColumn {
        /// The table.
        table: QualifiedName,
        /// The new column.
        column: Column,
    },
    /// `ALTER TABLE … DROP COLUMN`.
    DropColumn {
        /// The table.
        table: QualifiedName,
        /// The whole column, so the inverse can re-add it.
        column: Column,
        /// A new column of the same type in the same table: probably a rename.
        renamed_to: Option<String>,
    },
    /// `ALTER COLUMN … TYPE`.
    AlterColumnType {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// The type before.
        from: String,
        /// The type after.
        to: String,
    },
    /// `ALTER COLUMN … SET/DROP NOT NULL`.
    AlterColumnNullability {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// `true`: drop `NOT NULL`; `false`: set it.
        nullable: bool,
    },
    /// `ALTER COLUMN … SET/DROP DEFAULT`.
    AlterColumnDefault {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// The default before.
        from: Option<String>,
        /// The default after.
        to: Option<String>,
    },
    /// `ALTER COLUMN … TYPE … COLLATE` (PostgreSQL; SQLite rebuilds the
    /// table): the column's collation.
    AlterColumnCollation {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// The column's type (after any type change), which PostgreSQL's
        /// `ALTER COLUMN … TYPE` restates.
        data_type: String,
        /// The collation before (`None`: the type's default).
        from: Option<String>,
        /// The collation after.
        to: Option<String>,
    },
    /// `ALTER TABLE … SET (…)` / `RESET (…)` (PostgreSQL): the table's
    /// storage parameters.
    SetStorage {
        /// The table.
        table: QualifiedName,
        /// The parameters before.
        from: Vec<(String, String)>,
        /// The parameters after.
        to: Vec<(String, String)>,
    },
    /// `ALTER COLUMN … ADD GENERATED … AS IDENTITY` / `DROP IDENTITY` / `SET
    /// GENERATED`.
    AlterColumnIdentity {
        /// The table.
        table: QualifiedName,
        /// The column.
        column: String,
        /// Identity before.
        from: Option<Identity>,
        /// Identity after.
        to: Option<Identity>,
    },
    /// `ADD PRIMARY KEY`.
    AddPrimaryKey {
        /// The table.
        table: QualifiedName,
        /// The key.
        key: PrimaryKey,
    },
    /// `DROP CONSTRAINT` of a primary key.
    DropPrimaryKey {
        /// The table.
        table: QualifiedName,
        /// The key.
        key: PrimaryKey,
    },
    /// `ADD … UNIQUE`.
    AddUnique {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        constraint: UniqueConstraint,
    },
    /// `DROP CONSTRAINT` of a unique constraint.
    DropUnique {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        constraint: UniqueConstraint,
    },
    /// `ADD … FOREIGN KEY`.
    AddForeignKey {
        /// The table.
        table: QualifiedName,
        /// The key.
        key: ForeignKey,
    },
    /// `DROP CONSTRAINT` of a foreign key.
    DropForeignKey {
        /// The table.
        table: QualifiedName,
        /// The key.
        key: ForeignKey,
    },
    /// `ADD … CHECK`.
    AddCheck {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        constraint: CheckConstraint,
    },
    /// `DROP CONSTRAINT` of a check constraint.
    DropCheck {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        constraint: CheckConstraint,
    },
    /// `ADD CONSTRAINT … EXCLUDE` (PostgreSQL).
    AddExclusion {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        constraint: Exclusion,
    },
    /// `DROP CONSTRAINT` of an exclusion constraint (PostgreSQL).
    DropExclusion {
        /// The table.
        table: QualifiedName,
        /// The constraint.
        constraint: Exclusion,
    },
    /// `CREATE INDEX`.
    CreateIndex {
        /// The table.
        table: QualifiedName,
        /// The index.
        index: Index,
    },
    /// `DROP INDEX`.
    DropIndex {
        /// The table.
        table: QualifiedName,
        /// The index.
        index: Index,
    },
    /// `COMMENT ON … IS …` (PostgreSQL).
    SetComment {
        /// What the comment is on.
        target: CommentTarget,
        /// The comment before.
        from: Option<String>,
        /// The comment after (`None`: `IS NULL`).
        to: Option<String>,
    },
    /// SQLite: the table is re-created with the new definition and its
    /// rows copied, because `ALTER TABLE` cannot make the change.
    RebuildTable {
        /// The table before.
        from: Table,
        /// The table after.
        to: Table,
    },
    /// An extension, domain, composite or range type, or sequence
    /// (PostgreSQL; see [`crate::kinds`]).
    Kind(KindChange),
    /// `CREATE [MATERIALIZED] VIEW`.
    CreateView(View),
    /// `DROP [MATERIALIZED] VIEW`.
    DropView(View),
    /// `CREATE OR REPLACE VIEW` (PostgreSQL, when the view keeps its
    /// columns).
    ReplaceView {
        /// The view before.
        from: View,
        /// The view after.
        to: View,
    },
    /// `CREATE FUNCTION` / `CREATE PROCEDURE`.
    CreateFunction(Function),
    /// `DROP FUNCTION` / `DROP PROCEDURE`, with its argument types.
    DropFunction(Function),
    /// `CREATE OR REPLACE FUNCTION` / `PROCEDURE` (same arguments and
    /// result).
    ReplaceFunction {
        /// The routine before.
        from: Function,
        /// The routine after.
        to: Function,
    },
    /// `CREATE TRIGGER`.
    CreateTrigger(Trigger),
    /// `DROP TRIGGER`.
    DropTrigger(Trigger),
    /// `GRANT` and `REVOKE` that take an object's privileges (other than
    /// its owner's) from `from` to `to` (PostgreSQL, with
    /// [`DiffOptions::compare_grants`]; see [`crate::grants`]).
    Grants {
        /// The table, view, materialized view, sequence or routine.
        object: QualifiedName,
        /// What kind of object it is.
        on: crate::grants::GrantOn,
        /// The privileges before, each with its grant option.
        from: BTreeMap<Privilege, bool>,
        /// The privileges after.
        to: BTreeMap<Privilege, bool>,
    },
    /// A partition or partition key (PostgreSQL; see
    /// [`crate::partitions`]).
    Partition(crate::partitions::PartitionChange),
}

impl Change {
    /// The operation that undoes this one.
    pub fn inverse(&self) -> Change {
        use Change::*;
        match self.clone() {
            CreateSchema(s) => DropSchema(s),
            DropSchema(s) => CreateSchema(s),
            CreateEnum(e) => DropEnum(e),
            DropEnum(e) => CreateEnum(e),
            AddEnumValue {
                from,
                value,
                columns,
            } => {
                let mut to = from.clone();
                to.values.push(value);
                ReplaceEnum {
                    from: to,
                    to: from,
                    columns,
                }
            }
            ReplaceEnum { from, to, columns } => ReplaceEnum {
                from: to,
                to: from,
                columns: columns
                    .into_iter()
                    .map(|c| EnumColumn {
                        default: c.new_default,
                        new_default: c.default,
                        ..c
                    })
                    .collect(),
            },
            RenameTable { from, to } => RenameTable { from: to, to: from },
            RenameColumn { table, from, to } => RenameColumn {
                table,
                from: to,
                to: from,
            },
            CreateTable(table) => DropTable {
                table,
                renamed_to: None,
            },
            DropTable { table, .. } => CreateTable(table),
            AddColumn { table, column } => DropColumn {
                table,
                column,
                renamed_to: None,
            },
            DropColumn { table, column, .. } => AddColumn { table, column },
            AlterColumnType {
                table,
                column,
                from,
                to,
            } => AlterColumnType {
                table,
                column,
                from: to,
                to: from,
            },
            AlterColumnNullability {
                table,
                column,
                nullable,
            } => AlterColumnNullability {
                table,
                column,
                nullable: !nullable,
            },
            AlterColumnDefault {
                table,
                column,
                from,
                to,
            } => AlterColumnDefault {
                table,
                column,
                from: to,
                to: from,
            },
            AlterColumnIdentity {
                table,
                column,
                from,
                to,
            } => AlterColumnIdentity {
                table,
                column,
                from: to,
                to: from,
            },
            AlterColumnCollation {
                table,
                column,
                data_type,
                from,
                to,
            } => AlterColumnCollation {
                table,
                column,
                data_type,
                from: to,
                to: from,
            },
            SetStorage { table, from, to } => SetStorage {
                table,
                from: to,
                to: from,
            },
            AddPrimaryKey { table, key } => DropPrimaryKey { table, key },
            DropPrimaryKey { table, key } => AddPrimaryKey { table, key },
            AddUnique { table, constraint } => DropUnique { table, constraint },
            DropUnique { table, constraint } => AddUnique { table, constraint },
            AddForeignKey { table, key } => DropForeignKey { table, key },
            DropForeignKey { table, key } => AddForeignKey { table, key },
            AddCheck { table, constraint } => DropCheck { table, constraint },
            DropCheck { table, constraint } => AddCheck { table, constraint },
            AddExclusion { table, constraint } => DropExclusion { table, constraint },
            DropExclusion { table, constraint } => AddExclusion { table, constraint },
            CreateIndex { table, index } => DropIndex { table, index },
            DropIndex { table, index } => CreateIndex { table, index },
            SetComment { target, from, to } => SetComment {
                target,
                from: to,
                to: from,
            },
            RebuildTable { from, to } => RebuildTable { from: to, to: from },
            Kind(k) => Kind(k.inverse()),
            CreateView(v) => DropView(v),
            DropView(v) => CreateView(v),
            ReplaceView { from, to } => ReplaceView { from: to, to: from },
            CreateFunction(f) => DropFunction(f),
            DropFunction(f) => CreateFunction(f),
            ReplaceFunction { from, to } => ReplaceFunction { from: to, to: from },
            CreateTrigger(t) => DropTrigger(t),
            DropTrigger(t) => CreateTrigger(t),
            Grants {
                object,
                on,
                from,
                to,
            } => Grants {
                object,
                on,
                from: to,
                to: from,
            },
            Partition(p) => Partition(p.inverse()),
        }
    }

    /// Whether the change can lose data or fail on existing rows: drops
    /// of schemas, types, tables and columns, enum values removed, type
    /// changes other than known widenings, `SET NOT NULL`, and table
    /// rebuilds that drop columns or change their types.
    pub fn is_destructive(&self) -> bool {
        match self {
            Change::DropSchema(_)
            | Change::DropEnum(_)
            | Change::DropTable { .. }
            | Change::DropColumn { .. } => true,
            Change::ReplaceEnum { from, to, .. } => {
                from.values.iter().any(|v| !to.values.contains(v))
            }
            Change::AlterColumnType { from, to, .. } => !is_widening(from, to),
            Change::AlterColumnNullability { nullable, .. } => !nullable,
            Change::Kind(k) => k.is_destructive(),
            Change::Partition(p) => p.is_destructive(),
            Change::RebuildTable { from, to } => {
                // Key columns are NOT NULL whatever SQLite reports.
                let key = |c: &Column| {
                    from.primary_key
                        .as_ref()
                        .is_some_and(|k| k.columns.contains(&c.name))
                };
                from.columns.iter().any(|c| match to.column(&c.name) {
                    None => true,
                    Some(n) => {
                        (!same_type(&c.data_type, &n.data_type, Dialect::Sqlite)
                            && !is_widening(&c.data_type, &n.data_type))
                            || (c.nullable && !n.nullable && !key(c))
                    }
                })
            }
            _ => false,
        }
    }

    /// A short description, e.g. `add column users.email`, on one line:
    /// control characters in names are escaped (`\n`).
    pub fn summary(&self) -> String {
        escape_control(&self.raw_summary()).into_owned()
    }

    fn raw_summary(&self) -> String {
        match self {
            Change::CreateSchema(s) => format!("create schema {s}"),
            Change::DropSchema(s) => format!("drop schema {s}"),
            Change::CreateEnum(e) => format!("create type {}", e.name),
            Change::DropEnum(e) => format!("drop type {}", e.name),
            Change::AddEnumValue { from, value, .. } => {
                format!("add value '{value}' to type {}", from.name)
            }
            Change::ReplaceEnum { from, .. } => format!("change the values of type {}", from.name),
            Change::RenameTable { from, to } => format!("rename table {from} to {}", to.name),
            Change::RenameColumn { table, from, to } => {
                format!("rename column {table}.{from} to {to}")
            }
            Change::CreateTable(t) => format!("create table {}", t.name),
            Change::DropTable { table, .. } => format!("drop table {}", table.name),
            Change::AddColumn { table, column } => format!("add column {table}.{}", column.name),
            Change::DropColumn { table, column, .. } => {
                format!("drop column {table}.{}", column.name)
            }
            Change::AlterColumnType {
                table,
                column,
                from,
                to,
            } => format!("change type of {table}.{column} from {from} to {to}"),
            Change::AlterColumnNullability {
                table,
                column,
                nullable,
            } => format!(
                "make {table}.{column} {}",
                if *nullable { "nullable" } else { "NOT NULL" }
            ),
            Change::AlterColumnDefault { table, column, .. } => {
                format!("change default of {table}.{column}")
            }
            Change::AlterColumnIdentity { table, column, .. } => {
                format!("change identity of {table}.{column}")
            }
            Change::AlterColumnCollation {
                table, column, to, ..
            } => format!(
                "change collation of {table}.{column} to {}",
                to.as_deref().unwrap_or("the default")
            ),
            Change::SetStorage { table, .. } => format!("change storage parameters of {table}"),
            Change::AddPrimaryKey { table, .. } => format!("add primary key on {table}"),
            Change::DropPrimaryKey { table, .. } => format!("drop primary key of {table}"),
            Change::AddUnique { table, constraint } => {
                format!("add unique ({}) on {table}", constraint.columns.join(", "))
            }
            Change::DropUnique { table, constraint } => {
                format!("drop unique ({}) of {table}", constraint.columns.join(", "))
            }
            Change::AddForeignKey { table, key } => format!(
                "add foreign key ({}) on {table} to {}",
                key.columns.join(", "),
                key.ref_table
            ),
            Change::DropForeignKey { table, key } => format!(
                "drop foreign key ({}) of {table} to {}",
                key.columns.join(", "),
                key.ref_table
            ),
            Change::AddCheck { table, constraint } => {
                format!("add check ({}) on {table}", constraint.expression)
            }
            Change::DropCheck { table, constraint } => {
                format!("drop check ({}) of {table}", constraint.expression)
            }
            Change::AddExclusion { table, constraint } => {
                format!("add exclusion constraint {} on {table}", constraint.name)
            }
            Change::DropExclusion { table, constraint } => {
                format!("drop exclusion constraint {} of {table}", constraint.name)
            }
            Change::CreateIndex { index, .. } => format!("create index {}", index.name),
            Change::DropIndex { index, .. } => format!("drop index {}", index.name),
            Change::SetComment { target, .. } => match target {
                CommentTarget::Table(t) => format!("comment on table {t}"),
                CommentTarget::Column(t, c) => format!("comment on column {t}.{c}"),
                CommentTarget::Type(t) => format!("comment on type {t}"),
                CommentTarget::View(v, _) => format!("comment on view {v}"),
            },
            Change::RebuildTable { to, .. } => format!("rebuild table {}", to.name),
            Change::Kind(k) => k.summary(),
            Change::CreateView(v) => format!("create {} {}", view_word(v), v.name),
            Change::DropView(v) => format!("drop {} {}", view_word(v), v.name),
            Change::ReplaceView { to, .. } => format!("replace {} {}", view_word(to), to.name),
            Change::CreateFunction(f) => {
                format!("create {} {}({})", routine_word(f), f.name, f.arg_types)
            }
            Change::DropFunction(f) => {
                format!("drop {} {}({})", routine_word(f), f.name, f.arg_types)
            }
            Change::ReplaceFunction { to, .. } => {
                format!("replace {} {}({})", routine_word(to), to.name, to.arg_types)
            }
            Change::CreateTrigger(t) => format!("create trigger {} on {}", t.name, t.table),
            Change::DropTrigger(t) => format!("drop trigger {} on {}", t.name, t.table),
            Change::Grants {
                object,
                on,
                from,
                to,
            } => crate::grants::summary(&on.describe(object), from, to),
            Change::Partition(p) => p.summary(),
        }
    }
}

/// Type changes that keep every value: wider integers, longer or unbounded
/// strings, numerics with more digits and the same scale.
fn view_word(v: &View) -> &'static str {
    if v.materialized {
        "materialized view"
    } else {
        "view"
    }
}

fn routine_word(f: &Function) -> &'static str {
    if f.procedure { "procedure" } else { "function" }
}

fn is_widening(from: &str, to: &str) -> bool {
    let (f, t) = (
        canonical_type(from, Dialect::Postgres),
        canonical_type(to, Dialect::Postgres),
    );
    let split = |s: &str| -> (String, Vec<u32>) {
        match s.split_once('(') {
            Some((base, rest)) if !s.ends_with("[]") => {
                let inner = rest.trim_end_matches(')');
                (
                    base.to_owned(),
                    inner
                        .split(',')
                        .filter_map(|x| x.trim().parse().ok())
                        .collect(),
                )
            }
            _ => (s.to_owned(), Vec::new()),
        }
    };
    let ((fb, fm), (tb, tm)) = (split(&f), split(&t));
    let rank = |b: &str| match b {
        "smallint" => Some(1),
        "integer" => Some(2),
        "bigint" => Some(3),
        _ => None,
    };
    if let (Some(a), Some(b)) = (rank(&fb), rank(&tb)) {
        return a <= b;
    }
    let stringy = |b: &str| matches!(b, "character varying" | "text" | "character");
    if stringy(&fb) && (tb == "text" || (tb == "character varying" && tm.is_empty())) {
        return fb != "character";
    }
    if fb == "character varying" && tb == "character varying" {
        return matches!((fm.first(), tm.first()), (Some(a), Some(b)) if a <= b);
    }
    if fb == "numeric" && tb == "numeric" {
        return match (fm.as_slice(), tm.as_slice()) {
            (_, []) => true,
            ([p1, s1], [p2, s2]) => s1 == s2 && p1 <= p2,
            ([p1], [p2]) => p1 <= p2,
            _ => false,
        };
    }
    f == t
}

/// The operations that turn `current` into `target`, in an order the
/// database accepts.
///
/// ```
/// use migrate_schema::{diff, parse_schema, Change, DiffOptions};
/// use migrate_core::sql::Dialect;
///
/// let a = parse_schema("CREATE TABLE t (id int PRIMARY KEY);", Dialect::Postgres).unwrap();
/// let b = parse_schema("CREATE TABLE t (id int PRIMARY KEY, name text);", Dialect::Postgres).unwrap();
/// let changes = diff(&a, &b, Dialect::Postgres, &DiffOptions::default());
/// assert!(matches!(&changes[..], [Change::AddColumn { column, .. }] if column.name == "name"));
/// ```
pub fn diff(
    current: &Schema,
    target: &Schema,
    dialect: Dialect,
    options: &DiffOptions,
) -> Vec<Change> {
    let hints = &target.renames;
    let current = normalise(current, dialect, options);
    let target = normalise(target, dialect, options);
    // Privileges by the names before the renames below.
    let current_grants = current.grants.clone();
    let mut out = Plan {
        kinds: kinds::diff(&current, &target, dialect),
        partitions: crate::partitions::diff(&current, &target),
        ..Plan::default()
    };

    // Declared renames first: what follows compares the renamed schema.
    let (current, done) = crate::rename::apply(current, &target, hints, dialect);
    out.renames = done
        .into_iter()
        .map(|d| match d {
            crate::rename::Done::Table { from, to } => Change::RenameTable { from, to },
            crate::rename::Done::Column { table, from, to } => {
                Change::RenameColumn { table, from, to }
            }
        })
        .collect();

    // Schemas.
    for s in target.schemas.difference(&current.schemas) {
        out.schemas.push(Change::CreateSchema(s.clone()));
    }
    for s in current.schemas.difference(&target.schemas) {
        out.drop_schemas.push(Change::DropSchema(s.clone()));
    }

    // Enum types.
    let mut converted: BTreeSet<(QualifiedName, String)> = BTreeSet::new();
    for (name, to) in &target.enums {
        match current.enums.get(name) {
            None => out.enums.push(Change::CreateEnum(to.clone())),
            Some(from) => {
                let columns = columns_of_type(&current, name, dialect);
                if from.values != to.values {
                    if to.values.starts_with(&from.values) {
                        let mut step = from.clone();
                        for value in &to.values[from.values.len()..] {
                            out.enums.push(Change::AddEnumValue {
                                from: step.clone(),
                                value: value.clone(),
                                columns: columns.clone(),
                            });
                            step.values.push(value.clone());
                        }
                    } else {
                        let mut to = to.clone();
                        to.comment = from.comment.clone();
                        // The re-created type's columns get the declared
                        // default right after their conversion (a default
                        // naming a removed value could not be restored), so
                        // no separate default change is made for them.
                        let columns = columns
                            .into_iter()
                            .map(|mut c| {
                                if let Some(col) = target
                                    .tables
                                    .get(&c.table)
                                    .and_then(|t| t.column(&c.column))
                                    .filter(|col| {
                                        options.compare_server_default
                                            && canonical_type(&col.data_type, dialect)
                                                == canonical_type(&name.to_string(), dialect)
                                    })
                                {
                                    c.new_default = col.default.clone();
                                    converted.insert((c.table.clone(), c.column.clone()));
                                }
                                c
                            })
                            .collect();
                        out.enums.push(Change::ReplaceEnum {
                            from: from.clone(),
                            to,
                            columns,
                        });
                    }
                }
                if from.comment != to.comment {
                    out.comments.push(Change::SetComment {
                        target: CommentTarget::Type(name.clone()),
                        from: from.comment.clone(),
                        to: to.comment.clone(),
                    });
                }
            }
        }
    }
    for (name, from) in &current.enums {
        if !target.enums.contains_key(name) {
            out.drop_enums.push(Change::DropEnum(from.clone()));
        }
    }

    // Tables.
    let created: Vec<&Table> = target
        .tables
        .values()
        .filter(|t| !current.tables.contains_key(&t.name))
        .collect();
    // A table that becomes a partition is attached, not dropped (see
    // `partitions::diff`).
    let dropped: Vec<&Table> = current
        .tables
        .values()
        .filter(|t| !target.tables.contains_key(&t.name))
        .filter(|t| !target.partitions.contains_key(&t.name))
        .collect();

    let (order, split) = dependency_order(&created, dialect);
    for name in order {
        let mut table = target.tables[&name].clone();
        table
            .foreign_keys
            .retain(|fk| !split.iter().any(|(t, k)| t == &table.name && k == fk));
        out.create_tables.push(Change::CreateTable(table));
    }
    for (table, key) in split {
        out.add_fks.push(Change::AddForeignKey { table, key });
    }

    let mut renamed_tables: BTreeSet<QualifiedName> = BTreeSet::new();
    let (order, split) = dependency_order(&dropped, dialect);
    for (table, key) in split.iter().cloned() {
        out.drop_fks.push(Change::DropForeignKey { table, key });
    }
    for name in order.into_iter().rev() {
        let mut table = current.tables[&name].clone();
        table
            .foreign_keys
            .retain(|fk| !split.iter().any(|(t, k)| t == &table.name && k == fk));
        let renamed_to = created
            .iter()
            .find(|t| !renamed_tables.contains(&t.name) && same_columns(&table, t, dialect))
            .map(|t| t.name.clone());
        if let Some(n) = &renamed_to {
            renamed_tables.insert(n.clone());
        }
        out.drop_tables
            .push(Change::DropTable { table, renamed_to });
    }

    for (name, to) in &target.tables {
        if let Some(from) = current.tables.get(name) {
            table_changes(from, to, dialect, options, &mut out);
        }
    }
    out.columns.retain(|c| match c {
        Change::AlterColumnDefault { table, column, .. } => {
            !converted.contains(&(table.clone(), column.clone()))
        }
        _ => true,
    });
    // Views, routines and triggers: dropped before everything else,
    // created after (see `views::plan`).
    let tables = out.into_list();
    let (before, after) = crate::views::plan(&current, &target, &tables, dialect);
    let list = [before, tables, after].concat();
    if options.compare_grants && dialect == Dialect::Postgres {
        let (mut revokes, mut grants) = crate::grants::plan(&current_grants, &target.grants, &list);
        let (routine_revokes, routine_grants) =
            crate::grants::plan_routines(&current, &target, &list);
        revokes.extend(routine_revokes);
        grants.extend(routine_grants);
        return [revokes, list, grants].concat();
    }
    list
}

/// Tables whose columns are the same on both sides but in another order:
/// one line per table, e.g. `column order of table t differs: a, b, c in
/// the database, a, c, b declared`. Column order is reported, not changed:
/// [`diff`] makes no [`Change`] for it (PostgreSQL cannot reorder columns
/// short of re-creating the table, and Alembic ignores the order too), so
/// `check` still passes. Names are as in [`Change::summary`], control
/// characters escaped.
///
/// ```
/// use migrate_core::sql::Dialect;
/// use migrate_schema::{DiffOptions, diff, parse_schema};
/// use migrate_schema::diff::column_order_notes;
///
/// let a = parse_schema("CREATE TABLE t (a int, b int);", Dialect::Postgres).unwrap();
/// let b = parse_schema("CREATE TABLE t (b int, a int);", Dialect::Postgres).unwrap();
/// assert!(diff(&a, &b, Dialect::Postgres, &DiffOptions::default()).is_empty());
/// assert_eq!(
///     column_order_notes(&a, &b, Dialect::Postgres, &DiffOptions::default()),
///     ["column order of table t differs: a, b in the database, b, a declared"]
/// );
/// ```
pub fn column_order_notes(
    current: &Schema,
    target: &Schema,
    dialect: Dialect,
    options: &DiffOptions,
) -> Vec<String> {
    let current = normalise(current, dialect, options);
    let target = normalise(target, dialect, options);
    let mut out = Vec::new();
    for (name, to) in &target.tables {
        let Some(from) = current.tables.get(name) else {
            continue;
        };
        let names = |t: &Table| t.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        let (a, b) = (names(from), names(to));
        let same_set = a.len() == b.len() && a.iter().all(|c| b.contains(c));
        if same_set && a != b {
            out.push(
                escape_control(&format!(
                    "column order of table {name} differs: {} in the database, {} declared",
                    a.join(", "),
                    b.join(", ")
                ))
                .into_owned(),
            );
        }
    }
    out
}

/// Changes grouped by the phase they run in.
#[derive(Default)]
struct Plan {
    schemas: Vec<Change>,
    renames: Vec<Change>,
    enums: Vec<Change>,
    drop_fks: Vec<Change>,
    drop_constraints: Vec<Change>,
    create_tables: Vec<Change>,
    columns: Vec<Change>,
    add_constraints: Vec<Change>,
    add_fks: Vec<Change>,
    comments: Vec<Change>,
    drop_tables: Vec<Change>,
    drop_enums: Vec<Change>,
    drop_schemas: Vec<Change>,
    /// Extensions, domains, composite and range types, sequences.
    kinds: kinds::KindPlan,
    /// Partitions and partition keys.
    partitions: crate::partitions::PartitionPlan,
}

impl Plan {
    fn into_list(self) -> Vec<Change> {
        let k = self.kinds;
        let kind = |v: Vec<KindChange>| v.into_iter().map(Change::Kind).collect::<Vec<_>>();
        let p = self.partitions;
        let part = |v: Vec<crate::partitions::PartitionChange>| {
            v.into_iter().map(Change::Partition).collect::<Vec<_>>()
        };
        [
            self.schemas,
            kind(k.extensions),
            self.renames,
            self.enums,
            kind(k.types),
            kind(k.sequences),
            kind(k.drop_owners),
            self.drop_fks,
            self.drop_constraints,
            part(p.drops),
            part(p.detaches),
            part(p.repartitions),
            self.create_tables,
            self.columns,
            part(p.attaches),
            part(p.creates),
            self.add_constraints,
            self.add_fks,
            kind(k.owners),
            self.comments,
            self.drop_tables,
            kind(k.drop_sequences),
            kind(k.drop_types),
            self.drop_enums,
            kind(k.drop_extensions),
            self.drop_schemas,
        ]
        .concat()
    }
}

/// The schema's default-schema names made `None`, FK targets likewise,
/// out-of-scope objects removed, and comments dropped on SQLite.
fn normalise(schema: &Schema, dialect: Dialect, options: &DiffOptions) -> Schema {
    let default = match dialect {
        Dialect::Postgres => "public",
        Dialect::Sqlite => "main",
    };
    let norm = |q: &QualifiedName| match &q.schema {
        Some(s) if s == default => QualifiedName::new(q.name.clone()),
        _ => q.clone(),
    };
    let keep = |q: &QualifiedName| options.include_schemas || q.schema.is_none();
    let mut out = Schema::default();
    if options.include_schemas && dialect == Dialect::Postgres {
        out.schemas = schema
            .schemas
            .iter()
            .filter(|s| *s != default)
            .cloned()
            .collect();
    }
    for e in schema.enums.values() {
        let mut e = e.clone();
        e.name = norm(&e.name);
        if keep(&e.name) {
            out.enums.insert(e.name.clone(), e);
        }
    }
    for t in schema.tables.values() {
        let mut t = t.clone();
        t.name = norm(&t.name);
        if !keep(&t.name) {
            continue;
        }
        for fk in &mut t.foreign_keys {
            fk.ref_table = norm(&fk.ref_table);
        }
        if dialect == Dialect::Sqlite {
            t.comment = None;
            for c in &mut t.columns {
                c.comment = None;
            }
        }
        out.tables.insert(t.name.clone(), t);
    }
    if dialect == Dialect::Sqlite {
        for e in out.enums.values_mut() {
            e.comment = None;
        }
    }
    kinds::normalise(schema, &mut out, default, options.include_schemas, dialect);
    crate::partitions::normalise(schema, &mut out, default, options.include_schemas);
    for v in schema.views.values() {
        let mut v = v.clone();
        v.name = norm(&v.name);
        if keep(&v.name) {
            out.views.insert(v.name.clone(), v);
        }
    }
    for f in schema.functions.values() {
        let mut f = f.clone();
        f.name = norm(&f.name);
        if keep(&f.name) {
            out.functions
                .insert((f.name.clone(), f.arg_types.clone()), f);
        }
    }
    for t in schema.triggers.values() {
        let mut t = t.clone();
        t.table = norm(&t.table);
        t.function = t.function.as_ref().map(norm);
        if keep(&t.table) {
            out.triggers.insert((t.table.clone(), t.name.clone()), t);
        }
    }
    if options.compare_grants && dialect == Dialect::Postgres {
        for (name, g) in &schema.grants {
            let name = norm(name);
            if keep(&name) {
                out.grants.insert(name, g.clone());
            }
        }
        for ((name, args), g) in &schema.routine_grants {
            let name = norm(name);
            if keep(&name) {
                out.routine_grants.insert((name, args.clone()), g.clone());
            }
        }
    }
    out
}

/// Columns whose type is `name` (an enum, a domain, a composite or range
/// type), with their defaults (unchanged: the caller sets `new_default`
/// where the change sets another).
pub(crate) fn columns_of_type(
    schema: &Schema,
    name: &QualifiedName,
    dialect: Dialect,
) -> Vec<EnumColumn> {
    let wanted = canonical_type(&name.to_string(), dialect);
    let mut out = Vec::new();
    for t in schema.tables.values() {
        for c in &t.columns {
            if canonical_type(&c.data_type, dialect) == wanted {
                out.push(EnumColumn {
                    table: t.name.clone(),
                    column: c.name.clone(),
                    default: c.default.clone(),
                    new_default: c.default.clone(),
                });
            }
        }
    }
    out
}

fn same_columns(a: &Table, b: &Table, dialect: Dialect) -> bool {
    a.columns.len() == b.columns.len()
        && a.columns.iter().all(|c| {
            b.column(&c.name)
                .is_some_and(|d| same_type(&c.data_type, &d.data_type, dialect))
        })
}

/// Orders tables so that referenced tables come first. On PostgreSQL, a
/// foreign key that closes a cycle is split off, to be added (or dropped)
/// separately; SQLite does not check references when creating tables, so
/// nothing is split there.
fn dependency_order(
    tables: &[&Table],
    dialect: Dialect,
) -> (Vec<QualifiedName>, Vec<(QualifiedName, ForeignKey)>) {
    let names: BTreeSet<&QualifiedName> = tables.iter().map(|t| &t.name).collect();
    let mut pending: BTreeMap<&QualifiedName, &Table> =
        tables.iter().map(|t| (&t.name, *t)).collect();
    let mut done: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut order = Vec::new();
    let mut split = Vec::new();
    while !pending.is_empty() {
        let ready = pending.iter().find(|(name, t)| {
            t.foreign_keys.iter().all(|fk| {
                &&fk.ref_table == *name
                    || !names.contains(&fk.ref_table)
                    || done.contains(&fk.ref_table)
            })
        });
        let name = match ready {
            Some((name, _)) => (*name).clone(),
            None => {
                // A cycle: take the first table and split off its keys to
                // tables not yet placed.
                let (name, t) = pending.iter().next().unwrap();
                if dialect == Dialect::Postgres {
                    for fk in &t.foreign_keys {
                        if &&fk.ref_table != name
                            && names.contains(&fk.ref_table)
                            && !done.contains(&fk.ref_table)
                        {
                            split.push(((*name).clone(), fk.clone()));
                        }
                    }
                }
                (*name).clone()
            }
        };
        pending.remove(&name);
        done.insert(name.clone());
        order.push(name);
    }
    (order, split)
}

fn in_pk(table: &Table, column: &str) -> bool {
    table
        .primary_key
        .as_ref()
        .is_some_and(|pk| pk.columns.iter().any(|c| c == column))
}

/// Nullability as the database enforces it: primary key and identity
/// columns are `NOT NULL` whatever the source says (SQLite reports primary
/// key columns as nullable).
fn effective_nullable(table: &Table, column: &Column) -> bool {
    column.nullable && !in_pk(table, &column.name) && column.identity.is_none()
}

/// Whether two constraint names may name the same constraint: equal, or
/// one side without a name unless `strict` ([`DiffOptions::compare_names`]).
fn names_compatible(a: &Option<String>, b: &Option<String>, strict: bool) -> bool {
    match (a, b) {
        (Some(a), Some(b)) => a == b,
        _ => !strict || a == b,
    }
}

fn same_fk(a: &ForeignKey, b: &ForeignKey, strict: bool) -> bool {
    names_compatible(&a.name, &b.name, strict)
        && a.columns == b.columns
        && a.ref_table == b.ref_table
        && a.ref_columns == b.ref_columns
        && a.on_delete == b.on_delete
        && a.on_update == b.on_update
        && a.deferral == b.deferral
        && a.not_valid == b.not_valid
}

/// Whether two indexes are the same; a key's collation counts where it is
/// not its column's (in `tables`, the tables of `a` and `b`, when given).
pub(crate) fn same_index_in(
    a: &Index,
    b: &Index,
    tables: Option<(&Table, &Table)>,
    dialect: Dialect,
) -> bool {
    let key = |k: &IndexKey| match k {
        IndexKey::Column(c) => canonical_expression(&quote_ident(c, dialect), dialect),
        IndexKey::Expression(e) => canonical_expression(e, dialect),
    };
    let method = |m: &Option<String>| m.as_deref().map(str::to_lowercase).filter(|m| m != "btree");
    let options = |i: &Index,
                   t: Option<&Table>|
     -> Vec<(Option<String>, Option<String>, bool, bool)> {
        (0..i.keys.len())
            .map(|n| {
                let o = i.key_option(n);
                // A key without COLLATE follows its column (and PostgreSQL
                // re-creates the index when the column's collation
                // changes), so only a collation other than the column's
                // counts.
                let column_collation = match (&i.keys[n], t) {
                    (IndexKey::Column(c), Some(t)) => t.column(c).and_then(|c| c.collation.clone()),
                    _ => None,
                };
                let collation = canonical_collation(o.collation, dialect)
                    .filter(|c| Some(c) != canonical_collation(column_collation, dialect).as_ref());
                let nulls_first = o.nulls_first.unwrap_or(o.descending);
                (
                    collation,
                    o.opclass.map(|c| c.to_lowercase()),
                    o.descending,
                    nulls_first,
                )
            })
            .collect()
    };
    a.unique == b.unique
        && a.keys.len() == b.keys.len()
        && a.keys.iter().zip(&b.keys).all(|(x, y)| key(x) == key(y))
        && same_expression(a.predicate.as_deref(), b.predicate.as_deref(), dialect)
        && method(&a.method) == method(&b.method)
        && options(a, tables.map(|t| t.0)) == options(b, tables.map(|t| t.1))
        && a.include == b.include
        && canonical_parameters(&a.with) == canonical_parameters(&b.with)
}

/// Whether two exclusion constraints are the same: name, deferral,
/// operators, and the index each builds compared as [`same_index_in`]
/// compares indexes.
fn same_exclusion(
    a: &Exclusion,
    b: &Exclusion,
    tables: (&Table, &Table),
    dialect: Dialect,
) -> bool {
    let operators = |x: &Exclusion| -> Vec<String> {
        x.operators
            .iter()
            .map(|o| crate::canon::canonical_operator(o))
            .collect()
    };
    a.name == b.name
        && a.deferral == b.deferral
        && operators(a) == operators(b)
        && same_index_in(&a.index, &b.index, Some(tables), dialect)
}

/// A collation as the comparison sees it: `None` for the default one
/// (PostgreSQL's `default`, SQLite's `BINARY`); SQLite's names without case.
pub(crate) fn canonical_collation(collation: Option<String>, dialect: Dialect) -> Option<String> {
    let c = collation?;
    match dialect {
        Dialect::Postgres => (c != "default").then_some(c),
        Dialect::Sqlite => {
            let c = c.to_uppercase();
            (c != "BINARY").then_some(c)
        }
    }
}

/// Storage parameters as a sorted list of lower-case `(name, value)` pairs.
pub(crate) fn canonical_parameters(with: &[(String, String)]) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = with
        .iter()
        .map(|(k, v)| (k.to_lowercase(), v.trim_matches('\'').to_lowercase()))
        .collect();
    out.sort();
    out
}

/// Pairs items of `from` and `to` with `same`; returns the unmatched ones.
fn unmatched<'a, T>(
    from: &'a [T],
    to: &'a [T],
    same: impl Fn(&T, &T) -> bool,
) -> (Vec<&'a T>, Vec<&'a T>) {
    let mut used = vec![false; to.len()];
    let mut gone = Vec::new();
    for f in from {
        match (0..to.len()).find(|&i| !used[i] && same(f, &to[i])) {
            Some(i) => used[i] = true,
            None => gone.push(f),
        }
    }
    let new = to
        .iter()
        .zip(&used)
        .filter(|(_, u)| !**u)
        .map(|(t, _)| t)
        .collect();
    (gone, new)
}

fn table_changes(
    from: &Table,
    to: &Table,
    dialect: Dialect,
    options: &DiffOptions,
    out: &mut Plan,
) {
    let name = &to.name;
    let strict = options.compare_names;
    let mut local = Plan::default();
    let mut rebuild = false;

    // Columns.
    let added: Vec<&Column> = to
        .columns
        .iter()
        .filter(|c| from.column(&c.name).is_none())
        .collect();
    let mut renamed: BTreeSet<&str> = BTreeSet::new();
    let mut drops = Vec::new();
    let mut readds = Vec::new();
    for c in &from.columns {
        let Some(n) = to.column(&c.name) else {
            let renamed_to = added
                .iter()
                .find(|a| {
                    !renamed.contains(a.name.as_str())
                        && same_type(&a.data_type, &c.data_type, dialect)
                })
                .map(|a| a.name.clone());
            if let Some(r) = added.iter().find(|a| Some(&a.name) == renamed_to.as_ref()) {
                renamed.insert(r.name.as_str());
            }
            drops.push(Change::DropColumn {
                table: name.clone(),
                column: c.clone(),
                renamed_to,
            });
            continue;
        };
        if !same_expression(c.generated.as_deref(), n.generated.as_deref(), dialect) {
            // PostgreSQL cannot change a generation expression in place
            // before version 17: drop the column and add it again, after
            // the drop (the name is taken until then).
            drops.push(Change::DropColumn {
                table: name.clone(),
                column: c.clone(),
                renamed_to: None,
            });
            readds.push(Change::AddColumn {
                table: name.clone(),
                column: n.clone(),
            });
            rebuild = true;
            continue;
        }
        if options.compare_type && !same_type(&c.data_type, &n.data_type, dialect) {
            local.columns.push(Change::AlterColumnType {
                table: name.clone(),
                column: c.name.clone(),
                from: c.data_type.clone(),
                to: n.data_type.clone(),
            });
            rebuild = true;
        }
        if c.identity != n.identity {
            local.columns.push(Change::AlterColumnIdentity {
                table: name.clone(),
                column: c.name.clone(),
                from: c.identity,
                to: n.identity,
            });
            rebuild = true;
        }
        let (fnull, tnull) = (effective_nullable(from, c), effective_nullable(to, n));
        if fnull != tnull && !(c.identity.is_none() && n.identity.is_some()) {
            local.columns.push(Change::AlterColumnNullability {
                table: name.clone(),
                column: c.name.clone(),
                nullable: tnull,
            });
            rebuild = true;
        }
        if options.compare_server_default
            && n.identity.is_none()
            && n.generated.is_none()
            && !same_default(
                c.default.as_deref(),
                n.default.as_deref(),
                &n.data_type,
                dialect,
            )
        {
            local.columns.push(Change::AlterColumnDefault {
                table: name.clone(),
                column: c.name.clone(),
                from: c.default.clone(),
                to: n.default.clone(),
            });
            rebuild = true;
        }
        let (fcoll, tcoll) = (
            canonical_collation(c.collation.clone(), dialect),
            canonical_collation(n.collation.clone(), dialect),
        );
        // `ALTER COLUMN … TYPE` without `COLLATE` resets the collation, so
        // a type change restates a collation that stays.
        let retyped = options.compare_type && !same_type(&c.data_type, &n.data_type, dialect);
        if fcoll != tcoll || (retyped && tcoll.is_some() && dialect == Dialect::Postgres) {
            local.columns.push(Change::AlterColumnCollation {
                table: name.clone(),
                column: c.name.clone(),
                data_type: n.data_type.clone(),
                from: c.collation.clone().filter(|_| fcoll.is_some()),
                to: n.collation.clone().filter(|_| tcoll.is_some()),
            });
            rebuild = true;
        }
        if c.comment != n.comment {
            local.comments.push(Change::SetComment {
                target: CommentTarget::Column(name.clone(), c.name.clone()),
                from: c.comment.clone(),
                to: n.comment.clone(),
            });
        }
    }
    for c in &added {
        local.columns.insert(
            0,
            Change::AddColumn {
                table: name.clone(),
                column: (*c).clone(),
            },
        );
    }
    local.columns.extend(drops.iter().cloned());
    local.columns.extend(readds);

    // Constraints.
    let pk_same = match (&from.primary_key, &to.primary_key) {
        (None, None) => true,
        (Some(a), Some(b)) => {
            names_compatible(&a.name, &b.name, strict)
                && a.columns == b.columns
                && a.deferral == b.deferral
        }
        _ => false,
    };
    if !pk_same {
        rebuild = true;
        if let Some(key) = &from.primary_key {
            local.drop_constraints.push(Change::DropPrimaryKey {
                table: name.clone(),
                key: key.clone(),
            });
        }
        if let Some(key) = &to.primary_key {
            local.add_constraints.push(Change::AddPrimaryKey {
                table: name.clone(),
                key: key.clone(),
            });
        }
    }
    let (gone, new) = unmatched(&from.uniques, &to.uniques, |a, b| {
        names_compatible(&a.name, &b.name, strict)
            && a.columns == b.columns
            && a.deferral == b.deferral
    });
    for u in gone {
        local.drop_constraints.push(Change::DropUnique {
            table: name.clone(),
            constraint: u.clone(),
        });
        rebuild = true;
    }
    for u in new {
        local.add_constraints.push(Change::AddUnique {
            table: name.clone(),
            constraint: u.clone(),
        });
        rebuild = true;
    }
    let (gone, new) = unmatched(&from.checks, &to.checks, |a, b| {
        names_compatible(&a.name, &b.name, strict)
            && same_expression(Some(&a.expression), Some(&b.expression), dialect)
            && a.not_valid == b.not_valid
    });
    for c in gone {
        local.drop_constraints.push(Change::DropCheck {
            table: name.clone(),
            constraint: c.clone(),
        });
        rebuild = true;
    }
    for c in new {
        local.add_constraints.push(Change::AddCheck {
            table: name.clone(),
            constraint: c.clone(),
        });
        rebuild = true;
    }
    let (gone, new) = unmatched(&from.foreign_keys, &to.foreign_keys, |a, b| {
        same_fk(a, b, strict)
    });
    for k in gone {
        local.drop_fks.push(Change::DropForeignKey {
            table: name.clone(),
            key: k.clone(),
        });
        rebuild = true;
    }
    for k in new {
        local.add_fks.push(Change::AddForeignKey {
            table: name.clone(),
            key: k.clone(),
        });
        rebuild = true;
    }
    let (gone, new) = unmatched(&from.exclusions, &to.exclusions, |a, b| {
        same_exclusion(a, b, (from, to), dialect)
    });
    for x in gone {
        local.drop_constraints.push(Change::DropExclusion {
            table: name.clone(),
            constraint: x.clone(),
        });
    }
    for x in new {
        local.add_constraints.push(Change::AddExclusion {
            table: name.clone(),
            constraint: x.clone(),
        });
    }
    let mut index_changes = false;
    for i in &from.indexes {
        match to.indexes.iter().find(|j| j.name == i.name) {
            Some(j) if same_index_in(i, j, Some((from, to)), dialect) => {}
            _ => {
                local.drop_constraints.push(Change::DropIndex {
                    table: name.clone(),
                    index: i.clone(),
                });
                index_changes = true;
            }
        }
    }
    for j in &to.indexes {
        match from.indexes.iter().find(|i| i.name == j.name) {
            Some(i) if same_index_in(i, j, Some((from, to)), dialect) => {}
            _ => {
                local.add_constraints.push(Change::CreateIndex {
                    table: name.clone(),
                    index: j.clone(),
                });
                index_changes = true;
            }
        }
    }
    if canonical_parameters(&from.storage) != canonical_parameters(&to.storage) {
        local.columns.push(Change::SetStorage {
            table: name.clone(),
            from: from.storage.clone(),
            to: to.storage.clone(),
        });
        rebuild = true;
    }
    if from.comment != to.comment {
        local.comments.push(Change::SetComment {
            target: CommentTarget::Table(name.clone()),
            from: from.comment.clone(),
            to: to.comment.clone(),
        });
    }

    if dialect == Dialect::Sqlite {
        // What SQLite's ALTER TABLE can do directly: add a plain column,
        // drop an unconstrained one, create and drop indexes.
        let direct_add = |c: &Column| {
            (effective_nullable(to, c) || c.default.as_deref().is_some_and(constant_default))
                && !in_pk(to, &c.name)
                && !to.uniques.iter().any(|u| u.columns.contains(&c.name))
                && c.generated.is_none()
                && c.identity.is_none()
                && !to.foreign_keys.iter().any(|k| k.columns.contains(&c.name))
                && !to.checks.iter().any(|k| mentions(&k.expression, &c.name))
        };
        let direct_drop = |c: &Column| {
            !in_pk(from, &c.name)
                && !from.uniques.iter().any(|u| u.columns.contains(&c.name))
                && !from
                    .foreign_keys
                    .iter()
                    .any(|k| k.columns.contains(&c.name))
                && !from.indexes.iter().any(|i| {
                    i.keys.iter().any(|k| match k {
                        IndexKey::Column(x) => x == &c.name,
                        IndexKey::Expression(e) => mentions(e, &c.name),
                    }) || i.predicate.as_deref().is_some_and(|p| mentions(p, &c.name))
                })
                && !from.checks.iter().any(|k| mentions(&k.expression, &c.name))
                && !from
                    .columns
                    .iter()
                    .any(|g| g.generated.as_deref().is_some_and(|e| mentions(e, &c.name)))
        };
        let needs_rebuild = rebuild
            || added.iter().any(|c| !direct_add(c))
            || drops.iter().any(|d| match d {
                Change::DropColumn { column, .. } => !direct_drop(column),
                _ => false,
            });
        if needs_rebuild {
            out.columns.push(Change::RebuildTable {
                from: from.clone(),
                to: to.clone(),
            });
            return;
        }
        let _ = index_changes;
    }
    out.drop_fks.extend(local.drop_fks);
    out.drop_constraints.extend(local.drop_constraints);
    out.columns.extend(local.columns);
    out.add_constraints.extend(local.add_constraints);
    out.add_fks.extend(local.add_fks);
    out.comments.extend(local.comments);
}

/// A default SQLite accepts in `ADD COLUMN` for a `NOT NULL` column: a
/// non-null literal, not an expression or `CURRENT_*`.
fn constant_default(default: &str) -> bool {
    let c = canonical_expression(default, Dialect::Sqlite);
    c != "null" && (c.starts_with('\'') || c.parse::<f64>().is_ok() || c == "true" || c == "false")
}

/// Whether an expression mentions `column` as a word (conservative: a
/// string literal containing the word counts too).
fn mentions(expression: &str, column: &str) -> bool {
    let lower = expression.to_lowercase();
    let col = column.to_lowercase();
    lower.match_indices(&col).any(|(i, _)| {
        let before = lower[..i].chars().next_back();
        let after = lower[i + col.len()..].chars().next();
        let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
        !word(before) && !word(after)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_schema;

    fn pg(a: &str, b: &str) -> Vec<Change> {
        let a = parse_schema(a, Dialect::Postgres).unwrap();
        let b = parse_schema(b, Dialect::Postgres).unwrap();
        diff(&a, &b, Dialect::Postgres, &DiffOptions::default())
    }

    fn lite(a: &str, b: &str) -> Vec<Change> {
        let a = parse_schema(a, Dialect::Sqlite).unwrap();
        let b = parse_schema(b, Dialect::Sqlite).unwrap();
        diff(&a, &b, Dialect::Sqlite, &DiffOptions::default())
    }

    fn summaries(changes: &[Change]) -> Vec<String> {
        changes.iter().map(Change::summary).collect()
    }

    #[test]
    fn equal_schemas_spelled_differently_have_no_diff() {
        let a = "CREATE TABLE t (id serial PRIMARY KEY, n int4 DEFAULT '0', s varchar(20) DEFAULT 'x' CHECK (s <> ''), at timestamptz DEFAULT now(), price numeric(10, 2) CHECK (price > 0));\nCREATE INDEX t_s ON t (lower(s)) WHERE n > 1;";
        let b = "create table T (ID integer not null default nextval('t_id_seq'::regclass), n integer default 0, s character varying(20) default 'x'::character varying, at timestamp with time zone default CURRENT_TIMESTAMP, price numeric(10,2), constraint t_pkey primary key (id), constraint t_s_check check (((s)::text <> ''::text)), constraint t_price_check check ((price > (0)::numeric)));\ncreate index t_s on public.t (lower(s::text)) where n > 1;";
        assert_eq!(pg(a, b), vec![]);
        assert_eq!(pg(b, a), vec![]);
    }

    #[test]
    fn tables_in_dependency_order_and_cycles_split() {
        let changes = pg(
            "",
            "CREATE TABLE c (id int PRIMARY KEY, b_id int REFERENCES b);\nCREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);\nCREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE x (id int PRIMARY KEY, y_id int);\nCREATE TABLE y (id int PRIMARY KEY, x_id int REFERENCES x);\nALTER TABLE x ADD CONSTRAINT x_y FOREIGN KEY (y_id) REFERENCES y;",
        );
        assert_eq!(
            summaries(&changes),
            [
                "create table a",
                "create table b",
                "create table c",
                "create table x",
                "create table y",
                "add foreign key (y_id) on x to y"
            ]
        );
        let back = pg(
            "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);",
            "",
        );
        assert_eq!(summaries(&back), ["drop table b", "drop table a"]);
        assert!(back.iter().all(Change::is_destructive));
    }

    #[test]
    fn column_changes_and_renames() {
        let changes = pg(
            "CREATE TABLE users (id int PRIMARY KEY, nick text, bio varchar(50), age int, score int DEFAULT 0);",
            "CREATE TABLE users (id int PRIMARY KEY, handle text, bio varchar(20) NOT NULL, age bigint, score int DEFAULT 1);",
        );
        assert_eq!(
            summaries(&changes),
            [
                "add column users.handle",
                "change type of users.bio from VARCHAR(50) to VARCHAR(20)",
                "make users.bio NOT NULL",
                "change type of users.age from INT to BIGINT",
                "change default of users.score",
                "drop column users.nick",
            ]
        );
        let destructive: Vec<bool> = changes.iter().map(Change::is_destructive).collect();
        assert_eq!(destructive, [false, true, true, false, false, true]);
        assert!(
            matches!(&changes[5], Change::DropColumn { renamed_to: Some(n), .. } if n == "handle")
        );
    }

    #[test]
    fn options_turn_comparisons_off() {
        let a = parse_schema("CREATE TABLE t (a int DEFAULT 1);", Dialect::Postgres).unwrap();
        let b = parse_schema("CREATE TABLE t (a bigint DEFAULT 2);", Dialect::Postgres).unwrap();
        let off = DiffOptions {
            compare_type: false,
            compare_server_default: false,
            include_schemas: false,
            compare_names: false,
            compare_grants: false,
        };
        assert!(diff(&a, &b, Dialect::Postgres, &off).is_empty());
        assert_eq!(
            diff(&a, &b, Dialect::Postgres, &DiffOptions::default()).len(),
            2
        );
    }

    #[test]
    fn schemas_only_with_include_schemas() {
        let a = parse_schema("", Dialect::Postgres).unwrap();
        let b = parse_schema(
            "CREATE SCHEMA s; CREATE TABLE s.t (id int);",
            Dialect::Postgres,
        )
        .unwrap();
        assert!(diff(&a, &b, Dialect::Postgres, &DiffOptions::default()).is_empty());
        let all = DiffOptions {
            include_schemas: true,
            ..DiffOptions::default()
        };
        assert_eq!(
            summaries(&diff(&a, &b, Dialect::Postgres, &all)),
            ["create schema s", "create table s.t"]
        );
    }

    #[test]
    fn constraints_match_by_content_and_name() {
        let changes = pg(
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (a int CONSTRAINT t_a_key UNIQUE, b int, p int REFERENCES p ON DELETE CASCADE, CHECK (b > 0));",
            "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (a int UNIQUE, b int UNIQUE, p int REFERENCES p, CONSTRAINT named CHECK (b > 0));",
        );
        assert_eq!(
            summaries(&changes),
            [
                "drop foreign key (p) of t to p",
                "add unique (b) on t",
                "add foreign key (p) on t to p"
            ]
        );
    }

    #[test]
    fn compare_names_counts_a_name_known_on_one_side() {
        let unnamed = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int PRIMARY KEY, c int UNIQUE, p int REFERENCES p, CHECK (c > 0));";
        let named = "CREATE TABLE p (id int PRIMARY KEY);\nCREATE TABLE t (id int CONSTRAINT t_pkey PRIMARY KEY, c int CONSTRAINT t_c_key UNIQUE, p int CONSTRAINT t_p_fkey REFERENCES p, CONSTRAINT t_c_check CHECK (c > 0));";
        let a = parse_schema(unnamed, Dialect::Postgres).unwrap();
        let b = parse_schema(named, Dialect::Postgres).unwrap();
        assert!(diff(&a, &b, Dialect::Postgres, &DiffOptions::default()).is_empty());
        let names = DiffOptions {
            compare_names: true,
            ..DiffOptions::default()
        };
        assert_eq!(
            summaries(&diff(&a, &b, Dialect::Postgres, &names)),
            [
                "drop foreign key (p) of t to p",
                "drop primary key of t",
                "drop unique (c) of t",
                "drop check (c > 0) of t",
                "add primary key on t",
                "add unique (c) on t",
                "add check (c > 0) on t",
                "add foreign key (p) on t to p"
            ]
        );
        assert!(diff(&b, &b, Dialect::Postgres, &names).is_empty());
        assert!(diff(&a, &a, Dialect::Postgres, &names).is_empty());
    }

    #[test]
    fn compare_names_tells_a_key_from_its_numbered_twin() {
        let a = parse_schema(
            "CREATE TABLE t (c int CONSTRAINT t_c_key UNIQUE);",
            Dialect::Postgres,
        )
        .unwrap();
        let b = parse_schema(
            "CREATE TABLE t (c int CONSTRAINT t_c_key1 UNIQUE);",
            Dialect::Postgres,
        )
        .unwrap();
        let names = DiffOptions {
            compare_names: true,
            ..DiffOptions::default()
        };
        let changes = diff(&a, &b, Dialect::Postgres, &names);
        assert!(
            matches!(&changes[..], [
                Change::DropUnique { constraint: gone, .. },
                Change::AddUnique { constraint: new, .. },
            ] if gone.name.as_deref() == Some("t_c_key") && new.name.as_deref() == Some("t_c_key1")),
            "{changes:?}"
        );
    }

    #[test]
    fn enums() {
        let changes = pg(
            "CREATE TYPE mood AS ENUM ('sad', 'ok'); CREATE TABLE t (m mood);",
            "CREATE TYPE mood AS ENUM ('sad', 'ok', 'happy', 'ecstatic'); CREATE TABLE t (m mood);",
        );
        assert_eq!(changes.len(), 2);
        assert!(!changes[0].is_destructive());
        match changes[1].inverse() {
            Change::ReplaceEnum { from, to, columns } => {
                assert_eq!(from.values.len(), 4);
                assert_eq!(to.values.len(), 3);
                assert_eq!(columns.len(), 1);
                assert_eq!(
                    (&columns[0].table, columns[0].column.as_str()),
                    (&QualifiedName::new("t"), "m")
                );
            }
            other => panic!("{other:?}"),
        }
        let changes = pg(
            "CREATE TYPE mood AS ENUM ('sad', 'ok');",
            "CREATE TYPE mood AS ENUM ('ok', 'sad');",
        );
        assert!(matches!(&changes[..], [Change::ReplaceEnum { .. }]));
        assert!(!changes[0].is_destructive());
    }

    /// Issue #25: the re-created type's columns carry their defaults, and
    /// the declared default is set by the type change itself.
    #[test]
    fn replaced_enum_carries_column_defaults() {
        let a = "CREATE TYPE s AS ENUM ('draft', 'open'); CREATE TABLE t (x s NOT NULL DEFAULT 'draft', y s);";
        let b =
            "CREATE TYPE s AS ENUM ('open'); CREATE TABLE t (x s NOT NULL DEFAULT 'open', y s);";
        let changes = pg(a, b);
        let [Change::ReplaceEnum { columns, .. }] = &changes[..] else {
            panic!("{changes:?}");
        };
        assert_eq!(columns.len(), 2);
        assert_eq!(columns[0].default.as_deref(), Some("'draft'"));
        assert_eq!(columns[0].new_default.as_deref(), Some("'open'"));
        assert_eq!(
            (&columns[1].default, &columns[1].new_default),
            (&None, &None)
        );
        let Change::ReplaceEnum { columns, .. } = changes[0].inverse() else {
            unreachable!()
        };
        assert_eq!(columns[0].default.as_deref(), Some("'open'"));
        assert_eq!(columns[0].new_default.as_deref(), Some("'draft'"));
        // Defaults not compared: the column keeps the one it has.
        let options = DiffOptions {
            compare_server_default: false,
            ..DiffOptions::default()
        };
        let changes = diff(
            &parse_schema(a, Dialect::Postgres).unwrap(),
            &parse_schema(b, Dialect::Postgres).unwrap(),
            Dialect::Postgres,
            &options,
        );
        let [Change::ReplaceEnum { columns, .. }] = &changes[..] else {
            panic!("{changes:?}");
        };
        assert_eq!(columns[0].new_default.as_deref(), Some("'draft'"));
    }

    #[test]
    fn index_key_details_count_and_defaults_do_not() {
        let base = "CREATE TABLE t (a text, b int, c text COLLATE \"C\");";
        let same = |x: &str, y: &str| {
            let changes = pg(&format!("{base} {x}"), &format!("{base} {y}"));
            assert!(changes.is_empty(), "{x} / {y}: {:?}", summaries(&changes));
        };
        same(
            "CREATE INDEX i ON t (a);",
            "CREATE INDEX i ON t (a ASC NULLS LAST);",
        );
        same(
            "CREATE INDEX i ON t (a DESC);",
            "CREATE INDEX i ON t (a DESC NULLS FIRST);",
        );
        same(
            "CREATE INDEX i ON t (c);",
            "CREATE INDEX i ON t (c COLLATE \"C\");",
        );
        same(
            "CREATE INDEX i ON t (a) WITH (fillfactor = 70);",
            "CREATE INDEX i ON t (a) WITH (FILLFACTOR='70');",
        );
        let differ = |x: &str, y: &str| {
            let changes = pg(&format!("{base} {x}"), &format!("{base} {y}"));
            assert_eq!(
                summaries(&changes),
                ["drop index i", "create index i"],
                "{x} / {y}"
            );
        };
        differ("CREATE INDEX i ON t (a);", "CREATE INDEX i ON t (a DESC);");
        differ(
            "CREATE INDEX i ON t (a);",
            "CREATE INDEX i ON t (a NULLS FIRST);",
        );
        differ(
            "CREATE INDEX i ON t (a);",
            "CREATE INDEX i ON t (a text_pattern_ops);",
        );
        differ(
            "CREATE INDEX i ON t (a);",
            "CREATE INDEX i ON t (a COLLATE \"C\");",
        );
        differ(
            "CREATE INDEX i ON t (a);",
            "CREATE INDEX i ON t (a) INCLUDE (b);",
        );
        differ(
            "CREATE INDEX i ON t (a);",
            "CREATE INDEX i ON t (a) WITH (fillfactor = 70);",
        );
    }

    #[test]
    fn column_collation_and_table_storage() {
        let changes = pg(
            "CREATE TABLE t (a text) WITH (fillfactor = 90);",
            "CREATE TABLE t (a text COLLATE pg_catalog.\"C\") WITH (fillfactor = 70);",
        );
        assert_eq!(
            summaries(&changes),
            [
                "change collation of t.a to C",
                "change storage parameters of t"
            ]
        );
        assert!(
            pg(
                "CREATE TABLE t (a text COLLATE \"default\");",
                "CREATE TABLE t (a text);"
            )
            .is_empty()
        );
        let changes = lite(
            "CREATE TABLE t (a TEXT);",
            "CREATE TABLE t (a TEXT COLLATE NOCASE);",
        );
        assert!(matches!(&changes[..], [Change::RebuildTable { .. }]));
        assert!(
            lite(
                "CREATE TABLE t (a TEXT COLLATE nocase);",
                "CREATE TABLE t (a TEXT COLLATE NOCASE);"
            )
            .is_empty()
        );
    }

    #[test]
    fn indexes_by_name_and_content() {
        let changes = pg(
            "CREATE TABLE t (a int, b text); CREATE INDEX t_a ON t (a); CREATE INDEX t_b ON t (b);",
            "CREATE TABLE t (a int, b text); CREATE INDEX t_a ON t (a) WHERE a > 0; CREATE INDEX t_b ON t USING btree (b);",
        );
        assert_eq!(summaries(&changes), ["drop index t_a", "create index t_a"]);
    }

    #[test]
    fn sqlite_direct_changes_and_rebuilds() {
        let a =
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT, b TEXT);\nCREATE INDEX t_b ON t (b);";
        let direct = lite(
            a,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, b TEXT, c INTEGER NOT NULL DEFAULT 0);\nCREATE INDEX t_b ON t (b);\nCREATE INDEX t_c ON t (c);",
        );
        assert_eq!(
            summaries(&direct),
            ["add column t.c", "drop column t.a", "create index t_c"]
        );
        let rebuild = lite(
            a,
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT NOT NULL, b TEXT);\nCREATE INDEX t_b ON t (b);",
        );
        assert!(
            matches!(&rebuild[..], [Change::RebuildTable { .. }]),
            "{rebuild:?}"
        );
        assert!(rebuild[0].is_destructive());
        let drop_indexed = lite(a, "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);");
        assert!(matches!(&drop_indexed[..], [Change::RebuildTable { .. }]));
        let same = lite(
            a,
            "create table t (id integer primary key, a text, b text);\ncreate index t_b on t (b);",
        );
        assert_eq!(same, vec![]);
    }

    #[test]
    fn widening() {
        assert!(is_widening("int", "bigint"));
        assert!(is_widening("varchar(20)", "varchar(50)"));
        assert!(is_widening("varchar(20)", "text"));
        assert!(is_widening("numeric(10,2)", "numeric(12,2)"));
        assert!(!is_widening("bigint", "int"));
        assert!(!is_widening("varchar(50)", "varchar(20)"));
        assert!(!is_widening("text", "int"));
    }
}
