//! Benchmarks of the migration runtime against the raw SQL floor.
//!
//! ```sh
//! cargo run --release -p migrate-bench -- --n 100,1000 --runs 5 --db sqlite,postgres
//! ```
//!
//! For each database and N it generates N revisions of small, realistic DDL
//! (a table, an index, every third revision an `ALTER TABLE … ADD COLUMN`),
//! loads them with `Migrator::from_directory`, and measures, as the median of
//! `--runs` runs on a fresh database each run:
//!
//! * W1 apply: `upgrade(&pool, "head")` (default single-transaction mode and
//!   `TransactionMode::PerRevision`) against the same upgrade SQL sent raw in
//!   one `BEGIN … COMMIT` over one connection;
//! * W2 start-up at head: a fresh one-connection pool plus `upgrade("head")`
//!   with nothing pending, against a fresh pool plus one query that reads the
//!   history table (`SELECT revision, checksum FROM <table>`, the least any
//!   tool must read to know that nothing is pending), and, as a reference,
//!   against a fresh pool plus `SELECT 1` (which reads no table: neither
//!   SQLite's schema nor PostgreSQL's catalog caches are loaded). Two more
//!   rows time `Migrator::current` on a fresh migrator at head,
//!   against the same history read: as it answers (from the start-up texts)
//!   and the long way (`current_from_graph`: the graph built, the whole
//!   history read).
//! * W3 downgrade to base against the raw down SQL, newest first, in one
//!   transaction.
//!
//! It prints a Markdown table and the process's peak RSS. See
//! docs/performance.md.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use clap::{Parser, ValueEnum};
use migrate_runtime::{Migrator, TransactionMode};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, SqlitePool};

mod autogen;
mod build;
mod fleet;
mod peers;
mod testdbs;

/// Benchmarks `migrate_runtime::Migrator` against raw SQL in one transaction.
#[derive(Parser, Debug)]
#[command(name = "migrate-bench")]
struct Args {
    /// Numbers of revisions (comma-separated). W2 also runs at N = 10.
    #[arg(long, value_delimiter = ',', default_values_t = [100usize, 1000])]
    n: Vec<usize>,
    /// Runs per figure; the median is printed.
    #[arg(long, default_value_t = 5)]
    runs: usize,
    /// Databases (comma-separated).
    #[arg(long, value_delimiter = ',', default_values_t = [Db::Sqlite, Db::Postgres])]
    db: Vec<Db>,
    /// Admin URL of a PostgreSQL server (a role that may create and drop
    /// databases). Without it the bench starts a server of its own with
    /// `scripts/pg.sh` (data in `/dev/shm/migrate-bench-pg` or
    /// `MIGRATE_BENCH_PG_DIR`, port 55435) and stops it at the end.
    #[arg(long, env = "MIGRATE_BENCH_PG_URL")]
    pg_url: Option<String>,
    /// Only W2 (start-up at head) for every N: the database is brought to
    /// head once per run, untimed. For large N on SQLite, where each full
    /// run takes tens of minutes.
    #[arg(long)]
    w2_only: bool,
    /// Leaves out the reference rows that are not the migrator's `Single`
    /// mode (`PerRevision`, savepoints, one statement per round trip): for
    /// N = 10,000 on SQLite, where each pass of the DDL takes minutes.
    #[arg(long)]
    no_references: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
enum Db {
    Sqlite,
    Postgres,
}

impl std::fmt::Display for Db {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Db::Sqlite => "sqlite",
            Db::Postgres => "postgres",
        })
    }
}

/// The generated revisions of one N: a directory, the migrator loaded from
/// it, and the same SQL as raw scripts for the floors.
struct Workload {
    n: usize,
    _dir: tempfile::TempDir,
    migrator: Migrator,
    /// Every upgrade section, oldest first, inside `BEGIN; … COMMIT;`.
    raw_up: String,
    /// Every downgrade section, newest first, inside `BEGIN; … COMMIT;`.
    raw_down: String,
    /// `raw_up` with each revision inside `SAVEPOINT … RELEASE SAVEPOINT`
    /// (a reference row: what savepoints alone cost).
    raw_up_savepoints: String,
    /// Every upgrade statement, oldest first, for a reference run that sends
    /// one statement per round trip inside one transaction (as `psql -1 -f`).
    up_statements: Vec<String>,
    /// `up.sql` (`raw_up`) and `up_body.sql` (the same without `BEGIN` and
    /// `COMMIT`), for the databases' own command-line clients.
    scripts: tempfile::TempDir,
}

/// One revision's SQL.
struct Revision {
    up: Vec<String>,
    down: Vec<String>,
}

