//! Renames declared in `schema.sql` with `-- renamed_from: old_name`.
//!
//! A comparison cannot tell a renamed column from a dropped one and an added
//! one: both sides look the same. `schema.sql` can say which it is with a
//! comment next to the definition:
//!
//! ```sql
//! -- renamed_from: users
//! CREATE TABLE accounts (
//!     id int PRIMARY KEY,
//!     handle text NOT NULL, -- renamed_from: nick
//!     -- renamed_from: mail
//!     email text
//! );
//! ```
//!
//! A comment on a line of its own names the table of the `CREATE TABLE`
//! that follows it, or, inside the table's parentheses, the column defined
//! next. A comment after a column definition, on the same line, names that
//! column. The old name is one identifier, quoted or not, folded as the
//! dialect folds names; a renamed table stays in its schema.
//!
//! The diff then turns the pair into `ALTER TABLE … RENAME` when the
//! database still has the old name and not the new one. Once the rename
//! has been applied the hint matches nothing and changes nothing, so it can
//! stay in the file.

use std::collections::BTreeMap;

use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::keywords::Keyword;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use migrate_core::sql::Dialect;

use crate::model::{IndexKey, QualifiedName, Schema};
use crate::parse::SchemaError;

/// The key of a renamed column: its table and its new name.
pub type ColumnKey = (QualifiedName, String);

/// Renames a declared schema asks for, from its `-- renamed_from:`
/// comments (see the [module documentation](self)). A database's schema has
/// none.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Renames {
    /// New table name → old table name (same schema).
    pub tables: BTreeMap<QualifiedName, QualifiedName>,
    /// (table by its new name, new column name) → old column name.
    pub columns: BTreeMap<ColumnKey, String>,
}

impl Renames {
    /// No rename at all.
    pub fn is_empty(&self) -> bool {
        self.tables.is_empty() && self.columns.is_empty()
    }
}

/// The comment's key word.
const KEY: &str = "renamed_from:";

/// What a hint is attached to.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Subject {
    Table(QualifiedName),
    Column(QualifiedName, String),
}

/// One `-- renamed_from:` comment.
#[derive(Debug, Clone)]
struct Hint {
    line: u32,
    column: u32,
    old: String,
}

/// Reads every `-- renamed_from:` comment of `sql` and checks it against
/// the parsed `schema`: the hints, or every problem with its line.
pub(crate) fn scan(sql: &str, dialect: Dialect, schema: &Schema) -> (Renames, Vec<SchemaError>) {
    if !sql.contains("renamed_from") {
        return (Renames::default(), Vec::new());
    }
    let tokens = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location(),
        Dialect::Sqlite => Tokenizer::new(&SQLiteDialect {}, sql).tokenize_with_location(),
    };
    // A file the tokenizer refuses has its syntax error reported by the
    // parser already.
    let Ok(tokens) = tokens else {
        return (Renames::default(), Vec::new());
    };
    let mut walker = Walker::new(dialect);
    for t in &tokens {
        walker.token(t);
    }
    let (found, mut errors) = walker.finish();
    let renames = check(found, schema, &mut errors);
    (renames, errors)
}

fn error(line: u32, column: u32, message: String) -> SchemaError {
    SchemaError {
        line,
        column,
        message,
    }
}

/// Folds an identifier token as the dialect does.
fn fold(word: &sqlparser::tokenizer::Word, dialect: Dialect) -> String {
    match (dialect, word.quote_style) {
        (Dialect::Postgres, None) => word.value.to_lowercase(),
        _ => word.value.clone(),
    }
}

/// The old name in a comment's text after the key, or why it is not one.
fn old_name(text: &str, dialect: Dialect) -> Result<String, String> {
    let fix = "write `-- renamed_from: old_name` with the one name the table or column had before";
    let tokens = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, text).tokenize(),
        Dialect::Sqlite => Tokenizer::new(&SQLiteDialect {}, text).tokenize(),
    }
    .map_err(|e| format!("renamed_from: {}; {fix}", e.message))?;
    let words: Vec<&Token> = tokens
        .iter()
        .filter(|t| !matches!(t, Token::Whitespace(_)))
        .collect();
    match words.as_slice() {
        [Token::Word(w)] => Ok(fold(w, dialect)),
        [] => Err(format!("renamed_from: names nothing; {fix}")),
        [Token::Word(_), Token::Period, ..] => Err(format!(
            "renamed_from: `{}` has a schema, but a renamed table stays in its schema; \
             write the old name alone",
            text.trim()
        )),
        _ => Err(format!(
            "renamed_from: `{}` is not one name; {fix}",
            text.trim()
        )),
    }
}

