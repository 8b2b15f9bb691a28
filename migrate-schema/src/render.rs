//! SQL text for a list of [`Change`]s: the upgrade, and the downgrade that
//! exactly undoes it (the [inverses](Change::inverse) in reverse order).
//!
//! Every statement ends with `;` and a blank line. Identifiers are quoted
//! only when needed: reserved words, upper case (PostgreSQL folds unquoted
//! names to lower case), or characters other than letters, digits and `_`.
//! Destructive steps and probable renames are preceded by a `-- REVIEW: …`
//! line saying what could be lost and what to do instead; the same texts
//! are returned as [`Rendered::warnings`].
//!
//! On PostgreSQL every constraint gets an explicit name — its own, or the
//! name PostgreSQL would pick (`t_pkey`, `t_a_b_key`, `t_a_fkey`,
//! `t_a_check` or `t_check`, numbered on a clash) — so that the downgrade
//! can drop exactly what the upgrade added.
//!
//! On SQLite, a [`Change::RebuildTable`] follows the documented procedure
//! for changes `ALTER TABLE` cannot make: create `_new_<t>` with the new
//! definition, copy the common columns, drop the old table, rename the new
//! one, re-create its indexes.

use std::collections::BTreeMap;

pub use migrate_core::quote_ident;
use migrate_core::sql::Dialect;

use crate::canon::canonical_expression;
use crate::diff::{Change, CommentTarget, EnumColumn};
use crate::model::{
    CheckConstraint, Column, EnumType, Exclusion, FkAction, ForeignKey, Identity, Index, IndexKey,
    QualifiedName, Table, View,
};

/// The SQL of a revision's two sections.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rendered {
    /// The upgrade section's statements.
    pub upgrade: String,
    /// The downgrade section's statements (the exact inverse, in reverse order).
    pub downgrade: String,
    /// What the `-- REVIEW:` comments say (downgrade ones prefixed with
    /// `downgrade: `).
    pub warnings: Vec<String>,
}

/// Renders `changes` (as [`diff`](crate::diff::diff) returns them) for
/// `dialect`.
///
/// ```
/// use migrate_schema::{diff, parse_schema, render, DiffOptions};
/// use migrate_core::sql::Dialect;
///
/// let before = parse_schema("CREATE TABLE users (id int PRIMARY KEY, nick text);", Dialect::Postgres).unwrap();
/// let after = parse_schema(
///     "CREATE TABLE users (id int PRIMARY KEY, handle text);\nCREATE INDEX users_handle ON users (handle);",
///     Dialect::Postgres,
/// )
/// .unwrap();
/// let changes = diff(&before, &after, Dialect::Postgres, &DiffOptions::default());
/// let sql = render(&changes, Dialect::Postgres);
/// assert_eq!(
///     sql.upgrade,
///     "ALTER TABLE users ADD COLUMN handle TEXT;\n\n\
///      -- REVIEW: drops column users.nick and its data; if it was renamed to handle, replace the DROP/ADD pair with ALTER TABLE users RENAME COLUMN nick TO handle\n\
///      ALTER TABLE users DROP COLUMN nick;\n\n\
///      CREATE INDEX users_handle ON users (handle);\n\n"
/// );
/// assert!(sql.downgrade.starts_with("DROP INDEX users_handle;\n\nALTER TABLE users ADD COLUMN nick TEXT;"));
/// assert_eq!(sql.warnings.len(), 2);
/// ```
pub fn render(changes: &[Change], dialect: Dialect) -> Rendered {
    let names = Namer::new(changes);
    let mut up = Out::new(dialect, &names);
    for c in changes {
        up.change(c);
    }
    let mut down = Out::new(dialect, &names);
    for c in changes.iter().rev() {
        down.change(&c.inverse());
    }
    let mut warnings = up.warnings;
    warnings.extend(down.warnings.into_iter().map(|w| format!("downgrade: {w}")));
    Rendered {
        upgrade: up.sql,
        downgrade: down.sql,
        warnings,
    }
}

/// A `CREATE TABLE` statement for `table` (ending with `;`, no newline).
///
/// ```
/// use migrate_schema::{render_table, Column, QualifiedName, Table};
/// use migrate_core::sql::Dialect;
/// let mut t = Table::new(QualifiedName::new("User"));
/// t.columns.push(Column::new("id", "integer"));
/// assert_eq!(render_table(&t, Dialect::Postgres), "CREATE TABLE \"User\" (\n    id integer\n);");
/// ```
pub fn render_table(table: &Table, dialect: Dialect) -> String {
    let names = Namer::default();
    let out = Out::new(dialect, &names);
    out.create_table(table, &qualified(&table.name, dialect))
}

fn qualified(name: &QualifiedName, dialect: Dialect) -> String {
    match &name.schema {
        Some(s) => format!(
            "{}.{}",
            quote_ident(s, dialect),
            quote_ident(&name.name, dialect)
        ),
        None => quote_ident(&name.name, dialect),
    }
}

