//! Exact syntax checks by the databases' own parsers.
//!
//! sqlparser gives the structured view but does not know every statement
//! PostgreSQL and SQLite accept. Where it fails, the database's own grammar
//! decides:
//! - PostgreSQL: libpg_query (PostgreSQL 18's parser, through the `pg_query`
//!   crate), feature `postgres-exact`; [`postgres::parse`] gives the same
//!   verdict with the parse tree, for the schema fold;
//! - SQLite: SQLite itself, in memory (feature `sqlite-exact`): either a
//!   syntax-only prepare, or a replay of the whole chain (see [`replay`]) that
//!   also catches a missing table or column.

/// Turns a byte offset inside a statement into a file line and column.
pub(crate) fn position(sql: &str, line: u32, column: u32, offset: usize) -> (u32, u32) {
    let mut offset = offset.min(sql.len());
    while !sql.is_char_boundary(offset) {
        offset -= 1;
    }
    let before = &sql[..offset];
    let newlines = before.matches('\n').count() as u32;
    let last = before.rsplit('\n').next().unwrap_or("");
    let chars = last.chars().count() as u32;
    if newlines == 0 {
        (line, column + chars)
    } else {
        (line + newlines, chars + 1)
    }
}

#[cfg(feature = "postgres-exact")]
pub mod postgres {
    //! PostgreSQL's own grammar: the syntax check, and the same check
    //! returning the parse tree.
    use std::ffi::{CStr, CString, c_char, c_int};

    /// libpg_query's parse tree types (the `pg_query` crate's protobuf
    /// module), so a caller of [`parse`] reads the tree without naming the
    /// crate's version itself.
    pub use pg_query::protobuf;

    use super::position;
    use crate::syntax::SyntaxError;

    // libpg_query's C API (pg_query.h). The `pg_query` crate builds and links
    // the library; its Rust wrapper drops the error's cursor position, which
    // is what lets us point at file:line:col, so the two functions are
    // declared here.
    #[repr(C)]
    struct PgQueryError {
        message: *mut c_char,
        funcname: *mut c_char,
        filename: *mut c_char,
        lineno: c_int,
        cursorpos: c_int,
        context: *mut c_char,
    }

    #[repr(C)]
    struct PgQueryParseResult {
        parse_tree: *mut c_char,
        stderr_buffer: *mut c_char,
        error: *mut PgQueryError,
    }

    #[repr(C)]
    struct PgQueryProtobuf {
        len: usize,
        data: *mut c_char,
    }

    #[repr(C)]
    struct PgQueryProtobufParseResult {
        parse_tree: PgQueryProtobuf,
        stderr_buffer: *mut c_char,
        error: *mut PgQueryError,
    }

    #[repr(C)]
    struct PgQueryPlpgsqlParseResult {
        plpgsql_funcs: *mut c_char,
        error: *mut PgQueryError,
    }

    unsafe extern "C" {
        fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
        fn pg_query_free_parse_result(result: PgQueryParseResult);
        fn pg_query_parse_protobuf(input: *const c_char) -> PgQueryProtobufParseResult;
        fn pg_query_free_protobuf_parse_result(result: PgQueryProtobufParseResult);
        fn pg_query_parse_plpgsql(input: *const c_char) -> PgQueryPlpgsqlParseResult;
        fn pg_query_free_plpgsql_parse_result(result: PgQueryPlpgsqlParseResult);
    }

    /// PL/pgSQL's verdict on the body of a function or `DO` block: the
    /// message and its context ("… near line N"), if it rejects it.
    fn plpgsql_error(sql: &str) -> Option<(String, String)> {
        let input = CString::new(sql).ok()?;
        // SAFETY: as in `check`.
        unsafe {
            let result = pg_query_parse_plpgsql(input.as_ptr());
            let out = if result.error.is_null() {
                None
            } else {
                let e = &*result.error;
                let message = if e.message.is_null() {
                    "syntax error".to_owned()
                } else {
                    CStr::from_ptr(e.message).to_string_lossy().into_owned()
                };
                let context = if e.context.is_null() {
                    String::new()
                } else {
                    CStr::from_ptr(e.context).to_string_lossy().into_owned()
                };
                Some((message, context))
            };
            pg_query_free_plpgsql_parse_result(result);
            out
        }
    }

    /// Parses one statement with PostgreSQL's grammar, then the bodies the
    /// grammar keeps as strings: PL/pgSQL functions and `DO` blocks with
    /// PL/pgSQL's parser, `LANGUAGE sql` bodies with the SQL grammar.
    pub(crate) fn check(sql: &str, line: u32, column: u32) -> Result<(), SyntaxError> {
        grammar(sql, line, column)?;
        bodies(sql, line, column)
    }

    /// The verdict of [`check`] at the same file line and column, plus the
    /// parse tree when the statement passes: one parse by libpg_query's
    /// protobuf output, which keeps the error's cursor (the `pg_query`
    /// crate's own `parse` drops it). Costs more than the check's JSON
    /// parse, so only a caller that reads the tree uses it.
    pub fn parse(sql: &str, line: u32, column: u32) -> Result<protobuf::ParseResult, SyntaxError> {
        let tree = grammar_tree(sql, line, column)?;
        bodies(sql, line, column)?;
        Ok(tree)
    }