fn revision_sql(i: usize) -> Revision {
    let mut up = vec![
        format!(
            "CREATE TABLE bench_t{i} (\n    id INTEGER PRIMARY KEY,\n    name VARCHAR(100) NOT NULL,\n    price NUMERIC(10, 2),\n    created_at TIMESTAMP,\n    note TEXT\n)"
        ),
        format!("CREATE INDEX ix_bench_t{i}_name ON bench_t{i} (name)"),
    ];
    let mut down = Vec::new();
    if i % 3 == 2 {
        let prev = i - 1;
        up.push(format!(
            "ALTER TABLE bench_t{prev} ADD COLUMN extra_{i} INTEGER NOT NULL DEFAULT 0"
        ));
        down.push(format!("ALTER TABLE bench_t{prev} DROP COLUMN extra_{i}"));
    }
    down.push(format!("DROP INDEX ix_bench_t{i}_name"));
    down.push(format!("DROP TABLE bench_t{i}"));
    Revision { up, down }
}

fn revision_id(i: usize) -> String {
    format!("bench{i:07}")
}

fn generate(n: usize) -> Result<Workload> {
    let dir = tempfile::tempdir().context("creating the revision directory")?;
    let mut raw_up = String::from("BEGIN;\n");
    let mut raw_up_savepoints = String::from("BEGIN;\n");
    let mut up_statements = Vec::new();
    let mut downs = Vec::with_capacity(n);
    for i in 0..n {
        let id = revision_id(i);
        let rev = revision_sql(i);
        let mut file = format!("-- revision: {id}\n");
        if i == 0 {
            file.push_str("-- down_revision: None\n");
        } else {
            let _ = writeln!(file, "-- down_revision: {}", revision_id(i - 1));
        }
        let _ = writeln!(file, "-- message: create table bench_t{i}\n");
        file.push_str("-- migrate:upgrade\n");
        raw_up_savepoints.push_str("SAVEPOINT bench_revision;\n");
        for s in &rev.up {
            let _ = writeln!(file, "{s};");
            let _ = writeln!(raw_up, "{s};");
            let _ = writeln!(raw_up_savepoints, "{s};");
            up_statements.push(s.clone());
        }
        raw_up_savepoints.push_str("RELEASE SAVEPOINT bench_revision;\n");
        file.push_str("\n-- migrate:downgrade\n");
        let mut down = String::new();
        for s in &rev.down {
            let _ = writeln!(file, "{s};");
            let _ = writeln!(down, "{s};");
        }
        downs.push(down);
        // The zero-padded id keeps the file names in revision order.
        let name = format!("2026_01_01_0000-{id}_t{i}.sql");
        std::fs::write(dir.path().join(name), file).context("writing a revision")?;
    }
    raw_up.push_str("COMMIT;\n");
    raw_up_savepoints.push_str("COMMIT;\n");
    let mut raw_down = String::from("BEGIN;\n");
    for d in downs.iter().rev() {
        raw_down.push_str(d);
    }
    raw_down.push_str("COMMIT;\n");
    let migrator = Migrator::from_directory(
        dir.path(),
        "bench-migrations",
        &migrate_core::Config::default(),
    )
    .map_err(|e| anyhow::anyhow!("loading the generated revisions: {e}"))?;
    let scripts = tempfile::tempdir().context("creating the script directory")?;
    std::fs::write(scripts.path().join("up.sql"), &raw_up).context("writing up.sql")?;
    let body = raw_up
        .strip_prefix("BEGIN;\n")
        .and_then(|b| b.strip_suffix("COMMIT;\n"))
        .unwrap_or(&raw_up);
    std::fs::write(scripts.path().join("up_body.sql"), body).context("writing up_body.sql")?;
    Ok(Workload {
        n,
        _dir: dir,
        migrator,
        raw_up,
        raw_down,
        raw_up_savepoints,
        up_statements,
        scripts,
    })
}

/// Timings of one run: (migrate, floor) pairs.
#[derive(Default, Clone)]
struct Sample {
    w1: Option<(Duration, Duration)>,
    w1_per_revision: Option<Duration>,
    w1_raw_savepoints: Option<Duration>,
    w1_raw_per_statement: Option<Duration>,
    /// The database's own client (`psql -1 -f`, `sqlite3`), process start to exit.
    w1_client: Option<Duration>,
    w2: (Duration, Duration),
    /// Connect plus `SELECT 1` (W2 reference floor).
    w2_select_1: Duration,
    /// Connect plus `current` on a fresh migrator, at head.
    w2_current: Duration,
    /// The same the long way (`current_from_graph`: the graph built, the
    /// whole history read).
    w2_current_long: Duration,
    w3: Option<(Duration, Duration)>,
}

/// Repeats of each W2 measurement per run.
const W2_REPEATS: usize = 7;

