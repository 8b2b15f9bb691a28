//! SQLite's own verdict: statements prepared (and DDL run) in an in-memory
//! database.
//!
//! [`replay`] applies the whole chain in topological order, so a statement
//! that names a table or column no earlier revision created is caught, and
//! runs each downgrade inside a savepoint that is rolled back. It costs a few
//! microseconds per statement; nothing touches the disk.

use std::ffi::{CStr, c_char, c_int};
use std::ptr;

use super::sqlite_ffi as ffi;

use super::position;
use crate::error::Error;
use crate::revision::{Revision, Section};
use crate::sql::{SyntaxError, split_statements};

mod park;

/// An in-memory SQLite database, closed on drop.
struct Memory(*mut ffi::sqlite3);

struct Failure {
    offset: Option<usize>,
    message: String,
}

impl Memory {
    fn open() -> Option<Memory> {
        // The replay and the files' checks run on two threads: without
        // allocation statistics, SQLite's allocator takes no global lock.
        static CONFIGURE: std::sync::Once = std::sync::Once::new();
        CONFIGURE.call_once(|| {
            // SAFETY: called once, before the first use of this copy of
            // SQLite, which only this module calls (its symbols are private:
            // see `sqlite_ffi`).
            unsafe { ffi::no_memstatus() };
        });
        let mut db = ptr::null_mut();
        // SAFETY: the name is a NUL-terminated literal; `db` receives a handle
        // that is closed by `Drop` (also when open fails, as SQLite requires).
        let rc = unsafe { ffi::open_memory(&mut db) };
        let memory = Memory(db);
        (rc == ffi::SQLITE_OK).then_some(memory)
    }

    fn message(&self) -> String {
        // SAFETY: the handle is open; SQLite returns a valid C string.
        unsafe { CStr::from_ptr(ffi::sqlite3_errmsg(self.0)) }
            .to_string_lossy()
            .into_owned()
    }

    /// Prepares one statement and, when `execute`, runs it to completion.
    fn run(&self, sql: &str, execute: bool) -> Result<(), Failure> {
        let mut stmt = ptr::null_mut();
        let mut tail: *const c_char = ptr::null();
        let Ok(len) = c_int::try_from(sql.len()) else {
            return Err(Failure {
                offset: None,
                message: "statement too long to check".into(),
            });
        };
        // SAFETY: `sql` is valid for `len` bytes; `stmt` is finalized below.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(self.0, sql.as_ptr().cast(), len, &mut stmt, &mut tail)
        };
        if rc != ffi::SQLITE_OK {
            // SAFETY: the handle is open.
            let offset = unsafe { ffi::sqlite3_error_offset(self.0) };
            return Err(Failure {
                offset: usize::try_from(offset).ok(),
                message: self.message(),
            });
        }
        if stmt.is_null() {
            return Ok(()); // only comments
        }
        // SAFETY: `tail` points into `sql`, at or after its start.
        let consumed = unsafe { tail.cast::<u8>().offset_from(sql.as_ptr()) };
        let consumed = usize::try_from(consumed)
            .unwrap_or(sql.len())
            .min(sql.len());
        let rest = &sql[consumed..];
        let mut outcome = Ok(());
        if let Some(extra) = split_statements(rest, 1).first() {
            outcome = Err(Failure {
                offset: Some(consumed + extra.start),
                message:
                    "unexpected text after the end of a statement (is a `;` missing before it?)"
                        .into(),
            });
        } else if execute {
            loop {
                // SAFETY: `stmt` is a prepared statement of this handle.
                match unsafe { ffi::sqlite3_step(stmt) } {
                    ffi::SQLITE_ROW => continue,
                    ffi::SQLITE_DONE => break,
                    _ => {
                        outcome = Err(Failure {
                            offset: None,
                            message: self.message(),
                        });
                        break;
                    }
                }
            }
        }
        // SAFETY: finalized exactly once.
        unsafe { ffi::sqlite3_finalize(stmt) };
        outcome
    }
}

impl Drop for Memory {
    fn drop(&mut self) {
        // SAFETY: every statement was finalized; closing a null handle is a no-op.
        unsafe { ffi::sqlite3_close(self.0) };
    }
}

thread_local! {
    static SCRATCH: Option<Memory> = Memory::open();
}

