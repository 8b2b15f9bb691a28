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
