//! Deploy safety: checksums that ignore comments and layout, accepted
//! edits, lock timeouts with retries, downgrades from the stored SQL and
//! resuming an interrupted non-transactional revision.

use std::time::Duration;

use migrate_runtime::Error;

use crate::common::{Dir, TestDb, hold_migration_lock};

/// The checksum each revision's history row holds.
async fn recorded(db: &impl TestDb, revision: &str) -> String {
    db.text(&format!(
        "SELECT checksum FROM migrate_history WHERE revision = '{revision}'"
    ))
    .await
}

pub async fn comment_and_layout_edits_are_not_drift_and_accepted_edits_are_recorded(
    db: &impl TestDb,
) {
    let dir = Dir::chain(3);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    let before = recorded(db, "r01").await;
    assert!(before.starts_with("v2:"), "{before}");

    // Comments, indentation and line breaks: no drift, and start-up at
    // head still takes the short way (no lock: another run holds it).
    dir.edit(
        "r01",
        "CREATE TABLE t01 (id INTEGER PRIMARY KEY, v TEXT);",
        "-- the first table\nCREATE TABLE t01 (\n    id INTEGER PRIMARY KEY, /* key */\n    v  TEXT\n)  ;",
    );
    let held = hold_migration_lock(db).await;
    let report = dir
        .migrator()
        .with_lock_timeout(Duration::from_millis(200))
        .upgrade(db.pool(), "head")
        .await
        .unwrap();
    assert!(report.revisions.is_empty());
    held.release().await;
    assert_eq!(dir.migrator().current(db.pool()).await.unwrap(), ["r03"]);

    // A changed literal is drift, and the error says how to accept it.
    dir.edit("r02", "v TEXT", "v TEXT DEFAULT 'x'");
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "r02"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("`migrate stamp --accept-checksum r02`"),
        "{err}"
    );
    dir.edit("r02", "v TEXT DEFAULT 'x'", "v TEXT DEFAULT 'y'");
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(matches!(&err, Error::ChecksumMismatch { .. }), "{err:?}");

    // Accepting records the file's checksum and nothing else.
    let m = dir.migrator();
    let history_before = m.history(db.pool()).await.unwrap();
    let report = m.accept_checksums(db.pool(), &["r02"]).await.unwrap();
    let now = m
        .revisions()
        .iter()
        .find(|r| r.id() == "r02")
        .unwrap()
        .checksum()
        .to_owned();
    assert_eq!(
        report.accepted,
        [(
            "r02".to_owned(),
            recorded_before(&history_before, "r02"),
            now.clone()
        )]
    );
    assert_eq!(recorded(db, "r02").await, now);
    let history_after = m.history(db.pool()).await.unwrap();
    assert_eq!(history_after.len(), history_before.len());
    for (a, b) in history_before.iter().zip(&history_after) {
        assert_eq!(
            (&a.revision, &a.state, a.seq),
            (&b.revision, &b.state, b.seq)
        );
    }
    m.upgrade(db.pool(), "head").await.unwrap();
    let again = m.accept_checksums(db.pool(), &["r02"]).await.unwrap();
    assert_eq!(again.unchanged, ["r02"]);
    assert!(again.accepted.is_empty());

    // A revision that is not applied cannot be accepted; the history stays.
    m.downgrade(db.pool(), "-1").await.unwrap();
    let err = m.accept_checksums(db.pool(), &["r03"]).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotApplied { revision, .. } if revision == "r03"),
        "{err:?}"
    );
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 2);
}

fn recorded_before(rows: &[migrate_runtime::HistoryEntry], revision: &str) -> String {
    rows.iter()
        .find(|r| r.revision == revision)
        .unwrap()
        .checksum
        .clone()
}

