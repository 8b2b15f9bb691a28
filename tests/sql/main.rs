//! Real-world SQL: valid statements accepted, typos rejected.
//!
//! * `sql/postgres-valid/` holds at least one statement of every kind
//!   sqlparser alone used to reject in real PostgreSQL histories, plus what
//!   those histories use every day. It must load with dialect `postgres` and
//!   really run on the test PostgreSQL 15 server, up to head and back to base.
//! * `sql/postgres18-grammar/` holds PostgreSQL 18-only grammar (named
//!   `NOT NULL` table constraints): checked, never applied (the server is 15).
//! * `sql/sqlite-valid/` is the same for SQLite: checked with dialect
//!   `sqlite` (which replays the chain in memory) and applied to a real file.
//! * No valid fixture may use the `-- migrate:no-check` escape hatch.
//! * [`generated`] writes a 300-file PostgreSQL history cycling through every
//!   construct, and the same history with five typos.
//!
//! Compile-time diagnostics of the same checks are the trybuild cases under
//! `ui/sql-exact/`.

mod escape_hatch;
mod generated;
mod history;
mod oracle;

use std::path::{Path, PathBuf};
use std::time::Instant;

use migrate_core::{Config, Dialect, DialectCheck, Error, load_directory};
use migrate_runtime::Migrator;
use migrate_tests::{fresh_pg_db, fresh_sqlite_db};

/// A fixture directory under `tests/sql/`.
fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sql").join(name)
}

fn only(dialect: Dialect) -> DialectCheck {
    DialectCheck::All(vec![dialect])
}

fn config(dialect: Dialect) -> Config {
    Config {
        dialects: only(dialect),
        ..Config::default()
    }
}

/// The `*.sql` files of a directory with their text, sorted by name.
fn sql_files(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<(String, String)> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|entry| entry.unwrap().path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .map(|path| {
            let name = path.file_name().unwrap().to_string_lossy().into_owned();
            let text = std::fs::read_to_string(&path).unwrap();
            (name, text)
        })
        .collect();
    files.sort();
    files
}

/// Fails if any file of `dir` uses the escape hatch: the valid fixtures must
/// be accepted on their own merits.
fn assert_no_escape_hatch(dir: &Path) {
    let files = sql_files(dir);
    assert!(
        !files.is_empty(),
        "{} has no migration files",
        dir.display()
    );
    for (name, text) in &files {
        assert!(
            !text.contains(migrate_core::NO_CHECK_MARKER),
            "{}/{name} uses `{}`: the valid fixtures must pass without the escape hatch",
            dir.display(),
            migrate_core::NO_CHECK_MARKER
        );
    }
}

/// Loads `dir` with `dialects` and panics with every error, one per line.
fn load(dir: &Path, display: &str, dialects: &DialectCheck) -> migrate_core::Migrations {
    let started = Instant::now();
    let loaded = load_directory(dir, display, dialects)
        .unwrap_or_else(|errors| panic!("{display} was rejected ({dialects:?}):\n{errors}"));
    let statements: usize = loaded
        .revisions
        .iter()
        .map(|r| {
            r.upgrade.statements.len() + r.downgrade.as_ref().map_or(0, |d| d.statements.len())
        })
        .sum();
    eprintln!(
        "{display}: {} files, {statements} statements checked ({dialects:?}) in {:?}",
        loaded.revisions.len(),
        started.elapsed()
    );
    loaded
}

/// How many statements of a directory sqlparser alone rejects in `dialect`:
/// these are the ones the exact judges (libpg_query, SQLite) accepted.
fn rejected_by_sqlparser_alone(
    migrations: &migrate_core::Migrations,
    dialect: Dialect,
) -> Vec<String> {
    let mut rejected = Vec::new();
    for rev in &migrations.revisions {
        for section in std::iter::once(&rev.upgrade).chain(rev.downgrade.as_ref()) {
            for statement in &section.statements {
                let sql = section.statement_sql(statement);
                if let Err(e) = migrate_core::sql::check_statement(
                    sql,
                    statement.line,
                    statement.column,
                    dialect,
                ) {
                    let first_line = sql.lines().next().unwrap_or("");
                    rejected.push(format!(
                        "{}:{}:{}: {first_line} -- sqlparser: {}",
                        rev.file_name, e.line, e.column, e.message
                    ));
                }
            }
        }
    }
    rejected
}