/// What a syntax-only prepare could tell.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum SqliteSyntax {
    /// Prepared: the statement is valid.
    Valid,
    /// SQLite stopped at an unknown table, column or function: the syntax up
    /// to there is valid, the rest was not looked at.
    NamesUnresolved,
}

/// SQLite's messages for a name the (empty) scratch database lacks.
fn unresolved(message: &str) -> bool {
    message.starts_with("no such ") || message.starts_with("unable to identify the object")
}

/// Syntax only: prepares the statement in an empty database.
pub(crate) fn check_syntax(sql: &str, line: u32, column: u32) -> Result<SqliteSyntax, SyntaxError> {
    SCRATCH.with(|db| {
        let Some(db) = db else {
            // SQLite could not allocate; sqlparser already had its say.
            return Ok(SqliteSyntax::NamesUnresolved);
        };
        match db.run(sql, false) {
            Ok(()) => Ok(SqliteSyntax::Valid),
            Err(f) if f.message.starts_with("no such table: ") => {
                with_stub_tables(sql, line, column, f)
            }
            Err(f) if unresolved(&f.message) => Ok(SqliteSyntax::NamesUnresolved),
            Err(f) => Err(located(sql, line, column, f)),
        }
    })
}

/// A declared schema judged by SQLite: `statements` (text, file line,
/// column) run in order in a fresh in-memory database. Returns one error
/// per statement SQLite rejects; a missing table is left to the caller's
/// own reference checks (and is most likely the knock-on of an earlier
/// rejection).
pub fn run_declarations(statements: &[(&str, u32, u32)]) -> Vec<SyntaxError> {
    let Some(db) = Memory::open() else {
        return Vec::new();
    };
    statements
        .iter()
        .filter_map(|&(sql, line, column)| match db.run(sql, true) {
            Err(f) if !f.message.starts_with("no such table") => {
                Some(located(sql, line, column, f))
            }
            _ => None,
        })
        .collect()
}

/// SQLite's message when it cannot evaluate `expression` on its own
/// (`no such function: now`), as a column default would be evaluated on
/// insert.
pub fn expression_error(expression: &str) -> Option<String> {
    SCRATCH.with(|db| {
        let db = db.as_ref()?;
        db.run(&format!("SELECT ({expression})"), false)
            .err()
            .map(|f| f.message)
    })
}

/// SQLite stops at an unknown table before it parses the rest (a trigger's
/// whole body, for one). Creating a stand-in table of that name in a fresh
/// scratch database lets the prepare go on, a few times at most.
fn with_stub_tables(
    sql: &str,
    line: u32,
    column: u32,
    mut failure: Failure,
) -> Result<SqliteSyntax, SyntaxError> {
    let Some(db) = Memory::open() else {
        return Ok(SqliteSyntax::NamesUnresolved);
    };
    for _ in 0..8 {
        let Some(name) = failure.message.strip_prefix("no such table: ") else {
            break;
        };
        let quoted = crate::quote_qualified_always(name);
        if db
            .run(&format!("CREATE TABLE {quoted} (stub)"), true)
            .is_err()
        {
            break;
        }
        failure = match db.run(sql, false) {
            Ok(()) => return Ok(SqliteSyntax::Valid),
            Err(f) => f,
        };
        if !failure.message.starts_with("no such table: ") {
            break;
        }
    }
    // Stand-in tables have no real columns: past them, only a parse error
    // is the statement's fault.
    if is_syntax(&failure.message) {
        Err(located(sql, line, column, failure))
    } else {
        Ok(SqliteSyntax::NamesUnresolved)
    }
}

/// SQLite's messages for a statement it could not parse.
fn is_syntax(message: &str) -> bool {
    message.contains("syntax error")
        || message.starts_with("unrecognized token")
        || message.starts_with("incomplete input")
}

fn located(sql: &str, line: u32, column: u32, failure: Failure) -> SyntaxError {
    // SQLite gives no offset for a missing table or column or an unknown
    // table option; its message ends with the name: point at it.
    let offset = failure.offset.or_else(|| {
        let (_, name) = failure.message.rsplit_once(": ")?;
        let name = name.rsplit('.').next().unwrap_or(name).to_ascii_lowercase();
        if name.is_empty() || !name.chars().all(|c| c.is_alphanumeric() || c == '_') {
            return None;
        }
        let lower = sql.to_ascii_lowercase();
        lower.match_indices(&name).map(|(i, _)| i).find(|&i| {
            let before = lower[..i].chars().next_back();
            let after = lower[i + name.len()..].chars().next();
            let word = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
            !word(before) && !word(after)
        })
    });
    let (line, column) = position(sql, line, column, offset.unwrap_or(0));
    SyntaxError {
        line,
        column,
        message: failure.message,
        trailing: false,
    }
}

