//! Reading a declared schema (`schema.sql`) into the [`Schema`] model.
//!
//! The file holds declarations only: `CREATE SCHEMA`, `CREATE TYPE … AS
//! ENUM`, `CREATE TABLE`, `CREATE [UNIQUE] INDEX`, `COMMENT ON
//! TABLE/COLUMN/TYPE` and `ALTER TABLE … ADD CONSTRAINT` (as dumps write
//! them), and on PostgreSQL `CREATE EXTENSION`, `CREATE DOMAIN`, `CREATE
//! TYPE … AS (…)`, `CREATE TYPE … AS RANGE (…)` and `CREATE SEQUENCE` (with
//! `ALTER SEQUENCE … OWNED BY`; see the `kinds` submodule). Statements that
//! only set up a session (`SET …`, `SELECT pg_catalog.set_config(…)`,
//! `PRAGMA …`, `BEGIN`, `COMMIT`) are skipped: they declare nothing the
//! comparison knows about.
//! Views, materialized views, functions, procedures (PostgreSQL) and
//! triggers are read from their tokens into [`View`](crate::View),
//! [`Function`](crate::Function) and [`Trigger`](crate::Trigger) (see
//! [`views`](crate::views)); a view's query is checked by the dialect's
//! parser, a routine's body is left to the server.
//! Declarative partitioning (`PARTITION BY`, `PARTITION OF`, pg_dump's
//! `ATTACH PARTITION`) is read from tokens too, by the `partitions`
//! submodule, into [`Table::partition_key`](crate::Table::partition_key)
//! and [`Schema::partitions`](crate::Schema::partitions); `INHERITS` is an
//! error.
//! Anything else (`INSERT`s, …) is an
//! error that names its line and column: the comparison would silently
//! ignore it, so the file would promise more than autogenerate checks.
//! Column and index details the model does not record yet (`COLLATE`,
//! `DESC`/`NULLS` index keys, operator classes, `INCLUDE`) are errors too,
//! for the same reason.
//!
//! Names are folded as the database folds them: on PostgreSQL unquoted
//! identifiers become lower case and quoted ones are kept; on SQLite names
//! are kept as written. The default schema (`public`, SQLite's `main`) is
//! recorded as `schema: None`.
//!
//! `SERIAL`, `BIGSERIAL` and `SMALLSERIAL` (and `serial2/4/8`) expand on
//! PostgreSQL to `integer`/`bigint`/`smallint` `NOT NULL DEFAULT
//! nextval('<table>_<column>_seq'::regclass)`, as PostgreSQL stores them.
//! SQLite's `INTEGER PRIMARY KEY AUTOINCREMENT` is recorded as a
//! [`Identity::ByDefault`] column. Primary key and identity columns are
//! `NOT NULL`.

use std::collections::BTreeMap;
use std::fmt;

use sqlparser::ast::{
    self, ColumnOption, DataType, Expr, GeneratedAs, ObjectName, ObjectNamePart, ReferentialAction,
    Spanned, Statement, TableConstraint,
};
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::{Location, Span, Token};

use migrate_core::sql::{Dialect, check_statement, split_statements};

mod exclusion;
mod grants;
mod kinds;
mod partitions;

pub use kinds::default_multirange_name;

use crate::model::{
    CheckConstraint, Column, Deferral, EnumType, Exclusion, FkAction, ForeignKey, Identity, Index,
    IndexKey, IndexKeyOptions, PrimaryKey, QualifiedName, Schema, Table, UniqueConstraint,
};
use crate::views;

/// A problem in a declared schema, at a line and column of the file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaError {
    /// 1-based line.
    pub line: u32,
    /// 1-based column, in characters.
    pub column: u32,
    /// What is wrong and how to fix it (`"…; fix"`).
    pub message: String,
}

impl fmt::Display for SchemaError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}:{}: {}", self.line, self.column, self.message)
    }
}

impl std::error::Error for SchemaError {}

/// Parses a declared schema in `dialect`.
///
/// Returns every error found, not just the first. See the [module
/// documentation](self) for what the file may hold.
///
/// ```
/// use migrate_schema::parse::parse_schema;
/// use migrate_core::sql::Dialect;
///
/// let schema = parse_schema(
///     "CREATE TABLE Users (id SERIAL PRIMARY KEY, email TEXT NOT NULL UNIQUE);",
///     Dialect::Postgres,
/// )
/// .unwrap();
/// let users = &schema.tables[&migrate_schema::QualifiedName::new("users")];
/// assert_eq!(users.columns[0].data_type, "integer");
/// assert_eq!(users.uniques[0].columns, ["email"]);
///
/// let err = parse_schema("INSERT INTO t VALUES (1);", Dialect::Postgres).unwrap_err();
/// assert!(err[0].to_string().starts_with("line 1:1: "));
/// ```
pub fn parse_schema(sql: &str, dialect: Dialect) -> Result<Schema, Vec<SchemaError>> {
    parse_schema_with(sql, dialect, &ParseOptions::default())
}

/// What [`parse_schema_with`] reads besides what [`parse_schema`] reads.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ParseOptions {
    /// PostgreSQL: read `GRANT` and `REVOKE` on tables, views, materialized
    /// views and sequences into [`Schema::grants`], and on functions and
    /// procedures into [`Schema::routine_grants`] (migrate.toml's
    /// `compare_grants`). When `false` (the default) they are skipped, as
    /// are privileges on other objects (schemas, types, the database)
    /// either way.
    pub grants: bool,
}

/// [`parse_schema`], reading what `options` asks for too.
///
/// ```
/// use migrate_core::sql::Dialect;
/// use migrate_schema::{Grantee, ParseOptions, QualifiedName, parse_schema_with};
///
/// let sql = "CREATE TABLE t (id int);\n\
///            GRANT ALL ON TABLE t TO PUBLIC;\n\
///            REVOKE DELETE, TRUNCATE ON TABLE t FROM PUBLIC;";
/// let schema = parse_schema_with(sql, Dialect::Postgres, &ParseOptions { grants: true }).unwrap();
/// let held = &schema.grants[&QualifiedName::new("t")].privileges;
/// assert_eq!(held.len(), 5);
/// assert!(held.keys().all(|p| p.grantee == Grantee::Public));
/// ```
pub fn parse_schema_with(
    sql: &str,
    dialect: Dialect,
    options: &ParseOptions,
) -> Result<Schema, Vec<SchemaError>> {
    let mut p = SchemaParser {
        grants: options.grants && dialect == Dialect::Postgres,
        grant_positions: Vec::new(),
        routine_grant_positions: Vec::new(),
        dialect,
        schema: Schema::default(),
        errors: Vec::new(),
        deferred: Vec::new(),
        positions: BTreeMap::new(),
        sequences: Vec::new(),
        trigger_positions: BTreeMap::new(),
        next_partition_key: None,
        partition_key_columns: Vec::new(),
        pending_partitions: Vec::new(),
        pending_key_columns: Vec::new(),
    };
    let without_meta;
    let sql = if dialect == Dialect::Postgres {
        without_meta = blank_psql_meta_lines(sql);
        without_meta.as_str()
    } else {
        sql
    };
    // Declarations that passed sqlparser, for SQLite's own verdict.
    let mut judged: Vec<(&str, u32, u32)> = Vec::new();
    for statement in split_statements(sql, 1) {
        let text = &sql[statement.start..statement.end];
        if text.trim().is_empty() {
            continue;
        }
        let at = Pos {
            line: statement.line,
            column: statement.column,
        };
        p.next_partition_key = None;
        let rewritten;
        let text = if dialect == Dialect::Postgres {
            match p.partition_statement(text, at) {
                partitions::Outcome::NotMine => text,
                partitions::Outcome::Done => continue,
                partitions::Outcome::Rewritten(t) => {
                    rewritten = t;
                    rewritten.as_str()
                }
            }
        } else {
            text
        };
        if dialect == Dialect::Postgres
            && (p.dump_statement(text, at) || p.alter_exclusion(text, at))
        {
            continue;
        }
        if p.grants && crate::grants::on_routine(text) {
            p.routine_grant(text, at);
            continue;
        }
        // Privileges on routines (unless `compare_grants`), schemas,
        // types, …: not compared.
        if dialect == Dialect::Postgres && crate::grants::on_uncompared_object(text) {
            continue;
        }
        if (dialect == Dialect::Postgres && p.kinds_statement(text, at)) || p.code_object(text, at)
        {
            continue;
        }
        // Exclusion constraints inside CREATE TABLE, which sqlparser does
        // not read: read apart, and blanked out of what it reads.
        let (blanked, exclusions) = match dialect {
            Dialect::Postgres => exclusion::split_create_table(text),
            Dialect::Sqlite => (None, Vec::new()),
        };
        let checked = blanked.as_deref().unwrap_or(text);
        if let Err(e) = check_statement(checked, at.line, at.column, dialect) {
            p.errors.push(SchemaError {
                line: e.line,
                column: e.column,
                message: format!(
                    "{}; fix the declaration (schema.sql must parse as {dialect})",
                    e.message
                ),
            });
            continue;
        }
        let parsed = match dialect {
            Dialect::Postgres => {
                Parser::parse_sql(&PostgreSqlDialect {}, blanked.as_deref().unwrap_or(text))
            }
            Dialect::Sqlite => Parser::parse_sql(&SQLiteDialect {}, text),
        };
        match parsed {
            Ok(statements) if statements.len() == 1 => {
                let stmt = statements.into_iter().next().unwrap();
                if let Statement::CreateTable(c) = &stmt
                    && !exclusions.is_empty()
                    && let Some(table) = p.qualified(&c.name, at)
                {
                    for (offset, element) in &exclusions {
                        let element_at = exclusion::position(text, *offset, at);
                        p.exclusion(&table, element, element_at);
                    }
                }
                let declares = match &stmt {
                    Statement::CreateTable(c) => !is_sqlite_internal(&c.name, dialect),
                    Statement::CreateIndex(_) => true,
                    _ => false,
                };
                let errors = p.errors.len();
                p.statement(stmt, at);
                if declares && p.errors.len() == errors {
                    judged.push((&sql[statement.start..statement.end], at.line, at.column));
                }
            }
            _ => p.error_at(
                at,
                "could not read this statement; write one declaration per statement".into(),
            ),
        }
    }
    if dialect == Dialect::Sqlite {
        p.sqlite_verdict(&judged);
    }
    let deferred = std::mem::take(&mut p.deferred);
    for (at, item) in deferred {
        p.apply(item, at);
    }
    p.resolve_partitions();
    p.check_sequences();
    p.check_references();
    crate::kinds::without_serial_sequences(&mut p.schema);
    let (renames, errors) = crate::rename::scan(sql, dialect, &p.schema);
    p.schema.renames = renames;
    p.errors.extend(errors);
    p.check_triggers();
    p.check_grants();
    if p.errors.is_empty() {
        Ok(p.schema)
    } else {
        p.errors.sort_by_key(|e| (e.line, e.column));
        Err(p.errors)
    }
}

