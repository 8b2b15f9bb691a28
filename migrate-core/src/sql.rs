//! Splitting sections into statements, and checking each statement's syntax.
//!
//! Splitting is done by a small lexer that knows every quoting form the two
//! databases use (`'…'`, `E'…'`, `"…"`, `` `…` ``, `$tag$…$tag$`, nested
//! `/* */` and `--` comments) and the `BEGIN … END` bodies of SQLite
//! triggers and PostgreSQL `BEGIN ATOMIC` functions, so that a `;` inside
//! any of them does not end the statement. It is dialect-independent: the
//! runtime executes exactly the statements the build checked.
//!
//! Checking parses each statement on its own with sqlparser and expects
//! exactly one statement, so trailing text (a missing `;` between two
//! statements) is an error instead of being silently dropped.

use std::fmt;

use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Location, Token, Tokenizer};

use crate::error::Error;
use crate::rule::RuleSet;
pub use crate::syntax::SyntaxError;
use crate::syntax::dollar_tag;

/// Comment placed on the line(s) above a statement to skip its SQL check.
pub const NO_CHECK_MARKER: &str = "-- migrate:no-check";

/// The comment that allows rules for the statement below it:
/// `-- migrate:allow(missing, exists)`.
pub const ALLOW_MARKER: &str = "-- migrate:allow";

/// One section (`upgrade` or `downgrade`) of a migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Section {
    /// The SQL text of the section, line endings normalised to `\n`, starting
    /// on the line after the marker.
    pub sql: String,
    /// File line of the first line of `sql`.
    pub first_line: u32,
    /// The statements of `sql`, in order.
    pub statements: Vec<Statement>,
}

impl Section {
    /// The text of statement `i` (without its terminating `;`).
    pub fn statement_sql(&self, statement: &Statement) -> &str {
        &self.sql[statement.start..statement.end]
    }
}

/// One statement of a section: byte range in [`Section::sql`] and its position in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Statement {
    /// File line of the statement's first character.
    pub line: u32,
    /// Column (1-based, in characters) of its first character.
    pub column: u32,
    /// Byte offset of the first character in the section text.
    pub start: usize,
    /// Byte offset just past the last character (the `;` is not included).
    pub end: usize,
    /// `false` when a `-- migrate:no-check` comment precedes the statement.
    pub check: bool,
    /// The rules a `-- migrate:allow(…)` comment above the statement allows
    /// for it.
    pub allow: RuleSet,
}

/// A SQL dialect the checker knows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Dialect {
    /// PostgreSQL.
    Postgres,
    /// SQLite.
    Sqlite,
}

impl Dialect {
    /// Reads `postgres`/`postgresql`/`pg` or `sqlite`.
    pub fn from_name(name: &str) -> Option<Dialect> {
        match name.to_ascii_lowercase().as_str() {
            "postgres" | "postgresql" | "pg" => Some(Dialect::Postgres),
            "sqlite" | "sqlite3" => Some(Dialect::Sqlite),
            _ => None,
        }
    }
}

impl fmt::Display for Dialect {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Dialect::Postgres => "PostgreSQL",
            Dialect::Sqlite => "SQLite",
        })
    }
}

/// Which dialects a statement must parse in.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum DialectCheck {
    /// At least one of PostgreSQL and SQLite (the default when nothing is configured).
    #[default]
    Any,
    /// Every one of the listed dialects.
    All(Vec<Dialect>),
    /// No syntax check at all.
    Off,
}

impl DialectCheck {
    /// Reads a config value: `any`, `none`, or one dialect name.
    pub fn from_name(name: &str) -> Option<DialectCheck> {
        match name.to_ascii_lowercase().as_str() {
            "any" | "auto" => Some(DialectCheck::Any),
            "none" | "off" => Some(DialectCheck::Off),
            other => Dialect::from_name(other).map(|d| DialectCheck::All(vec![d])),
        }
    }
}

