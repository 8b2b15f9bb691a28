//! Offline scripts: the SQL a plan would run, as text, without a database.
//!
//! This is Alembic's offline mode (`alembic upgrade a:b --sql`): a DBA
//! reviews the script, or applies it with `psql`/`sqlite3` where the
//! application cannot reach the database. The script has the same shape as
//! an online run with the default [`TransactionMode::Single`](crate::TransactionMode):
//!
//! - the history table is created if missing (`CREATE TABLE IF NOT EXISTS`,
//!   the runtime's own DDL);
//! - consecutive transactional revisions share one transaction
//!   (`BEGIN` … `COMMIT`; `BEGIN IMMEDIATE` on SQLite, which is the write
//!   lock). On PostgreSQL the transaction also takes the runtime's advisory
//!   lock (`pg_advisory_xact_lock`), so the script and an online migrator
//!   never run at the same time;
//! - each revision's statements are followed by its history row (`INSERT`
//!   for an upgrade, `DELETE` for a downgrade), in the same transaction, so
//!   a failing statement leaves the history true once the transaction is
//!   rolled back. Apply it with `psql -v ON_ERROR_STOP=1 -f script.sql`
//!   (not `--single-transaction`, which would also wrap the
//!   non-transactional revisions);
//! - after a revision that adds an enum value (`ALTER TYPE … ADD VALUE`),
//!   the transaction commits and the next revision opens a new one, with a
//!   comment saying why: PostgreSQL cannot use a new enum value before the
//!   transaction that added it commits;
//! - `transactional: false` revisions go outside any transaction, and record
//!   their progress after each statement exactly as an online run does, so
//!   an interrupted script is visible to `migrate current` instead of being
//!   silently retried.
//! - repeatable definitions (`definitions/`): an upgrade script whose
//!   revisions reach every head ends with all of them and their records,
//!   in one transaction; a downgrade script drops what they create first
//!   (see the guide's "Repeatable definitions").
//!
//! Nothing here touches a database: [`script`] is a pure function of the
//! dialect, the revision table and the plan, and [`plan`] computes the plan
//! of a `FROM:TO` range.
//!
//! ```
//! # #[cfg(feature = "sqlite")] {
//! use migrate_runtime::{Direction, Migrator, offline};
//!
//! let dir = std::env::temp_dir().join(format!("migrate-offline-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(
//!     dir.join("2025_09_30_1636-955bb0742a21_create_products.sql"),
//!     "-- revision: 955bb0742a21\n-- down_revision: none\n-- message: create products\n\n-- migrate:upgrade\nCREATE TABLE products (id TEXT PRIMARY KEY);\n\n-- migrate:downgrade\nDROP TABLE products;\n",
//! ).unwrap();
//! let migrator = Migrator::from_directory(&dir, "migrations", &Default::default()).unwrap();
//!
//! let plan = offline::plan(&migrator, Direction::Upgrade, None, "head").unwrap();
//! let sql = offline::script(migrate_core::Dialect::Sqlite, &migrator, &plan).unwrap();
//! assert!(sql.contains("BEGIN IMMEDIATE;\n"));
//! assert!(sql.contains("CREATE TABLE products (id TEXT PRIMARY KEY);\n"));
//! assert!(sql.contains("INSERT INTO \"migrate_history\""));
//! assert!(sql.trim_end().ends_with("COMMIT;"));
//! # std::fs::remove_dir_all(&dir).unwrap();
//! # }
//! ```

use std::fmt::Write as _;

use migrate_core::{Dialect, Direction, Plan, Target};

use crate::error::Result;
use crate::history::{self, NewRow};
use crate::migrator::Migrator;
use crate::table::{RevisionRef, SectionRef};