/// A storage parameter `name = value` (`WITH (fillfactor = 70)`) as a
/// `(name, value)` pair: the name in lower case, the value without quotes.
fn storage_parameter(option: &Expr) -> Option<(String, String)> {
    let Expr::BinaryOp {
        left,
        op: ast::BinaryOperator::Eq,
        right,
    } = option
    else {
        return None;
    };
    let name = match left.as_ref() {
        Expr::Identifier(i) => i.value.to_lowercase(),
        Expr::CompoundIdentifier(parts) => parts
            .iter()
            .map(|i| i.value.to_lowercase())
            .collect::<Vec<_>>()
            .join("."),
        _ => return None,
    };
    let value = match right.as_ref() {
        Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        Expr::Identifier(i) => i.value.clone(),
        other => other.to_string(),
    };
    Some((name, value))
}

/// psql meta-command lines (`\\restrict KEY` and `\\unrestrict KEY`, which
/// pg_dump 15.14, 16.10 and 17.6 and later print around a dump) replaced by
/// empty lines, so positions in the file stay the same. Only those two:
/// a line inside a string or a `$$` body may start with a backslash too.
fn blank_psql_meta_lines(sql: &str) -> String {
    let is_meta = |line: &str| {
        let word = line.split_whitespace().next().unwrap_or("");
        word == "\\restrict" || word == "\\unrestrict"
    };
    sql.split_inclusive('\n')
        .map(|line| {
            if is_meta(line) {
                if line.ends_with('\n') { "\n" } else { "" }
            } else {
                line
            }
        })
        .collect()
}

/// SQLite's own tables (`sqlite_sequence`, `sqlite_stat1`, …), which
/// `sqlite3 app.db .schema` prints and no statement may create: not part of
/// the declared schema, as they are not part of the introspected one.
fn is_sqlite_internal(name: &ObjectName, dialect: Dialect) -> bool {
    dialect == Dialect::Sqlite
        && name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .is_some_and(|i| i.value.to_ascii_lowercase().starts_with("sqlite_"))
}

/// SQLite's message with what to write instead, for the usual PostgreSQL
/// habits in a schema read as SQLite.
#[cfg_attr(not(feature = "sqlite-exact"), allow(dead_code))]
fn sqlite_rejects(message: &str, sql: &str) -> String {
    let lower = sql.to_ascii_lowercase();
    let fix = if lower.contains("now(") || message.contains("function: now") {
        "SQLite has no now(): write DEFAULT CURRENT_TIMESTAMP"
    } else if lower.contains("::") && message.contains("unrecognized token") {
        "`::` casts are PostgreSQL's: leave the cast out or write CAST(x AS type)"
    } else if lower.contains("gen_random_uuid(") {
        "SQLite has no gen_random_uuid(): generate the value in the application, or write DEFAULT (lower(hex(randomblob(16))))"
    } else if lower.contains("identity") {
        "SQLite has no identity columns: write INTEGER PRIMARY KEY (AUTOINCREMENT)"
    } else {
        "schema.sql is compared with an SQLite database, so it must be SQLite's SQL; fix the declaration"
    };
    format!("SQLite rejects this: {message}; {fix}")
}

/// A statement's position in the file; spans inside it are relative to it.
#[derive(Debug, Clone, Copy)]
struct Pos {
    line: u32,
    column: u32,
}

impl Pos {
    /// The file position of a span inside the statement starting here.
    fn of(self, span: Span) -> Pos {
        let Location { line, column } = span.start;
        if line == 0 {
            return self;
        }
        Pos {
            line: self.line + line as u32 - 1,
            column: if line == 1 {
                self.column + column as u32 - 1
            } else {
                column as u32
            },
        }
    }
}

/// An index key as read: the key, its options, and the column it names
/// with where.
type KeyRead = (IndexKey, IndexKeyOptions, Option<(String, Span)>);

/// Work that needs every table declared first.
enum Deferred {
    Index(QualifiedName, Index, Vec<(String, Span)>),
    Comment(CommentOn, Option<String>),
    Constraint(QualifiedName, TableConstraint),
    /// `ALTER TABLE … ADD CONSTRAINT … NOT VALID` (a dump's foreign keys and
    /// checks that were never validated).
    NotValid(QualifiedName, TableConstraint),
    /// An exclusion constraint, with the columns it names and where
    /// (PostgreSQL).
    /// The last part is, for an unnamed one, the element names its name is
    /// made of, to pick a free one when every table is known.
    Exclusion(
        QualifiedName,
        Exclusion,
        Vec<(String, Span)>,
        Option<String>,
    ),
    /// `ALTER TABLE … ALTER COLUMN c SET DEFAULT …` (pg_dump's serial
    /// columns).
    ColumnDefault(QualifiedName, String, String),
    /// `ALTER TABLE … ALTER COLUMN c ADD GENERATED … AS IDENTITY` (pg_dump's
    /// identity columns).
    Identity(QualifiedName, String, Identity),
}

/// A `CREATE SEQUENCE`, and the column that owns it, if any.
struct Sequence {
    name: QualifiedName,
    at: Pos,
    owner: Option<(QualifiedName, String)>,
    /// The sequence as declared, options filled in.
    def: crate::model::Sequence,
}

enum CommentOn {
    Table(QualifiedName),
    Column(QualifiedName, String),
    Type(QualifiedName),
    View(QualifiedName),
}

struct SchemaParser {
    dialect: Dialect,
    schema: Schema,
    errors: Vec<SchemaError>,
    deferred: Vec<(Pos, Deferred)>,
    /// Where each table was declared, for errors found later.
    positions: BTreeMap<QualifiedName, Pos>,
    /// `CREATE SEQUENCE`s, resolved once every table is declared.
    sequences: Vec<Sequence>,
    /// Where each trigger was declared, for errors found later.
    trigger_positions: BTreeMap<(QualifiedName, String), Pos>,
    /// Read `GRANT` and `REVOKE` ([`ParseOptions::grants`], PostgreSQL).
    grants: bool,
    /// Each table, view or materialized view a `GRANT` or `REVOKE` names,
    /// where, and the columns it names, checked once all are declared.
    grant_positions: Vec<(QualifiedName, Pos, Vec<String>)>,
    /// Each routine a `GRANT` or `REVOKE` names, and where.
    routine_grant_positions: Vec<((QualifiedName, String), Pos)>,
    /// `PARTITION BY …` of the `CREATE TABLE` being read (see the
    /// `partitions` submodule), with where it was written.
    next_partition_key: Option<(String, Pos)>,
    /// The plain columns of the key just read, to check against the table.
    partition_key_columns: Vec<(String, Pos)>,
    /// Partitions, resolved once every table is declared.
    pending_partitions: Vec<partitions::Pending>,
    /// The plain columns of each pending partition's own key.
    pending_key_columns: Vec<Vec<(String, Pos)>>,
}

const SKIPPED_HINT: &str = "schema.sql holds declarations only (CREATE SCHEMA, CREATE EXTENSION, CREATE TYPE, CREATE DOMAIN, CREATE SEQUENCE, CREATE TABLE, CREATE INDEX, CREATE VIEW, CREATE FUNCTION, CREATE PROCEDURE, CREATE TRIGGER, COMMENT ON, ALTER TABLE … ADD CONSTRAINT); write this in a revision instead";

impl SchemaParser {
    /// SQLite, in memory, runs the declarations sqlparser accepted: its
    /// grammar is the judge of what an SQLite database will take (sqlparser
    /// reads `DEFAULT now()` or `'x'::text` without complaint).
    #[cfg(feature = "sqlite-exact")]
    fn sqlite_verdict(&mut self, statements: &[(&str, u32, u32)]) {
        for e in migrate_core::exact::replay::run_declarations(statements) {
            let text = statements
                .iter()
                .rev()
                .find(|(_, line, _)| *line <= e.line)
                .map_or("", |s| s.0);
            let message = sqlite_rejects(&e.message, text);
            self.errors.push(SchemaError {
                line: e.line,
                column: e.column,
                message,
            });
        }
    }

    #[cfg(not(feature = "sqlite-exact"))]
    fn sqlite_verdict(&mut self, _: &[(&str, u32, u32)]) {}

