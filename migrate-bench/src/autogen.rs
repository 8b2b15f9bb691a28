//! Autogenerate on a large schema: what `migrate check` and `migrate
//! revision --autogenerate` cost when the declared schema and the database
//! hold hundreds of tables, and the same work done by Alembic.
//!
//! ```sh
//! cargo run --release -p migrate-bench -- --autogenerate --tables 500 --runs 5
//! # with Alembic's figures on the same databases (see peers/alembic_autogenerate.py):
//! cargo run --release -p migrate-bench -- --autogenerate --alembic /tmp/alembic-venv/bin/python
//! ```
//!
//! For each database (`--db`, default `sqlite,postgres`) and each table count
//! (`--tables`, comma-separated, default 500) it writes the declared schema
//! (`declared`: the shape of the `five_hundred_tables` test in
//! tests/schema/compare.rs, the table count aside) and builds it in a new
//! database: a SQLite file in a temporary directory, or `CREATE DATABASE` on
//! the PostgreSQL server of the other workloads (`--pg-url`,
//! `MIGRATE_BENCH_PG_URL`, or the bench's own server, see
//! `pg_admin_url`), followed there by
//! `ANALYZE` so that the catalogue statistics are those of a database in
//! service.
//! Then, as the median of `--runs` runs, each reading the database through a
//! fresh one-connection pool whose connection is open before the clock
//! starts:
//!
//! * **parse**: `parse_schema` of the schema.sql text;
//! * **introspect**: `introspect` of the live database;
//! * **diff, no change**: `diff` of the two, which must be empty (the bench
//!   fails otherwise);
//! * **diff + render, N changes**: `diff` and `render` against the declared
//!   schema with one column (`note TEXT`) added to every table (parsed
//!   before the clock starts);
//! * **check in process**: parse + introspect + diff in one timed block, what
//!   `migrate check` does once its connection is open;
//! * **autogenerate in process, N changes**: parse of the wider schema +
//!   introspect + diff + render in one timed block;
//! * the `migrate` binary end to end (process start to exit, connection
//!   included) in a scratch project (migrate.toml with the dialect, the
//!   schema.sql, and in `migrations/` one revision whose upgrade is the
//!   declared schema, which `migrate stamp head` marks as applied before the
//!   runs; `DATABASE_URL` set): `migrate check` with no difference (exit 0),
//!   `migrate check` without a URL (the directory checks alone, a
//!   reference), `migrate check` with the N added columns (exit 1, the
//!   differences listed), and `migrate revision --autogenerate` with the N
//!   added columns (the revision written is removed after each run). The binary is built first with `cargo build
//!   --release -p migrate-cli` into the bench's own target directory
//!   (`--migrate PATH` uses a given binary instead); its peak RSS comes from
//!   `/usr/bin/time -f %M` when present.
//!
//! With `--alembic PYTHON` it then runs `peers/alembic_autogenerate.py` with
//! that interpreter against the same database and table count, and puts
//! Alembic's figures in the same table. Progress goes to stderr, the
//! Markdown table to stdout, with this process's peak RSS.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use migrate_core::Dialect;
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_schema::{DiffOptions, Schema, diff, parse_schema, render};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool, SqlitePool};

use crate::{Db, fmt_duration, median, peak_rss};