/// Splits section text into statements. `first_line` is the file line of the
/// first line of `sql`.
///
/// ```
/// let s = migrate_core::sql::split_statements("CREATE TABLE a (x TEXT DEFAULT ';');\nSELECT 1;", 10);
/// assert_eq!(s.len(), 2);
/// assert_eq!((s[1].line, s[1].column), (11, 1));
/// ```
pub fn split_statements(sql: &str, first_line: u32) -> Vec<Statement> {
    let bytes = sql.as_bytes();
    let line_starts: Vec<usize> = std::iter::once(0)
        .chain(sql.match_indices('\n').map(|(i, _)| i + 1))
        .collect();
    let position = |offset: usize| -> (u32, u32) {
        let line_index = line_starts.partition_point(|&s| s <= offset) - 1;
        let column = sql[line_starts[line_index]..offset].chars().count() + 1;
        (first_line + line_index as u32, column as u32)
    };

    let mut statements = Vec::new();
    let mut start: Option<usize> = None;
    let mut last_end = 0usize;
    let mut no_check = false;
    let mut allow = RuleSet::EMPTY;
    let mut word_count = 0usize;
    let mut is_trigger = false;
    let mut first_word_create = false;
    let mut previous_word_begin = false;
    let mut depth = 0usize;
    let mut parens = 0usize;

    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        // Comments and whitespace do not start a statement.
        if is_sql_whitespace(b) {
            i += 1;
            continue;
        }
        if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            let end = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
            let comment = sql[i..end].trim_end();
            if comment.starts_with(NO_CHECK_MARKER) {
                no_check = true;
            } else if let Some(rest) = comment.strip_prefix(ALLOW_MARKER) {
                // A malformed list is reported by the file's reader, at its line.
                if let Ok(rules) = crate::rule::parse_allow(rest) {
                    allow = allow.union(rules);
                }
            }
            i = end;
            continue;
        }
        if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = skip_block_comment(bytes, i);
            continue;
        }

        let token_start = i;
        // A `;` inside parentheses belongs to the statement (PostgreSQL's
        // multi-action `CREATE RULE … DO (…; …)`).
        if b == b';' && depth == 0 && parens == 0 {
            if let Some(s) = start.take() {
                let (line, column) = position(s);
                statements.push(Statement {
                    line,
                    column,
                    start: s,
                    end: last_end,
                    check: !no_check,
                    allow,
                });
            }
            no_check = false;
            allow = RuleSet::EMPTY;
            parens = 0;
            word_count = 0;
            is_trigger = false;
            first_word_create = false;
            previous_word_begin = false;
            i += 1;
            continue;
        }
        if start.is_none() {
            start = Some(token_start);
        }

        if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
            let mut j = i + 1;
            while j < bytes.len()
                && (bytes[j].is_ascii_alphanumeric()
                    || bytes[j] == b'_'
                    || bytes[j] == b'$'
                    || bytes[j] >= 0x80)
            {
                j += 1;
            }
            let word = &sql[i..j];
            if (word == "E" || word == "e") && bytes.get(j) == Some(&b'\'') {
                i = skip_quoted(bytes, j, b'\'', true);
                last_end = i;
                continue;
            }
            word_count += 1;
            if word_count == 1 {
                first_word_create = word.eq_ignore_ascii_case("CREATE");
            } else if first_word_create && word_count <= 5 && word.eq_ignore_ascii_case("TRIGGER") {
                is_trigger = true;
            }
            let begin = word.eq_ignore_ascii_case("BEGIN");
            // A block opens at a trigger's BEGIN or at BEGIN ATOMIC; inside
            // one, CASE … END nests.
            let opens = (begin && is_trigger)
                || (word.eq_ignore_ascii_case("ATOMIC") && previous_word_begin)
                || (depth > 0 && word.eq_ignore_ascii_case("CASE"));
            if opens {
                depth += 1;
            } else if depth > 0 && word.eq_ignore_ascii_case("END") {
                depth -= 1;
            }
            previous_word_begin = begin;
            i = j;
            last_end = j;
            continue;
        }
        i = match b {
            b'\'' => skip_quoted(bytes, i, b'\'', false),
            b'"' => skip_quoted(bytes, i, b'"', false),
            b'`' => skip_quoted(bytes, i, b'`', false),
            b'$' => match dollar_tag(bytes, i) {
                Some(tag_end) => {
                    let tag = &sql[i..tag_end];
                    sql[tag_end..]
                        .find(tag)
                        .map_or(bytes.len(), |n| tag_end + n + tag.len())
                }
                None => i + 1,
            },
            b'(' => {
                parens += 1;
                i + 1
            }
            b')' => {
                parens = parens.saturating_sub(1);
                i + 1
            }
            _ => i + 1,
        };
        last_end = i;
    }
    if let Some(s) = start {
        let (line, column) = position(s);
        statements.push(Statement {
            line,
            column,
            start: s,
            end: last_end,
            check: !no_check,
            allow,
        });
    }
    statements
}

