//! The session a user types, from `init` to `stamp`, on both databases
//! (issue 4: "a full session as a user would type it").

use crate::common::{Project, apply_with_psql, check_failure, pg_fingerprint};

const PRODUCTS_UP: &str = "CREATE TABLE products (\n    id TEXT PRIMARY KEY,\n    name TEXT NOT NULL,\n    price NUMERIC(10, 2) NOT NULL\n);";
const PRODUCTS_DOWN: &str = "DROP TABLE products;";
const COLUMNS_UP: &str = "ALTER TABLE products ADD COLUMN description TEXT;\nALTER TABLE products ADD COLUMN quantity INTEGER NOT NULL DEFAULT 0;";
const COLUMNS_DOWN: &str =
    "ALTER TABLE products DROP COLUMN quantity;\nALTER TABLE products DROP COLUMN description;";
const INDEX_UP: &str = "CREATE INDEX ix_products_name ON products (name);";
const INDEX_DOWN: &str = "DROP INDEX ix_products_name;";
const USERS_UP: &str =
    "CREATE TABLE users (\n    id TEXT PRIMARY KEY,\n    email TEXT NOT NULL UNIQUE\n);";
const USERS_DOWN: &str = "DROP TABLE users;";

/// What the session leaves behind for database-specific checks.
struct Session {
    project: Project,
    a: String,
    b: String,
    c: String,
    d: String,
    m: String,
}

/// `args` followed by `--database-url URL`.
fn with_url<'a>(args: &[&'a str], url: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    all
}

