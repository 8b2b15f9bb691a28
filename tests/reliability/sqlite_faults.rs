//! Faults of the file system and of other processes under an SQLite
//! database: the disk fills up during an upgrade (a tmpfs of 1.5 MiB), the
//! database becomes read-only (the tmpfs remounted read-only), and another
//! process holds the write lock. Each run must fail with an error that
//! says what is wrong and what to do, leave the history matching the
//! schema (nothing half-recorded), and complete once the fault is gone.
//!
//! The tmpfs is mounted by the test (`mount -t tmpfs`), which needs root
//! (or `CAP_SYS_ADMIN`); without it the tests fail and say so.

use std::process::Command;
use std::str::FromStr;
use std::time::Duration;

use sqlx::ConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;

use crate::support::{Dir, Pool, spawn};

/// A tmpfs mounted on a temporary directory; unmounted when dropped.
struct Tmpfs {
    dir: tempfile::TempDir,
}

impl Tmpfs {
    fn mount(size: &str) -> Tmpfs {
        let dir = tempfile::Builder::new()
            .prefix("migrate-tmpfs-")
            .tempdir()
            .expect("temporary directory");
        let out = Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .output()
            .expect("run mount(8)");
        assert!(
            out.status.success(),
            "the SQLite disk-full and read-only tests mount a small tmpfs, which failed: {}\n\
             run the tests as root (or with CAP_SYS_ADMIN), as .ci/run does in its container",
            String::from_utf8_lossy(&out.stderr).trim()
        );
        Tmpfs { dir }
    }

    fn path(&self) -> &std::path::Path {
        self.dir.path()
    }