/// Does the statement add a value to a PostgreSQL enum type
/// (`ALTER TYPE … ADD VALUE`)?
///
/// PostgreSQL refuses to use such a value before the transaction that added
/// it commits ("unsafe use of new value"), so a run commits after a revision
/// that holds one. The test is deliberately wide: the words `ALTER TYPE`
/// followed anywhere later by `ADD VALUE`, outside comments but also inside
/// quoted text, so that a `DO` block or an `EXECUTE` string that adds a value
/// counts too. A false positive only costs one more commit.
///
/// ```
/// use migrate_core::sql::adds_enum_value;
/// assert!(adds_enum_value("ALTER TYPE order_status ADD VALUE 'shipped'"));
/// assert!(!adds_enum_value("ALTER TYPE order_status RENAME VALUE 'new' TO 'created'"));
/// ```
pub fn adds_enum_value(statement: &str) -> bool {
    let bytes = statement.as_bytes();
    let mut previous: &str = "";
    let mut altered_type = false;
    let mut in_string = false;
    let mut i = 0usize;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'\'' {
            in_string = !in_string;
            i += 1;
            continue;
        }
        if !in_string && b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            i = statement[i..].find('\n').map_or(bytes.len(), |n| i + n);
            continue;
        }
        if !in_string && b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = skip_block_comment(bytes, i);
            continue;
        }
        if b.is_ascii_alphanumeric() || b == b'_' {
            let mut j = i + 1;
            while j < bytes.len() && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_') {
                j += 1;
            }
            let word = &statement[i..j];
            if word.eq_ignore_ascii_case("TYPE") && previous.eq_ignore_ascii_case("ALTER") {
                altered_type = true;
            } else if altered_type
                && word.eq_ignore_ascii_case("VALUE")
                && previous.eq_ignore_ascii_case("ADD")
            {
                return true;
            }
            previous = word;
            i = j;
            continue;
        }
        i += 1;
    }
    false
}

/// Whitespace as PostgreSQL's and SQLite's scanners see it: space, `\t`,
/// `\n`, `\r`, `\f` and `\v`. (`u8::is_ascii_whitespace` leaves out `\v`,
/// which would make a lone vertical tab a statement.)
fn is_sql_whitespace(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | b'\r' | b'\x0b' | b'\x0c')
}

pub(crate) fn skip_block_comment(bytes: &[u8], mut i: usize) -> usize {
    let mut depth = 0usize;
    while i < bytes.len() {
        if bytes[i] == b'/' && bytes.get(i + 1) == Some(&b'*') {
            depth += 1;
            i += 2;
        } else if bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/') {
            depth -= 1;
            i += 2;
            if depth == 0 {
                return i;
            }
        } else {
            i += 1;
        }
    }
    bytes.len()
}