/// One element of a table's parentheses: a column or a table constraint.
#[derive(Debug, Default)]
struct Element {
    /// The column it defines (`None` for a table constraint).
    column: Option<String>,
    /// Whether any token of it was seen.
    started: bool,
    /// Line of its last token (the comma that ends it included).
    last_line: u64,
}

/// Walks the tokens of the whole file, one statement at a time, and
/// attaches each hint to the table or column it stands next to.
struct Walker {
    dialect: Dialect,
    /// Significant tokens at depth 0 of the current statement, before a
    /// table's parentheses.
    head: Vec<Token>,
    /// The table whose parentheses are open.
    body: Option<QualifiedName>,
    /// The table's parentheses were closed.
    body_done: bool,
    depth: u32,
    /// Hints waiting for the next `CREATE TABLE`.
    pending_table: Vec<Hint>,
    /// Hints waiting for the next column.
    pending_column: Vec<Hint>,
    current: Element,
    previous: Element,
    found: Vec<(Hint, Subject)>,
    errors: Vec<SchemaError>,
}

impl Walker {
    fn new(dialect: Dialect) -> Walker {
        Walker {
            dialect,
            head: Vec::new(),
            body: None,
            body_done: false,
            depth: 0,
            pending_table: Vec::new(),
            pending_column: Vec::new(),
            current: Element::default(),
            previous: Element::default(),
            found: Vec::new(),
            errors: Vec::new(),
        }
    }

    fn token(&mut self, t: &TokenWithSpan) {
        let line = t.span.start.line;
        match &t.token {
            Token::Whitespace(Whitespace::SingleLineComment { comment, prefix })
                if prefix == "--" =>
            {
                let Some(rest) = comment.trim_start().strip_prefix(KEY) else {
                    return;
                };
                let (l, c) = (line as u32, t.span.start.column as u32);
                match old_name(rest, self.dialect) {
                    Ok(old) => self.hint(
                        Hint {
                            line: l,
                            column: c,
                            old,
                        },
                        line,
                    ),
                    Err(message) => self.errors.push(error(l, c, message)),
                }
            }
            Token::Whitespace(_) => {}
            Token::SemiColon if self.depth == 0 => self.end_statement(),
            Token::LParen => {
                if self.depth == 0
                    && self.body.is_none()
                    && !self.body_done
                    && let Some(name) = self.create_table_name()
                {
                    for hint in std::mem::take(&mut self.pending_table) {
                        self.found.push((hint, Subject::Table(name.clone())));
                    }
                    self.body = Some(name);
                    self.depth = 1;
                    return;
                }
                self.depth += 1;
                if self.body.is_some() {
                    self.body_token(&t.token, line);
                } else if self.depth == 1 {
                    self.head_token(&t.token);
                }
            }
            Token::RParen => {
                self.depth = self.depth.saturating_sub(1);
                if self.body.is_some() && self.depth == 0 {
                    for hint in std::mem::take(&mut self.pending_column) {
                        self.errors.push(not_a_column(&hint));
                    }
                    self.body = None;
                    self.body_done = true;
                } else if self.body.is_some() {
                    self.current.last_line = line;
                }
            }
            token => {
                if self.body.is_some() && self.depth == 1 {
                    self.body_token(token, line);
                } else if self.body.is_some() {
                    self.current.last_line = line;
                } else if self.depth == 0 {
                    self.head_token(token);
                }
            }
        }
    }

    /// A token of the statement outside any parentheses.
    fn head_token(&mut self, token: &Token) {
        self.head.push(token.clone());
        if !self.pending_table.is_empty() && !self.may_be_create_table() {
            self.misplaced_table_hints();
        }
    }

    /// A token inside the table's parentheses, at their top level.
    fn body_token(&mut self, token: &Token, line: u64) {
        if matches!(token, Token::Comma) {
            self.current.last_line = line;
            self.previous = std::mem::take(&mut self.current);
            return;
        }
        if !self.current.started {
            self.current.started = true;
            self.current.column = match token {
                Token::Word(w)
                    if w.quote_style.is_some()
                        || !matches!(
                            w.keyword,
                            Keyword::CONSTRAINT
                                | Keyword::PRIMARY
                                | Keyword::UNIQUE
                                | Keyword::FOREIGN
                                | Keyword::CHECK
                                | Keyword::EXCLUDE
                                | Keyword::LIKE
                        ) =>
                {
                    Some(fold(w, self.dialect))
                }
                _ => None,
            };
            for hint in std::mem::take(&mut self.pending_column) {
                self.attach(hint, false);
            }
        }
        self.current.last_line = line;
    }

