//! Where the database URL comes from: `--database-url`, `DATABASE_URL`,
//! `POSTGRES_*`, `migrate.toml`, with `.env` read first.

use crate::common::{Project, check_failure, pg_parts};

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

/// Issue 26: a `.env` someone else owns (a shared directory, a checkout)
/// must not pick the host that receives the password from the user's own
/// environment. Tests run as root; the file is given to uid 65534.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_password_from_the_environment_is_not_sent_to_a_host_a_foreign_dotenv_names() {
    use std::os::unix::fs::{MetadataExt, chown};

    let db = migrate_tests::fresh_pg_db().await;
    let parts = pg_parts(&db.url);
    let p = project_with_one_revision();
    let dotenv = p.path().join(".env");
    let me = std::fs::metadata(p.path()).unwrap().uid();
    let give_away = |owner: u32| {
        chown(&dotenv, Some(owner), Some(owner))
            .unwrap_or_else(|e| panic!("chown .env to {owner} (the tests run as root): {e}"))
    };

    // POSTGRES_HOST from the foreign file, POSTGRES_PASSWORD from ours.
    std::fs::write(
        &dotenv,
        format!(
            "POSTGRES_HOST={}\nPOSTGRES_PORT={}\nPOSTGRES_USER={}\nPOSTGRES_DB={}\n",
            parts.host, parts.port, parts.user, parts.db
        ),
    )
    .unwrap();
    give_away(65534);
    let args = ["upgrade", "head"];
    let out = p.run_env(&args, &[("POSTGRES_PASSWORD", &parts.password)]);
    check_failure(
        &args,
        &out,
        2,
        &format!("POSTGRES_HOST names the host `{}`", parts.host),
    );
    for needle in [
        "owned by uid 65534",
        "POSTGRES_PASSWORD in your environment",
        "--database-url",
    ] {
        assert!(out.stderr.contains(needle), "{needle}:\n{}", out.stderr);
    }

    // DATABASE_URL from the foreign file, PGPASSWORD from the environment.
    let without_password = format!(
        "postgres://{}@{}:{}/{}",
        parts.user, parts.host, parts.port, parts.db
    );
    std::fs::write(&dotenv, format!("DATABASE_URL={without_password}\n")).unwrap();
    give_away(65534);
    let out = p.run_env(&["current"], &[("PGPASSWORD", &parts.password)]);
    check_failure(&["current"], &out, 2, "PGPASSWORD in your environment");

    // An explicit URL is used as given.
    let out = p.run_env(
        &["upgrade", "head", "--database-url", &without_password],
        &[("PGPASSWORD", &parts.password)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);

    // The user's own file is trusted, and --verbose says where each part
    // of the URL came from.
    give_away(me);
    let out = p.run_env(
        &["current", "--verbose"],
        &[("PGPASSWORD", &parts.password)],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    for needle in [
        format!("Database URL {without_password} from DATABASE_URL in "),
        format!("  host {}: DATABASE_URL in ", parts.host),
        "  password: PGPASSWORD in the environment".to_owned(),
    ] {
        assert!(out.stderr.contains(&needle), "{needle}:\n{}", out.stderr);
    }
}

/// Issue 25: `sqlite:///app.db` is SQLAlchemy's relative form, but sqlx (and
/// so the application's own pool) reads `/app.db`: refused with both
/// spellings instead of creating a file at the filesystem root.
#[test]
fn sqlite_three_slashes_naming_the_root_are_refused() {
    let p = project_with_one_revision();
    let existed = std::path::Path::new("/migrate-test-root-file.db").exists();
    let args = [
        "upgrade",
        "head",
        "--database-url",
        "sqlite:///migrate-test-root-file.db",
    ];
    let out = p.fails(&args, 2, "write `sqlite://migrate-test-root-file.db`");
    assert!(
        out.stderr
            .contains("`sqlite:////migrate-test-root-file.db`"),
        "{}",
        out.stderr
    );
    assert!(existed || !std::path::Path::new("/migrate-test-root-file.db").exists());
    let args = [
        "upgrade",
        "head",
        "--database-url",
        "sqlite:///no-such-dir/app.db",
    ];
    p.fails(&args, 2, "write `sqlite://no-such-dir/app.db`");
    // An absolute path in an existing directory is what it says.
    let absolute = format!("sqlite://{}/abs.db", p.path().display());
    p.ok(&["upgrade", "head", "--database-url", &absolute]);
    assert!(p.path().join("abs.db").is_file());
}

#[test]
fn a_driver_part_in_the_scheme_gets_a_hint() {
    let p = project_with_one_revision();
    let args = [
        "current",
        "--database-url",
        "postgresql+psycopg2://app:pw@localhost/shop",
    ];
    p.fails(&args, 2, "drop the driver part: postgresql://");
    let args = [
        "upgrade",
        "head",
        "--sql",
        "--database-url",
        "sqlite+pysqlite:///app.db",
    ];
    p.fails(&args, 2, "drop the driver part: sqlite://");
}

#[test]
fn dotenv_expands_variables_and_reads_multi_line_values() {
    let p = project_with_one_revision();
    std::fs::write(
        p.path().join(".env"),
        "NAME=expanded\nNOTE=\"a value\nover two lines\"\nDATABASE_URL=sqlite://${NAME}.db\n",
    )
    .unwrap();
    p.ok(&["upgrade", "head"]);
    assert!(p.path().join("expanded.db").is_file());
}

#[test]
fn a_broken_dotenv_does_not_stop_a_command_with_database_url() {
    let p = project_with_one_revision();
    std::fs::write(p.path().join(".env"), "DATABASE_URL: sqlite://x.db\n").unwrap();
    p.fails(
        &["current"],
        2,
        ".env:1: `DATABASE_URL:` has a colon where `=` belongs",
    );
    p.ok(&["upgrade", "head", "--database-url", "sqlite://flag.db"]);
    assert!(p.path().join("flag.db").is_file());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unencoded_at_or_slash_in_the_password_asks_for_percent_encoding() {
    let db = migrate_tests::fresh_pg_db().await;
    let parts = pg_parts(&db.url);
    let p = project_with_one_revision();
    for password in ["p@ss/word", "p/ss", "p@ss"] {
        let url = format!(
            "postgres://{}:{password}@{}:{}/{}",
            parts.user, parts.host, parts.port, parts.db
        );
        let args = ["current", "--database-url", url.as_str()];
        let out = p.fails(&args, 2, "percent-encode the password");
        assert!(
            !out.stderr.contains("invalid port number"),
            "{}",
            out.stderr
        );
        assert!(!out.stderr.contains(password), "{}", out.stderr);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_missing_password_names_the_three_places_it_can_come_from() {
    let db = migrate_tests::fresh_pg_db().await;
    let parts = pg_parts(&db.url);
    let p = project_with_one_revision();
    let url = format!(
        "postgres://{}@{}:{}/{}",
        parts.user, parts.host, parts.port, parts.db
    );
    let out = p.fails(
        &["current", "--database-url", &url],
        1,
        "the URL has no password",
    );
    for needle in ["in the URL", "PGPASSWORD", "POSTGRES_PASSWORD"] {
        assert!(out.stderr.contains(needle), "{needle}:\n{}", out.stderr);
    }
}