/// The plan of an offline run from `from` to `to` (both in Alembic's target
/// syntax).
///
/// `from` is the state the database is assumed to be in: that revision and
/// everything below it applied. `None` means base (nothing applied) for an
/// upgrade and every head (everything applied) for a downgrade.
///
/// # Errors
///
/// A target that does not parse or resolve, a downgrade target above
/// `from`, or a downgrade through a revision without a downgrade section.
pub fn plan(
    migrator: &Migrator,
    direction: Direction,
    from: Option<&str>,
    to: &str,
) -> Result<Plan> {
    let graph = migrator.graph()?;
    let nothing = vec![false; graph.len()];
    let applied = match from {
        Some(from) => {
            let from = Target::parse(from)?;
            graph.ancestors_inclusive(&graph.resolve(&from, &nothing)?)
        }
        None => match direction {
            Direction::Upgrade => nothing,
            Direction::Downgrade => vec![true; graph.len()],
        },
    };
    let to = Target::parse(to)?;
    Ok(match direction {
        Direction::Upgrade => graph.plan_upgrade(&to, &applied)?,
        Direction::Downgrade => graph.plan_downgrade(&to, &applied)?,
    })
}

/// Builds the SQL script that applying `plan` would run, in `dialect`.
///
/// The statements are the revisions' own text, statement by statement (the
/// same split the runtime executes); see the [module documentation](self)
/// for the transactions and history-table statements around them. An empty
/// plan gives a script with the header comment only.
///
/// # Errors
///
/// The migrator's table is not a valid graph, or a downgrade step has no
/// downgrade section.
pub fn script(dialect: Dialect, migrator: &Migrator, plan: &Plan) -> Result<String> {
    // Validates the table; the plan's indices come from this graph.
    migrator.graph()?;
    let revisions = migrator.revisions();
    let table = migrator.version_table();
    let mut out = String::new();
    let verb = match plan.direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    };
    let _ = writeln!(
        out,
        "-- migrate offline {verb} script for {dialect}: {} revision(s), history table {table}",
        plan.steps.len()
    );
    if plan.steps.is_empty() {
        return Ok(out);
    }
    out.push('\n');
    if plan.direction == Direction::Upgrade {
        out.push_str(&history::create_history_sql(dialect, table));
        out.push_str(";\n\n");
    } else {
        // As a downgrade against the database: the definitions go first.
        let definitions = migrator.offline_definitions(dialect, Direction::Downgrade);
        if !definitions.is_empty() {
            out.push_str(&definitions);
            out.push('\n');
        }
    }

    let begin = begin_sql(dialect, migrator);
    let mut in_transaction = false;
    for (position, &i) in plan.steps.iter().enumerate() {
        let rev = revisions.at(i);
        let section = rev.section(plan.direction)?;
        if rev.is_transactional() && !in_transaction {
            out.push_str(&begin);
            in_transaction = true;
        } else if !rev.is_transactional() && in_transaction {
            out.push_str("COMMIT;\n\n");
            in_transaction = false;
        }

        // Names and messages go into `--` comments: a newline in one would
        // end the comment and run the rest as SQL or as a client command
        // (`\!` in psql, `.shell` in sqlite3). The loader refuses control
        // characters; a table built another way is escaped all the same.
        let parents = if rev.parents().is_empty() {
            "<base>".to_owned()
        } else {
            migrate_core::escape_control(&rev.parents().join(", ")).into_owned()
        };
        let id = migrate_core::escape_control(rev.id());
        let message = rev
            .message()
            .map(|m| format!(", {}", migrate_core::escape_control(m)))
            .unwrap_or_default();
        let _ = match plan.direction {
            Direction::Upgrade => {
                writeln!(out, "-- Running upgrade {parents} -> {id}{message}")
            }
            Direction::Downgrade => {
                writeln!(out, "-- Running downgrade {id} -> {parents}{message}")
            }
        };
        let _ = writeln!(out, "-- {}", migrate_core::escape_control(rev.path()));
        if !rev.is_transactional() {
            out.push_str("-- transactional: false, so it runs outside a transaction and records its progress after each statement\n");
        }
        out.push('\n');

        if rev.is_rust() {
            // Its code cannot be printed: the script stops here (a failing
            // statement), so that running it never records a revision
            // whose code did not run.
            let stop = format!(
                "revision {id} is written in Rust: run it with the application's migration subcommand, then this script from the next revision"
            );
            let _ = writeln!(
                out,
                "-- MIGRATE: {stop}.\n-- The statement below fails on purpose, to stop the script here.\n{};\n",
                match dialect {
                    Dialect::Postgres => format!(
                        "DO $$ BEGIN RAISE EXCEPTION '%', {}; END $$",
                        history::literal(dialect, &stop)
                    ),
                    Dialect::Sqlite =>
                        format!("SELECT * FROM {}", migrate_core::quote_ident_always(&stop)),
                }
            );
            continue;
        }

        if rev.is_transactional() {
            push_statements(&mut out, section, |_| None);
            out.push_str(&history_change(dialect, rev, plan.direction, table));
            out.push_str(";\n\n");
            if position + 1 < plan.steps.len() && section.needs_commit_after(dialect) {
                // As the online run does (`Migrator::execute`).
                let _ = writeln!(
                    out,
                    "-- {id} adds an enum value, which PostgreSQL refuses to use before the\n-- transaction that added it commits: commit it before the next revision\nCOMMIT;\n"
                );
                in_transaction = false;
            }
        } else {
            // The same bookkeeping as `Migrator::run_outside_transaction`.
            let (start, running, finish) = match plan.direction {
                Direction::Upgrade => (
                    insert_sql(dialect, rev, table, "running", 0),
                    "running",
                    history::update_literal_sql(
                        dialect,
                        table,
                        rev.id(),
                        "applied",
                        section.len() as i64,
                    ),
                ),
                Direction::Downgrade => (
                    history::update_literal_sql(dialect, table, rev.id(), "reverting", 0),
                    "reverting",
                    history::delete_literal_sql(dialect, table, rev.id()),
                ),
            };
            out.push_str(&start);
            out.push_str(";\n\n");
            push_statements(&mut out, section, |k| {
                Some(history::update_literal_sql(
                    dialect,
                    table,
                    rev.id(),
                    running,
                    k as i64,
                ))
            });
            out.push_str(&finish);
            out.push_str(";\n\n");
        }
    }
    if in_transaction {
        out.push_str("COMMIT;\n");
    }
    // As an upgrade against the database: the definitions follow once
    // every head is reached.
    let heads = migrator.graph()?.heads();
    if plan.direction == Direction::Upgrade && heads.iter().all(|h| plan.steps.contains(h)) {
        let definitions = migrator.offline_definitions(dialect, Direction::Upgrade);
        if !definitions.is_empty() {
            out.push('\n');
            out.push_str(&definitions);
        }
    }
    Ok(out)
}

