//! Test databases: what each test's fresh database at head costs, from a
//! template (`migrate_runtime::test_db`, what `#[migrate_runtime::test]`
//! does) against what `#[sqlx::test]` does for each test (a new database,
//! then every migration run by sqlx's migrator over the same SQL).
//!
//! ```sh
//! cargo run --release -p migrate-bench -- --test-dbs --n 10,100,1000 --tests 50
//! ```
//!
//! For each database (`--db`, default `sqlite,postgres`) and each chain
//! length (`--n`) it runs `--tests` tests one after the other, each:
//! make the database, one query on it, remove it. The template side starts
//! with no template (dropped before), so its first test builds it; the
//! table shows the first test, the median of the others, and the total.
//! `#[sqlx::test]` is reproduced with its own steps: `CREATE DATABASE`
//! (PostgreSQL) or a new file (SQLite), `sqlx::migrate::Migrator::run` with
//! the revisions written as sqlx migrations (`<version>_<name>.sql`, loaded
//! once, as `sqlx::migrate!` embeds them), then `DROP DATABASE` or removing
//! the file.

use std::path::Path;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use migrate_runtime::Migrator;
use migrate_runtime::test_db::{TestDb, TestPool};
use sqlx::postgres::PgConnectOptions;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection};

use crate::{Db, fmt_duration, median, peak_rss};

/// Where this run's SQLite test databases and templates go: set as
/// `MIGRATE_TEST_DIR` by `main` before any thread starts.
pub fn sqlite_directory() -> std::path::PathBuf {
    std::env::temp_dir().join(format!("migrate-bench-test-dbs-{}", std::process::id()))
}

struct Options {
    ns: Vec<usize>,
    tests: usize,
    /// `--schema flat`: one table, then revisions that each replace a
    /// view, so the schema does not grow with the chain.
    flat: bool,
    dbs: Vec<Db>,
    pg_url: Option<String>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        ns: vec![10, 100, 1000],
        tests: 50,
        flat: false,
        dbs: vec![Db::Sqlite, Db::Postgres],
        pg_url: std::env::var("MIGRATE_BENCH_PG_URL").ok(),
    };
    crate::each_flag(args, |key, value| {
        match key {
            "--n" => {
                o.ns = value()?
                    .split(',')
                    .map(|s| s.trim().parse().context("--n takes numbers"))
                    .collect::<Result<_>>()?
            }
            "--tests" => o.tests = value()?.parse().context("--tests takes a number")?,
            "--db" => o.dbs = crate::parse_dbs(&value()?)?,
            "--pg-url" => o.pg_url = Some(value()?),
            "--schema" => {
                o.flat = match value()?.as_str() {
                    "flat" => true,
                    "growing" => false,
                    other => bail!("--schema takes flat or growing, not `{other}`"),
                }
            }
            other => bail!(
                "unknown option `{other}` for --test-dbs; the options are --n, --tests, --db, --pg-url, --schema"
            ),
        }
        Ok(())
    })?;
    if o.tests < 2 || o.ns.contains(&0) {
        bail!("--tests must be at least 2 and every --n at least 1");
    }
    Ok(o)
}

/// The same revisions as sqlx migrations, in a directory of their own.
fn sqlx_migrations(n: usize, flat: bool) -> Result<tempfile::TempDir> {
    let dir = tempfile::tempdir()?;
    for i in 0..n {
        let up = if flat {
            flat_sql(i).0
        } else {
            crate::revision_sql(i).up
        };
        let mut sql = String::new();
        for s in &up {
            sql.push_str(s);
            sql.push_str(";\n");
        }
        std::fs::write(dir.path().join(format!("{}_t{i}.sql", i + 1)), sql)?;
    }
    Ok(dir)
}

/// Revision `i` of the flat chain: a table first, then a view replaced by
/// each revision. Upgrade and downgrade statements.
fn flat_sql(i: usize) -> (Vec<String>, Vec<String>) {
    if i == 0 {
        return (
            vec![
                "CREATE TABLE bench_t0 (id INTEGER PRIMARY KEY, name VARCHAR(100) NOT NULL)".into(),
                "CREATE VIEW bench_v AS SELECT 0 AS revision".into(),
            ],
            vec!["DROP VIEW bench_v".into(), "DROP TABLE bench_t0".into()],
        );
    }
    (
        vec![
            "DROP VIEW bench_v".into(),
            format!("CREATE VIEW bench_v AS SELECT {i} AS revision"),
        ],
        vec![
            "DROP VIEW bench_v".into(),
            format!("CREATE VIEW bench_v AS SELECT {} AS revision", i - 1),
        ],
    )
}