/// A history written before checksums ignored comments holds `v1`
/// values: they verify, start-up at head stays lock-free, a comment edit
/// is drift for them (as it was) and accepting it moves the row to `v2`.
pub async fn v1_histories_keep_verifying_and_starting_without_the_lock(db: &impl TestDb) {
    let dir = Dir::chain(3);
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    for rev in m.revisions().iter() {
        let v1 = migrate_core::checksum::checksum_v1(rev.upgrade().sql());
        db.exec(&format!(
            "UPDATE migrate_history SET checksum = '{v1}' WHERE revision = '{}'",
            rev.id()
        ))
        .await
        .unwrap();
    }
    let held = hold_migration_lock(db).await;
    let fast = dir.migrator().with_lock_timeout(Duration::from_millis(200));
    assert!(
        fast.upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );
    assert_eq!(fast.current(db.pool()).await.unwrap(), ["r03"]);
    assert!(fast.pending(db.pool()).await.unwrap().is_empty());
    held.release().await;

    // One row v1, the others v2: still at head, still verified.
    dir.migrator()
        .accept_checksums(db.pool(), &["r03"])
        .await
        .unwrap();
    assert!(recorded(db, "r03").await.starts_with("v2:"));
    assert!(recorded(db, "r01").await.starts_with("v1:"));
    let held = hold_migration_lock(db).await;
    assert!(
        fast.upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );
    held.release().await;

    // New revisions are recorded with v2 beside the v1 rows.
    dir.rev(
        "r04",
        "r03",
        "CREATE TABLE t04 (id INTEGER);",
        Some("DROP TABLE t04;"),
    );
    let report = dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions, ["r04"]);
    assert!(recorded(db, "r04").await.starts_with("v2:"));

    // v1 rows see a comment edit as before.
    dir.edit("r01", "CREATE TABLE t01", "-- note\nCREATE TABLE t01");
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "r01"),
        "{err:?}"
    );
    let accepted = dir
        .migrator()
        .accept_checksums(db.pool(), &["r01"])
        .await
        .unwrap();
    assert_eq!(accepted.accepted.len(), 1);
    assert!(recorded(db, "r01").await.starts_with("v2:"));
    assert!(
        dir.migrator()
            .upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );
}

/// A transaction on its own connection that reads `table` (so holds an
/// ACCESS SHARE lock on it) until released; returns it with its pid.
async fn reader_of(
    db: &crate::common::Pg,
    table: &str,
) -> (sqlx::pool::PoolConnection<sqlx::Postgres>, i32) {
    let pool = db.other_pool().await;
    let mut conn = pool.acquire().await.unwrap();
    sqlx::raw_sql(&format!("BEGIN; SELECT count(*) FROM {table}"))
        .execute(&mut *conn)
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    (conn, pid)
}

/// `DO` block that fails unless the session's lock_timeout is `expected`.
fn expect_lock_timeout(expected: &str) -> String {
    format!(
        "DO $$ BEGIN IF current_setting('lock_timeout') <> '{expected}' THEN RAISE EXCEPTION 'lock_timeout is %', current_setting('lock_timeout'); END IF; END $$;"
    )
}

/// A chain: r01 creates `orders`; r02 (`lock_timeout: 200ms`,
/// `lock_retries: RETRIES`) alters it; r03 checks the session's own
/// lock_timeout is back.
fn altering_chain(retries: u32) -> Dir {
    let dir = Dir::new();
    dir.rev(
        "r01",
        "",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE orders;"),
    );
    dir.rev_with(
        "r02",
        "r01",
        &format!("-- lock_timeout: 200ms\n-- lock_retries: {retries}\n"),
        &format!(
            "{}\nALTER TABLE orders ADD COLUMN note TEXT;",
            expect_lock_timeout("200ms")
        ),
        Some("ALTER TABLE orders DROP COLUMN note;"),
    );
    dir.rev(
        "r03",
        "r02",
        &format!(
            "{}\nCREATE TABLE after_orders (id INTEGER);",
            expect_lock_timeout("0")
        ),
        Some("DROP TABLE after_orders;"),
    );
    dir
}

