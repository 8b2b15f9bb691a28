//! Lock hygiene: a migrator killed while it holds the lock does not block the
//! next one; a lock wait is bounded and names the holder; every failing or
//! refused run leaves the lock free.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use migrate_runtime::{Error, Migrator};

use crate::support::{Db, Dir, Pool, spawn};

/// Lock timeout of the second migrator that checks a lock is free: it must
/// get the lock well within this.
const PROBE_TIMEOUT: Duration = Duration::from_millis(300);

fn set(names: &[&str]) -> BTreeSet<String> {
    names.iter().map(|s| (*s).to_owned()).collect()
}

/// `r01 … r04`; r03 is slow for as long as table `knob` says: on PostgreSQL
/// it sleeps `n` milliseconds, on SQLite it counts `n` rows of a recursive
/// CTE.
fn slow_chain(db: &Db) -> Dir {
    let mut dir = Dir::new();
    dir.write(
        "r01",
        None,
        "",
        "CREATE TABLE a1 (id INTEGER);",
        Some("DROP TABLE a1;"),
    );
    dir.write(
        "r02",
        Some("r01"),
        "",
        "CREATE TABLE a2 (id INTEGER);",
        Some("DROP TABLE a2;"),
    );
    let slow = if db.is_pg() {
        "SELECT pg_sleep((SELECT n FROM knob) / 1000.0);\nCREATE TABLE a3 (n BIGINT);"
    } else {
        "CREATE TABLE a3 (n BIGINT);\n\
         INSERT INTO a3 (n) SELECT count(*) FROM (WITH RECURSIVE s(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM s WHERE x < (SELECT n FROM knob)) SELECT x FROM s) AS counted;"
    };
    dir.write("r03", Some("r02"), "", slow, Some("DROP TABLE a3;"));
    dir.write(
        "r04",
        Some("r03"),
        "",
        "CREATE TABLE a4 (id INTEGER);",
        Some("DROP TABLE a4;"),
    );
    dir
}

