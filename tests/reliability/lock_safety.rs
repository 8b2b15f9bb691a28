//! The locks against other users of the machine or the server: SQLite's lock
//! file is not a way to write into another file and shows no more than the
//! database does; PostgreSQL's advisory-lock key can be chosen.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use migrate_core::Dialect;
use migrate_runtime::{Direction, Error, Migrator, offline};
use migrate_tests::{SqliteTestDb, fresh_sqlite_db};

use crate::support::{Db, Dir, Pool};

/// A one-revision directory.
fn one_revision() -> Dir {
    let mut dir = Dir::new();
    dir.write(
        "r01",
        None,
        "",
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    dir
}

/// A fresh SQLite file (created on disk) and a pool to it.
async fn sqlite() -> (SqliteTestDb, Pool) {
    let db = fresh_sqlite_db();
    let pool = Pool::Sqlite(db.pool().await);
    pool.exec("SELECT 1").await.unwrap();
    assert!(db.path.exists());
    (db, pool)
}

fn lock_path(db: &SqliteTestDb) -> PathBuf {
    PathBuf::from(format!("{}.migrate-lock", db.path.display()))
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o7777
}

/// Runs an upgrade that must be refused because of what is at the lock
/// file's name; checks the error and that nothing was migrated.
async fn assert_refused(pool: &Pool, dir: &Dir, lock: &Path, problem: &str) {
    let result = pool.upgrade(&dir.migrator(), "head").await;
    let Err(error @ Error::UnsafeLockFile { .. }) = &result else {
        panic!("the upgrade was not refused: {result:?}");
    };
    let message = error.to_string();
    assert!(
        message.starts_with(&format!("{}: ", lock.display())),
        "the message does not start with the lock file's path: {message}"
    );
    assert!(message.contains(problem), "{message}");
    assert!(message.contains("remove it"), "{message}");
    assert!(
        !pool.tables().await.contains("t"),
        "the refused run migrated anyway"
    );
}

#[tokio::test]
async fn sqlite_lock_file_symlink_to_a_victim_is_refused() {
    let (db, pool) = sqlite().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let victim = elsewhere.path().join("victim.txt");
    std::fs::write(&victim, "precious data\n").unwrap();
    std::fs::set_permissions(&victim, std::fs::Permissions::from_mode(0o644)).unwrap();
    let lock = lock_path(&db);
    std::os::unix::fs::symlink(&victim, &lock).unwrap();

    assert_refused(&pool, &one_revision(), &lock, "is a symbolic link").await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious data\n");
    assert_eq!(mode(&victim), 0o644, "the victim's mode changed");
    assert!(
        std::fs::symlink_metadata(&lock)
            .unwrap()
            .file_type()
            .is_symlink()
    );
}

#[tokio::test]
async fn sqlite_lock_file_dangling_symlink_creates_nothing() {
    let (db, pool) = sqlite().await;
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("created-through-the-link");
    let lock = lock_path(&db);
    std::os::unix::fs::symlink(&target, &lock).unwrap();

    assert_refused(&pool, &one_revision(), &lock, "is a symbolic link").await;
    assert!(!target.exists(), "the link's target was created");
}

#[tokio::test]
async fn sqlite_lock_file_with_another_hard_link_is_refused() {
    let (db, pool) = sqlite().await;
    let victim = db.dir.path().join("victim.txt");
    std::fs::write(&victim, "precious data\n").unwrap();
    let lock = lock_path(&db);
    std::fs::hard_link(&victim, &lock).unwrap();

    assert_refused(&pool, &one_revision(), &lock, "2 hard links").await;
    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious data\n");
}

#[tokio::test]
async fn sqlite_lock_file_that_is_a_directory_is_refused() {
    let (db, pool) = sqlite().await;
    let lock = lock_path(&db);
    std::fs::create_dir(&lock).unwrap();
    assert_refused(&pool, &one_revision(), &lock, "is not a regular file").await;
}

#[tokio::test]
async fn sqlite_lock_file_that_is_a_fifo_is_refused_without_blocking() {
    let (db, pool) = sqlite().await;
    let lock = lock_path(&db);
    let made = std::process::Command::new("mkfifo")
        .arg(&lock)
        .status()
        .expect("run mkfifo");
    assert!(made.success());
    let refused = tokio::time::timeout(
        Duration::from_secs(10),
        assert_refused(&pool, &one_revision(), &lock, "is not a regular file"),
    )
    .await;
    assert!(
        refused.is_ok(),
        "opening a FIFO at the lock file's name blocked"
    );
}

#[tokio::test]
async fn sqlite_lock_file_takes_the_database_mode() {
    for db_mode in [0o640, 0o600, 0o660] {
        let (db, pool) = sqlite().await;
        std::fs::set_permissions(&db.path, std::fs::Permissions::from_mode(db_mode)).unwrap();
        let dir = one_revision();
        pool.upgrade(&dir.migrator(), "head").await.unwrap();
        let lock = lock_path(&db);
        assert_eq!(
            mode(&lock),
            db_mode,
            "lock file mode {:o} for a database of mode {db_mode:o}",
            mode(&lock)
        );
        // The process id was written once the lock was held.
        assert_eq!(
            std::fs::read_to_string(&lock).unwrap().trim(),
            std::process::id().to_string()
        );
    }
}

#[tokio::test]
async fn sqlite_existing_world_readable_lock_file_is_narrowed() {
    let (db, pool) = sqlite().await;
    std::fs::set_permissions(&db.path, std::fs::Permissions::from_mode(0o600)).unwrap();
    let lock = lock_path(&db);
    std::fs::write(&lock, "12345\n").unwrap();
    std::fs::set_permissions(&lock, std::fs::Permissions::from_mode(0o666)).unwrap();
    pool.upgrade(&one_revision().migrator(), "head")
        .await
        .unwrap();
    assert_eq!(mode(&lock), 0o600);
}

/// A one-revision directory whose revision records the advisory locks its
/// own connection holds while it runs: the key the run took.
fn recording_dir() -> Dir {
    let mut dir = Dir::new();
    dir.write(
        "r01",
        None,
        "",
        "CREATE TABLE seen AS SELECT (classid::bigint << 32) | objid::bigint AS key FROM pg_locks \
         WHERE locktype = 'advisory' AND objsubid = 1 AND granted AND pid = pg_backend_pid();",
        Some("DROP TABLE seen;"),
    );
    dir
}

/// Holds advisory lock `key` on a connection of its own until dropped.
async fn hold(db: &Db, key: i64) -> (sqlx::pool::PoolConnection<sqlx::Postgres>, i32) {
    let Pool::Pg(pool) = db.other_pool().await else {
        unreachable!("a PostgreSQL database")
    };
    let mut conn = pool.acquire().await.unwrap();
    sqlx::query("SELECT pg_advisory_lock($1)")
        .bind(key)
        .execute(&mut *conn)
        .await
        .unwrap();
    let pid: i32 = sqlx::query_scalar("SELECT pg_backend_pid()")
        .fetch_one(&mut *conn)
        .await
        .unwrap();
    (conn, pid)
}

#[tokio::test]
async fn postgres_configured_lock_key_is_the_one_taken() {
    for key in [0x1234_5678_9abc_def0_i64, -42, i64::MIN] {
        let db = Db::pg().await;
        let dir = recording_dir();
        let migrator = dir.migrator().with_lock_key(key);
        assert_eq!(migrator.lock_key(), key);
        db.pool.upgrade(&migrator, "head").await.unwrap();
        let Pool::Pg(pool) = &db.pool else {
            unreachable!()
        };
        let seen: Vec<i64> = sqlx::query_scalar("SELECT key FROM seen")
            .fetch_all(pool)
            .await
            .unwrap();
        assert_eq!(seen, [key], "advisory locks held during the run");
        assert!(
            db.pool.advisory_lock_holders().await.is_empty(),
            "the lock outlived the run"
        );
    }
    // Without a key, the one derived from the history table's name.
    let db = Db::pg().await;
    let dir = recording_dir();
    let migrator = dir.migrator();
    db.pool.upgrade(&migrator, "head").await.unwrap();
    let Pool::Pg(pool) = &db.pool else {
        unreachable!()
    };
    let seen: Vec<i64> = sqlx::query_scalar("SELECT key FROM seen")
        .fetch_all(pool)
        .await
        .unwrap();
    assert_eq!(seen, [migrator.lock_key()]);
}

#[tokio::test]
async fn postgres_migrators_with_different_keys_do_not_block_each_other() {
    const TIMEOUT: Duration = Duration::from_millis(300);
    let db = Db::pg().await;
    // Someone holds the default key (as any role that can connect could).
    let default_key = recording_dir().migrator().lock_key();
    let (_held, pid) = hold(&db, default_key).await;

    // The default migrator waits and names the holder and the key.
    let dir = recording_dir();
    let result = db
        .pool
        .upgrade(&dir.migrator().with_lock_timeout(TIMEOUT), "head")
        .await;
    let Err(error @ Error::LockTimeout { .. }) = &result else {
        panic!("the default key was not blocked: {result:?}");
    };
    let message = error.to_string();
    assert!(
        message.contains(&format!(
            "advisory lock key {default_key}, held by server process {pid}"
        )),
        "{message}"
    );

    // A migrator with its own key is not blocked, and takes only its key.
    let own_key = 7_236_518_820_311_374_145;
    let started = Instant::now();
    db.pool
        .upgrade(
            &dir.migrator()
                .with_lock_key(own_key)
                .with_lock_timeout(TIMEOUT),
            "head",
        )
        .await
        .unwrap();
    assert!(
        started.elapsed() < TIMEOUT,
        "waited {:?}",
        started.elapsed()
    );
    assert_eq!(db.pool.i64("SELECT key FROM seen").await, own_key);

    // And its lock excludes a migrator with the same key.
    let (_own, own_pid) = hold(&db, own_key).await;
    let result = db
        .pool
        .downgrade(
            &dir.migrator()
                .with_lock_key(own_key)
                .with_lock_timeout(TIMEOUT),
            "base",
        )
        .await;
    assert!(
        matches!(&result, Err(Error::LockTimeout { holder, .. }) if holder.contains(&format!("server process {own_pid}"))),
        "{result:?}"
    );
}

#[test]
fn lock_key_in_migrate_toml_reaches_the_migrator_and_the_script() {
    let dir = recording_dir();
    let config = migrate_core::Config::parse("migrate.toml", "lock_key = -77").unwrap();
    let migrator = Migrator::from_directory(dir.path(), "migrations", &config).unwrap();
    assert_eq!(migrator.lock_key(), -77);
    let plan = offline::plan(&migrator, Direction::Upgrade, None, "head").unwrap();
    let script = offline::script(Dialect::Postgres, &migrator, &plan).unwrap();
    assert!(
        script.contains("SELECT pg_advisory_xact_lock(-77);"),
        "{script}"
    );
}