pub async fn lock_timeout_retries_until_the_holder_commits(db: &crate::common::Pg) {
    let dir = altering_chain(10);
    dir.migrator().upgrade(db.pool(), "r01").await.unwrap();
    let (mut holder, _) = reader_of(db, "orders").await;
    let started = std::time::Instant::now();
    let m = dir.migrator();
    let (report, ()) = tokio::join!(m.upgrade(db.pool(), "head"), async {
        tokio::time::sleep(Duration::from_millis(700)).await;
        sqlx::raw_sql("COMMIT").execute(&mut *holder).await.unwrap();
    });
    let report = report.unwrap();
    assert_eq!(report.revisions, ["r02", "r03"]);
    assert!(
        started.elapsed() >= Duration::from_millis(700),
        "the run waited for the holder"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM information_schema.columns WHERE table_name = 'orders' AND column_name = 'note'")
            .await,
        1
    );
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 3);
    // The downgrade runs with the same timeout.
    dir.migrator().downgrade(db.pool(), "r01").await.unwrap();
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 1);
}

pub async fn lock_timeout_gives_up_naming_the_holder(db: &crate::common::Pg) {
    let dir = altering_chain(2);
    let m = dir.migrator();
    m.upgrade(db.pool(), "r01").await.unwrap();
    let (mut holder, pid) = reader_of(db, "orders").await;
    let started = std::time::Instant::now();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    let elapsed = started.elapsed();
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut *holder)
        .await
        .unwrap();
    let text = err.to_string();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "r02"),
        "{err:?}"
    );
    for needle in [
        "canceling statement due to lock timeout",
        "(lock_timeout 200 ms, 3 attempts)",
        &format!("server process {pid} ("),
        "holds orders (AccessShareLock)",
        "the database remains at r01",
    ] {
        assert!(text.contains(needle), "{needle:?} not in: {text}");
    }
    // 3 attempts of 200 ms, and waits of 200 and 400 ms between them.
    assert!(elapsed >= Duration::from_millis(1200), "{elapsed:?}");
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r01"]);
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 1);

    // With nobody in the way it goes through, and r03 sees the session's
    // own lock_timeout again.
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions, ["r02", "r03"]);
}

/// `lock_timeout` in migrate.toml gives every revision a timeout unless
/// its header says `none`; a non-transactional revision gets it as the
/// session's setting, put back after it.
pub async fn lock_timeout_default_and_non_transactional_revisions(db: &crate::common::Pg) {
    let dir = Dir::new();
    dir.rev(
        "r01",
        "",
        &format!(
            "{}\nCREATE TABLE t (id INTEGER);",
            expect_lock_timeout("1500ms")
        ),
        Some("DROP TABLE t;"),
    );
    dir.rev_with(
        "r02",
        "r01",
        "-- lock_timeout: none\n",
        &format!("{}\nCREATE TABLE u (id INTEGER);", expect_lock_timeout("0")),
        Some("DROP TABLE u;"),
    );
    dir.rev_with(
        "r03",
        "r02",
        "-- transactional: false\n-- lock_timeout: 3s\n",
        &format!(
            "{}\nCREATE INDEX CONCURRENTLY t_id ON t (id);",
            expect_lock_timeout("3s")
        ),
        Some("DROP INDEX CONCURRENTLY t_id;"),
    );
    dir.rev(
        "r04",
        "r03",
        &format!(
            "{}\nCREATE TABLE v (id INTEGER);",
            expect_lock_timeout("1500ms")
        ),
        Some("DROP TABLE v;"),
    );
    let config = migrate_core::Config::parse(
        "migrate.toml",
        "lock_timeout = \"1500ms\"\nlock_retries = 2\n",
    )
    .unwrap();
    let m = migrate_runtime::Migrator::from_directory(dir.path(), "migrations", &config).unwrap();
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions, ["r01", "r02", "r03", "r04"]);
    // Nothing leaked into the pool's sessions.
    assert_eq!(db.text("SELECT current_setting('lock_timeout')").await, "0");
    m.downgrade(db.pool(), "base").await.unwrap();
}

