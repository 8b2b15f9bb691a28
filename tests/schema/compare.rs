//! The comparison at library level on real databases: schema pairs A → B
//! applied with the rendered SQL (upgrade, then downgrade), the example
//! app's migrations against the repository's schema.sql (no noise), and a
//! 500-table schema parsed, introspected and compared on both databases.
//! The same pairs run end to end through the `migrate` binary in
//! migrate-cli/tests/autogenerate.

use std::time::Instant;

use migrate_core::{Config, Dialect};
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_runtime::testing::{SchemaMatch, assert_schema_matches, schema_differences};
use migrate_runtime::{Migrator, Target};
use migrate_schema::{DiffOptions, diff, parse_schema, render};

/// `(name, A, B)`, valid on both databases.
const PAIRS: &[(&str, &str, &str)] = &[
    (
        "create table",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id) ON DELETE CASCADE, n TEXT NOT NULL DEFAULT 'x');",
    ),
    (
        "add and drop columns",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, old TEXT);",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, phone VARCHAR(20), n INTEGER NOT NULL DEFAULT 0);",
    ),
    (
        "type, nullability, default",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, code VARCHAR(10), n INTEGER NOT NULL, d TEXT DEFAULT 'x');",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, code VARCHAR(40), n INTEGER, d TEXT DEFAULT 'y');",
    ),
    (
        "constraints",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE a (id INTEGER PRIMARY KEY, p_id INTEGER, e TEXT, q INTEGER);",
        "CREATE TABLE p (id INTEGER PRIMARY KEY);
         CREATE TABLE a (id INTEGER PRIMARY KEY, p_id INTEGER REFERENCES p (id) ON DELETE SET NULL,
             e TEXT UNIQUE, q INTEGER CONSTRAINT a_q_positive CHECK (q > 0));",
    ),
    (
        "indexes",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, e TEXT, live INTEGER);
         CREATE INDEX a_e ON a (e);",
        "CREATE TABLE a (id INTEGER PRIMARY KEY, e TEXT, live INTEGER);
         CREATE UNIQUE INDEX a_lower_e ON a (lower(e));
         CREATE INDEX a_live ON a (e) WHERE live = 1;",
    ),
    (
        "drop table",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);
         CREATE TABLE b (id INTEGER PRIMARY KEY, a_id INTEGER REFERENCES a (id));",
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
    ),
];

async fn apply_pairs<D: migrate_runtime::introspect::Introspect>(
    db: &D,
    dialect: Dialect,
    exec: impl AsyncFn(&str),
) {
    let options = SchemaMatch::new(dialect);
    for (name, a, b) in PAIRS {
        exec(a).await;
        assert_schema_matches(db, a, &options).await;
        let changes = schema_differences(db, b, &options)
            .await
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(!changes.is_empty(), "{name}: no change found");
        let sql = render(&changes, dialect);
        exec(&sql.upgrade).await;
        let left = schema_differences(db, b, &options).await.unwrap();
        assert!(
            left.is_empty(),
            "{name}: after the upgrade:\n{}\nleft: {left:?}",
            sql.upgrade
        );
        exec(&sql.downgrade).await;
        let left = schema_differences(db, a, &options).await.unwrap();
        assert!(
            left.is_empty(),
            "{name}: after the downgrade:\n{}\nleft: {left:?}",
            sql.downgrade
        );
        // Empty the database for the next pair.
        let empty = schema_differences(db, "", &options).await.unwrap();
        exec(&render(&empty, dialect).upgrade).await;
    }
}

#[tokio::test]
async fn pairs_round_trip_on_postgres() {
    let database = migrate_tests::fresh_pg_db().await;
    let pool = database.pool().await;
    apply_pairs(&pool, Dialect::Postgres, async |sql: &str| {
        sqlx::raw_sql(sql)
            .execute(&pool)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    })
    .await;
    pool.close().await;
}

#[tokio::test]
async fn pairs_round_trip_on_sqlite() {
    let database = migrate_tests::fresh_sqlite_db();
    // One connection: the pragmas below apply to the connection that runs
    // the statements.
    let pool = sqlx::sqlite::SqlitePoolOptions::new()
        .max_connections(1)
        .connect(&database.url)
        .await
        .unwrap();
    apply_pairs(&pool, Dialect::Sqlite, async |sql: &str| {
        // As the runtime runs a migration on SQLite: foreign keys are not
        // enforced during the statements (table rebuilds), checked after.
        let mut conn = pool.acquire().await.unwrap();
        sqlx::raw_sql("PRAGMA foreign_keys = OFF")
            .execute(&mut *conn)
            .await
            .unwrap();
        sqlx::raw_sql(sql)
            .execute(&mut *conn)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
        let violations: Vec<(String,)> =
            sqlx::query_as("SELECT \"table\" FROM pragma_foreign_key_check")
                .fetch_all(&mut *conn)
                .await
                .unwrap();
        assert!(violations.is_empty(), "{violations:?}");
        sqlx::raw_sql("PRAGMA foreign_keys = ON")
            .execute(&mut *conn)
            .await
            .unwrap();
    })
    .await;
    pool.close().await;
}

/// The example app's migrations, upgraded with the runtime, are
/// exactly the repository's schema.sql: the comparison reports nothing.
static EXAMPLE: Migrator = migrate_runtime::embed_migrations!("../migrations");