    /// A column default SQLite cannot evaluate (`now()`), found when the
    /// table is created rather than at the first insert.
    #[cfg(feature = "sqlite-exact")]
    fn sqlite_default(&mut self, expr: &Expr, at: Pos) {
        let text = expr.to_string();
        if let Some(message) = migrate_core::exact::replay::expression_error(&text)
            && !message.starts_with("no such column")
        {
            self.error_at(at.of(expr.span()), sqlite_rejects(&message, &text));
        }
    }

    #[cfg(not(feature = "sqlite-exact"))]
    fn sqlite_default(&mut self, _: &Expr, _: Pos) {}

    fn error_at(&mut self, at: Pos, message: String) {
        self.errors.push(SchemaError {
            line: at.line,
            column: at.column,
            message,
        });
    }

    fn fold(&self, ident: &ast::Ident) -> String {
        if ident.quote_style.is_some() || self.dialect == Dialect::Sqlite {
            ident.value.clone()
        } else {
            ident.value.to_lowercase()
        }
    }

    /// A collation or operator class name as the catalogue stores it: the
    /// last part, folded (`pg_catalog."C"` is `C`, `NOCASE` stays `NOCASE`
    /// on SQLite, whose collation names are compared without case).
    fn catalog_name(&self, name: &ObjectName) -> String {
        name.0
            .last()
            .and_then(|p| p.as_ident())
            .map_or_else(|| name.to_string(), |i| self.fold(i))
    }

    /// `DEFERRABLE` / `INITIALLY DEFERRED` of a constraint. SQLite's own
    /// deferrable foreign keys, and `ENFORCED`, are not compared: errors.
    fn deferral(&mut self, c: Option<&ast::ConstraintCharacteristics>, at: Pos) -> Deferral {
        let Some(c) = c else {
            return Deferral::NotDeferrable;
        };
        if c.enforced.is_some() {
            self.error_at(
                at,
                "ENFORCED / NOT ENFORCED is not compared; remove it".into(),
            );
        }
        let deferral = match (c.deferrable, c.initially) {
            (_, Some(ast::DeferrableInitial::Deferred)) => Deferral::Deferred,
            (Some(true), _) => Deferral::Immediate,
            _ => Deferral::NotDeferrable,
        };
        if self.dialect == Dialect::Sqlite && deferral != Deferral::NotDeferrable {
            self.error_at(
                at,
                "DEFERRABLE is compared on PostgreSQL only, not on SQLite; remove it from schema.sql and manage it in a revision".into(),
            );
        }
        deferral
    }

    fn qualified(&mut self, name: &ObjectName, at: Pos) -> Option<QualifiedName> {
        let mut parts = Vec::new();
        for part in &name.0 {
            match part {
                ObjectNamePart::Identifier(ident) => parts.push(self.fold(ident)),
                ObjectNamePart::Function(_) => {
                    self.error_at(at, format!("unexpected name `{name}`; use a plain name"));
                    return None;
                }
            }
        }
        match parts.as_slice() {
            [name] => Some(QualifiedName::new(name.clone())),
            [schema, name] => {
                let default = match self.dialect {
                    Dialect::Postgres => "public",
                    Dialect::Sqlite => "main",
                };
                if schema == default {
                    Some(QualifiedName::new(name.clone()))
                } else {
                    Some(QualifiedName::in_schema(schema.clone(), name.clone()))
                }
            }
            _ => {
                self.error_at(
                    at,
                    format!("`{name}` has too many parts; write `schema.name` or `name`"),
                );
                None
            }
        }
    }

    fn statement(&mut self, stmt: Statement, at: Pos) {
        match stmt {
            Statement::CreateSchema { schema_name, .. } => match &schema_name {
                ast::SchemaName::Simple(name) | ast::SchemaName::NamedAuthorization(name, _) => {
                    if let Some(q) = self.qualified(name, at) {
                        let name = q
                            .schema
                            .map_or(q.name.clone(), |s| format!("{s}.{}", q.name));
                        let default = matches!(name.as_str(), "public" | "main");
                        if !default {
                            self.schema.schemas.insert(name);
                        }
                    }
                }
                ast::SchemaName::UnnamedAuthorization(_) => {
                    self.error_at(at, "give the schema a name: CREATE SCHEMA name".into())
                }
            },
            Statement::CreateType {
                name,
                representation,
            } => {
                let Some(q) = self.qualified(&name, at) else {
                    return;
                };
                match representation {
                    Some(ast::UserDefinedTypeRepresentation::Enum { labels }) => {
                        if self.dialect == Dialect::Sqlite {
                            self.error_at(at, "SQLite has no enum types; use TEXT with a CHECK constraint".into());
                            return;
                        }
                        let values: Vec<String> = labels.iter().map(|l| l.value.clone()).collect();
                        if self.schema.enums.contains_key(&q) {
                            self.error_at(at, format!("type {q} is declared twice; keep one declaration"));
                            return;
                        }
                        self.schema.enums.insert(
                            q.clone(),
                            EnumType {
                                name: q,
                                values,
                                comment: None,
                            },
                        );
                    }
                    Some(r)
                        if self.dialect == Dialect::Postgres
                            && self.create_type_kind(q.clone(), &r, at) => {}
                    _ => self.error_at(
                        at,
                        format!("only enum, composite and range types are compared (CREATE TYPE {q} AS ENUM (…) / AS (…) / AS RANGE (…)); write other types in a revision"),
                    ),
                }
            }
            Statement::CreateTable(create) => self.create_table(create, at),
            Statement::CreateIndex(create) => self.create_index(create, at),
            Statement::Comment {
                object_type,
                object_name,
                comment,
                ..
            } => {
                let target = match object_type {
                    ast::CommentObject::Table => {
                        self.qualified(&object_name, at).map(CommentOn::Table)
                    }
                    ast::CommentObject::Type => {
                        self.qualified(&object_name, at).map(CommentOn::Type)
                    }
                    ast::CommentObject::View | ast::CommentObject::MaterializedView => {
                        self.qualified(&object_name, at).map(CommentOn::View)
                    }
                    ast::CommentObject::Column => {
                        let mut parts: Vec<ast::Ident> = object_name
                            .0
                            .iter()
                            .filter_map(|p| p.as_ident().cloned())
                            .collect();
                        if parts.len() < 2 {
                            self.error_at(at, "name the column as table.column".into());
                            return;
                        }
                        let column = parts.pop().unwrap();
                        let column = self.fold(&column);
                        self.qualified(&ObjectName::from(parts), at)
                            .map(|t| CommentOn::Column(t, column))
                    }
                    other => {
                        self.error_at(
                            at,
                            format!("comments on {other} are not compared; only COMMENT ON TABLE, COLUMN, TYPE, VIEW and MATERIALIZED VIEW are"),
                        );
                        return;
                    }
                };
                if let Some(target) = target {
                    self.deferred.push((at, Deferred::Comment(target, comment)));
                }
            }
            Statement::AlterTable(alter) => {
                let Some(table) = self.qualified(&alter.name, at) else {
                    return;
                };
                for op in alter.operations {
                    match op {
                        ast::AlterTableOperation::AddConstraint {
                            constraint,
                            not_valid: true,
                        } => self
                            .deferred
                            .push((at, Deferred::NotValid(table.clone(), constraint))),
                        ast::AlterTableOperation::AddConstraint { constraint, .. } => self
                            .deferred
                            .push((at, Deferred::Constraint(table.clone(), constraint))),
                        ast::AlterTableOperation::OwnerTo { .. } => {}
                        ast::AlterTableOperation::AlterColumn {
                            column_name,
                            op: ast::AlterColumnOperation::SetDefault { value },
                        } => {
                            let column = self.fold(&column_name);
                            self.deferred.push((
                                at,
                                Deferred::ColumnDefault(table.clone(), column, value.to_string()),
                            ));
                        }
                        other => self.error_at(
                            at,
                            format!("`{other}` is not a declaration; only ALTER TABLE … ADD CONSTRAINT is read from schema.sql; fold the change into the CREATE TABLE"),
                        ),
                    }
                }
            }
            Statement::Set(_)
            | Statement::Pragma { .. }
            | Statement::StartTransaction { .. }
            | Statement::Commit { .. } => {}
            Statement::Grant(g) if self.grants => {
                let operation = crate::grants::Operation::Grant {
                    with_grant_option: g.with_grant_option,
                };
                self.grant(
                    &g.privileges,
                    g.objects.as_ref(),
                    &g.grantees,
                    operation,
                    at,
                );
            }
            Statement::Revoke(r) if self.grants => {
                let operation = crate::grants::Operation::Revoke {
                    grant_option_only: r.grant_option_for,
                };
                self.grant(
                    &r.privileges,
                    r.objects.as_ref(),
                    &r.grantees,
                    operation,
                    at,
                );
            }
            // Privileges are not compared unless `compare_grants` is on
            // (pg_dump writes them): accepted and left out, as ownership is.
            Statement::Grant(_) | Statement::Revoke(_) if self.dialect == Dialect::Postgres => {}
            Statement::Query(q) if q.to_string().to_lowercase().contains("set_config(") => {}
            other => {
                let what: String = other
                    .to_string()
                    .split_whitespace()
                    .take(3)
                    .collect::<Vec<_>>()
                    .join(" ");
                self.error_at(at, format!("`{what} …` is not supported: {SKIPPED_HINT}"))
            }
        }
    }