/// A fresh database for one run.
trait Bench {
    type Pool: migrate_runtime::Database + Clone + Send + Sync;
    async fn create(&mut self) -> Result<String>;
    async fn connect(&self, name: &str) -> Result<Self::Pool>;
    async fn raw(&self, pool: &Self::Pool, sql: &str) -> Result<()>;
    /// `BEGIN`, each statement in its own round trip, `COMMIT`.
    async fn raw_each(&self, pool: &Self::Pool, statements: &[String]) -> Result<()>;
    async fn close(&self, pool: Self::Pool);
    async fn drop_db(&mut self, name: &str) -> Result<()>;
    /// Lets the writes of earlier steps reach the disk before a timed step
    /// (see `ready`).
    async fn settle(&self, pool: &Self::Pool);
    /// The database's own command-line client running the whole upgrade
    /// script in one transaction on database `name`, if it is installed.
    fn client(&self, name: &str, scripts: &Path) -> Option<Command>;
}

/// Walks the `--key value` and `--key=value` arguments of a sub-mode
/// (`--build`, `--autogenerate`), calling `on` with each key and a getter
/// of its value.
fn each_flag(
    args: &[String],
    mut on: impl FnMut(&str, &mut dyn FnMut() -> Result<String>) -> Result<()>,
) -> Result<()> {
    let mut it = args.iter();
    while let Some(arg) = it.next() {
        let (key, inline) = match arg.split_once('=') {
            Some((k, v)) => (k, Some(v.to_owned())),
            None => (arg.as_str(), None),
        };
        let mut value = || -> Result<String> {
            match &inline {
                Some(v) => Ok(v.clone()),
                None => it
                    .next()
                    .cloned()
                    .with_context(|| format!("{key} needs a value")),
            }
        };
        on(key, &mut value)?;
    }
    Ok(())
}

/// A `--db` value: a comma list of `sqlite` and `postgres`.
fn parse_dbs(value: &str) -> Result<Vec<Db>> {
    value
        .split(',')
        .map(|s| {
            <Db as ValueEnum>::from_str(s.trim(), true)
                .map_err(|_| anyhow::anyhow!("unknown database `{s}`; use sqlite or postgres"))
        })
        .collect()
}

/// Flushes the file system's dirty pages (`sync`).
fn sync_disks() {
    let _ = Command::new("sync").status();
}

struct SqliteBench {
    dir: tempfile::TempDir,
    next: usize,
}

impl Bench for SqliteBench {
    type Pool = SqlitePool;
    async fn create(&mut self) -> Result<String> {
        self.next += 1;
        let path: PathBuf = self.dir.path().join(format!("bench{}.db", self.next));
        Ok(path.to_string_lossy().into_owned())
    }
    async fn connect(&self, name: &str) -> Result<SqlitePool> {
        let options =
            SqliteConnectOptions::from_str(&format!("sqlite://{name}"))?.create_if_missing(true);
        Ok(SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await?)
    }
    async fn raw(&self, pool: &SqlitePool, sql: &str) -> Result<()> {
        let mut conn = pool.acquire().await?;
        sqlx::raw_sql(sql).execute(&mut *conn).await?;
        Ok(())
    }
    async fn raw_each(&self, pool: &SqlitePool, statements: &[String]) -> Result<()> {
        let mut conn = pool.acquire().await?;
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        for statement in statements {
            sqlx::raw_sql(statement).execute(&mut *conn).await?;
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok(())
    }
    async fn close(&self, pool: SqlitePool) {
        pool.close().await;
    }
    async fn settle(&self, _pool: &SqlitePool) {
        sync_disks();
    }
    fn client(&self, name: &str, scripts: &Path) -> Option<Command> {
        // `sqlite3 FILE < up.sql`: the script has its own BEGIN and COMMIT.
        let file = std::fs::File::open(scripts.join("up.sql")).ok()?;
        Command::new("sqlite3").arg("-version").output().ok()?;
        let mut command = Command::new("sqlite3");
        command.arg("-bail").arg(name).stdin(file);
        Some(command)
    }
    async fn drop_db(&mut self, name: &str) -> Result<()> {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let _ = std::fs::remove_file(format!("{name}{suffix}"));
        }
        Ok(())
    }
}

struct PgBench {
    admin: PgConnectOptions,
    admin_conn: PgConnection,
    next: usize,
    /// `psql` and the password of the bench's own server (none with
    /// `--pg-url`: its password is not ours to pass on).
    psql: Option<(PathBuf, String)>,
}