    /// Attaches a hint to the current element (or the previous one).
    fn attach(&mut self, hint: Hint, previous: bool) {
        let element = if previous {
            &self.previous
        } else {
            &self.current
        };
        match (&self.body, &element.column) {
            (Some(table), Some(column)) => {
                let subject = Subject::Column(table.clone(), column.clone());
                self.found.push((hint, subject));
            }
            _ => self.errors.push(not_a_column(&hint)),
        }
    }

    fn hint(&mut self, hint: Hint, line: u64) {
        if self.body.is_some() {
            if self.depth > 1 {
                self.errors.push(not_a_column(&hint));
            } else if self.current.started {
                // Inside a column's definition, or after it before its comma.
                self.attach(hint, false);
            } else if self.previous.started && self.previous.last_line == line {
                // After the comma that ends a column, on its line.
                self.attach(hint, true);
            } else {
                self.pending_column.push(hint);
            }
            return;
        }
        if self.depth == 0 && !self.body_done {
            if self.head.is_empty() {
                self.pending_table.push(hint);
                return;
            }
            if let Some(table) = self.create_table_name() {
                self.found.push((hint, Subject::Table(table)));
                return;
            }
            if self.may_be_create_table() {
                self.pending_table.push(hint);
                return;
            }
        }
        self.errors.push(error(
            hint.line,
            hint.column,
            "renamed_from: is not next to a table or column definition; put it on the line \
             before a CREATE TABLE or a column, or after a column on its line"
                .into(),
        ));
    }

    /// Whether the head so far can still become `CREATE … TABLE name`.
    fn may_be_create_table(&self) -> bool {
        let mut words = self.head.iter();
        if !matches!(words.next(), Some(Token::Word(w)) if w.keyword == Keyword::CREATE) {
            return false;
        }
        let mut table = false;
        for t in words {
            match t {
                Token::Word(w) if w.keyword == Keyword::TABLE => table = true,
                Token::Word(w)
                    if !table
                        && matches!(
                            w.keyword,
                            Keyword::TEMP
                                | Keyword::TEMPORARY
                                | Keyword::UNLOGGED
                                | Keyword::GLOBAL
                                | Keyword::LOCAL
                        ) => {}
                Token::Word(_) | Token::Period if table => {}
                _ => return false,
            }
        }
        true
    }

    /// The table's name when the head is exactly `CREATE … TABLE [IF NOT
    /// EXISTS] name`.
    fn create_table_name(&self) -> Option<QualifiedName> {
        if !self.may_be_create_table() {
            return None;
        }
        let pos = self
            .head
            .iter()
            .position(|t| matches!(t, Token::Word(w) if w.keyword == Keyword::TABLE))?;
        let mut rest = &self.head[pos + 1..];
        if let [Token::Word(a), Token::Word(b), Token::Word(c), tail @ ..] = rest
            && a.keyword == Keyword::IF
            && b.keyword == Keyword::NOT
            && c.keyword == Keyword::EXISTS
        {
            rest = tail;
        }
        let mut parts = Vec::new();
        for (i, t) in rest.iter().enumerate() {
            match (i % 2, t) {
                (0, Token::Word(w)) => parts.push(fold(w, self.dialect)),
                (1, Token::Period) => {}
                _ => return None,
            }
        }
        if rest.len().is_multiple_of(2) || parts.len() > 2 {
            return None;
        }
        let default = match self.dialect {
            Dialect::Postgres => "public",
            Dialect::Sqlite => "main",
        };
        let name = parts.pop()?;
        Some(match parts.pop() {
            Some(s) if s != default => QualifiedName::in_schema(s, name),
            _ => QualifiedName::new(name),
        })
    }

    fn misplaced_table_hints(&mut self) {
        for hint in self.pending_table.drain(..) {
            self.errors.push(error(
                hint.line,
                hint.column,
                "renamed_from: on a line of its own must precede a CREATE TABLE (or, inside \
                 its parentheses, a column)"
                    .into(),
            ));
        }
    }