    fn create_table(&mut self, create: ast::CreateTable, at: Pos) {
        if is_sqlite_internal(&create.name, self.dialect) {
            return;
        }
        let Some(name) = self.qualified(&create.name, at) else {
            return;
        };
        if create.query.is_some() || create.like.is_some() || create.clone.is_some() {
            self.error_at(
                at,
                format!("declare table {name} with its columns (not AS SELECT / LIKE / CLONE)"),
            );
            return;
        }
        if create.temporary {
            self.error_at(
                at,
                "temporary tables are not part of a schema; remove it".into(),
            );
            return;
        }
        if (create.partition_by.is_some() || create.partition_of.is_some())
            && self.dialect == Dialect::Sqlite
        {
            self.error_at(
                at,
                format!("SQLite has no partitioned tables; declare {name} as a plain table"),
            );
            return;
        }
        if create.partition_by.is_some() || create.partition_of.is_some() {
            self.error_at(
                at,
                format!("could not read the partitioning of table {name}; write CREATE TABLE {name} (…) PARTITION BY RANGE|LIST|HASH (…) or CREATE TABLE {name} PARTITION OF parent FOR VALUES …"),
            );
            return;
        }
        if create.inherits.is_some() {
            self.error_at(
                at,
                format!("table {name} inherits (INHERITS): legacy inheritance is not compared; use declarative partitioning (PARTITION BY / PARTITION OF), or create it in a revision and list it in migrate.toml's `exclude`"),
            );
            return;
        }
        if self.schema.tables.contains_key(&name) {
            self.error_at(
                at,
                format!("table {name} is declared twice; keep one declaration"),
            );
            return;
        }
        let mut table = Table::new(name.clone());
        for def in &create.columns {
            let col_at = at.of(def.name.span);
            let col_name = self.fold(&def.name);
            if table.column(&col_name).is_some() {
                self.error_at(
                    col_at,
                    format!("column {col_name} is declared twice in table {name}; keep one"),
                );
                continue;
            }
            let mut column = Column::new(col_name.clone(), def.data_type.to_string());
            self.serial(&name, &mut column, &def.data_type);
            for option in &def.options {
                let constraint_name = option.name.as_ref().map(|n| self.fold(n));
                match &option.option {
                    ColumnOption::Null => column.nullable = true,
                    ColumnOption::NotNull => column.nullable = false,
                    ColumnOption::Default(expr) => {
                        if self.dialect == Dialect::Sqlite {
                            self.sqlite_default(expr, at);
                        }
                        column.default = Some(expr.to_string());
                    }
                    ColumnOption::PrimaryKey(pk) => {
                        if table.primary_key.is_some() {
                            self.error_at(col_at, format!("table {name} has two primary keys; keep one"));
                        }
                        let deferral = self.deferral(pk.characteristics.as_ref(), col_at);
                        table.primary_key = Some(PrimaryKey {
                            name: constraint_name.or_else(|| pk.name.as_ref().map(|n| self.fold(n))),
                            columns: vec![col_name.clone()],
                            deferral,
                        });
                        column.nullable = false;
                    }
                    ColumnOption::Unique(u) => {
                        let deferral = self.deferral(u.characteristics.as_ref(), col_at);
                        table.uniques.push(UniqueConstraint {
                            name: constraint_name.or_else(|| u.name.as_ref().map(|n| self.fold(n))),
                            columns: vec![col_name.clone()],
                            deferral,
                        })
                    }
                    ColumnOption::ForeignKey(fk) => {
                        if let Some(mut key) = self.foreign_key(fk, at) {
                            key.name = constraint_name.or(key.name);
                            key.columns = vec![col_name.clone()];
                            table.foreign_keys.push(key);
                        }
                    }
                    ColumnOption::Check(c) => table.checks.push(CheckConstraint {
                        name: constraint_name.or_else(|| c.name.as_ref().map(|n| self.fold(n))),
                        expression: c.expr.to_string(),
                        not_valid: false,
                    }),
                    ColumnOption::Generated {
                        generated_as,
                        generation_expr,
                        ..
                    } => match generation_expr {
                        Some(expr) => column.generated = Some(expr.to_string()),
                        None => {
                            column.identity = Some(match generated_as {
                                GeneratedAs::ByDefault => Identity::ByDefault,
                                _ => Identity::Always,
                            });
                            column.nullable = false;
                        }
                    },
                    ColumnOption::DialectSpecific(tokens)
                        if tokens.iter().any(|t| {
                            matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTOINCREMENT"))
                        }) =>
                    {
                        column.identity = Some(Identity::ByDefault);
                    }
                    ColumnOption::Comment(text) => column.comment = Some(text.clone()),
                    ColumnOption::Collation(collation) => {
                        column.collation = Some(self.catalog_name(collation));
                    }
                    other => self.error_at(
                        col_at,
                        format!("column option `{other}` is not compared yet; remove it from schema.sql and manage it in a revision"),
                    ),
                }
            }
            table.columns.push(column);
        }
        match &create.table_options {
            ast::CreateTableOptions::None => {}
            ast::CreateTableOptions::With(options) if self.dialect == Dialect::Postgres => {
                for option in options {
                    let pair = match option {
                        ast::SqlOption::KeyValue { key, value } => storage_parameter(
                            &Expr::BinaryOp {
                                left: Box::new(Expr::Identifier(key.clone())),
                                op: ast::BinaryOperator::Eq,
                                right: Box::new(value.clone()),
                            },
                        ),
                        _ => None,
                    };
                    match pair {
                        Some(pair) => table.storage.push(pair),
                        None => self.error_at(
                            at,
                            format!("table storage parameter `{option}` is not `name = value`; write it as WITH (fillfactor = 70)"),
                        ),
                    }
                }
            }
            other => self.error_at(
                at,
                format!("table option `{other}` is not compared; remove it from schema.sql and manage it in a revision"),
            ),
        }
        self.positions.insert(name.clone(), at);
        self.take_partition_key(&mut table);
        self.schema.tables.insert(name.clone(), table);
        for constraint in create.constraints {
            self.table_constraint(&name, constraint, at);
        }
    }

    /// Expands `serial` types on PostgreSQL.
    fn serial(&self, table: &QualifiedName, column: &mut Column, data_type: &DataType) {
        if self.dialect != Dialect::Postgres {
            return;
        }
        let spelled = data_type.to_string().to_lowercase();
        let base = match spelled.as_str() {
            "serial" | "serial4" => "integer",
            "bigserial" | "serial8" => "bigint",
            "smallserial" | "serial2" => "smallint",
            _ => return,
        };
        column.data_type = base.to_owned();
        column.nullable = false;
        let mut sequence = format!("{}_{}_seq", table.name, column.name);
        truncate_identifier(&mut sequence);
        let sequence = match &table.schema {
            Some(schema) => format!("{schema}.{sequence}"),
            None => sequence,
        };
        column.default = Some(format!(
            "nextval('{}'::regclass)",
            sequence.replace('\'', "''")
        ));
    }

    fn foreign_key(&mut self, fk: &ast::ForeignKeyConstraint, at: Pos) -> Option<ForeignKey> {
        let ref_table = self.qualified(&fk.foreign_table, at.of(fk.foreign_table.span()))?;
        Some(ForeignKey {
            name: fk.name.as_ref().map(|n| self.fold(n)),
            columns: fk.columns.iter().map(|c| self.fold(c)).collect(),
            ref_table,
            ref_columns: fk.referred_columns.iter().map(|c| self.fold(c)).collect(),
            on_delete: fk_action(fk.on_delete),
            on_update: fk_action(fk.on_update),
            deferral: self.deferral(fk.characteristics.as_ref(), at),
            not_valid: false,
        })
    }

    fn key_columns(&mut self, columns: &[ast::IndexColumn], at: Pos) -> Option<Vec<String>> {
        let mut out = Vec::new();
        for c in columns {
            match &c.column.expr {
                Expr::Identifier(ident)
                    if c.operator_class.is_none()
                        && c.column.options.sort.is_none()
                        && c.column.options.nulls_first.is_none() =>
                {
                    out.push(self.fold(ident))
                }
                other => {
                    self.error_at(
                        at.of(other.span()),
                        format!(
                            "constraint key `{}` must be a plain column name; list columns only",
                            c
                        ),
                    );
                    return None;
                }
            }
        }
        Some(out)
    }

    fn table_constraint(&mut self, table: &QualifiedName, constraint: TableConstraint, at: Pos) {
        let Some(mut t) = self.schema.tables.remove(table) else {
            let message = match self.partition_parent(table) {
                Some(parent) => format!(
                    "constraint on partition {table}: a partition's constraints are its parent's; declare it on {parent}"
                ),
                None => format!("constraint on unknown table {table}; declare the table first"),
            };
            self.error_at(at, message);
            return;
        };
        match &constraint {
            TableConstraint::PrimaryKey(pk) => {
                if let Some(columns) = self.key_columns(&pk.columns, at) {
                    if t.primary_key.is_some() {
                        self.error_at(at, format!("table {table} has two primary keys; keep one"));
                    }
                    for c in &columns {
                        if let Some(col) = t.columns.iter_mut().find(|x| &x.name == c) {
                            col.nullable = false;
                        }
                    }
                    let deferral = self.deferral(pk.characteristics.as_ref(), at);
                    t.primary_key = Some(PrimaryKey {
                        name: pk.name.as_ref().map(|n| self.fold(n)),
                        columns,
                        deferral,
                    });
                }
            }
            TableConstraint::Unique(u) => {
                if let Some(columns) = self.key_columns(&u.columns, at) {
                    let deferral = self.deferral(u.characteristics.as_ref(), at);
                    t.uniques.push(UniqueConstraint {
                        name: u.name.as_ref().map(|n| self.fold(n)),
                        columns,
                        deferral,
                    });
                }
            }
            TableConstraint::ForeignKey(fk) => {
                if let Some(key) = self.foreign_key(fk, at) {
                    t.foreign_keys.push(key);
                }
            }
            TableConstraint::Check(c) => t.checks.push(CheckConstraint {
                name: c.name.as_ref().map(|n| self.fold(n)),
                expression: c.expr.to_string(),
                not_valid: false,
            }),
            other => self.error_at(
                at,
                format!("constraint `{other}` is not compared yet; use PRIMARY KEY, UNIQUE, FOREIGN KEY or CHECK, or manage it in a revision"),
            ),
        }
        self.schema.tables.insert(table.clone(), t);
    }