/// (a) SIGKILL of a migrator in the middle of a slow revision, while it holds
/// the lock; (c) meanwhile, waits with a short lock timeout end on time and
/// say who holds the lock.
async fn killed_holder_does_not_block_the_next_migrator(db: Db, per_revision: bool) {
    let mode = if per_revision {
        "PerRevision"
    } else {
        "Single"
    };
    // Sleep a minute on PostgreSQL; on SQLite count to a billion.
    let endless = if db.is_pg() { 60_000 } else { 1_000_000_000 };
    db.pool
        .exec(&format!(
            "CREATE TABLE knob (n BIGINT); INSERT INTO knob VALUES ({endless})"
        ))
        .await
        .unwrap();
    let dir = slow_chain(&db);
    let mut args = vec!["--progress"];
    if per_revision {
        args.push("--per-revision");
    }
    let holder = spawn(&db.url, dir.path(), &args);
    // r01 and r02 take milliseconds: once the lock has been held for 300 ms,
    // the holder is in r03.
    let started = Instant::now();
    while !db.pool.migration_lock_held().await {
        if started.elapsed() > Duration::from_secs(30) {
            panic!(
                "the holder never took the lock:\n{}",
                holder.kill().describe()
            );
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(db.pool.migration_lock_held().await, "the holder is in r03");

    // (c) Bounded waits, naming the holder.
    let holders = db.pool.advisory_lock_holders().await;
    let waiter_pool = db.other_pool().await;
    for timeout in [Duration::from_millis(250), Duration::from_millis(1000)] {
        let waiter = dir.migrator().with_lock_timeout(timeout);
        let started = Instant::now();
        let err = waiter_pool.upgrade(&waiter, "heads").await.unwrap_err();
        let waited = started.elapsed();
        let Error::LockTimeout {
            waited: reported, ..
        } = &err
        else {
            panic!("expected a lock timeout, got {err:?}");
        };
        assert!(
            waited >= timeout && waited < timeout + Duration::from_millis(750),
            "a {timeout:?} lock timeout returned after {waited:?}"
        );
        assert!(*reported >= timeout, "{err}");
        let text = err.to_string();
        if db.is_pg() {
            assert_eq!(holders.len(), 1, "one advisory lock holder: {holders:?}");
            // The message names the server process of this database that
            // holds the lock, not one of another database with the same key.
            let named: i32 = text
                .split("held by server process ")
                .nth(1)
                .and_then(|rest| rest.split(',').next())
                .and_then(|pid| pid.parse().ok())
                .unwrap_or_else(|| panic!("no holder named: {text}"));
            assert_eq!(named, holders[0], "{text}");
        } else {
            // The lock file beside the database names the holding process.
            assert!(
                text.contains(&format!("held by process {} through ", holder.pid())),
                "{text}"
            );
            assert!(text.contains(".migrate-lock"), "{text}");
        }
        println!(
            "lock wait {} {mode}: timeout {timeout:?}, returned after {waited:.1?}: {text}",
            db.name()
        );
    }

    // (a) Kill the holder in the middle of r03; the next migrator completes.
    let killed_at = Instant::now();
    let holder = holder.kill();
    assert!(
        holder.killed,
        "the holder ended before the kill:\n{}",
        holder.describe()
    );
    if per_revision {
        // Each revision reported done was committed before the kill.
        assert_eq!(holder.done(), ["r01", "r02"], "{}", holder.describe());
    }
    db.pool.exec("UPDATE knob SET n = 1").await.unwrap();
    let next = tokio::task::block_in_place(|| {
        let mut next_args = vec!["--lock-timeout-ms", "30000"];
        if per_revision {
            next_args.push("--per-revision");
        }
        spawn(&db.url, dir.path(), &next_args).wait()
    });
    let recovered = killed_at.elapsed();
    assert!(next.status.success(), "{}", next.describe());
    // Single mode: the killed run committed nothing. PerRevision: r01 and r02 stayed.
    let expected_run = if per_revision { 2 } else { 4 };
    assert_eq!(next.count(), Some(expected_run), "{}", next.describe());

    let history: Vec<String> = db
        .pool
        .history()
        .await
        .into_iter()
        .map(|r| r.revision)
        .collect();
    assert_eq!(history, ["r01", "r02", "r03", "r04"]);
    assert_eq!(
        db.pool.tables().await,
        set(&["a1", "a2", "a3", "a4", "knob", "migrate_history"])
    );
    assert!(db.pool.advisory_lock_holders().await.is_empty());
    println!(
        "SIGKILL {} {mode}: killed in r03 while holding the lock; the next migrator process \
         ran {expected_run} revisions and exited 0 {recovered:.2?} after the kill",
        db.name()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_lock_holder_postgres_single() {
    killed_holder_does_not_block_the_next_migrator(Db::pg().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_lock_holder_postgres_per_revision() {
    killed_holder_does_not_block_the_next_migrator(Db::pg().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_lock_holder_sqlite_single() {
    killed_holder_does_not_block_the_next_migrator(Db::sqlite().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn killed_lock_holder_sqlite_per_revision() {
    killed_holder_does_not_block_the_next_migrator(Db::sqlite().await, true).await;
}

/// Checks, from another pool, that the lock is free: a migrator over an
/// unrelated one-revision table asks for a downgrade, which takes the lock,
/// reads the history and refuses (the database holds revisions it does not
/// know) without changing anything. A lock left behind shows as a timeout.
struct Probe {
    pool: Pool,
    migrator: Migrator,
    _dir: Dir,
}

impl Probe {
    async fn new(db: &Db) -> Probe {
        let mut dir = Dir::new();
        dir.write("probe", None, "", "SELECT 1;", Some("SELECT 1;"));
        Probe {
            pool: db.other_pool().await,
            migrator: dir.migrator().with_lock_timeout(PROBE_TIMEOUT),
            _dir: dir,
        }
    }

    async fn lock_is_free(&self, db: &Db, after: &str) {
        if db.is_pg() {
            let holders = db.pool.advisory_lock_holders().await;
            assert!(
                holders.is_empty(),
                "after {after}: advisory lock held by {holders:?}"
            );
        }
        let started = Instant::now();
        let result = self.pool.downgrade(&self.migrator, "base").await;
        let waited = started.elapsed();
        assert!(
            matches!(&result, Err(Error::UnknownAppliedRevision { .. })),
            "after {after}: the probe did not get the lock at once: {result:?}"
        );
        assert!(
            waited < PROBE_TIMEOUT,
            "after {after}: the probe waited {waited:?}"
        );
    }
}

/// The history (revision, state and, for an interrupted revision, the
/// statements done) and the tables present, compared with expectations.
async fn assert_state(db: &Db, history: &[(&str, &str)], tables: &[&str]) {
    let rows: Vec<String> = db
        .pool
        .history()
        .await
        .into_iter()
        .map(|r| {
            if r.is_complete() {
                format!("{} {}", r.revision, r.state)
            } else {
                format!("{} {} {}", r.revision, r.state, r.statements_done)
            }
        })
        .collect();
    let expected: Vec<String> = history.iter().map(|(r, s)| format!("{r} {s}")).collect();
    assert_eq!(rows, expected, "history");
    let mut want = set(tables);
    want.insert("migrate_history".into());
    assert_eq!(db.pool.tables().await, want, "tables");
}

/// (b) Every way a run can fail or be refused leaves the lock free.
async fn failed_runs_release_the_lock(db: Db) {
    let probe = Probe::new(&db).await;
    let quick = |dir: &Dir| dir.migrator().with_lock_timeout(PROBE_TIMEOUT);
    let per_revision =
        |dir: &Dir| quick(dir).with_transaction_mode(migrate_runtime::TransactionMode::PerRevision);
    let pool = &db.pool;
    let mut dir = Dir::new();
    dir.write(
        "r01",
        None,
        "",
        "CREATE TABLE f1 (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE f1;"),
    );
    dir.write(
        "r02",
        Some("r01"),
        "",
        "CREATE TABLE f2 (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE f2;"),
    );
    let duplicate = "INSERT INTO f3 (id) VALUES (1);\nINSERT INTO f3 (id) VALUES (1);";
    dir.write(
        "r03",
        Some("r02"),
        "",
        &format!("CREATE TABLE f3 (id INTEGER PRIMARY KEY);\n{duplicate}"),
        Some("DROP TABLE f3;"),
    );
    let ok = [("r01", "applied"), ("r02", "applied")];

    // A failing statement, in each transaction mode.
    let err = pool.upgrade(&quick(&dir), "heads").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 3, .. } if revision == "r03"),
        "{err:?}"
    );
    assert_state(&db, &ok, &["f1", "f2"]).await;
    probe
        .lock_is_free(&db, "a failing statement (Single)")
        .await;
    pool.downgrade(&quick(&dir), "base").await.unwrap();
    let err = pool
        .upgrade(&per_revision(&dir), "heads")
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, .. } if revision == "r03"),
        "{err:?}"
    );
    assert_state(&db, &ok, &["f1", "f2"]).await;
    probe
        .lock_is_free(&db, "a failing statement (PerRevision)")
        .await;
    dir.edit(
        "r03",
        duplicate,
        "INSERT INTO f3 (id) VALUES (1);\nINSERT INTO f3 (id) VALUES (2);",
    );
    assert_eq!(
        pool.upgrade(&quick(&dir), "heads").await.unwrap().revisions,
        ["r03"]
    );

    // A failing statement in a non-transactional revision, then the refusal
    // to go on past it, then the operator's stamp.
    dir.write(
        "r04",
        Some("r03"),
        "-- transactional: false\n",
        "CREATE TABLE f4 (id INTEGER PRIMARY KEY);\nINSERT INTO f4 (id) VALUES (1);\nINSERT INTO f4 (id) VALUES (1);",
        Some("DROP TABLE f4;"),
    );
    let err = pool.upgrade(&quick(&dir), "heads").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 3, .. } if revision == "r04"),
        "{err:?}"
    );
    let partial = [
        ("r01", "applied"),
        ("r02", "applied"),
        ("r03", "applied"),
        ("r04", "failed 2"),
    ];
    assert_state(&db, &partial, &["f1", "f2", "f3", "f4"]).await;
    probe
        .lock_is_free(&db, "a failing non-transactional statement")
        .await;
    let err = pool.upgrade(&quick(&dir), "heads").await.unwrap_err();
    assert!(
        matches!(
            &err,
            Error::PartiallyApplied {
                done: 2,
                total: 3,
                ..
            }
        ),
        "{err:?}"
    );
    probe.lock_is_free(&db, "the partly-applied refusal").await;
    pool.stamp(&quick(&dir), &["r04"]).await.unwrap();

    // Checksum mismatch.
    dir.write(
        "r05",
        Some("r04"),
        "",
        "CREATE TABLE f5 (id INTEGER);",
        Some("DROP TABLE f5;"),
    );
    let original = "CREATE TABLE f2 (id INTEGER PRIMARY KEY);";
    let edited = "CREATE TABLE f2 (id INTEGER PRIMARY KEY, extra INTEGER);";
    dir.edit("r02", original, edited);
    let err = pool.upgrade(&quick(&dir), "heads").await.unwrap_err();
    assert!(
        matches!(&err, Error::ChecksumMismatch { revision, .. } if revision == "r02"),
        "{err:?}"
    );
    probe.lock_is_free(&db, "the checksum refusal").await;
    dir.edit("r02", edited, original);
    assert_eq!(
        pool.upgrade(&quick(&dir), "heads").await.unwrap().revisions,
        ["r05"]
    );

    // A revision the migrator does not know, upgrading and downgrading.
    let (path, text) = dir.take_out("r05");
    for downgrade in [false, true] {
        let m = quick(&dir);
        let err = if downgrade {
            pool.downgrade(&m, "base").await.unwrap_err()
        } else {
            pool.upgrade(&m, "heads").await.unwrap_err()
        };
        assert!(
            matches!(&err, Error::UnknownAppliedRevision { revision } if revision == "r05"),
            "{err:?}"
        );
        probe
            .lock_is_free(&db, "the unknown-revision refusal")
            .await;
    }
    std::fs::write(path, text).unwrap();

    // A downgrade through an irreversible revision.
    dir.write(
        "r06",
        Some("r05"),
        "",
        "CREATE TABLE f6 (id INTEGER);",
        None,
    );
    dir.write(
        "r07",
        Some("r06"),
        "",
        "CREATE TABLE f7 (id INTEGER);",
        Some("DROP TABLE f7;"),
    );
    assert_eq!(
        pool.upgrade(&quick(&dir), "heads").await.unwrap().revisions,
        ["r06", "r07"]
    );
    let err = pool.downgrade(&quick(&dir), "base").await.unwrap_err();
    assert!(
        matches!(&err, Error::Core(migrate_core::Error::Irreversible { revision, .. }) if revision == "r06"),
        "{err:?}"
    );
    probe
        .lock_is_free(&db, "the irreversible-downgrade refusal")
        .await;

    // A failing downgrade statement.
    dir.write(
        "r08",
        Some("r07"),
        "",
        "CREATE TABLE f8 (id INTEGER);",
        Some("DROP TABLE f8;\nDROP TABLE f8;"),
    );
    assert_eq!(
        pool.upgrade(&quick(&dir), "heads").await.unwrap().revisions,
        ["r08"]
    );
    let err = pool.downgrade(&quick(&dir), "-1").await.unwrap_err();
    assert!(
        matches!(&err, Error::MigrationFailed { revision, statement: 2, .. } if revision == "r08"),
        "{err:?}"
    );
    probe
        .lock_is_free(&db, "a failing downgrade statement")
        .await;

    // The history still tells the truth after all of it.
    let all: Vec<(&str, &str)> = ["r01", "r02", "r03", "r04", "r05", "r06", "r07", "r08"]
        .iter()
        .map(|r| (*r, if *r == "r04" { "stamped" } else { "applied" }))
        .collect();
    assert_state(&db, &all, &["f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8"]).await;
    println!(
        "failure paths {}: 9 failures and refusals, the lock was free after each",
        db.name()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_runs_release_the_lock_postgres() {
    failed_runs_release_the_lock(Db::pg().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_runs_release_the_lock_sqlite() {
    failed_runs_release_the_lock(Db::sqlite().await).await;
}
