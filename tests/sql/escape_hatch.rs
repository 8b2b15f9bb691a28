//! `-- migrate:no-check`: the statement after it is not checked (and only
//! that one), it still runs, and when the database then rejects it the run
//! fails at that statement with the earlier revisions kept.

use std::path::Path;

use migrate_core::{Dialect, NO_CHECK_MARKER, load_directory};
use migrate_runtime::Migrator;
use migrate_tests::{fresh_pg_db, fresh_sqlite_db};

use crate::{config, only, sql_errors};

fn write(dir: &Path, name: &str, text: &str) {
    std::fs::write(dir.join(name), text).unwrap();
}

#[test]
fn no_check_covers_exactly_the_next_statement() {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "2025_05_01_0900-e5c0000000a1_hatch.sql",
        &format!(
            "-- revision: e5c0000000a1\n-- down_revision: none\n\n-- migrate:upgrade\n{NO_CHECK_MARKER}\nFROBNICATE all the things;\nCREATE TABLE t (id int,, x int);\n"
        ),
    );
    for dialect in [Dialect::Postgres, Dialect::Sqlite] {
        let errors = load_directory(tmp.path(), "migrations", &only(dialect))
            .map(|_| ())
            .expect_err("the unmarked typo was accepted");
        let found = sql_errors(&errors);
        assert_eq!(found.len(), 1, "{dialect:?}: {errors}");
        assert_eq!((found[0].1, found[0].2), (7, 24), "{dialect:?}: {errors}");
    }
}

/// Revision 1 creates `keep_me`; revision 2 holds a statement the check
/// would reject, let through by the escape hatch, which the database then
/// rejects. Returns the directory.
fn failing_chain(bad: &str) -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    write(
        tmp.path(),
        "2025_05_01_0900-e5c0000000b1_keep.sql",
        "-- revision: e5c0000000b1\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE keep_me (id int);\n",
    );
    write(
        tmp.path(),
        "2025_05_02_0900-e5c0000000b2_bad.sql",
        &format!(
            "-- revision: e5c0000000b2\n-- down_revision: e5c0000000b1\n\n-- migrate:upgrade\nCREATE TABLE t2 (id int);\n{NO_CHECK_MARKER}\n{bad};\n"
        ),
    );
    tmp
}

/// What a failed run reported, as (revision, statement, line).
fn failure(e: &migrate_runtime::Error) -> (String, usize, u32) {
    match e {
        migrate_runtime::Error::MigrationFailed {
            revision,
            statement,
            line,
            ..
        } => (revision.clone(), *statement, *line),
        other => panic!("expected MigrationFailed, got: {other}"),
    }
}

/// A syntax error makes PostgreSQL reject the whole multi-statement batch
/// before any of it runs, so the batch's own SAVEPOINT never exists.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_syntax_error_behind_the_hatch_fails_at_its_statement_and_keeps_earlier_revisions()
{
    let tmp = failing_chain("CREATE INDEX t2_id_text ON t2 (id::text)");
    let migrator = Migrator::from_directory(tmp.path(), "migrations", &config(Dialect::Postgres))
        .unwrap_or_else(|e| panic!("{e}"));
    let db = fresh_pg_db().await;
    let pool = db.pool().await;
    let err = migrator
        .upgrade(&pool, "head")
        .await
        .expect_err("the bad statement ran");
    let reported = failure(&err);
    let current = migrator.current(&pool).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM pg_class WHERE relname = 'keep_me'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        (reported, current, kept),
        (("e5c0000000b2".to_owned(), 2, 7), vec!["e5c0000000b1"], 1),
        "expected: failure at statement 2 (line 7), revision e5c0000000b1 still applied and its table kept; the run said: {err}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_syntax_error_behind_the_hatch_fails_at_its_statement_and_keeps_earlier_revisions() {
    let tmp = failing_chain("CREATE INDEX t2_id ON t2 (id,)");
    let migrator = Migrator::from_directory(tmp.path(), "migrations", &config(Dialect::Sqlite))
        .unwrap_or_else(|e| panic!("{e}"));
    let db = fresh_sqlite_db();
    let pool = db.pool().await;
    let err = migrator
        .upgrade(&pool, "head")
        .await
        .expect_err("the bad statement ran");
    let reported = failure(&err);
    let current = migrator.current(&pool).await.unwrap();
    let kept: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'keep_me'")
        .fetch_one(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_eq!(
        (reported, current, kept),
        (("e5c0000000b2".to_owned(), 2, 7), vec!["e5c0000000b1"], 1),
        "the run said: {err}"
    );
}
