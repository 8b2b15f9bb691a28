//! `migrate init --from-database`: an existing database (the example app's
//! schema, built without this tool's history) adopted into a new project,
//! whose schema.sql and baseline then agree with it, on both databases.

use std::path::Path;

use crate::common::Project;

/// The example app's schema on `url`, with its history table dropped: a
/// database that something else built.
fn example_database(url: &str) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let out = crate::run::upgrade_example_head(root, url);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    let url = url.to_owned();
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                if url.starts_with("sqlite:") {
                    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::query("DROP TABLE migrate_history")
                        .execute(&pool)
                        .await
                        .unwrap();
                    // A view and a trigger, adopted with the tables.
                    sqlx::raw_sql(
                        "CREATE VIEW user_count AS SELECT count(*) AS n FROM users;
                         CREATE TRIGGER users_touch AFTER UPDATE ON users BEGIN SELECT 1; END;",
                    )
                    .execute(&pool)
                    .await
                    .unwrap();
                } else {
                    let pool = sqlx::PgPool::connect(&url).await.unwrap();
                    sqlx::query("DROP TABLE migrate_history")
                        .execute(&pool)
                        .await
                        .unwrap();
                    // A view, a function and a trigger, adopted with the
                    // tables.
                    sqlx::raw_sql(
                        "CREATE VIEW user_count AS SELECT count(*) AS n FROM users;
                         CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql
                             AS $$ BEGIN RETURN NEW; END $$;
                         CREATE TRIGGER users_touch BEFORE UPDATE ON users
                             FOR EACH ROW EXECUTE FUNCTION touch();
                         CREATE TABLE visits (at date NOT NULL, user_id integer)
                             PARTITION BY RANGE (at);
                         CREATE INDEX visits_user ON visits (user_id);
                         CREATE TABLE visits_2025 PARTITION OF visits
                             FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
                         CREATE TABLE visits_rest PARTITION OF visits DEFAULT;",
                    )
                    .execute(&pool)
                    .await
                    .unwrap();
                }
            })
    })
    .join()
    .unwrap();
}

fn adopt(url: &str, fresh: &str) {
    example_database(url);
    let p = Project::empty();
    let out = p.ok(&["init", "--from-database", "--database-url", url]);
    assert!(
        out.stdout.contains("Wrote schema.sql from the database"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("Stamped the database at "),
        "{}",
        out.stdout
    );
    let schema = std::fs::read_to_string(p.path().join("schema.sql")).unwrap();
    assert!(
        schema.to_lowercase().contains("create view user_count"),
        "{schema}"
    );
    assert!(
        schema.to_lowercase().contains("create trigger users_touch"),
        "{schema}"
    );
    if !url.starts_with("sqlite:") {
        assert!(
            schema.contains(") PARTITION BY RANGE (at);")
                && schema.contains("CREATE TABLE visits_rest PARTITION OF visits DEFAULT;"),
            "{schema}"
        );
    }
    for table in ["products", "tags", "product_tags", "users"] {
        assert!(
            schema
                .to_lowercase()
                .contains(&format!("create table {table} (")),
            "{schema}"
        );
    }
    // The written schema.sql is the database's, and the database is at
    // the baseline.
    let check = p.ok(&["check", "--database-url", url]);
    assert!(
        check.stdout.contains("No new upgrade operations detected"),
        "{}",
        check.stdout
    );
    let current = p.ok(&["current", "--database-url", url]);
    assert!(current.stdout.contains("(head)"), "{}", current.stdout);
    // The baseline builds the same schema on a new database.
    p.ok(&["upgrade", "head", "--database-url", fresh]);
    let check = p.ok(&["check", "--database-url", fresh]);
    assert!(
        check.stdout.contains("No new upgrade operations detected"),
        "{}",
        check.stdout
    );
    // A database with a history is not adopted twice, and nothing is
    // written.
    let again = Project::empty();
    again.fails(
        &["init", "--from-database", "--database-url", url],
        1,
        "it is migrated by this tool already; nothing was written",
    );
    assert!(!again.path().join("migrate.toml").exists());
}

#[test]
fn init_from_database_adopts_an_sqlite_database() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("app.db").display());
    let fresh = format!(
        "sqlite://{}?mode=rwc",
        dir.path().join("fresh.db").display()
    );
    adopt(&url, &fresh);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn init_from_database_adopts_a_postgres_database() {
    let db = migrate_tests::fresh_pg_db().await;
    let fresh = migrate_tests::fresh_pg_db().await;
    let (url, fresh_url) = (db.url.clone(), fresh.url.clone());
    tokio::task::spawn_blocking(move || adopt(&url, &fresh_url))
        .await
        .unwrap();
}