impl Bench for PgBench {
    type Pool = PgPool;
    async fn create(&mut self) -> Result<String> {
        self.next += 1;
        let name = format!("migrate_bench_{}_{}", std::process::id(), self.next);
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
            .execute(&mut self.admin_conn)
            .await?;
        sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
            .execute(&mut self.admin_conn)
            .await
            .with_context(|| format!("CREATE DATABASE {name}"))?;
        Ok(name)
    }
    async fn connect(&self, name: &str) -> Result<PgPool> {
        Ok(PgPoolOptions::new()
            .max_connections(1)
            .connect_with(self.admin.clone().database(name))
            .await?)
    }
    async fn raw(&self, pool: &PgPool, sql: &str) -> Result<()> {
        let mut conn = pool.acquire().await?;
        sqlx::raw_sql(sql).execute(&mut *conn).await?;
        Ok(())
    }
    async fn raw_each(&self, pool: &PgPool, statements: &[String]) -> Result<()> {
        let mut conn = pool.acquire().await?;
        sqlx::raw_sql("BEGIN").execute(&mut *conn).await?;
        for statement in statements {
            sqlx::raw_sql(statement).execute(&mut *conn).await?;
        }
        sqlx::raw_sql("COMMIT").execute(&mut *conn).await?;
        Ok(())
    }
    async fn close(&self, pool: PgPool) {
        pool.close().await;
    }
    async fn settle(&self, pool: &PgPool) {
        // A checkpoint needs a superuser or `pg_checkpoint`; without it the
        // flush of the OS's pages is all there is.
        let _ = sqlx::raw_sql("CHECKPOINT").execute(pool).await;
        sync_disks();
    }
    fn client(&self, name: &str, scripts: &Path) -> Option<Command> {
        // `psql -1 -f`: one transaction, one statement per round trip, over
        // TCP like the pools; the password goes through the environment.
        let (psql, password) = self.psql.as_ref()?;
        let mut command = Command::new(psql);
        command
            .args(["-X", "-q", "-1", "-v", "ON_ERROR_STOP=1", "-o", "/dev/null"])
            .arg("-h")
            .arg(self.admin.get_host())
            .arg("-p")
            .arg(self.admin.get_port().to_string())
            .arg("-U")
            .arg(self.admin.get_username())
            .arg("-d")
            .arg(name)
            .arg("-f")
            .arg(scripts.join("up_body.sql"))
            .env("PGPASSWORD", password)
            .stdin(std::process::Stdio::null());
        Some(command)
    }
    async fn drop_db(&mut self, name: &str) -> Result<()> {
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .execute(&mut self.admin_conn)
            .await
            .with_context(|| format!("DROP DATABASE {name}"))?;
        Ok(())
    }
}

/// Times a migrator run that must apply or undo all `n` revisions.
async fn timed_all(
    n: usize,
    what: &str,
    run: impl Future<Output = migrate_runtime::Result<migrate_runtime::Report>>,
) -> Result<Duration> {
    let (elapsed, report) =
        timed(async { run.await.map_err(|e| anyhow::anyhow!("{what}: {e}")) }).await?;
    if report.revisions.len() != n {
        bail!("{what} ran {} of {n} revisions", report.revisions.len());
    }
    Ok(elapsed)
}

/// Awaits `fut` and returns its wall time with its value.
async fn timed<T>(fut: impl Future<Output = Result<T>>) -> Result<(Duration, T)> {
    let started = Instant::now();
    let value = fut.await?;
    Ok((started.elapsed(), value))
}

/// A pool with its one connection open and warm, after the disks have
/// settled (not timed). Creating databases and large DDL leave megabytes
/// of dirty pages whose write-back, on the machine measured here, slowed
/// whichever large DDL transaction came next by up to four times.
async fn ready<B: Bench>(bench: &B, name: &str) -> Result<B::Pool> {
    let pool = bench.connect(name).await?;
    bench.raw(&pool, "SELECT 1").await?;
    bench.settle(&pool).await;
    Ok(pool)
}