/// A string literal. One holding a control character is written as an
/// escape string (`E'a\nb'`, which both PostgreSQL and the file format read
/// on one line); only PostgreSQL output holds such literals (enum labels,
/// comments).
fn literal(s: &str) -> String {
    if s.chars().any(char::is_control) {
        let mut out = String::from("E'");
        for c in s.chars() {
            match c {
                '\'' => out.push_str("''"),
                '\\' => out.push_str("\\\\"),
                '\n' => out.push_str("\\n"),
                '\r' => out.push_str("\\r"),
                '\t' => out.push_str("\\t"),
                c if c.is_control() => out.push_str(&format!("\\u{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('\'');
        return out;
    }
    format!("'{}'", s.replace('\'', "''"))
}

/// A default for a column of enum type `type_sql`: a bare string literal
/// gets the cast (`'ok'::mood`), anything else (`'ok'::mood` as PostgreSQL
/// reports it, an expression) is kept as written.
fn cast_literal(default: &str, type_sql: &str) -> String {
    let d = default.trim();
    let bare = d.len() >= 2
        && d.starts_with('\'')
        && d.ends_with('\'')
        && !d[1..d.len() - 1].replace("''", "").contains('\'');
    if bare {
        format!("{d}::{type_sql}")
    } else {
        d.to_owned()
    }
}

/// `text` with every control character written as an escape (`\n`, `\r`,
/// `\t`, `\u{1b}`), for a `--` comment line or a terminal: a name holding a
/// line break must not end the comment and start a statement.
///
/// ```
/// assert_eq!(migrate_schema::escape_controls("a\nb"), "a\\nb");
/// ```
pub fn escape_controls(text: &str) -> String {
    migrate_core::escape_control(text).into_owned()
}

fn truncated(mut name: String) -> String {
    crate::parse::truncate_identifier(&mut name);
    name
}

/// The names given to constraints declared without one, fixed once for
/// both directions.
#[derive(Default)]
struct Namer {
    names: BTreeMap<(QualifiedName, String), String>,
}

impl Namer {
    fn new(changes: &[Change]) -> Namer {
        let mut namer = Namer::default();
        let mut used: BTreeMap<QualifiedName, Vec<String>> = BTreeMap::new();
        let mut visit = |table: &QualifiedName, key: String, base: String, release: bool| {
            let k = (table.clone(), key);
            if namer.names.contains_key(&k) {
                return;
            }
            let taken = used.entry(table.clone()).or_default();
            let mut name = truncated(base.clone());
            let mut n = 0;
            while taken.contains(&name) {
                n += 1;
                name = truncated(format!("{base}{n}"));
            }
            if !release {
                taken.push(name.clone());
            }
            namer.names.insert(k, name);
        };
        for change in changes {
            let mut tables = Vec::new();
            // A name a drop frees can be taken by a later add (and, in the
            // downgrade, the add's inverse runs before the drop's).
            let release = matches!(
                change,
                Change::DropTable { .. }
                    | Change::DropCheck { .. }
                    | Change::DropUnique { .. }
                    | Change::DropForeignKey { .. }
            );
            match change {
                Change::CreateTable(t) | Change::DropTable { table: t, .. } => {
                    tables.push(t.clone())
                }
                Change::AddCheck { table, constraint }
                | Change::DropCheck { table, constraint } => {
                    let mut t = Table::new(table.clone());
                    t.checks.push(constraint.clone());
                    tables.push(t);
                }
                Change::AddUnique { table, constraint }
                | Change::DropUnique { table, constraint } => {
                    let mut t = Table::new(table.clone());
                    t.uniques.push(constraint.clone());
                    tables.push(t);
                }
                Change::AddForeignKey { table, key } | Change::DropForeignKey { table, key } => {
                    let mut t = Table::new(table.clone());
                    t.foreign_keys.push(key.clone());
                    tables.push(t);
                }
                _ => {}
            }
            for t in tables {
                let n = &t.name.name;
                for c in t.checks.iter().filter(|c| c.name.is_none()) {
                    let cols = check_columns(&c.expression);
                    let base = match cols.as_slice() {
                        [one] => format!("{n}_{one}_check"),
                        _ => format!("{n}_check"),
                    };
                    visit(&t.name, check_key(c), base, release);
                }
                for u in t.uniques.iter().filter(|u| u.name.is_none()) {
                    visit(
                        &t.name,
                        format!("unique {:?}", u.columns),
                        format!("{n}_{}_key", u.columns.join("_")),
                        release,
                    );
                }
                for k in t.foreign_keys.iter().filter(|k| k.name.is_none()) {
                    visit(
                        &t.name,
                        fk_key(k),
                        format!("{n}_{}_fkey", k.columns.join("_")),
                        release,
                    );
                }
            }
        }
        namer
    }

    fn get(&self, table: &QualifiedName, key: String, fallback: impl FnOnce() -> String) -> String {
        self.names
            .get(&(table.clone(), key))
            .cloned()
            .unwrap_or_else(|| truncated(fallback()))
    }
}

fn check_key(c: &CheckConstraint) -> String {
    format!(
        "check {}",
        canonical_expression(&c.expression, Dialect::Postgres)
    )
}

fn fk_key(k: &ForeignKey) -> String {
    format!(
        "fk {:?} {} {:?} {:?} {:?}",
        k.columns, k.ref_table, k.ref_columns, k.on_delete, k.on_update
    )
}

/// Names a check expression mentions that look like columns: words not
/// followed by `(`, not after `::`, not keywords or literals.
fn check_columns(expression: &str) -> Vec<String> {
    const WORDS: &[&str] = &[
        "and",
        "or",
        "not",
        "null",
        "is",
        "true",
        "false",
        "in",
        "any",
        "all",
        "array",
        "between",
        "like",
        "ilike",
        "case",
        "when",
        "then",
        "else",
        "end",
        "cast",
        "as",
        "current_timestamp",
        "current_date",
        "current_time",
        "distinct",
        "from",
        "similar",
        "to",
        "escape",
        "unknown",
    ];
    let mut out: Vec<String> = Vec::new();
    let chars: Vec<char> = expression.chars().collect();
    let mut i = 0;
    let mut after_cast = false;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            i += 1;
            while i < chars.len() && chars[i] != '\'' {
                i += 1;
            }
            i += 1;
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            after_cast = true;
            i += 2;
            continue;
        }
        if c.is_alphabetic() || c == '_' || c == '"' {
            let start = i;
            let word = if c == '"' {
                i += 1;
                while i < chars.len() && chars[i] != '"' {
                    i += 1;
                }
                i += 1;
                chars[start + 1..(i - 1).max(start + 1)]
                    .iter()
                    .collect::<String>()
            } else {
                while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                    i += 1;
                }
                chars[start..i].iter().collect::<String>().to_lowercase()
            };
            let mut j = i;
            while j < chars.len() && chars[j].is_whitespace() {
                j += 1;
            }
            let call = chars.get(j) == Some(&'(');
            if !after_cast && !call && !WORDS.contains(&word.as_str()) && !out.contains(&word) {
                out.push(word);
            }
            after_cast = false;
            continue;
        }
        if !c.is_whitespace() {
            after_cast = false;
        }
        i += 1;
    }
    out
}

struct Out<'a> {
    dialect: Dialect,
    names: &'a Namer,
    sql: String,
    warnings: Vec<String>,
}

