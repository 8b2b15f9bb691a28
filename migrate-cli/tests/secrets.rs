//! The database password never shows: not in `Debug` output, runtime
//! errors, debug logs or `--sql` scripts; and nothing else is rewritten to
//! hide it (a password that is a word of the script or a letter of
//! "Applied" leaves both intact). And the version-table name from
//! migrate.toml is validated and quoted, never pasted into SQL.
//!
//! Every run of the binary through `Project::run_env` also asserts that
//! neither stdout nor stderr holds the test server's password.

#[path = "cli/common.rs"]
#[allow(dead_code)]
mod common;

use std::path::Path;
use std::time::Duration;

use common::{PASSWORD, Project, assert_no_password, check_failure};
use migrate_runtime::{DatabaseUrl, Migrator};
use sqlx::postgres::PgPoolOptions;

/// A password that is easy to find if it leaks, with characters that need
/// percent-encoding.
const ODD_PASSWORD: &str = "s3cr3t-p@ss:w/rd?x=1&y#z";

fn encoded(password: &str) -> String {
    password
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

fn assert_hidden(what: &str, text: &str, secrets: &[&str]) {
    for s in secrets {
        assert!(
            !text.contains(s),
            "{what} shows the password {s:?}:\n{}",
            text.replace(s, "<PASSWORD>")
        );
    }
}

fn admin_url() -> String {
    migrate_tests::pg_admin_url()
}

/// `postgres://user:PASSWORD@host:port/` + `rest`, from the admin URL.
fn url_with(password: &str, host_port: Option<&str>, db: &str) -> String {
    let parts = common::pg_parts(&admin_url());
    let host_port = host_port.map_or(format!("{}:{}", parts.host, parts.port), str::to_owned);
    format!(
        "postgres://{}:{}@{host_port}/{db}",
        parts.user,
        encoded(password)
    )
}

#[test]
fn database_url_debug_and_display_hide_the_password() {
    let plain = DatabaseUrl::new(format!(
        "postgres://app:{PASSWORD}@db.internal:5432/shop?sslmode=require"
    ));
    let odd = DatabaseUrl::new(format!(
        "postgresql://app:{}@db:5432/shop",
        encoded(ODD_PASSWORD)
    ));
    let query = DatabaseUrl::new(format!(
        "postgres://app@db/shop?sslmode=verify-full&password={PASSWORD}&application_name=x"
    ));
    let parts = DatabaseUrl::from_postgres_parts(
        Some("app"),
        Some(ODD_PASSWORD),
        Some("db"),
        Some("5432"),
        Some("shop"),
    );
    let passwd = DatabaseUrl::new(format!("postgres://app@db/shop?passwd={PASSWORD}"));
    for url in [&plain, &odd, &query, &parts, &passwd] {
        let secrets = [PASSWORD, ODD_PASSWORD, &encoded(ODD_PASSWORD)];
        assert_hidden("Debug", &format!("{url:?}"), &secrets);
        assert_hidden("Debug (pretty)", &format!("{url:#?}"), &secrets);
        assert_hidden("Display", &url.to_string(), &secrets);
        assert_hidden("redacted", &url.redacted(), &secrets);
        assert!(url.to_string().contains("***"), "{url}");
        // And in a struct that holds one, as callers' own types will.
        #[derive(Debug)]
        #[allow(dead_code)]
        struct Settings<'a> {
            url: &'a DatabaseUrl,
        }
        assert_hidden(
            "Debug of a holder",
            &format!("{:?}", Settings { url }),
            &secrets,
        );
    }
}

/// A one-revision directory loaded the way the CLI loads one.
fn migrator(dir: &Path) -> Migrator {
    std::fs::write(
        dir.join("2025_01_01_0000-a1_t.sql"),
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n-- migrate:downgrade\nDROP TABLE t;\n",
    )
    .unwrap();
    Migrator::from_directory(dir, "migrations", &migrate_core::Config::default()).unwrap()
}

/// The runtime's error for a connection that cannot be made, rendered every
/// way a caller might print it.
async fn runtime_error_texts(url: &str) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    let migrator = migrator(dir.path());
    let pool = PgPoolOptions::new()
        .acquire_timeout(Duration::from_secs(3))
        .connect_lazy(url)
        .expect("a lazy pool does not connect");
    let err = migrator
        .upgrade(&pool, "head")
        .await
        .expect_err("the connection fails");
    let mut texts = vec![
        err.to_string(),
        format!("{err:?}"),
        format!("{err:#?}"),
        format!("{:?}", anyhow::Error::new(err)),
    ];
    // The driver's own error for the same URL, as an application sees it
    // (one attempt: a pool would retry until its timeout).
    let direct = <sqlx::PgConnection as sqlx::Connection>::connect(url)
        .await
        .expect_err("fails");
    texts.push(format!("{direct}"));
    texts.push(format!("{direct:?}"));
    texts
}