/// The history row of `revision`: its stored downgrade and kind.
async fn stored(db: &impl TestDb, revision: &str) -> (String, String) {
    (
        db.text(&format!(
            "SELECT coalesce(downgrade_sql, 'NULL') FROM migrate_history WHERE revision = '{revision}'"
        ))
        .await,
        db.text(&format!(
            "SELECT coalesce(downgrade_kind, 'NULL') FROM migrate_history WHERE revision = '{revision}'"
        ))
        .await,
    )
}

/// A build without r03 and r04 (the application rolled back) reverts them
/// from the SQL their rows keep, newest first, a non-transactional one
/// statement by statement; every other run refuses and says how.
pub async fn a_build_without_a_revision_reverts_it_from_the_history(db: &impl TestDb) {
    let dir = Dir::chain(2);
    dir.rev_with(
        "r03",
        "r02",
        "-- transactional: false\n",
        "CREATE TABLE t03 (id INTEGER);\nCREATE INDEX t03_id ON t03 (id);",
        Some("DROP INDEX t03_id;\nDROP TABLE t03;"),
    );
    dir.rev(
        "r04",
        "r03",
        "CREATE TABLE t04 (id INTEGER, note TEXT DEFAULT 'it''s');",
        Some("-- the stored text is the section as written\nDROP TABLE t04;"),
    );
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(
        stored(db, "r04").await,
        (
            "-- the stored text is the section as written\nDROP TABLE t04;\n".to_owned(),
            "transactional".to_owned()
        )
    );
    assert_eq!(stored(db, "r03").await.1, "non-transactional");

    dir.remove("r03");
    dir.remove("r04");
    let older = dir.migrator();
    let err = older.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        err.to_string()
            .contains("`migrate downgrade --from-history`"),
        "{err}"
    );
    let report = older.downgrade_from_history(db.pool()).await.unwrap();
    assert_eq!(report.revisions, ["r04", "r03"]);
    assert_eq!(report.current, ["r02"]);
    assert_eq!(
        db.tables().await,
        crate::common::names(&["migrate_history", "t01", "t02"])
    );
    assert_eq!(older.current(db.pool()).await.unwrap(), ["r02"]);
    // Nothing left to revert: nothing happens.
    let again = older.downgrade_from_history(db.pool()).await.unwrap();
    assert!(again.revisions.is_empty());
    assert_eq!(again.current, ["r02"]);
}

/// Refusals come before anything runs: an irreversible revision, a row
/// written without its downgrade; a failing stored statement rolls its
/// revision back and keeps what was reverted before it.
pub async fn reverting_from_the_history_refuses_what_it_cannot_undo(db: &impl TestDb) {
    let dir = Dir::chain(2);
    dir.rev("r03", "r02", "CREATE TABLE t03 (id INTEGER);", None);
    dir.rev(
        "r04",
        "r03",
        "CREATE TABLE t04 (id INTEGER);",
        Some("DROP TABLE t04;"),
    );
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(
        stored(db, "r03").await,
        ("NULL".to_owned(), "irreversible".to_owned())
    );
    dir.remove("r03");
    dir.remove("r04");
    let older = dir.migrator();
    let err = older.downgrade_from_history(db.pool()).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotRevertible { revision, .. } if revision == "r03"),
        "{err:?}"
    );
    assert!(err.to_string().contains("it is irreversible"), "{err}");
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 4);
    assert_eq!(db.tables().await.len(), 5, "nothing ran, r04 included");

    // A row an earlier version wrote holds no downgrade.
    db.exec("UPDATE migrate_history SET downgrade_sql = NULL, downgrade_kind = NULL WHERE revision = 'r04'")
        .await
        .unwrap();
    let err = older.downgrade_from_history(db.pool()).await.unwrap_err();
    assert!(
        matches!(&err, Error::NotRevertible { revision, .. } if revision == "r04"),
        "{err:?}"
    );
    assert!(
        err.to_string().contains("does not hold its downgrade"),
        "{err}"
    );

    // A stored statement that fails: r04 (the newest) is rolled back and
    // stays applied, and r03 is not tried.
    db.exec("UPDATE migrate_history SET downgrade_sql = 'DROP TABLE t04;\nDROP TABLE not_there;', downgrade_kind = 'transactional' WHERE revision = 'r04'")
        .await
        .unwrap();
    db.exec("UPDATE migrate_history SET downgrade_sql = 'DROP TABLE t03;', downgrade_kind = 'transactional' WHERE revision = 'r03'")
        .await
        .unwrap();
    let err = older.downgrade_from_history(db.pool()).await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, line: 2, .. } if revision == "r04"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("(stored downgrade in `migrate_history`:2)"),
        "{err}"
    );
    assert!(db.tables().await.contains(&"t04".to_owned()), "rolled back");
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 4);
    db.exec("UPDATE migrate_history SET downgrade_sql = 'DROP TABLE t04;' WHERE revision = 'r04'")
        .await
        .unwrap();
    let report = older.downgrade_from_history(db.pool()).await.unwrap();
    assert_eq!(report.revisions, ["r04", "r03"]);
}

