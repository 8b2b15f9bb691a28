//! Runtime behaviour, written once and run against SQLite and PostgreSQL.

use std::time::Duration;

use migrate_runtime::{Direction, Error, Migrator, TransactionMode};

use crate::common::{Dir, TestDb, names};

pub async fn upgrade_head_applies_every_revision_and_records_history(db: &impl TestDb) {
    let dir = Dir::chain(3);
    let m = dir.migrator();
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.direction, Direction::Upgrade);
    assert_eq!(report.revisions, vec!["r01", "r02", "r03"]);
    assert_eq!(report.durations.len(), 3);
    assert_eq!(report.current, vec!["r03"]);
    assert_eq!(
        db.tables().await,
        names(&["migrate_history", "t01", "t02", "t03"])
    );

    let history = m.history(db.pool()).await.unwrap();
    assert_eq!(history.len(), 3);
    for (entry, rev) in history.iter().zip(m.revisions()) {
        assert_eq!(entry.revision, rev.id());
        assert_eq!(entry.checksum, rev.checksum());
        assert_eq!(entry.state, "applied");
        assert!(entry.duration_ms >= 0);
        assert!(!entry.applied_at.is_empty());
    }
    assert_eq!(
        history.iter().map(|h| h.seq).collect::<Vec<_>>(),
        vec![1, 2, 3]
    );
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["r03"]);
}

pub async fn upgrade_at_head_does_nothing(db: &impl TestDb) {
    let m = Dir::chain(2).migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    let again = m.upgrade(db.pool(), "head").await.unwrap();
    assert!(again.revisions.is_empty());
    assert_eq!(again.current, vec!["r02"]);
    assert!(m.pending(db.pool()).await.unwrap().is_empty());
}

pub async fn downgrade_one_step_then_to_base(db: &impl TestDb) {
    let m = Dir::chain(3).migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    let report = m.downgrade(db.pool(), "-1").await.unwrap();
    assert_eq!(report.direction, Direction::Downgrade);
    assert_eq!(report.revisions, vec!["r03"]);
    assert_eq!(db.tables().await, names(&["migrate_history", "t01", "t02"]));
    let report = m.downgrade(db.pool(), "base").await.unwrap();
    assert_eq!(report.revisions, vec!["r02", "r01"]);
    assert!(report.current.is_empty());
    assert_eq!(db.tables().await, names(&["migrate_history"]));
    assert!(m.history(db.pool()).await.unwrap().is_empty());
}

pub async fn relative_partial_and_exact_targets(db: &impl TestDb) {
    let m = Dir::chain(4).migrator();
    assert_eq!(
        m.upgrade(db.pool(), "+1").await.unwrap().revisions,
        vec!["r01"]
    );
    assert_eq!(
        m.upgrade(db.pool(), "r03").await.unwrap().revisions,
        vec!["r02", "r03"]
    );
    assert_eq!(
        m.downgrade(db.pool(), "r03-2").await.unwrap().revisions,
        vec!["r03", "r02"]
    );
    assert_eq!(
        m.upgrade(db.pool(), "r01+2").await.unwrap().revisions,
        vec!["r02", "r03"]
    );
    assert_eq!(
        m.upgrade(db.pool(), "head").await.unwrap().revisions,
        vec!["r04"]
    );
    let err = m.downgrade(db.pool(), "-5").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Relative revision -5 didn't produce 5 migrations"),
        "{err}"
    );
    let err = m.upgrade(db.pool(), "zzz").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Can't locate revision identified by 'zzz'"),
        "{err}"
    );
    let err = m.upgrade(db.pool(), "r0").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Multiple revisions start with 'r0'"),
        "{err}"
    );
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["r04"]);
}