#[tokio::test]
async fn runtime_errors_of_failed_connects_hide_the_password() {
    let secrets = [ODD_PASSWORD, &encoded(ODD_PASSWORD)];
    // Wrong password for the real role.
    let wrong = url_with(ODD_PASSWORD, None, "postgres");
    let texts = runtime_error_texts(&wrong).await;
    assert!(
        texts[0].contains("password authentication failed"),
        "{}",
        texts[0]
    );
    for t in &texts {
        assert_hidden("wrong password error", t, &secrets);
    }

    // Unreachable host (nothing listens on port 1).
    let unreachable = url_with(ODD_PASSWORD, Some("127.0.0.1:1"), "postgres");
    for t in runtime_error_texts(&unreachable).await {
        assert_hidden("unreachable host error", &t, &secrets);
    }

    // A database that does not exist, with the right password.
    let parts = common::pg_parts(&admin_url());
    let missing_db = url_with(&parts.password, None, "no_such_database_here");
    let texts = runtime_error_texts(&missing_db).await;
    assert!(texts[0].contains("no_such_database_here"), "{}", texts[0]);
    for t in &texts {
        assert_hidden("missing database error", t, &[PASSWORD]);
    }
}

#[tokio::test]
async fn debug_logs_of_the_binary_hide_the_password() {
    let db = migrate_tests::fresh_pg_db().await;
    let p = Project::init();
    p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INT);",
        Some("DROP TABLE t;"),
    );
    for level in ["debug", "trace"] {
        // A successful run: the driver logs its statements and connections.
        let out = p.run_env(
            &["upgrade", "head"],
            &[("DATABASE_URL", &db.url), ("MIGRATE_LOG", level)],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        assert!(
            out.stderr.contains("DEBUG") || out.stderr.contains("TRACE"),
            "MIGRATE_LOG={level} logs something:\n{}",
            out.stderr
        );
        let out = p.run_env(
            &["downgrade", "base"],
            &[("DATABASE_URL", &db.url), ("MIGRATE_LOG", level)],
        );
        assert_eq!(out.code, 0, "{}", out.stderr);

        // A failed login with a distinctive password, in the URL and in the
        // POSTGRES_* variables.
        let wrong = url_with(ODD_PASSWORD, None, &db.name);
        let out = p.run_env(
            &["current"],
            &[("DATABASE_URL", &wrong), ("MIGRATE_LOG", level)],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_hidden(
            "log of a failed login",
            &format!("{}{}", out.stdout, out.stderr),
            &[ODD_PASSWORD, &encoded(ODD_PASSWORD)],
        );
        let parts = common::pg_parts(&db.url);
        let out = p.run_env(
            &["current"],
            &[
                ("POSTGRES_USER", parts.user.as_str()),
                ("POSTGRES_PASSWORD", ODD_PASSWORD),
                ("POSTGRES_HOST", parts.host.as_str()),
                ("POSTGRES_PORT", parts.port.as_str()),
                ("POSTGRES_DB", parts.db.as_str()),
                ("MIGRATE_LOG", level),
            ],
        );
        assert_eq!(out.code, 1, "{}", out.stderr);
        assert_hidden(
            "log of a failed login from POSTGRES_*",
            &format!("{}{}", out.stdout, out.stderr),
            &[ODD_PASSWORD, &encoded(ODD_PASSWORD)],
        );
    }
}

#[tokio::test]
async fn sql_scripts_hide_the_password() {
    let db = migrate_tests::fresh_pg_db().await;
    let p = Project::init();
    let a = p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INT);",
        Some("DROP TABLE t;"),
    );
    for args in [
        vec!["upgrade", "head", "--sql"],
        vec!["downgrade", &format!("{a}:base"), "--sql"],
    ] {
        let mut with_url = args.clone();
        with_url.extend(["--database-url", db.url.as_str()]);
        let out = p.run_env(&with_url, &[("MIGRATE_LOG", "debug")]);
        assert_eq!(out.code, 0, "{args:?}: {}", out.stderr);
        assert!(out.stdout.contains("migrate_history"), "{}", out.stdout);
        // run_env checked the password; the redacted URL may be named, the
        // password never.
        assert_no_password("--sql script", &out.stdout);
    }
}