/// Statements that must not really run inside the check: transaction
/// control (the check uses savepoints), and anything that touches files.
fn prepare_only(sql: &str) -> bool {
    let word: String = sql
        .trim_start()
        .chars()
        .take_while(|c| c.is_ascii_alphabetic())
        .collect::<String>()
        .to_ascii_uppercase();
    matches!(
        word.as_str(),
        "BEGIN"
            | "COMMIT"
            | "END"
            | "ROLLBACK"
            | "SAVEPOINT"
            | "RELEASE"
            | "ATTACH"
            | "DETACH"
            | "VACUUM"
    )
}

/// Tables kept in the replay's database before the empty ones are parked
/// (see [`park`]).
const RESIDENT_TABLES: usize = 16;

/// Applies `order` (graph indices into `revisions`) to an in-memory
/// database and returns one error per statement SQLite rejects.
///
/// Its cost is linear in the number of revisions: empty tables are parked
/// out of the database while no statement touches them (see [`park`]), and
/// what it reports is what a replay keeping every table would.
pub fn replay(revisions: &[Revision], order: &[usize]) -> Vec<Error> {
    run(revisions, order, Some(RESIDENT_TABLES)).map_or_else(Vec::new, |r| r.errors)
}

/// The schema that the upgrades of `revisions`, applied in order to an
/// empty in-memory SQLite database, leave: sorted lines naming each table's
/// columns (name, type, `NOT NULL`, default, place in the primary key), its
/// foreign keys and its indexes (by name when named in SQL, by columns for
/// the ones keys make), and views and triggers by name. `Ok(None)` when a
/// Rust revision that may change the schema is among them (its code does
/// not run here); `Err` with the file, line and SQLite's message when a
/// statement fails. What `migrate squash`'s checkpoints are compared by
/// when SQLite is a dialect of the directory.
pub fn schema_after(revisions: &[&Revision]) -> Result<Option<Vec<String>>, String> {
    if revisions
        .iter()
        .any(|r| r.kind == crate::RevisionKind::Rust && !r.header.data_only)
    {
        return Ok(None);
    }
    let Some(db) = Memory::open() else {
        return Ok(None);
    };
    for rev in revisions {
        for statement in &rev.upgrade.statements {
            let sql = rev.upgrade.statement_sql(statement);
            if let Err(failure) = db.run(sql, !prepare_only(sql)) {
                return Err(format!(
                    "{}:{}: {}",
                    rev.path, statement.line, failure.message
                ));
            }
        }
    }
    let text = |v: &Option<String>| v.clone().unwrap_or_else(|| "NULL".into());
    let mut lines = Vec::new();
    let objects = park::query(
        &db,
        "SELECT type, name FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' AND type <> 'index'",
        &[],
    );
    for row in objects {
        let (kind, name) = (text(&row[0]), text(&row[1]));
        if kind != "table" {
            lines.push(format!("{kind} {name}"));
            continue;
        }
        lines.push(format!("table {name}"));
        for c in park::query(
            &db,
            "SELECT name, upper(type), \"notnull\", dflt_value, pk FROM pragma_table_info(?1)",
            &[&name],
        ) {
            lines.push(format!(
                "table {name} column {} {} not null {} default {} key {}",
                text(&c[0]),
                text(&c[1]),
                text(&c[2]),
                text(&c[3]),
                text(&c[4])
            ));
        }
        for f in park::query(
            &db,
            "SELECT \"table\", \"from\", \"to\", on_update, on_delete FROM pragma_foreign_key_list(?1)",
            &[&name],
        ) {
            lines.push(format!(
                "table {name} foreign key ({}) references {} ({}) on update {} on delete {}",
                text(&f[1]),
                text(&f[0]),
                text(&f[2]),
                text(&f[3]),
                text(&f[4])
            ));
        }
        for i in park::query(
            &db,
            "SELECT name, \"unique\", origin, partial FROM pragma_index_list(?1)",
            &[&name],
        ) {
            let index = text(&i[0]);
            let columns: Vec<String> = park::query(
                &db,
                "SELECT coalesce(name, '<expression>') FROM pragma_index_info(?1) ORDER BY seqno",
                &[&index],
            )
            .iter()
            .map(|c| text(&c[0]))
            .collect();
            let named = if text(&i[2]) == "c" {
                index
            } else {
                text(&i[2])
            };
            lines.push(format!(
                "table {name} index {named} unique {} partial {} ({})",
                text(&i[1]),
                text(&i[3]),
                columns.join(", ")
            ));
        }
    }
    lines.sort();
    Ok(Some(lines))
}