impl<'a> Out<'a> {
    fn new(dialect: Dialect, names: &'a Namer) -> Out<'a> {
        Out {
            dialect,
            names,
            sql: String::new(),
            warnings: Vec::new(),
        }
    }

    fn q(&self, name: &str) -> String {
        quote_ident(name, self.dialect)
    }

    fn qn(&self, name: &QualifiedName) -> String {
        qualified(name, self.dialect)
    }

    fn stmt(&mut self, sql: impl Into<String>) {
        self.sql.push_str(&sql.into());
        self.sql.push_str(";\n\n");
    }

    /// A `-- REVIEW:` line; names in `text` are written as [`Out::qn`] and
    /// [`Out::col`] write them, and control characters are escaped, so the
    /// comment is one line whatever the database's names hold.
    fn review(&mut self, text: String) {
        let text = escape_controls(&text);
        self.sql.push_str(&format!("-- REVIEW: {text}\n"));
        self.warnings.push(text);
    }

    fn note(&mut self, text: &str) {
        self.sql
            .push_str(&format!("-- {}\n", escape_controls(text)));
    }

    /// `table.column` as SQL writes it, for comments.
    fn col(&self, table: &QualifiedName, column: &str) -> String {
        format!("{}.{}", self.qn(table), self.q(column))
    }

    fn check_name(&self, table: &QualifiedName, c: &CheckConstraint) -> String {
        c.name.clone().unwrap_or_else(|| {
            self.names
                .get(table, check_key(c), || format!("{}_check", table.name))
        })
    }

    fn unique_name(
        &self,
        table: &QualifiedName,
        columns: &[String],
        name: &Option<String>,
    ) -> String {
        name.clone().unwrap_or_else(|| {
            self.names.get(table, format!("unique {columns:?}"), || {
                format!("{}_{}_key", table.name, columns.join("_"))
            })
        })
    }

    fn fk_name(&self, table: &QualifiedName, k: &ForeignKey) -> String {
        k.name.clone().unwrap_or_else(|| {
            self.names.get(table, fk_key(k), || {
                format!("{}_{}_fkey", table.name, k.columns.join("_"))
            })
        })
    }

    fn pk_name(&self, table: &QualifiedName, name: &Option<String>) -> String {
        name.clone()
            .unwrap_or_else(|| truncated(format!("{}_pkey", table.name)))
    }

    fn columns(&self, cols: &[String]) -> String {
        cols.iter()
            .map(|c| self.q(c))
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn column_def(&self, table: &QualifiedName, c: &Column, inline_pk: bool) -> String {
        if let Some(serial) = self.serial(table, c) {
            return format!("{} {serial}", self.q(&c.name));
        }
        let mut s = format!("{} {}", self.q(&c.name), c.data_type);
        if let Some(collation) = &c.collation {
            s.push_str(&format!(" COLLATE {}", self.q(collation)));
        }
        if inline_pk {
            s.push_str(" PRIMARY KEY");
            if c.identity.is_some() {
                s.push_str(" AUTOINCREMENT");
            }
        }
        if let Some(g) = &c.generated {
            s.push_str(&format!(" GENERATED ALWAYS AS ({g}) STORED"));
        }
        if self.dialect == Dialect::Postgres {
            match c.identity {
                Some(Identity::Always) => s.push_str(" GENERATED ALWAYS AS IDENTITY"),
                Some(Identity::ByDefault) => s.push_str(" GENERATED BY DEFAULT AS IDENTITY"),
                None => {}
            }
        }
        if !c.nullable && !inline_pk {
            s.push_str(" NOT NULL");
        }
        if let Some(d) = &c.default {
            s.push_str(&format!(" DEFAULT {d}"));
        }
        s
    }

    /// `serial`, `bigserial` or `smallserial` for a PostgreSQL column that
    /// is exactly what one expands to (its sequence is created with it).
    fn serial(&self, table: &QualifiedName, c: &Column) -> Option<&'static str> {
        if self.dialect != Dialect::Postgres || c.nullable || c.identity.is_some() {
            return None;
        }
        let kind = match crate::canon::canonical_type(&c.data_type, self.dialect).as_str() {
            "integer" => "serial",
            "bigint" => "bigserial",
            "smallint" => "smallserial",
            _ => return None,
        };
        let sequence = truncated(format!("{}_{}_seq", table.name, c.name));
        let sequence = match &table.schema {
            Some(s) => format!("{s}.{sequence}"),
            None => sequence,
        };
        let expected = format!("nextval({})", literal(&sequence));
        let default = canonical_expression(c.default.as_deref()?, self.dialect);
        (default == canonical_expression(&expected, self.dialect)).then_some(kind)
    }

    fn fk_clause(&self, k: &ForeignKey) -> String {
        let mut s = format!(
            "FOREIGN KEY ({}) REFERENCES {}",
            self.columns(&k.columns),
            self.qn(&k.ref_table)
        );
        if !k.ref_columns.is_empty() {
            s.push_str(&format!(" ({})", self.columns(&k.ref_columns)));
        }
        if k.on_delete != FkAction::NoAction {
            s.push_str(&format!(" ON DELETE {}", k.on_delete.sql()));
        }
        if k.on_update != FkAction::NoAction {
            s.push_str(&format!(" ON UPDATE {}", k.on_update.sql()));
        }
        s.push_str(k.deferral.sql());
        s
    }

    /// `CONSTRAINT name ` on PostgreSQL always, on SQLite when named.
    fn constraint_prefix(&self, name: Option<String>, fallback: impl FnOnce() -> String) -> String {
        match (self.dialect, name) {
            (_, Some(n)) => format!("CONSTRAINT {} ", self.q(&n)),
            (Dialect::Postgres, None) => format!("CONSTRAINT {} ", self.q(&fallback())),
            (Dialect::Sqlite, None) => String::new(),
        }
    }

    fn create_table(&self, t: &Table, name_sql: &str) -> String {
        // SQLite's AUTOINCREMENT only exists on an inline INTEGER PRIMARY KEY.
        let inline_pk = match (&t.primary_key, self.dialect) {
            (Some(pk), Dialect::Sqlite) if pk.columns.len() == 1 && pk.name.is_none() => {
                Some(pk.columns[0].clone())
            }
            _ => None,
        };
        let mut items: Vec<String> = t
            .columns
            .iter()
            .map(|c| self.column_def(&t.name, c, inline_pk.as_deref() == Some(c.name.as_str())))
            .collect();
        if let Some(pk) = t.primary_key.as_ref().filter(|_| inline_pk.is_none()) {
            let prefix = match self.dialect {
                Dialect::Postgres => {
                    format!("CONSTRAINT {} ", self.q(&self.pk_name(&t.name, &pk.name)))
                }
                Dialect::Sqlite => pk
                    .name
                    .as_ref()
                    .map(|n| format!("CONSTRAINT {} ", self.q(n)))
                    .unwrap_or_default(),
            };
            items.push(format!(
                "{prefix}PRIMARY KEY ({}){}",
                self.columns(&pk.columns),
                pk.deferral.sql()
            ));
        }
        for u in &t.uniques {
            let prefix = self.constraint_prefix(u.name.clone(), || {
                self.unique_name(&t.name, &u.columns, &None)
            });
            items.push(format!(
                "{prefix}UNIQUE ({}){}",
                self.columns(&u.columns),
                u.deferral.sql()
            ));
        }
        for k in t.foreign_keys.iter().filter(|k| !k.not_valid) {
            let prefix = self.constraint_prefix(k.name.clone(), || self.fk_name(&t.name, k));
            items.push(format!("{prefix}{}", self.fk_clause(k)));
        }
        for c in t.checks.iter().filter(|c| !c.not_valid) {
            let prefix = self.constraint_prefix(c.name.clone(), || self.check_name(&t.name, c));
            items.push(format!("{prefix}CHECK ({})", c.expression));
        }
        for x in &t.exclusions {
            items.push(format!(
                "CONSTRAINT {} {}",
                self.q(&x.name),
                self.exclusion_clause(x)
            ));
        }
        let with = if t.storage.is_empty() {
            String::new()
        } else {
            format!(" WITH ({})", self.parameters(&t.storage))
        };
        let partitioned = match &t.partition_key {
            Some(key) => format!(" PARTITION BY {key}"),
            None => String::new(),
        };
        format!(
            "CREATE TABLE {name_sql} (\n    {}\n){partitioned}{with};",
            items.join(",\n    ")
        )
    }

    /// `EXCLUDE [USING method] (key WITH op, …) [INCLUDE (…)] [WITH (…)]
    /// [WHERE (…)] [DEFERRABLE …]`, the constraint after its name.
    fn exclusion_clause(&self, x: &Exclusion) -> String {
        let elements: Vec<String> = self
            .index_keys(&x.index)
            .into_iter()
            .zip(&x.operators)
            .map(|(key, op)| {
                // A schema-qualified operator is written `OPERATOR(s.op)`.
                let op = op.trim();
                if op.contains('.') && !op.to_ascii_lowercase().starts_with("operator") {
                    format!("{key} WITH OPERATOR({op})")
                } else {
                    format!("{key} WITH {op}")
                }
            })
            .collect();
        let mut s = String::from("EXCLUDE");
        if let Some(m) = &x.index.method {
            s.push_str(&format!(" USING {}", self.q(m)));
        }
        s.push_str(&format!(" ({})", elements.join(", ")));
        if !x.index.include.is_empty() {
            s.push_str(&format!(" INCLUDE ({})", self.columns(&x.index.include)));
        }
        if !x.index.with.is_empty() {
            s.push_str(&format!(" WITH ({})", self.parameters(&x.index.with)));
        }
        if let Some(p) = &x.index.predicate {
            s.push_str(&format!(" WHERE ({p})"));
        }
        s.push_str(x.deferral.sql());
        s
    }

    fn create_index(&mut self, table: &QualifiedName, index: &Index) {
        let keys = self.index_keys(index);
        let mut s = format!(
            "CREATE {}INDEX {} ON {}",
            if index.unique { "UNIQUE " } else { "" },
            self.q(&index.name),
            self.qn(table)
        );
        if let Some(m) = &index.method {
            s.push_str(&format!(" USING {}", self.q(m)));
        }
        s.push_str(&format!(" ({})", keys.join(", ")));
        if !index.include.is_empty() {
            s.push_str(&format!(" INCLUDE ({})", self.columns(&index.include)));
        }
        if !index.with.is_empty() {
            s.push_str(&format!(" WITH ({})", self.parameters(&index.with)));
        }
        if let Some(p) = &index.predicate {
            s.push_str(&format!(" WHERE {p}"));
        }
        self.stmt(s);
    }

    /// Each key of an index with its collation, operator class and order.
    fn index_keys(&self, index: &Index) -> Vec<String> {
        index
            .keys
            .iter()
            .enumerate()
            .map(|(n, k)| {
                let mut key = match k {
                    IndexKey::Column(c) => self.q(c),
                    IndexKey::Expression(e) => format!("({e})"),
                };
                let o = index.key_option(n);
                if let Some(c) = &o.collation {
                    key.push_str(&format!(" COLLATE {}", self.q(c)));
                }
                if let Some(c) = &o.opclass {
                    key.push_str(&format!(" {}", self.q(c)));
                }
                if o.descending {
                    key.push_str(" DESC");
                }
                match o.nulls_first {
                    Some(true) if !o.descending => key.push_str(" NULLS FIRST"),
                    Some(false) if o.descending => key.push_str(" NULLS LAST"),
                    _ => {}
                }
                key
            })
            .collect()
    }

    /// Storage parameters as `name = value, …`; a value other than a
    /// plain word or number is written as a string literal.
    fn parameters(&self, with: &[(String, String)]) -> String {
        with.iter()
            .map(|(k, v)| {
                let plain = !v.is_empty()
                    && v.chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '.');
                let value = if plain { v.clone() } else { literal(v) };
                format!("{} = {value}", self.q(k))
            })
            .collect::<Vec<_>>()
            .join(", ")
    }