/// The flat chain as a migration directory, and its migrator.
fn flat_chain(n: usize) -> Result<(tempfile::TempDir, Migrator)> {
    let dir = tempfile::tempdir()?;
    for i in 0..n {
        let (up, down) = flat_sql(i);
        let parent = if i == 0 {
            "None".to_owned()
        } else {
            crate::revision_id(i - 1)
        };
        let body = |statements: &[String]| {
            statements
                .iter()
                .map(|s| format!("{s};\n"))
                .collect::<String>()
        };
        std::fs::write(
            dir.path()
                .join(format!("{i:05}_{}_v.sql", crate::revision_id(i))),
            format!(
                "-- revision: {}\n-- down_revision: {parent}\n-- migrate:upgrade\n{}-- migrate:downgrade\n{}",
                crate::revision_id(i),
                body(&up),
                body(&down)
            ),
        )?;
    }
    let migrator =
        Migrator::from_directory(dir.path(), "migrations", &migrate_core::Config::default())
            .map_err(|e| anyhow::anyhow!("{e:?}"))?;
    Ok((dir, migrator))
}

struct Row {
    db: Db,
    n: usize,
    who: &'static str,
    first: Duration,
    each: Duration,
    total: Duration,
}

/// `tests` template-made databases, one query each; returns each test's time.
async fn with_templates<P: TestPool>(
    migrator: &Migrator,
    server: &str,
    tests: usize,
    query: impl Fn(&P) -> std::pin::Pin<Box<dyn std::future::Future<Output = Result<()>> + Send + '_>>,
) -> Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(tests);
    for _ in 0..tests {
        let started = Instant::now();
        let db = TestDb::<P>::create_on(migrator, "head", server)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        query(db.pool()).await?;
        // As `#[migrate_runtime::test]` does: the drop goes on while the
        // next test starts.
        db.__finish_later().await;
        times.push(started.elapsed());
    }
    // The drops still queued count in the last test's time.
    let started = Instant::now();
    migrate_runtime::test_db::__wait_for_drops();
    if let Some(last) = times.last_mut() {
        *last += started.elapsed();
    }
    Ok(times)
}

async fn sqlx_postgres(
    admin: &PgConnectOptions,
    migrations: &sqlx::migrate::Migrator,
    tests: usize,
) -> Result<Vec<Duration>> {
    let mut admin_conn = PgConnection::connect_with(admin).await?;
    let mut times = Vec::with_capacity(tests);
    for t in 0..tests {
        let started = Instant::now();
        let name = format!("_sqlx_test_bench_{t}");
        sqlx::Executor::execute(&mut admin_conn, format!("CREATE DATABASE {name}").as_str())
            .await?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(5)
            .connect_with(admin.clone().database(&name))
            .await?;
        migrations.run(&pool).await?;
        sqlx::query("SELECT 1").execute(&pool).await?;
        pool.close().await;
        sqlx::Executor::execute(
            &mut admin_conn,
            format!("DROP DATABASE {name} WITH (FORCE)").as_str(),
        )
        .await?;
        times.push(started.elapsed());
    }
    admin_conn.close().await?;
    Ok(times)
}

async fn sqlx_sqlite(
    dir: &Path,
    migrations: &sqlx::migrate::Migrator,
    tests: usize,
) -> Result<Vec<Duration>> {
    let mut times = Vec::with_capacity(tests);
    for t in 0..tests {
        let started = Instant::now();
        let file = dir.join(format!("sqlx_test_{t}.sqlite"));
        let options = SqliteConnectOptions::new()
            .filename(&file)
            .create_if_missing(true)
            .disable_statement_logging();
        let pool = sqlx::sqlite::SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?;
        migrations.run(&pool).await?;
        sqlx::query("SELECT 1").execute(&pool).await?;
        pool.close().await;
        std::fs::remove_file(&file)?;
        times.push(started.elapsed());
    }
    Ok(times)
}

