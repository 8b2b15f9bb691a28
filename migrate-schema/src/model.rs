//! A database schema as data: what `schema.sql` declares and what a live
//! database holds, in one model, so the two can be compared.
//!
//! The model records what its source says (a declared type stays `int4` or
//! `INTEGER` as written; an introspected default stays `'x'::text`); the
//! comparison canonicalises both sides before deciding that two things differ.
//! That keeps each source simple and puts every "equal things compare equal"
//! rule in one place.
//!
//! Names are stored as the database folds them: unquoted identifiers in
//! lower case on PostgreSQL, quoted identifiers exactly as written.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// A table or type name, optionally qualified by its schema.
///
/// `schema: None` means the default schema: the first schema of PostgreSQL's
/// `search_path` (usually `public`), or SQLite's `main`.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct QualifiedName {
    /// The schema, or `None` for the default one.
    pub schema: Option<String>,
    /// The object's own name.
    pub name: String,
}

impl QualifiedName {
    /// A name in the default schema.
    pub fn new(name: impl Into<String>) -> QualifiedName {
        QualifiedName {
            schema: None,
            name: name.into(),
        }
    }

    /// A name in the given schema.
    pub fn in_schema(schema: impl Into<String>, name: impl Into<String>) -> QualifiedName {
        QualifiedName {
            schema: Some(schema.into()),
            name: name.into(),
        }
    }
}

impl fmt::Display for QualifiedName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.schema {
            Some(schema) => write!(f, "{schema}.{}", self.name),
            None => f.write_str(&self.name),
        }
    }
}

/// A whole schema: the objects the comparison knows about.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Schema {
    /// Named schemas other than the default one (PostgreSQL `CREATE SCHEMA`).
    pub schemas: BTreeSet<String>,
    /// PostgreSQL enum types (`CREATE TYPE … AS ENUM`).
    pub enums: BTreeMap<QualifiedName, EnumType>,
    /// Tables, by name.
    pub tables: BTreeMap<QualifiedName, Table>,
    /// PostgreSQL extensions (`CREATE EXTENSION`), by name; `plpgsql`,
    /// which every database has, is never recorded.
    pub extensions: BTreeMap<String, Extension>,
    /// PostgreSQL domains (`CREATE DOMAIN`).
    pub domains: BTreeMap<QualifiedName, Domain>,
    /// PostgreSQL composite types (`CREATE TYPE … AS (…)`).
    pub composites: BTreeMap<QualifiedName, CompositeType>,
    /// PostgreSQL range types (`CREATE TYPE … AS RANGE (…)`).
    pub ranges: BTreeMap<QualifiedName, RangeType>,
    /// PostgreSQL sequences that are not a column's own (the sequence of a
    /// `serial` or identity column is part of that column).
    pub sequences: BTreeMap<QualifiedName, Sequence>,
    /// Renames declared with `-- renamed_from:` comments (`schema.sql`
    /// only; a database's schema has none).
    pub renames: crate::rename::Renames,
    /// Views and materialized views, by name.
    pub views: BTreeMap<QualifiedName, View>,
    /// PostgreSQL functions and procedures, by name and argument types
    /// ([`Function::arg_types`]).
    pub functions: BTreeMap<(QualifiedName, String), Function>,
    /// Triggers, by table and name.
    pub triggers: BTreeMap<(QualifiedName, String), Trigger>,
    /// PostgreSQL privileges on tables, views, materialized views and
    /// sequences, by object: read only when `compare_grants` is on (see
    /// [`ObjectGrants`]), empty otherwise.
    pub grants: BTreeMap<QualifiedName, ObjectGrants>,
    /// PostgreSQL privileges on functions and procedures, by the key of
    /// [`Schema::functions`]: read only when `compare_grants` is on. A
    /// routine without an entry has the default privileges: `EXECUTE` for
    /// `PUBLIC` (besides its owner's).
    pub routine_grants: BTreeMap<(QualifiedName, String), ObjectGrants>,
    /// PostgreSQL partitions (`CREATE TABLE p PARTITION OF m …`), by name.
    /// A partition is not in [`Schema::tables`]: its columns, and the
    /// indexes and constraints PostgreSQL gives it from its parent, are the
    /// parent's (see [`Partition`]).
    pub partitions: BTreeMap<QualifiedName, Partition>,
}

