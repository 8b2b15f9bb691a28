//! A PostgreSQL enum value added by one revision and used by a later one.
//!
//! PostgreSQL refuses to use a value added by `ALTER TYPE … ADD VALUE`
//! before the transaction that added it commits ("unsafe use of new value").
//! Applied one at a time such revisions work, so a run from an empty
//! database must work too, whatever the transaction mode, and so must the
//! offline script applied with psql. Each case below is one way PostgreSQL
//! reads the new value (its `enum_in`): in data written by `UPDATE` and
//! `INSERT`, a `CHECK` constraint, a column default, a partial index's
//! predicate, a view, a domain's `CHECK`, a PL/pgSQL function body when it
//! runs, and `enum_range`.

use std::process::{Command, Stdio};

use migrate_core::Dialect;
use migrate_runtime::{Direction, Error, Migrator, TransactionMode, offline};

use crate::common::{Dir, Pg, TestDb};

/// (case, the revision that uses `'shipped'`, a query answering 1 when it did).
const CASES: &[(&str, &str, &str)] = &[
    (
        "update",
        "UPDATE orders SET status = 'shipped' WHERE id = 1;",
        "SELECT count(*) FROM orders WHERE status = 'shipped'",
    ),
    (
        "insert",
        "INSERT INTO orders (id, status) VALUES (3, 'shipped');",
        "SELECT count(*) FROM orders WHERE status = 'shipped'",
    ),
    (
        "check constraint",
        "ALTER TABLE orders ADD CONSTRAINT shipped_has_note CHECK (status <> 'shipped' OR note IS NOT NULL);",
        "SELECT count(*) FROM pg_constraint WHERE conname = 'shipped_has_note'",
    ),
    (
        "column default",
        "ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'shipped';",
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'status' AND column_default LIKE '''shipped''%'",
    ),
    (
        "partial index predicate",
        "CREATE INDEX orders_shipped ON orders (id) WHERE status = 'shipped';",
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'orders_shipped'",
    ),
    (
        "function body run",
        "CREATE FUNCTION is_shipped(s order_status) RETURNS boolean LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN s = 'shipped';\nEND\n$$;\nUPDATE orders SET note = 'open' WHERE NOT is_shipped(status) AND id = 1;",
        "SELECT count(*) FROM orders WHERE note = 'open'",
    ),
    (
        "view",
        "CREATE VIEW shipped_orders AS SELECT id FROM orders WHERE status = 'shipped';",
        "SELECT count(*) FROM pg_views WHERE viewname = 'shipped_orders'",
    ),
    (
        "domain check",
        "CREATE DOMAIN open_status AS order_status CHECK (VALUE <> 'shipped');",
        "SELECT count(*) FROM pg_type WHERE typname = 'open_status'",
    ),
    (
        "enum_range",
        "UPDATE orders SET note = array_length(enum_range(NULL::order_status), 1)::text WHERE id = 2;",
        "SELECT count(*) FROM orders WHERE note = '3'",
    ),
];

/// After the commit, the run still holds the migration lock (the session's
/// advisory lock outlives commits).
const LOCK_STILL_HELD: &str = "DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted) THEN\n        RAISE EXCEPTION 'the migration lock was released';\n    END IF;\nEND\n$$;\nCREATE TABLE after_use (id INTEGER);";

/// r1 creates the type and a table, r2 adds `'shipped'`, r3 uses it, r4
/// follows (checking the lock when `check_lock`).
fn chain(uses: &str, check_lock: bool) -> Dir {
    let dir = Dir::new();
    dir.rev(
        "r1",
        "",
        "CREATE TYPE order_status AS ENUM ('new', 'paid');\nCREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new', note TEXT);\nINSERT INTO orders (id, status) VALUES (1, 'paid'), (2, 'new');",
        Some("DROP TABLE orders;\nDROP TYPE order_status;"),
    );
    dir.rev(
        "r2",
        "r1",
        "ALTER TYPE order_status ADD VALUE 'shipped' AFTER 'paid';",
        Some("SELECT 1;"),
    );
    dir.rev("r3", "r2", uses, Some("SELECT 1;"));
    dir.rev(
        "r4",
        "r3",
        if check_lock {
            LOCK_STILL_HELD
        } else {
            "CREATE TABLE after_use (id INTEGER);"
        },
        Some("DROP TABLE after_use;"),
    );
    dir
}

async fn upgrade_from_empty_uses_new_value(mode: TransactionMode) {
    for &(case, uses, proof) in CASES {
        let db = Pg::new().await;
        let dir = chain(uses, true);
        let m = dir.migrator().with_transaction_mode(mode);
        let report = m
            .upgrade(db.pool(), "head")
            .await
            .unwrap_or_else(|e| panic!("{case} ({mode:?}): {e}"));
        assert_eq!(report.revisions, ["r1", "r2", "r3", "r4"], "{case}");
        assert_eq!(db.count(proof).await, 1, "{case} ({mode:?})");
        assert_eq!(
            db.count("SELECT count(*) FROM migrate_history WHERE state = 'applied'")
                .await,
            4,
            "{case}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_enum_value_is_usable_by_later_revision_in_one_transaction_run() {
    upgrade_from_empty_uses_new_value(TransactionMode::Single).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_enum_value_is_usable_by_later_revision_with_per_revision_commits() {
    upgrade_from_empty_uses_new_value(TransactionMode::PerRevision).await;
}

/// The revision-by-revision path (what a failing one-script run falls back
/// to) commits after the new value too, and a failure after that commit
/// still leaves the database at the revision before it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failure_after_new_enum_value_leaves_database_at_previous_revision() {
    // The failure is in the revision after the one that uses the value: the
    // first script (r1, r2) is committed, the second (r3, r4) fails and runs
    // again revision by revision.
    let db = Pg::new().await;
    let dir = chain(CASES[0].1, false);
    dir.rev("r5", "r4", "INSERT INTO nowhere VALUES (1);", None);
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, .. } if revision == "r5"),
        "{err:?}"
    );
    assert!(err.to_string().contains("remains at r4"), "{err}");
    assert_eq!(
        db.count("SELECT count(*) FROM orders WHERE status = 'shipped'")
            .await,
        1
    );
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 4);

    // The failure is in the revision that uses the value: the whole plan
    // runs revision by revision, committing after r2.
    let db = Pg::new().await;
    let dir = chain(
        "UPDATE orders SET status = 'shipped' WHERE id = 1;\nINSERT INTO nowhere VALUES (1);",
        false,
    );
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "r3"),
        "{err:?}"
    );
    assert!(err.to_string().contains("remains at r2"), "{err}");
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r2"]);
    assert_eq!(
        db.count("SELECT count(*) FROM orders WHERE status = 'shipped'")
            .await,
        0
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_enum WHERE enumlabel = 'shipped'")
            .await,
        1
    );
}

/// A downgrade section that adds a value, used by the next downgrade step.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_enum_value_is_usable_by_next_downgrade_step() {
    let db = Pg::new().await;
    let dir = chain(CASES[0].1, false);
    dir.rev(
        "r5",
        "r4",
        "UPDATE orders SET note = 'archived' WHERE id = 2;",
        Some("UPDATE orders SET status = 'legacy' WHERE id = 2;"),
    );
    dir.rev(
        "r6",
        "r5",
        "CREATE TABLE r6 (id INTEGER);",
        Some("DROP TABLE r6;\nALTER TYPE order_status ADD VALUE 'legacy';"),
    );
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    let report = m.downgrade(db.pool(), "r4").await.unwrap();
    assert_eq!(report.revisions, ["r6", "r5"]);
    assert_eq!(
        db.count("SELECT count(*) FROM orders WHERE status = 'legacy'")
            .await,
        1
    );
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r4"]);
}

/// The highest installed PostgreSQL's own `psql` (/usr/bin/psql may be a
/// wrapper that needs a cluster configuration).
fn psql() -> std::path::PathBuf {
    let mut found: Vec<(u32, std::path::PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .expect("PostgreSQL is installed under /usr/lib/postgresql")
        .filter_map(|e| {
            let e = e.ok()?;
            let version: u32 = e.file_name().to_str()?.parse().ok()?;
            let psql = e.path().join("bin/psql");
            psql.is_file().then_some((version, psql))
        })
        .collect();
    found.sort();
    found.pop().expect("no /usr/lib/postgresql/*/bin/psql").1
}

fn apply_with_psql(db: &Pg, script: &str, case: &str) {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("script.sql");
    std::fs::write(&file, script).unwrap();
    let output = Command::new(psql())
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", db.url(), "-f"])
        .arg(&file)
        .stdin(Stdio::null())
        .output()
        .expect("run psql");
    assert!(
        output.status.success(),
        "{case}: psql failed on the offline script:\n{}\n--- script\n{script}",
        String::from_utf8_lossy(&output.stderr)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_script_commits_after_new_enum_value_and_psql_applies_it() {
    for &(case, uses, proof) in CASES {
        let db = Pg::new().await;
        let dir = chain(uses, false);
        let m: Migrator = dir.migrator();
        let plan = offline::plan(&m, Direction::Upgrade, None, "head").unwrap();
        let script = offline::script(Dialect::Postgres, &m, &plan).unwrap();
        assert!(
            script.contains("-- r2 adds an enum value"),
            "{case}: {script}"
        );
        apply_with_psql(&db, &script, case);
        assert_eq!(db.count(proof).await, 1, "{case}");
        assert_eq!(m.current(db.pool()).await.unwrap(), ["r4"], "{case}");
    }
}
