//! Shared helpers for the workspace-level tests (`migrate_tests`).
//!
//! * [`pg_admin_url`] finds (or starts) the PostgreSQL server used by the
//!   tests: either the server named by `MIGRATE_TEST_PG_URL`, or a private
//!   server started on demand by `scripts/pg.sh start` (data in
//!   `target/pg`, port 55432 unless `MIGRATE_PG_PORT` says otherwise).
//!   PostgreSQL tests never skip: if no server can be had, they panic with
//!   instructions.
//! * [`fresh_pg_db`] creates a uniquely named database on that server; the
//!   returned [`PgTestDb`] drops it again when it goes out of scope.
//! * [`fresh_sqlite_db`] creates an SQLite database file in a fresh
//!   temporary directory ([`SqliteTestDb`]).
//! * [`workspace_root`] is the root of the cargo workspace.

#![deny(missing_docs)]

use std::fmt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::SqlitePoolOptions;
use sqlx::{Connection, PgConnection, PgPool, SqlitePool};

/// Environment variable naming an existing PostgreSQL server to test against
/// (an admin URL whose role may create and drop databases). When set,
/// `scripts/pg.sh` is not run.
const PG_URL_ENV: &str = "MIGRATE_TEST_PG_URL";

/// How long to wait for connections made by these helpers.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(30);

/// The root directory of the cargo workspace (the parent of the `tests`
/// package directory), e.g. for locating `scripts/` or `migrations/`.
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The admin URL of the PostgreSQL server used by the tests.
///
/// If the environment variable `MIGRATE_TEST_PG_URL` is set (and non-empty),
/// its value is returned. Otherwise `scripts/pg.sh start` is run (once per
/// process; later calls reuse the result) and the URL it prints is returned,
/// e.g. `postgres://migrate:migrate-test-pw@127.0.0.1:55432/postgres`. The
/// script is idempotent and serialised with a lock file, so several test
/// binaries may call this concurrently.
///
/// # Panics
///
/// If the server cannot be started. The message says so, includes the
/// script's stderr, and explains how to fix it (install PostgreSQL with
/// `apt-get install -y postgresql`, or set `MIGRATE_TEST_PG_URL`). Tests that
/// need PostgreSQL never skip silently.
pub fn pg_admin_url() -> String {
    static URL: OnceLock<Result<String, String>> = OnceLock::new();

    if let Ok(url) = std::env::var(PG_URL_ENV) {
        let url = url.trim();
        if !url.is_empty() {
            return url.to_owned();
        }
    }
    match URL.get_or_init(start_pg_server) {
        Ok(url) => url.clone(),
        Err(message) => panic!("{message}"),
    }
}

/// Runs `scripts/pg.sh start` and returns its single stdout line, or a
/// complete, human-readable failure message.
fn start_pg_server() -> Result<String, String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scripts")
        .join("pg.sh");
    let fix = format!(
        "To fix this, either install the PostgreSQL server binaries \
         (`apt-get update && apt-get install -y postgresql`) so that `{}` can start a \
         private test server, or set {PG_URL_ENV} to the admin URL of a running \
         PostgreSQL server (a role that may create and drop databases).",
        script.display()
    );

    let output = Command::new("bash")
        .arg(&script)
        .arg("start")
        .stdin(std::process::Stdio::null())
        .output()
        .map_err(|err| {
            format!(
                "PostgreSQL could not be started for the tests: failed to run `bash {} start`: \
                 {err}\n\n{fix}",
                script.display()
            )
        })?;

    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    let url = stdout.trim();
    if !output.status.success() || !url.starts_with("postgres://") || url.contains('\n') {
        return Err(format!(
            "PostgreSQL could not be started for the tests: `bash {} start` {} \
             (expected one postgres:// URL on stdout).\n\
             --- script stderr ---\n{}\n--- end of script stderr ---\n\n{fix}",
            script.display(),
            describe_status(&output.status),
            stderr.trim_end(),
        ));
    }
    Ok(url.to_owned())
}

fn describe_status(status: &std::process::ExitStatus) -> String {
    match status.code() {
        Some(0) => "exited successfully but printed no usable URL".to_owned(),
        Some(code) => format!("exited with status {code}"),
        None => "was killed by a signal".to_owned(),
    }
}

/// Replaces the database (path) component of a `postgres://` URL, keeping
/// the credentials, host, port and query string.
fn url_with_database(url: &str, database: &str) -> String {
    let (base, query) = match url.find('?') {
        Some(i) => (&url[..i], &url[i..]),
        None => (url, ""),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let authority_end = base[authority_start..]
        .find('/')
        .map_or(base.len(), |i| authority_start + i);
    format!("{}/{database}{query}", &base[..authority_end])
}

/// Hides the password of a URL, for `Debug` output.
fn redact_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?']).unwrap_or(rest.len());
    let authority = &rest[..authority_end];
    match (authority.rfind('@'), authority.find(':')) {
        (Some(at), Some(colon)) if colon < at => format!(
            "{}{}:***{}",
            &url[..scheme_end],
            &authority[..colon],
            &rest[at..]
        ),
        _ => url.to_owned(),
    }
}

