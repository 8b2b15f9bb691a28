//! SQLite introspection from `sqlite_schema` and the table-valued pragmas.

use std::collections::{BTreeMap, HashMap};

use migrate_core::Dialect;
use migrate_schema::{
    CheckConstraint, Column, FkAction, ForeignKey, Identity, Index, IndexKey, IndexKeyOptions,
    PrimaryKey, QualifiedName, Schema, Table, UniqueConstraint,
};
use sqlx::{Row as _, SqliteConnection};

use super::{Introspect, IntrospectOptions, split_table};
use crate::error::{Error, Result};

/// The tables in scope: ordinary tables of `main` (not views, virtual or
/// shadow tables, not SQLite's own `sqlite_*` tables), without the history
/// table (`?1`).
const TABLES_CTE: &str = "\
WITH t AS ( \
  SELECT l.name AS name, m.sql AS sql \
    FROM pragma_table_list AS l \
    JOIN sqlite_schema AS m ON m.type = 'table' AND m.name = l.name \
   WHERE l.schema = 'main' AND l.type = 'table' \
     AND l.name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
     AND lower(l.name) <> lower(?1))";

const TABLES_SQL: &str = "SELECT t.name, t.sql FROM t";

const COLUMNS_SQL: &str = "\
SELECT t.name, p.name, p.type, p.\"notnull\", p.dflt_value, p.pk, p.hidden \
  FROM t, pragma_table_xinfo(t.name) AS p \
 ORDER BY t.name, p.cid";

const FOREIGN_KEYS_SQL: &str = "\
SELECT t.name, p.id, p.\"table\", p.\"from\", p.\"to\", p.on_update, p.on_delete \
  FROM t, pragma_foreign_key_list(t.name) AS p \
 ORDER BY t.name, p.id DESC, p.seq";

const INDEXES_SQL: &str = "\
SELECT t.name, il.name, il.\"unique\", il.origin, il.partial, ii.cid, ii.name, m.sql, \
       ii.\"desc\", ii.coll \
  FROM t, pragma_index_list(t.name) AS il, pragma_index_xinfo(il.name) AS ii \
  LEFT JOIN sqlite_schema AS m ON m.type = 'index' AND m.name = il.name \
 WHERE ii.key = 1 \
 ORDER BY t.name, il.name, ii.seqno";