// ---------------------------------------------------------------------------
// PostgreSQL
// ---------------------------------------------------------------------------

#[test]
fn postgres_valid_has_no_escape_hatch() {
    assert_no_escape_hatch(&fixture("postgres-valid"));
    assert_no_escape_hatch(&fixture("postgres18-grammar"));
}

#[test]
fn postgres_valid_is_accepted_with_dialect_postgres() {
    let migrations = load(
        &fixture("postgres-valid"),
        "sql/postgres-valid",
        &only(Dialect::Postgres),
    );
    assert_eq!(migrations.graph.heads().len(), 1);
    let judged = rejected_by_sqlparser_alone(&migrations, Dialect::Postgres);
    eprintln!(
        "{} statements of sql/postgres-valid were accepted by libpg_query after sqlparser rejected them:\n  {}",
        judged.len(),
        judged.join("\n  ")
    );
}

#[test]
fn postgres_valid_is_accepted_by_the_default_any() {
    load(
        &fixture("postgres-valid"),
        "sql/postgres-valid",
        &DialectCheck::Any,
    );
}

#[test]
fn postgres18_grammar_is_accepted_with_dialect_postgres() {
    let migrations = load(
        &fixture("postgres18-grammar"),
        "sql/postgres18-grammar",
        &only(Dialect::Postgres),
    );
    let judged = rejected_by_sqlparser_alone(&migrations, Dialect::Postgres);
    eprintln!("judged by libpg_query:\n  {}", judged.join("\n  "));
    load(
        &fixture("postgres18-grammar"),
        "sql/postgres18-grammar",
        &DialectCheck::Any,
    );
}