impl Schema {
    /// This schema without its views, routines and triggers, and without
    /// partitions and partition keys: the part the schema fold models, for
    /// comparisons with it.
    pub fn without_views_and_routines(mut self) -> Schema {
        self.views.clear();
        self.functions.clear();
        self.triggers.clear();
        self.partitions.clear();
        for t in self.tables.values_mut() {
            t.partition_key = None;
        }
        self
    }
}

/// A PostgreSQL enum type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumType {
    /// The type's name.
    pub name: QualifiedName,
    /// Its labels, in declaration order.
    pub values: Vec<String>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

/// A table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    /// The table's name.
    pub name: QualifiedName,
    /// Columns in their physical order.
    pub columns: Vec<Column>,
    /// The primary key, whether declared inline or as a table constraint.
    pub primary_key: Option<PrimaryKey>,
    /// Unique constraints (not unique indexes: those are in `indexes`).
    pub uniques: Vec<UniqueConstraint>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKey>,
    /// Check constraints.
    pub checks: Vec<CheckConstraint>,
    /// Indexes created with `CREATE INDEX` (not those backing a primary key,
    /// unique or exclusion constraint).
    pub indexes: Vec<Index>,
    /// Exclusion constraints (PostgreSQL `EXCLUDE USING …`).
    pub exclusions: Vec<Exclusion>,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// `WITH (name = value, …)` storage parameters (PostgreSQL), as
    /// `(name, value)` pairs in the source's order and spelling.
    pub storage: Vec<(String, String)>,
    /// PostgreSQL: the partition key of a partitioned table, as
    /// `pg_get_partkeydef` prints it (`RANGE (at)`, `LIST (lower(region))`,
    /// `HASH (id)`); `None` for a plain table. Declared keys are put in the
    /// server's form by `migrate_runtime::introspect::settle_declared`.
    pub partition_key: Option<String>,
}

impl Table {
    /// An empty table with the given name.
    pub fn new(name: QualifiedName) -> Table {
        Table {
            name,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            exclusions: Vec::new(),
            comment: None,
            storage: Vec::new(),
            partition_key: None,
        }
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
}

/// A PostgreSQL partition: a table attached to a partitioned table
/// (`CREATE TABLE p PARTITION OF m FOR VALUES …`, or pg_dump's `CREATE
/// TABLE p (…)` + `ALTER TABLE ONLY m ATTACH PARTITION p FOR VALUES …`).
///
/// Its columns are its parent's, and so are the indexes, foreign keys and
/// checks PostgreSQL creates on it from the parent's: none of them is
/// recorded here, so the comparison does not count them twice. What a
/// partition has of its own beyond those (an index made on the partition
/// alone) is not compared.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Partition {
    /// The partition's name.
    pub name: QualifiedName,
    /// The partitioned table it belongs to (a partition itself when
    /// sub-partitioned).
    pub parent: QualifiedName,
    /// The bound as `pg_get_expr(relpartbound, oid)` prints it: `FOR VALUES
    /// FROM ('2020-01-01') TO ('2021-01-01')`, `FOR VALUES IN ('eu', 'uk')`,
    /// `FOR VALUES WITH (modulus 4, remainder 0)`, `DEFAULT`. Declared
    /// bounds are put in that form by `settle_declared`.
    pub bound: String,
    /// `PARTITION BY …` of a partition that is partitioned in turn, in
    /// the form of [`Table::partition_key`].
    pub partition_key: Option<String>,
}

