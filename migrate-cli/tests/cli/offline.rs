//! `--sql` scripts with what real PostgreSQL migrations contain: `$$`
//! function bodies, triggers, quotes in data, and a non-transactional
//! `CREATE INDEX CONCURRENTLY`, applied by psql and compared with an online
//! run.

use crate::common::{Project, apply_with_psql, pg_fingerprint};

const FUNCTION_UP: &str = "\
CREATE TABLE products (id TEXT PRIMARY KEY, name TEXT NOT NULL, updated_at TIMESTAMPTZ);

CREATE FUNCTION touch_updated_at() RETURNS trigger AS $$
BEGIN
    NEW.updated_at := now(); -- a semicolon inside the body
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER products_touch BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();";
const FUNCTION_DOWN: &str = "\
DROP TRIGGER products_touch ON products;
DROP FUNCTION touch_updated_at();
DROP TABLE products;";
const DATA_UP: &str =
    "INSERT INTO products (id, name) VALUES ('p1', 'O''Brien''s \"best\" tea; 100%');";
const DATA_DOWN: &str = "DELETE FROM products WHERE id = 'p1';";
const INDEX_UP: &str = "CREATE INDEX CONCURRENTLY ix_products_name ON products (name);";
const INDEX_DOWN: &str = "DROP INDEX CONCURRENTLY ix_products_name;";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_script_with_non_transactional_revision_matches_online_run() {
    let p = Project::init();
    let toml = std::fs::read_to_string(p.path().join("migrate.toml")).unwrap();
    std::fs::write(
        p.path().join("migrate.toml"),
        toml.replace("dialect = \"any\"", "dialect = \"postgres\""),
    )
    .unwrap();
    let a = p.revision(
        &["-m", "products with trigger"],
        FUNCTION_UP,
        Some(FUNCTION_DOWN),
    );
    let b = p.revision(&["-m", "seed"], DATA_UP, Some(DATA_DOWN));
    let c = p.revision(&["-m", "index concurrently"], INDEX_UP, Some(INDEX_DOWN));
    p.make_non_transactional(&c);
    p.ok(&["check"]);

    // With dialect = "postgres" in migrate.toml, --sql needs no URL.
    let script = p.ok(&["upgrade", "head", "--sql"]).stdout;
    let index = script
        .find("CREATE INDEX CONCURRENTLY")
        .expect("index statement");
    let before = &script[..index];
    assert!(
        before.rfind("COMMIT;") > before.rfind("BEGIN;"),
        "the non-transactional revision runs outside the transaction:\n{script}"
    );
    assert!(script.contains("$$ LANGUAGE plpgsql;"), "{script}");

    let online = migrate_tests::fresh_pg_db().await;
    let offline = migrate_tests::fresh_pg_db().await;
    p.ok(&["upgrade", "head", "--database-url", &online.url]);
    apply_with_psql(&offline.url, &script);
    let expected = pg_fingerprint(&online.url).await;
    assert!(
        expected.iter().any(|l| l.contains("ix_products_name")),
        "{expected:?}"
    );
    assert!(
        expected
            .iter()
            .any(|l| l.starts_with("trigger products_touch")),
        "{expected:?}"
    );
    assert_eq!(pg_fingerprint(&offline.url).await, expected);
    for url in [&online.url, &offline.url] {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let name: String = sqlx::query_scalar("SELECT name FROM products WHERE id = 'p1'")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(name, "O'Brien's \"best\" tea; 100%");
        pool.close().await;
    }
    let out = p.ok(&["current", "--database-url", &offline.url]);
    assert_eq!(out.stdout, format!("{c} (head)\n"));

    // Down again: downgrade FROM:TO from the head to base, both ways.
    let range = format!("{c}:base");
    let script = p.ok(&["downgrade", &range, "--sql"]).stdout;
    assert!(script.contains("DROP INDEX CONCURRENTLY"), "{script}");
    apply_with_psql(&offline.url, &script);
    p.ok(&["downgrade", "base", "--database-url", &online.url]);
    assert_eq!(
        pg_fingerprint(&offline.url).await,
        pg_fingerprint(&online.url).await
    );
    let out = p.ok(&["current", "--database-url", &offline.url]);
    assert_eq!(out.stdout, "");
    let _ = (a, b);
}

const ORDERS_UP: &str = "\
CREATE TYPE order_status AS ENUM ('new', 'paid');
CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');
INSERT INTO orders (id, status) VALUES (1, 'paid');";
const ORDERS_DOWN: &str = "DROP TABLE orders;\nDROP TYPE order_status;";
const ORDERS_SCHEMA: &str = "\
CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE orders (id INTEGER PRIMARY KEY, status order_status NOT NULL DEFAULT 'new');
";