/// A history table from before the downgrade columns gets them at the
/// next run; its old rows hold no downgrade, new rows do.
pub async fn an_older_history_table_gains_the_downgrade_columns(db: &impl TestDb) {
    let dir = Dir::chain(2);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    db.exec("ALTER TABLE migrate_history DROP COLUMN downgrade_sql")
        .await
        .unwrap();
    db.exec("ALTER TABLE migrate_history DROP COLUMN downgrade_kind")
        .await
        .unwrap();
    // Start-up at head and the read-only questions do not need them.
    assert!(
        dir.migrator()
            .upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );
    dir.rev(
        "r03",
        "r02",
        "CREATE TABLE t03 (id INTEGER);",
        Some("DROP TABLE t03;"),
    );
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(
        stored(db, "r01").await,
        ("NULL".to_owned(), "NULL".to_owned())
    );
    assert_eq!(
        stored(db, "r03").await,
        ("DROP TABLE t03;\n".to_owned(), "transactional".to_owned())
    );
    // The normal downgrade does not need what is stored.
    dir.migrator().downgrade(db.pool(), "base").await.unwrap();
}

/// A non-transactional revision that failed part-way goes on from the
/// statement after the last one recorded, once the cause is fixed; its
/// downgrade likewise.
pub async fn an_interrupted_revision_resumes_at_its_next_statement(db: &impl TestDb) {
    let dir = Dir::chain(1);
    dir.rev_with(
        "r02",
        "r01",
        "-- transactional: false\n",
        "CREATE TABLE a (id INTEGER);\nINSERT INTO fixed_later VALUES (1);\nCREATE TABLE c (id INTEGER);",
        Some("DROP TABLE c;\nDROP TABLE a;"),
    );
    dir.rev(
        "r03",
        "r02",
        "CREATE TABLE t03 (id INTEGER);",
        Some("DROP TABLE t03;"),
    );
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "r02"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("continue from statement 2 with `migrate upgrade --resume`"),
        "{err}"
    );
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(matches!(&err, Error::PartiallyApplied { .. }), "{err:?}");
    assert!(
        err.to_string().contains("`migrate upgrade --resume`"),
        "{err}"
    );
    // Still failing: recorded as failed again, at the same place.
    let err = m.upgrade_resuming(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { statement: 2, .. }),
        "{err:?}"
    );
    db.exec("CREATE TABLE fixed_later (id INTEGER)")
        .await
        .unwrap();
    let report = m.upgrade_resuming(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions, ["r02", "r03"]);
    assert_eq!(
        db.count("SELECT count(*) FROM fixed_later").await,
        1,
        "statement 2 ran once, statement 1 was not run again"
    );
    assert_eq!(
        db.count("SELECT statements_done FROM migrate_history WHERE revision = 'r02' AND state = 'applied'")
            .await,
        3
    );
    assert!(
        m.upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );

    // The downgrade: its first statement fails (c is gone), r03 is
    // already reverted; resuming after the fix finishes r02 only.
    db.exec("DROP TABLE c").await.unwrap();
    let err = m.downgrade(db.pool(), "r01").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 1, .. } if revision == "r02"),
        "{err:?}"
    );
    db.exec("CREATE TABLE c (id INTEGER)").await.unwrap();
    // An upgrade does not resume a downgrade.
    let err = m.upgrade_resuming(db.pool(), "head").await.unwrap_err();
    assert!(matches!(&err, Error::PartiallyApplied { .. }), "{err:?}");
    assert!(
        err.to_string().contains("`migrate downgrade --resume`"),
        "{err}"
    );
    let report = m.downgrade_resuming(db.pool(), "r01").await.unwrap();
    assert_eq!(report.revisions, ["r02"]);
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r01"]);
    assert!(!db.tables().await.contains(&"a".to_owned()));
}

