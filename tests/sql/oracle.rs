//! The databases as the oracle: every statement here is first run on the
//! real PostgreSQL 15 server or a real SQLite database, and the build-time
//! check must agree with it, rejecting a typo where the database points and
//! accepting what the database runs.
//!
//! Some of these tests fail until the product is fixed; each failure message
//! names the statement, the dialect and what the check said.

use std::path::Path;

use migrate_core::sql::check_dialects;
use migrate_core::{Dialect, DialectCheck, load_directory};
use migrate_runtime::Migrator;
use migrate_tests::fresh_pg_db;
use sqlx::postgres::{PgDatabaseError, PgErrorPosition};
use sqlx::{Connection, SqliteConnection};

use crate::{config, only, sql_errors};

/// (line, column), 1-based, of the character at 1-based `position` of `sql`.
fn line_column(sql: &str, position: usize) -> (u32, u32) {
    let before: String = sql.chars().take(position.saturating_sub(1)).collect();
    let line = before.matches('\n').count() as u32 + 1;
    let column = before.rsplit('\n').next().unwrap().chars().count() as u32 + 1;
    (line, column)
}

/// Runs `setup` then `sql` in a transaction that is rolled back, and returns
/// where PostgreSQL reports its syntax error in `sql`, and its message.
/// Panics if PostgreSQL accepts `sql` or fails for another reason.
async fn postgres_syntax_error(
    pool: &sqlx::PgPool,
    setup: &str,
    sql: &str,
) -> ((u32, u32), String) {
    let mut tx = pool.begin().await.unwrap();
    if !setup.is_empty() {
        sqlx::raw_sql(setup)
            .execute(&mut *tx)
            .await
            .unwrap_or_else(|e| panic!("setup {setup:?}: {e}"));
    }
    let err = match sqlx::raw_sql(sql).execute(&mut *tx).await {
        Ok(_) => panic!("PostgreSQL accepted {sql:?}: not a typo"),
        Err(e) => e,
    };
    tx.rollback().await.ok();
    let db = err
        .as_database_error()
        .and_then(|d| d.try_downcast_ref::<PgDatabaseError>())
        .unwrap_or_else(|| panic!("{sql:?}: {err}"));
    assert_eq!(
        db.code(),
        "42601",
        "{sql:?}: expected a syntax error, got {}",
        db.message()
    );
    let position = match db.position() {
        Some(PgErrorPosition::Original(p)) => p,
        other => panic!("{sql:?}: PostgreSQL gave no position in the statement: {other:?}"),
    };
    (line_column(sql, position), db.message().to_owned())
}

/// For each `(setup, typo)`: PostgreSQL 15 rejects the typo with a syntax
/// error, and the check with dialect `postgres` must reject it at the same
/// line and column. Returns a description of every disagreement.
async fn disagreements_with_postgres(cases: &[(&str, &str)]) -> Vec<String> {
    disagreements_within(cases, 0).await
}