/// The URL of the test server's database `db` for `user` with `password`.
fn url_for(db_url: &str, user: &str, password: &str) -> String {
    let parts = common::pg_parts(db_url);
    format!(
        "postgres://{user}:{password}@{}:{}/{}",
        parts.host, parts.port, parts.db
    )
}

/// With the password `migrate`, which is also a word of every script
/// (`migrate_history`), the offline script is printed as it is: psql applies
/// it and the database is then at head (issue 26: it used to create and
/// record into `"***_history"`).
#[tokio::test]
async fn a_password_that_is_a_word_of_the_script_leaves_the_script_intact() {
    let db = migrate_tests::fresh_pg_db().await;
    let p = Project::init();
    p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INT);",
        Some("DROP TABLE t;"),
    );
    let parts = common::pg_parts(&db.url);
    let url = url_for(&db.url, &parts.user, "migrate");
    let out = p.run(&["upgrade", "head", "--sql", "--database-url", &url]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(out.stdout.contains("migrate_history"), "{}", out.stdout);
    assert!(!out.stdout.contains("***"), "{}", out.stdout);
    common::apply_with_psql(&db.url, &out.stdout);
    let current = p.run_env(&["current"], &[("DATABASE_URL", &db.url)]);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert!(current.stdout.contains("(head)"), "{}", current.stdout);
}

/// A one-letter password: "Applied" stays "Applied" (it was "Appli***d",
/// which gave the password away), and the URL is shown redacted.
#[tokio::test]
async fn a_one_letter_password_does_not_rewrite_output() {
    let db = migrate_tests::fresh_pg_db().await;
    let role = format!("secrets_e_{}", std::process::id());
    let pool = db.pool().await;
    sqlx::raw_sql(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'e'; ALTER DATABASE \"{}\" OWNER TO {role};",
        db.name
    ))
    .execute(&pool)
    .await
    .unwrap();
    let url = url_for(&db.url, &role, "e");
    let p = Project::init();
    p.revision(
        &["-m", "create the event table"],
        "CREATE TABLE event (id INT);",
        Some("DROP TABLE event;"),
    );
    let up = p.run_env(&["upgrade", "head"], &[("DATABASE_URL", &url)]);
    let current = p.run_env(&["current", "--verbose"], &[("DATABASE_URL", &url)]);
    let refused = p.run_env(
        &["current"],
        &[("DATABASE_URL", &url_for(&db.url, &role, "wrong-e"))],
    );
    sqlx::raw_sql(&format!(
        "REASSIGN OWNED BY {role} TO CURRENT_USER; DROP OWNED BY {role}; DROP ROLE {role};"
    ))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    assert_eq!(up.code, 0, "{}", up.stderr);
    assert!(up.stdout.contains("Applied "), "{}", up.stdout);
    assert!(
        up.stdout.contains("create the event table"),
        "{}",
        up.stdout
    );
    assert!(!up.stdout.contains("***"), "{}", up.stdout);
    assert_eq!(current.code, 0, "{}", current.stderr);
    assert!(
        current.stdout.contains(&format!("postgres://{role}:***@")),
        "{}",
        current.stdout
    );
    assert!(!current.stdout.contains(":e@"), "{}", current.stdout);
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    assert!(
        refused.stderr.contains(&format!("postgres://{role}:***@")),
        "{}",
        refused.stderr
    );
    assert!(!refused.stderr.contains("wrong-e"), "{}", refused.stderr);
}

/// `DATABASE_URL: postgres://…` (a colon for `=`) in .env: the error names
/// the line and the fix, never the value.
#[test]
fn a_dotenv_line_with_a_colon_does_not_print_the_password() {
    let p = Project::init();
    for line in [
        format!(
            "DATABASE_URL: postgres://app:{}@db.invalid/shop?sslmode=require",
            encoded(ODD_PASSWORD)
        ),
        format!("DATABASE_URL: postgres://app:{PASSWORD}@db.invalid/shop"),
    ] {
        std::fs::write(p.path().join(".env"), format!("# local\n{line}\n")).unwrap();
        let out = p.run(&["current"]);
        check_failure(&["current"], &out, 2, ".env:2:");
        assert!(out.stderr.contains("DATABASE_URL=…"), "{}", out.stderr);
        assert_hidden(
            ".env error",
            &out.stderr,
            &[PASSWORD, ODD_PASSWORD, &encoded(ODD_PASSWORD)],
        );
    }
}