async fn one_run<B: Bench>(
    bench: &mut B,
    w: &Workload,
    full: bool,
    references: bool,
    k: usize,
) -> Result<Sample> {
    let mut sample = Sample::default();

    // Every database of the run is created before anything is timed, and a
    // discarded warm-up runs first: on the PostgreSQL server measured here
    // the first large DDL transaction after a `DROP DATABASE` ran up to six
    // times slower than the next one, whichever side ran it. The two W1
    // sides also alternate which goes first.
    let a = bench.create().await?;
    let others = if full {
        let mut names = Vec::new();
        for _ in 0..6 {
            names.push(bench.create().await?);
        }
        let pool = ready(bench, &names[4]).await?;
        bench.raw(&pool, &w.raw_up).await?;
        bench.close(pool).await;
        names
    } else {
        Vec::new()
    };
    let mut floor_up = None;
    if full && k % 2 == 1 {
        let pool = ready(bench, &others[0]).await?;
        floor_up = Some(timed(bench.raw(&pool, &w.raw_up)).await?.0);
        bench.close(pool).await;
    }

    // Database A: the migrator applies (W1), starts up at head (W2), and
    // downgrades (W3).
    let pool = ready(bench, &a).await?;
    // Only W2 measured (N = 10, or --w2-only): reach head one commit per
    // revision, which also works where one transaction of every revision
    // would exceed PostgreSQL's lock table (N = 10,000 here).
    let to_head = if full {
        w.migrator.clone()
    } else {
        w.migrator
            .clone()
            .with_transaction_mode(TransactionMode::PerRevision)
    };
    let migrate_up = timed_all(w.n, "upgrade", to_head.upgrade(&pool, "head")).await?;
    bench.close(pool).await;

    // W2, each side W2_REPEATS times per run (a connect varies by a
    // millisecond or more from one to the next), rotating which of the
    // three goes first; the run's figure is the median of its repeats.
    let read_history = format!(
        "SELECT revision, checksum FROM {}",
        w.migrator.version_table()
    );
    let (mut migrate, mut read, mut select_1, mut current, mut current_long) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for side in (0..5 * W2_REPEATS).map(|i| (i + k) % 5) {
        match side {
            0 => {
                // The table as a new process has it: nothing built yet (no
                // graph, no lookup), as a `static` made by the macro.
                let fresh = w.migrator.__fresh();
                let (t, pending) = timed(async {
                    let pool = bench.connect(&a).await?;
                    let report = fresh
                        .upgrade(&pool, "head")
                        .await
                        .map_err(|e| anyhow::anyhow!("start-up upgrade: {e}"))?;
                    Ok((pool, report.revisions.len()))
                })
                .await?;
                if pending.1 != 0 {
                    bail!("start-up at head applied {} revisions", pending.1);
                }
                bench.close(pending.0).await;
                migrate.push(t);
            }
            1 => {
                let (t, pool) = timed(async {
                    let pool = bench.connect(&a).await?;
                    bench.raw(&pool, &read_history).await?;
                    Ok(pool)
                })
                .await?;
                bench.close(pool).await;
                read.push(t);
            }
            2 | 3 => {
                // `current` as a new process asks it (`migrate current`,
                // the example app's /db-test), and the long way.
                let fresh = w.migrator.__fresh();
                let (t, pool) = timed(async {
                    let pool = bench.connect(&a).await?;
                    let heads = if side == 2 {
                        fresh.current(&pool).await
                    } else {
                        fresh.current_from_graph(&pool).await
                    }
                    .map_err(|e| anyhow::anyhow!("current: {e}"))?;
                    if heads.is_empty() {
                        bail!("current at head found no revision");
                    }
                    Ok(pool)
                })
                .await?;
                bench.close(pool).await;
                if side == 2 {
                    current.push(t);
                } else {
                    current_long.push(t);
                }
            }
            _ => {
                let (t, pool) = timed(async {
                    let pool = bench.connect(&a).await?;
                    bench.raw(&pool, "SELECT 1").await?;
                    Ok(pool)
                })
                .await?;
                bench.close(pool).await;
                select_1.push(t);
            }
        }
    }
    sample.w2 = (median(migrate), median(read));
    sample.w2_select_1 = median(select_1);
    sample.w2_current = median(current);
    sample.w2_current_long = median(current_long);

    if full {
        let pool = ready(bench, &a).await?;
        let down = timed_all(w.n, "downgrade", w.migrator.downgrade(&pool, "base")).await?;
        bench.close(pool).await;

        // Database B: the floors of W1 (unless timed above) and W3.
        let pool = ready(bench, &others[0]).await?;
        let raw_up = match floor_up {
            Some(t) => t,
            None => timed(bench.raw(&pool, &w.raw_up)).await?.0,
        };
        bench.close(pool).await;
        // A new connection, as the migrator's W3 has: the one that just
        // created every table holds them in its catalog caches, which made
        // the floor's downgrade faster than any fresh session can be.
        let pool = ready(bench, &others[0]).await?;
        let (raw_down, ()) = timed(bench.raw(&pool, &w.raw_down)).await?;
        bench.close(pool).await;

        if references {
            // Database C: per-revision commits.
            let pool = ready(bench, &others[1]).await?;
            let per_revision = w
                .migrator
                .clone()
                .with_transaction_mode(TransactionMode::PerRevision);
            let t = timed_all(
                w.n,
                "per-revision upgrade",
                per_revision.upgrade(&pool, "head"),
            )
            .await?;
            bench.close(pool).await;

            // Database D: the raw SQL with one savepoint per revision.
            let pool = ready(bench, &others[2]).await?;
            let (raw_savepoints, ()) = timed(bench.raw(&pool, &w.raw_up_savepoints)).await?;
            bench.close(pool).await;

            // Database E: one statement per round trip, one transaction.
            let pool = ready(bench, &others[3]).await?;
            let (per_statement, ()) = timed(bench.raw_each(&pool, &w.up_statements)).await?;
            bench.close(pool).await;
            sample.w1_raw_per_statement = Some(per_statement);

            // Database F: the database's own client, when installed.
            let pool = ready(bench, &others[5]).await?;
            bench.close(pool).await;
            if let Some(mut command) = bench.client(&others[5], w.scripts.path()) {
                let started = Instant::now();
                let output = command.output().context("running the database's client")?;
                let elapsed = started.elapsed();
                if !output.status.success() {
                    bail!(
                        "the database's client failed: {}",
                        String::from_utf8_lossy(&output.stderr)
                    );
                }
                sample.w1_client = Some(elapsed);
            }
            sample.w1_raw_savepoints = Some(raw_savepoints);
            sample.w1_per_revision = Some(t);
        }
        sample.w1 = Some((migrate_up, raw_up));
        sample.w3 = Some((down, raw_down));
    }
    bench.drop_db(&a).await?;
    for name in &others {
        bench.drop_db(name).await?;
    }
    Ok(sample)
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort_unstable();
    let m = v.len() / 2;
    if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2
    }
}