    fn end_statement(&mut self) {
        if !self.head.is_empty() {
            self.misplaced_table_hints();
        }
        for hint in std::mem::take(&mut self.pending_column) {
            self.errors.push(not_a_column(&hint));
        }
        self.head.clear();
        self.body = None;
        self.body_done = false;
        self.depth = 0;
        self.current = Element::default();
        self.previous = Element::default();
    }

    /// The hints found and the problems, once the file has been read.
    fn finish(mut self) -> (Vec<(Hint, Subject)>, Vec<SchemaError>) {
        self.end_statement();
        self.misplaced_table_hints();
        (self.found, self.errors)
    }
}

fn not_a_column(hint: &Hint) -> SchemaError {
    error(
        hint.line,
        hint.column,
        "renamed_from: inside a CREATE TABLE must be next to a column definition (on the line \
         before it, or after it on its line), not a table constraint"
            .into(),
    )
}

/// The hints as [`Renames`], each checked against the declared schema.
fn check(found: Vec<(Hint, Subject)>, schema: &Schema, errors: &mut Vec<SchemaError>) -> Renames {
    let mut renames = Renames::default();
    let mut seen: BTreeMap<String, u32> = BTreeMap::new();
    for (hint, subject) in found {
        let e = |m: String| error(hint.line, hint.column, m);
        let key = format!("{subject:?}");
        if let Some(first) = seen.insert(key, hint.line) {
            errors.push(e(format!(
                "renamed_from: a second hint for the same object (the first is on line {first}); \
                 keep one"
            )));
            continue;
        }
        match subject {
            Subject::Table(new) => {
                if new.name == hint.old {
                    errors.push(e(format!(
                        "renamed_from: table {new} is renamed from its own name; remove the comment"
                    )));
                    continue;
                }
                let old = QualifiedName {
                    schema: new.schema.clone(),
                    name: hint.old.clone(),
                };
                if schema.tables.contains_key(&old) {
                    errors.push(e(format!(
                        "renamed_from: {new} is renamed from {old}, which is declared too; \
                         remove the comment or the other table"
                    )));
                    continue;
                }
                if renames.tables.values().any(|o| *o == old) {
                    errors.push(e(format!(
                        "renamed_from: two tables are renamed from {old}; keep one"
                    )));
                    continue;
                }
                renames.tables.insert(new, old);
            }
            Subject::Column(table, new) => {
                if new == hint.old {
                    errors.push(e(format!(
                        "renamed_from: column {table}.{new} is renamed from its own name; remove \
                         the comment"
                    )));
                    continue;
                }
                if let Some(t) = schema.tables.get(&table)
                    && t.column(&hint.old).is_some()
                {
                    errors.push(e(format!(
                        "renamed_from: {table}.{new} is renamed from {old}, which is declared \
                         too; remove the comment or the other column",
                        old = hint.old
                    )));
                    continue;
                }
                if renames
                    .columns
                    .iter()
                    .any(|((t, _), o)| *t == table && *o == hint.old)
                {
                    errors.push(e(format!(
                        "renamed_from: two columns of {table} are renamed from {}; keep one",
                        hint.old
                    )));
                    continue;
                }
                renames.columns.insert((table, new), hint.old);
            }
        }
    }
    renames
}

/// A rename [`apply`] found to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Done {
    /// `ALTER TABLE from RENAME TO to`.
    Table {
        from: QualifiedName,
        to: QualifiedName,
    },
    /// `ALTER TABLE table RENAME COLUMN from TO to`.
    Column {
        table: QualifiedName,
        from: String,
        to: String,
    },
}