/// What opens a script's transaction: on PostgreSQL with the runtime's
/// migration lock, so that the script and an online run never overlap.
pub(crate) fn begin_sql(dialect: Dialect, migrator: &Migrator) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "BEGIN;\n-- the runtime's migration lock, held until COMMIT\nSELECT pg_advisory_xact_lock({});\n\n",
            migrator.lock_key()
        ),
        Dialect::Sqlite => "BEGIN IMMEDIATE;\n\n".to_owned(),
    }
}

/// Writes one statement followed by `;` (on a line of its own when the
/// statement's last line has a `--` comment, which would swallow it).
pub(crate) fn push_statement(out: &mut String, sql: &str) {
    out.push_str(sql);
    if sql.lines().last().is_some_and(|l| l.contains("--")) {
        out.push('\n');
    }
    out.push_str(";\n");
}

/// Writes each statement followed by `;`, and after statement k (1-based)
/// whatever `after(k)` returns.
fn push_statements(
    out: &mut String,
    section: SectionRef<'_>,
    after: impl Fn(usize) -> Option<String>,
) {
    for (k, (_, sql)) in section.statements().enumerate() {
        push_statement(out, sql);
        if let Some(extra) = after(k + 1) {
            out.push_str(&extra);
            out.push_str(";\n");
        }
        out.push('\n');
    }
}