async fn failing_revision_leaves_database_at_previous(db: &impl TestDb, mode: TransactionMode) {
    let dir = Dir::new();
    dir.rev(
        "a1",
        "",
        "CREATE TABLE ta (id INTEGER);",
        Some("DROP TABLE ta;"),
    );
    dir.rev(
        "b2",
        "a1",
        "CREATE TABLE tb (id INTEGER);\nINSERT INTO missing_table VALUES (1);",
        Some("DROP TABLE tb;"),
    );
    dir.rev(
        "c3",
        "b2",
        "CREATE TABLE tc (id INTEGER);",
        Some("DROP TABLE tc;"),
    );
    let m = dir.migrator().with_transaction_mode(mode);
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    match &err {
        Error::MigrationFailed {
            revision,
            statement,
            line,
            path,
            ..
        } => {
            assert_eq!(revision, "b2");
            assert_eq!(*statement, 2);
            assert_eq!(*line, 7);
            assert!(path.ends_with("-b2_r.sql"), "{path}");
        }
        other => panic!("expected MigrationFailed, got {other:?}"),
    }
    let text = err.to_string();
    assert!(
        text.contains("missing_table"),
        "the database's message is kept: {text}"
    );
    assert!(text.contains("database remains at a1"), "{text}");
    assert_eq!(db.tables().await, names(&["migrate_history", "ta"]));
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["a1"]);
    assert_eq!(m.history(db.pool()).await.unwrap().len(), 1);

    // Fixing the file (never applied, so no drift) lets the run complete.
    dir.edit(
        "b2",
        "INSERT INTO missing_table VALUES (1);",
        "INSERT INTO tb VALUES (1);",
    );
    let m = dir.migrator();
    assert_eq!(
        m.upgrade(db.pool(), "head").await.unwrap().revisions,
        vec!["b2", "c3"]
    );
}

pub async fn upgrade_stops_at_failed_revision(db: &impl TestDb) {
    failing_revision_leaves_database_at_previous(db, TransactionMode::Single).await;
}

pub async fn upgrade_stops_at_failed_revision_per_revision_commits(db: &impl TestDb) {
    failing_revision_leaves_database_at_previous(db, TransactionMode::PerRevision).await;
}

/// A plan longer than one piece of the one-script run (64 statements):
/// every revision recorded once with its own duration, in order; then the
/// same with a failure in a late piece, which leaves the database at the
/// revision before it, the earlier pieces' work kept by the revision by
/// revision rerun and nothing of the failing one.
pub async fn long_plans_cross_pieces_of_the_script(db: &impl TestDb) {
    let dir = Dir::chain(150);
    let m = dir.migrator();
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions.len(), 150);
    assert_eq!(report.durations.len(), 150);
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 150);
    assert_eq!(
        db.text("SELECT revision FROM migrate_history ORDER BY seq DESC LIMIT 1")
            .await,
        "r150"
    );
    let report = m.downgrade(db.pool(), "r20").await.unwrap();
    assert_eq!(report.revisions.len(), 130);
    assert_eq!(report.revisions[0], "r150");
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 20);
    // Revision r120 now fails, in the second piece of the plan from r21.
    dir.edit(
        "r120",
        "CREATE TABLE t120 (id INTEGER PRIMARY KEY, v TEXT);",
        "CREATE TABLE t120 (id INTEGER PRIMARY KEY, v TEXT);\nSELECT * FROM not_there;",
    );
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "r120"),
        "{err:?}"
    );
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["r119"]);
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 119);
    let tables = db.tables().await;
    assert!(tables.contains(&"t119".to_owned()), "{tables:?}");
    assert!(!tables.contains(&"t120".to_owned()), "{tables:?}");
}

pub async fn failing_downgrade_keeps_revision_applied(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "a1",
        "",
        "CREATE TABLE ta (id INTEGER);",
        Some("DROP TABLE ta;"),
    );
    dir.rev(
        "b2",
        "a1",
        "CREATE TABLE tb (id INTEGER);",
        Some("DROP TABLE tb;\nDROP TABLE not_there;"),
    );
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    let err = m.downgrade(db.pool(), "base").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "b2"),
        "{err:?}"
    );
    assert_eq!(db.tables().await, names(&["migrate_history", "ta", "tb"]));
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["b2"]);
}