    /// The check of the bodies the grammar keeps as strings.
    fn bodies(sql: &str, line: u32, column: u32) -> Result<(), SyntaxError> {
        let head: String = sql
            .trim_start()
            .chars()
            .take(2)
            .collect::<String>()
            .to_ascii_uppercase();
        if !(head == "CR" || head == "DO") || !sql.contains('$') {
            return Ok(());
        }
        let body = dollar_body(sql);
        if let Some((message, context)) = plpgsql_error(sql) {
            // PL/pgSQL reports no cursor, only "near line N" of the body.
            let body_line = context
                .rsplit_once("near line ")
                .and_then(|(_, n)| n.trim().parse::<usize>().ok())
                .unwrap_or(1);
            let offset = body.map_or(0, |(start, _)| {
                let mut at = start;
                for _ in 1..body_line {
                    match sql[at..].find('\n') {
                        Some(n) => at += n + 1,
                        None => break,
                    }
                }
                at + (sql[at..].len() - sql[at..].trim_start_matches([' ', '\t']).len())
            });
            let (line, column) = position(sql, line, column, offset);
            return Err(SyntaxError {
                line,
                column,
                message: format!("{message} (PL/pgSQL, near line {body_line} of the body)"),
                trailing: false,
            });
        }
        if let Some((start, end)) = body
            && is_sql_language(sql)
        {
            let (body_line, body_column) = position(sql, line, column, start);
            return grammar(&sql[start..end], body_line, body_column);
        }
        Ok(())
    }

    /// Byte range of the first dollar-quoted string's content.
    fn dollar_body(sql: &str) -> Option<(usize, usize)> {
        let bytes = sql.as_bytes();
        let mut i = 0;
        while i < bytes.len() {
            if bytes[i] == b'$'
                && let Some(tag_end) = crate::syntax::dollar_tag(bytes, i)
            {
                let tag = &sql[i..tag_end];
                let close = sql[tag_end..].find(tag)?;
                return Some((tag_end, tag_end + close));
            }
            i += 1;
        }
        None
    }