struct Options {
    tables: Vec<usize>,
    runs: usize,
    dbs: Vec<Db>,
    pg_url: Option<String>,
    alembic: Option<PathBuf>,
    migrate: Option<PathBuf>,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        tables: vec![500],
        runs: 5,
        dbs: vec![Db::Sqlite, Db::Postgres],
        pg_url: std::env::var("MIGRATE_BENCH_PG_URL").ok(),
        alembic: None,
        migrate: None,
    };
    crate::each_flag(args, |key, value| {
        match key {
            "--tables" => {
                o.tables = value()?
                    .split(',')
                    .map(|s| s.trim().parse().context("--tables takes numbers"))
                    .collect::<Result<_>>()?
            }
            "--runs" => o.runs = value()?.parse().context("--runs takes a number")?,
            "--db" => o.dbs = crate::parse_dbs(&value()?)?,
            "--pg-url" => o.pg_url = Some(value()?),
            "--alembic" => o.alembic = Some(PathBuf::from(value()?)),
            "--migrate" => o.migrate = Some(PathBuf::from(value()?)),
            other => bail!(
                "unknown option `{other}` for --autogenerate; the options are --tables, --runs, --db, --pg-url, --alembic, --migrate"
            ),
        }
        Ok(())
    })?;
    if o.runs == 0 || o.tables.contains(&0) {
        bail!("--runs and every --tables must be at least 1");
    }
    Ok(o)
}