struct Row {
    workload: &'static str,
    db: Db,
    n: usize,
    migrate: Duration,
    floor: Duration,
}

fn fmt_duration(d: Duration) -> String {
    let ms = d.as_secs_f64() * 1000.0;
    if ms >= 1000.0 {
        format!("{:.3} s", ms / 1000.0)
    } else {
        format!("{ms:.1} ms")
    }
}

/// What every database is measured on: the workloads (each with whether
/// W1 and W3 run, or only W2), the runs per figure, the reference rows.
struct Settings<'a> {
    workloads: &'a [(Workload, bool)],
    runs: usize,
    references: bool,
}

async fn bench_db<B: Bench>(
    bench: &mut B,
    db: Db,
    settings: &Settings<'_>,
    rows: &mut Vec<Row>,
) -> Result<()> {
    let Settings {
        workloads,
        runs,
        references,
    } = *settings;
    for (w, full) in workloads {
        eprintln!("{db} N={}: {runs} runs", w.n);
        let mut samples = Vec::with_capacity(runs);
        for k in 0..runs {
            let sample = one_run(bench, w, *full, references, k).await?;
            // Each run's pairs, for whoever wants to see the spread.
            let pair = |p: Option<(Duration, Duration)>| {
                p.map_or_else(String::new, |(m, f)| {
                    format!(
                        "{:.1}/{:.1} ms",
                        m.as_secs_f64() * 1e3,
                        f.as_secs_f64() * 1e3
                    )
                })
            };
            eprintln!(
                "  run {}: W1 {} W2 {} W3 {}",
                k + 1,
                pair(sample.w1),
                pair(Some(sample.w2)),
                pair(sample.w3)
            );
            samples.push(sample);
        }
        let col = |f: &dyn Fn(&Sample) -> Option<Duration>| {
            median(samples.iter().filter_map(f).collect())
        };
        if *full {
            let floor_up = col(&|s| s.w1.map(|x| x.1));
            rows.push(Row {
                workload: "W1 apply (single transaction)",
                db,
                n: w.n,
                migrate: col(&|s| s.w1.map(|x| x.0)),
                floor: floor_up,
            });
            if references {
                rows.push(Row {
                    workload: "W1 apply (PerRevision)",
                    db,
                    n: w.n,
                    migrate: col(&|s| s.w1_per_revision),
                    floor: floor_up,
                });
                rows.push(Row {
                    workload: "W1 reference: raw SQL + SAVEPOINT per revision (no migrate)",
                    db,
                    n: w.n,
                    migrate: col(&|s| s.w1_raw_savepoints),
                    floor: floor_up,
                });
                rows.push(Row {
                    workload: "W1 reference: raw SQL, one statement per round trip (no migrate)",
                    db,
                    n: w.n,
                    migrate: col(&|s| s.w1_raw_per_statement),
                    floor: floor_up,
                });
                if samples.iter().any(|s| s.w1_client.is_some()) {
                    rows.push(Row {
                        workload: match db {
                            Db::Postgres => {
                                "W1 reference: `psql -1 -f`, process start to exit (no migrate)"
                            }
                            Db::Sqlite => {
                                "W1 reference: `sqlite3 FILE < script`, process start to exit (no migrate)"
                            }
                        },
                        db,
                        n: w.n,
                        migrate: col(&|s| s.w1_client),
                        floor: floor_up,
                    });
                }
            }
        }
        rows.push(Row {
            workload: "W2 start-up at head",
            db,
            n: w.n,
            migrate: col(&|s| Some(s.w2.0)),
            floor: col(&|s| Some(s.w2.1)),
        });
        rows.push(Row {
            workload: "W2 `current` at head (a fresh migrator) against connect + one read of the history table",
            db,
            n: w.n,
            migrate: col(&|s| Some(s.w2_current)),
            floor: col(&|s| Some(s.w2.1)),
        });
        rows.push(Row {
            workload: "W2 reference: `current` the long way (graph built, whole history read) against connect + one read of the history table",
            db,
            n: w.n,
            migrate: col(&|s| Some(s.w2_current_long)),
            floor: col(&|s| Some(s.w2.1)),
        });
        rows.push(Row {
            workload: "W2 reference: start-up at head against connect + SELECT 1",
            db,
            n: w.n,
            migrate: col(&|s| Some(s.w2.0)),
            floor: col(&|s| Some(s.w2_select_1)),
        });
        if *full {
            rows.push(Row {
                workload: "W3 downgrade to base",
                db,
                n: w.n,
                migrate: col(&|s| s.w3.map(|x| x.0)),
                floor: col(&|s| s.w3.map(|x| x.1)),
            });
        }
    }
    Ok(())
}