/// A column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Column {
    /// The column's name.
    pub name: String,
    /// The type as its source spells it (`int4`, `INTEGER`,
    /// `character varying(20)`, `public.mood`, `text[]`). `SERIAL` types are
    /// expanded by the parser into their integer type, `NOT NULL` and a
    /// `nextval('<table>_<column>_seq'::regclass)` default, as PostgreSQL
    /// itself stores them.
    pub data_type: String,
    /// `false` for `NOT NULL` (primary key columns are `NOT NULL`).
    pub nullable: bool,
    /// The server default expression, as its source spells it.
    pub default: Option<String>,
    /// `GENERATED … AS IDENTITY` (PostgreSQL) or `AUTOINCREMENT` (SQLite's
    /// `INTEGER PRIMARY KEY AUTOINCREMENT`, recorded as `ByDefault`).
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (expr) STORED`: the expression.
    pub generated: Option<String>,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
    /// `COLLATE name` when not the type's default collation, as the source
    /// spells it (`C`, `en_US`, SQLite's `NOCASE`).
    pub collation: Option<String>,
}

impl Column {
    /// A nullable column with no default.
    pub fn new(name: impl Into<String>, data_type: impl Into<String>) -> Column {
        Column {
            name: name.into(),
            data_type: data_type.into(),
            nullable: true,
            default: None,
            identity: None,
            generated: None,
            comment: None,
            collation: None,
        }
    }
}

/// How an identity column takes its values.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Identity {
    /// `GENERATED ALWAYS AS IDENTITY`.
    Always,
    /// `GENERATED BY DEFAULT AS IDENTITY`.
    ByDefault,
}

/// A primary key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PrimaryKey {
    /// The constraint name: `None` when declared without one (the database
    /// then picks one, e.g. `<table>_pkey`; the comparison ignores names it
    /// does not know on one side).
    pub name: Option<String>,
    /// Key columns in order.
    pub columns: Vec<String>,
    /// `DEFERRABLE` / `INITIALLY DEFERRED` (PostgreSQL).
    pub deferral: Deferral,
}

/// A unique constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UniqueConstraint {
    /// The constraint name, `None` when declared without one.
    pub name: Option<String>,
    /// Columns in order.
    pub columns: Vec<String>,
    /// `DEFERRABLE` / `INITIALLY DEFERRED` (PostgreSQL).
    pub deferral: Deferral,
}

/// When a constraint is checked (PostgreSQL's `DEFERRABLE` and `INITIALLY
/// DEFERRED`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Deferral {
    /// `NOT DEFERRABLE` (the default): checked at each statement.
    #[default]
    NotDeferrable,
    /// `DEFERRABLE INITIALLY IMMEDIATE`: `SET CONSTRAINTS … DEFERRED` may
    /// defer it.
    Immediate,
    /// `DEFERRABLE INITIALLY DEFERRED`: checked at commit.
    Deferred,
}

impl Deferral {
    /// The SQL words after a constraint: empty, `DEFERRABLE` or
    /// `DEFERRABLE INITIALLY DEFERRED`.
    pub fn sql(self) -> &'static str {
        match self {
            Deferral::NotDeferrable => "",
            Deferral::Immediate => " DEFERRABLE",
            Deferral::Deferred => " DEFERRABLE INITIALLY DEFERRED",
        }
    }

    /// From the catalogue's `condeferrable` and `condeferred`.
    pub fn from_flags(deferrable: bool, deferred: bool) -> Deferral {
        match (deferrable, deferred) {
            (false, _) => Deferral::NotDeferrable,
            (true, false) => Deferral::Immediate,
            (true, true) => Deferral::Deferred,
        }
    }
}

/// What a foreign key does when the referenced row changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FkAction {
    /// `NO ACTION` (the default).
    #[default]
    NoAction,
    /// `RESTRICT`.
    Restrict,
    /// `CASCADE`.
    Cascade,
    /// `SET NULL`.
    SetNull,
    /// `SET DEFAULT`.
    SetDefault,
}

