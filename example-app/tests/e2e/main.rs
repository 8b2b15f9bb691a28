//! End-to-end tests of `example-app`: the real binary, started on a free
//! port against a fresh SQLite file and a fresh PostgreSQL database, driven
//! with real HTTP requests, stopped, migrated down to base and up to head
//! with its own `migrate` subcommands, and started again.
//!
//! PostgreSQL comes from `migrate_tests::fresh_pg_db`, which starts a
//! private server when needed and fails (never skips) when it cannot.

mod api;
mod app;
mod hostile;
mod http;
mod load;
mod restart;

use std::time::Duration;

use app::App;
use migrate_tests::{fresh_pg_db, fresh_sqlite_db};

/// The head of `migrations/`.
pub const HEAD: &str = "a4b5c6d7e8f9";

/// Every revision of `migrations/`.
const REVISIONS: [&str; 9] = [
    "955bb0742a21",
    "3c4d5e6f7a8b",
    "a1b2c3d4e5f6",
    "b7c8d9e0f1a2",
    "c3d4e5f6a7b8",
    "d9e8f7a6b5c4",
    "e1f2a3b4c5d6",
    "f3a4b5c6d7e8",
    "a4b5c6d7e8f9",
];

/// The password of the test server started by `scripts/pg.sh`.
const HARNESS_PASSWORD: &str = "migrate-test-pw";

/// A revision no build has: what a newer build would have left.
const UNKNOWN_REVISION: &str = "ffffffffffff";
const STAMP_UNKNOWN_REVISION: &str = "INSERT INTO migrate_history (revision, checksum, seq, state) \
     VALUES ('ffffffffffff', 'v1:x', 999, 'applied')";

/// The parts of `postgres://user:password@host:port/db`.
struct PgParts {
    user: String,
    password: String,
    host: String,
    port: String,
    db: String,
}

fn pg_parts(url: &str) -> PgParts {
    let rest = url.split_once("://").expect("a URL").1;
    let rest = rest.split('?').next().unwrap();
    let (userinfo, rest) = rest.rsplit_once('@').expect("credentials in the test URL");
    let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
    let (hostport, db) = rest.split_once('/').expect("a database name");
    let (host, port) = hostport.rsplit_once(':').unwrap_or((hostport, "5432"));
    PgParts {
        user: user.to_owned(),
        password: password.to_owned(),
        host: host.to_owned(),
        port: port.to_owned(),
        db: db.to_owned(),
    }
}

/// Asserts that neither the harness password nor this URL's was printed.
#[track_caller]
fn assert_no_password(app: &App, url: &str) {
    app.assert_never_printed(HARNESS_PASSWORD);
    let password = pg_parts(url).password;
    if !password.is_empty() {
        app.assert_never_printed(&password);
    }
}

/// Serve, exercise the API, stop; restart (nothing to apply); `migrate
/// downgrade base`, `migrate upgrade head`; serve again and check the data
/// path. Shared by both databases.
fn full_cycle(app: &mut App, backend: &str) {
    let server = app.start(&["--port", "0"]);
    api::exercise(&server.client, backend);
    let first = app.stop(server);
    first.expect_success();
    assert!(
        first.stderr.contains("database migrated to head"),
        "{}",
        first.stderr
    );
    for revision in REVISIONS {
        assert!(first.stderr.contains(revision), "{}", first.stderr);
    }

    // A second start finds nothing to apply and runs no revision.
    let server = app.start(&["serve", "--port", "0"]);
    api::health_and_db_test(&server.client, backend);
    let second = app.stop(server);
    second.expect_success();
    assert!(
        second.stderr.contains("nothing to apply"),
        "{}",
        second.stderr
    );
    assert!(
        !second.stderr.contains("revision done"),
        "{}",
        second.stderr
    );

    let current = app.migrate(&["current"]);
    assert!(current.stdout.contains(HEAD), "{}", current.stdout);

    let down = app.migrate(&["downgrade", "base"]);
    for revision in REVISIONS {
        assert!(down.stdout.contains(revision), "{}", down.stdout);
    }
    let current = app.migrate(&["current"]);
    assert!(!current.stdout.contains(HEAD), "{}", current.stdout);
    let check = app.run(&["migrate", "check"]);
    assert_eq!(check.status.code(), Some(1), "{check:?}");

    let up = app.migrate(&["upgrade", "head"]);
    assert!(up.stdout.contains(HEAD), "{}", up.stdout);
    app.migrate(&["check"]);

    let server = app.start(&["--port", "0"]);
    api::works_after_rebuild(&server.client, backend);
    app.stop(server).expect_success();
}

#[test]
fn sqlite_file_in_the_working_directory_by_default() {
    let db = fresh_sqlite_db();
    // No DATABASE_URL, no POSTGRES_*: the README's `cargo run -p example-app`.
    let mut app = App::new(db.dir.path());
    full_cycle(&mut app, "sqlite");
    assert!(db.dir.path().join("example-app.db").is_file());
}

