//! The locks against other users of the machine or the server: SQLite's lock
//! file is not a way to write into another file and shows no more than the
//! database does; PostgreSQL's advisory-lock key can be chosen.

use std::os::unix::fs::PermissionsExt as _;
use std::path::{Path, PathBuf};

use migrate_runtime::Error;
use migrate_tests::{SqliteTestDb, fresh_sqlite_db};

use crate::support::{Dir, Pool};

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
    let result = pool.upgrade(&one_revision().migrator(), "head").await;
    // Opening a directory for writing fails before its type is looked at;
    // either way the error names the lock file and nothing is migrated.
    let message = result.expect_err("the upgrade was not refused").to_string();
    assert!(message.contains(&lock.display().to_string()), "{message}");
    assert!(!pool.tables().await.contains("t"));
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