/// Skips a quoted token starting at `i` (the opening quote); a doubled quote
/// is an escaped quote, and with `backslash` so is `\'`.
pub(crate) fn skip_quoted(bytes: &[u8], i: usize, quote: u8, backslash: bool) -> usize {
    let mut j = i + 1;
    while j < bytes.len() {
        if backslash && bytes[j] == b'\\' {
            j += 2;
            continue;
        }
        if bytes[j] == quote {
            if bytes.get(j + 1) == Some(&quote) {
                j += 2;
                continue;
            }
            return j + 1;
        }
        j += 1;
    }
    bytes.len()
}

/// Parses one statement (located at `line`:`column` of its file) in `dialect`.
///
/// ```
/// use migrate_core::sql::{check_statement, Dialect};
/// assert!(check_statement("CREATE TABLE t (id INT)", 1, 1, Dialect::Postgres).is_ok());
/// let err = check_statement("CREATE TABLE t (id INT,, x INT)", 4, 1, Dialect::Postgres).unwrap_err();
/// assert_eq!((err.line, err.column), (4, 24));
/// ```
pub fn check_statement(
    sql: &str,
    line: u32,
    column: u32,
    dialect: Dialect,
) -> Result<(), SyntaxError> {
    match dialect {
        Dialect::Postgres => parse_one(&PostgreSqlDialect {}, sql, line, column),
        Dialect::Sqlite => parse_one(&SQLiteDialect {}, sql, line, column),
    }
}

fn parse_one(
    dialect: &dyn sqlparser::dialect::Dialect,
    sql: &str,
    line: u32,
    column: u32,
) -> Result<(), SyntaxError> {
    let shift = |loc: &mut Location| {
        if loc.line == 1 {
            loc.column += u64::from(column) - 1;
        }
        if loc.line > 0 {
            loc.line += u64::from(line) - 1;
        }
    };
    let mut tokens = match Tokenizer::new(dialect, sql).tokenize_with_location() {
        Ok(tokens) => tokens,
        Err(e) => {
            let mut loc = e.location;
            shift(&mut loc);
            return Err(SyntaxError {
                line: loc.line as u32,
                column: loc.column as u32,
                message: e.message,
                trailing: false,
            });
        }
    };
    for t in &mut tokens {
        shift(&mut t.span.start);
        shift(&mut t.span.end);
    }
    let mut parser = Parser::new(dialect).with_tokens_with_locations(tokens);
    let result = parser.parse_statement();
    let message = match result {
        Ok(_) => {
            let next = parser.peek_token();
            if next.token == Token::EOF {
                return Ok(());
            }
            let hint = match &next.token {
                Token::Word(w)
                    if STATEMENT_STARTS
                        .iter()
                        .any(|k| w.value.eq_ignore_ascii_case(k)) =>
                {
                    " (is a `;` missing before it?)"
                }
                _ => "",
            };
            return Err(SyntaxError {
                line: next.span.start.line as u32,
                column: next.span.start.column as u32,
                message: format!(
                    "unexpected `{}` after the end of a statement{hint}",
                    next.token
                ),
                trailing: !hint.is_empty(),
            });
        }
        Err(ParserError::ParserError(m) | ParserError::TokenizerError(m)) => m,
        Err(ParserError::RecursionLimitExceeded) => {
            return Err(SyntaxError {
                line,
                column,
                message: "statement nests too deeply to check".into(),
                trailing: false,
            });
        }
    };
    match split_location(&message) {
        Some((message, l, c)) => Err(SyntaxError {
            line: l,
            column: c,
            message: message.replace("found: EOF", "found: the end of the statement"),
            trailing: false,
        }),
        // No location: the parser ran out of tokens. Point at the statement's end.
        None => {
            let (l, c) = end_position(sql, line, column);
            Err(SyntaxError {
                line: l,
                column: c,
                message: message.replace("found: EOF", "found: the end of the statement"),
                trailing: false,
            })
        }
    }
}