    fn index_name(&self, table: &QualifiedName, index: &str) -> String {
        self.qn(&QualifiedName {
            schema: table.schema.clone(),
            name: index.to_owned(),
        })
    }

    fn comment(&mut self, target: &CommentTarget, text: &Option<String>) {
        let what = match target {
            CommentTarget::Table(t) => format!("TABLE {}", self.qn(t)),
            CommentTarget::Column(t, c) => format!("COLUMN {}.{}", self.qn(t), self.q(c)),
            CommentTarget::Type(t) => format!("TYPE {}", self.qn(t)),
            CommentTarget::View(v, false) => format!("VIEW {}", self.qn(v)),
            CommentTarget::View(v, true) => format!("MATERIALIZED VIEW {}", self.qn(v)),
        };
        let value = text.as_deref().map_or("NULL".to_owned(), literal);
        self.stmt(format!("COMMENT ON {what} IS {value}"));
    }

    fn create_enum(&mut self, e: &EnumType) {
        let values: Vec<String> = e.values.iter().map(|v| literal(v)).collect();
        self.stmt(format!(
            "CREATE TYPE {} AS ENUM ({})",
            self.qn(&e.name),
            values.join(", ")
        ));
        if e.comment.is_some() {
            self.comment(&CommentTarget::Type(e.name.clone()), &e.comment);
        }
    }