/// SIGTERM sent the moment `listening on` is printed, before any request,
/// is a graceful shutdown: the handlers are in place before the line.
#[test]
fn sigterm_right_after_listening_is_a_graceful_stop() {
    let db = fresh_sqlite_db();
    let mut app = App::new(db.dir.path());
    for _ in 0..10 {
        let stopped = app.start_and_terminate_at_once(&["--port", "0"]);
        stopped.expect_success();
        assert!(
            stopped.stderr.contains("shutting down"),
            "{}",
            stopped.stderr
        );
    }
}

#[tokio::test]
async fn postgres_from_database_url() {
    let db = fresh_pg_db().await;
    let dir = tempdir();
    let mut app = App::new(dir.path()).env("DATABASE_URL", &db.url);
    full_cycle(&mut app, "postgres");
    assert_no_password(&app, &db.url);
}

#[tokio::test]
async fn postgres_variables_from_dotenv() {
    let db = fresh_pg_db().await;
    let parts = pg_parts(&db.url);
    let dir = tempdir();
    std::fs::write(
        dir.path().join(".env"),
        format!(
            "# read by example-app at start\nPOSTGRES_USER={}\nPOSTGRES_PASSWORD='{}'\nPOSTGRES_HOST={}\nPOSTGRES_PORT={}\nPOSTGRES_DB={}\n",
            parts.user, parts.password, parts.host, parts.port, parts.db
        ),
    )
    .unwrap();
    // PORT from the environment instead of --port.
    let mut app = App::new(dir.path()).env("PORT", "0");
    let server = app.start(&[]);
    api::health_and_db_test(&server.client, "postgres");
    app.stop(server).expect_success();
    let current = app.migrate(&["current"]);
    assert!(current.stdout.contains(HEAD), "{}", current.stdout);
    assert!(!dir.path().join("example-app.db").exists());
    assert_no_password(&app, &db.url);
}

#[test]
fn set_variables_win_over_dotenv() {
    let db = fresh_sqlite_db();
    std::fs::write(
        db.dir.path().join(".env"),
        "DATABASE_URL=postgres://nobody:nothing@127.0.0.1:1/none\n",
    )
    .unwrap();
    let mut app = App::new(db.dir.path()).env("DATABASE_URL", &db.url);
    let server = app.start(&["--port", "0"]);
    api::health_and_db_test(&server.client, "sqlite");
    app.stop(server).expect_success();
    assert!(db.path.is_file());
}

/// The start must fail, name the revision and say what to do.
#[track_caller]
fn assert_refuses_to_start(app: &mut App) {
    let output = app.run(&["--port", "0"]);
    assert!(!output.status.success(), "{output:?}");
    assert!(!output.stdout.contains("listening on"), "{output:?}");
    assert!(
        output.stderr.contains(UNKNOWN_REVISION),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("ahead of this binary"),
        "{}",
        output.stderr
    );
    assert!(
        output.stderr.contains("example-app migrate downgrade"),
        "{}",
        output.stderr
    );
    // The migrate subcommands refuse it too.
    let current = app.run(&["migrate", "current"]);
    assert!(!current.status.success(), "{current:?}");
    assert!(
        current.stderr.contains(UNKNOWN_REVISION),
        "{}",
        current.stderr
    );
}

#[tokio::test]
async fn database_ahead_of_the_binary_refuses_to_start_on_sqlite() {
    let db = fresh_sqlite_db();
    let mut app = App::new(db.dir.path()).env("DATABASE_URL", &db.url);
    app.migrate(&["upgrade", "head"]);
    let pool = db.pool().await;
    sqlx::query(STAMP_UNKNOWN_REVISION)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_refuses_to_start(&mut app);
}

#[tokio::test]
async fn database_ahead_of_the_binary_refuses_to_start_on_postgres() {
    let db = fresh_pg_db().await;
    let dir = tempdir();
    let mut app = App::new(dir.path()).env("DATABASE_URL", &db.url);
    app.migrate(&["upgrade", "head"]);
    let pool = db.pool().await;
    sqlx::query(STAMP_UNKNOWN_REVISION)
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    assert_refuses_to_start(&mut app);
    assert_no_password(&app, &db.url);
}

#[tokio::test]
async fn connection_errors_never_show_the_password() {
    let db = fresh_pg_db().await;
    // The right server and password, a database that does not exist.
    let url = format!("{}_missing", db.url.split('?').next().unwrap());
    let dir = tempdir();
    let mut app = App::new(dir.path()).env("DATABASE_URL", &url);
    let output = app.run(&["--port", "0"]);
    assert_eq!(output.status.code(), Some(1), "{output:?}");
    assert!(output.stderr.contains(":***@"), "{}", output.stderr);
    assert!(output.stderr.contains("_missing"), "{}", output.stderr);
    let current = app.run(&["migrate", "current"]);
    assert!(!current.status.success(), "{current:?}");
    assert_no_password(&app, &db.url);
}