/// What a rename changes in a schema: `current` with the renames of
/// `hints` that apply to it done (the old name present, the new one
/// absent, and the reverse in `target`), and the renames done, in order
/// (tables first). Names are compared as given: both schemas and the hints
/// must already be normalised the same way.
pub(crate) fn apply(
    mut current: Schema,
    target: &Schema,
    hints: &Renames,
    dialect: Dialect,
) -> (Schema, Vec<Done>) {
    let mut done = Vec::new();
    for (new, old) in &hints.tables {
        if current.tables.contains_key(new)
            || !current.tables.contains_key(old)
            || !target.tables.contains_key(new)
            || target.tables.contains_key(old)
        {
            continue;
        }
        let mut table = current.tables.remove(old).expect("checked above");
        table.name = new.clone();
        current.tables.insert(new.clone(), table);
        for t in current.tables.values_mut() {
            for fk in &mut t.foreign_keys {
                if fk.ref_table == *old {
                    fk.ref_table = new.clone();
                }
            }
        }
        done.push(Done::Table {
            from: old.clone(),
            to: new.clone(),
        });
    }
    for ((table, new), old) in &hints.columns {
        let Some(target_table) = target.tables.get(table) else {
            continue;
        };
        let Some(t) = current.tables.get_mut(table) else {
            continue;
        };
        if t.column(new).is_some()
            || t.column(old).is_none()
            || target_table.column(new).is_none()
            || target_table.column(old).is_some()
        {
            continue;
        }
        let swap = |c: &mut String| {
            if c == old {
                *c = new.clone();
            }
        };
        let expr = |e: &mut String| *e = rename_in_expression(e, old, new, dialect);
        for c in &mut t.columns {
            swap(&mut c.name);
            if let Some(g) = &mut c.generated {
                expr(g);
            }
        }
        for c in &mut t.checks {
            expr(&mut c.expression);
        }
        if let Some(pk) = &mut t.primary_key {
            pk.columns.iter_mut().for_each(swap);
        }
        for u in &mut t.uniques {
            u.columns.iter_mut().for_each(swap);
        }
        for fk in &mut t.foreign_keys {
            fk.columns.iter_mut().for_each(swap);
        }
        for i in t
            .indexes
            .iter_mut()
            .chain(t.exclusions.iter_mut().map(|x| &mut x.index))
        {
            for k in &mut i.keys {
                match k {
                    IndexKey::Column(c) => swap(c),
                    IndexKey::Expression(e) => expr(e),
                }
            }
            if let Some(p) = &mut i.predicate {
                expr(p);
            }
            i.include.iter_mut().for_each(swap);
        }
        for other in current.tables.values_mut() {
            for fk in &mut other.foreign_keys {
                if fk.ref_table == *table {
                    fk.ref_columns.iter_mut().for_each(swap);
                }
            }
        }
        done.push(Done::Column {
            table: table.clone(),
            from: old.clone(),
            to: new.clone(),
        });
    }
    (current, done)
}