async fn pg_scalar_i64(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_valid_runs_on_postgres_15_up_to_head_and_back_to_base() {
    let dir = fixture("postgres-valid");
    assert_no_escape_hatch(&dir);
    let migrator = Migrator::from_directory(&dir, "sql/postgres-valid", &config(Dialect::Postgres))
        .unwrap_or_else(|e| panic!("sql/postgres-valid was rejected:\n{e}"));
    let db = fresh_pg_db().await;
    let pool = db.pool().await;

    let version = pg_scalar_i64(
        &pool,
        "SELECT current_setting('server_version_num')::bigint",
    )
    .await;
    eprintln!("server_version_num = {version}");
    assert!(
        version >= 150_000,
        "the test server is older than PostgreSQL 15: {version}"
    );

    let report = migrator
        .upgrade(&pool, "head")
        .await
        .unwrap_or_else(|e| panic!("upgrade to head failed: {e}"));
    assert_eq!(report.revisions.len(), migrator.revisions().len());

    // What the statements did is really there.
    for (sql, expected) in [
        ("SELECT count(*) FROM app.customers", 3),
        ("SELECT count(*) FROM app.orders", 3),
        (
            "SELECT count(*) FROM app.orders WHERE status = 'shipped'",
            2,
        ),
        ("SELECT count(*) FROM app.events", 5),
        (
            "SELECT count(*) FROM pg_extension WHERE extname IN ('pgcrypto', 'citext', 'uuid-ossp')",
            3,
        ),
        (
            "SELECT count(*) FROM pg_enum e JOIN pg_type t ON t.oid = e.enumtypid WHERE t.typname = 'order_status'",
            5,
        ),
        (
            "SELECT count(*) FROM pg_trigger WHERE tgname = 'orders_set_updated_at'",
            1,
        ),
        (
            "SELECT count(*) FROM pg_statistic_ext WHERE stxname IN ('orders_mcv', 'orders_customer_status')",
            2,
        ),
        (
            "SELECT count(*) FROM pg_class WHERE relname = 'customer_ids' AND relkind = 'S'",
            1,
        ),
        (
            "SELECT count(*) FROM pg_class WHERE relname = 'orders_by_status' AND relkind = 'i'",
            1,
        ),
        (
            "SELECT count(*) FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhparent WHERE c.relname = 'events'",
            3,
        ),
        (
            "SELECT count(*) FROM pg_policy WHERE polname IN ('orders_read_own', 'orders_insert', 'orders_restrict')",
            3,
        ),
        (
            "SELECT count(*) FROM pg_proc WHERE proname IN ('mark_paid', 'bump_invoice_numbers') AND prokind = 'p'",
            2,
        ),
        (
            "SELECT count(*) FROM pg_constraint WHERE conname = 'orders_customer_fkey' AND condeferrable AND condeferred",
            1,
        ),
        ("SELECT count(*) FROM pg_default_acl", 3),
        ("SELECT count(*) FROM app.customer_totals", 3),
        ("SELECT count(*) FROM app.regions", 4),
        (
            "SELECT count(*) FROM pg_constraint WHERE conname IN ('bookings_no_overlap', 'orders_total_limit')",
            2,
        ),
        (
            "SELECT count(*) FROM pg_trigger WHERE tgname IN ('orders_audit_statement', 'orders_check_late')",
            2,
        ),
        (
            "SELECT count(*) FROM app.customers WHERE 'vip' = ANY (tags)",
            1,
        ),
    ] {
        assert_eq!(pg_scalar_i64(&pool, sql).await, expected, "{sql}");
    }
    let cost: f32 = sqlx::query_scalar("SELECT procost FROM pg_proc WHERE proname = 'order_total'")
        .fetch_one(&pool)
        .await
        .unwrap();
    assert_eq!(cost, 200.0);

    migrator
        .downgrade(&pool, "base")
        .await
        .unwrap_or_else(|e| panic!("downgrade to base failed: {e}"));
    assert!(migrator.current(&pool).await.unwrap().is_empty());
    for (sql, expected) in [
        (
            "SELECT count(*) FROM pg_namespace WHERE nspname IN ('app', 'ext')",
            0,
        ),
        (
            "SELECT count(*) FROM pg_extension WHERE extname <> 'plpgsql'",
            0,
        ),
        ("SELECT count(*) FROM pg_default_acl", 0),
        (
            "SELECT count(*) FROM pg_type WHERE typname = 'order_status'",
            0,
        ),
    ] {
        assert_eq!(
            pg_scalar_i64(&pool, sql).await,
            expected,
            "after downgrade: {sql}"
        );
    }

    // And up again: the downgrades left nothing in the way.
    migrator
        .upgrade(&pool, "head")
        .await
        .unwrap_or_else(|e| panic!("second upgrade to head failed: {e}"));
    pool.close().await;
}

// ---------------------------------------------------------------------------
// SQLite
// ---------------------------------------------------------------------------

#[test]
fn sqlite_valid_has_no_escape_hatch() {
    assert_no_escape_hatch(&fixture("sqlite-valid"));
}

#[test]
fn sqlite_valid_is_accepted_with_dialect_sqlite_and_its_replay() {
    let migrations = load(
        &fixture("sqlite-valid"),
        "sql/sqlite-valid",
        &only(Dialect::Sqlite),
    );
    let judged = rejected_by_sqlparser_alone(&migrations, Dialect::Sqlite);
    eprintln!(
        "{} statements of sql/sqlite-valid were accepted by SQLite after sqlparser rejected them:\n  {}",
        judged.len(),
        judged.join("\n  ")
    );
}

#[test]
fn sqlite_valid_is_accepted_by_the_default_any() {
    load(
        &fixture("sqlite-valid"),
        "sql/sqlite-valid",
        &DialectCheck::Any,
    );
}

async fn sqlite_scalar_i64(pool: &sqlx::SqlitePool, sql: &str) -> i64 {
    sqlx::query_scalar::<_, i64>(sql)
        .fetch_one(pool)
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_valid_runs_on_a_sqlite_file_up_to_head_and_back_to_base() {
    let dir = fixture("sqlite-valid");
    assert_no_escape_hatch(&dir);
    let migrator = Migrator::from_directory(&dir, "sql/sqlite-valid", &config(Dialect::Sqlite))
        .unwrap_or_else(|e| panic!("sql/sqlite-valid was rejected:\n{e}"));
    let db = fresh_sqlite_db();
    let pool = db.pool().await;

    let report = migrator
        .upgrade(&pool, "head")
        .await
        .unwrap_or_else(|e| panic!("upgrade to head failed: {e}"));
    assert_eq!(report.revisions.len(), migrator.revisions().len());
    for (sql, expected) in [
        ("SELECT count(*) FROM users", 2),
        ("SELECT count(*) FROM orders", 2),
        ("SELECT count(*) FROM orders WHERE status = 'shipped'", 1),
        ("SELECT count(*) FROM orders WHERE status = 'paid'", 1),
        ("SELECT count(*) FROM order_events", 2),
        ("SELECT count(*) FROM tags", 2),
        ("SELECT count(*) FROM settings", 4),
        ("SELECT value FROM settings WHERE key = 'schema'", 2),
        ("SELECT count(*) FROM open_orders", 1),
        (
            "SELECT count(*) FROM pragma_table_info('users') WHERE name = 'display_name'",
            1,
        ),
        (
            "SELECT count(*) FROM pragma_table_info('orders') WHERE name LIKE 'currency%'",
            0,
        ),
        (
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'",
            5,
        ),
        (
            "SELECT count(*) FROM notes_fts WHERE notes_fts MATCH 'welcome'",
            2,
        ),
        (
            "SELECT count(*) FROM notes WHERE kind = 'welcome' AND meta ->> '$.seen' = 1",
            2,
        ),
        (
            "SELECT count(*) FROM sqlite_master WHERE name = 'orders_new'",
            0,
        ),
        ("SELECT sum(total_cents) FROM orders", 3150),
    ] {
        assert_eq!(sqlite_scalar_i64(&pool, sql).await, expected, "{sql}");
    }
    let strict: i64 = sqlite_scalar_i64(
        &pool,
        "SELECT strict FROM pragma_table_list WHERE name = 'users'",
    )
    .await;
    assert_eq!(strict, 1);
    let without_rowid: i64 = sqlite_scalar_i64(
        &pool,
        "SELECT wr FROM pragma_table_list WHERE name = 'settings'",
    )
    .await;
    assert_eq!(without_rowid, 1);

    migrator
        .downgrade(&pool, "base")
        .await
        .unwrap_or_else(|e| panic!("downgrade to base failed: {e}"));
    assert!(migrator.current(&pool).await.unwrap().is_empty());
    let left: Vec<String> = sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' AND name <> ?1 ORDER BY name",
    )
    .bind(migrator.version_table())
    .fetch_all(&pool)
    .await
    .unwrap();
    assert!(
        left.is_empty(),
        "left behind after downgrade to base: {left:?}"
    );

    migrator
        .upgrade(&pool, "head")
        .await
        .unwrap_or_else(|e| panic!("second upgrade to head failed: {e}"));
    pool.close().await;
}

// ---------------------------------------------------------------------------
// Helpers shared with `generated`
// ---------------------------------------------------------------------------

/// The SQL errors of a failed load, as `(file name, line, column, message)`.
fn sql_errors(errors: &migrate_core::Errors) -> Vec<(String, u32, u32, String)> {
    errors
        .as_slice()
        .iter()
        .map(|e| match e {
            Error::Sql {
                path,
                line,
                column,
                message,
                ..
            } => (
                path.rsplit('/').next().unwrap_or(path).to_owned(),
                *line,
                *column,
                message.clone(),
            ),
            other => panic!("expected only SQL errors, got: {other}"),
        })
        .collect()
}