/// [`replay`] parking beyond `limit` tables, or never (`None`).
/// `None` when SQLite cannot allocate a database (sqlparser has had its
/// say).
fn run(revisions: &[Revision], order: &[usize], limit: Option<usize>) -> Option<Replay> {
    let db = Memory::open()?;
    let mut replay = Replay {
        db,
        parked: park::Parked::new(limit),
        errors: Vec::new(),
        failed: false,
    };
    // A Rust revision's code does not run here: what comes after it may
    // need what it made, so the replay stops before it (and the downgrade
    // walk, which would start above it, does not run), unless it says it
    // changes rows only (`data_only: true`), which the replay of what
    // follows then checks.
    let rust = order.iter().position(|&i| {
        revisions[i].kind == crate::RevisionKind::Rust && !revisions[i].header.data_only
    });
    for &i in &order[..rust.unwrap_or(order.len())] {
        let rev = &revisions[i];
        replay.section(rev, &rev.upgrade, "upgrade");
    }
    if rust.is_some() {
        return Some(replay);
    }
    // Then down from head, as a real `downgrade base` runs: each downgrade
    // meets the schema its revision left. (Rolling back a savepoint after
    // every downgrade instead makes SQLite reload the schema each time:
    // quadratic in the number of revisions.) An irreversible revision ends
    // the walk: nothing below it can be reached from head.
    if !replay.failed {
        for &i in order.iter().rev() {
            let rev = &revisions[i];
            let Some(down) = &rev.downgrade else { break };
            replay.section(rev, down, "downgrade");
        }
    }
    Some(replay)
}

/// The replay's database, what is parked out of it, and what it found.
struct Replay {
    db: Memory,
    parked: park::Parked,
    errors: Vec<Error>,
    failed: bool,
}

impl Replay {
    fn section(&mut self, rev: &Revision, section: &Section, name: &'static str) {
        for statement in &section.statements {
            let sql = section.statement_sql(statement);
            let Err(failure) = self.parked.run(&self.db, sql, !prepare_only(sql)) else {
                continue;
            };
            // `-- migrate:no-check` statements still run (later ones may need
            // them) but are not judged; after a first failure, a missing table
            // is most likely its knock-on effect.
            if !statement.check || (self.failed && failure.message.starts_with("no such ")) {
                continue;
            }
            self.failed = true;
            let syntax = is_syntax(&failure.message);
            let mut e = located(sql, statement.line, statement.column, failure);
            if syntax {
                // A missing `;` reads better from sqlparser, as the files'
                // syntax check words it.
                e = crate::sql::with_semicolon_hint(
                    sql,
                    statement.line,
                    statement.column,
                    crate::sql::Dialect::Sqlite,
                    e,
                );
            }
            self.errors.push(Error::Sql {
                path: rev.path.clone(),
                line: e.line,
                column: e.column,
                section: name,
                dialect: "SQLite".into(),
                message: e.message,
            });
        }
    }
}