/// A uniquely named PostgreSQL database created for one test.
///
/// Created by [`fresh_pg_db`]. Dropping it drops the database
/// (`DROP DATABASE ... WITH (FORCE)`, which also ends any connections still
/// open to it). Dropping is best-effort: failures are reported on stderr,
/// never as a panic.
pub struct PgTestDb {
    /// Connection URL of the database (same server and credentials as the
    /// admin URL). Contains the password: do not print it.
    pub url: String,
    /// Name of the database, `migrate_test_<pid>_<counter>_<nanos>`.
    pub name: String,
    /// Admin URL used to create and drop the database.
    admin_url: String,
}

impl PgTestDb {
    /// Opens a new connection pool (up to 5 connections) to this database.
    ///
    /// # Panics
    ///
    /// If the database cannot be reached.
    pub async fn pool(&self) -> PgPool {
        PgPoolOptions::new()
            .max_connections(5)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&self.url)
            .await
            .unwrap_or_else(|err| panic!("could not connect to test database {}: {err}", self.name))
    }
}

impl fmt::Debug for PgTestDb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PgTestDb")
            .field("url", &redact_password(&self.url))
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

impl Drop for PgTestDb {
    fn drop(&mut self) {
        // Drop may run inside a tokio runtime (where blocking on a future is
        // not allowed) or outside one: do the work on a separate OS thread
        // with its own current-thread runtime, and wait for it.
        let admin_url = self.admin_url.clone();
        let name = self.name.clone();
        let worker = std::thread::Builder::new()
            .name(format!("drop-{name}"))
            .spawn(move || -> Result<(), String> {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .map_err(|err| format!("could not build a tokio runtime: {err}"))?;
                runtime.block_on(async {
                    let work = async {
                        let mut conn = PgConnection::connect(&admin_url).await?;
                        let sql = format!(
                            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                            migrate_core::quote_ident_always(&name)
                        );
                        sqlx::raw_sql(&sql).execute(&mut conn).await?;
                        conn.close().await?;
                        Ok::<(), sqlx::Error>(())
                    };
                    match tokio::time::timeout(CONNECT_TIMEOUT, work).await {
                        Ok(result) => result.map_err(|err| err.to_string()),
                        Err(_) => Err(format!("timed out after {CONNECT_TIMEOUT:?}")),
                    }
                })
            });
        let result = match worker {
            Ok(handle) => handle
                .join()
                .unwrap_or_else(|_| Err("the drop thread panicked".to_owned())),
            Err(err) => Err(format!("could not spawn a thread: {err}")),
        };
        if let Err(err) = result {
            eprintln!("warning: could not drop test database {}: {err}", self.name);
        }
    }
}

/// Creates a fresh, empty PostgreSQL database named
/// `migrate_test_<pid>_<counter>_<nanos>` on the server given by
/// [`pg_admin_url`], and returns its URL and name. The database is dropped
/// when the returned [`PgTestDb`] is dropped.
///
/// # Panics
///
/// If the server cannot be started or reached, or the database cannot be
/// created.
pub async fn fresh_pg_db() -> PgTestDb {
    static COUNTER: AtomicU64 = AtomicU64::new(0);

    let admin_url = pg_admin_url();
    let counter = COUNTER.fetch_add(1, Ordering::Relaxed);
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let name = format!("migrate_test_{}_{counter}_{nanos}", std::process::id());

    let mut conn = tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect(&admin_url))
        .await
        .unwrap_or_else(|_| {
            panic!("timed out connecting to the test PostgreSQL server (admin URL)")
        })
        .unwrap_or_else(|err| {
            panic!("could not connect to the test PostgreSQL server (admin URL): {err}")
        });
    sqlx::raw_sql(&format!(
        "CREATE DATABASE {}",
        migrate_core::quote_ident_always(&name)
    ))
    .execute(&mut conn)
    .await
    .unwrap_or_else(|err| panic!("could not create test database {name}: {err}"));
    // Closing is a courtesy; the database exists either way.
    let _ = conn.close().await;

    PgTestDb {
        url: url_with_database(&admin_url, &name),
        name,
        admin_url,
    }
}

/// An SQLite database file in its own temporary directory.
///
/// Created by [`fresh_sqlite_db`]. The directory (and the database in it) is
/// deleted when this value is dropped; drop pools using it first.
#[derive(Debug)]
pub struct SqliteTestDb {
    /// The temporary directory holding the database file.
    pub dir: tempfile::TempDir,
    /// Path of the database file (not created until first connection).
    pub path: PathBuf,
    /// Connection URL, `sqlite://<path>?mode=rwc` (creates the file on
    /// first connection).
    pub url: String,
}