impl FkAction {
    /// The SQL words for this action.
    pub fn sql(self) -> &'static str {
        match self {
            FkAction::NoAction => "NO ACTION",
            FkAction::Restrict => "RESTRICT",
            FkAction::Cascade => "CASCADE",
            FkAction::SetNull => "SET NULL",
            FkAction::SetDefault => "SET DEFAULT",
        }
    }

    /// PostgreSQL's one-letter code for an action, as the catalogue
    /// (`pg_constraint.confdeltype`) and the parse tree (`fk_del_action`)
    /// spell it: `r`, `c`, `n`, `d`, anything else `NO ACTION` (`a`).
    ///
    /// ```
    /// use migrate_schema::FkAction;
    /// assert_eq!(FkAction::from_pg_code("c"), FkAction::Cascade);
    /// assert_eq!(FkAction::from_pg_code("a"), FkAction::NoAction);
    /// ```
    pub fn from_pg_code(code: &str) -> FkAction {
        match code {
            "r" => FkAction::Restrict,
            "c" => FkAction::Cascade,
            "n" => FkAction::SetNull,
            "d" => FkAction::SetDefault,
            _ => FkAction::NoAction,
        }
    }
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKey {
    /// The constraint name, `None` when declared without one.
    pub name: Option<String>,
    /// Referencing columns, in order.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: QualifiedName,
    /// Referenced columns, in order (the referenced primary key when the
    /// declaration leaves them out).
    pub ref_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: FkAction,
    /// `ON UPDATE`.
    pub on_update: FkAction,
    /// `DEFERRABLE` / `INITIALLY DEFERRED` (PostgreSQL).
    pub deferral: Deferral,
    /// `NOT VALID` (PostgreSQL): added without checking the rows already
    /// there, and not validated since.
    pub not_valid: bool,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckConstraint {
    /// The constraint name, `None` when declared without one.
    pub name: Option<String>,
    /// The condition, as its source spells it.
    pub expression: String,
    /// `NOT VALID` (PostgreSQL): added without checking the rows already
    /// there, and not validated since.
    pub not_valid: bool,
}

/// A PostgreSQL exclusion constraint: `CONSTRAINT name EXCLUDE [USING
/// method] (element WITH operator, …) [INCLUDE (…)] [WITH (…)] [WHERE
/// (predicate)]`.
///
/// The constraint builds an index of its own name; everything but the
/// operators is that index's, so it is held as an [`Index`] and compared as
/// one (keys, key options, method, `INCLUDE`, storage parameters and
/// predicate through the same canonical forms), which is how both sides
/// reach one form without a round trip through the server: introspection
/// reads the backing index from the catalogue exactly as it reads a plain
/// index, and schema.sql's elements are read as `CREATE INDEX` keys.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exclusion {
    /// The constraint's (and its index's) name: declared, or the one
    /// PostgreSQL gives an unnamed one (`<table>_<columns>_excl`).
    pub name: String,
    /// The index it builds: `name` is the constraint's, `unique` is false,
    /// `method` is `None` for btree (the default when `USING` is left out).
    pub index: Index,
    /// The operator of each element, in key order (`&&`, `=`), without
    /// `OPERATOR(…)` or a `pg_catalog.`/`public.` schema.
    pub operators: Vec<String>,
    /// `DEFERRABLE` / `INITIALLY DEFERRED`.
    pub deferral: Deferral,
}

/// One key of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKey {
    /// A plain column.
    Column(String),
    /// An expression, as its source spells it (without the parentheses).
    Expression(String),
}

/// An index made by `CREATE INDEX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Index {
    /// The index name (an index always has one).
    pub name: String,
    /// `CREATE UNIQUE INDEX`.
    pub unique: bool,
    /// The keys, in order.
    pub keys: Vec<IndexKey>,
    /// The `WHERE` clause of a partial index.
    pub predicate: Option<String>,
    /// The access method when not the default (`gin`, `gist`, …; `None`
    /// for btree).
    pub method: Option<String>,
    /// How each key is ordered and compared, one per key in `keys`' order;
    /// empty when every key has the defaults (see [`IndexKeyOptions`]).
    pub key_options: Vec<IndexKeyOptions>,
    /// `INCLUDE (columns)` (PostgreSQL): stored, not searched.
    pub include: Vec<String>,
    /// `WITH (name = value, …)` storage parameters (PostgreSQL), as
    /// `(name, value)` pairs in the source's order and spelling.
    pub with: Vec<(String, String)>,
}

impl Index {
    /// The options of key `i`: the defaults when none are recorded.
    pub fn key_option(&self, i: usize) -> IndexKeyOptions {
        self.key_options.get(i).cloned().unwrap_or_default()
    }
}

/// What an index key says besides the column or expression it indexes:
/// `COLLATE`, an operator class, `DESC` and `NULLS FIRST/LAST`. The
/// defaults (the column's collation, the type's default operator class,
/// ascending, PostgreSQL's `NULLS LAST` for ascending and `NULLS FIRST` for
/// descending keys) are recorded as `None`/`false`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct IndexKeyOptions {
    /// `COLLATE name` (as written; PostgreSQL quoted names keep their case).
    pub collation: Option<String>,
    /// An operator class other than the default (`text_pattern_ops`,
    /// `jsonb_path_ops`).
    pub opclass: Option<String>,
    /// `DESC`.
    pub descending: bool,
    /// `NULLS FIRST` (`Some(true)`) or `NULLS LAST` (`Some(false)`) as
    /// written; `None` takes the order's default.
    pub nulls_first: Option<bool>,
}

impl IndexKeyOptions {
    /// Whether every option is the default one.
    pub fn is_default(&self) -> bool {
        self.collation.is_none()
            && self.opclass.is_none()
            && !self.descending
            && self
                .nulls_first
                .is_none_or(|first| first == self.descending)
    }
}