/// Like [`disagreements_with_postgres`], but a rejection up to `lines` lines
/// above PostgreSQL's position counts as the right place: PL/pgSQL's parser,
/// which the check uses for function bodies, reports only "near line N".
async fn disagreements_within(cases: &[(&str, &str)], lines: u32) -> Vec<String> {
    let db = fresh_pg_db().await;
    let pool = db.pool().await;
    let mut problems = Vec::new();
    for (setup, sql) in cases {
        let (at, message) = postgres_syntax_error(&pool, setup, sql).await;
        match check_dialects(sql, 1, 1, &only(Dialect::Postgres)) {
            Ok(()) => problems.push(format!(
                "MISSED (dialect postgres): {sql:?}\n    PostgreSQL 15 says {}:{}: {message}\n    the check accepts it",
                at.0, at.1
            )),
            Err((e, _)) if lines == 0 && (e.line, e.column) != at => problems.push(format!(
                "WRONG PLACE (dialect postgres): {sql:?}\n    PostgreSQL 15 says {}:{}: {message}\n    the check says {}:{}: {}",
                at.0, at.1, e.line, e.column, e.message
            )),
            Err((e, _)) if lines > 0 && !(at.0.saturating_sub(lines)..=at.0).contains(&e.line) => problems.push(format!(
                "WRONG PLACE (dialect postgres, within {lines} lines): {sql:?}\n    PostgreSQL 15 says {}:{}: {message}\n    the check says {}:{}: {}",
                at.0, at.1, e.line, e.column, e.message
            )),
            Err(_) => {}
        }
    }
    pool.close().await;
    problems
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_typos_are_rejected_where_postgres_points() {
    let t = "CREATE TABLE t (id int PRIMARY KEY, a int, b text); CREATE SEQUENCE s;";
    let problems = disagreements_with_postgres(&[
        ("", "CREATE TABLE u (\n    id int,,\n    name text\n)"),
        (t, "INSERT INTO t (id, a) VALUES (1, 2),, (3, 4)"),
        ("", "CREATE TABLE u (id int)\nCREATE INDEX u_id ON u (id)"),
        (
            t,
            "ALTER TABLE t ADD COLUMN c int\nALTER TABLE t ADD COLUMN d int",
        ),
        ("", "CRATE TABLE u (id int)"),
        (t, "ALTER TABLE t ADD COLUMN c int NOT NUL"),
        (t, "ALTER SEQUENCE s OWNED BI t.id"),
        (t, "REINDEX INDX t_pkey"),
        (t, "DROP INDEX CONCURRENTLY IF EXSITS t_pkey"),
        (t, "CREATE STATISTICS st (ndistinct) ON a, b FORM t"),
        (t, "COMMENT ON CONSTRAINT t_pkey ONN t IS 'x'"),
        (
            "",
            "CREATE FUNCTION f() RETURNS int LANGUAGE plpgsql AS $$\nBEGIN\n    RETURN 1;\nEND;\n$",
        ),
        ("", "DO $body$ BEGIN PERFORM 1; END $bdy$"),
        (t, "INSERT INTO SELECT id FROM t"),
        (
            t,
            "WITH x AS (SELECT id FROM t)\nINSERT INTO SELECT id FROM x",
        ),
        (t, "UPDATE t SET a = 1, WHERE id = 2"),
        (t, "SELECT id, FROM t"),
        (t, "CREATE TABLE u (a numeric(10,))"),
        (t, "CREATE TYPE e AS ENUM ('a' 'b')"),
        (t, "ALTER TABLE t ALTER CONSTRAINT t_pkey DEFERABLE"),
        (t, "CREATE INDEX CONCURENTLY i ON t (a)"),
        (t, "REFRESH MATERIALIZED VIEW CONCURENTLY v"),
        (
            t,
            "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLE TO PUBLIC",
        ),
        (t, "INSERT INTO t (id, b) VALUES (1, 'it''s)"),
    ])
    .await;
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// sqlparser accepts these, so the exact judge is never asked; PostgreSQL
/// rejects them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_typos_that_sqlparser_accepts_are_rejected() {
    let t = "CREATE TABLE a (id int, x int); CREATE TABLE b (id int, y int);";
    let problems = disagreements_with_postgres(&[
        // A forgotten ON clause in a data migration.
        (
            t,
            "UPDATE a SET x = b.y\nFROM a AS a2 JOIN b\nWHERE a.id = a2.id",
        ),
        (t, "SELECT * FROM a JOIN b"),
        // A missing comma in a key's column list.
        (
            "",
            "CREATE TABLE u (\n    a int,\n    b int,\n    PRIMARY KEY (a b)\n)",
        ),
        (t, "ALTER TABLE a ADD CONSTRAINT a_id_x UNIQUE (id x)"),
        // An index expression other than a column or function call needs
        // its own parentheses.
        (t, "CREATE INDEX a_x_text ON a (x::text)"),
        (t, "CREATE INDEX a_sum ON a USING btree (id + x)"),
    ])
    .await;
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// PostgreSQL parses a PL/pgSQL or SQL function body when the function is
/// created (`check_function_bodies` is on by default) and a DO body when it
/// runs: a typo there fails the migration.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_typos_inside_function_bodies_are_rejected() {
    let problems = disagreements_within(&[
        (
            "CREATE TABLE t (id int, updated_at timestamptz);",
            "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.updated_at := now()\n    RETURN NEW;\nEND;\n$$",
        ),
        ("", "DO $$\nBEGIN\n    PERFORM 1\nEND\n$$"),
        ("", "CREATE FUNCTION one() RETURNS int LANGUAGE sql AS $$ SELEC 1 $$"),
    ], 2)
    .await;
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// Writes a two-revision chain: `first` then `second` (upgrade sections).
fn chain(dir: &Path, first: &str, second: &str) {
    std::fs::write(
        dir.join("2025_04_01_0900-0a1b2c3d4e01_first.sql"),
        format!(
            "-- revision: 0a1b2c3d4e01\n-- down_revision: none\n\n-- migrate:upgrade\n{first}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        dir.join("2025_04_02_0900-0a1b2c3d4e02_second.sql"),
        format!("-- revision: 0a1b2c3d4e02\n-- down_revision: 0a1b2c3d4e01\n\n-- migrate:upgrade\n{second}\n"),
    )
    .unwrap();
}

/// A multi-action rule holds `;` inside its parentheses: one statement.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_multi_action_rule_is_one_statement_and_accepted() {
    let setup =
        "CREATE TABLE a (x int);\nCREATE TABLE b (y int);\nCREATE VIEW v AS SELECT 1 AS x, 2 AS y;";
    let rule = "CREATE RULE v_insert AS ON INSERT TO v DO INSTEAD (\n    INSERT INTO a VALUES (NEW.x);\n    INSERT INTO b VALUES (NEW.y)\n);";
    // PostgreSQL 15 runs it.
    let db = fresh_pg_db().await;
    let pool = db.pool().await;
    sqlx::raw_sql(&format!("{setup}\n{rule}\nINSERT INTO v VALUES (1, 2);"))
        .execute(&pool)
        .await
        .unwrap_or_else(|e| panic!("PostgreSQL rejected the rule: {e}"));
    pool.close().await;

    let tmp = tempfile::tempdir().unwrap();
    chain(tmp.path(), setup, rule);
    if let Err(errors) = load_directory(tmp.path(), "migrations", &only(Dialect::Postgres)) {
        panic!(
            "FALSE REJECTION (dialect postgres) of a rule PostgreSQL 15 runs:\n{rule}\nthe check says:\n{errors}"
        );
    }
}

/// Runs `statements` on a fresh in-memory SQLite database; panics on failure.
async fn sqlite_runs(statements: &[&str]) {
    let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
    for sql in statements {
        sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .unwrap_or_else(|e| panic!("SQLite rejected {sql:?}: {e}"));
    }
    conn.close().await.unwrap();
}

/// Valid SQLite that sqlparser parses only partly ("a complete statement,
/// then more text") while a prepare in an empty database stops at the
/// unknown table: the check takes it for a missing `;`.
#[tokio::test]
async fn sqlite_statements_sqlparser_stops_early_on_are_accepted() {
    let first = "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT UNIQUE, c INTEGER);\nCREATE INDEX t_c ON t (c);";
    let cases = [
        "REINDEX t;",
        "REINDEX main.t_c;",
        "DELETE FROM t INDEXED BY t_c WHERE c > 10;",
        "INSERT INTO t (a, b, c) VALUES (1, 'x', 2)\nON CONFLICT (a) DO NOTHING\nON CONFLICT (b) DO UPDATE SET c = excluded.c;",
    ];
    let mut problems = Vec::new();
    for sql in cases {
        sqlite_runs(&[first, sql]).await;
        for dialects in [only(Dialect::Sqlite), DialectCheck::Any] {
            let tmp = tempfile::tempdir().unwrap();
            chain(tmp.path(), first, sql);
            if let Err(errors) = load_directory(tmp.path(), "migrations", &dialects) {
                problems.push(format!(
                    "FALSE REJECTION ({dialects:?}) of {sql:?}, which SQLite runs:\n    {errors}"
                ));
            }
        }
    }
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// SQLite gives no offset for an unknown table option: the error must still
/// be on the option's line, not on the `CREATE TABLE` line.
#[test]
fn sqlite_unknown_table_option_is_reported_on_its_line() {
    let tmp = tempfile::tempdir().unwrap();
    chain(
        tmp.path(),
        "CREATE TABLE a (id INTEGER PRIMARY KEY);",
        "CREATE TABLE settings (\n    key TEXT PRIMARY KEY,\n    value TEXT NOT NULL\n) WITHOUT ROWDI;",
    );
    let errors = load_directory(tmp.path(), "migrations", &only(Dialect::Sqlite))
        .map(|_| ())
        .expect_err("WITHOUT ROWDI was accepted");
    let found = sql_errors(&errors);
    assert_eq!(found.len(), 1, "{errors}");
    // File: 4 header/marker lines, then the statement from line 5; ROWDI is
    // on line 8, column 11.
    assert_eq!(
        (found[0].1, found[0].2),
        (8, 11),
        "WRONG PLACE (dialect sqlite): the error should point at ROWDI (8:11):\n{errors}"
    );
}

/// With the default `any`, a statement that neither PostgreSQL nor SQLite
/// accepts must be rejected.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_any_rejects_what_neither_database_accepts() {
    let first = "CREATE TABLE accounts (id INTEGER PRIMARY KEY, logins INTEGER NOT NULL DEFAULT 0);\nCREATE TABLE logins (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL);";
    let cases = [
        // A missing `;` inside a SQLite trigger body.
        "CREATE TRIGGER IF NOT EXISTS logins_count AFTER INSERT ON logins\nBEGIN\n    UPDATE accounts SET logins = logins + 1 WHERE id = NEW.account_id\nEND;",
        // A missing comma in a key's column list.
        "CREATE TABLE tags (\n    account_id INTEGER,\n    name TEXT,\n    PRIMARY KEY (account_id name)\n);",
    ];
    let db = fresh_pg_db().await;
    let pool = db.pool().await;
    let mut problems = Vec::new();
    for sql in cases {
        // Neither database accepts it.
        let mut conn = SqliteConnection::connect("sqlite::memory:").await.unwrap();
        sqlx::raw_sql(first).execute(&mut conn).await.unwrap();
        assert!(
            sqlx::raw_sql(sql).execute(&mut conn).await.is_err(),
            "SQLite accepted {sql:?}"
        );
        let mut tx = pool.begin().await.unwrap();
        sqlx::raw_sql(first).execute(&mut *tx).await.unwrap();
        assert!(
            sqlx::raw_sql(sql).execute(&mut *tx).await.is_err(),
            "PostgreSQL accepted {sql:?}"
        );
        tx.rollback().await.unwrap();

        let tmp = tempfile::tempdir().unwrap();
        chain(tmp.path(), first, sql);
        if load_directory(tmp.path(), "migrations", &DialectCheck::Any).is_ok() {
            problems.push(format!(
                "MISSED (dialect any): {sql:?}\n    PostgreSQL 15 and SQLite both reject it; the check accepts it"
            ));
        }
    }
    pool.close().await;
    assert!(problems.is_empty(), "\n{}", problems.join("\n"));
}

/// `Migrator::from_directory` (run-time loading) must judge like
/// `embed_migrations!`: with the runtime's default features, the statements
/// sqlparser does not know are accepted there too.
#[test]
fn runtime_from_directory_uses_the_exact_judges() {
    let pg = tempfile::tempdir().unwrap();
    chain(
        pg.path(),
        "CREATE TABLE t (id int);",
        "REINDEX TABLE t;\nDO $$ BEGIN PERFORM 1; END $$;",
    );
    if let Err(e) = Migrator::from_directory(pg.path(), "migrations", &config(Dialect::Postgres)) {
        panic!("FALSE REJECTION by Migrator::from_directory (dialect postgres):\n{e}");
    }
    let lite = tempfile::tempdir().unwrap();
    chain(
        lite.path(),
        "CREATE TABLE t (id INTEGER);",
        "PRAGMA foreign_keys = ON;\nCREATE TRIGGER IF NOT EXISTS t_ins AFTER INSERT ON t BEGIN SELECT 1; END;",
    );
    if let Err(e) = Migrator::from_directory(lite.path(), "migrations", &config(Dialect::Sqlite)) {
        panic!("FALSE REJECTION by Migrator::from_directory (dialect sqlite):\n{e}");
    }
}