pub async fn edited_applied_revision_is_refused(db: &impl TestDb) {
    let dir = Dir::chain(2);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    dir.rev(
        "r03",
        "r02",
        "CREATE TABLE t03 (id INTEGER);",
        Some("DROP TABLE t03;"),
    );
    dir.edit("r01", "v TEXT", "v TEXT, w TEXT");
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "r01"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("the upgrade SQL was edited after it was applied"),
        "{err}"
    );
    assert_eq!(
        db.tables().await,
        names(&["migrate_history", "t01", "t02"]),
        "nothing ran"
    );

    // Undoing the edit with other line endings and trailing spaces is not drift.
    dir.edit("r01", "v TEXT, w TEXT", "v TEXT");
    for entry in std::fs::read_dir(dir.path()).unwrap() {
        let path = entry.unwrap().path();
        if path.to_string_lossy().contains("-r01_") {
            let text = std::fs::read_to_string(&path).unwrap();
            std::fs::write(&path, format!("\u{feff}{}", text.replace('\n', "  \r\n"))).unwrap();
        }
    }
    assert_eq!(
        dir.migrator()
            .upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions,
        vec!["r03"]
    );
}

/// At head, start-up takes the short way (one read, no lock); it must still
/// see an edited file, a hand-edited history and an unfinished revision.
pub async fn start_up_at_head_still_sees_edits_and_tampering(db: &impl TestDb) {
    let dir = Dir::chain(3);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    let at_head = dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert!(at_head.revisions.is_empty());
    assert_eq!(at_head.current, vec!["r03"]);

    // The short way takes no lock: another run holding it does not delay a
    // start-up that has nothing to do.
    let held = crate::common::hold_migration_lock(db).await;
    let quick = dir
        .migrator()
        .with_lock_timeout(Duration::from_millis(200))
        .upgrade(db.pool(), "head")
        .await
        .unwrap();
    assert!(quick.revisions.is_empty());
    held.release().await;

    // An applied file edited, nothing pending.
    dir.edit("r02", "v TEXT", "v TEXT, w TEXT");
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "r02"),
        "{err:?}"
    );
    dir.edit("r02", "v TEXT, w TEXT", "v TEXT");

    // A recorded checksum changed by hand.
    let recorded = db
        .text("SELECT checksum FROM migrate_history WHERE revision = 'r01'")
        .await;
    db.exec("UPDATE migrate_history SET checksum = 'x' WHERE revision = 'r01'")
        .await
        .unwrap();
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "r01"),
        "{err:?}"
    );
    db.exec(&format!(
        "UPDATE migrate_history SET checksum = '{recorded}' WHERE revision = 'r01'"
    ))
    .await
    .unwrap();

    // A row deleted by hand: r03 is pending again and is run (and fails,
    // its table being there), rather than skipped.
    db.exec("DELETE FROM migrate_history WHERE revision = 'r03'")
        .await
        .unwrap();
    let err = dir.migrator().upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, .. } if revision == "r03"),
        "{err:?}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM migrate_history").await,
        2,
        "history unchanged by the failed run"
    );
}

pub async fn unknown_applied_revision_is_refused(db: &impl TestDb) {
    let dir = Dir::chain(3);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    dir.remove("r03");
    let older = dir.migrator();
    for err in [
        older.upgrade(db.pool(), "head").await.unwrap_err(),
        older.current(db.pool()).await.unwrap_err(),
    ] {
        assert!(
            err.to_string()
                .starts_with("Can't locate revision identified by 'r03'"),
            "{err}"
        );
    }
    assert_eq!(db.tables().await.len(), 4, "nothing ran");
}

pub async fn downgrade_through_irreversible_revision_is_refused(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "a1",
        "",
        "CREATE TABLE ta (id INTEGER);",
        Some("DROP TABLE ta;"),
    );
    dir.rev("b2", "a1", "CREATE TABLE tb (id INTEGER);", None);
    dir.rev(
        "c3",
        "b2",
        "CREATE TABLE tc (id INTEGER);",
        Some("DROP TABLE tc;"),
    );
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    let err = m.downgrade(db.pool(), "base").await.unwrap_err();
    assert!(err.to_string().starts_with("revision b2 ("), "{err}");
    assert!(
        err.to_string()
            .contains("has no `-- migrate:downgrade` section"),
        "{err}"
    );
    assert_eq!(
        m.current(db.pool()).await.unwrap(),
        vec!["c3"],
        "c3 was not downgraded either"
    );
    assert_eq!(
        m.downgrade(db.pool(), "b2").await.unwrap().revisions,
        vec!["c3"]
    );
}

