//! Where schema.sql and migrate.toml come from (issue #25): a schema read in
//! the dialect of the database it is compared with, judged by that
//! database's own grammar; `init` taking the dialect from the database URL.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{Db, Project, TestDb, generated_path};

#[tokio::test]
async fn sqlite_rejects_postgres_defaults_in_schema_sql_with_the_line() {
    let database = TestDb::fresh(Db::Sqlite).await;
    let p = Project::new(Db::Sqlite, database.url(), "");
    p.revision(
        "events",
        "CREATE TABLE events (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE events;"),
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema(
        "CREATE TABLE events (\n    id INTEGER PRIMARY KEY,\n    at TIMESTAMP NOT NULL DEFAULT now()\n);\n",
    );
    for args in [&["check"][..], &["revision", "--autogenerate", "-m", "at"]] {
        let out = p.fails(args, 1, "schema.sql:3:");
        assert!(
            out.stderr
                .contains("schema.sql:3:35: SQLite rejects this: ")
                && out.stderr.contains("write DEFAULT CURRENT_TIMESTAMP"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("(read as SQLite)"), "{}", out.stderr);
    }
    assert_eq!(
        std::fs::read_dir(p.path().join("migrations"))
            .unwrap()
            .count(),
        1,
        "nothing written"
    );

    // What SQLite accepts goes through, and upgrades.
    p.write_schema(
        "CREATE TABLE events (\n    id INTEGER PRIMARY KEY,\n    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n",
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "at"]);
    let text = std::fs::read_to_string(p.path().join(generated_path(&out))).unwrap();
    assert!(text.contains("DEFAULT CURRENT_TIMESTAMP"), "{text}");
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);
}

/// `migrate init` in an empty directory, with `env` (only) and `args`.
fn init(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command
        .args(args)
        .arg("init")
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run migrate init");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "init failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let toml = std::fs::read_to_string(dir.join("migrate.toml")).expect("read migrate.toml");
    (toml, stdout)
}

#[test]
fn init_takes_the_dialect_from_the_database_url() {
    let dir = |_: &str| tempfile::tempdir().expect("temporary directory");

    let d = dir("env");
    let (toml, out) = init(
        d.path(),
        &[],
        &[("DATABASE_URL", "postgres://app:secret-pw@db.example/app")],
    );
    assert!(toml.contains("\ndialect = \"postgres\"\n"), "{toml}");
    assert!(
        out.contains("dialect = \"postgres\" (the database URL in DATABASE_URL)"),
        "{out}"
    );
    assert!(!toml.contains("secret-pw") && !out.contains("secret-pw"));

    let d = dir("flag");
    let (toml, _) = init(d.path(), &["--database-url", "sqlite://app.db"], &[]);
    assert!(toml.contains("\ndialect = \"sqlite\"\n"), "{toml}");
    assert!(
        !d.path().join("app.db").exists(),
        "init connects to nothing"
    );

    let d = dir("dotenv");
    std::fs::write(d.path().join(".env"), "DATABASE_URL=sqlite:app.db\n").unwrap();
    let (toml, _) = init(d.path(), &[], &[]);
    assert!(toml.contains("\ndialect = \"sqlite\"\n"), "{toml}");

    let d = dir("postgres vars");
    let (toml, _) = init(
        d.path(),
        &[],
        &[
            ("POSTGRES_USER", "app"),
            ("POSTGRES_PASSWORD", "pw"),
            ("POSTGRES_DB", "app"),
        ],
    );
    assert!(toml.contains("\ndialect = \"postgres\"\n"), "{toml}");

    let d = dir("none");
    let (toml, out) = init(d.path(), &[], &[]);
    assert!(toml.contains("\ndialect = \"any\"\n"), "{toml}");
    assert!(toml.contains("No database URL was known"), "{toml}");
    assert!(!out.contains("dialect ="), "{out}");

    // A broken .env does not stop init; it then knows no URL.
    let d = dir("broken");
    std::fs::write(d.path().join(".env"), "DATABASE_URL=\"unterminated\n").unwrap();
    let (toml, _) = init(d.path(), &[], &[]);
    assert!(toml.contains("\ndialect = \"any\"\n"), "{toml}");
}