/// Where the bench's own PostgreSQL server keeps its data: in memory
/// (`/dev/shm`) unless `MIGRATE_BENCH_PG_DIR` says otherwise. On this
/// project's VMs the disk is ext4 without a journal, whose inode allocator
/// steps over every inode freed in the last minute: after a `DROP DATABASE`
/// or a checkpoint that unlinked thousands of relation files, creating files
/// was several times slower for a while (`perf`: `ext4_create` →
/// `find_inode_bit` → `recently_deleted`), which landed on whichever side of
/// a ratio ran next and made W1 swing from 0.9x to 5x.
fn bench_pg_dir() -> PathBuf {
    std::env::var_os("MIGRATE_BENCH_PG_DIR")
        .filter(|d| !d.is_empty())
        .map_or_else(|| PathBuf::from("/dev/shm/migrate-bench-pg"), PathBuf::from)
}

/// The bench's server port, apart from the test suite's (55432).
const BENCH_PG_PORT: &str = "55435";

/// Runs `scripts/pg.sh ACTION` for the bench's own server; its stdout.
fn bench_pg(action: &str) -> Result<String> {
    bench_pg_at(&bench_pg_dir(), BENCH_PG_PORT, action)
}

/// Runs `scripts/pg.sh ACTION` for a server in `dir` on `port`; its stdout.
fn bench_pg_at(dir: &Path, port: &str, action: &str) -> Result<String> {
    let script = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("scripts")
        .join("pg.sh");
    let output = Command::new("bash")
        .arg(&script)
        .arg(action)
        .env("MIGRATE_PG_DIR", dir)
        .env("MIGRATE_PG_PORT", port)
        .stdin(std::process::Stdio::null())
        .output()
        .with_context(|| format!("running `bash {} {action}`", script.display()))?;
    if !output.status.success() {
        bail!(
            "`bash {} {action}` failed (pass --pg-url instead):\n{}",
            script.display(),
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&output.stdout).trim().to_owned())
}

/// The admin URL: the one given, or that of the bench's own server, started
/// (`scripts/pg.sh start` in [`bench_pg_dir`], port [`BENCH_PG_PORT`]).
/// `given`: the `--pg-url` (or `MIGRATE_BENCH_PG_URL`), `None` when absent or blank.
fn pg_admin_url(given: Option<&str>) -> Result<String> {
    if let Some(url) = given {
        return Ok(url.trim().to_owned());
    }
    let url = bench_pg("start")?;
    if !url.starts_with("postgres://") {
        bail!("`scripts/pg.sh start` printed no URL (pass --pg-url instead)");
    }
    Ok(url)
}

/// The server's own `psql` (the one on `PATH` may be a wrapper script that
/// costs tens of milliseconds a start) and the password in the URL of the
/// bench's own server (`postgres://user:password@host:port/db`).
fn psql_for(url: &str) -> Option<(PathBuf, String)> {
    let password = url
        .split_once("://")?
        .1
        .split_once('@')?
        .0
        .split_once(':')?
        .1;
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin").join("psql")))
        .filter(|p| p.is_file())
        .collect();
    versions.sort();
    Some((versions.pop()?, password.to_owned()))
}