/// Keywords that begin a statement: after a complete statement, one of these
/// most likely means a missing `;`.
const STATEMENT_STARTS: &[&str] = &[
    "ALTER", "ANALYZE", "BEGIN", "CALL", "COMMENT", "COMMIT", "COPY", "CREATE", "DELETE", "DO",
    "DROP", "GRANT", "INSERT", "LOCK", "MERGE", "PRAGMA", "REFRESH", "REINDEX", "REVOKE", "SELECT",
    "SET", "TRUNCATE", "UPDATE", "VACUUM", "WITH",
];

/// File position just past the last character of a statement that starts at `line`:`column`.
fn end_position(sql: &str, line: u32, column: u32) -> (u32, u32) {
    let newlines = sql.matches('\n').count() as u32;
    let last = sql.rsplit('\n').next().unwrap_or("");
    let chars = last.chars().count() as u32;
    if newlines == 0 {
        (line, column + chars)
    } else {
        (line + newlines, chars + 1)
    }
}

/// Splits `"… at Line: 3, Column: 7"` into the message and the location.
fn split_location(message: &str) -> Option<(String, u32, u32)> {
    let at = message.rfind(" at Line: ")?;
    let rest = &message[at + " at Line: ".len()..];
    let (l, c) = rest.split_once(", Column: ")?;
    let c = c.trim_end_matches(|ch: char| !ch.is_ascii_digit());
    Some((
        message[..at].to_owned(),
        l.trim().parse().ok()?,
        c.trim().parse().ok()?,
    ))
}

/// PostgreSQL's verdict. With the `postgres-exact` feature, PostgreSQL's own
/// grammar decides every statement (sqlparser accepts a few statements
/// PostgreSQL rejects, and rejects many it accepts); sqlparser's message is
/// kept only where both stop at a keyword after a complete statement, as it
/// says a `;` is probably missing. Without the feature, sqlparser decides.
fn postgres_verdict(sql: &str, line: u32, column: u32) -> Result<(), SyntaxError> {
    #[cfg(feature = "postgres-exact")]
    {
        crate::exact::postgres::check(sql, line, column)
            .map_err(|exact| with_semicolon_hint(sql, line, column, Dialect::Postgres, exact))
    }
    #[cfg(not(feature = "postgres-exact"))]
    check_statement(sql, line, column, Dialect::Postgres)
}

/// The exact judge's error, or sqlparser's when both stop at the same
/// keyword after a complete statement: sqlparser's message says a `;` is
/// probably missing, the database's only names the token.
#[cfg(any(feature = "postgres-exact", feature = "sqlite-exact"))]
pub(crate) fn with_semicolon_hint(
    sql: &str,
    line: u32,
    column: u32,
    dialect: Dialect,
    exact: SyntaxError,
) -> SyntaxError {
    match check_statement(sql, line, column, dialect) {
        Err(e) if e.trailing && (e.line, e.column) == (exact.line, exact.column) => e,
        _ => exact,
    }
}

/// SQLite's verdict on syntax (the chain replay judges the rest). With the
/// `sqlite-exact` feature SQLite prepares the statement in an empty
/// database; where it stops at a name it does not know, it has not seen the
/// whole statement, and sqlparser's verdict on the rest is used.
fn sqlite_verdict(sql: &str, line: u32, column: u32) -> Result<(), SyntaxError> {
    #[cfg(feature = "sqlite-exact")]
    {
        match crate::exact::sqlite_syntax(sql, line, column) {
            Ok(crate::exact::SqliteSyntax::Valid) => Ok(()),
            Err(exact) => Err(with_semicolon_hint(
                sql,
                line,
                column,
                Dialect::Sqlite,
                exact,
            )),
            // A missing `;` before another statement is the one thing
            // sqlparser reports reliably past that point.
            Ok(crate::exact::SqliteSyntax::NamesUnresolved) => {
                match check_statement(sql, line, column, Dialect::Sqlite) {
                    Err(e) if e.trailing => Err(e),
                    _ => Ok(()),
                }
            }
        }
    }
    #[cfg(not(feature = "sqlite-exact"))]
    check_statement(sql, line, column, Dialect::Sqlite)
}