    fn replace_enum(&mut self, from: &EnumType, to: &EnumType, columns: &[EnumColumn]) {
        let removed: Vec<&String> = from
            .values
            .iter()
            .filter(|v| !to.values.contains(v))
            .collect();
        let mut why = format!(
            "re-creates type {} with values ({}) because PostgreSQL cannot remove or reorder enum values",
            self.qn(&from.name),
            to.values
                .iter()
                .map(|v| literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        );
        if !removed.is_empty() {
            why.push_str(&format!(
                "; rows holding {} make the conversion fail: update them first",
                removed
                    .iter()
                    .map(|v| literal(v))
                    .collect::<Vec<_>>()
                    .join(", ")
            ));
        }
        self.review(why);
        let old = QualifiedName {
            schema: from.name.schema.clone(),
            name: format!("{}__old", from.name.name),
        };
        self.stmt(format!(
            "ALTER TYPE {} RENAME TO {}",
            self.qn(&from.name),
            self.q(&old.name)
        ));
        self.create_enum(to);
        // PostgreSQL cannot convert a default along with its column ("default
        // for column … cannot be cast automatically"): drop it first, set the
        // new one once the column has the new type.
        for col in columns {
            let c = self.q(&col.column);
            let table = self.qn(&col.table);
            if col.default.is_some() {
                self.stmt(format!("ALTER TABLE {table} ALTER COLUMN {c} DROP DEFAULT"));
            }
            self.stmt(format!(
                "ALTER TABLE {table} ALTER COLUMN {c} TYPE {} USING {c}::text::{}",
                self.qn(&to.name),
                self.qn(&to.name)
            ));
            if let Some(d) = &col.new_default {
                self.stmt(format!(
                    "ALTER TABLE {table} ALTER COLUMN {c} SET DEFAULT {}",
                    cast_literal(d, &self.qn(&to.name))
                ));
            }
        }
        self.stmt(format!("DROP TYPE {}", self.qn(&old)));
    }

    fn rebuild(&mut self, from: &Table, to: &Table) {
        let temp = QualifiedName {
            schema: to.name.schema.clone(),
            name: format!("_new_{}", to.name.name),
        };
        let common: Vec<String> = to
            .columns
            .iter()
            .filter(|c| {
                c.generated.is_none() && from.column(&c.name).is_some_and(|f| f.generated.is_none())
            })
            .map(|c| self.q(&c.name))
            .collect();
        let lost: Vec<&str> = from
            .columns
            .iter()
            .filter(|c| to.column(&c.name).is_none())
            .map(|c| c.name.as_str())
            .collect();
        let mut why = Vec::new();
        if !lost.is_empty() {
            why.push(format!(
                "drops column(s) {} of {} and their data",
                lost.iter()
                    .map(|c| self.q(c))
                    .collect::<Vec<_>>()
                    .join(", "),
                self.qn(&to.name)
            ));
        }
        for c in &to.columns {
            if let Some(f) = from.column(&c.name) {
                if !crate::canon::same_type(&f.data_type, &c.data_type, Dialect::Sqlite) {
                    why.push(format!(
                        "{} changes type from {} to {}: SQLite copies the values as they are (converting by type affinity)",
                        self.col(&to.name, &c.name), f.data_type, c.data_type
                    ));
                }
                // Primary key columns are NOT NULL whatever the source says
                // (SQLite reports them as nullable).
                let was_key = from
                    .primary_key
                    .as_ref()
                    .is_some_and(|k| k.columns.contains(&f.name));
                if !c.nullable && f.nullable && !was_key && f.identity.is_none() {
                    why.push(format!(
                        "{} becomes NOT NULL: the copy fails if it holds NULLs",
                        self.col(&to.name, &c.name)
                    ));
                }
            } else if !c.nullable
                && c.default.is_none()
                && c.identity.is_none()
                && c.generated.is_none()
            {
                why.push(format!("new column {} is NOT NULL without a default: the copy fails if the table has rows", self.col(&to.name, &c.name)));
            }
        }
        let destructive = Change::RebuildTable {
            from: from.clone(),
            to: to.clone(),
        }
        .is_destructive();
        if destructive && why.is_empty() {
            why.push(format!("rebuilding {} may lose data", self.qn(&to.name)));
        }
        if !why.is_empty() {
            self.review(why.join("; "));
        }
        // Not a review item: the runtime runs each SQLite migration
        // transaction with foreign-key enforcement off and checks
        // `PRAGMA foreign_key_check` before commit, SQLite's documented
        // procedure, so rows of referencing tables survive the DROP.
        self.note(&format!(
            "SQLite cannot make this change to {} with ALTER TABLE: the table is rebuilt and its rows copied (foreign keys are checked before commit)",
            self.qn(&to.name)
        ));
        let create = self.create_table(to, &self.qn(&temp));
        self.stmt(create.trim_end_matches(';'));
        let cols = common.join(", ");
        self.stmt(format!(
            "INSERT INTO {} ({cols}) SELECT {cols} FROM {}",
            self.qn(&temp),
            self.qn(&from.name)
        ));
        self.stmt(format!("DROP TABLE {}", self.qn(&from.name)));
        self.stmt(format!(
            "ALTER TABLE {} RENAME TO {}",
            self.qn(&temp),
            self.q(&to.name.name)
        ));
        for i in &to.indexes {
            self.create_index(&to.name, i);
        }
    }

    fn change(&mut self, change: &Change) {
        let alter = |s: &Self, t: &QualifiedName| format!("ALTER TABLE {}", s.qn(t));
        match change {
            Change::CreateSchema(s) => self.stmt(format!("CREATE SCHEMA {}", self.q(s))),
            Change::DropSchema(s) => {
                self.review(format!("drops schema {}; it must be empty", self.q(s)));
                self.stmt(format!("DROP SCHEMA {}", self.q(s)));
            }
            Change::CreateEnum(e) => self.create_enum(e),
            Change::DropEnum(e) => {
                self.review(format!("drops type {}", self.qn(&e.name)));
                self.stmt(format!("DROP TYPE {}", self.qn(&e.name)));
            }
            Change::AddEnumValue { from, value, .. } => {
                self.note("PostgreSQL 12+ runs ADD VALUE inside a transaction, but the new value cannot be used before the transaction commits");
                self.stmt(format!(
                    "ALTER TYPE {} ADD VALUE {}",
                    self.qn(&from.name),
                    literal(value)
                ));
            }
            Change::ReplaceEnum { from, to, columns } => self.replace_enum(from, to, columns),
            Change::RenameTable { from, to } => self.stmt(format!(
                "{} RENAME TO {}",
                alter(self, from),
                self.q(&to.name)
            )),
            Change::RenameColumn { table, from, to } => self.stmt(format!(
                "{} RENAME COLUMN {} TO {}",
                alter(self, table),
                self.q(from),
                self.q(to)
            )),
            Change::CreateTable(t) => {
                let sql = self.create_table(t, &self.qn(&t.name));
                self.stmt(sql.trim_end_matches(';'));
                // PostgreSQL marks a constraint written in CREATE TABLE
                // valid whatever it says: NOT VALID ones come after.
                for c in t.checks.iter().filter(|c| c.not_valid) {
                    self.change(&Change::AddCheck {
                        table: t.name.clone(),
                        constraint: c.clone(),
                    });
                }
                for k in t.foreign_keys.iter().filter(|k| k.not_valid) {
                    self.change(&Change::AddForeignKey {
                        table: t.name.clone(),
                        key: k.clone(),
                    });
                }
                for i in &t.indexes {
                    self.create_index(&t.name, i);
                }
                if self.dialect == Dialect::Postgres {
                    if t.comment.is_some() {
                        self.comment(&CommentTarget::Table(t.name.clone()), &t.comment);
                    }
                    for c in t.columns.iter().filter(|c| c.comment.is_some()) {
                        self.comment(
                            &CommentTarget::Column(t.name.clone(), c.name.clone()),
                            &c.comment,
                        );
                    }
                }
            }
            Change::DropTable { table, renamed_to } => {
                let mut why = format!("drops table {} and all its rows", self.qn(&table.name));
                if let Some(n) = renamed_to {
                    why.push_str(&format!(
                        "; if it was renamed to {}, replace the DROP/CREATE pair with ALTER TABLE {} RENAME TO {}",
                        self.qn(n),
                        self.qn(&table.name),
                        self.q(&n.name)
                    ));
                }
                self.review(why);
                self.stmt(format!("DROP TABLE {}", self.qn(&table.name)));
            }
            Change::AddColumn { table, column } => {
                if !column.nullable
                    && column.default.is_none()
                    && column.identity.is_none()
                    && column.generated.is_none()
                {
                    self.review(format!(
                        "adds NOT NULL column {} without a default: fails if the table has rows; add a DEFAULT, or add it nullable, fill it, then SET NOT NULL",
                        self.col(table, &column.name)
                    ));
                }
                self.stmt(format!(
                    "{} ADD COLUMN {}",
                    alter(self, table),
                    self.column_def(table, column, false)
                ));
            }
            Change::DropColumn {
                table,
                column,
                renamed_to,
            } => {
                let mut why = format!(
                    "drops column {} and its data",
                    self.col(table, &column.name)
                );
                if let Some(n) = renamed_to {
                    why.push_str(&format!(
                        "; if it was renamed to {}, replace the DROP/ADD pair with ALTER TABLE {} RENAME COLUMN {} TO {}",
                        self.q(n),
                        self.qn(table),
                        self.q(&column.name),
                        self.q(n)
                    ));
                }
                self.review(why);
                self.stmt(format!(
                    "{} DROP COLUMN {}",
                    alter(self, table),
                    self.q(&column.name)
                ));
            }
            Change::AlterColumnType {
                table,
                column,
                from,
                to,
            } => {
                let c = self.q(column);
                if change.is_destructive() {
                    self.review(format!(
                        "changes type of {} from {from} to {to}: fails (or truncates) where a value does not fit",
                        self.col(table, column)
                    ));
                    self.stmt(format!(
                        "{} ALTER COLUMN {c} TYPE {to} USING {c}::{to}",
                        alter(self, table)
                    ));
                } else {
                    self.stmt(format!("{} ALTER COLUMN {c} TYPE {to}", alter(self, table)));
                }
            }
            Change::AlterColumnNullability {
                table,
                column,
                nullable,
            } => {
                let c = self.q(column);
                if *nullable {
                    self.stmt(format!(
                        "{} ALTER COLUMN {c} DROP NOT NULL",
                        alter(self, table)
                    ));
                } else {
                    self.review(format!(
                        "makes {} NOT NULL: fails if it holds NULLs; fill them first",
                        self.col(table, column)
                    ));
                    self.stmt(format!(
                        "{} ALTER COLUMN {c} SET NOT NULL",
                        alter(self, table)
                    ));
                }
            }
            Change::AlterColumnDefault {
                table, column, to, ..
            } => {
                let c = self.q(column);
                match to {
                    Some(d) => self.stmt(format!(
                        "{} ALTER COLUMN {c} SET DEFAULT {d}",
                        alter(self, table)
                    )),
                    None => self.stmt(format!(
                        "{} ALTER COLUMN {c} DROP DEFAULT",
                        alter(self, table)
                    )),
                }
            }
            Change::AlterColumnIdentity {
                table,
                column,
                from,
                to,
            } => {
                let c = self.q(column);
                let kind = |i: &Identity| match i {
                    Identity::Always => "ALWAYS",
                    Identity::ByDefault => "BY DEFAULT",
                };
                let sql = match (from, to) {
                    (None, Some(i)) => format!(
                        "{} ALTER COLUMN {c} ADD GENERATED {} AS IDENTITY",
                        alter(self, table),
                        kind(i)
                    ),
                    (Some(_), None) => {
                        format!("{} ALTER COLUMN {c} DROP IDENTITY", alter(self, table))
                    }
                    (_, Some(i)) => format!(
                        "{} ALTER COLUMN {c} SET GENERATED {}",
                        alter(self, table),
                        kind(i)
                    ),
                    (None, None) => return,
                };
                self.stmt(sql);
            }
            Change::AlterColumnCollation {
                table,
                column,
                data_type,
                to,
                ..
            } => {
                let collation = self.q(to.as_deref().unwrap_or("default"));
                self.stmt(format!(
                    "{} ALTER COLUMN {} TYPE {data_type} COLLATE {collation}",
                    alter(self, table),
                    self.q(column)
                ));
            }
            Change::SetStorage { table, from, to } => {
                let set: Vec<(String, String)> =
                    to.iter().filter(|p| !from.contains(p)).cloned().collect();
                let reset: Vec<String> = from
                    .iter()
                    .filter(|(k, _)| !to.iter().any(|(j, _)| j.eq_ignore_ascii_case(k)))
                    .map(|(k, _)| self.q(k))
                    .collect();
                if !reset.is_empty() {
                    self.stmt(format!(
                        "{} RESET ({})",
                        alter(self, table),
                        reset.join(", ")
                    ));
                }
                if !set.is_empty() {
                    self.stmt(format!(
                        "{} SET ({})",
                        alter(self, table),
                        self.parameters(&set)
                    ));
                }
            }
            Change::AddPrimaryKey { table, key } => {
                let name = self.q(&self.pk_name(table, &key.name));
                self.stmt(format!(
                    "{} ADD CONSTRAINT {name} PRIMARY KEY ({}){}",
                    alter(self, table),
                    self.columns(&key.columns),
                    key.deferral.sql()
                ));
            }
            Change::DropPrimaryKey { table, key } => {
                let name = self.q(&self.pk_name(table, &key.name));
                self.stmt(format!("{} DROP CONSTRAINT {name}", alter(self, table)));
            }
            Change::AddUnique { table, constraint } => {
                let name = self.q(&self.unique_name(table, &constraint.columns, &constraint.name));
                self.stmt(format!(
                    "{} ADD CONSTRAINT {name} UNIQUE ({}){}",
                    alter(self, table),
                    self.columns(&constraint.columns),
                    constraint.deferral.sql()
                ));
            }
            Change::DropUnique { table, constraint } => {
                let name = self.q(&self.unique_name(table, &constraint.columns, &constraint.name));
                self.stmt(format!("{} DROP CONSTRAINT {name}", alter(self, table)));
            }
            Change::AddForeignKey { table, key } => {
                let name = self.q(&self.fk_name(table, key));
                self.stmt(format!(
                    "{} ADD CONSTRAINT {name} {}{}",
                    alter(self, table),
                    self.fk_clause(key),
                    if key.not_valid { " NOT VALID" } else { "" }
                ));
            }
            Change::DropForeignKey { table, key } => {
                let name = self.q(&self.fk_name(table, key));
                self.stmt(format!("{} DROP CONSTRAINT {name}", alter(self, table)));
            }
            Change::AddCheck { table, constraint } => {
                let name = self.q(&self.check_name(table, constraint));
                self.stmt(format!(
                    "{} ADD CONSTRAINT {name} CHECK ({}){}",
                    alter(self, table),
                    constraint.expression,
                    if constraint.not_valid {
                        " NOT VALID"
                    } else {
                        ""
                    }
                ));
            }
            Change::DropCheck { table, constraint } => {
                let name = self.q(&self.check_name(table, constraint));
                self.stmt(format!("{} DROP CONSTRAINT {name}", alter(self, table)));
            }
            Change::AddExclusion { table, constraint } => {
                self.stmt(format!(
                    "{} ADD CONSTRAINT {} {}",
                    alter(self, table),
                    self.q(&constraint.name),
                    self.exclusion_clause(constraint)
                ));
            }
            Change::DropExclusion { table, constraint } => {
                self.stmt(format!(
                    "{} DROP CONSTRAINT {}",
                    alter(self, table),
                    self.q(&constraint.name)
                ));
            }
            Change::CreateIndex { table, index } => self.create_index(table, index),
            Change::DropIndex { table, index } => {
                let name = self.index_name(table, &index.name);
                self.stmt(format!("DROP INDEX {name}"));
            }
            Change::SetComment { target, to, .. } => self.comment(target, to),
            Change::RebuildTable { from, to } => self.rebuild(from, to),
            Change::Kind(k) => {
                for step in crate::kinds::render(k) {
                    if let Some(note) = &step.note {
                        self.note(note);
                    }
                    if let Some(review) = step.review {
                        self.review(review);
                    }
                    self.stmt(step.sql);
                }
            }
            Change::CreateView(v) => self.create_view(v, false),
            Change::ReplaceView { to, .. } => self.create_view(to, true),
            Change::DropView(v) => {
                let word = if v.materialized {
                    "MATERIALIZED VIEW"
                } else {
                    "VIEW"
                };
                self.stmt(format!("DROP {word} {}", self.qn(&v.name)));
            }
            Change::CreateFunction(f) => self.stmt(f.sql.trim_end().to_owned()),
            Change::ReplaceFunction { to, .. } => {
                self.stmt(crate::views::or_replace(&to.sql, self.dialect))
            }
            Change::DropFunction(f) => {
                let word = if f.procedure { "PROCEDURE" } else { "FUNCTION" };
                self.stmt(format!("DROP {word} {}({})", self.qn(&f.name), f.arg_types));
            }
            Change::Partition(p) => {
                for step in crate::partitions::render(p) {
                    if let Some(review) = step.review {
                        self.review(review);
                    }
                    self.stmt(step.sql);
                }
            }
            Change::CreateTrigger(t) => self.stmt(t.sql.trim_end().to_owned()),
            Change::DropTrigger(t) => match self.dialect {
                Dialect::Postgres => self.stmt(format!(
                    "DROP TRIGGER {} ON {}",
                    self.q(&t.name),
                    self.qn(&t.table)
                )),
                Dialect::Sqlite => self.stmt(format!("DROP TRIGGER {}", self.q(&t.name))),
            },
            Change::Grants {
                object,
                on,
                from,
                to,
            } => {
                let object = self.qn(object);
                for sql in crate::grants::render(&object, on, from, to) {
                    self.stmt(sql);
                }
            }
        }
    }

    /// `CREATE [OR REPLACE] [MATERIALIZED] VIEW`: SQLite's as written,
    /// PostgreSQL's from its parts.
    fn create_view(&mut self, v: &View, replace: bool) {
        if let (Dialect::Sqlite, Some(sql)) = (self.dialect, &v.sql) {
            self.stmt(sql.trim_end().to_owned());
            return;
        }
        let mut out = String::from("CREATE ");
        if replace {
            out.push_str("OR REPLACE ");
        }
        if v.materialized {
            out.push_str("MATERIALIZED ");
        }
        out.push_str("VIEW ");
        out.push_str(&self.qn(&v.name));
        if !v.column_list.is_empty() {
            out.push_str(&format!(" ({})", self.columns(&v.column_list)));
        }
        if !v.options.is_empty() {
            out.push_str(&format!(" WITH ({})", v.options.join(", ")));
        }
        out.push_str(" AS\n");
        out.push_str(v.query.trim_end().trim_end_matches(';').trim_end());
        if v.with_no_data {
            out.push_str("\nWITH NO DATA");
        }
        self.stmt(out);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};
    use crate::parse_schema;
    use migrate_core::sql::{DialectCheck, check_dialects, split_statements};

    fn round(a: &str, b: &str, dialect: Dialect) -> Rendered {
        let a = parse_schema(a, dialect).unwrap();
        let b = parse_schema(b, dialect).unwrap();
        let changes = diff(&a, &b, dialect, &DiffOptions::default());
        let r = render(&changes, dialect);
        assert_passes_checks(&r.upgrade, dialect);
        assert_passes_checks(&r.downgrade, dialect);
        r
    }

    fn assert_passes_checks(sql: &str, dialect: Dialect) {
        for s in split_statements(sql, 1) {
            let text = &sql[s.start..s.end];
            if let Err((e, d)) =
                check_dialects(text, s.line, s.column, &DialectCheck::All(vec![dialect]))
            {
                panic!("{d} rejects `{text}`: {e:?}\n{sql}");
            }
        }
    }

    const BASE: &str = "CREATE TYPE mood AS ENUM ('sad', 'ok');\nCREATE TABLE users (id serial PRIMARY KEY, email varchar(100) NOT NULL UNIQUE, nick text, m mood DEFAULT 'ok');\nCREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE CASCADE, title text CHECK (length(title) > 0), \"Order\" int);\nCREATE INDEX posts_user ON posts (user_id);\nCOMMENT ON TABLE posts IS 'blog posts';";

    #[test]
    fn index_details_collations_and_storage_render_both_ways() {
        let r = round(
            "CREATE TABLE t (a text, b int) WITH (fillfactor = 90, autovacuum_enabled = false);
             CREATE INDEX i ON t (a);",
            "CREATE TABLE t (a text COLLATE \"C\", b int) WITH (fillfactor = 70);
             CREATE INDEX i ON t USING btree ((lower(a)) COLLATE \"C\" text_pattern_ops DESC NULLS LAST, b NULLS FIRST) INCLUDE (b) WITH (fillfactor = 50) WHERE b > 0;",
            Dialect::Postgres,
        );
        assert_eq!(
            r.upgrade,
            "DROP INDEX i;\n\n\
             ALTER TABLE t ALTER COLUMN a TYPE TEXT COLLATE \"C\";\n\n\
             ALTER TABLE t RESET (autovacuum_enabled);\n\n\
             ALTER TABLE t SET (fillfactor = 70);\n\n\
             CREATE INDEX i ON t ((lower(a)) COLLATE \"C\" text_pattern_ops DESC NULLS LAST, b NULLS FIRST) INCLUDE (b) WITH (fillfactor = 50) WHERE b > 0;\n\n"
        );
        assert_eq!(
            r.downgrade,
            "DROP INDEX i;\n\n\
             ALTER TABLE t SET (fillfactor = 90, autovacuum_enabled = false);\n\n\
             ALTER TABLE t ALTER COLUMN a TYPE TEXT COLLATE \"default\";\n\n\
             CREATE INDEX i ON t (a);\n\n"
        );
        let created = round(
            "",
            "CREATE TABLE t (a TEXT COLLATE \"C\") WITH (fillfactor = 70);",
            Dialect::Postgres,
        );
        assert_eq!(
            created.upgrade,
            "CREATE TABLE t (\n    a TEXT COLLATE \"C\"\n) WITH (fillfactor = 70);\n\n"
        );
    }

    #[test]
    fn postgres_round_trip_of_many_changes() {
        let target = "CREATE SCHEMA audit;\nCREATE TYPE mood AS ENUM ('sad', 'ok', 'happy');\nCREATE TABLE users (id serial PRIMARY KEY, email varchar(50) NOT NULL, handle text, m mood DEFAULT 'happy', created timestamptz NOT NULL DEFAULT now());\nCREATE TABLE tags (id int PRIMARY KEY, name text NOT NULL UNIQUE, parent int REFERENCES tags);\nCREATE TABLE post_tags (post_id bigint REFERENCES posts, tag_id int REFERENCES tags, PRIMARY KEY (post_id, tag_id));\nCREATE TABLE posts (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, user_id int NOT NULL REFERENCES users ON DELETE SET NULL, title text CHECK (length(title) > 1), \"Order\" int, CHECK (\"Order\" >= 0));\nCREATE UNIQUE INDEX posts_title ON posts (lower(title)) WHERE \"Order\" > 0;\nCOMMENT ON TABLE posts IS 'posts';\nCOMMENT ON COLUMN users.email IS 'login';";
        let r = round(BASE, target, Dialect::Postgres);
        let up = &r.upgrade;
        assert!(
            up.starts_with("ALTER TYPE mood ADD VALUE 'happy';")
                || up.contains("ALTER TYPE mood ADD VALUE 'happy';\n\n"),
            "{up}"
        );
        assert!(
            up.contains("ALTER TABLE users DROP CONSTRAINT users_email_key;"),
            "{up}"
        );
        assert!(
            up.contains("ALTER TABLE posts DROP CONSTRAINT posts_user_id_fkey;"),
            "{up}"
        );
        assert!(up.contains("ALTER TABLE posts ADD CONSTRAINT posts_user_id_fkey FOREIGN KEY (user_id) REFERENCES users (id) ON DELETE SET NULL;"), "{up}");
        assert!(
            up.contains(
                "ALTER TABLE posts ADD CONSTRAINT \"posts_Order_check\" CHECK (\"Order\" >= 0);"
            ),
            "{up}"
        );
        assert!(
            up.contains("-- REVIEW: changes type of users.email"),
            "{up}"
        );
        assert!(up.contains("USING email::VARCHAR(50)"), "{up}");
        assert!(up.contains("DROP INDEX posts_user;"), "{up}");
        assert!(
            up.contains("COMMENT ON COLUMN users.email IS 'login';"),
            "{up}"
        );
        let tags = up.find("CREATE TABLE tags").unwrap();
        let post_tags = up.find("CREATE TABLE post_tags").unwrap();
        assert!(tags < post_tags);
        assert!(
            r.downgrade.contains("ALTER TYPE mood RENAME TO mood__old;"),
            "{}",
            r.downgrade
        );
        assert!(r.downgrade.contains("DROP TABLE tags;"));
        assert!(
            r.downgrade.find("DROP TABLE post_tags").unwrap()
                < r.downgrade.find("DROP TABLE tags").unwrap()
        );
        assert!(!r.warnings.is_empty());
    }

    #[test]
    fn postgres_drop_everything_and_back() {
        let r = round(BASE, "", Dialect::Postgres);
        assert!(
            r.upgrade.find("DROP TABLE posts").unwrap()
                < r.upgrade.find("DROP TABLE users").unwrap()
        );
        assert!(
            r.upgrade.trim_end().ends_with("DROP TYPE mood;"),
            "{}",
            r.upgrade
        );
        assert!(
            r.downgrade
                .contains("COMMENT ON TABLE posts IS 'blog posts';")
        );
        assert!(r.downgrade.contains("\"Order\" INT"));
        assert!(r.downgrade.contains("GENERATED ALWAYS AS IDENTITY"));
        assert!(r.downgrade.contains("id serial,"));
    }

    #[test]
    fn postgres_cycle_round_trip() {
        let r = round(
            "",
            "CREATE TABLE a (id int PRIMARY KEY, b_id int);\nCREATE TABLE b (id int PRIMARY KEY, a_id int REFERENCES a);\nALTER TABLE a ADD FOREIGN KEY (b_id) REFERENCES b;",
            Dialect::Postgres,
        );
        assert!(
            r.upgrade.contains(
                "ALTER TABLE a ADD CONSTRAINT a_b_id_fkey FOREIGN KEY (b_id) REFERENCES b (id);"
            ),
            "{}",
            r.upgrade
        );
        assert!(
            r.downgrade
                .starts_with("ALTER TABLE a DROP CONSTRAINT a_b_id_fkey;"),
            "{}",
            r.downgrade
        );
    }

    #[test]
    fn renamed_table_gets_a_review() {
        let r = round(
            "CREATE TABLE old_t (id int);",
            "CREATE TABLE new_t (id int);",
            Dialect::Postgres,
        );
        assert!(r.upgrade.contains("-- REVIEW: drops table old_t and all its rows; if it was renamed to new_t, replace the DROP/CREATE pair with ALTER TABLE old_t RENAME TO new_t\n"), "{}", r.upgrade);
    }

    #[test]
    fn exclusion_constraints_add_drop_and_change() {
        let base = "CREATE TABLE booking (id int PRIMARY KEY, room int, during tstzrange);";
        let with = "CREATE TABLE booking (id int PRIMARY KEY, room int, during tstzrange,
            EXCLUDE USING gist (during WITH &&) WHERE (room > 0));";
        let r = round(base, with, Dialect::Postgres);
        assert_eq!(
            r.upgrade,
            "ALTER TABLE booking ADD CONSTRAINT booking_during_excl EXCLUDE USING gist (during WITH &&) WHERE (room > 0);\n\n"
        );
        assert_eq!(
            r.downgrade,
            "ALTER TABLE booking DROP CONSTRAINT booking_during_excl;\n\n"
        );
        // Spelled otherwise, the same constraint.
        let same = "CREATE TABLE booking (id int PRIMARY KEY, room int, during tstzrange);
            ALTER TABLE ONLY public.booking ADD CONSTRAINT booking_during_excl
                EXCLUDE USING GIST (during WITH OPERATOR(pg_catalog.&&)) WHERE ((room > (0)::integer));";
        let r = round(with, same, Dialect::Postgres);
        assert_eq!(r.upgrade, "", "{}", r.upgrade);
        // Another predicate or operator: dropped and added.
        let changed = with.replace("room > 0", "room > 1");
        let r = round(with, &changed, Dialect::Postgres);
        assert_eq!(
            r.upgrade,
            "ALTER TABLE booking DROP CONSTRAINT booking_during_excl;\n\nALTER TABLE booking ADD CONSTRAINT booking_during_excl EXCLUDE USING gist (during WITH &&) WHERE (room > 1);\n\n"
        );
        let changed = with.replace("WITH &&", "WITH -|-");
        let r = round(with, &changed, Dialect::Postgres);
        assert!(r.upgrade.contains("(during WITH -|-)"), "{}", r.upgrade);
        // A new table carries it, with its name quoted where needed.
        let r = round(
            "",
            "CREATE TABLE \"Room\" (r int4range, CONSTRAINT \"No Overlap\" EXCLUDE USING gist (r WITH &&) DEFERRABLE INITIALLY DEFERRED);",
            Dialect::Postgres,
        );
        assert!(
            r.upgrade.contains("    CONSTRAINT \"No Overlap\" EXCLUDE USING gist (r WITH &&) DEFERRABLE INITIALLY DEFERRED\n);"),
            "{}",
            r.upgrade
        );
        let changes = diff(
            &parse_schema(base, Dialect::Postgres).unwrap(),
            &parse_schema(with, Dialect::Postgres).unwrap(),
            Dialect::Postgres,
            &DiffOptions::default(),
        );
        assert_eq!(
            changes.iter().map(Change::summary).collect::<Vec<_>>(),
            ["add exclusion constraint booking_during_excl on booking"]
        );
        assert!(!changes[0].is_destructive());
        // `init --from-database` writes tables with render_table: they read
        // back as they were.
        let declared = parse_schema(&changed, Dialect::Postgres).unwrap();
        let t = &declared.tables[&QualifiedName::new("booking")];
        let written = render_table(t, Dialect::Postgres);
        let back = parse_schema(&written, Dialect::Postgres).unwrap();
        assert_eq!(
            back.tables[&QualifiedName::new("booking")].exclusions,
            t.exclusions,
            "{written}"
        );
    }

    #[test]
    fn sqlite_rebuild_round_trip() {
        let a = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b TEXT);\nCREATE INDEX t_b ON t (b);\nCREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id));";
        let b = "CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT NOT NULL DEFAULT '', b TEXT, c TEXT);\nCREATE INDEX t_b ON t (b);\nCREATE TABLE u (id INTEGER PRIMARY KEY, t_id INTEGER REFERENCES t (id) ON DELETE CASCADE);\nCREATE TABLE v (id INTEGER PRIMARY KEY, u_id INTEGER REFERENCES u);";
        let r = round(a, b, Dialect::Sqlite);
        let up = &r.upgrade;
        assert!(up.contains("CREATE TABLE _new_t (\n    id INTEGER PRIMARY KEY AUTOINCREMENT,\n    a TEXT NOT NULL DEFAULT '',"), "{up}");
        assert!(up.contains("INSERT INTO _new_t (id, a, b) SELECT id, a, b FROM t;\n\nDROP TABLE t;\n\nALTER TABLE _new_t RENAME TO t;\n\nCREATE INDEX t_b ON t (b);"), "{up}");
        assert!(up.contains("REVIEW: t.a becomes NOT NULL"), "{up}");
        assert!(up.contains("ON DELETE CASCADE"));
        assert!(
            r.downgrade
                .contains("INSERT INTO _new_t (id, a, b) SELECT id, a, b FROM t;"),
            "{}",
            r.downgrade
        );
        assert!(
            r.downgrade.contains("REVIEW: drops column(s) c of t"),
            "{}",
            r.downgrade
        );
    }

    #[test]
    fn sqlite_rebuild_does_not_flag_key_columns_reported_nullable() {
        // SQLite's catalogue reports `INTEGER PRIMARY KEY` columns as
        // nullable; the declared side says NOT NULL. Not a review item.
        let mut from = crate::parse_schema(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
            Dialect::Sqlite,
        )
        .unwrap()
        .tables
        .into_values()
        .next()
        .unwrap();
        from.columns[0].nullable = true;
        let mut to = from.clone();
        to.columns[0].nullable = false;
        to.columns[1].data_type = "VARCHAR(5)".into();
        let r = render(&[Change::RebuildTable { from, to }], Dialect::Sqlite);
        assert!(
            !r.upgrade.contains("t.id becomes NOT NULL"),
            "{}",
            r.upgrade
        );
        assert!(
            r.upgrade
                .contains("-- REVIEW: t.a changes type from TEXT to VARCHAR(5)"),
            "{}",
            r.upgrade
        );
        assert!(
            r.upgrade
                .contains("(foreign keys are checked before commit)")
                && !r.upgrade.contains("transactional: false"),
            "{}",
            r.upgrade
        );
    }

    #[test]
    fn sqlite_direct_statements() {
        let r = round(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, a TEXT);",
            "CREATE TABLE t (id INTEGER PRIMARY KEY, b INTEGER NOT NULL DEFAULT 0);\nCREATE INDEX t_b ON t (b) WHERE b > 0;",
            Dialect::Sqlite,
        );
        assert_eq!(
            r.upgrade,
            "ALTER TABLE t ADD COLUMN b INTEGER NOT NULL DEFAULT 0;\n\n-- REVIEW: drops column t.a and its data\nALTER TABLE t DROP COLUMN a;\n\nCREATE INDEX t_b ON t (b) WHERE b > 0;\n\n"
        );
        assert_eq!(
            r.downgrade,
            "DROP INDEX t_b;\n\nALTER TABLE t ADD COLUMN a TEXT;\n\n-- REVIEW: drops column t.b and its data\nALTER TABLE t DROP COLUMN b;\n\n"
        );
    }

    /// The comment escape is core's: every control character as Rust
    /// writes it, as this module always wrote them.
    #[test]
    fn escape_controls_writes_each_control_as_rust_escapes_it() {
        for c in (0..=0x10ffff).filter_map(char::from_u32) {
            let text = format!("a{c}b");
            let expected = if c.is_control() {
                format!("a{}b", c.escape_default())
            } else {
                text.clone()
            };
            assert_eq!(escape_controls(&text), expected, "{:?}", c);
        }
    }

    /// Issue #26: a table named `"tmp\nDELETE FROM users;\n--"` must not
    /// put a statement of its own into the revision.
    #[test]
    fn names_with_line_breaks_stay_inside_names_and_comments() {
        let hostile = "tmp\nDELETE FROM users;\n--";
        for dialect in [Dialect::Postgres, Dialect::Sqlite] {
            let mut from = crate::Schema::default();
            let mut t = Table::new(QualifiedName::new(hostile));
            let mut c = Column::new(hostile, "TEXT");
            c.nullable = false;
            t.columns.push(Column::new("id", "INTEGER"));
            t.columns.push(c);
            from.tables.insert(t.name.clone(), t);
            let mut users = Table::new(QualifiedName::new("users"));
            users.columns.push(Column::new("id", "INTEGER"));
            from.tables.insert(users.name.clone(), users.clone());
            let mut to = crate::Schema::default();
            to.tables.insert(users.name.clone(), users);
            let changes = diff(&from, &to, dialect, &DiffOptions::default());
            let r = render(&changes, dialect);
            for sql in [&r.upgrade, &r.downgrade] {
                assert_passes_checks(sql, dialect);
                for s in split_statements(sql, 1) {
                    let text = sql[s.start..s.end].to_uppercase();
                    assert!(!text.trim_start().starts_with("DELETE"), "{dialect}: {sql}");
                }
                // PostgreSQL: no line of the file starts with the name's
                // second line (SQLite keeps it inside the quotes).
                assert!(
                    dialect == Dialect::Sqlite || !sql.lines().any(|l| l.starts_with("DELETE")),
                    "{dialect}: {sql}"
                );
            }
            let shown = match dialect {
                Dialect::Postgres => "U&\"tmp\\000aDELETE FROM users;\\000a--\"",
                Dialect::Sqlite => "\"tmp\\nDELETE FROM users;\\n--\"",
            };
            assert!(
                r.upgrade.contains(&format!(
                    "-- REVIEW: drops table {shown} and all its rows\n"
                )),
                "{}",
                r.upgrade
            );
            for w in &r.warnings {
                assert!(!w.contains('\n'), "{w}");
            }
            for change in &changes {
                assert!(!change.summary().contains('\n'));
            }
        }
        // A comment or an enum label with a line break stays on one line.
        assert_eq!(literal("a\nb'c"), "E'a\\nb''c'");
        assert_eq!(literal("plain"), "'plain'");
    }

    #[test]
    fn check_names_follow_postgres() {
        assert_eq!(check_columns("price > (0)::numeric"), ["price"]);
        assert_eq!(
            check_columns("length(title) > 0 AND a IS NOT NULL"),
            ["title", "a"]
        );
        assert_eq!(check_columns("x IN ('a', 'b')"), ["x"]);
    }
}
