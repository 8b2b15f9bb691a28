//! Exact syntax checks by the databases' own parsers.
//!
//! sqlparser gives the structured view but does not know every statement
//! PostgreSQL and SQLite accept. Where it fails, the database's own grammar
//! decides:
//! - PostgreSQL: libpg_query (PostgreSQL 18's parser, through the `pg_query`
//!   crate), feature `postgres-exact`;
//! - SQLite: SQLite itself, in memory (feature `sqlite-exact`): either a
//!   syntax-only prepare, or a replay of the whole chain (see [`replay`]) that
//!   also catches a missing table or column.

use crate::sql::SyntaxError;

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
pub(crate) mod postgres {
    use std::ffi::{CStr, CString, c_char, c_int};

    use super::{SyntaxError, position};

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

    unsafe extern "C" {
        fn pg_query_parse(input: *const c_char) -> PgQueryParseResult;
        fn pg_query_free_parse_result(result: PgQueryParseResult);
    }

    // Keeps the crate (and so the static library) linked.
    use pg_query as _;

    /// Parses one statement with PostgreSQL's grammar.
    pub(crate) fn check(sql: &str, line: u32, column: u32) -> Result<(), SyntaxError> {
        let Ok(input) = CString::new(sql) else {
            let offset = sql.find('\0').unwrap_or(0);
            let (line, column) = position(sql, line, column, offset);
            return Err(SyntaxError {
                line,
                column,
                message: "the statement contains a NUL byte".into(),
                trailing: false,
            });
        };
        // SAFETY: `input` is a valid NUL-terminated string that outlives the
        // call; the result is read only before it is freed, exactly once.
        unsafe {
            let result = pg_query_parse(input.as_ptr());
            let outcome = if result.error.is_null() {
                Ok(())
            } else {
                let error = &*result.error;
                let message = if error.message.is_null() {
                    "syntax error".to_owned()
                } else {
                    CStr::from_ptr(error.message).to_string_lossy().into_owned()
                };
                // `cursorpos` counts characters from 1; 0 means unknown.
                let chars = usize::try_from(error.cursorpos)
                    .unwrap_or(0)
                    .saturating_sub(1);
                let offset = sql.char_indices().nth(chars).map_or(sql.len(), |(i, _)| i);
                let (line, column) = position(sql, line, column, offset);
                Err(SyntaxError {
                    line,
                    column,
                    message,
                    trailing: false,
                })
            };
            pg_query_free_parse_result(result);
            outcome
        }
    }

    #[cfg(test)]
    mod tests {
        use super::check;

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
pub(crate) use replay::{SqliteSyntax, check_syntax as sqlite_syntax};