pub async fn branches_merge_and_depends_on(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "base1",
        "",
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    dir.rev(
        "left1",
        "base1",
        "CREATE TABLE l (id INTEGER);",
        Some("DROP TABLE l;"),
    );
    dir.rev(
        "right1",
        "base1",
        "CREATE TABLE r (id INTEGER);",
        Some("DROP TABLE r;"),
    );
    dir.rev("merge1", "left1, right1", "", Some(""));
    dir.rev_with(
        "dep1",
        "merge1",
        "-- depends_on: left1\n",
        "CREATE TABLE d (id INTEGER);",
        Some("DROP TABLE d;"),
    );
    let m = dir.migrator();
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(
        report.revisions,
        vec!["base1", "left1", "right1", "merge1", "dep1"]
    );
    assert_eq!(
        m.downgrade(db.pool(), "merge1").await.unwrap().revisions,
        vec!["dep1"]
    );
    assert_eq!(
        m.downgrade(db.pool(), "-1").await.unwrap().revisions,
        vec!["merge1"]
    );
    let mut current = m.current(db.pool()).await.unwrap();
    current.sort();
    assert_eq!(current, vec!["left1", "right1"]);
    let err = m.downgrade(db.pool(), "-1").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Multiple head revisions are present for given argument '-1'"),
        "{err}"
    );
    assert_eq!(
        m.downgrade(db.pool(), "right1-1").await.unwrap().revisions,
        vec!["right1", "left1"]
    );
}

pub async fn labelled_branches_upgrade_independently(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev_with(
        "core1",
        "",
        "-- branch_labels: core\n",
        "CREATE TABLE c1 (id INTEGER);",
        Some("DROP TABLE c1;"),
    );
    dir.rev(
        "core2",
        "core1",
        "CREATE TABLE c2 (id INTEGER);",
        Some("DROP TABLE c2;"),
    );
    dir.rev_with(
        "audit1",
        "",
        "-- branch_labels: audit\n",
        "CREATE TABLE a1 (id INTEGER);",
        Some("DROP TABLE a1;"),
    );
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        err.to_string()
            .starts_with("Multiple head revisions are present for given argument 'head'"),
        "{err}"
    );
    assert_eq!(
        m.upgrade(db.pool(), "audit@head").await.unwrap().revisions,
        vec!["audit1"]
    );
    assert_eq!(
        m.upgrade(db.pool(), "heads").await.unwrap().revisions,
        vec!["core1", "core2"]
    );
    assert_eq!(
        m.downgrade(db.pool(), "audit@base")
            .await
            .unwrap()
            .revisions,
        vec!["audit1"]
    );
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["core2"]);
}

pub async fn stamp_records_without_running_sql(db: &impl TestDb) {
    let m = Dir::chain(3).migrator();
    let report = m.stamp(db.pool(), &["r02"], false).await.unwrap();
    assert_eq!(report.added, vec!["r01", "r02"]);
    assert_eq!(db.tables().await, names(&["migrate_history"]), "no SQL ran");
    let history = m.history(db.pool()).await.unwrap();
    assert!(history.iter().all(|h| h.state == "stamped"));
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["r02"]);
    let report = m.stamp(db.pool(), &["base"], false).await.unwrap();
    assert_eq!(report.removed, vec!["r02", "r01"]);
    assert!(m.current(db.pool()).await.unwrap().is_empty());

    // --purge clears revisions this directory does not know.
    let full = Dir::chain(4);
    full.migrator()
        .stamp(db.pool(), &["head"], false)
        .await
        .unwrap();
    assert!(m.current(db.pool()).await.is_err());
    let report = m.stamp(db.pool(), &["head"], true).await.unwrap();
    assert_eq!(report.current, vec!["r03"]);
    assert_eq!(m.history(db.pool()).await.unwrap().len(), 3);
}

/// The revisions of the history table, in the order it lists them.
async fn history_ids(m: &Migrator, db: &impl TestDb) -> Vec<String> {
    m.history(db.pool())
        .await
        .unwrap()
        .into_iter()
        .map(|h| h.revision)
        .collect()
}