/// Reads the schema of an SQLite database (its `main` schema).
///
/// Four queries, whatever the number of tables: the tables with their
/// `CREATE TABLE` text, then all columns, foreign keys and index keys at
/// once through the table-valued pragmas (`pragma_table_xinfo`,
/// `pragma_foreign_key_list`, `pragma_index_list` with
/// `pragma_index_xinfo`) joined to the table list.
///
/// What is stored, exactly as SQLite prints it:
///
/// - [`Column::data_type`]: the declared type as written in the
///   `CREATE TABLE`, with the writer's case and spacing (`VARCHAR(20)`,
///   `NUMERIC(10, 2)`, `numeric`), except that SQLite itself prints its
///   own type names `INT`, `INTEGER`, `REAL`, `TEXT`, `BLOB` and `ANY` in
///   upper case whatever the spelling (`integer` → `INTEGER`); empty for a
///   column declared without a type.
/// - [`Column::nullable`]: `notnull = 0`. SQLite reports a primary key
///   column as nullable unless it is declared `NOT NULL` (it is,
///   historically, allowed to hold NULL except for `INTEGER PRIMARY KEY`);
///   that is stored as is.
/// - [`Column::default`]: `dflt_value`, the default's text as written,
///   e.g. `'x'`, `0`, `-1`, `CURRENT_TIMESTAMP`; SQLite drops the outer
///   parentheses of `DEFAULT (expr)`, so `DEFAULT (datetime('now'))` is
///   stored as `datetime('now')`.
/// - [`Column::identity`]: [`Identity::ByDefault`] for a column declared
///   `PRIMARY KEY AUTOINCREMENT` (read from the `CREATE TABLE` text).
/// - [`Column::generated`]: for a generated column (`hidden` 2, virtual,
///   or 3, stored; the model does not tell them apart), the text between
///   the parentheses of its `AS (…)` as written, trimmed: `price - discount`.
///   Should the `CREATE TABLE` text not yield it, the empty string.
/// - Primary key: columns in key order (`pk`); its name from a
///   `CONSTRAINT name PRIMARY KEY` in the `CREATE TABLE` text, else `None`.
/// - Unique constraints: the indexes with origin `u`, in declaration order,
///   columns from `pragma_index_xinfo`; the name from
///   `CONSTRAINT name UNIQUE` when declared, else `None`.
/// - Foreign keys, in declaration order: columns from/to in key order
///   (`to` left out in the declaration is resolved to the referenced
///   table's primary key; `ref_columns` stays empty when that table is not
///   read, e.g. missing or the history table); the referenced table as written in the
///   declaration, or the table's own spelling when it differs only in case;
///   actions from the `on_delete`/`on_update` text; the name from
///   `CONSTRAINT name FOREIGN KEY`/`CONSTRAINT name REFERENCES` when
///   declared, else `None`.
/// - [`CheckConstraint::expression`]: the text after `CHECK` in the
///   `CREATE TABLE`, as written, with its parentheses: `CHECK (price > 0)`
///   is stored as `(price > 0)` — the same shape as on PostgreSQL. Column
///   and table checks in declaration order; named when declared with
///   `CONSTRAINT name`.
/// - Indexes: those made by `CREATE INDEX` (origin `c`), sorted by name;
///   [`Index::unique`] from the pragma. A key on a column is
///   [`IndexKey::Column`]; an expression key is [`IndexKey::Expression`]
///   with its text as written in the `CREATE INDEX`, without a trailing
///   `COLLATE`/`ASC`/`DESC` (`lower(email)`). [`Index::predicate`]: the
///   text after `WHERE` as written. [`Index::method`] is always `None`.
///   [`Index::key_options`]: `DESC` and the key's collation (`coll`) from
///   `pragma_index_xinfo`, the collation left out where it is the column's
///   (`BINARY` when the column names none).
/// - [`Column::collation`]: a column's `COLLATE name`, read from the
///   `CREATE TABLE` text.
///
/// Enum types, comments and named schemas do not exist in SQLite; those
/// parts of the model stay empty and [`IntrospectOptions::include_schemas`]
/// is ignored. The history table ([`IntrospectOptions::version_table`],
/// its last dotted component) is left out, compared without regard to case
/// as SQLite compares names. Views and triggers are read from the text
/// `sqlite_schema` keeps as written (compared by their token form);
/// virtual tables and attached databases are not read.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) naming the read that failed.
pub async fn introspect_sqlite(
    conn: &mut SqliteConnection,
    options: &IntrospectOptions,
) -> Result<Schema> {
    let fail = |what: &str| Error::db(format!("introspecting SQLite: reading {what}"));
    let (_, history) = split_table(&options.version_table);

    // Tables and what their CREATE TABLE text declares.
    let sql = format!("{TABLES_CTE} {TABLES_SQL}");
    let rows = sqlx::query(&sql)
        .bind(history)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the tables"))?;
    let mut tables: BTreeMap<String, (Table, Declared)> = BTreeMap::new();
    for row in &rows {
        let name: String = row.try_get(0).map_err(fail("the tables"))?;
        let create: Option<String> = row.try_get(1).map_err(fail("the tables"))?;
        let declared = create
            .as_deref()
            .map(parse_create_table)
            .unwrap_or_default();
        let table = Table::new(QualifiedName::new(name.clone()));
        tables.insert(name, (table, declared));
    }

    // Columns and primary keys.
    let sql = format!("{TABLES_CTE} {COLUMNS_SQL}");
    let rows = sqlx::query(&sql)
        .bind(history)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the columns"))?;
    let mut pk_columns: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for row in &rows {
        let decode = || -> Result<_, sqlx::Error> {
            let table: String = row.try_get(0)?;
            let name: String = row.try_get(1)?;
            let data_type: Option<String> = row.try_get(2)?;
            let not_null: i64 = row.try_get(3)?;
            let default: Option<String> = row.try_get(4)?;
            let pk: i64 = row.try_get(5)?;
            let hidden: i64 = row.try_get(6)?;
            Ok((table, name, data_type, not_null, default, pk, hidden))
        };
        let (table_name, name, data_type, not_null, default, pk, hidden) =
            decode().map_err(fail("the columns"))?;
        let Some((table, declared)) = tables.get_mut(&table_name) else {
            continue;
        };
        let key = name.to_lowercase();
        let generated = matches!(hidden, 2 | 3)
            .then(|| declared.generated.get(&key).cloned().unwrap_or_default());
        if pk > 0 {
            pk_columns
                .entry(table_name.clone())
                .or_default()
                .push((pk, name.clone()));
        }
        table.columns.push(Column {
            identity: declared
                .autoincrement
                .contains(&key)
                .then_some(Identity::ByDefault),
            name,
            data_type: data_type.unwrap_or_default(),
            nullable: not_null == 0,
            default: if generated.is_some() { None } else { default },
            generated,
            comment: None,
            collation: declared.collations.get(&key).cloned(),
        });
    }
    for (table_name, mut columns) in pk_columns {
        if let Some((table, declared)) = tables.get_mut(&table_name) {
            columns.sort();
            table.primary_key = Some(PrimaryKey {
                name: declared.primary_key_name.clone(),
                columns: columns.into_iter().map(|(_, c)| c).collect(),
                deferral: Default::default(),
            });
        }
    }
    // Primary keys by lower-case table name, for references that leave the
    // referenced columns out.
    let primary_keys: HashMap<String, (String, Vec<String>)> = tables
        .iter()
        .map(|(name, (table, _))| {
            let columns = table
                .primary_key
                .as_ref()
                .map(|pk| pk.columns.clone())
                .unwrap_or_default();
            (name.to_lowercase(), (name.clone(), columns))
        })
        .collect();

    // Foreign keys, grouped by id, in declaration order (descending id).
    let sql = format!("{TABLES_CTE} {FOREIGN_KEYS_SQL}");
    let rows = sqlx::query(&sql)
        .bind(history)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the foreign keys"))?;
    let mut foreign_keys: BTreeMap<String, Vec<(i64, ForeignKey, bool)>> = BTreeMap::new();
    for row in &rows {
        let decode = || -> Result<_, sqlx::Error> {
            let table: String = row.try_get(0)?;
            let id: i64 = row.try_get(1)?;
            let ref_table: String = row.try_get(2)?;
            let from: String = row.try_get(3)?;
            let to: Option<String> = row.try_get(4)?;
            let on_update: String = row.try_get(5)?;
            let on_delete: String = row.try_get(6)?;
            Ok((table, id, ref_table, from, to, on_update, on_delete))
        };
        let (table, id, ref_table, from, to, on_update, on_delete) =
            decode().map_err(fail("the foreign keys"))?;
        let keys = foreign_keys.entry(table).or_default();
        if keys.last().is_none_or(|(last, _, _)| *last != id) {
            keys.push((
                id,
                ForeignKey {
                    name: None,
                    columns: Vec::new(),
                    ref_table: QualifiedName::new(ref_table),
                    ref_columns: Vec::new(),
                    on_delete: fk_action(&on_delete),
                    on_update: fk_action(&on_update),
                    deferral: Default::default(),
                    not_valid: false,
                },
                false,
            ));
        }
        let (_, key, to_missing) = keys.last_mut().expect("pushed above");
        key.columns.push(from);
        match to {
            Some(to) => key.ref_columns.push(to),
            None => *to_missing = true,
        }
    }
    for (table_name, keys) in foreign_keys {
        let Some((table, declared)) = tables.get_mut(&table_name) else {
            continue;
        };
        let mut unnamed = vec![true; declared.foreign_keys.len()];
        for (_, mut key, to_missing) in keys {
            let target = primary_keys.get(&key.ref_table.name.to_lowercase());
            if let Some((spelling, pk)) = target {
                if !primary_keys.contains_key(&key.ref_table.name) {
                    key.ref_table.name = spelling.clone();
                }
                if to_missing {
                    key.ref_columns = pk.clone();
                }
            }
            // The name of the first declaration with the same columns.
            if let Some(k) = declared.foreign_keys.iter().enumerate().position(|(k, d)| {
                unnamed[k]
                    && eq_names(&d.columns, &key.columns)
                    && d.ref_table.eq_ignore_ascii_case(&key.ref_table.name)
            }) {
                unnamed[k] = false;
                key.name = declared.foreign_keys[k].name.clone();
            }
            table.foreign_keys.push(key);
        }
    }

    // Unique constraints and indexes.
    let sql = format!("{TABLES_CTE} {INDEXES_SQL}");
    let rows = sqlx::query(&sql)
        .bind(history)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the indexes"))?;
    // (table, index) → origin, unique, partial, keys as (cid, column name), sql
    type Found = (
        String,
        bool,
        bool,
        Vec<(i64, Option<String>)>,
        Option<String>,
        Vec<(bool, Option<String>)>,
    );
    let mut found: BTreeMap<(String, String), Found> = BTreeMap::new();
    for row in &rows {
        let decode = || -> Result<_, sqlx::Error> {
            let table: String = row.try_get(0)?;
            let index: String = row.try_get(1)?;
            let unique: i64 = row.try_get(2)?;
            let origin: String = row.try_get(3)?;
            let partial: i64 = row.try_get(4)?;
            let cid: i64 = row.try_get(5)?;
            let column: Option<String> = row.try_get(6)?;
            let sql: Option<String> = row.try_get(7)?;
            let desc: i64 = row.try_get(8)?;
            let coll: Option<String> = row.try_get(9)?;
            Ok((
                table, index, unique, origin, partial, cid, column, sql, desc, coll,
            ))
        };
        let (table, index, unique, origin, partial, cid, column, sql, desc, coll) =
            decode().map_err(fail("the indexes"))?;
        let entry = found.entry((table, index)).or_insert_with(|| {
            (
                origin,
                unique != 0,
                partial != 0,
                Vec::new(),
                sql,
                Vec::new(),
            )
        });
        entry.3.push((cid, column));
        entry.5.push((desc != 0, coll));
    }
    let mut uniques: BTreeMap<String, Vec<(u64, Vec<String>)>> = BTreeMap::new();
    for ((table_name, index_name), (origin, unique, partial, keys, sql, options)) in found {
        let Some((table, _)) = tables.get_mut(&table_name) else {
            continue;
        };
        match origin.as_str() {
            "u" => {
                // `sqlite_autoindex_<table>_<n>`, n in declaration order.
                let n = index_name
                    .rsplit('_')
                    .next()
                    .and_then(|n| n.parse().ok())
                    .unwrap_or(u64::MAX);
                let columns = keys.into_iter().map(|(_, c)| c.unwrap_or_default());
                uniques
                    .entry(table_name)
                    .or_default()
                    .push((n, columns.collect()));
            }
            "c" => {
                let parsed = sql.as_deref().map(parse_create_index).unwrap_or_default();
                let keys: Vec<IndexKey> = keys
                    .into_iter()
                    .enumerate()
                    .map(|(k, (cid, column))| match (cid, column) {
                        (-2, _) => {
                            IndexKey::Expression(parsed.keys.get(k).cloned().unwrap_or_default())
                        }
                        (-1, _) => IndexKey::Column("rowid".to_owned()),
                        (_, column) => IndexKey::Column(column.unwrap_or_default()),
                    })
                    .collect();
                // `coll` is the key's collation, the column's when the key
                // names none: left out when it is the column's, so that the
                // comparison resolves it the same way on both sides.
                let mut key_options: Vec<IndexKeyOptions> = options
                    .into_iter()
                    .zip(&keys)
                    .map(|((descending, coll), key)| {
                        let inherited = match key {
                            IndexKey::Column(c) => table
                                .column(c)
                                .and_then(|c| c.collation.clone())
                                .unwrap_or_else(|| "BINARY".to_owned()),
                            IndexKey::Expression(_) => "BINARY".to_owned(),
                        };
                        IndexKeyOptions {
                            collation: coll.filter(|c| !c.eq_ignore_ascii_case(&inherited)),
                            descending,
                            ..IndexKeyOptions::default()
                        }
                    })
                    .collect();
                if key_options.iter().all(IndexKeyOptions::is_default) {
                    key_options.clear();
                }
                table.indexes.push(Index {
                    name: index_name,
                    unique,
                    keys,
                    predicate: if partial { parsed.predicate } else { None },
                    method: None,
                    key_options,
                    include: Vec::new(),
                    with: Vec::new(),
                });
            }
            _ => {}
        }
    }
    for (table_name, mut list) in uniques {
        let Some((table, declared)) = tables.get_mut(&table_name) else {
            continue;
        };
        list.sort();
        let mut unnamed = vec![true; declared.uniques.len()];
        for (_, columns) in list {
            let name = declared
                .uniques
                .iter()
                .enumerate()
                .position(|(k, (_, d))| unnamed[k] && eq_names(d, &columns))
                .and_then(|k| {
                    unnamed[k] = false;
                    declared.uniques[k].0.clone()
                });
            table.uniques.push(UniqueConstraint {
                name,
                columns,
                deferral: Default::default(),
            });
        }
    }

    let mut schema = Schema::default();
    for (_, (mut table, declared)) in tables {
        table.checks = declared.checks;
        schema.tables.insert(table.name.clone(), table);
    }

    // Views and triggers, from the text SQLite keeps as written.
    let rows = sqlx::query(
        "SELECT type, name, sql FROM sqlite_schema \
          WHERE type IN ('view', 'trigger') AND sql IS NOT NULL ORDER BY type, name",
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(fail("the views and triggers"))?;
    for row in &rows {
        let decode = || -> Result<(String, String, String), sqlx::Error> {
            Ok((row.try_get(0)?, row.try_get(1)?, row.try_get(2)?))
        };
        let (kind, name, sql) = decode().map_err(fail("the views and triggers"))?;
        if kind == "view" {
            let view =
                migrate_schema::views::parse_view(&sql, Dialect::Sqlite).unwrap_or_else(|| {
                    // Text this reader cannot split: kept whole, so it still
                    // compares (as different) and renders.
                    migrate_schema::View {
                        name: QualifiedName::new(name.clone()),
                        materialized: false,
                        column_list: Vec::new(),
                        options: Vec::new(),
                        query: sql.clone(),
                        with_no_data: false,
                        sql: Some(sql.clone()),
                        canonical: None,
                        columns: Vec::new(),
                        comment: None,
                        indexes: Vec::new(),
                    }
                });
            schema.views.insert(view.name.clone(), view);
        } else if let Some(t) = migrate_schema::views::parse_trigger(&sql, Dialect::Sqlite) {
            schema.triggers.insert((t.table.clone(), t.name.clone()), t);
        }
    }
    Ok(schema)
}

impl Introspect for sqlx::SqlitePool {
    async fn introspect_schema(&self, options: &IntrospectOptions) -> Result<Schema> {
        let mut conn = self
            .acquire()
            .await
            .map_err(Error::db("opening the SQLite database"))?;
        introspect_sqlite(&mut conn, options).await
    }

    async fn settle_declared<'a>(&'a self, _declared: &'a mut Schema) -> Result<()> {
        Ok(())
    }
}