fn history_change(
    dialect: Dialect,
    rev: RevisionRef<'_>,
    direction: Direction,
    table: &str,
) -> String {
    match direction {
        Direction::Upgrade => {
            insert_sql(dialect, rev, table, "applied", rev.upgrade().len() as i64)
        }
        Direction::Downgrade => history::delete_literal_sql(dialect, table, rev.id()),
    }
}

/// The history row of an upgrade; its `seq` continues whatever the table
/// holds, since an offline script cannot know it.
fn insert_sql(
    dialect: Dialect,
    rev: RevisionRef<'_>,
    table: &str,
    state: &str,
    done: i64,
) -> String {
    let row = NewRow {
        revision: rev.id(),
        checksum: rev.checksum(),
        duration_ms: 0,
        state,
        statements_done: done,
        seq: 0,
        message: rev.message(),
        // Not written by the offline script (see `history::insert_next_sql`).
        downgrade_sql: None,
        downgrade_kind: history::DOWNGRADE_IRREVERSIBLE,
    };
    history::insert_next_sql(dialect, table, &row)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn migrator(files: &[(&str, &str)]) -> (tempfile::TempDir, Migrator) {
        let dir = tempfile::tempdir().unwrap();
        for (name, text) in files {
            std::fs::write(dir.path().join(name), text).unwrap();
        }
        let config = migrate_core::Config {
            dialects: migrate_core::DialectCheck::Off,
            ..Default::default()
        };
        let m =
            Migrator::from_directory(dir.path(), "m", &config).unwrap_or_else(|e| panic!("{e}"));
        (dir, m)
    }

    const A: (&str, &str) = (
        "1-a1_a.sql",
        "-- revision: a1\n-- down_revision: none\n-- message: it's a\n-- migrate:upgrade\nCREATE TABLE a (x INT);\nCREATE TABLE a2 (x INT) -- two\n;\n-- migrate:downgrade\nDROP TABLE a2;\nDROP TABLE a;\n",
    );
    const B: (&str, &str) = (
        "2-b2_b.sql",
        "-- revision: b2\n-- down_revision: a1\n-- transactional: false\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY i ON a (x);\n-- migrate:downgrade\nDROP INDEX CONCURRENTLY i;\n",
    );
    const C: (&str, &str) = (
        "3-c3_c.sql",
        "-- revision: c3\n-- down_revision: b2\n-- migrate:upgrade\nCREATE TABLE c (x INT);\n",
    );

    #[test]
    fn transactional_revisions_share_one_transaction_with_their_history_rows() {
        let (_dir, m) = migrator(&[A]);
        let plan = plan(&m, Direction::Upgrade, None, "head").unwrap();
        let sql = script(Dialect::Postgres, &m, &plan).unwrap();
        let begin = sql.find("BEGIN;").unwrap();
        let create = sql.find("CREATE TABLE a (x INT);").unwrap();
        let insert = sql.find("INSERT INTO \"migrate_history\"").unwrap();
        let commit = sql.find("COMMIT;").unwrap();
        assert!(
            begin < create && create < insert && insert < commit,
            "{sql}"
        );
        assert!(sql.contains("pg_advisory_xact_lock("), "{sql}");
        assert!(sql.contains("'it''s a'"), "{sql}");
        // A comment before the `;` is not part of the statement, and cannot
        // swallow the terminator.
        assert!(sql.contains("CREATE TABLE a2 (x INT);\n"), "{sql}");
    }

    #[test]
    fn non_transactional_revision_runs_between_transactions() {
        let (_dir, m) = migrator(&[A, B, C]);
        let plan = plan(&m, Direction::Upgrade, None, "heads").unwrap();
        let sql = script(Dialect::Sqlite, &m, &plan).unwrap();
        let index = sql.find("CREATE INDEX CONCURRENTLY").unwrap();
        let before = &sql[..index];
        let after = &sql[index..];
        assert!(
            before.rfind("COMMIT;") > before.rfind("BEGIN IMMEDIATE;"),
            "{sql}"
        );
        assert!(after.contains("BEGIN IMMEDIATE;"), "{sql}");
        assert!(
            before.contains("'running', 0,"),
            "a running row comes first: {sql}"
        );
        assert!(
            after.contains("UPDATE \"migrate_history\" SET state = 'applied', statements_done = 1 WHERE revision = 'b2'"),
            "{sql}"
        );
    }

    #[test]
    fn ranges_start_from_the_given_revision() {
        let (_dir, m) = migrator(&[A, B, C]);
        let p = plan(&m, Direction::Upgrade, Some("a1"), "c3").unwrap();
        let ids: Vec<&str> = p.steps.iter().map(|&i| m.revisions().at(i).id()).collect();
        assert_eq!(ids, ["b2", "c3"]);
        let p = plan(&m, Direction::Downgrade, Some("b2"), "base").unwrap();
        let ids: Vec<&str> = p.steps.iter().map(|&i| m.revisions().at(i).id()).collect();
        assert_eq!(ids, ["b2", "a1"]);
        let sql = script(Dialect::Postgres, &m, &p).unwrap();
        assert!(sql.contains("DELETE FROM \"migrate_history\" WHERE revision = 'a1'"));
        assert!(!sql.contains("CREATE TABLE IF NOT EXISTS"));
    }

    #[test]
    fn downgrade_through_irreversible_revision_is_refused() {
        let (_dir, m) = migrator(&[A, B, C]);
        let err = plan(&m, Direction::Downgrade, None, "base").unwrap_err();
        assert!(err.to_string().contains("revision c3"), "{err}");
    }

    #[test]
    fn transaction_commits_after_a_new_enum_value_on_postgres() {
        const E1: (&str, &str) = (
            "1-e1_e.sql",
            "-- revision: e1\n-- down_revision: none\n-- migrate:upgrade\nALTER TYPE s ADD VALUE 'x';\n",
        );
        const E2: (&str, &str) = (
            "2-e2_e.sql",
            "-- revision: e2\n-- down_revision: e1\n-- migrate:upgrade\nUPDATE t SET v = 'x';\n",
        );
        let (_dir, m) = migrator(&[E1, E2]);
        let p = plan(&m, Direction::Upgrade, None, "head").unwrap();
        let sql = script(Dialect::Postgres, &m, &p).unwrap();
        let add = sql.find("ADD VALUE").unwrap();
        let update = sql.find("UPDATE t").unwrap();
        let between = &sql[add..update];
        assert!(
            between.contains("e1 adds an enum value") && between.contains("COMMIT;\n\nBEGIN;"),
            "{sql}"
        );
        assert_eq!(sql.matches("COMMIT;").count(), 2, "{sql}");
        // Nothing follows the last revision: one transaction.
        let p = plan(&m, Direction::Upgrade, None, "e1").unwrap();
        let sql = script(Dialect::Postgres, &m, &p).unwrap();
        assert_eq!(sql.matches("COMMIT;").count(), 1, "{sql}");
        // SQLite has no enum types; its script is one transaction.
        let p = plan(&m, Direction::Upgrade, None, "head").unwrap();
        let sql = script(Dialect::Sqlite, &m, &p).unwrap();
        assert_eq!(sql.matches("COMMIT;").count(), 1, "{sql}");
    }

    #[test]
    fn empty_plan_gives_only_the_header() {
        let (_dir, m) = migrator(&[A]);
        let p = plan(&m, Direction::Upgrade, Some("a1"), "head").unwrap();
        let sql = script(Dialect::Sqlite, &m, &p).unwrap();
        assert_eq!(sql.lines().count(), 1, "{sql}");
    }
}