/// A stamp removes its rows in one statement (SQLite: one per 999 bound
/// values): here a stamp down over several revisions, then a purge of a
/// history longer than that.
pub async fn stamp_removes_many_rows_at_once(db: &impl TestDb) {
    let m = Dir::chain(5).migrator();
    m.stamp(db.pool(), &["head"], false).await.unwrap();
    let report = m.stamp(db.pool(), &["r02"], false).await.unwrap();
    assert_eq!(report.removed, vec!["r05", "r04", "r03"]);
    let left = history_ids(&m, db).await;
    assert_eq!(left, vec!["r01", "r02"]);

    // 1,500 rows of revisions this directory does not know.
    db.exec(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1500) \
         INSERT INTO migrate_history (revision, checksum, seq) SELECT 'gone' || i, 'c', i + 10 FROM n",
    )
    .await
    .unwrap();
    assert_eq!(m.history(db.pool()).await.unwrap().len(), 1502);
    let report = m.stamp(db.pool(), &["r03"], true).await.unwrap();
    assert_eq!(report.current, vec!["r03"]);
    let left = history_ids(&m, db).await;
    assert_eq!(left, vec!["r01", "r02", "r03"]);
}

pub async fn non_transactional_revision_runs_statement_by_statement(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "a1",
        "",
        "CREATE TABLE ta (id INTEGER, v INTEGER);",
        Some("DROP TABLE ta;"),
    );
    let (up, down) = if db.is_postgres() {
        (
            "CREATE INDEX CONCURRENTLY ix_ta_id ON ta (id);\nCREATE INDEX CONCURRENTLY ix_ta_v ON ta (v);",
            // sqlparser does not know DROP INDEX CONCURRENTLY: the escape hatch.
            "-- migrate:no-check\nDROP INDEX CONCURRENTLY ix_ta_v;\n-- migrate:no-check\nDROP INDEX CONCURRENTLY ix_ta_id;",
        )
    } else {
        (
            "CREATE INDEX ix_ta_id ON ta (id);\nCREATE INDEX ix_ta_v ON ta (v);",
            "DROP INDEX ix_ta_v;\nDROP INDEX ix_ta_id;",
        )
    };
    dir.rev_with("b2", "a1", "-- transactional: false\n", up, Some(down));
    dir.rev(
        "c3",
        "b2",
        "CREATE TABLE tc (id INTEGER);",
        Some("DROP TABLE tc;"),
    );
    let m = dir.migrator();
    assert_eq!(
        m.upgrade(db.pool(), "head").await.unwrap().revisions,
        vec!["a1", "b2", "c3"]
    );
    let history = m.history(db.pool()).await.unwrap();
    assert_eq!(
        (history[1].state.as_str(), history[1].statements_done),
        ("applied", 2)
    );
    assert_eq!(
        m.downgrade(db.pool(), "base").await.unwrap().revisions,
        vec!["c3", "b2", "a1"]
    );
}

pub async fn interrupted_non_transactional_revision_is_visible_and_not_retried(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "a1",
        "",
        "CREATE TABLE ta (id INTEGER);",
        Some("DROP TABLE ta;"),
    );
    dir.rev_with(
        "b2",
        "a1",
        "-- transactional: false\n",
        "CREATE TABLE tb (id INTEGER);\nINSERT INTO nowhere VALUES (1);\nCREATE TABLE tb2 (id INTEGER);",
        Some("DROP TABLE tb;"),
    );
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "b2"),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("statements 1 to 1 ran and were not undone"),
        "{err}"
    );
    let history = m.history(db.pool()).await.unwrap();
    assert_eq!(
        (history[1].state.as_str(), history[1].statements_done),
        ("failed", 1)
    );
    assert_eq!(db.tables().await, names(&["migrate_history", "ta", "tb"]));

    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(&err, Error::PartiallyApplied { revision, done: 1, total: 3, .. } if revision == "b2"),
        "{err:?}"
    );
    assert!(err.to_string().contains("migrate stamp"), "{err}");

    // The operator finishes by hand and records it.
    db.exec("CREATE TABLE tb2 (id INTEGER)").await.unwrap();
    m.stamp(db.pool(), &["b2"], false).await.unwrap();
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["b2"]);
    assert!(
        m.upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );
}