/// The `on_delete`/`on_update` text of `pragma_foreign_key_list`.
fn fk_action(text: &str) -> FkAction {
    match text.to_ascii_uppercase().as_str() {
        "RESTRICT" => FkAction::Restrict,
        "CASCADE" => FkAction::Cascade,
        "SET NULL" => FkAction::SetNull,
        "SET DEFAULT" => FkAction::SetDefault,
        _ => FkAction::NoAction,
    }
}

/// Same column names, as SQLite compares them (ASCII case-insensitively).
fn eq_names(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

/// What a `CREATE TABLE` text declares that the pragmas do not report.
#[derive(Debug, Default, PartialEq)]
struct Declared {
    /// `CONSTRAINT name PRIMARY KEY`.
    primary_key_name: Option<String>,
    /// Unique constraints: name and columns, in declaration order.
    uniques: Vec<(Option<String>, Vec<String>)>,
    /// Foreign keys in declaration order.
    foreign_keys: Vec<DeclaredForeignKey>,
    /// Check constraints in declaration order.
    checks: Vec<CheckConstraint>,
    /// Generated columns' expressions, by lower-case column name.
    generated: HashMap<String, String>,
    /// `AUTOINCREMENT` columns, lower case.
    autoincrement: Vec<String>,
    /// `COLLATE name` of columns, by lower-case column name.
    collations: HashMap<String, String>,
}

#[derive(Debug, PartialEq)]
struct DeclaredForeignKey {
    name: Option<String>,
    columns: Vec<String>,
    ref_table: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A bare word: keyword, identifier or number.
    Word,
    /// `"…"`, `` `…` `` or `[…]`.
    Quoted,
    /// `'…'`.
    Text,
    Open,
    Close,
    Comma,
    Dot,
    Semicolon,
    /// Any other character (operators).
    Other,
}

#[derive(Debug, Clone, Copy)]
struct Token {
    kind: Kind,
    start: usize,
    end: usize,
}

/// Splits SQL into tokens, skipping whitespace and comments; quotes and
/// brackets are kept whole.
fn tokenize(sql: &str) -> Vec<Token> {
    let bytes = sql.as_bytes();
    let mut tokens = Vec::new();
    let mut i = 0;
    // The end of a quoted run starting at `i` and closed by `close`, where a
    // doubled `close` is an escaped one.
    let quoted = |i: usize, close: u8, doubles: bool| {
        let mut j = i + 1;
        while j < bytes.len() {
            if bytes[j] == close {
                if doubles && bytes.get(j + 1) == Some(&close) {
                    j += 2;
                    continue;
                }
                return j + 1;
            }
            j += 1;
        }
        bytes.len()
    };
    while i < bytes.len() {
        let b = bytes[i];
        let (kind, end) = match b {
            b if b.is_ascii_whitespace() => {
                i += 1;
                continue;
            }
            b'-' if bytes.get(i + 1) == Some(&b'-') => {
                i = bytes[i..]
                    .iter()
                    .position(|&c| c == b'\n')
                    .map_or(bytes.len(), |p| i + p + 1);
                continue;
            }
            b'/' if bytes.get(i + 1) == Some(&b'*') => {
                i = sql[i + 2..]
                    .find("*/")
                    .map_or(bytes.len(), |p| i + 2 + p + 2);
                continue;
            }
            b'\'' => (Kind::Text, quoted(i, b'\'', true)),
            b'"' => (Kind::Quoted, quoted(i, b'"', true)),
            b'`' => (Kind::Quoted, quoted(i, b'`', true)),
            b'[' => (Kind::Quoted, quoted(i, b']', false)),
            b'(' => (Kind::Open, i + 1),
            b')' => (Kind::Close, i + 1),
            b',' => (Kind::Comma, i + 1),
            b'.' if !bytes.get(i + 1).is_some_and(u8::is_ascii_digit) => (Kind::Dot, i + 1),
            b';' => (Kind::Semicolon, i + 1),
            b if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b == b'.' || b >= 0x80 => {
                let mut j = i + 1;
                while j < bytes.len() {
                    let c = bytes[j];
                    let number_dot = c == b'.' && bytes[i].is_ascii_digit();
                    if c.is_ascii_alphanumeric()
                        || c == b'_'
                        || c == b'$'
                        || c >= 0x80
                        || number_dot
                    {
                        j += 1;
                    } else {
                        break;
                    }
                }
                (Kind::Word, j)
            }
            _ => (Kind::Other, i + 1),
        };
        tokens.push(Token {
            kind,
            start: i,
            end,
        });
        i = end;
    }
    tokens
}

/// Token-level reading of one SQL text.
struct Reader<'a> {
    sql: &'a str,
    tokens: Vec<Token>,
}