/// SIGKILL while each statement of a non-transactional revision waits
/// for a lock, then resume: every statement ends up run once.
pub async fn resume_after_a_kill_at_each_statement(db: &crate::common::Pg) {
    for k in 1..=3 {
        // Each round ends back at base, so the next starts afresh.
        let dir = Dir::new();
        dir.rev(
            "r01",
            "",
            "CREATE TABLE t1 (id INTEGER);\nCREATE TABLE t2 (id INTEGER);\nCREATE TABLE t3 (id INTEGER);",
            Some("DROP TABLE t3;\nDROP TABLE t2;\nDROP TABLE t1;"),
        );
        dir.rev_with(
            "r02",
            "r01",
            "-- transactional: false\n",
            "ALTER TABLE t1 ADD COLUMN c INTEGER;\nALTER TABLE t2 ADD COLUMN c INTEGER;\nALTER TABLE t3 ADD COLUMN c INTEGER;",
            Some("ALTER TABLE t3 DROP COLUMN c;\nALTER TABLE t2 DROP COLUMN c;\nALTER TABLE t1 DROP COLUMN c;"),
        );
        dir.migrator().upgrade(db.pool(), "r01").await.unwrap();
        let (mut holder, _) = reader_of(db, &format!("t{k}")).await;
        let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_migrate-test-upgrade"))
            .arg(db.url())
            .arg(dir.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        // Statement k waits for the holder's lock.
        let waiting = format!(
            "SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation WHERE NOT l.granted AND c.relname = 't{k}'"
        );
        let started = std::time::Instant::now();
        while db.count(&waiting).await == 0 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "statement {k} never waited"
            );
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        child.kill().unwrap();
        child.wait().unwrap();
        // The server ends the dead client's statement (it checks the
        // connection every second while a statement runs).
        let started = std::time::Instant::now();
        while db.count(&waiting).await > 0 {
            assert!(
                started.elapsed() < Duration::from_secs(20),
                "the server kept waiting"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        sqlx::raw_sql("ROLLBACK")
            .execute(&mut *holder)
            .await
            .unwrap();
        assert_eq!(
            db.count("SELECT statements_done FROM migrate_history WHERE revision = 'r02' AND state = 'running'")
                .await,
            i64::from(k - 1),
            "statements before {k} recorded as done"
        );
        let m = dir.migrator();
        let report = m.upgrade_resuming(db.pool(), "head").await.unwrap();
        assert_eq!(report.revisions, ["r02"]);
        assert_eq!(
            db.count("SELECT count(*) FROM information_schema.columns WHERE column_name = 'c' AND table_name IN ('t1', 't2', 't3')")
                .await,
            3,
            "killed at statement {k}"
        );
        m.downgrade(db.pool(), "base").await.unwrap();
    }
}