/// The refusal after a failed non-transactional downgrade counts the
/// downgrade section's statements, not the upgrade's (it said "2 of 1").
pub async fn interrupted_non_transactional_downgrade_counts_its_own_statements(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev_with(
        "a1",
        "",
        "-- transactional: false\n",
        "CREATE TABLE ta (id INTEGER);",
        Some("CREATE TABLE t1 (id INTEGER);\nCREATE TABLE t2 (id INTEGER);\nINSERT INTO nowhere VALUES (1);\nDROP TABLE ta;"),
    );
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    let err = m.downgrade(db.pool(), "base").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 3, .. } if revision == "a1"),
        "{err:?}"
    );
    let history = m.history(db.pool()).await.unwrap();
    assert_eq!(
        (history[0].state.as_str(), history[0].statements_done),
        ("revert_failed", 2)
    );
    let err = m.downgrade(db.pool(), "base").await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::PartiallyApplied { revision, done: 2, total: 4, section: "downgrade", .. }
                if revision == "a1"
        ),
        "{err:?}"
    );
    assert!(
        err.to_string().contains(
            "2 of the 4 statements of its downgrade section are recorded as done (revert_failed)"
        ),
        "{err}"
    );
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::PartiallyApplied {
                done: 2,
                total: 4,
                ..
            }
        ),
        "{err:?}"
    );
}

pub async fn concurrent_migrators_apply_each_revision_once(db: &impl TestDb) {
    let dir = Dir::chain(30);
    let mut tasks = Vec::new();
    for _ in 0..8 {
        let pool = db.other_pool().await;
        let m = dir.migrator().with_lock_timeout(Duration::from_secs(60));
        tasks.push(tokio::spawn(async move {
            m.upgrade(&pool, "head").await.map(|r| r.revisions.len())
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await.unwrap().unwrap();
    }
    assert_eq!(
        total, 30,
        "every revision applied exactly once across all migrators"
    );
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 30);
    assert_eq!(db.tables().await.len(), 31);
}

pub async fn lock_wait_is_bounded_and_says_so(db: &impl TestDb) {
    let dir = Dir::chain(1);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    if db.is_postgres() {
        // A migration that waits on a table lock held elsewhere, while it holds the migration lock.
        db.exec("CREATE TABLE gate (id INTEGER)").await.unwrap();
        dir.rev("r02", "r01", "LOCK TABLE gate;", Some("SELECT 1;"));
        let gate = db.hold("LOCK TABLE gate").await;
        let slow = dir.migrator();
        let holder_pool = db.other_pool().await;
        let holder = tokio::spawn(async move { slow.upgrade(&holder_pool, "head").await });
        tokio::time::sleep(Duration::from_millis(500)).await;
        let err = dir
            .migrator()
            .with_lock_timeout(Duration::from_millis(300))
            .upgrade(db.pool(), "head")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err:?}");
        let text = err.to_string();
        assert!(
            text.contains("waiting for the migration lock on `migrate_history`"),
            "{text}"
        );
        assert!(text.contains("held by server process"), "{text}");
        gate.release().await;
        assert_eq!(holder.await.unwrap().unwrap().revisions, vec!["r02"]);
    } else {
        // On SQLite the lock is the write lock: another writer holds it.
        dir.rev(
            "r02",
            "r01",
            "CREATE TABLE t02 (id INTEGER);",
            Some("DROP TABLE t02;"),
        );
        let writer = db.hold("SELECT 1").await;
        let err = dir
            .migrator()
            .with_lock_timeout(Duration::from_millis(300))
            .upgrade(db.pool(), "head")
            .await
            .unwrap_err();
        assert!(matches!(err, Error::LockTimeout { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains("another connection is writing to this SQLite file"),
            "{err}"
        );
        writer.release().await;
        assert_eq!(
            dir.migrator()
                .upgrade(db.pool(), "head")
                .await
                .unwrap()
                .revisions,
            vec!["r02"]
        );
    }
}

/// PostgreSQL only: SQLite has no server-side sleep to cut a run off in.
pub async fn dropped_run_releases_lock_and_keeps_history_true(db: &impl TestDb) {
    let dir = Dir::chain(2);
    dir.rev("r03", "r02", "SELECT pg_sleep(30);", Some("SELECT 1;"));
    let m = dir.migrator();
    let run = m.upgrade(db.pool(), "head");
    assert!(
        tokio::time::timeout(Duration::from_millis(800), run)
            .await
            .is_err(),
        "the run was cut off"
    );
    // The cancelled session was closed, so its transaction rolled back and its lock is free.
    let quick = Dir::chain(2)
        .migrator()
        .with_lock_timeout(Duration::from_secs(10));
    let report = quick.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(
        report.revisions,
        vec!["r01", "r02"],
        "the cut-off run committed nothing"
    );
}

/// SQLite's table rebuild (new table, copy, drop, rename) of a table other
/// rows reference: the drop neither refuses nor cascades, because the run
/// checks references after the revision instead of per statement.
pub async fn rebuild_of_referenced_table_keeps_child_rows(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "r01",
        "",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY, name TEXT);\n\
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER NOT NULL REFERENCES parent (id) ON DELETE CASCADE);\n\
         INSERT INTO parent (id, name) VALUES (1, 'a'), (2, 'b');\n\
         INSERT INTO child (id, parent_id) VALUES (10, 1), (11, 2);",
        Some("DROP TABLE child;\nDROP TABLE parent;"),
    )
    .rev(
        "r02",
        "r01",
        "CREATE TABLE _new_parent (id INTEGER PRIMARY KEY, name TEXT NOT NULL DEFAULT '');\n\
         INSERT INTO _new_parent (id, name) SELECT id, coalesce(name, '') FROM parent;\n\
         DROP TABLE parent;\n\
         ALTER TABLE _new_parent RENAME TO parent;",
        Some(
            "CREATE TABLE _new_parent (id INTEGER PRIMARY KEY, name TEXT);\n\
             INSERT INTO _new_parent (id, name) SELECT id, name FROM parent;\n\
             DROP TABLE parent;\n\
             ALTER TABLE _new_parent RENAME TO parent;",
        ),
    );
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(db.count("SELECT count(*) FROM child").await, 2);
    assert_eq!(db.count("SELECT count(*) FROM parent").await, 2);
    m.downgrade(db.pool(), "r01").await.unwrap();
    assert_eq!(db.count("SELECT count(*) FROM child").await, 2);
    // Enforcement is back on for the application's connections.
    assert_eq!(db.count("PRAGMA foreign_keys").await, 1);
    let err = db
        .exec("INSERT INTO child (id, parent_id) VALUES (12, 99)")
        .await
        .unwrap_err();
    assert!(err.to_string().contains("FOREIGN KEY"), "{err}");
}