    fn remount(&self, options: &str) {
        let out = Command::new("mount")
            .args(["-o", &format!("remount,{options}")])
            .arg(self.path())
            .output()
            .expect("run mount(8)");
        assert!(
            out.status.success(),
            "mount -o remount,{options}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(self.path()).status();
    }
}

const REVISIONS: usize = 16;
const ROWS: i64 = 100;

/// `REVISIONS` revisions, each creating table `dNN` with `ROWS` rows of a
/// kilobyte: about 1.7 MB in all, more than the tmpfs holds.
fn chain() -> Dir {
    let mut dir = Dir::new();
    for i in 1..=REVISIONS {
        let id = format!("d{i:02}");
        let parent = (i > 1).then(|| format!("d{:02}", i - 1));
        let up = format!(
            "CREATE TABLE {id} (id INTEGER PRIMARY KEY, payload BLOB NOT NULL);\n\
             INSERT INTO {id} (id, payload) SELECT g, randomblob(1000) FROM \
             (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {ROWS}) SELECT g FROM s) AS numbers;"
        );
        dir.write(
            &id,
            parent.as_deref(),
            "",
            &up,
            Some(&format!("DROP TABLE {id};")),
        );
    }
    dir
}

async fn pool_of(url: &str) -> Pool {
    Pool::Sqlite(
        sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(2)
            .connect_with(
                SqliteConnectOptions::from_str(url)
                    .unwrap()
                    .busy_timeout(Duration::from_secs(10)),
            )
            .await
            .expect("open the SQLite file"),
    )
}

/// The history and the catalog agree: complete rows form a prefix of the
/// chain, each with its whole table, and no other table exists. Returns
/// how many revisions are applied.
async fn consistent(pool: &Pool, label: &str) -> usize {
    let history = pool.history().await;
    let tables = pool.tables().await;
    for (k, row) in history.iter().enumerate() {
        assert_eq!(
            row.revision,
            format!("d{:02}", k + 1),
            "{label}: {history:?}"
        );
        assert_eq!(row.state, "applied", "{label}: {history:?}");
    }
    for i in 1..=REVISIONS {
        let table = format!("d{i:02}");
        let applied = i <= history.len();
        assert_eq!(
            tables.contains(&table),
            applied,
            "{label}: table {table} against the history {history:?}"
        );
        if applied {
            assert_eq!(
                pool.i64(&format!("SELECT count(*) FROM {table}")).await,
                ROWS,
                "{label}: {table} is not whole"
            );
        }
    }
    if let Pool::Sqlite(p) = pool {
        let check: String = sqlx::query_scalar("PRAGMA integrity_check")
            .fetch_one(p)
            .await
            .unwrap();
        assert_eq!(check, "ok", "{label}: the file is damaged");
    }
    history.len()
}

async fn disk_fills_during_an_upgrade(per_revision: bool) {
    let label = if per_revision {
        "SQLite disk full, PerRevision"
    } else {
        "SQLite disk full, Single"
    };
    let fs = Tmpfs::mount("1536k");
    let file = fs.path().join("app.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let dir = chain();
    let mut args = vec!["--progress"];
    if per_revision {
        args.push("--per-revision");
    }
    let failed = tokio::task::block_in_place(|| spawn(&url, dir.path(), &args).wait());
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{label}: {}",
        failed.describe()
    );
    for words in ["database or disk is full", "free space"] {
        assert!(
            failed.stderr.contains(words),
            "{label}: the error lacks {words:?}:\n{}",
            failed.describe()
        );
    }
    let pool = pool_of(&url).await;
    let applied = consistent(&pool, label).await;
    assert!(applied < REVISIONS, "{label}: everything fit");
    let reported = failed.done().len();
    if per_revision {
        assert!(
            applied >= reported,
            "{label}: {reported} reported done, {applied} there"
        );
    }
    println!(
        "{label}: the upgrade stopped with {applied} of {REVISIONS} revisions applied, each \
         whole ({reported} reported done), nothing half-recorded; the error:\n{}",
        failed.stderr.trim()
    );

    // Room again: the run completes.
    fs.remount("size=64m");
    let again = tokio::task::block_in_place(|| spawn(&url, dir.path(), &args).wait());
    assert!(again.status.success(), "{label}: {}", again.describe());
    assert_eq!(consistent(&pool, label).await, REVISIONS);
    if let Pool::Sqlite(p) = pool {
        p.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_sqlite_single() {
    disk_fills_during_an_upgrade(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disk_full_sqlite_per_revision() {
    disk_fills_during_an_upgrade(true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn read_only_sqlite_database() {
    let label = "SQLite read-only";
    let fs = Tmpfs::mount("64m");
    let file = fs.path().join("app.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let dir = chain();
    let first =
        tokio::task::block_in_place(|| spawn(&url, dir.path(), &["--target", "d03"]).wait());
    assert!(first.status.success(), "{}", first.describe());
    fs.remount("ro");
    let failed = tokio::task::block_in_place(|| spawn(&url, dir.path(), &[]).wait());
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{label}: {}",
        failed.describe()
    );
    for words in ["Read-only file system", "is read-only to this process"] {
        assert!(
            failed.stderr.contains(words),
            "{label}: the error lacks {words:?}:\n{}",
            failed.describe()
        );
    }
    assert!(
        !failed.stderr.contains("server"),
        "{label}: {}",
        failed.stderr
    );
    let ro_url = format!("sqlite://{}?mode=ro", file.display());
    let pool = pool_of(&ro_url).await;
    assert_eq!(consistent(&pool, label).await, 3);
    if let Pool::Sqlite(p) = pool {
        p.close().await;
    }
    println!(
        "{label}: the upgrade from d03 failed with exit 1, the database unchanged at d03; \
         the error:\n{}",
        failed.stderr.trim()
    );
    fs.remount("rw");
    let again = tokio::task::block_in_place(|| spawn(&url, dir.path(), &[]).wait());
    assert!(again.status.success(), "{label}: {}", again.describe());
    let pool = pool_of(&url).await;
    assert_eq!(consistent(&pool, label).await, REVISIONS);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_write_lock_held_by_another_process() {
    let label = "SQLite write lock held";
    let db = migrate_tests::fresh_sqlite_db();
    let dir = chain();
    let first =
        tokio::task::block_in_place(|| spawn(&db.url, dir.path(), &["--target", "d02"]).wait());
    assert!(first.status.success(), "{}", first.describe());
    // This test process is the other process: an open write transaction.
    let mut holder = SqliteConnectOptions::from_str(&db.url)
        .unwrap()
        .connect()
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN IMMEDIATE; INSERT INTO d01 (id, payload) VALUES (1000, x'00')")
        .execute(&mut holder)
        .await
        .unwrap();
    let failed = tokio::task::block_in_place(|| {
        spawn(&db.url, dir.path(), &["--lock-timeout-ms", "1000"]).wait()
    });
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{label}: {}",
        failed.describe()
    );
    for words in [
        "timed out after",
        "another connection is writing to this SQLite file",
        "raise the lock timeout",
    ] {
        assert!(
            failed.stderr.contains(words),
            "{label}: the error lacks {words:?}:\n{}",
            failed.describe()
        );
    }
    sqlx::raw_sql("ROLLBACK")
        .execute(&mut holder)
        .await
        .unwrap();
    let pool = pool_of(&db.url).await;
    assert_eq!(consistent(&pool, label).await, 2);
    println!(
        "{label}: the upgrade from d02 waited 1 s and failed with exit 1, the database unchanged; \
         the error:\n{}",
        failed.stderr.trim()
    );
    let again = tokio::task::block_in_place(|| spawn(&db.url, dir.path(), &[]).wait());
    assert!(again.status.success(), "{label}: {}", again.describe());
    assert_eq!(consistent(&pool, label).await, REVISIONS);
}