impl<'a> Reader<'a> {
    fn new(sql: &'a str) -> Self {
        Reader {
            sql,
            tokens: tokenize(sql),
        }
    }

    fn text(&self, i: usize) -> &'a str {
        let t = self.tokens[i];
        &self.sql[t.start..t.end]
    }

    /// The source text from token `a` through token `b` (inclusive).
    fn span(&self, a: usize, b: usize) -> &'a str {
        &self.sql[self.tokens[a].start..self.tokens[b].end]
    }

    fn kind(&self, i: usize) -> Option<Kind> {
        self.tokens.get(i).map(|t| t.kind)
    }

    fn is(&self, i: usize, keyword: &str) -> bool {
        self.kind(i) == Some(Kind::Word) && self.text(i).eq_ignore_ascii_case(keyword)
    }

    /// An identifier's name, unquoted.
    fn ident(&self, i: usize) -> String {
        let text = self.text(i);
        match self.tokens[i].kind {
            Kind::Quoted | Kind::Text if text.len() >= 2 => {
                let (open, inner) = (text.as_bytes()[0], &text[1..text.len() - 1]);
                match open {
                    b'"' => inner.replace("\"\"", "\""),
                    b'`' => inner.replace("``", "`"),
                    b'\'' => inner.replace("''", "'"),
                    _ => inner.to_owned(),
                }
            }
            _ => text.to_owned(),
        }
    }

    /// The index of the `)` closing the `(` at `open` (the last token when
    /// unbalanced).
    fn closing(&self, open: usize) -> usize {
        let mut depth = 0usize;
        for (i, t) in self.tokens.iter().enumerate().skip(open) {
            match t.kind {
                Kind::Open => depth += 1,
                Kind::Close => {
                    depth -= 1;
                    if depth == 0 {
                        return i;
                    }
                }
                _ => {}
            }
        }
        self.tokens.len().saturating_sub(1)
    }

    /// The comma-separated items between the `(` at `open` and its `)`, as
    /// token ranges.
    fn items(&self, open: usize) -> Vec<(usize, usize)> {
        let close = self.closing(open);
        let mut items = Vec::new();
        let mut start = open + 1;
        let mut i = open + 1;
        while i < close {
            match self.tokens[i].kind {
                Kind::Open => i = self.closing(i),
                Kind::Comma => {
                    items.push((start, i));
                    start = i + 1;
                }
                _ => {}
            }
            i += 1;
        }
        if start < close {
            items.push((start, close));
        }
        items
    }

    /// The first identifier of each item of a column list.
    fn name_list(&self, open: usize) -> Vec<String> {
        self.items(open)
            .into_iter()
            .map(|(a, _)| self.ident(a))
            .collect()
    }

    /// `name` or `schema.name` at `i`: the name and the next token's index.
    fn qualified(&self, i: usize) -> (String, usize) {
        if self.kind(i + 1) == Some(Kind::Dot) && i + 2 < self.tokens.len() {
            (self.ident(i + 2), i + 3)
        } else {
            (self.ident(i), i + 1)
        }
    }
}