/// The declared schema: `tables` tables, each with a foreign key to the
/// previous one (the first to itself), a default, a named CHECK and an
/// index. The same text as `declared` in tests/schema/compare.rs.
pub(crate) fn declared(dialect: Dialect, tables: usize) -> String {
    let (int, ts, now) = match dialect {
        Dialect::Postgres => ("bigint", "timestamptz", "now()"),
        Dialect::Sqlite => ("INTEGER", "TEXT", "CURRENT_TIMESTAMP"),
    };
    let mut sql = String::new();
    for i in 0..tables {
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

/// The declared schema with one column more in every table.
fn wider(sql: &str) -> String {
    sql.replace("name TEXT NOT NULL,", "name TEXT NOT NULL, note TEXT,")
}

/// A one-connection pool to the database under test.
enum Pool {
    Pg(PgPool),
    Sqlite(SqlitePool),
}

impl Pool {
    async fn introspect(&self) -> Result<Schema> {
        let options = IntrospectOptions::default();
        let schema = match self {
            Pool::Pg(p) => introspect(p, &options).await,
            Pool::Sqlite(p) => introspect(p, &options).await,
        };
        schema.map_err(|e| anyhow::anyhow!("introspect: {e}"))
    }

    async fn exec(&self, sql: &str) -> Result<()> {
        match self {
            Pool::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(drop)?,
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(drop)?,
        }
        Ok(())
    }

    async fn close(self) {
        match self {
            Pool::Pg(p) => p.close().await,
            Pool::Sqlite(p) => p.close().await,
        }
    }
}

/// One database holding the schema, and how to reach it.
struct Target {
    db: Db,
    /// `DATABASE_URL` for the binary and the Alembic script.
    url: String,
    pg: Option<PgConnectOptions>,
    sqlite: Option<SqliteConnectOptions>,
}

impl Target {
    fn dialect(&self) -> Dialect {
        match self.db {
            Db::Sqlite => Dialect::Sqlite,
            Db::Postgres => Dialect::Postgres,
        }
    }

    /// A fresh pool whose one connection is open and has run `SELECT 1`.
    async fn ready(&self) -> Result<Pool> {
        let pool = match (&self.pg, &self.sqlite) {
            (Some(pg), _) => Pool::Pg(
                PgPoolOptions::new()
                    .max_connections(1)
                    .connect_with(pg.clone())
                    .await?,
            ),
            (None, Some(sqlite)) => Pool::Sqlite(
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(sqlite.clone())
                    .await?,
            ),
            (None, None) => unreachable!("a target has a database"),
        };
        pool.exec("SELECT 1").await?;
        Ok(pool)
    }
}

/// Timings of one run.
#[derive(Default)]
struct Sample {
    parse: Duration,
    introspect: Duration,
    diff: Duration,
    diff_render: Duration,
    check: Duration,
    autogen: Duration,
    bin_check: Duration,
    /// `migrate check` without a URL: the directory checks alone.
    bin_check_directory: Duration,
    bin_check_changes: Duration,
    bin_revision: Duration,
}

/// A scratch project for the binary.
struct Project {
    dir: tempfile::TempDir,
}

impl Project {
    /// migrate.toml with the dialect, `schema` as schema.sql, and in
    /// `migrations/` the one revision that creates the declared schema (the
    /// directory checks replay it, and the revisions autogenerate writes
    /// build on it).
    fn new(dialect: Dialect, initial: &str, schema: &str) -> Result<Project> {
        let dir = tempfile::Builder::new()
            .prefix("migrate-bench-autogen-")
            .tempdir()?;
        std::fs::create_dir(dir.path().join("migrations"))?;
        let name = match dialect {
            Dialect::Postgres => "postgres",
            Dialect::Sqlite => "sqlite",
        };
        std::fs::write(
            dir.path().join("migrate.toml"),
            format!("directory = \"migrations\"\ndialect = \"{name}\"\n"),
        )?;
        std::fs::write(
            dir.path().join("migrations").join(INITIAL_FILE),
            format!(
                "-- revision: {INITIAL}\n-- down_revision: None\n-- message: initial schema\n\n-- migrate:upgrade\n{initial}"
            ),
        )?;
        std::fs::write(dir.path().join("schema.sql"), schema)?;
        Ok(Project { dir })
    }
}

/// The revision that creates the declared schema.
const INITIAL: &str = "autogen0000";
const INITIAL_FILE: &str = "2026_01_01_0000-autogen0000_initial.sql";

/// What one run of the binary printed, its wall time and peak RSS (kB).
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
    pub(crate) wall: Duration,
    pub(crate) rss_kb: Option<u64>,
}

/// One run of `migrate` in `dir`, with `DATABASE_URL` set to `url` (unset
/// when empty) and the `POSTGRES_*` variables cleared.
pub(crate) fn run_migrate(migrate: &Path, dir: &Path, url: &str, args: &[&str]) -> Result<Run> {
    let rss_file = dir.join("rss.txt");
    let _ = std::fs::remove_file(&rss_file);
    let mut command = if Path::new("/usr/bin/time").exists() {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(migrate);
        c
    } else {
        Command::new(migrate)
    };
    command.args(args).current_dir(dir).stdin(Stdio::null());
    for var in [
        "POSTGRES_USER",
        "POSTGRES_PASSWORD",
        "POSTGRES_HOST",
        "POSTGRES_PORT",
        "POSTGRES_DB",
        "MIGRATE_LOG",
    ] {
        command.env_remove(var);
    }
    command.env("NO_COLOR", "1");
    if url.is_empty() {
        command.env_remove("DATABASE_URL");
    } else {
        command.env("DATABASE_URL", url);
    }
    let started = Instant::now();
    let output = command
        .output()
        .with_context(|| format!("running {}", migrate.display()))?;
    let wall = started.elapsed();
    Ok(Run {
        code: output.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        wall,
        rss_kb: peak_rss_kb(&rss_file),
    })
}

impl Run {
    /// A successful run whose output is not kept, with the peak RSS in
    /// `rss_file`.
    pub(crate) fn quiet(wall: Duration, rss_file: &Path) -> Run {
        Run {
            code: 0,
            stdout: String::new(),
            stderr: String::new(),
            wall,
            rss_kb: peak_rss_kb(rss_file),
        }
    }
}

/// The peak RSS in KiB that `/usr/bin/time -f %M -o FILE` wrote to
/// `rss_file` (its last line), if it did.
pub(crate) fn peak_rss_kb(rss_file: &Path) -> Option<u64> {
    std::fs::read_to_string(rss_file)
        .ok()
        .and_then(|s| s.lines().last().and_then(|l| l.trim().parse().ok()))
}

fn expect_code(run: &Run, code: i32, what: &str) -> Result<()> {
    if run.code != code {
        bail!(
            "{what}: exit {} (expected {code})\n--- stdout\n{}--- stderr\n{}",
            run.code,
            run.stdout,
            run.stderr
        );
    }
    Ok(())
}

/// Everything measured on one database at one table count.
struct Measured {
    samples: Vec<Sample>,
    /// Largest peak RSS of the binary over its runs (kB).
    bin_rss_kb: Option<u64>,
    /// `key → value` lines of the Alembic script.
    alembic: BTreeMap<String, String>,
}

async fn measure(
    target: &Target,
    tables: usize,
    runs: usize,
    migrate: &Path,
    alembic: Option<&Path>,
) -> Result<Measured> {
    let dialect = target.dialect();
    let sql = declared(dialect, tables);
    let wider_sql = wider(&sql);
    let wider_schema = parse_schema(&wider_sql, dialect)
        .map_err(|e| anyhow::anyhow!("the wider schema does not parse: {e:?}"))?;
    let options = DiffOptions::default();
    let same = Project::new(dialect, &sql, &sql)?;
    let changed = Project::new(dialect, &sql, &wider_sql)?;
    // The database, built from the same SQL, is at that revision.
    let run = run_migrate(migrate, same.dir.path(), &target.url, &["stamp", "head"])?;
    expect_code(&run, 0, "migrate stamp head")?;
    let mut samples = Vec::with_capacity(runs);
    let mut bin_rss_kb: Option<u64> = None;
    for k in 0..runs {
        eprintln!("{} {tables} tables: run {}/{runs}", target.db, k + 1);
        let mut s = Sample::default();

        let started = Instant::now();
        let parsed = parse_schema(&sql, dialect)
            .map_err(|e| anyhow::anyhow!("the declared schema does not parse: {e:?}"))?;
        s.parse = started.elapsed();
        if parsed.tables.len() != tables {
            bail!("parsed {} tables of {tables}", parsed.tables.len());
        }

        let pool = target.ready().await?;
        let started = Instant::now();
        let actual = pool.introspect().await?;
        s.introspect = started.elapsed();
        pool.close().await;
        if actual.tables.len() != tables {
            bail!("introspected {} tables of {tables}", actual.tables.len());
        }

        let started = Instant::now();
        let changes = diff(&actual, &parsed, dialect, &options);
        s.diff = started.elapsed();
        if !changes.is_empty() {
            let shown: Vec<String> = changes.iter().take(10).map(|c| c.summary()).collect();
            bail!(
                "{} differences on the identical schema ({}): {shown:?}",
                changes.len(),
                target.db
            );
        }

        let started = Instant::now();
        let changes = diff(&actual, &wider_schema, dialect, &options);
        let rendered = render(&changes, dialect);
        s.diff_render = started.elapsed();
        let added = rendered.upgrade.matches("ADD COLUMN note").count();
        if changes.len() != tables || added != tables {
            bail!(
                "{} changes and {added} ADD COLUMN rendered for {tables} added columns",
                changes.len()
            );
        }
        drop((parsed, actual, changes, rendered));

        let pool = target.ready().await?;
        let started = Instant::now();
        let parsed = parse_schema(&sql, dialect).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let actual = pool.introspect().await?;
        let changes = diff(&actual, &parsed, dialect, &options);
        s.check = started.elapsed();
        pool.close().await;
        if !changes.is_empty() {
            bail!("check in process found {} differences", changes.len());
        }
        drop((parsed, actual));

        let pool = target.ready().await?;
        let started = Instant::now();
        let parsed = parse_schema(&wider_sql, dialect).map_err(|e| anyhow::anyhow!("{e:?}"))?;
        let actual = pool.introspect().await?;
        let changes = diff(&actual, &parsed, dialect, &options);
        let rendered = render(&changes, dialect);
        s.autogen = started.elapsed();
        pool.close().await;
        if rendered.upgrade.matches("ADD COLUMN note").count() != tables {
            bail!("autogenerate in process rendered {} changes", changes.len());
        }
        drop((parsed, actual, changes, rendered));

        // The binary, end to end.
        let run = run_migrate(migrate, same.dir.path(), &target.url, &["check"])?;
        expect_code(&run, 0, "migrate check (no change)")?;
        if !run.stdout.contains("No new upgrade operations detected.") {
            bail!("migrate check printed:\n{}", run.stdout);
        }
        s.bin_check = run.wall;
        bin_rss_kb = bin_rss_kb.max(run.rss_kb);

        let run = run_migrate(migrate, same.dir.path(), "", &["check"])?;
        expect_code(&run, 0, "migrate check (no URL)")?;
        s.bin_check_directory = run.wall;

        let run = run_migrate(migrate, changed.dir.path(), &target.url, &["check"])?;
        expect_code(&run, 1, "migrate check (added columns)")?;
        let expected = format!("{tables} difference");
        if !run.stderr.contains(&expected) {
            bail!("migrate check does not report {expected}s:\n{}", run.stderr);
        }
        s.bin_check_changes = run.wall;
        bin_rss_kb = bin_rss_kb.max(run.rss_kb);

        let run = run_migrate(
            migrate,
            changed.dir.path(),
            &target.url,
            &["revision", "--autogenerate", "-m", "add note"],
        )?;
        expect_code(&run, 0, "migrate revision --autogenerate")?;
        s.bin_revision = run.wall;
        bin_rss_kb = bin_rss_kb.max(run.rss_kb);
        let mut written: Vec<PathBuf> = std::fs::read_dir(changed.dir.path().join("migrations"))?
            .map(|e| e.map(|e| e.path()))
            .collect::<std::io::Result<_>>()?;
        written.retain(|p| !p.ends_with(INITIAL_FILE));
        if written.len() != 1 {
            bail!("revision --autogenerate wrote {} files", written.len());
        }
        let text = std::fs::read_to_string(&written[0])?;
        if text.matches("ADD COLUMN note").count() != tables {
            bail!("the generated revision lacks the added columns:\n{text}");
        }
        std::fs::remove_file(&written[0])?;

        samples.push(s);
    }

    let mut alembic_out = BTreeMap::new();
    if let Some(python) = alembic {
        let script = Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("peers")
            .join("alembic_autogenerate.py");
        eprintln!("{} {tables} tables: Alembic", target.db);
        let output = Command::new(python)
            .arg(&script)
            .arg("--url")
            .arg(&target.url)
            .arg("--tables")
            .arg(tables.to_string())
            .arg("--runs")
            .arg(runs.to_string())
            .stdin(Stdio::null())
            .stderr(Stdio::inherit())
            .output()
            .with_context(|| format!("running {} {}", python.display(), script.display()))?;
        if !output.status.success() {
            bail!("{} failed", script.display());
        }
        for line in String::from_utf8_lossy(&output.stdout).lines() {
            if let Some((key, value)) = line.split_once('\t') {
                alembic_out.insert(key.to_owned(), value.to_owned());
            }
        }
    }
    Ok(Measured {
        samples,
        bin_rss_kb,
        alembic: alembic_out,
    })
}

/// `migrate` in release, built into the bench's own target directory.
pub(crate) fn build_migrate() -> Result<PathBuf> {
    let exe = std::env::current_exe()?;
    let target_dir = exe
        .parent()
        .and_then(Path::parent)
        .context("the bench runs from a target directory")?
        .to_path_buf();
    let workspace = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("migrate-bench is inside the workspace")
        .to_path_buf();
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    eprintln!("building migrate (cargo build --release -p migrate-cli)");
    let status = Command::new(cargo)
        .args([
            "build",
            "--release",
            "-p",
            "migrate-cli",
            "--bin",
            "migrate",
        ])
        .arg("--target-dir")
        .arg(&target_dir)
        .current_dir(&workspace)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .status()
        .context("running cargo build")?;
    if !status.success() {
        bail!("cargo build --release -p migrate-cli failed");
    }
    Ok(target_dir.join("release").join("migrate"))
}

/// The admin URL with its database replaced by `name`.
pub(crate) fn pg_db_url(admin: &str, name: &str) -> Result<String> {
    let (base, query) = match admin.split_once('?') {
        Some((b, q)) => (b, Some(q)),
        None => (admin, None),
    };
    let rest = base
        .strip_prefix("postgres://")
        .or_else(|| base.strip_prefix("postgresql://"))
        .context("the PostgreSQL URL must start with postgres://")?;
    let authority = rest.split_once('/').map_or(rest, |(a, _)| a);
    let mut url = format!("postgres://{authority}/{name}");
    if let Some(q) = query {
        url.push('?');
        url.push_str(q);
    }
    Ok(url)
}

struct Row {
    step: &'static str,
    db: Db,
    tables: usize,
    migrate: Option<Duration>,
    alembic: Option<Duration>,
}

fn alembic_time(out: &BTreeMap<String, String>, key: &str) -> Option<Duration> {
    out.get(key)
        .and_then(|v| v.parse::<f64>().ok())
        .map(Duration::from_secs_f64)
}

fn rows_of(db: Db, tables: usize, m: &Measured, rows: &mut Vec<Row>) {
    let col = |f: &dyn Fn(&Sample) -> Duration| Some(median(m.samples.iter().map(f).collect()));
    let a = |key: &str| alembic_time(&m.alembic, key);
    let mut push = |step, migrate, alembic| {
        rows.push(Row {
            step,
            db,
            tables,
            migrate,
            alembic,
        })
    };
    push(
        "parse schema.sql / build the MetaData",
        col(&|s| s.parse),
        a("metadata"),
    );
    push(
        "introspect / `MetaData.reflect` (reference: Alembic reflects by itself)",
        col(&|s| s.introspect),
        a("reflect"),
    );
    push("diff, no change", col(&|s| s.diff), None);
    push(
        "diff + render, a column added to every table",
        col(&|s| s.diff_render),
        None,
    );
    push(
        "check in process, no change: parse + introspect + diff / MetaData + `compare_metadata`",
        col(&|s| s.check),
        a("check"),
    );
    push(
        "autogenerate in process, a column added to every table: parse + introspect + diff + render / MetaData + `produce_migrations` + `render_python_code`",
        col(&|s| s.autogen),
        a("autogenerate"),
    );
    push(
        "`check`, binary end to end, no change",
        col(&|s| s.bin_check),
        a("cli_check"),
    );
    push(
        "reference: `check` without a database URL (the directory checks alone, which replay the initial revision)",
        col(&|s| s.bin_check_directory),
        None,
    );
    push(
        "`check`, binary end to end, a column added to every table (exit 1)",
        col(&|s| s.bin_check_changes),
        a("cli_check_changes"),
    );
    push(
        "`revision --autogenerate`, binary end to end, a column added to every table",
        col(&|s| s.bin_revision),
        a("cli_revision"),
    );
}

pub async fn main(args: &[String]) -> Result<()> {
    let o = parse_args(args)?;
    let migrate = match &o.migrate {
        // The binary runs in a scratch directory: an absolute path.
        Some(path) => std::path::absolute(path)?,
        None => build_migrate()?,
    };
    let mut rows = Vec::new();
    let mut notes = Vec::new();
    for &db in &o.dbs {
        for &tables in &o.tables {
            let dialect = match db {
                Db::Sqlite => Dialect::Sqlite,
                Db::Postgres => Dialect::Postgres,
            };
            let sql = declared(dialect, tables);
            let build = match db {
                Db::Sqlite => format!("BEGIN;\n{sql}COMMIT;\n"),
                Db::Postgres => format!("BEGIN;\n{sql}COMMIT;\nANALYZE;\n"),
            };
            let measured = match db {
                Db::Sqlite => {
                    let dir = tempfile::tempdir()?;
                    let path = dir.path().join("autogen.db");
                    let url = format!("sqlite://{}", path.display());
                    let options = SqliteConnectOptions::from_str(&url)?.create_if_missing(true);
                    let target = Target {
                        db,
                        url,
                        pg: None,
                        sqlite: Some(options),
                    };
                    let pool = target.ready().await?;
                    pool.exec(&build).await.context("building the schema")?;
                    pool.close().await;
                    measure(&target, tables, o.runs, &migrate, o.alembic.as_deref()).await?
                }
                Db::Postgres => {
                    let given_url = o.pg_url.as_deref().filter(|u| !u.trim().is_empty());
                    let admin_url = crate::pg_admin_url(given_url)?;
                    let admin = PgConnectOptions::from_str(&admin_url)?.disable_statement_logging();
                    let mut admin_conn = PgConnection::connect_with(&admin).await?;
                    let name = format!("migrate_bench_autogen_{}_{tables}", std::process::id());
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name}"))
                        .execute(&mut admin_conn)
                        .await?;
                    sqlx::raw_sql(&format!("CREATE DATABASE {name}"))
                        .execute(&mut admin_conn)
                        .await
                        .with_context(|| format!("CREATE DATABASE {name}"))?;
                    let target = Target {
                        db,
                        url: pg_db_url(&admin_url, &name)?,
                        pg: Some(admin.clone().database(&name)),
                        sqlite: None,
                    };
                    let result: Result<Measured> = async {
                        let pool = target.ready().await?;
                        pool.exec(&build).await.context("building the schema")?;
                        pool.close().await;
                        measure(&target, tables, o.runs, &migrate, o.alembic.as_deref()).await
                    }
                    .await;
                    sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                        .execute(&mut admin_conn)
                        .await
                        .with_context(|| format!("DROP DATABASE {name}"))?;
                    admin_conn.close().await?;
                    crate::stop_bench_pg(given_url);
                    result?
                }
            };
            rows_of(db, tables, &measured, &mut rows);
            if let Some(kb) = measured.bin_rss_kb {
                notes.push(format!(
                    "{db}, {tables} tables: peak RSS of the `migrate` binary (largest of its runs): {} MiB",
                    kb / 1024
                ));
            }
            for (key, label) in [
                (
                    "noise",
                    "differences Alembic reports on the identical schema",
                ),
                ("noise_examples", "first of them"),
                (
                    "peak_rss_kb",
                    "peak RSS of the Alembic script's process (kB)",
                ),
                (
                    "cli_peak_rss_kb",
                    "peak RSS of the `alembic` command (largest run, kB)",
                ),
                (
                    "cli_check_exit",
                    "exit code of `alembic check` on the identical schema",
                ),
                ("versions", "versions"),
            ] {
                if let Some(v) = measured.alembic.get(key) {
                    notes.push(format!("{db}, {tables} tables: {label}: {v}"));
                }
            }
        }
    }

    println!(
        "Median of {} runs; every in-process figure reads the database through a fresh connection opened before the clock starts; the binaries' figures are wall time from process start to exit.\n",
        o.runs
    );
    println!(
        "| step (migrate / Alembic) | db | tables | migrate (median) | Alembic (median) | Alembic ÷ migrate |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    let show = |d: Option<Duration>| d.map_or_else(|| "—".to_owned(), fmt_duration);
    for r in &rows {
        let ratio = match (r.migrate, r.alembic) {
            (Some(m), Some(a)) => format!("{:.1}x", a.as_secs_f64() / m.as_secs_f64()),
            _ => "—".to_owned(),
        };
        println!(
            "| {} | {} | {} | {} | {} | {ratio} |",
            r.step,
            r.db,
            r.tables,
            show(r.migrate),
            show(r.alembic)
        );
    }
    println!();
    for note in &notes {
        println!("- {note}");
    }
    println!(
        "\nPeak RSS (VmHWM) of the benchmark process: {}",
        peak_rss()
    );
    Ok(())
}