    /// One key of an index (or element of an exclusion constraint): the
    /// column or expression, its options, and the column it names with
    /// where; `None` after an error.
    fn index_key(&mut self, c: &ast::IndexColumn, at: Pos) -> Option<KeyRead> {
        let mut options = IndexKeyOptions {
            opclass: c.operator_class.as_ref().map(|n| self.catalog_name(n)),
            nulls_first: c.column.options.nulls_first,
            ..IndexKeyOptions::default()
        };
        match &c.column.options.sort {
            None | Some(ast::OrderBySort::Asc) => {}
            Some(ast::OrderBySort::Desc) => options.descending = true,
            Some(ast::OrderBySort::Using(_)) => {
                self.error_at(
                    at.of(c.column.expr.span()),
                    format!("index key `{c}` orders with USING, which is not compared; write ASC or DESC"),
                );
                return None;
            }
        }
        let mut expr = &c.column.expr;
        if let Expr::Collate {
            expr: inner,
            collation,
        } = expr
        {
            options.collation = Some(self.catalog_name(collation));
            expr = inner;
        }
        Some(match expr {
            Expr::Identifier(ident) => {
                let col = self.fold(ident);
                (
                    IndexKey::Column(col.clone()),
                    options,
                    Some((col, ident.span)),
                )
            }
            Expr::Nested(inner) => (IndexKey::Expression(inner.to_string()), options, None),
            other => (IndexKey::Expression(other.to_string()), options, None),
        })
    }

    fn create_index(&mut self, create: ast::CreateIndex, at: Pos) {
        let Some(table) = self.qualified(&create.table_name, at) else {
            return;
        };
        let Some(name) = &create.name else {
            self.error_at(
                at,
                "give the index a name (CREATE INDEX name ON …): the comparison matches indexes by name".into(),
            );
            return;
        };
        let Some(name) = self.qualified(name, at) else {
            return;
        };
        if create.nulls_distinct.is_some() || !create.index_options.is_empty() {
            self.error_at(
                at,
                format!("index {} uses NULLS [NOT] DISTINCT or other index options, which are not compared yet; remove them or manage the index in a revision", name.name),
            );
            return;
        }
        let mut keys = Vec::new();
        let mut key_options = Vec::new();
        let mut columns = Vec::new();
        for c in &create.columns {
            let Some((key, options, column)) = self.index_key(c, at) else {
                return;
            };
            columns.extend(column);
            keys.push(key);
            key_options.push(options);
        }
        if key_options.iter().all(IndexKeyOptions::is_default) {
            key_options.clear();
        }
        let mut include = Vec::new();
        for ident in &create.include {
            let col = self.fold(ident);
            columns.push((col.clone(), ident.span));
            include.push(col);
        }
        let mut with = Vec::new();
        for option in &create.with {
            match storage_parameter(option) {
                Some(pair) => with.push(pair),
                None => {
                    self.error_at(
                        at.of(option.span()),
                        format!("index storage parameter `{option}` is not `name = value`; write it as WITH (fillfactor = 70)"),
                    );
                    return;
                }
            }
        }
        let method = create.using.as_ref().map(|m| m.to_string().to_lowercase());
        let index = Index {
            name: name.name,
            unique: create.unique,
            keys,
            predicate: create.predicate.as_ref().map(|p| p.to_string()),
            method: method.filter(|m| m != "btree"),
            key_options,
            include,
            with,
        };
        self.deferred
            .push((at, Deferred::Index(table, index, columns)));
    }

    /// Whether a materialized view in `table`'s schema has an index named
    /// `name`.
    fn view_index_named(&self, table: &QualifiedName, name: &str) -> bool {
        self.schema
            .views
            .values()
            .any(|v| v.name.schema == table.schema && v.indexes.iter().any(|i| i.name == name))
    }

    /// An index on the declared view `view`: kept on a materialized view
    /// (its columns checked against the view's column list when it has
    /// one), refused on a plain view.
    fn view_index(
        &mut self,
        view: QualifiedName,
        index: Index,
        columns: Vec<(String, Span)>,
        at: Pos,
    ) {
        let v = &self.schema.views[&view];
        if !v.materialized {
            self.error_at(
                at,
                format!(
                    "index {} is on view {view}, which is not materialized: only tables and materialized views (PostgreSQL) have indexes; index the tables the view reads instead",
                    index.name
                ),
            );
            return;
        }
        // Without a column list the view's columns are not known here.
        let known: Option<Vec<String>> = (!v.column_list.is_empty()).then(|| v.column_list.clone());
        let has = |col: &str| known.as_ref().is_none_or(|k| k.iter().any(|c| c == col));
        if !self.index_fits(&view, &index, columns, has, at) {
            return;
        }
        self.schema
            .views
            .get_mut(&view)
            .unwrap()
            .indexes
            .push(index);
    }

    /// Whether `index` may go on `on` (a table or a materialized view):
    /// every column it names is one `has` knows, and no index of the schema
    /// has its name. Reports the first problem at its place otherwise.
    fn index_fits(
        &mut self,
        on: &QualifiedName,
        index: &Index,
        columns: Vec<(String, Span)>,
        has: impl Fn(&str) -> bool,
        at: Pos,
    ) -> bool {
        for (col, span) in columns {
            if !has(&col) {
                self.error_at(
                    at.of(span),
                    format!(
                        "index {} names unknown column {on}.{col}; fix the column name",
                        index.name
                    ),
                );
                return false;
            }
        }
        let duplicate =
            self.schema.tables.values().any(|t| {
                t.name.schema == on.schema && t.indexes.iter().any(|i| i.name == index.name)
            }) || self.view_index_named(on, &index.name);
        if duplicate {
            self.error_at(
                at,
                format!("index {} is declared twice; keep one", index.name),
            );
            return false;
        }
        true
    }

    fn apply(&mut self, item: Deferred, at: Pos) {
        match item {
            Deferred::Index(table, index, columns) => {
                if !self.schema.tables.contains_key(&table)
                    && self.schema.views.contains_key(&table)
                {
                    self.view_index(table, index, columns, at);
                    return;
                }
                let Some(t) = self.schema.tables.get(&table) else {
                    let message = match self.partition_parent(&table) {
                        Some(parent) => format!(
                            "index {} is on partition {table}: an index on one partition alone is not compared; declare it on {parent}, which creates it on every partition",
                            index.name
                        ),
                        None => format!(
                            "index {} is on unknown table {table}; declare the table or fix the name",
                            index.name
                        ),
                    };
                    self.error_at(at, message);
                    return;
                };
                let names: Vec<String> = t.columns.iter().map(|c| c.name.clone()).collect();
                let has = |col: &str| names.iter().any(|c| c == col);
                if !self.index_fits(&table, &index, columns, has, at) {
                    return;
                }
                self.schema
                    .tables
                    .get_mut(&table)
                    .unwrap()
                    .indexes
                    .push(index);
            }
            Deferred::Exclusion(table, x, columns, unnamed) => {
                self.add_exclusion(table, x, columns, unnamed, at)
            }
            Deferred::Comment(target, comment) => {
                match target {
                    CommentOn::Table(name) => match self.schema.tables.get_mut(&name) {
                        Some(t) => t.comment = comment,
                        None => self
                            .error_at(at, format!("comment on unknown table {name}; fix the name")),
                    },
                    CommentOn::View(name) => match self.schema.views.get_mut(&name) {
                        Some(v) => v.comment = comment,
                        None => self
                            .error_at(at, format!("comment on unknown view {name}; fix the name")),
                    },
                    CommentOn::Type(name) => match self.schema.enums.get_mut(&name) {
                        Some(e) => e.comment = comment,
                        None => self
                            .error_at(at, format!("comment on unknown type {name}; fix the name")),
                    },
                    CommentOn::Column(name, column) => {
                        match self
                            .schema
                            .tables
                            .get_mut(&name)
                            .and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
                        {
                            Some(c) => c.comment = comment,
                            None => self.error_at(
                                at,
                                format!("comment on unknown column {name}.{column}; fix the name"),
                            ),
                        }
                    }
                }
            }
            Deferred::Constraint(table, constraint) => {
                self.table_constraint(&table, constraint, at)
            }
            Deferred::NotValid(table, constraint) => {
                let check = matches!(constraint, TableConstraint::Check(_));
                let foreign = matches!(constraint, TableConstraint::ForeignKey(_));
                if self.dialect == Dialect::Sqlite || !(check || foreign) {
                    self.error_at(
                        at,
                        "NOT VALID is compared on PostgreSQL foreign keys and checks only; remove it".into(),
                    );
                    return;
                }
                let (checks, keys) = self
                    .schema
                    .tables
                    .get(&table)
                    .map_or((0, 0), |t| (t.checks.len(), t.foreign_keys.len()));
                self.table_constraint(&table, constraint, at);
                if let Some(t) = self.schema.tables.get_mut(&table) {
                    if check && t.checks.len() > checks {
                        t.checks[checks].not_valid = true;
                    }
                    if foreign && t.foreign_keys.len() > keys {
                        t.foreign_keys[keys].not_valid = true;
                    }
                }
            }
            Deferred::ColumnDefault(table, column, value) => {
                match self.column_mut(&table, &column) {
                    Some(c) => c.default = Some(value),
                    None => self.error_at(
                        at,
                        format!("default for unknown column {table}.{column}; fix the name"),
                    ),
                }
            }
            Deferred::Identity(table, column, identity) => match self.column_mut(&table, &column) {
                Some(c) => {
                    c.identity = Some(identity);
                    c.nullable = false;
                }
                None => self.error_at(
                    at,
                    format!("identity for unknown column {table}.{column}; fix the name"),
                ),
            },
        }
    }