/// Reads constraint names, checks, generated expressions and
/// `AUTOINCREMENT` out of a `CREATE TABLE` text.
fn parse_create_table(sql: &str) -> Declared {
    let r = Reader::new(sql);
    let mut declared = Declared::default();
    let Some(open) = (0..r.tokens.len()).find(|&i| r.kind(i) == Some(Kind::Open)) else {
        return declared;
    };
    // `CREATE TABLE t AS SELECT …` declares nothing.
    if (0..open).any(|i| r.is(i, "AS")) {
        return declared;
    }
    for (a, b) in r.items(open) {
        let table_constraint = ["CONSTRAINT", "PRIMARY", "UNIQUE", "CHECK", "FOREIGN"]
            .iter()
            .any(|k| r.is(a, k));
        if table_constraint {
            parse_constraints(&r, a, b, None, &mut declared);
        } else {
            let column = r.ident(a);
            parse_constraints(&r, a + 1, b, Some(&column), &mut declared);
        }
    }
    declared
}

/// The constraints in tokens `a..b` of a column definition (`column` given)
/// or a table constraint.
fn parse_constraints(
    r: &Reader<'_>,
    a: usize,
    b: usize,
    column: Option<&str>,
    declared: &mut Declared,
) {
    let mut pending: Option<String> = None;
    let mut fk_columns: Option<Vec<String>> = None;
    let mut i = a;
    while i < b {
        if r.kind(i) == Some(Kind::Open) {
            i = r.closing(i) + 1;
        } else if r.is(i, "CONSTRAINT") && i + 1 < b {
            pending = Some(r.ident(i + 1));
            i += 2;
        } else if r.is(i, "CHECK") && r.kind(i + 1) == Some(Kind::Open) {
            let close = r.closing(i + 1);
            declared.checks.push(CheckConstraint {
                name: pending.take(),
                expression: r.span(i + 1, close).to_owned(),
                not_valid: false,
            });
            i = close + 1;
        } else if r.is(i, "PRIMARY") {
            declared.primary_key_name = pending.take();
            i += 1;
        } else if r.is(i, "COLLATE") && i + 1 < b && column.is_some() {
            if let Some(column) = column {
                declared
                    .collations
                    .insert(column.to_lowercase(), r.ident(i + 1));
            }
            i += 2;
        } else if r.is(i, "AUTOINCREMENT") {
            if let Some(column) = column {
                declared.autoincrement.push(column.to_lowercase());
            }
            i += 1;
        } else if r.is(i, "UNIQUE") {
            let name = pending.take();
            match column {
                Some(column) => {
                    declared.uniques.push((name, vec![column.to_owned()]));
                    i += 1;
                }
                None if r.kind(i + 1) == Some(Kind::Open) => {
                    declared.uniques.push((name, r.name_list(i + 1)));
                    i = r.closing(i + 1) + 1;
                }
                None => i += 1,
            }
        } else if r.is(i, "FOREIGN") && r.is(i + 1, "KEY") && r.kind(i + 2) == Some(Kind::Open) {
            fk_columns = Some(r.name_list(i + 2));
            i = r.closing(i + 2) + 1;
        } else if r.is(i, "REFERENCES") && i + 1 < b {
            let columns = match (fk_columns.take(), column) {
                (Some(columns), _) => columns,
                (None, Some(column)) => vec![column.to_owned()],
                (None, None) => Vec::new(),
            };
            let (ref_table, next) = r.qualified(i + 1);
            declared.foreign_keys.push(DeclaredForeignKey {
                name: pending.take(),
                columns,
                ref_table,
            });
            i = next;
        } else if r.is(i, "AS") && r.kind(i + 1) == Some(Kind::Open) {
            let close = r.closing(i + 1);
            if let Some(column) = column {
                let inner = if close > i + 2 {
                    r.span(i + 2, close - 1).trim()
                } else {
                    ""
                };
                declared
                    .generated
                    .insert(column.to_lowercase(), inner.to_owned());
            }
            pending = None;
            i = close + 1;
        } else {
            if ["NOT", "NULL", "DEFAULT", "COLLATE", "GENERATED"]
                .iter()
                .any(|k| r.is(i, k))
            {
                pending = None;
            }
            i += 1;
        }
    }
}

