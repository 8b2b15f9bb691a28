//! A generated 300-file PostgreSQL history that cycles through every
//! construct of the real-world SQL issue, checked with dialect `postgres` and
//! no escape hatch; the same history with five typos; and the PostgreSQL
//! 15-compatible variant applied for real, which proves the generator
//! writes SQL PostgreSQL runs.

use std::path::Path;
use std::time::Instant;

use migrate_core::{Dialect, load_directory};
use migrate_runtime::Migrator;
use migrate_tests::fresh_pg_db;

use crate::history::*;
use crate::{assert_no_escape_hatch, config, only, sql_errors};

#[test]
fn generated_300_file_history_with_every_construct_is_accepted() {
    let tmp = tempfile::tempdir().unwrap();
    write_history(tmp.path(), true, &[]);
    assert_no_escape_hatch(tmp.path());

    let started = Instant::now();
    let result = load_directory(tmp.path(), "migrations", &only(Dialect::Postgres));
    let elapsed = started.elapsed();
    let migrations = result.unwrap_or_else(|e| panic!("the generated history was rejected:\n{e}"));
    let statements: usize = migrations
        .revisions
        .iter()
        .map(|r| {
            r.upgrade.statements.len() + r.downgrade.as_ref().map_or(0, |d| d.statements.len())
        })
        .sum();
    assert_eq!(migrations.revisions.len(), FILES);
    assert_eq!(migrations.graph.heads().len(), 1);
    let judged = crate::rejected_by_sqlparser_alone(&migrations, Dialect::Postgres).len();
    eprintln!(
        "generated PostgreSQL history: {FILES} files, {statements} statements \
         ({judged} judged by libpg_query after sqlparser rejected them) \
         checked with dialect postgres in {elapsed:?} \
         ({} build profile)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}

/// Where `needle` starts in file `name` of `dir`: (line, column), 1-based.
fn locate(dir: &Path, name: &str, needle: &str) -> (u32, u32) {
    let text = std::fs::read_to_string(dir.join(name)).unwrap();
    let offset = text
        .find(needle)
        .unwrap_or_else(|| panic!("{needle:?} not in {name}"));
    let before = &text[..offset];
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() as u32 + 1;
    (line, column)
}

#[test]
fn generated_history_with_five_typos_reports_exactly_those_five() {
    // (file, typo, the text the error must point at, what the message says)
    let typos: [(usize, &str, &str, &str); 5] = [
        (
            17,
            "CREATE TABLE typo_doubled (id int,, name text);",
            ", name text",
            "syntax error at or near \",\"",
        ),
        (
            80,
            "CREATE INDEX typo_missing_idx ON typo_t (id)\nDROP TABLE typo_t;",
            "DROP TABLE typo_t",
            "is a `;` missing before it?",
        ),
        (
            133,
            "REINDEX INDX typo_idx;",
            "INDX",
            "syntax error at or near \"INDX\"",
        ),
        (
            211,
            "INSERT INTO SELECT id FROM typo_t;",
            "SELECT id FROM typo_t",
            "syntax error at or near \"SELECT\"",
        ),
        // Last: an unterminated body swallows the rest of its section.
        (
            299,
            "CREATE FUNCTION typo_f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN 1;\nEND;",
            "$$\nBEGIN",
            "unterminated dollar-quoted string",
        ),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let injected: Vec<(usize, &str)> = typos.iter().map(|(n, sql, ..)| (*n, *sql)).collect();
    let names = write_history(tmp.path(), true, &injected);

    let errors = load_directory(tmp.path(), "migrations", &only(Dialect::Postgres))
        .map(|_| ())
        .expect_err("the history with five typos was accepted");
    eprintln!("{errors}");
    let found = sql_errors(&errors);
    assert_eq!(found.len(), 5, "expected exactly 5 errors:\n{errors}");
    for ((n, _, at, says), (file, line, column, message)) in typos.iter().zip(&found) {
        let name = &names[*n];
        assert_eq!(file, name, "errors come in file order:\n{errors}");
        let expected = locate(tmp.path(), name, at);
        assert_eq!(
            (*line, *column),
            expected,
            "{name}: the error should point at {at:?}:\n{errors}"
        );
        assert!(
            message.contains(says),
            "{name}: {message:?} should say {says:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn generated_history_postgres15_variant_runs_up_and_down() {
    let tmp = tempfile::tempdir().unwrap();
    write_history(tmp.path(), false, &[]);
    let migrator = Migrator::from_directory(tmp.path(), "migrations", &config(Dialect::Postgres))
        .unwrap_or_else(|e| panic!("the generated history was rejected:\n{e}"));
    let db = fresh_pg_db().await;
    let pool = db.pool().await;
    let started = Instant::now();
    migrator
        .upgrade(&pool, "head")
        .await
        .unwrap_or_else(|e| panic!("upgrade to head failed: {e}"));
    migrator
        .downgrade(&pool, "base")
        .await
        .unwrap_or_else(|e| panic!("downgrade to base failed: {e}"));
    eprintln!(
        "generated history applied up and down on PostgreSQL in {:?}",
        started.elapsed()
    );
    let left: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
         WHERE n.nspname = 'public' AND c.relname LIKE 'g%'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(left, 0, "relations left behind after downgrade to base");
    pool.close().await;
}

/// Writes a `files`-file SQLite history: each revision a table with a
/// generated column, an index, a trigger, seed rows and a CTE backfill.
fn write_sqlite_history(dir: &Path, files: usize) {
    for n in 0..files {
        let t = format!("s{n:03}");
        let parent = if n == 0 {
            "none".to_owned()
        } else {
            revision_id(n - 1)
        };
        let previous = if n == 0 {
            "sqlite_schema".to_owned()
        } else {
            format!("s{:03}", n - 1)
        };
        let text = format!(
            "-- revision: {rev}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n\
             CREATE TABLE IF NOT EXISTS {t} (\n    id INTEGER PRIMARY KEY,\n    name TEXT NOT NULL,\n    name_lower TEXT GENERATED ALWAYS AS (lower(name)) VIRTUAL,\n    n INTEGER NOT NULL DEFAULT 0\n) STRICT;\n\
             CREATE INDEX {t}_name ON {t} (name_lower) WHERE n >= 0;\n\
             CREATE TRIGGER IF NOT EXISTS {t}_bump AFTER INSERT ON {t} BEGIN\n    UPDATE {t} SET n = CASE WHEN NEW.n > 0 THEN NEW.n ELSE 1 END WHERE id = NEW.id;\nEND;\n\
             INSERT INTO {t} (name) SELECT 'row ' || count(*) FROM {previous};\n\
             WITH c AS (SELECT id FROM {t}) UPDATE {t} SET name = upper(name) WHERE id IN (SELECT id FROM c);\n\
             INSERT INTO {t} (id, name) VALUES (1, 'x') ON CONFLICT (id) DO UPDATE SET name = excluded.name;\n\
             \n-- migrate:downgrade\nDROP TRIGGER {t}_bump;\nDROP INDEX {t}_name;\nDROP TABLE {t};\n",
            rev = revision_id(n),
        );
        std::fs::write(dir.join(file_name(n, "sqlite_table")), text).unwrap();
    }
}

/// The SQLite replay's cost: the generated SQLite history checked with
/// dialect `sqlite` (syntax, then the whole chain replayed in memory), next
/// to the syntax-only `any`.
#[test]
fn generated_300_file_sqlite_history_is_replayed() {
    let tmp = tempfile::tempdir().unwrap();
    write_sqlite_history(tmp.path(), FILES);
    let started = Instant::now();
    let syntax_only = load_directory(tmp.path(), "migrations", &crate::DialectCheck::Any);
    let any_elapsed = started.elapsed();
    syntax_only.unwrap_or_else(|e| panic!("the generated SQLite history was rejected (any):\n{e}"));
    let started = Instant::now();
    let result = load_directory(tmp.path(), "migrations", &only(Dialect::Sqlite));
    let elapsed = started.elapsed();
    let migrations =
        result.unwrap_or_else(|e| panic!("the generated SQLite history was rejected:\n{e}"));
    let statements: usize = migrations
        .revisions
        .iter()
        .map(|r| {
            r.upgrade.statements.len() + r.downgrade.as_ref().map_or(0, |d| d.statements.len())
        })
        .sum();
    eprintln!(
        "generated SQLite history: {FILES} files, {statements} statements checked with dialect sqlite \
         (syntax, then the chain replayed in memory) in {elapsed:?}; with dialect any (no replay) in \
         {any_elapsed:?} ({} build profile)",
        if cfg!(debug_assertions) {
            "debug"
        } else {
            "release"
        }
    );
}