/// Judges one statement in the configured dialects, as exactly as the
/// enabled features allow. The error names the dialect(s) that rejected it.
pub fn check_dialects(
    sql: &str,
    line: u32,
    column: u32,
    dialects: &DialectCheck,
) -> Result<(), (SyntaxError, String)> {
    let verdict = |d: Dialect| match d {
        Dialect::Postgres => postgres_verdict(sql, line, column),
        Dialect::Sqlite => sqlite_verdict(sql, line, column),
    };
    match dialects {
        DialectCheck::Off => Ok(()),
        DialectCheck::All(list) => list
            .iter()
            .try_for_each(|&d| verdict(d).map_err(|e| (e, d.to_string()))),
        DialectCheck::Any => {
            let Err(pg) = verdict(Dialect::Postgres) else {
                return Ok(());
            };
            let Err(lite) = verdict(Dialect::Sqlite) else {
                return Ok(());
            };
            // Report the parser that got furthest: it most likely speaks the
            // dialect the statement was written in.
            if (lite.line, lite.column) > (pg.line, pg.column) {
                Err((lite, "SQLite; PostgreSQL also rejects it".to_owned()))
            } else {
                Err((pg, "PostgreSQL; SQLite also rejects it".to_owned()))
            }
        }
    }
}

/// Checks every statement of a section; returns one error per rejected statement.
pub fn check_section(
    path: &str,
    section_name: &'static str,
    section: &Section,
    dialects: &DialectCheck,
) -> Vec<Error> {
    section
        .statements
        .iter()
        .filter(|s| s.check)
        .filter_map(|statement| {
            let text = section.statement_sql(statement);
            let (e, dialect) =
                check_dialects(text, statement.line, statement.column, dialects).err()?;
            Some(Error::Sql {
                path: path.to_owned(),
                line: e.line,
                column: e.column,
                section: section_name,
                dialect,
                message: e.message,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn texts(sql: &str) -> Vec<&str> {
        split_statements(sql, 1)
            .iter()
            .map(|s| &sql[s.start..s.end])
            .collect()
    }

    #[test]
    fn enum_value_additions_are_found_in_every_spelling() {
        for sql in [
            "ALTER TYPE order_status ADD VALUE 'shipped'",
            "alter type public.order_status add value if not exists 'shipped' after 'paid'",
            "ALTER TYPE \"Order Status\"\n    ADD VALUE 'shipped'",
            "ALTER /* c */ TYPE s ADD -- c\n VALUE 'x'",
            "DO $$ BEGIN ALTER TYPE s ADD VALUE 'x'; END $$",
            "DO $$ BEGIN EXECUTE 'ALTER TYPE s ADD VALUE ''x'''; END $$",
        ] {
            assert!(adds_enum_value(sql), "{sql}");
        }
        for sql in [
            "ALTER TYPE s RENAME VALUE 'a' TO 'b'",
            "CREATE TYPE s AS ENUM ('add', 'value')",
            "ALTER TABLE t ADD COLUMN value TEXT",
            "UPDATE t SET v = 'ALTER TYPE'",
            "-- ALTER TYPE s ADD VALUE 'x'\nSELECT 1",
            "ALTER TYPE s ADD ATTRIBUTE value TEXT",
        ] {
            assert!(!adds_enum_value(sql), "{sql}");
        }
    }

    #[test]
    fn splits_on_top_level_semicolons_only() {
        let sql = "INSERT INTO t VALUES ('a;b', \"c;d\", E'it\\'s;');\n/* x; /* nested; */ y; */ SELECT 1 -- c;\n;\n\nSELECT `x;y`";
        assert_eq!(
            texts(sql),
            vec![
                "INSERT INTO t VALUES ('a;b', \"c;d\", E'it\\'s;')",
                "SELECT 1",
                "SELECT `x;y`"
            ]
        );
    }

    #[test]
    fn dollar_quoted_bodies_are_one_statement() {
        let sql = "CREATE FUNCTION f() RETURNS trigger AS $body$\nBEGIN NEW.x := 1; RETURN NEW; END;\n$body$ LANGUAGE plpgsql;\nDO $$ BEGIN PERFORM 1; END $$;\nSELECT $1;";
        let t = texts(sql);
        assert_eq!(t.len(), 3, "{t:?}");
        assert!(t[1].starts_with("DO $$"));
    }

    #[test]
    fn sqlite_trigger_body_is_one_statement() {
        let sql = "CREATE TRIGGER IF NOT EXISTS t AFTER INSERT ON a BEGIN\n  UPDATE b SET n = CASE WHEN n > 0 THEN n + 1 ELSE 1 END;\n  DELETE FROM c;\nEND;\nSELECT 1;";
        let t = texts(sql);
        assert_eq!(t.len(), 2, "{t:?}");
        assert!(t[0].ends_with("END"));
    }

    #[test]
    fn begin_atomic_body_is_one_statement() {
        let sql = "CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC SELECT 1; SELECT 2; END;\nBEGIN;";
        assert_eq!(texts(sql).len(), 2);
    }

    #[test]
    fn positions_and_no_check_marker() {
        let sql = "\n  SELECT 1;\n-- migrate:no-check\nFROBNICATE x;\nSELECT 2;";
        let s = split_statements(sql, 10);
        assert_eq!((s[0].line, s[0].column, s[0].check), (11, 3, true));
        assert_eq!((s[1].line, s[1].check), (13, false));
        assert!(s[2].check);
    }

    #[test]
    fn unterminated_dollar_quote_runs_to_end() {
        let t = texts("DO $$ BEGIN; SELECT 1;");
        assert_eq!(t, vec!["DO $$ BEGIN; SELECT 1;"]);
    }

    #[test]
    fn reports_location_of_syntax_error() {
        let err = check_statement(
            "CREATE TABLE t (\n  id INT,,\n  x INT)",
            7,
            1,
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!((err.line, err.column), (8, 10), "{err:?}");
    }

    #[test]
    fn missing_semicolon_between_statements_is_caught() {
        let err = check_statement(
            "CREATE TABLE a (id INT)\nCREATE TABLE b (id INT)",
            3,
            1,
            Dialect::Sqlite,
        )
        .unwrap_err();
        assert_eq!(err.line, 4);
        assert!(
            err.message.contains("is a `;` missing before it?"),
            "{}",
            err.message
        );
    }

    #[test]
    fn extra_token_that_cannot_start_a_statement_gets_no_semicolon_hint() {
        let err = check_statement("ALTER TABLE t DROP COLUMN d TEXT", 1, 1, Dialect::Postgres)
            .unwrap_err();
        assert_eq!(
            err.message,
            "unexpected `TEXT` after the end of a statement"
        );
    }

    #[test]
    fn running_out_of_tokens_points_at_the_statement_end() {
        let err = check_statement("INSERT INTO t VALUES (1),\n  (2),", 5, 3, Dialect::Postgres)
            .unwrap_err();
        assert_eq!((err.line, err.column), (6, 7), "{err:?}");
        assert!(
            err.message.contains("the end of the statement"),
            "{}",
            err.message
        );
    }

    #[test]
    fn column_offset_applies_to_first_line_only() {
        let err = check_statement("SELEC 1", 2, 5, Dialect::Postgres).unwrap_err();
        assert_eq!((err.line, err.column), (2, 5));
    }
}