/// An enum value added by one revision and used by the next: one run from
/// an empty database, the `--sql` script through psql, and the shadow
/// database of `check --shadow` and `revision --autogenerate --shadow` all
/// get through, as the revisions applied one at a time do (PostgreSQL
/// refuses a new value before the transaction that added it commits).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_enum_value_added_then_used_deploys_online_offline_and_in_shadow() {
    let p = Project::init();
    let toml = std::fs::read_to_string(p.path().join("migrate.toml")).unwrap();
    std::fs::write(
        p.path().join("migrate.toml"),
        toml.replace("dialect = \"any\"", "dialect = \"postgres\""),
    )
    .unwrap();
    p.revision(&["-m", "orders"], ORDERS_UP, Some(ORDERS_DOWN));
    let shipped = p.revision(
        &["-m", "shipped"],
        "ALTER TYPE order_status ADD VALUE 'shipped';",
        None,
    );
    p.revision(
        &["-m", "ship order 1"],
        "UPDATE orders SET status = 'shipped' WHERE id = 1;",
        Some("UPDATE orders SET status = 'paid' WHERE id = 1;"),
    );
    std::fs::write(p.path().join("schema.sql"), ORDERS_SCHEMA).unwrap();

    let script = p.ok(&["upgrade", "head", "--sql"]).stdout;
    assert!(
        script.contains(&format!("-- {shipped} adds an enum value")),
        "{script}"
    );
    let online = migrate_tests::fresh_pg_db().await;
    let offline = migrate_tests::fresh_pg_db().await;
    p.ok(&["upgrade", "head", "--database-url", &online.url]);
    apply_with_psql(&offline.url, &script);
    assert_eq!(
        pg_fingerprint(&offline.url).await,
        pg_fingerprint(&online.url).await
    );
    for url in [&online.url, &offline.url] {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let status: String = sqlx::query_scalar("SELECT status::text FROM orders WHERE id = 1")
            .fetch_one(&pool)
            .await
            .unwrap();
        assert_eq!(status, "shipped");
        pool.close().await;
    }

    let out = p.ok(&["check", "--shadow", "--database-url", &online.url]);
    assert!(
        out.stdout
            .ends_with("No new upgrade operations detected.\n"),
        "{}",
        out.stdout
    );
    let out = p.ok(&[
        "revision",
        "--autogenerate",
        "--shadow",
        "-m",
        "nothing",
        "--database-url",
        &online.url,
    ]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
}

/// A name that would end a `--` comment of the script and run the rest:
/// a psql or sqlite3 command, then SQL.
fn injection(client_command: &str) -> String {
    format!("x\n{client_command}\nDROP TABLE victim;\n-- ")
}

/// No injection through names into scripts: a file name with a newline is
/// refused when the directory is loaded, so `--sql` writes no script.
#[test]
fn a_file_name_with_a_newline_is_refused_before_any_script_is_written() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let file = p.file_of(&a);
    let name = file.file_name().unwrap().to_str().unwrap().to_owned();
    let hostile = name.replace(".sql", &format!("{}.sql", injection("\\! touch pwned")));
    std::fs::rename(&file, p.migrations().join(&hostile)).unwrap();
    let url = format!("sqlite://{}", p.path().join("app.db").display());
    let out = p.fails(
        &["upgrade", "head", "--sql", "--database-url", &url],
        1,
        &format!(
            "/{}: file name holds a control character; rename the file",
            hostile.replace('\n', "\\n")
        ),
    );
    assert!(out.stdout.is_empty(), "{}", out.stdout);
    assert!(
        !out.stderr
            .lines()
            .any(|l| l.starts_with("\\!") || l.starts_with("DROP")),
        "{}",
        out.stderr
    );
    p.fails(&["check"], 1, "file name holds a control character");
}