impl SqliteTestDb {
    /// Opens a new connection pool (up to 5 connections) to this database,
    /// creating the file if needed.
    ///
    /// # Panics
    ///
    /// If the database cannot be opened.
    pub async fn pool(&self) -> SqlitePool {
        SqlitePoolOptions::new()
            .max_connections(5)
            .acquire_timeout(CONNECT_TIMEOUT)
            .connect(&self.url)
            .await
            .unwrap_or_else(|err| {
                panic!(
                    "could not open test SQLite database {}: {err}",
                    self.path.display()
                )
            })
    }
}

/// Creates a new temporary directory with a path for an SQLite database file
/// (`test.db`) in it. The file itself is created on first connection.
///
/// # Panics
///
/// If the temporary directory cannot be created.
pub fn fresh_sqlite_db() -> SqliteTestDb {
    let dir = tempfile::Builder::new()
        .prefix("migrate-test-sqlite-")
        .tempdir()
        .unwrap_or_else(|err| panic!("could not create a temporary directory: {err}"));
    let path = dir.path().join("test.db");
    let url = format!("sqlite://{}?mode=rwc", path.display());
    SqliteTestDb { dir, path, url }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn url_with_database_replaces_only_the_path() {
        assert_eq!(
            url_with_database("postgres://u:p@127.0.0.1:5432/postgres", "x"),
            "postgres://u:p@127.0.0.1:5432/x"
        );
        assert_eq!(
            url_with_database("postgres://u:p@h:1/postgres?sslmode=disable", "x"),
            "postgres://u:p@h:1/x?sslmode=disable"
        );
        assert_eq!(url_with_database("postgres://h", "x"), "postgres://h/x");
        assert_eq!(
            url_with_database("postgres://h?sslmode=disable", "x"),
            "postgres://h/x?sslmode=disable"
        );
    }

    #[test]
    fn debug_output_hides_the_password() {
        assert_eq!(
            redact_password("postgres://migrate:secret@127.0.0.1:1/db"),
            "postgres://migrate:***@127.0.0.1:1/db"
        );
        assert_eq!(redact_password("postgres://h/db"), "postgres://h/db");
        let db = std::mem::ManuallyDrop::new(PgTestDb {
            url: "postgres://migrate:secret@127.0.0.1:1/db".to_owned(),
            name: "db".to_owned(),
            admin_url: "postgres://migrate:secret@127.0.0.1:1/postgres".to_owned(),
        });
        assert!(!format!("{:?}", *db).contains("secret"));
    }

    #[test]
    fn workspace_root_contains_the_pg_script() {
        assert!(workspace_root().join("scripts/pg.sh").is_file());
        assert!(workspace_root().join("Cargo.toml").is_file());
    }

    #[tokio::test]
    async fn pg_server_starts_and_fresh_database_is_usable() {
        let db = fresh_pg_db().await;
        let name = db.name.clone();
        assert!(name.starts_with("migrate_test_"), "{name}");
        assert!(db.url.contains(&format!("/{name}")));

        let pool = db.pool().await;
        let one: i32 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(one, 1);
        let current: String = sqlx::query_scalar("SELECT current_database()")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(current, name);

        // A second fresh database gets a different name.
        let other = fresh_pg_db().await;
        assert_ne!(other.name, name);
        drop(other);

        // Dropping works even while the pool still holds connections.
        drop(db);

        let mut admin = PgConnection::connect(&pg_admin_url()).await.unwrap();
        let remaining: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        assert_eq!(remaining, 0, "database {name} still exists after drop");
        admin.close().await.unwrap();
        pool.close().await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn fresh_pg_db_drops_inside_a_multi_thread_runtime() {
        let db = fresh_pg_db().await;
        let name = db.name.clone();
        drop(db);
        let mut admin = PgConnection::connect(&pg_admin_url()).await.unwrap();
        let remaining: i64 =
            sqlx::query_scalar("SELECT count(*) FROM pg_database WHERE datname = $1")
                .bind(&name)
                .fetch_one(&mut admin)
                .await
                .unwrap();
        assert_eq!(remaining, 0);
    }

    #[tokio::test]
    async fn sqlite_fresh_database_is_usable_and_removed() {
        let db = fresh_sqlite_db();
        assert!(db.url.starts_with("sqlite://"));
        assert!(db.url.ends_with("?mode=rwc"));
        let pool = db.pool().await;
        sqlx::raw_sql("CREATE TABLE t (x INTEGER); INSERT INTO t VALUES (41);")
            .execute(&pool)
            .await
            .unwrap();
        let x: i64 = sqlx::query_scalar("SELECT x + 1 FROM t")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(x, 42);
        pool.close().await;
        assert!(db.path.is_file());

        let dir = db.dir.path().to_path_buf();
        let other = fresh_sqlite_db();
        assert_ne!(other.path, db.path);
        drop(db);
        assert!(!dir.exists());
    }
}
