//! Where the database URL comes from: `--database-url`, `DATABASE_URL`,
//! `POSTGRES_*`, `migrate.toml`, with `.env` read first.

use crate::common::{Project, pg_parts};

fn project_with_one_revision() -> Project {
    let p = Project::init();
    p.revision(
        &["-m", "t"],
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    p
}

#[test]
fn dotenv_database_url_is_used() {
    let p = project_with_one_revision();
    std::fs::write(
        p.path().join(".env"),
        "# local settings\nDATABASE_URL=sqlite://from-dotenv.db\n",
    )
    .unwrap();
    p.ok(&["upgrade", "head"]);
    assert!(p.path().join("from-dotenv.db").is_file());
}

#[test]
fn environment_wins_over_dotenv_and_flag_wins_over_both() {
    let p = project_with_one_revision();
    std::fs::write(p.path().join(".env"), "DATABASE_URL=sqlite://dotenv.db\n").unwrap();
    let out = p.run_env(&["upgrade", "head"], &[("DATABASE_URL", "sqlite://env.db")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(p.path().join("env.db").is_file());
    assert!(!p.path().join("dotenv.db").exists());
    let out = p.run_env(
        &["upgrade", "head", "--database-url", "sqlite://flag.db"],
        &[("DATABASE_URL", "sqlite://env.db")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(p.path().join("flag.db").is_file());
    assert!(!p.path().join("dotenv.db").exists());
}

#[test]
fn migrate_toml_database_url_is_the_last_fallback() {
    let p = project_with_one_revision();
    let toml = std::fs::read_to_string(p.path().join("migrate.toml")).unwrap();
    std::fs::write(
        p.path().join("migrate.toml"),
        toml.replace(
            "# database_url = \"sqlite://app.db\"",
            "database_url = \"sqlite://from-config.db\"",
        ),
    )
    .unwrap();
    p.ok(&["upgrade", "head"]);
    assert!(p.path().join("from-config.db").is_file());
    // DATABASE_URL still comes first.
    let out = p.run_env(&["upgrade", "head"], &[("DATABASE_URL", "sqlite://env.db")]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(p.path().join("env.db").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_variables_build_the_url_from_the_environment_or_dotenv() {
    let db = migrate_tests::fresh_pg_db().await;
    let parts = pg_parts(&db.url);
    let p = project_with_one_revision();
    let vars = [
        ("POSTGRES_USER", parts.user.as_str()),
        ("POSTGRES_PASSWORD", parts.password.as_str()),
        ("POSTGRES_HOST", parts.host.as_str()),
        ("POSTGRES_PORT", parts.port.as_str()),
        ("POSTGRES_DB", parts.db.as_str()),
    ];
    let out = p.run_env(&["upgrade", "head"], &vars);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let out = p.run_env(&["current", "--verbose"], &vars);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.starts_with(&format!(
            "Current revision(s) for postgres://{}:***@{}:{}/{}:",
            parts.user, parts.host, parts.port, parts.db
        )),
        "{}",
        out.stdout
    );
    // The same variables from .env.
    let dotenv: String = vars.iter().map(|(k, v)| format!("{k}={v}\n")).collect();
    std::fs::write(p.path().join(".env"), dotenv).unwrap();
    let out = p.ok(&["current"]);
    assert!(out.stdout.ends_with("(head)\n"), "{}", out.stdout);
}