/// The script's comment writer escapes whatever it writes, even for a table
/// that did not come through the loader: applied by the real psql and the
/// real sqlite3, a hostile path and message run nothing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn names_in_script_comments_are_escaped_so_psql_and_sqlite3_run_nothing_of_them() {
    use migrate_core::{Dialect, Direction};
    use migrate_runtime::__private::{EmbeddedSection, EmbeddedStatement};
    use migrate_runtime::{EmbeddedRevision, Migrator, SectionRef, offline};

    let p = Project::init();
    p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let config = migrate_core::Config {
        dialects: migrate_core::DialectCheck::Off,
        ..Default::default()
    };
    let loaded = Migrator::from_directory(&p.migrations(), "migrations", &config).unwrap();
    let marker = p.path().join("pwned");
    // The loaded revisions, copied into a table of the macro's shape with
    // the names replaced (leaked: this process builds two such tables).
    let leak = |s: &str| -> &'static str { String::leak(s.to_owned()) };
    let section = |s: SectionRef<'_>| EmbeddedSection {
        sql: leak(s.sql()),
        first_line: s.first_line(),
        statements: Vec::leak(EmbeddedStatement::pack(
            &s.statements()
                .map(|(line, text)| {
                    // The statement's byte range inside the section's text.
                    let start = text.as_ptr() as usize - s.sql().as_ptr() as usize;
                    EmbeddedStatement {
                        line,
                        column: 1,
                        start: start as u32,
                        end: (start + text.len()) as u32,
                    }
                })
                .collect::<Vec<_>>(),
        )),
    };
    let hostile = |command: &str| -> Migrator {
        let revisions: Vec<EmbeddedRevision> = loaded
            .revisions()
            .iter()
            .map(|r| EmbeddedRevision {
                id: leak(r.id()),
                parents: Vec::leak(r.parents().iter().map(leak).collect()),
                depends_on: &[],
                branch_labels: &[],
                message: Some(String::leak(injection(command))),
                create_date: None,
                transactional: r.is_transactional(),
                path: String::leak(format!("migrations/a{}.sql", injection(command))),
                checksum: leak(r.checksum()),
                upgrade: section(r.upgrade()),
                downgrade: r.downgrade().map(&section),
            })
            .collect();
        Migrator::__from_table(Vec::leak(revisions), "migrate_history")
    };

    // psql: `\!` runs a shell command wherever a line starts with it.
    let touch = format!("\\! touch {}", marker.display());
    let m = hostile(&touch);
    let plan = offline::plan(&m, Direction::Upgrade, None, "head").unwrap();
    let script = offline::script(Dialect::Postgres, &m, &plan).unwrap();
    // The comments hold the names escaped, on one line each; the history
    // row's message keeps them as data inside a quoted literal.
    assert!(
        script.contains(&format!(
            "-- migrations/ax\\n{touch}\\nDROP TABLE victim;\\n-- .sql\n"
        )),
        "{script}"
    );
    let db = migrate_tests::fresh_pg_db().await;
    let pool = sqlx::PgPool::connect(&db.url).await.unwrap();
    sqlx::query("CREATE TABLE victim (id INT)")
        .execute(&pool)
        .await
        .unwrap();
    apply_with_psql(&db.url, &script);
    assert!(!marker.exists(), "psql ran the shell command:\n{script}");
    let victims: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.tables WHERE table_name = 'victim'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(victims, 1, "psql ran the DROP:\n{script}");
    pool.close().await;

    // sqlite3: `.shell` (a dot command at the start of a line).
    let touch = format!(".shell touch {}", marker.display());
    let m = hostile(&touch);
    let plan = offline::plan(&m, Direction::Upgrade, None, "head").unwrap();
    let script = offline::script(Dialect::Sqlite, &m, &plan).unwrap();
    // The comments hold the names escaped, on one line each; the history
    // row's message keeps them as data inside a quoted literal.
    assert!(
        script.contains(&format!(
            "-- migrations/ax\\n{touch}\\nDROP TABLE victim;\\n-- .sql\n"
        )),
        "{script}"
    );
    let file = p.path().join("victim.db");
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query("CREATE TABLE victim (id INT)")
        .execute(&pool)
        .await
        .unwrap();
    pool.close().await;
    let sqlite3 = ["/usr/bin/sqlite3", "/usr/local/bin/sqlite3"]
        .into_iter()
        .map(std::path::Path::new)
        .find(|p| p.is_file());
    match sqlite3 {
        Some(sqlite3) => {
            let mut child = std::process::Command::new(sqlite3)
                .args(["-bail"])
                .arg(&file)
                .stdin(std::process::Stdio::piped())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .unwrap();
            use std::io::Write as _;
            child
                .stdin
                .take()
                .unwrap()
                .write_all(script.as_bytes())
                .unwrap();
            let out = child.wait_with_output().unwrap();
            assert!(
                out.status.success(),
                "sqlite3 failed: {}\n{script}",
                String::from_utf8_lossy(&out.stderr)
            );
        }
        None => {
            // No sqlite3 binary: the library runs the script (it knows no
            // dot commands, so only the SQL part is tested).
            eprintln!("sqlite3 not installed; applying the script with the library");
            let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
            sqlx::raw_sql(&script).execute(&pool).await.unwrap();
            pool.close().await;
        }
    }
    assert!(!marker.exists(), "sqlite3 ran the shell command:\n{script}");
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    let victims: i64 =
        sqlx::query_scalar("SELECT count(*) FROM sqlite_master WHERE name = 'victim'")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(victims, 1, "sqlite3 ran the DROP:\n{script}");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM migrate_history")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(applied, 1);
}