/// A PostgreSQL extension.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Extension {
    /// The extension's name (`citext`).
    pub name: String,
    /// The schema its objects live in; `None` for the default schema.
    pub schema: Option<String>,
    /// The version: declared (`VERSION '1.6'`) or installed; compared only
    /// when both sides have one.
    pub version: Option<String>,
}

/// A PostgreSQL domain: a base type with a default, `NOT NULL` and checks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    /// The domain's name.
    pub name: QualifiedName,
    /// The base type, as its source spells it.
    pub data_type: String,
    /// `COLLATE`, as its source spells it (`"C"`), when declared.
    pub collation: Option<String>,
    /// `DEFAULT`, as its source spells it.
    pub default: Option<String>,
    /// `NOT NULL`.
    pub not_null: bool,
    /// `CHECK` constraints (on `VALUE`).
    pub checks: Vec<CheckConstraint>,
}

/// One attribute of a composite type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Attribute {
    /// The attribute's name.
    pub name: String,
    /// Its type, as its source spells it.
    pub data_type: String,
}

/// A PostgreSQL composite type (`CREATE TYPE t AS (a int, b text)`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompositeType {
    /// The type's name.
    pub name: QualifiedName,
    /// Its attributes, in order.
    pub attributes: Vec<Attribute>,
}

/// A PostgreSQL range type (`CREATE TYPE r AS RANGE (subtype = …)`).
///
/// Optional parts are `None` when not declared; introspection reports them
/// `None` when they are what the server would pick without them (the
/// subtype's default operator class and collation, no functions, the
/// multirange name PostgreSQL derives).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RangeType {
    /// The type's name.
    pub name: QualifiedName,
    /// `subtype`, as its source spells it.
    pub subtype: String,
    /// `subtype_opclass`.
    pub subtype_opclass: Option<String>,
    /// `collation`.
    pub collation: Option<String>,
    /// `canonical` function.
    pub canonical: Option<String>,
    /// `subtype_diff` function.
    pub subtype_diff: Option<String>,
    /// `multirange_type_name`.
    pub multirange_type_name: Option<String>,
}

/// A PostgreSQL sequence, with every option filled in as the server fills
/// it when the declaration leaves it out. Its current value is data, not
/// schema, and is not recorded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sequence {
    /// The sequence's name.
    pub name: QualifiedName,
    /// `AS`: `smallint`, `integer` or `bigint` (the default).
    pub data_type: String,
    /// `INCREMENT BY`.
    pub increment: i64,
    /// `MINVALUE`.
    pub min_value: i64,
    /// `MAXVALUE`.
    pub max_value: i64,
    /// `START WITH`.
    pub start: i64,
    /// `CACHE`.
    pub cache: i64,
    /// `CYCLE`.
    pub cycle: bool,
    /// `OWNED BY table.column`.
    pub owned_by: Option<(QualifiedName, String)>,
}

impl Sequence {
    /// A sequence of `data_type` with PostgreSQL's defaults for the other
    /// options, given the increment.
    pub fn new(name: QualifiedName, data_type: &str, increment: i64) -> Sequence {
        let (lo, hi) = sequence_bounds(data_type);
        let (min_value, max_value) = if increment < 0 { (lo, -1) } else { (1, hi) };
        Sequence {
            name,
            data_type: data_type.to_owned(),
            increment,
            min_value,
            max_value,
            start: if increment < 0 { max_value } else { min_value },
            cache: 1,
            cycle: false,
            owned_by: None,
        }
    }
}

/// The range of a sequence type (`smallint`, `integer`, else `bigint`).
pub fn sequence_bounds(data_type: &str) -> (i64, i64) {
    match data_type {
        "smallint" => (i16::MIN.into(), i16::MAX.into()),
        "integer" => (i32::MIN.into(), i32::MAX.into()),
        _ => (i64::MIN, i64::MAX),
    }
}