fn row(db: Db, n: usize, who: &'static str, times: Vec<Duration>) -> Row {
    let first = times[0];
    let total = times.iter().sum();
    Row {
        db,
        n,
        who,
        first,
        each: median(times[1..].to_vec()),
        total,
    }
}

/// Drops every template of earlier runs, so the first test builds one.
async fn drop_templates(admin: &PgConnectOptions) -> Result<()> {
    let mut conn = PgConnection::connect_with(admin).await?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE starts_with(datname, 'migrate_tpl_')",
    )
    .fetch_all(&mut conn)
    .await?;
    for name in names {
        sqlx::Executor::execute(
            &mut conn,
            format!("ALTER DATABASE \"{name}\" IS_TEMPLATE false").as_str(),
        )
        .await?;
        sqlx::Executor::execute(
            &mut conn,
            format!("DROP DATABASE \"{name}\" WITH (FORCE)").as_str(),
        )
        .await?;
    }
    conn.close().await?;
    Ok(())
}

pub async fn main(args: &[String]) -> Result<()> {
    let o = parse_args(args)?;
    let given_url = o.pg_url.as_deref().filter(|u| !u.trim().is_empty());
    let mut rows = Vec::new();
    for &db in &o.dbs {
        let url = match db {
            Db::Postgres => Some(crate::pg_admin_url(given_url)?),
            Db::Sqlite => None,
        };
        for &n in &o.ns {
            let generated;
            let flat;
            let migrator: &Migrator = if o.flat {
                flat = flat_chain(n)?;
                &flat.1
            } else {
                generated = crate::generate(n)?;
                &generated.migrator
            };
            let sqlx_dir = sqlx_migrations(n, o.flat)?;
            let migrations = sqlx::migrate::Migrator::new(sqlx_dir.path()).await?;
            eprintln!("{db} N={n}: {} tests each way", o.tests);
            match db {
                Db::Postgres => {
                    let url = url.as_deref().unwrap_or_default();
                    let admin = PgConnectOptions::from_str(url)?.disable_statement_logging();
                    drop_templates(&admin).await?;
                    let ours = with_templates::<sqlx::PgPool>(migrator, url, o.tests, |pool| {
                        Box::pin(async move {
                            sqlx::query("SELECT 1").execute(pool).await?;
                            Ok(())
                        })
                    })
                    .await?;
                    rows.push(row(db, n, "template (`#[migrate_runtime::test]`)", ours));
                    let theirs = sqlx_postgres(&admin, &migrations, o.tests).await?;
                    rows.push(row(
                        db,
                        n,
                        "new database + sqlx migrator (`#[sqlx::test]`)",
                        theirs,
                    ));
                    drop_templates(&admin).await?;
                }
                Db::Sqlite => {
                    // `main` pointed MIGRATE_TEST_DIR at a directory of this
                    // run's before the runtime started: no template yet.
                    let scratch = sqlite_directory();
                    let _ = std::fs::remove_dir_all(&scratch);
                    std::fs::create_dir_all(&scratch)?;
                    let ours = with_templates::<sqlx::SqlitePool>(migrator, "", o.tests, |pool| {
                        Box::pin(async move {
                            sqlx::query("SELECT 1").execute(pool).await?;
                            Ok(())
                        })
                    })
                    .await?;
                    rows.push(row(db, n, "template (`#[migrate_runtime::test]`)", ours));
                    let theirs = sqlx_sqlite(&scratch, &migrations, o.tests).await?;
                    rows.push(row(
                        db,
                        n,
                        "new file + sqlx migrator (`#[sqlx::test]`)",
                        theirs,
                    ));
                    let _ = std::fs::remove_dir_all(&scratch);
                }
            }
        }
        if db == Db::Postgres {
            crate::stop_bench_pg(given_url);
        }
    }
    println!(
        "{} tests one after the other, each: a fresh database at head, one query, removed.\n",
        o.tests
    );
    println!("| db | N | set-up | first test | each later test (median) | all tests |");
    println!("|---|---:|---|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {} |",
            r.db,
            r.n,
            r.who,
            fmt_duration(r.first),
            fmt_duration(r.each),
            fmt_duration(r.total)
        );
    }
    println!(
        "\nPeak RSS (VmHWM) of the benchmark process: {}",
        peak_rss()
    );
    Ok(())
}
