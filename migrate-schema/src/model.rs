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
    /// Indexes created with `CREATE INDEX` (not those backing a primary key
    /// or unique constraint).
    pub indexes: Vec<Index>,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// `WITH (name = value, …)` storage parameters (PostgreSQL), as
    /// `(name, value)` pairs in the source's order and spelling.
    pub storage: Vec<(String, String)>,
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
            comment: None,
            storage: Vec::new(),
        }
    }

    /// The column with this name.
    pub fn column(&self, name: &str) -> Option<&Column> {
        self.columns.iter().find(|c| c.name == name)
    }
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