/// Stops the bench's own server (nothing when `--pg-url` was given) and,
/// when its data is in the default place in memory, removes it: its WAL
/// alone holds hundreds of megabytes of RAM after a run.
fn stop_bench_pg(given: Option<&str>) {
    if given.is_some() {
        return;
    }
    if let Err(e) = bench_pg("stop") {
        eprintln!("could not stop the bench's PostgreSQL server: {e:#}");
        return;
    }
    if std::env::var_os("MIGRATE_BENCH_PG_DIR").is_none_or(|d| d.is_empty())
        && let Err(e) = std::fs::remove_dir_all(bench_pg_dir())
    {
        eprintln!("could not remove {}: {e}", bench_pg_dir().display());
    }
}

fn peak_rss() -> String {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .map(|l| l.trim_start_matches("VmHWM:").trim().to_owned())
        })
        .unwrap_or_else(|| "unknown".into())
}

fn main() -> Result<()> {
    let argv: Vec<String> = std::env::args().collect();
    if argv.get(1).map(String::as_str) == Some("--test-dbs") {
        // SAFETY: no other thread exists yet (the runtime starts below), so
        // nothing reads the environment while it is written.
        unsafe { std::env::set_var("MIGRATE_TEST_DIR", testdbs::sqlite_directory()) };
    }
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?
        .block_on(run(argv))
}

async fn run(argv: Vec<String>) -> Result<()> {
    // Test databases from a template against `#[sqlx::test]`; see testdbs.rs.
    if argv.get(1).map(String::as_str) == Some("--test-dbs") {
        return testdbs::main(&argv[2..]).await;
    }
    // One process over many databases against a loop; see fleet.rs.
    if argv.get(1).map(String::as_str) == Some("--fleet") {
        return fleet::main(&argv[2..]).await;
    }
    // W4 (build cost of `embed_migrations!`) has its own options; see build.rs.
    if argv.get(1).map(String::as_str) == Some("--build") {
        return build::main(&argv[2..]);
    }
    // The same revisions through sqlx, refinery and Alembic; see peers.rs.
    if argv.get(1).map(String::as_str) == Some("--peers") {
        return peers::main(&argv[2..]).await;
    }
    // Autogenerate on a large schema has its own options; see autogen.rs.
    if argv.get(1).map(String::as_str) == Some("--autogenerate") {
        return autogen::main(&argv[2..]).await;
    }
    let args = Args::parse();
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let mut ns: Vec<(usize, bool)> = args.n.iter().map(|&n| (n, !args.w2_only)).collect();
    if !args.n.contains(&10) {
        ns.push((10, false));
    }
    ns.sort_unstable();
    let mut workloads = Vec::new();
    for &(n, full) in &ns {
        if n == 0 {
            bail!("--n values must be at least 1");
        }
        let started = Instant::now();
        let w = generate(n)?;
        eprintln!(
            "generated and loaded {n} revisions in {}",
            fmt_duration(started.elapsed())
        );
        workloads.push((w, full));
    }

    let settings = Settings {
        workloads: &workloads,
        runs: args.runs,
        references: !args.no_references,
    };
    let given_url = args.pg_url.as_deref().filter(|u| !u.trim().is_empty());
    let mut rows = Vec::new();
    for &db in &args.db {
        match db {
            Db::Sqlite => {
                let mut bench = SqliteBench {
                    dir: tempfile::tempdir()?,
                    next: 0,
                };
                bench_db(&mut bench, db, &settings, &mut rows).await?;
            }
            Db::Postgres => {
                let url = pg_admin_url(given_url)?;
                let admin = PgConnectOptions::from_str(&url)?.disable_statement_logging();
                let admin_conn = PgConnection::connect_with(&admin).await?;
                let mut bench = PgBench {
                    admin,
                    admin_conn,
                    next: 0,
                    psql: given_url.is_none().then(|| psql_for(&url)).flatten(),
                };
                bench_db(&mut bench, db, &settings, &mut rows).await?;
                bench.admin_conn.close().await?;
                stop_bench_pg(given_url);
            }
        }
    }

    println!(
        "Median of {} runs, each on a fresh database; floor = same SQL raw in one transaction (W1, W3) or connect + one read of the history table (W2).\n",
        args.runs
    );
    println!("| workload | db | N | migrate (median) | floor (median) | ratio |");
    println!("|---|---|---:|---:|---:|---:|");
    for r in &rows {
        println!(
            "| {} | {} | {} | {} | {} | {:.2}x |",
            r.workload,
            r.db,
            r.n,
            fmt_duration(r.migrate),
            fmt_duration(r.floor),
            r.migrate.as_secs_f64() / r.floor.as_secs_f64()
        );
    }
    println!(
        "\nPeak RSS (VmHWM) of the benchmark process: {}",
        peak_rss()
    );
    Ok(())
}
