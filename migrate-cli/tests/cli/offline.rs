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
    let file = p.file_of(&c);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace(
            "-- create_date:",
            "-- transactional: false\n-- create_date:",
        ),
    )
    .unwrap();
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