/// A view or materialized view (`CREATE [MATERIALIZED] VIEW`).
///
/// Declared and introspected views are compared through [`View::canonical`]
/// when both sides have one (PostgreSQL: the server's own form of the query,
/// see `migrate_runtime::introspect::settle_declared`), otherwise through
/// the query's token stream (case of keywords, whitespace and comments do
/// not count).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct View {
    /// The view's name.
    pub name: QualifiedName,
    /// `CREATE MATERIALIZED VIEW`.
    pub materialized: bool,
    /// The declared column list (`CREATE VIEW v (a, b) AS …`), empty when
    /// there is none.
    pub column_list: Vec<String>,
    /// `WITH (…)` options as written (`security_barrier`,
    /// `check_option=local`), empty when none.
    pub options: Vec<String>,
    /// The query after `AS`, as its source spells it (PostgreSQL
    /// introspection: `pg_get_viewdef`).
    pub query: String,
    /// `WITH NO DATA` (a materialized view left unpopulated); a creation
    /// option, not compared.
    pub with_no_data: bool,
    /// SQLite: the whole `CREATE VIEW` statement as written, which SQLite
    /// keeps; rendered as it is.
    pub sql: Option<String>,
    /// PostgreSQL: the server's form of the view (options, columns with
    /// their types, `pg_get_viewdef`), when known.
    pub canonical: Option<String>,
    /// PostgreSQL: the view's columns as `name type`, when known; a change
    /// that keeps them is a `CREATE OR REPLACE VIEW`.
    pub columns: Vec<String>,
    /// `COMMENT ON [MATERIALIZED] VIEW` (PostgreSQL).
    pub comment: Option<String>,
    /// The indexes of a materialized view (PostgreSQL `CREATE [UNIQUE]
    /// INDEX … ON mv`), compared as a table's indexes are; always empty
    /// for a plain view.
    pub indexes: Vec<Index>,
}

/// A PostgreSQL function or procedure (`CREATE [OR REPLACE] FUNCTION` /
/// `PROCEDURE`), matched by name and argument types.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Function {
    /// The routine's name.
    pub name: QualifiedName,
    /// `CREATE PROCEDURE`.
    pub procedure: bool,
    /// The types of the input arguments, as `oidvectortypes` prints them
    /// (`integer, text`), which identify the routine among overloads.
    pub arg_types: String,
    /// The whole `CREATE` statement as its source spells it (introspection:
    /// `pg_get_functiondef`), without the final `;`.
    pub sql: String,
    /// The arguments (names, modes, defaults) and result as the server
    /// prints them, when known: a change that keeps them is a `CREATE OR
    /// REPLACE`.
    pub signature: Option<String>,
    /// Everything the server keeps of the routine but its name (language,
    /// body, volatility, strictness, security, settings, …), when known.
    pub canonical: Option<String>,
}

/// A trigger, matched by table and name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trigger {
    /// The table (or view) it is on.
    pub table: QualifiedName,
    /// The trigger's name.
    pub name: String,
    /// The whole `CREATE TRIGGER` statement as its source spells it
    /// (PostgreSQL introspection: `pg_get_triggerdef`; SQLite: the text it
    /// keeps), without the final `;`.
    pub sql: String,
    /// PostgreSQL: the function it executes.
    pub function: Option<QualifiedName>,
}

/// Who a privilege is granted to.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Grantee {
    /// `PUBLIC`: every role.
    Public,
    /// A role, by name (as the server folds it: unquoted names in lower
    /// case).
    Role(String),
}

impl fmt::Display for Grantee {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Grantee::Public => f.write_str("PUBLIC"),
            Grantee::Role(name) => f.write_str(name),
        }
    }
}

/// One privilege a grantee holds on an object, or on one of its columns.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Privilege {
    /// Who holds it.
    pub grantee: Grantee,
    /// The privilege, in upper case: `SELECT`, `INSERT`, `UPDATE`,
    /// `DELETE`, `TRUNCATE`, `REFERENCES`, `TRIGGER`, `USAGE`.
    pub privilege: String,
    /// The column, for a column privilege (`GRANT SELECT (a) ON t`).
    pub column: Option<String>,
}

/// The privileges on a table, view, materialized view or sequence
/// (PostgreSQL), other than its owner's.
///
/// The declared side is the fold of the file's `GRANT` and `REVOKE`
/// statements, in order, over an object's default privileges (none for
/// anyone but the owner); the database side is `aclexplode` of
/// `pg_class.relacl` and `pg_attribute.attacl`. The owner's own privileges
/// are never compared: the owner is whoever runs the migrations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ObjectGrants {
    /// The object is a sequence (`GRANT … ON SEQUENCE`).
    pub sequence: bool,
    /// The owner, when known (introspection): a privilege the declared side
    /// gives this role is not compared.
    pub owner: Option<String>,
    /// Each privilege held, with whether it is held `WITH GRANT OPTION`.
    pub privileges: BTreeMap<Privilege, bool>,
}