/// A password in a query parameter: `password=` is shown as `***`, and a
/// misspelled one (`passwd=`) is refused by name, its value never shown
/// (the driver would have logged it and ignored it).
#[test]
fn a_password_in_a_query_parameter_is_never_printed() {
    let p = Project::init();
    let args = [
        "current",
        "--database-url",
        "postgres://app@127.0.0.1:1/shop?password=s3cr3t-param",
    ];
    let out = p.run(&args);
    check_failure(
        &args,
        &out,
        1,
        "could not connect to postgres://app@127.0.0.1:1/shop?password=***",
    );
    assert_hidden("password= parameter", &out.stderr, &["s3cr3t-param"]);
    let args = [
        "current",
        "--database-url",
        "postgres://app@127.0.0.1:1/shop?passwd=s3cr3t-param",
    ];
    let out = p.run_env(&args, &[("MIGRATE_LOG", "trace")]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.contains("unknown connection parameter `passwd`"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("did you mean `password`?"),
        "{}",
        out.stderr
    );
    assert_hidden("passwd= parameter", &out.stderr, &["s3cr3t-param"]);
}

/// Version-table names from migrate.toml that must not reach SQL as written.
const HOSTILE_TABLES: &[&str] = &[
    "x; DROP TABLE users; --",
    "\"quoted\"",
    "history\"; DROP TABLE users; --",
    "a.b.c",
    "public.",
    ".history",
    "",
    "1history",
    "hist ory",
    "histöry",
];

fn set_version_table(p: &Project, table: &str) {
    let path = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&path).unwrap();
    let mut lines: Vec<String> = text
        .lines()
        .filter(|l| !l.trim_start().starts_with("version_table"))
        .map(str::to_owned)
        .collect();
    // TOML basic string: escape backslashes and quotes.
    let escaped = table.replace('\\', "\\\\").replace('"', "\\\"");
    let at = lines
        .iter()
        .position(|l| l.trim_start().starts_with('['))
        .unwrap_or(lines.len());
    lines.insert(at, format!("version_table = \"{escaped}\""));
    std::fs::write(&path, lines.join("\n") + "\n").unwrap();
}

fn hostile_names_are_refused(url: &str) {
    let p = Project::init();
    p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INT);",
        Some("DROP TABLE t;"),
    );
    for table in HOSTILE_TABLES {
        set_version_table(&p, table);
        let args = ["upgrade", "head", "--database-url", url];
        let out = p.run(&args);
        check_failure(&args, &out, 2, "is not a plain table name");
        assert!(
            out.stderr.contains("migrate.toml"),
            "the error names the file:\n{}",
            out.stderr
        );
        // Offline scripts refuse it too.
        let args = ["upgrade", "head", "--sql", "--database-url", url];
        let out = p.run(&args);
        check_failure(&args, &out, 2, "is not a plain table name");
    }
}

#[tokio::test]
async fn hostile_version_table_names_are_refused_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    let pool = db.pool().await;
    sqlx::raw_sql("CREATE TABLE users (id INT); CREATE SCHEMA audit;")
        .execute(&pool)
        .await
        .unwrap();
    hostile_names_are_refused(&db.url);
    let users: Option<String> = sqlx::query_scalar("SELECT to_regclass('users')::text")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users.as_deref(), Some("users"), "users survived");

    // A valid schema-qualified, mixed-case name is quoted: it lands exactly
    // where it says, case preserved.
    let p = Project::init();
    p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INT);",
        Some("DROP TABLE t;"),
    );
    set_version_table(&p, "audit.Migrate_History");
    p.ok(&["upgrade", "head", "--database-url", &db.url]);
    let found: Option<String> =
        sqlx::query_scalar("SELECT to_regclass('audit.\"Migrate_History\"')::text")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert!(found.is_some(), "audit.\"Migrate_History\" was created");
    let script = p.ok(&["upgrade", "head", "--sql", "--database-url", &db.url]);
    assert!(
        script.stdout.contains("\"audit\".\"Migrate_History\""),
        "the script quotes the name:\n{}",
        script.stdout
    );
    pool.close().await;
}

#[tokio::test]
async fn hostile_version_table_names_are_refused_on_sqlite() {
    let db = migrate_tests::fresh_sqlite_db();
    let pool = db.pool().await;
    sqlx::raw_sql("CREATE TABLE users (id INT);")
        .execute(&pool)
        .await
        .unwrap();
    hostile_names_are_refused(&db.url);
    let users: i64 = sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'users'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(users, 1, "users survived");

    // A mixed-case name is quoted, its case kept.
    let p = Project::init();
    p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INT);",
        Some("DROP TABLE t;"),
    );
    set_version_table(&p, "Migrate_History");
    p.ok(&["upgrade", "head", "--database-url", &db.url]);
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'migrate%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(names.iter().any(|n| n == "Migrate_History"), "{names:?}");
    pool.close().await;
}