#[cfg(test)]
mod equivalence;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::RevisionGraph;
    use crate::revision::parse_revision;

    fn revisions(files: &[(&str, &str, &str, Option<&str>)]) -> Vec<Revision> {
        files
            .iter()
            .map(|(id, parent, up, down)| {
                let mut text = format!(
                    "-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\n{up}\n"
                );
                if let Some(down) = down {
                    text.push_str(&format!("-- migrate:downgrade\n{down}\n"));
                }
                parse_revision(&format!("m/{id}.sql"), &text).unwrap()
            })
            .collect()
    }

    fn run(files: &[(&str, &str, &str, Option<&str>)]) -> Vec<String> {
        let revs = revisions(files);
        let graph = RevisionGraph::from_revisions(&revs).unwrap();
        replay(&revs, graph.topological_order())
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    /// A table, a Rust revision (`data_only` or not), then SQL that uses a
    /// table nobody made: the replay judges it only past a data-only one.
    #[test]
    fn the_replay_stops_at_a_rust_revision_unless_it_changes_rows_only() {
        for (header, judged) in [("", false), ("// data_only: true\n", true)] {
            let mut revs = revisions(&[("a", "none", "CREATE TABLE t (id INTEGER);", None)]);
            revs.push(
                crate::revision::parse_rust_revision(
                    "m/b.rs",
                    &format!(
                        "// revision: b\n// down_revision: a\n{header}pub async fn upgrade(db: &mut Db<'_>) -> R {{ Ok(()) }}\n"
                    ),
                )
                .unwrap(),
            );
            revs.extend(revisions(&[(
                "c",
                "b",
                "INSERT INTO nowhere VALUES (1);",
                None,
            )]));
            let graph = RevisionGraph::from_revisions(&revs).unwrap();
            let errors = replay(&revs, graph.topological_order());
            assert_eq!(!errors.is_empty(), judged, "{header}: {errors:?}");
        }
    }

    #[test]
    fn accepts_a_valid_chain_with_triggers_and_pragmas() {
        let errors = run(&[
            (
                "a",
                "none",
                "PRAGMA foreign_keys = ON;\nCREATE TABLE t (id INTEGER PRIMARY KEY, n INT);",
                Some("DROP TABLE t;"),
            ),
            (
                "b",
                "a",
                "CREATE TRIGGER IF NOT EXISTS tr AFTER INSERT ON t BEGIN UPDATE t SET n = 1; END;\nINSERT INTO t (n) VALUES (1);",
                Some("DROP TRIGGER tr;"),
            ),
        ]);
        assert!(errors.is_empty(), "{errors:?}");
    }

    #[test]
    fn missing_table_is_caught_at_its_line() {
        let errors = run(&[
            ("a", "none", "CREATE TABLE t (id INT);", None),
            (
                "b",
                "a",
                "CREATE TABLE u (id INT);\nINSERT INTO missing SELECT id FROM t;",
                None,
            ),
        ]);
        assert_eq!(errors.len(), 1, "{errors:?}");
        assert!(
            errors[0].starts_with(
                "m/b.sql:5:13: SQL error in the upgrade section (SQLite): no such table: missing"
            ),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn downgrade_runs_against_the_upgraded_schema() {
        let errors = run(&[(
            "a",
            "none",
            "CREATE TABLE t (id INT);",
            Some("DROP TABLE tt;"),
        )]);
        assert!(
            errors[0].contains("downgrade section (SQLite): no such table: tt"),
            "{errors:?}"
        );
    }

    #[test]
    fn syntax_only_check_ignores_missing_tables() {
        assert!(check_syntax("INSERT INTO nowhere VALUES (1)", 1, 1).is_ok());
        let err = check_syntax("CREATE TABLE t (id INT,, x INT)", 3, 1).unwrap_err();
        assert_eq!((err.line, err.column), (3, 24));
        assert_eq!(err.message, "near \",\": syntax error");
    }

    #[test]
    fn trigger_on_an_unknown_table_still_has_its_body_checked() {
        let ok = "CREATE TRIGGER t AFTER INSERT ON logins BEGIN\n  UPDATE accounts SET n = n + 1 WHERE id = NEW.a;\nEND";
        assert_eq!(check_syntax(ok, 1, 1).unwrap(), SqliteSyntax::Valid);
        let bad = "CREATE TRIGGER t AFTER INSERT ON logins BEGIN\n  UPDATE accounts SET n = n + 1 WHERE id = NEW.a\nEND";
        let err = check_syntax(bad, 1, 1).unwrap_err();
        assert_eq!((err.line, err.column), (3, 1), "{err:?}");
    }

    #[test]
    fn trailing_statement_is_reported() {
        let err = check_syntax("SELECT 1\nSELECT 2", 1, 1).unwrap_err();
        assert_eq!((err.line, err.column), (2, 1));
    }
}