    fn column_mut(&mut self, table: &QualifiedName, column: &str) -> Option<&mut Column> {
        self.schema
            .tables
            .get_mut(table)
            .and_then(|t| t.columns.iter_mut().find(|c| c.name == column))
    }

    /// What `pg_dump --schema-only` writes besides declarations: ownership
    /// (`ALTER … OWNER TO`), `COMMENT ON EXTENSION`, and the sequences of
    /// serial and identity columns (`CREATE SEQUENCE`, `ALTER SEQUENCE …
    /// OWNED BY`, `ALTER TABLE … ALTER COLUMN … ADD GENERATED … AS
    /// IDENTITY (SEQUENCE NAME …)`), which sqlparser does not all read.
    /// Returns whether the statement was taken care of.
    fn dump_statement(&mut self, text: &str, at: Pos) -> bool {
        let words: Vec<String> = text
            .split_whitespace()
            .take(12)
            .map(str::to_ascii_lowercase)
            .collect();
        let word = |i: usize| words.get(i).map_or("", String::as_str);
        if word(0) == "alter" && {
            let all: Vec<String> = text
                .split_whitespace()
                .map(str::to_ascii_lowercase)
                .collect();
            all.len() >= 3 && all[all.len() - 3] == "owner" && all[all.len() - 2] == "to"
        } {
            return true;
        }
        if (word(0), word(1), word(2)) == ("comment", "on", "extension") {
            return true;
        }
        // pg_dump fills a materialized view after creating it `WITH NO
        // DATA`; its contents are not part of the schema.
        if (word(0), word(1), word(2)) == ("refresh", "materialized", "view") {
            return true;
        }
        let is_sequence = (word(0) == "create" && word(1) == "sequence")
            || (word(0) == "alter" && word(1) == "sequence")
            || (word(0) == "alter" && word(1) == "table" && words.iter().any(|w| w == "identity"));
        if !is_sequence {
            return false;
        }
        let Ok(mut parser) = Parser::new(&PostgreSqlDialect {}).try_with_sql(text) else {
            return false;
        };
        if parser.parse_keywords(&[Keyword::CREATE, Keyword::SEQUENCE]) {
            let _ = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
            let Ok(name) = parser.parse_object_name(false) else {
                return false;
            };
            let Some(name) = self.qualified(&name, at) else {
                return true;
            };
            match kinds::sequence_options(&mut parser, name.clone()) {
                Ok((def, owned_by)) => {
                    let owner = owned_by.and_then(|mut owner| {
                        let column = match owner.0.pop() {
                            Some(ObjectNamePart::Identifier(c)) if !owner.0.is_empty() => {
                                self.fold(&c)
                            }
                            _ => return None,
                        };
                        self.qualified(&owner, at).map(|t| (t, column))
                    });
                    if self.sequences.iter().any(|s| s.name == name) {
                        self.error_at(
                            at,
                            format!("sequence {name} is declared twice; keep one declaration"),
                        );
                    } else {
                        self.sequences.push(Sequence {
                            name,
                            at,
                            owner,
                            def,
                        });
                    }
                }
                Err(message) => {
                    let position = at.of(parser.peek_token().span);
                    self.error_at(position, message);
                }
            }
            return true;
        }
        if parser.parse_keywords(&[Keyword::ALTER, Keyword::SEQUENCE]) {
            let _ = parser.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let Ok(name) = parser.parse_object_name(false) else {
                return false;
            };
            if !parser.parse_keywords(&[Keyword::OWNED, Keyword::BY]) {
                return false;
            }
            let Ok(mut owner) = parser.parse_object_name(false) else {
                return false;
            };
            let Some(name) = self.qualified(&name, at) else {
                return true;
            };
            let column = match owner.0.pop() {
                Some(ObjectNamePart::Identifier(c)) if !owner.0.is_empty() => self.fold(&c),
                // OWNED BY NONE
                _ => return true,
            };
            let Some(table) = self.qualified(&owner, at) else {
                return true;
            };
            match self.sequences.iter_mut().find(|s| s.name == name) {
                Some(s) => s.owner = Some((table, column)),
                None => self.error_at(
                    at,
                    format!("sequence {name} is not created in this file; declare it with CREATE SEQUENCE first"),
                ),
            }
            return true;
        }
        if parser.parse_keywords(&[Keyword::ALTER, Keyword::TABLE]) {
            let _ = parser.parse_keyword(Keyword::ONLY);
            let Ok(table) = parser.parse_object_name(false) else {
                return false;
            };
            if !parser.parse_keywords(&[Keyword::ALTER, Keyword::COLUMN]) {
                return false;
            }
            let Ok(column) = parser.parse_identifier() else {
                return false;
            };
            if !parser.parse_keywords(&[Keyword::ADD, Keyword::GENERATED]) {
                return false;
            }
            let identity = if parser.parse_keyword(Keyword::ALWAYS) {
                Identity::Always
            } else if parser.parse_keywords(&[Keyword::BY, Keyword::DEFAULT]) {
                Identity::ByDefault
            } else {
                return false;
            };
            if !parser.parse_keywords(&[Keyword::AS, Keyword::IDENTITY]) {
                return false;
            }
            let column = self.fold(&column);
            if let Some(table) = self.qualified(&table, at) {
                self.deferred
                    .push((at, Deferred::Identity(table, column, identity)));
            }
            return true;
        }
        false
    }

    /// Every sequence goes into the schema with its owner, which must be a
    /// declared column. A serial column's own sequence (as a dump writes
    /// it) is recorded too: the comparison leaves such sequences to their
    /// column ([`crate::diff`]).
    /// `CREATE VIEW`, `CREATE MATERIALIZED VIEW`, `CREATE FUNCTION`,
    /// `CREATE PROCEDURE` and `CREATE TRIGGER`, read from their tokens
    /// (sqlparser does not read every routine body or trigger PostgreSQL
    /// takes). Returns whether the statement was one of them.
    fn code_object(&mut self, text: &str, at: Pos) -> bool {
        let Ok(toks) = views::tokens(text, self.dialect) else {
            return false;
        };
        let Some(kind) = views::kind_of(&toks) else {
            return false;
        };
        let place = |off: usize| place(text, at, off);
        match kind {
            views::Kind::View => {
                match views::read_view(text, &toks, self.dialect) {
                    Ok(view) => {
                        // The query alone: sqlparser does not read every
                        // option PostgreSQL takes around it (`WITH
                        // (security_barrier)`, `WITH NO DATA`).
                        let start = text.find(view.query.as_str()).unwrap_or(0);
                        let q = place(start);
                        if let Err(e) = check_statement(&view.query, q.line, q.column, self.dialect)
                        {
                            self.errors.push(SchemaError {
                                line: e.line,
                                column: e.column,
                                message: format!(
                                    "{}; fix the view's query (schema.sql must parse as {})",
                                    e.message, self.dialect
                                ),
                            });
                        } else if view.materialized && self.dialect == Dialect::Sqlite {
                            self.error_at(at, "SQLite has no materialized views; declare a plain view, or a table the application fills".into());
                        } else if self.schema.views.contains_key(&view.name)
                            || self.schema.tables.contains_key(&view.name)
                        {
                            self.error_at(
                                at,
                                format!("{} is declared twice; keep one declaration", view.name),
                            );
                        } else {
                            self.schema.views.insert(view.name.clone(), view);
                        }
                    }
                    Err(e) => self.error_at(place(e.at), format!("{}; fix the view", e.message)),
                }
            }
            views::Kind::Function | views::Kind::Procedure => {
                if self.dialect == Dialect::Sqlite {
                    self.error_at(at, "SQLite has no stored functions or procedures; register the function in the application (sqlite3_create_function) instead".into());
                    return true;
                }
                match views::read_function(text, &toks, self.dialect) {
                    Ok((f, _)) => {
                        let key = (f.name.clone(), f.arg_types.clone());
                        let message = format!(
                            "{}({}) is declared twice; keep one declaration",
                            f.name, f.arg_types
                        );
                        match self.schema.functions.entry(key) {
                            std::collections::btree_map::Entry::Occupied(_) => {
                                self.error_at(at, message)
                            }
                            std::collections::btree_map::Entry::Vacant(slot) => {
                                slot.insert(f);
                            }
                        }
                    }
                    Err(e) => {
                        self.error_at(place(e.at), format!("{}; fix the declaration", e.message))
                    }
                }
            }
            views::Kind::Trigger => match views::read_trigger(text, &toks, self.dialect) {
                Ok(t) => {
                    let key = (t.table.clone(), t.name.clone());
                    if self.schema.triggers.contains_key(&key) {
                        self.error_at(
                            at,
                            format!(
                                "trigger {} on {} is declared twice; keep one declaration",
                                t.name, t.table
                            ),
                        );
                    } else {
                        self.trigger_positions.insert(key.clone(), at);
                        self.schema.triggers.insert(key, t);
                    }
                }
                Err(e) => self.error_at(place(e.at), format!("{}; fix the trigger", e.message)),
            },
        }
        true
    }

    /// A trigger must be on a declared table or view, and on PostgreSQL
    /// run a declared function (or one PostgreSQL ships).
    fn check_triggers(&mut self) {
        let mut errors = Vec::new();
        for (key, t) in &self.schema.triggers {
            let at = self.trigger_positions[key];
            if !self.schema.tables.contains_key(&t.table)
                && !self.schema.views.contains_key(&t.table)
            {
                errors.push((at, format!("trigger {} is on {}, which is not declared here; declare the table or view, or fix the name", t.name, t.table)));
            }
            if let Some(f) = &t.function
                && f.schema.as_deref() != Some("pg_catalog")
                && !self.schema.functions.keys().any(|(n, _)| n == f)
                && !f.name.starts_with("tsvector_update_trigger")
                && f.name != "suppress_redundant_updates_trigger"
            {
                errors.push((at, format!("trigger {} executes {f}(), which is not declared here; declare the function with CREATE FUNCTION before the trigger, or fix the name", t.name)));
            }
        }
        for (at, message) in errors {
            self.error_at(at, message);
        }
    }