/// The session itself; `url` is the database it runs against.
fn session(url: &str) -> Session {
    let p = Project::init();
    assert!(p.path().join("migrate.toml").is_file());
    assert!(p.migrations().is_dir());
    assert!(p.path().join("schema.sql").is_file());
    let run_ok = |args: &[&str]| p.ok(&with_url(args, url));

    // Three revisions, each based on the previous head.
    let a = p.revision(
        &["-m", "create products table"],
        PRODUCTS_UP,
        Some(PRODUCTS_DOWN),
    );
    let b = p.revision(
        &["-m", "add description and quantity"],
        COLUMNS_UP,
        Some(COLUMNS_DOWN),
    );
    let c = p.revision(&["-m", "index product name"], INDEX_UP, Some(INDEX_DOWN));
    assert_eq!(
        crate::common::header_value(&p.file_of(&b), "down_revision"),
        a
    );
    assert_eq!(
        crate::common::header_value(&p.file_of(&c), "down_revision"),
        b
    );

    // upgrade head: one line per revision with message and duration.
    let out = run_ok(&["upgrade", "head"]);
    let lines = out.lines();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(
        lines[0].starts_with(&format!("Applied {a} create products table (")),
        "{}",
        out.stdout
    );
    assert!(lines[0].ends_with(" ms)"), "{}", out.stdout);
    assert!(lines[1].starts_with(&format!("Applied {b} add description and quantity (")));
    assert!(lines[2].starts_with(&format!("Applied {c} index product name (")));
    assert!(
        lines[3].starts_with(&format!("Now at {c} (head) (3 revisions in ")),
        "{}",
        out.stdout
    );
    let out = run_ok(&["upgrade", "head"]);
    assert_eq!(
        out.stdout,
        format!("Nothing to do: the database is at {c} (head)\n")
    );

    // current
    let out = run_ok(&["current"]);
    assert_eq!(out.stdout, format!("{c} (head)\n"));

    // downgrade -1
    let out = run_ok(&["downgrade", "-1"]);
    let lines = out.lines();
    assert!(
        lines[0].starts_with(&format!("Reverted {c} index product name (")),
        "{}",
        out.stdout
    );
    assert!(lines[1].starts_with(&format!("Now at {b} (1 revision in ")));
    let out = run_ok(&["current"]);
    assert_eq!(out.stdout, format!("{b}\n"));

    // history, Alembic's format, newest first
    let out = p.ok(&["history"]);
    assert_eq!(
        out.stdout,
        format!(
            "{b} -> {c} (head), index product name\n{a} -> {b}, add description and quantity\n<base> -> {a}, create products table\n"
        )
    );
    let out = run_ok(&["history", "--indicate-current"]);
    assert!(
        out.stdout.contains(&format!(
            "{a} -> {b} (current), add description and quantity"
        )),
        "{}",
        out.stdout
    );
    let range = format!("{a}:{b}");
    let out = p.ok(&["history", "-r", &range]);
    assert_eq!(out.lines().len(), 2, "{}", out.stdout);
    let out = p.ok(&["history", "--verbose", "-r", &format!("{c}:")]);
    assert!(
        out.stdout
            .starts_with(&format!("Rev: {c} (head)\nParent: {b}\nPath: migrations/"))
    );
    assert!(out.stdout.contains(&format!(
        "    Revision ID: {c}\n    Revises: {b}\n    Create Date: "
    )));

    // A branch with --head: refused on a non-head without --splice.
    let out = p.run(&["revision", "-m", "create users table", "--head", &b]);
    check_failure(
        &["revision"],
        &out,
        1,
        &format!(
            "Revision {b} is not a head revision; please specify --splice to create a new branch from this revision"
        ),
    );
    let d = p.revision(
        &["-m", "create users table", "--head", &b[..8], "--splice"],
        USERS_UP,
        Some(USERS_DOWN),
    );
    assert_eq!(
        crate::common::header_value(&p.file_of(&d), "down_revision"),
        b
    );
    let out = p.ok(&["heads"]);
    let mut heads = out.lines();
    heads.sort_unstable();
    let mut expected = vec![format!("{c} (head)"), format!("{d} (head)")];
    expected.sort_unstable();
    assert_eq!(heads, expected);
    let out = p.ok(&["branches"]);
    assert!(
        out.stdout.starts_with(&format!(
            "{b} (branchpoint), add description and quantity\n"
        )),
        "{}",
        out.stdout
    );

    // Two heads: a plain revision and upgrade head are refused.
    p.fails(
        &["revision", "-m", "one more"],
        1,
        "Multiple heads are present; please specify the head revision on which the new revision should be based, or perform a merge.",
    );
    let out = p.fails(
        &with_url(&["upgrade", "head"], url),
        1,
        "Multiple head revisions are present",
    );
    assert!(out.stderr.contains("migrate merge heads"), "{}", out.stderr);
    let out = run_ok(&["graph"]);
    assert!(out.stdout.contains("|/"), "{}", out.stdout);
    assert!(
        out.stdout
            .contains(&format!("* {b} (current) add description")),
        "{}",
        out.stdout
    );

    // merge heads, then upgrade head applies both branches and the merge.
    let out = p.ok(&["merge", "-m", "merge users and index", "heads"]);
    let m = p.fill_generated(&out, "", Some(""));
    let mut parents: Vec<String> = crate::common::header_value(&p.file_of(&m), "down_revision")
        .split(", ")
        .map(str::to_owned)
        .collect();
    parents.sort_unstable();
    let mut both = vec![c.clone(), d.clone()];
    both.sort_unstable();
    assert_eq!(parents, both);
    assert_eq!(
        p.ok(&["heads"]).stdout,
        format!("{m} (head) (mergepoint)\n")
    );
    let out = run_ok(&["upgrade", "head"]);
    let applied: Vec<&str> = out
        .lines()
        .iter()
        .filter_map(|l| l.strip_prefix("Applied "))
        .map(|l| l.split(' ').next().unwrap_or(""))
        .collect();
    assert_eq!(applied.len(), 3, "{}", out.stdout);
    assert_eq!(applied[2], m);
    assert!(applied.contains(&c.as_str()) && applied.contains(&d.as_str()));
    assert_eq!(
        run_ok(&["current"]).stdout,
        format!("{m} (head) (mergepoint)\n")
    );
    run_ok(&["current", "--check-heads"]);
    assert_eq!(
        p.ok(&["check"]).stdout,
        "No problems found in migrations (5 revisions)\n"
    );
    let out = run_ok(&["graph"]);
    assert!(
        out.stdout.starts_with(&format!(
            "* {m} (head, current) merge users and index\n|\\\n"
        )),
        "{}",
        out.stdout
    );

    // stamp: the history moves, the schema does not.
    let out = run_ok(&["stamp", &b]);
    let lines = out.lines();
    assert_eq!(lines.len(), 4, "{}", out.stdout);
    assert!(lines[0].starts_with(&format!("Unstamped {m} ")));
    assert_eq!(lines[3], format!("Now at {b}"));
    p.fails(
        &with_url(&["current", "--check-heads"], url),
        1,
        "Target database is not up to date",
    );
    let out = run_ok(&["stamp", "heads"]);
    assert!(
        out.stdout.ends_with(&format!("Now at {m} (head)\n")),
        "{}",
        out.stdout
    );
    assert_eq!(
        run_ok(&["current"]).stdout,
        format!("{m} (head) (mergepoint)\n")
    );

    Session {
        project: p,
        a,
        b,
        c,
        d,
        m,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_session_on_sqlite() {
    let db = migrate_tests::fresh_sqlite_db();
    let s = session(&db.url);
    // The stamped database still has the users table: stamp ran no SQL.
    let pool = db.pool().await;
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(tables, ["migrate_history", "products", "users"]);
    pool.close().await;

    // The offline script for SQLite, applied to a new file, gives the same
    // schema and history as the online upgrade.
    let online = migrate_tests::fresh_sqlite_db();
    s.project
        .ok(&["upgrade", "head", "--database-url", &online.url]);
    let script = s
        .project
        .ok(&[
            "upgrade",
            "head",
            "--sql",
            "--database-url",
            "sqlite://unused.db",
        ])
        .stdout;
    assert!(script.contains("BEGIN IMMEDIATE;"), "{script}");
    assert!(
        !s.project.path().join("unused.db").exists(),
        "--sql must not connect"
    );
    let offline = migrate_tests::fresh_sqlite_db();
    let pool = offline.pool().await;
    sqlx::raw_sql(&script).execute(&pool).await.unwrap();
    pool.close().await;
    assert_eq!(
        sqlite_fingerprint(&offline).await,
        sqlite_fingerprint(&online).await
    );
    let out = s
        .project
        .ok(&["upgrade", "head", "--database-url", &offline.url]);
    assert!(out.stdout.starts_with("Nothing to do"), "{}", out.stdout);
}

async fn sqlite_fingerprint(db: &migrate_tests::SqliteTestDb) -> Vec<String> {
    let pool = db.pool().await;
    let mut lines: Vec<String> = sqlx::query_scalar(
        "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    let history: Vec<String> = sqlx::query_scalar(
        "SELECT seq || ' ' || revision || ' ' || checksum || ' ' || state || ' ' || statements_done || ' ' || coalesce(message, '') FROM migrate_history ORDER BY seq",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    lines.extend(history);
    pool.close().await;
    lines
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn full_session_on_postgres_and_sql_script_applied_by_psql() {
    let db = migrate_tests::fresh_pg_db().await;
    let s = session(&db.url);
    let p = &s.project;

    // Online upgrade on a fresh database, the same from an offline script
    // applied by the real psql: same schema, same history rows.
    let online = migrate_tests::fresh_pg_db().await;
    p.ok(&["upgrade", "head", "--database-url", &online.url]);
    let script = p
        .ok(&["upgrade", "head", "--sql", "--database-url", &online.url])
        .stdout;
    assert!(script.contains("BEGIN;\n"), "{script}");
    assert!(script.trim_end().ends_with("COMMIT;"), "{script}");
    assert!(script.contains(&format!(
        "-- Running upgrade <base> -> {}, create products table",
        s.a
    )));
    let offline = migrate_tests::fresh_pg_db().await;
    apply_with_psql(&offline.url, &script);
    let expected = pg_fingerprint(&online.url).await;
    assert!(
        expected.iter().any(|l| l.contains("ix_products_name")),
        "{expected:?}"
    );
    assert!(
        expected.iter().any(|l| l.starts_with("column users.email")),
        "{expected:?}"
    );
    assert_eq!(pg_fingerprint(&offline.url).await, expected);

    // The runtime accepts what the script recorded (checksums included).
    let out = p.ok(&["current", "--database-url", &offline.url]);
    assert_eq!(out.stdout, format!("{} (head) (mergepoint)\n", s.m));
    let out = p.ok(&["upgrade", "head", "--database-url", &offline.url]);
    assert!(out.stdout.starts_with("Nothing to do"), "{}", out.stdout);

    // FROM:TO ranges hold only the revisions in between.
    let range = format!("{}:{}", s.a, s.b);
    let script = p
        .ok(&["upgrade", &range, "--sql", "--database-url", &online.url])
        .stdout;
    assert!(script.contains("ADD COLUMN description"), "{script}");
    assert!(!script.contains("CREATE TABLE products"), "{script}");
    assert!(!script.contains(&s.c) && !script.contains(&s.d), "{script}");

    // downgrade --sql from the heads, applied by psql, equals an online
    // downgrade to base.
    let script = p
        .ok(&["downgrade", "base", "--sql", "--database-url", &online.url])
        .stdout;
    apply_with_psql(&offline.url, &script);
    p.ok(&["downgrade", "base", "--database-url", &online.url]);
    let after = pg_fingerprint(&online.url).await;
    assert!(
        after.iter().all(|l| l.contains("migrate_history")),
        "only the history table is left: {after:?}"
    );
    assert_eq!(pg_fingerprint(&offline.url).await, after);
}