/// Keys and predicate of a `CREATE INDEX` text.
#[derive(Debug, Default, PartialEq)]
struct DeclaredIndex {
    /// Each key's text as written, without `COLLATE`/`ASC`/`DESC`.
    keys: Vec<String>,
    /// The text after `WHERE`.
    predicate: Option<String>,
}

fn parse_create_index(sql: &str) -> DeclaredIndex {
    let r = Reader::new(sql);
    let mut parsed = DeclaredIndex::default();
    let Some(on) = (0..r.tokens.len()).find(|&i| r.is(i, "ON")) else {
        return parsed;
    };
    let Some(open) = (on..r.tokens.len()).find(|&i| r.kind(i) == Some(Kind::Open)) else {
        return parsed;
    };
    for (a, mut b) in r.items(open) {
        while b > a + 1 && (r.is(b - 1, "ASC") || r.is(b - 1, "DESC")) {
            b -= 1;
        }
        if b >= a + 3 && r.is(b - 2, "COLLATE") {
            b -= 2;
        }
        parsed.keys.push(r.span(a, b - 1).to_owned());
    }
    let close = r.closing(open);
    if r.is(close + 1, "WHERE") {
        let mut last = r.tokens.len() - 1;
        while last > close + 2 && r.kind(last) == Some(Kind::Semicolon) {
            last -= 1;
        }
        if last >= close + 2 {
            parsed.predicate = Some(r.span(close + 2, last).to_owned());
        }
    }
    parsed
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_keep_quotes_and_skip_comments() {
        let sql = "a 'it''s' \"x \"\" y\" [b c] -- no\n/* no */ f(1.5, t.c);";
        let r = Reader::new(sql);
        let texts: Vec<&str> = (0..r.tokens.len()).map(|i| r.text(i)).collect();
        assert_eq!(
            texts,
            [
                "a",
                "'it''s'",
                "\"x \"\" y\"",
                "[b c]",
                "f",
                "(",
                "1.5",
                ",",
                "t",
                ".",
                "c",
                ")",
                ";"
            ]
        );
        assert_eq!(r.ident(2), "x \" y");
        assert_eq!(r.ident(3), "b c");
    }

    #[test]
    fn create_table_constraints() {
        let declared = parse_create_table(
            "CREATE TABLE \"t\" (\n\
             id INTEGER CONSTRAINT t_pk PRIMARY KEY AUTOINCREMENT,\n\
             a TEXT CONSTRAINT a_nn NOT NULL CHECK (length(a) > 0) UNIQUE,\n\
             b INT DEFAULT (1 + (2)) CONSTRAINT b_ref REFERENCES main.\"Other\" (x) ON DELETE CASCADE,\n\
             c INT GENERATED ALWAYS AS ( a || ',' || b ) STORED,\n\
             d INT AS (b * 2),\n\
             CONSTRAINT two UNIQUE (a COLLATE nocase, b),\n\
             CHECK (b > 0 AND c <> 'CHECK (x)'),\n\
             CONSTRAINT fk FOREIGN KEY (b, d) REFERENCES other ON UPDATE SET NULL\n\
             ) WITHOUT ROWID",
        );
        assert_eq!(declared.primary_key_name.as_deref(), Some("t_pk"));
        assert_eq!(declared.autoincrement, ["id"]);
        assert_eq!(
            declared.uniques,
            [
                (None, vec!["a".to_owned()]),
                (Some("two".to_owned()), vec!["a".to_owned(), "b".to_owned()]),
            ]
        );
        assert_eq!(
            declared.checks,
            [
                CheckConstraint {
                    name: None,
                    expression: "(length(a) > 0)".to_owned(),
                    not_valid: false,
                },
                CheckConstraint {
                    name: None,
                    expression: "(b > 0 AND c <> 'CHECK (x)')".to_owned(),
                    not_valid: false,
                },
            ]
        );
        assert_eq!(
            declared.foreign_keys,
            [
                DeclaredForeignKey {
                    name: Some("b_ref".to_owned()),
                    columns: vec!["b".to_owned()],
                    ref_table: "Other".to_owned(),
                },
                DeclaredForeignKey {
                    name: Some("fk".to_owned()),
                    columns: vec!["b".to_owned(), "d".to_owned()],
                    ref_table: "other".to_owned(),
                },
            ]
        );
        assert_eq!(declared.generated["c"], "a || ',' || b");
        assert_eq!(declared.generated["d"], "b * 2");
        assert_eq!(
            parse_create_table("CREATE TABLE t AS SELECT (1) AS x"),
            Declared::default()
        );
    }

    #[test]
    fn create_index_keys_and_predicate() {
        assert_eq!(
            parse_create_index(
                "CREATE UNIQUE INDEX i ON t (lower(a) DESC, b COLLATE nocase ASC, (a + b)) WHERE b > 0 AND a IS NOT NULL;"
            ),
            DeclaredIndex {
                keys: vec!["lower(a)".to_owned(), "b".to_owned(), "(a + b)".to_owned()],
                predicate: Some("b > 0 AND a IS NOT NULL".to_owned()),
            }
        );
        assert_eq!(
            parse_create_index("CREATE INDEX \"i\" ON \"t\"(a)").predicate,
            None
        );
    }

    #[test]
    fn actions() {
        assert_eq!(fk_action("NO ACTION"), FkAction::NoAction);
        assert_eq!(fk_action("RESTRICT"), FkAction::Restrict);
        assert_eq!(fk_action("CASCADE"), FkAction::Cascade);
        assert_eq!(fk_action("SET NULL"), FkAction::SetNull);
        assert_eq!(fk_action("SET DEFAULT"), FkAction::SetDefault);
    }
}