    /// A dump's sequences must each belong to a column (serial or
    /// identity); any other sequence is not compared, so it is an error.
    fn check_sequences(&mut self) {
        let sequences = std::mem::take(&mut self.sequences);
        for s in sequences {
            let mut def = s.def;
            if let Some((table, column)) = &s.owner
                && self
                    .schema
                    .tables
                    .get(table)
                    .and_then(|t| t.column(column))
                    .is_none()
            {
                self.error_at(
                    s.at,
                    format!(
                        "sequence {} is owned by unknown column {table}.{column}; fix the name",
                        s.name
                    ),
                );
                continue;
            }
            def.owned_by = s.owner;
            if let Some(schema) = &s.name.schema
                && !self.schema.schemas.contains(schema)
            {
                self.error_at(
                    s.at,
                    format!("sequence {} is in schema {schema}, which is not declared; add CREATE SCHEMA {schema}", s.name),
                );
            }
            self.schema.sequences.insert(s.name, def);
        }
    }

    /// Every name a table refers to must exist: key columns, referenced
    /// tables and columns. Fills in referenced columns left out of a
    /// foreign key with the referenced primary key.
    fn check_references(&mut self) {
        let names: Vec<QualifiedName> = self.schema.tables.keys().cloned().collect();
        for name in names {
            let at = self.positions[&name];
            let mut table = self.schema.tables.remove(&name).unwrap();
            let known = |t: &Table, c: &str| t.column(c).is_some();
            let mut problems = Vec::new();
            if let Some(pk) = &table.primary_key {
                for c in pk.columns.iter().filter(|c| !known(&table, c)) {
                    problems.push(format!(
                        "primary key of {name} names unknown column {c}; fix the column name"
                    ));
                }
            }
            for u in &table.uniques {
                for c in u.columns.iter().filter(|c| !known(&table, c)) {
                    problems.push(format!(
                        "unique constraint of {name} names unknown column {c}; fix the column name"
                    ));
                }
            }
            for fk in &mut table.foreign_keys {
                for c in fk
                    .columns
                    .iter()
                    .filter(|c| table.columns.iter().all(|x| &x.name != *c))
                {
                    problems.push(format!(
                        "foreign key of {name} names unknown column {c}; fix the column name"
                    ));
                }
                let target = if fk.ref_table == name {
                    None
                } else {
                    match self.schema.tables.get(&fk.ref_table) {
                        Some(t) => Some(t),
                        None => {
                            problems.push(format!(
                                "foreign key of {name} references unknown table {}; declare it in schema.sql or fix the name",
                                fk.ref_table
                            ));
                            continue;
                        }
                    }
                };
                let (ref_pk, ref_has): (Option<Vec<String>>, Vec<String>) = match target {
                    Some(t) => (
                        t.primary_key.as_ref().map(|p| p.columns.clone()),
                        t.columns.iter().map(|c| c.name.clone()).collect(),
                    ),
                    None => (
                        table.primary_key.as_ref().map(|p| p.columns.clone()),
                        table.columns.iter().map(|c| c.name.clone()).collect(),
                    ),
                };
                if fk.ref_columns.is_empty() {
                    match ref_pk {
                        Some(pk) => fk.ref_columns = pk,
                        None => problems.push(format!(
                            "foreign key of {name} references {} which has no primary key; name the referenced columns",
                            fk.ref_table
                        )),
                    }
                }
                for c in fk.ref_columns.iter().filter(|c| !ref_has.contains(c)) {
                    problems.push(format!(
                        "foreign key of {name} references unknown column {}.{c}; fix the column name",
                        fk.ref_table
                    ));
                }
                if !fk.ref_columns.is_empty() && fk.ref_columns.len() != fk.columns.len() {
                    problems.push(format!(
                        "foreign key of {name} has {} columns but references {}; make the lists match",
                        fk.columns.len(),
                        fk.ref_columns.len()
                    ));
                }
            }
            for p in problems {
                self.error_at(at, p);
            }
            self.schema.tables.insert(name, table);
        }
        let schemas = self.schema.schemas.clone();
        let mut missing = Vec::new();
        for name in self
            .schema
            .tables
            .keys()
            .chain(self.schema.enums.keys())
            .chain(self.schema.domains.keys())
            .chain(self.schema.composites.keys())
            .chain(self.schema.ranges.keys())
        {
            if let Some(s) = &name.schema
                && !schemas.contains(s)
            {
                missing.push((name.clone(), s.clone()));
            }
        }
        for (name, s) in missing {
            let at = self
                .positions
                .get(&name)
                .copied()
                .unwrap_or(Pos { line: 1, column: 1 });
            self.error_at(
                at,
                format!("{name} is in schema {s}, which is not declared; add CREATE SCHEMA {s}"),
            );
        }
    }
}

fn fk_action(action: Option<ReferentialAction>) -> FkAction {
    match action {
        None | Some(ReferentialAction::NoAction) => FkAction::NoAction,
        Some(ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ReferentialAction::SetDefault) => FkAction::SetDefault,
    }
}

/// PostgreSQL truncates identifiers to 63 bytes.
pub(crate) fn truncate_identifier(name: &mut String) {
    if name.len() > 63 {
        let mut end = 63;
        while !name.is_char_boundary(end) {
            end -= 1;
        }
        name.truncate(end);
    }
}

/// The file position of byte `off` of a statement starting at `at`.
fn place(text: &str, at: Pos, off: usize) -> Pos {
    let before = &text[..off.min(text.len())];
    let line = before.matches('\n').count() as u32;
    let col = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) as u32 + 1;
    if line == 0 {
        Pos {
            line: at.line,
            column: at.column + col - 1,
        }
    } else {
        Pos {
            line: at.line + line,
            column: col,
        }
    }
}