/// A revision that leaves a reference pointing nowhere fails on its own:
/// the database stays at the revision before, history true.
pub async fn dangling_reference_fails_its_revision(db: &impl TestDb) {
    let dir = Dir::new();
    dir.rev(
        "r01",
        "",
        "CREATE TABLE parent (id INTEGER PRIMARY KEY);\n\
         CREATE TABLE child (id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent (id));\n\
         INSERT INTO parent (id) VALUES (1), (2);\n\
         INSERT INTO child (id, parent_id) VALUES (10, 1);",
        Some("DROP TABLE child;\nDROP TABLE parent;"),
    )
    .rev(
        "r02",
        "r01",
        "CREATE TABLE t02 (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t02;"),
    )
    .rev("r03", "r02", "DELETE FROM parent WHERE id = 1;", None);
    let m = dir.migrator();
    let err = m.upgrade(db.pool(), "head").await.unwrap_err();
    let text = err.to_string();
    assert!(matches!(err, Error::ForeignKeyViolation { .. }), "{text}");
    assert!(text.starts_with("revision r03 ("), "{text}");
    assert!(
        text.contains("`child` row 10 references a missing row of `parent`"),
        "{text}"
    );
    assert!(text.contains("the database remains at r02"), "{text}");
    assert_eq!(m.current(db.pool()).await.unwrap(), vec!["r02"]);
    assert_eq!(db.count("SELECT count(*) FROM parent").await, 2);
    assert_eq!(db.count("PRAGMA foreign_keys").await, 1);
}