#[test]
fn migrate_subcommands_use_the_embedded_table() {
    let db = fresh_sqlite_db();
    let mut app = App::new(db.dir.path()).env("DATABASE_URL", &db.url);
    // The binary knows its revisions without a migrations directory here.
    assert!(!db.dir.path().join("migrations").exists());
    let history = app.migrate(&["history"]);
    for revision in REVISIONS {
        assert!(history.stdout.contains(revision), "{}", history.stdout);
    }
    app.migrate(&["upgrade", "head"]);
    app.migrate(&["check"]);

    app.migrate(&["stamp", "d9e8f7a6b5c4"]);
    let current = app.migrate(&["current"]);
    assert!(
        current.stdout.contains("d9e8f7a6b5c4"),
        "{}",
        current.stdout
    );
    let check = app.run(&["migrate", "check"]);
    assert_eq!(check.status.code(), Some(1), "{check:?}");
    assert!(check.stderr.contains(HEAD), "{}", check.stderr);

    app.migrate(&["stamp", "head"]);
    app.migrate(&["check"]);
    let current = app.migrate(&["current"]);
    assert!(current.stdout.contains(HEAD), "{}", current.stdout);

    // Bad invocations exit 2.
    let bad = app.run(&["migrate", "upgrade", "no-such-revision!"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
    let bad = app.run(&["--port", "not-a-port"]);
    assert_eq!(bad.status.code(), Some(2), "{bad:?}");
}

#[test]
fn unsupported_database_url_is_a_configuration_error() {
    let dir = tempdir();
    let mut app = App::new(dir.path()).env("DATABASE_URL", "mysql://root:hunter2@localhost/shop");
    let output = app.run(&["--port", "0"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stderr.contains("mysql"), "{}", output.stderr);
    app.assert_never_printed("hunter2");
}

#[tokio::test]
async fn a_password_in_an_unknown_parameter_is_refused_and_never_logged() {
    let db = fresh_pg_db().await;
    let dir = tempdir();
    // sqlx would log `value=…` of a parameter it does not know at WARN,
    // which the app's default `info` filter shows.
    let base = db.url.split('?').next().unwrap();
    let url = format!("{base}?passwd=s3cr3t-in-a-parameter");
    let mut app = App::new(dir.path()).env("DATABASE_URL", &url);
    let output = app.run(&["--port", "0"]);
    assert_eq!(output.status.code(), Some(2), "{output:?}");
    assert!(output.stderr.contains("`passwd`"), "{}", output.stderr);
    assert!(
        output.stderr.contains("did you mean `password`?"),
        "{}",
        output.stderr
    );
    app.assert_never_printed("s3cr3t-in-a-parameter");
    assert_no_password(&app, &db.url);
}

/// The header and request timeouts of the half-sent request tests.
const TIMEOUTS: Duration = Duration::from_secs(1);

/// Control characters, then half-sent requests against a server with
/// one-second timeouts.
fn hostile_requests(dir: &std::path::Path, url: &str, backend: &str) {
    let mut app = App::new(dir).env("DATABASE_URL", url);
    let server = app.start(&["--port", "0"]);
    hostile::control_characters_are_refused(&server.client);
    let stopped = app.stop(server);
    stopped.expect_success();
    // No 500 and no error log (PostgreSQL refused NUL with a 500 before).
    assert!(!stopped.stderr.contains("status=500"), "{}", stopped.stderr);
    assert!(!stopped.stderr.contains("ERROR"), "{}", stopped.stderr);

    let seconds = TIMEOUTS.as_secs_f64().to_string();
    let mut app = App::new(dir)
        .env("DATABASE_URL", url)
        .env("HTTP_HEADER_TIMEOUT", &seconds)
        .env("HTTP_REQUEST_TIMEOUT", &seconds);
    hostile::half_sent_requests_are_closed(&mut app, backend);
}

#[test]
fn hostile_requests_on_sqlite() {
    let db = fresh_sqlite_db();
    hostile_requests(db.dir.path(), &db.url, "sqlite");
}

#[tokio::test]
async fn hostile_requests_on_postgres() {
    let db = fresh_pg_db().await;
    let dir = tempdir();
    hostile_requests(dir.path(), &db.url, "postgres");
}

#[test]
fn timeouts_must_be_positive_seconds() {
    let dir = tempdir();
    for bad in ["0", "-1", "soon"] {
        let mut app = App::new(dir.path()).env("HTTP_HEADER_TIMEOUT", bad);
        let output = app.run(&["--port", "0"]);
        assert_eq!(output.status.code(), Some(2), "{output:?}");
        assert!(
            output.stderr.contains("HTTP_HEADER_TIMEOUT")
                || output.stderr.contains("--header-timeout"),
            "{}",
            output.stderr
        );
    }
}

/// A working directory of its own: no stray `.env`, no `example-app.db`.
fn tempdir() -> tempfile::TempDir {
    tempfile::Builder::new()
        .prefix("example-app-e2e-")
        .tempdir()
        .unwrap()
}