    fn is_sql_language(sql: &str) -> bool {
        let upper = sql.to_ascii_uppercase();
        let words: Vec<&str> = upper
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '\''))
            .filter(|w| !w.is_empty())
            .collect();
        words
            .windows(2)
            .any(|w| w[0] == "LANGUAGE" && (w[1] == "SQL" || w[1] == "'SQL'"))
    }

    /// The statement as a C string, or the error at its first NUL byte.
    fn c_input(sql: &str, line: u32, column: u32) -> Result<CString, SyntaxError> {
        CString::new(sql).map_err(|_| {
            let offset = sql.find('\0').unwrap_or(0);
            let (line, column) = position(sql, line, column, offset);
            SyntaxError {
                line,
                column,
                message: "the statement contains a NUL byte".into(),
                trailing: false,
            }
        })
    }

    /// libpg_query's error at the file position of its cursor.
    ///
    /// # Safety
    /// `error` points to a live `PgQueryError`.
    unsafe fn cursor_error(
        sql: &str,
        line: u32,
        column: u32,
        error: *const PgQueryError,
    ) -> SyntaxError {
        // SAFETY: the caller's promise; the strings are NUL-terminated.
        let error = unsafe { &*error };
        let message = if error.message.is_null() {
            "syntax error".to_owned()
        } else {
            unsafe { CStr::from_ptr(error.message) }
                .to_string_lossy()
                .into_owned()
        };
        // `cursorpos` counts characters from 1; 0 means unknown.
        let chars = usize::try_from(error.cursorpos)
            .unwrap_or(0)
            .saturating_sub(1);
        let offset = sql.char_indices().nth(chars).map_or(sql.len(), |(i, _)| i);
        let (line, column) = position(sql, line, column, offset);
        SyntaxError {
            line,
            column,
            message,
            trailing: false,
        }
    }

    fn grammar(sql: &str, line: u32, column: u32) -> Result<(), SyntaxError> {
        let input = c_input(sql, line, column)?;
        // SAFETY: `input` is a valid NUL-terminated string that outlives the
        // call; the result is read only before it is freed, exactly once.
        unsafe {
            let result = pg_query_parse(input.as_ptr());
            let outcome = if result.error.is_null() {
                Ok(())
            } else {
                Err(cursor_error(sql, line, column, result.error))
            };
            pg_query_free_parse_result(result);
            outcome
        }
    }

    fn grammar_tree(
        sql: &str,
        line: u32,
        column: u32,
    ) -> Result<protobuf::ParseResult, SyntaxError> {
        let bytes = tree_bytes(sql, line, column)?;
        decode(&bytes).map_err(|e| SyntaxError {
            line,
            column,
            message: format!(
                "libpg_query accepted the statement but its parse tree could not be read ({e}); put `-- migrate:no-check` on the line above it"
            ),
            trailing: false,
        })
    }

    /// The statement's parse tree as libpg_query's protobuf bytes, or the
    /// grammar's error at its file line and column. Only the grammar: the
    /// bodies it keeps as strings are not parsed (see [`parse`]). The bytes
    /// can be kept (a cache keyed by the statement's text) and read back
    /// with [`decode`], which costs a small part of the parse.
    pub fn tree_bytes(sql: &str, line: u32, column: u32) -> Result<Vec<u8>, SyntaxError> {
        let input = c_input(sql, line, column)?;
        // SAFETY: as in `grammar`; `parse_tree` holds `len` bytes while the
        // result is alive, and they are copied before it is freed.
        unsafe {
            let result = pg_query_parse_protobuf(input.as_ptr());
            let outcome = if !result.error.is_null() {
                Err(cursor_error(sql, line, column, result.error))
            } else {
                let tree = &result.parse_tree;
                Ok(if tree.data.is_null() || tree.len == 0 {
                    Vec::new()
                } else {
                    std::slice::from_raw_parts(tree.data.cast::<u8>(), tree.len).to_vec()
                })
            };
            pg_query_free_protobuf_parse_result(result);
            outcome
        }
    }

    /// Reads bytes from [`tree_bytes`] back into the tree.
    pub fn decode(bytes: &[u8]) -> Result<protobuf::ParseResult, String> {
        use prost::Message as _;
        protobuf::ParseResult::decode(bytes).map_err(|e| e.to_string())
    }

    #[cfg(test)]
    mod tests {
        use super::{check, parse};

        /// `parse` gives `check`'s verdict, at the same place, with the same words.
        #[test]
        fn parse_and_check_agree() {
            for sql in [
                "CREATE TABLE t (\n  id int,, x int)",
                "SELEC 1",
                "CREATE TABLE t (id int)",
                "DO $$\nBEGIN\n    PERFORM 1\nEND\n$$",
                "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELEC 1 $$",
                "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
                "SELECT 'é', 'ü' FROM",
                "SELECT 1\0",
            ] {
                let checked = check(sql, 7, 3);
                let parsed = parse(sql, 7, 3);
                assert_eq!(checked.as_ref().err(), parsed.as_ref().err(), "{sql}");
                if let Ok(tree) = parsed {
                    assert_eq!(tree.stmts.len(), 1, "{sql}");
                }
            }
        }

        #[test]
        fn parse_returns_the_tree() {
            use super::protobuf::node::Node;
            let tree = parse("CREATE TABLE users (id int PRIMARY KEY)", 1, 1).unwrap();
            let stmt = tree.stmts[0].stmt.as_ref().and_then(|n| n.node.as_ref());
            let Some(Node::CreateStmt(create)) = stmt else {
                panic!("{stmt:?}");
            };
            assert_eq!(create.relation.as_ref().unwrap().relname, "users");
        }

        #[test]
        fn accepts_what_sqlparser_does_not() {
            for sql in [
                "ALTER TABLE t ADD CONSTRAINT n NOT NULL col",
                "REINDEX INDEX CONCURRENTLY i",
                "DO $$ BEGIN PERFORM 1; END $$",
                "CREATE FUNCTION f() RETURNS int LANGUAGE sql COST 100 AS 'SELECT 1'",
                "SELECT",
                "DROP INDEX CONCURRENTLY IF EXISTS i",
            ] {
                check(sql, 1, 1).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
            }
        }

        #[test]
        fn checks_function_and_do_bodies() {
            let bad = "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now()\n    RETURN NEW;\nEND;\n$$";
            let err = check(bad, 10, 1).unwrap_err();
            assert_eq!((err.line, err.column), (12, 5), "{err:?}");
            assert!(
                err.message
                    .starts_with("syntax error at or near \"NEW\" (PL/pgSQL"),
                "{}",
                err.message
            );
            assert!(check(&bad.replace("now()\n", "now();\n"), 1, 1).is_ok());
            let err = check("DO $$\nBEGIN\n    PERFORM 1\nEND\n$$", 1, 1).unwrap_err();
            assert_eq!(err.line, 3, "{err:?}");
            let err = check(
                "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELEC 1 $$",
                1,
                1,
            )
            .unwrap_err();
            assert_eq!((err.line, err.column), (1, 54), "{err:?}");
            assert!(
                check(
                    "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$",
                    1,
                    1
                )
                .is_ok()
            );
        }

        #[test]
        fn points_at_the_error() {
            let err = check("CREATE TABLE t (\n  id int,, x int)", 10, 1).unwrap_err();
            assert_eq!((err.line, err.column), (11, 10));
            assert!(
                err.message.contains("syntax error at or near \",\""),
                "{}",
                err.message
            );
        }
    }
}

#[cfg(feature = "sqlite-exact")]
pub mod replay;
#[cfg(feature = "sqlite-exact")]
mod sqlite_ffi;

#[cfg(feature = "sqlite-exact")]
pub(crate) use replay::{SqliteSyntax, check_syntax as sqlite_syntax};