async fn example_app_has_no_noise<D>(pool: &D, dialect: Dialect)
where
    D: migrate_runtime::Database + migrate_runtime::introspect::Introspect,
{
    let root = migrate_tests::workspace_root();
    let text = std::fs::read_to_string(root.join("migrate.toml")).unwrap();
    let config = Config::parse("migrate.toml", &text).unwrap();
    // The embedded table: it runs the Rust revision too.
    let _ = &config;
    assert_eq!(EXAMPLE.revisions().len(), 9);
    EXAMPLE.upgrade(pool, Target::Heads).await.unwrap();
    let declared = std::fs::read_to_string(root.join(&config.schema)).unwrap();
    assert_schema_matches(pool, &declared, &SchemaMatch::new(dialect)).await;
}

#[tokio::test]
async fn example_app_migrations_match_schema_sql_on_postgres() {
    let database = migrate_tests::fresh_pg_db().await;
    let pool = database.pool().await;
    example_app_has_no_noise(&pool, Dialect::Postgres).await;
    pool.close().await;
}

#[tokio::test]
async fn example_app_migrations_match_schema_sql_on_sqlite() {
    let database = migrate_tests::fresh_sqlite_db();
    let pool = database.pool().await;
    example_app_has_no_noise(&pool, Dialect::Sqlite).await;
    pool.close().await;
}

#[tokio::test]
async fn assert_schema_matches_lists_the_differences() {
    let database = migrate_tests::fresh_sqlite_db();
    let pool = database.pool().await;
    sqlx::raw_sql("CREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT);")
        .execute(&pool)
        .await
        .unwrap();
    let options = SchemaMatch::new(Dialect::Sqlite);
    let changes = schema_differences(
        &pool,
        "CREATE TABLE a (id INTEGER PRIMARY KEY, n TEXT, m TEXT);",
        &options,
    )
    .await
    .unwrap();
    assert_eq!(
        changes.iter().map(|c| c.summary()).collect::<Vec<_>>(),
        ["add column a.m"]
    );
    let error = schema_differences(&pool, "INSERT INTO a VALUES (1);", &options)
        .await
        .unwrap_err();
    assert!(error.starts_with("line 1:1: "), "{error}");
    pool.close().await;
}

const TABLES: usize = 500;

/// The same 500 tables in each dialect: foreign keys chained, an index each.
fn declared(dialect: Dialect) -> String {
    let (int, ts, now) = match dialect {
        Dialect::Postgres => ("bigint", "timestamptz", "now()"),
        Dialect::Sqlite => ("INTEGER", "TEXT", "CURRENT_TIMESTAMP"),
    };
    let mut sql = String::new();
    for i in 0..TABLES {
        let parent = i.saturating_sub(1);
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id {int} PRIMARY KEY, name TEXT NOT NULL, \
             parent_id {int} REFERENCES t{parent} (id) ON DELETE CASCADE, \
             created_at {ts} DEFAULT {now}, CONSTRAINT t{i}_name_len CHECK (length(name) < 100));\n\
             CREATE INDEX t{i}_name ON t{i} (name);\n"
        ));
    }
    sql
}

async fn five_hundred_tables<D: migrate_runtime::introspect::Introspect>(
    db: &D,
    dialect: Dialect,
    sql: &str,
) {
    let started = Instant::now();
    let parsed = parse_schema(sql, dialect).unwrap_or_else(|e| panic!("{e:?}"));
    let parse_time = started.elapsed();
    assert_eq!(parsed.tables.len(), TABLES);
    let started = Instant::now();
    let actual = introspect(db, &IntrospectOptions::default()).await.unwrap();
    let introspect_time = started.elapsed();
    let started = Instant::now();
    let changes = diff(&actual, &parsed, dialect, &DiffOptions::default());
    let diff_time = started.elapsed();
    assert_eq!(
        changes.iter().map(|c| c.summary()).collect::<Vec<_>>(),
        Vec::<String>::new()
    );
    // One column more in every table: 500 changes, found and rendered.
    let wider = sql.replace("name TEXT NOT NULL,", "name TEXT NOT NULL, note TEXT,");
    let wider = parse_schema(&wider, dialect).unwrap();
    let started = Instant::now();
    let changes = diff(&actual, &wider, dialect, &DiffOptions::default());
    let rendered = render(&changes, dialect);
    let second_time = started.elapsed();
    assert_eq!(changes.len(), TABLES);
    assert_eq!(rendered.upgrade.matches("ADD COLUMN note").count(), TABLES);
    println!(
        "{dialect:?}, {TABLES} tables: parse {parse_time:?}, introspect {introspect_time:?}, diff {diff_time:?}, diff+render of {TABLES} changes {second_time:?}"
    );
}

#[tokio::test]
async fn five_hundred_tables_on_postgres() {
    let database = migrate_tests::fresh_pg_db().await;
    let pool = database.pool().await;
    let sql = declared(Dialect::Postgres);
    sqlx::raw_sql(&format!("BEGIN;\n{sql}COMMIT;\n"))
        .execute(&pool)
        .await
        .unwrap();
    five_hundred_tables(&pool, Dialect::Postgres, &sql).await;
    pool.close().await;
}

#[tokio::test]
async fn five_hundred_tables_on_sqlite() {
    let database = migrate_tests::fresh_sqlite_db();
    let pool = database.pool().await;
    let sql = declared(Dialect::Sqlite);
    sqlx::raw_sql(&format!("BEGIN;\n{sql}COMMIT;\n"))
        .execute(&pool)
        .await
        .unwrap();
    five_hundred_tables(&pool, Dialect::Sqlite, &sql).await;
    pool.close().await;
}