/// `text` with bytes `from..to` replaced by spaces (newlines kept), so
/// positions after it stay where they were.
fn blank(text: &str, from: usize, to: usize) -> String {
    let mut out = String::with_capacity(text.len());
    out.push_str(&text[..from]);
    out.extend(
        text[from..to]
            .chars()
            .map(|c| if c == '\n' { '\n' } else { ' ' }),
    );
    out.push_str(&text[to..]);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn pg(sql: &str) -> Schema {
        parse_schema(sql, Dialect::Postgres).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn errors(sql: &str, dialect: Dialect) -> Vec<String> {
        parse_schema(sql, dialect)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn tables_columns_and_inline_constraints() {
        let s = pg(
            "CREATE TABLE Users (\n  id SERIAL PRIMARY KEY,\n  \"Email\" VARCHAR(100) NOT NULL UNIQUE,\n  age int CHECK (age >= 0),\n  created timestamptz DEFAULT now(),\n  team_id bigint REFERENCES teams ON DELETE CASCADE\n);\nCREATE TABLE teams (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, total numeric(10, 2) GENERATED ALWAYS AS (1 + 1) STORED);",
        );
        let users = &s.tables[&QualifiedName::new("users")];
        let id = &users.columns[0];
        assert_eq!(id.data_type, "integer");
        assert!(!id.nullable);
        assert_eq!(
            id.default.as_deref(),
            Some("nextval('users_id_seq'::regclass)")
        );
        assert_eq!(users.columns[1].name, "Email");
        assert!(!users.columns[1].nullable);
        assert_eq!(users.primary_key.as_ref().unwrap().columns, ["id"]);
        assert_eq!(users.uniques[0].columns, ["Email"]);
        assert_eq!(users.checks[0].expression, "age >= 0");
        assert_eq!(users.columns[3].default.as_deref(), Some("now()"));
        let fk = &users.foreign_keys[0];
        assert_eq!(fk.ref_table, QualifiedName::new("teams"));
        assert_eq!(fk.ref_columns, ["id"]);
        assert_eq!(fk.on_delete, FkAction::Cascade);
        let teams = &s.tables[&QualifiedName::new("teams")];
        assert_eq!(teams.columns[0].identity, Some(Identity::Always));
        assert_eq!(teams.columns[1].generated.as_deref(), Some("1 + 1"));
    }

    #[test]
    fn table_constraints_indexes_comments_and_alter() {
        let s = pg(
            "CREATE SCHEMA app;\nCREATE TYPE app.mood AS ENUM ('sad', 'ok');\nCREATE TABLE app.t (a int, b text, m app.mood, CONSTRAINT t_pk PRIMARY KEY (a, b), UNIQUE (b), CHECK (a > 0));\nCREATE UNIQUE INDEX t_lower ON app.t USING btree (lower(b)) WHERE a > 1;\nCREATE INDEX t_gin ON app.t USING gin (b);\nCOMMENT ON TABLE app.t IS 'things';\nCOMMENT ON COLUMN app.t.b IS 'bee';\nCOMMENT ON TYPE app.mood IS 'feelings';\nCREATE TABLE public.u (a int, b text);\nALTER TABLE ONLY u ADD CONSTRAINT u_fk FOREIGN KEY (a, b) REFERENCES app.t (a, b) ON UPDATE SET NULL;",
        );
        assert!(s.schemas.contains("app"));
        let name = QualifiedName::in_schema("app", "t");
        let t = &s.tables[&name];
        assert_eq!(
            t.primary_key.as_ref().unwrap().name.as_deref(),
            Some("t_pk")
        );
        assert!(!t.columns[1].nullable);
        assert_eq!(t.checks[0].name, None);
        assert_eq!(t.indexes[0].keys, [IndexKey::Expression("lower(b)".into())]);
        assert_eq!(t.indexes[0].predicate.as_deref(), Some("a > 1"));
        assert_eq!(t.indexes[0].method, None);
        assert_eq!(t.indexes[1].method.as_deref(), Some("gin"));
        assert_eq!(t.comment.as_deref(), Some("things"));
        assert_eq!(t.columns[1].comment.as_deref(), Some("bee"));
        assert_eq!(
            s.enums[&QualifiedName::in_schema("app", "mood")].values,
            ["sad", "ok"]
        );
        let u = &s.tables[&QualifiedName::new("u")];
        assert_eq!(u.foreign_keys[0].name.as_deref(), Some("u_fk"));
        assert_eq!(u.foreign_keys[0].on_update, FkAction::SetNull);
    }

    #[test]
    fn sqlite_autoincrement_and_names_kept() {
        let s = parse_schema(
            "CREATE TABLE Items (id INTEGER PRIMARY KEY AUTOINCREMENT, Name TEXT NOT NULL DEFAULT 'x');",
            Dialect::Sqlite,
        )
        .unwrap();
        let t = &s.tables[&QualifiedName::new("Items")];
        assert_eq!(t.columns[0].identity, Some(Identity::ByDefault));
        assert_eq!(t.columns[0].data_type, "INTEGER");
        assert_eq!(t.columns[1].default.as_deref(), Some("'x'"));
    }

    #[test]
    fn unsupported_statements_are_located_errors() {
        let e = errors(
            "CREATE TABLE t (id int);\n\n  CREATE TEMP VIEW v AS SELECT 1;\nINSERT INTO t VALUES (1);",
            Dialect::Postgres,
        );
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].starts_with("line 3:10: a temporary view is not part of a schema"),
            "{e:?}"
        );
        assert!(e[1].starts_with("line 4:1: "), "{e:?}");
        assert!(e[1].contains("declarations only"));
    }

    #[test]
    fn syntax_errors_are_located() {
        let e = errors("CREATE TABLE t (\n  id int,,\n  x int);", Dialect::Postgres);
        assert!(e[0].starts_with("line 2:10: "), "{e:?}");
    }

    #[test]
    fn reference_errors() {
        let e = errors(
            "CREATE TABLE a (id int PRIMARY KEY, b_id int REFERENCES b (id));\nCREATE INDEX a_x ON a (nope);\nCREATE INDEX c_x ON c (id);",
            Dialect::Postgres,
        );
        assert_eq!(e.len(), 3, "{e:?}");
        assert!(e.iter().any(|m| m.contains("unknown table b")), "{e:?}");
        assert!(
            e.iter()
                .any(|m| m.starts_with("line 2:24: ") && m.contains("unknown column a.nope")),
            "{e:?}"
        );
        assert!(e.iter().any(|m| m.contains("unknown table c")), "{e:?}");
    }

    #[test]
    fn session_statements_are_skipped() {
        let s = pg(
            "SET statement_timeout = 0;\nSELECT pg_catalog.set_config('search_path', '', false);\nCREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE TABLE t (id int);",
        );
        assert_eq!(s.tables.len(), 1);
    }

    /// Issue #25: `DEFAULT now()` passed `check` on SQLite and failed at
    /// `upgrade`. SQLite judges what a schema read as SQLite may say.
    #[test]
    fn sqlite_judges_sqlite_schemas() {
        let e = errors(
            "CREATE TABLE a (id INTEGER PRIMARY KEY);\nCREATE TABLE t (id INTEGER, at TIMESTAMP NOT NULL DEFAULT now());",
            Dialect::Sqlite,
        );
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(e[0].starts_with("line 2:"), "{e:?}");
        assert!(e[0].contains("now"), "{e:?}");
        assert!(e[0].contains("CURRENT_TIMESTAMP"), "{e:?}");
        // Parenthesised, SQLite creates the table and fails at the first
        // insert: still an error here.
        let e = errors("CREATE TABLE t (at TEXT DEFAULT (now()));", Dialect::Sqlite);
        assert!(
            e.len() == 1 && e[0].starts_with("line 1:34: ") && e[0].contains("CURRENT_TIMESTAMP"),
            "{e:?}"
        );
        let e = errors(
            "CREATE TABLE t (s TEXT DEFAULT 'x'::text);",
            Dialect::Sqlite,
        );
        assert!(e.len() == 1 && e[0].contains("CAST"), "{e:?}");
        let e = errors(
            "CREATE TABLE t (id INTEGER PRIMARY KEY);\nCREATE INDEX t_id ON t USING btree (id);",
            Dialect::Sqlite,
        );
        assert!(!e.is_empty() && e[0].starts_with("line 2:"), "{e:?}");
        // What SQLite takes is accepted, and the same text stays fine on
        // PostgreSQL.
        let ok = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, d TEXT DEFAULT (datetime('now')), n INTEGER DEFAULT -1, s TEXT DEFAULT 'x');\nCREATE INDEX t_at ON t (at) WHERE n > 0;";
        parse_schema(ok, Dialect::Sqlite).unwrap();
        pg("CREATE TABLE t (at timestamptz NOT NULL DEFAULT now());");
    }

    #[test]
    fn sqlite_internal_tables_are_not_declarations() {
        // `sqlite3 app.db .schema` prints them.
        let s = parse_schema(
            "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT);\nCREATE TABLE sqlite_sequence(name,seq);\nCREATE TABLE sqlite_stat1(tbl,idx,stat);",
            Dialect::Sqlite,
        )
        .unwrap();
        assert_eq!(s.tables.len(), 1);
    }

    #[test]
    fn pg_dump_statements_are_read() {
        let s = pg(
            "\\restrict abc\nSET statement_timeout = 0;\nCOMMENT ON EXTENSION pgcrypto IS 'crypto';\nCREATE TYPE public.mood AS ENUM ('a');\nALTER TYPE public.mood OWNER TO app;\nCREATE TABLE public.t (id integer NOT NULL, b bigint NOT NULL);\nALTER TABLE public.t OWNER TO app;\nCREATE SEQUENCE public.t_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;\nALTER TABLE public.t_id_seq OWNER TO app;\nALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;\nALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);\nALTER TABLE public.t ALTER COLUMN b ADD GENERATED ALWAYS AS IDENTITY (\n    SEQUENCE NAME public.t_b_seq\n    START WITH 1\n);\nALTER TABLE ONLY public.t\n    ADD CONSTRAINT t_pkey PRIMARY KEY (id);\n\\unrestrict abc\n",
        );
        let t = &s.tables[&QualifiedName::new("t")];
        assert_eq!(
            t.columns[0].default.as_deref(),
            Some("nextval('public.t_id_seq'::REGCLASS)")
        );
        assert_eq!(t.columns[1].identity, Some(Identity::Always));
        assert_eq!(t.primary_key.as_ref().unwrap().columns, ["id"]);
        // The serial column's sequence is the column's.
        assert!(s.sequences.is_empty(), "{:?}", s.sequences);
        // A sequence no column owns is a sequence of its own.
        let s = pg("SET x = 1;\n\\restrict k\nCREATE SEQUENCE s;\n");
        assert_eq!(s.sequences[&QualifiedName::new("s")].max_value, i64::MAX);
    }

    #[test]
    fn undeclared_schema_is_an_error() {
        let e = errors("CREATE TABLE s.t (id int);", Dialect::Postgres);
        assert!(e[0].contains("CREATE SCHEMA s"), "{e:?}");
    }

    #[test]
    fn deferrable_and_not_valid_are_read_where_compared() {
        let s = parse_schema(
            "CREATE TABLE t (id int PRIMARY KEY DEFERRABLE INITIALLY DEFERRED, n int);
             ALTER TABLE ONLY t ADD CONSTRAINT t_n CHECK (n > 0) NOT VALID;",
            Dialect::Postgres,
        )
        .unwrap();
        let t = &s.tables[&QualifiedName::new("t")];
        assert_eq!(t.primary_key.as_ref().unwrap().deferral, Deferral::Deferred);
        assert!(t.checks[0].not_valid);
        let err = parse_schema(
            "CREATE TABLE t (id int PRIMARY KEY);\nALTER TABLE t ADD CONSTRAINT t_u UNIQUE (id) NOT VALID;",
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!(err[0].line, 2);
        assert!(err[0].message.contains("NOT VALID"), "{}", err[0]);
        let err = parse_schema(
            "CREATE TABLE p (id INTEGER PRIMARY KEY);\nCREATE TABLE t (p INTEGER REFERENCES p (id) DEFERRABLE INITIALLY DEFERRED);",
            Dialect::Sqlite,
        )
        .unwrap_err();
        assert_eq!(err[0].line, 2);
        assert!(err[0].message.contains("DEFERRABLE"), "{}", err[0]);
    }

    #[test]
    fn grants_are_skipped_and_inheritance_is_a_located_error() {
        let s = parse_schema(
            "CREATE TABLE t (id int);\nGRANT SELECT ON TABLE t TO PUBLIC;\nREVOKE ALL ON TABLE t FROM PUBLIC;",
            Dialect::Postgres,
        )
        .unwrap();
        assert_eq!(s.tables.len(), 1);
        let err = parse_schema(
            "CREATE TABLE m (at date);\nCREATE TABLE m1 (x int) INHERITS (m);",
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!(
            err.iter().map(|e| e.line).collect::<Vec<_>>(),
            [2],
            "{err:?}"
        );
        assert!(err[0].message.contains("INHERITS"), "{}", err[0]);
    }
}