/// `expression` (a check, an index key or predicate, a generation
/// expression of one table) with the column `old` called `new`, as the
/// database rewrites it on `RENAME COLUMN`: every identifier that names
/// `old` and is not a function's name or qualified by something else than
/// nothing. A text the tokenizer refuses is returned as it is.
fn rename_in_expression(expression: &str, old: &str, new: &str, dialect: Dialect) -> String {
    let tokens = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, expression).tokenize(),
        Dialect::Sqlite => Tokenizer::new(&SQLiteDialect {}, expression).tokenize(),
    };
    let Ok(tokens) = tokens else {
        return expression.to_string();
    };
    let significant = |i: usize, step: isize| {
        let mut j = i as isize + step;
        while j >= 0 && (j as usize) < tokens.len() {
            if !matches!(tokens[j as usize], Token::Whitespace(_)) {
                return Some(&tokens[j as usize]);
            }
            j += step;
        }
        None
    };
    let mut out = String::with_capacity(expression.len());
    for (i, t) in tokens.iter().enumerate() {
        match t {
            Token::Word(w)
                if fold(w, dialect) == old
                    && !matches!(significant(i, 1), Some(Token::LParen | Token::Period))
                    && !matches!(significant(i, -1), Some(Token::Period)) =>
            {
                out.push_str(&crate::render::quote_ident(new, dialect));
            }
            t => out.push_str(&t.to_string()),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse_schema;

    fn renames(sql: &str, dialect: Dialect) -> Renames {
        parse_schema(sql, dialect).expect("parses").renames
    }

    fn errors(sql: &str) -> Vec<String> {
        parse_schema(sql, Dialect::Postgres)
            .expect_err("refused")
            .iter()
            .map(|e| e.to_string())
            .collect()
    }

    #[test]
    fn hints_attach_to_the_table_or_column_next_to_them() {
        let r = renames(
            "-- renamed_from: People\n\
             CREATE TABLE accounts (\n\
                 id int PRIMARY KEY,\n\
                 handle text NOT NULL, -- renamed_from: nick\n\
                 -- renamed_from: \"Mail\"\n\
                 email text,\n\
                 CHECK (length(handle) > 0),\n\
                 note text -- renamed_from: remark\n\
             );\n\
             CREATE TABLE other ( -- a plain comment\n\
                 x int\n\
             );",
            Dialect::Postgres,
        );
        let accounts = QualifiedName::new("accounts");
        assert_eq!(
            r.tables,
            BTreeMap::from([(accounts.clone(), QualifiedName::new("people"))])
        );
        let col = |c: &str| (accounts.clone(), c.to_string());
        assert_eq!(
            r.columns,
            BTreeMap::from([
                (col("handle"), "nick".to_string()),
                (col("email"), "Mail".to_string()),
                (col("note"), "remark".to_string()),
            ])
        );
    }

    #[test]
    fn sqlite_keeps_names_as_written_and_schemas_are_kept() {
        // After the `(`, before the first column: that column's.
        let r = renames(
            "CREATE TABLE main.T ( -- renamed_from: Old\n Id INTEGER PRIMARY KEY\n);",
            Dialect::Sqlite,
        );
        assert_eq!(
            r.columns,
            BTreeMap::from([((QualifiedName::new("T"), "Id".into()), "Old".into())])
        );
        let r2 = renames(
            "CREATE TABLE T (\n Id INTEGER PRIMARY KEY -- renamed_from: ID2\n);",
            Dialect::Sqlite,
        );
        assert_eq!(
            r2.columns,
            BTreeMap::from([((QualifiedName::new("T"), "Id".into()), "ID2".into())])
        );
        let r3 = renames(
            "CREATE SCHEMA app;\n-- renamed_from: old\nCREATE TABLE app.t (id int);",
            Dialect::Postgres,
        );
        assert_eq!(
            r3.tables,
            BTreeMap::from([(
                QualifiedName::in_schema("app", "t"),
                QualifiedName::in_schema("app", "old")
            )])
        );
        // In the statement's head, before the `(`: the table's.
        let r4 = renames(
            "CREATE TABLE t -- renamed_from: old\n(id int);",
            Dialect::Postgres,
        );
        assert_eq!(
            r4.tables,
            BTreeMap::from([(QualifiedName::new("t"), QualifiedName::new("old"))])
        );
    }

    #[test]
    fn misplaced_or_malformed_hints_are_located_errors() {
        let e = errors("-- renamed_from: a\nCREATE INDEX i ON t (x);\nCREATE TABLE t (x int);");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with(
                "line 1:1: renamed_from: on a line of its own must precede a CREATE TABLE"
            ),
            "{e:?}"
        );

        let e = errors("CREATE TABLE t (\n x int,\n -- renamed_from: a\n PRIMARY KEY (x)\n);");
        assert!(
            e[0].starts_with(
                "line 3:2: renamed_from: inside a CREATE TABLE must be next to a column"
            ),
            "{e:?}"
        );

        let e = errors("CREATE TABLE t (x int -- renamed_from: a b\n);");
        assert!(e[0].contains("`a b` is not one name"), "{e:?}");

        let e = errors("CREATE TABLE t (x int -- renamed_from: s.a\n);");
        assert!(e[0].contains("has a schema"), "{e:?}");

        let e = errors("CREATE TABLE t (x int, -- renamed_from: y\n y int);");
        assert!(
            e[0].contains("t.x is renamed from y, which is declared too"),
            "{e:?}"
        );

        let e =
            errors("CREATE TABLE t (\n x int, -- renamed_from: a\n y int -- renamed_from: a\n);");
        assert!(e[0].starts_with("line 3:"), "{e:?}");
        assert!(
            e[0].contains("two columns of t are renamed from a"),
            "{e:?}"
        );

        let e = errors(
            "CREATE TABLE t (x int);\n-- renamed_from: t\nCREATE TABLE t2 (x int);\n-- renamed_from: q\n",
        );
        assert!(
            e.iter().any(|m| m.starts_with("line 2:1:")
                && m.contains("t2 is renamed from t, which is declared too")),
            "{e:?}"
        );
        assert!(
            e.iter()
                .any(|m| m.starts_with("line 4:1:") && m.contains("must precede a CREATE TABLE")),
            "{e:?}"
        );
    }

    #[test]
    fn expressions_follow_the_column() {
        assert_eq!(
            rename_in_expression(
                "(length(nick) > 0) AND t.nick <> nick_x",
                "nick",
                "handle",
                Dialect::Postgres
            ),
            "(length(handle) > 0) AND t.nick <> nick_x"
        );
        assert_eq!(
            rename_in_expression(
                "\"Nick\" > 0 and nick(1)",
                "Nick",
                "New Name",
                Dialect::Postgres
            ),
            "\"New Name\" > 0 and nick(1)"
        );
    }
}
