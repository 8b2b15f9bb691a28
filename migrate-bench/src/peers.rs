//! Peers: the same generated revisions applied, started up at head and
//! reverted by this project's embedded migrator, sqlx's `migrate!`,
//! refinery's `embed_migrations!` and Alembic, each as a whole process.
//!
//! ```sh
//! python3 -m venv /tmp/alembic-venv
//! /tmp/alembic-venv/bin/pip install alembic==1.20.0 sqlalchemy psycopg2-binary
//! cargo run --release -p migrate-bench -- --peers --n 100,1000 --runs 5
//! ```
//!
//! It writes a scratch Cargo project (its own `[workspace]`, so nothing of
//! it is a dependency of this workspace) under `target/peers/` of this
//! checkout (`--work DIR` elsewhere): one binary per tool and N
//! (`ours_1000`, `sqlx_1000`, `refinery_1000`), each embedding its copy of
//! the revisions of the main bench (`crate::revision_sql`: a table, an
//! index, every third revision an `ALTER TABLE … ADD COLUMN`, each with its
//! downgrade) in its tool's format, and for Alembic one project per N whose
//! revision files run the same statements with `op.execute`. It builds the
//! binaries with `cargo build --release` into the project's own target
//! directory, then, for each database (`--db`) and N (`--n`), `--runs`
//! times, each tool on a fresh database of its own (the order of the tools
//! rotating from run to run), times as whole processes (start, connect,
//! work, exit), with their peak RSS (`/usr/bin/time -f %M`):
//!
//! * W1 apply all on the fresh database;
//! * W2 the same command again, at head (three times, the run keeps the
//!   median), and for this project also the in-process figure of the main
//!   bench (a fresh pool plus `upgrade("head")` on a fresh migrator, against
//!   a fresh pool plus one read of the history table);
//! * W3 revert all, where the tool can (this project `downgrade base`, sqlx
//!   `Migrator::undo(&pool, 0)`, Alembic `downgrade base`; refinery has no
//!   revert);
//! * the raw floor: the database's own client running the upgrade script
//!   and the downgrade script in one transaction (`sqlite3 FILE < script`,
//!   `psql -1 -f` on the bench's own server);
//! * W4: `cargo build --release --bin TOOL_N` after touching the binary's
//!   source (the macro expands again over the N files).
//!
//! Options: `--n` (default `100,1000`), `--runs` (default 5), `--db`
//! (default `sqlite,postgres`), `--pg-url` (or `MIGRATE_BENCH_PG_URL`;
//! otherwise the bench's own server, see `pg_admin_url`), `--tools`
//! (default `ours,sqlx,refinery,alembic`), `--alembic PYTHON` (default
//! `/tmp/alembic-venv/bin/python`), `--work DIR`, `--no-w4`, `--w4-only`
//! (W4 alone, no database; its table is printed under the first `--db`).

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::str::FromStr;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use sqlx::postgres::PgConnectOptions;
use sqlx::{ConnectOptions, Connection, PgConnection, SqliteConnection};

use crate::autogen::{Run, pg_db_url, run_migrate};
use crate::build::write_if_changed;
use crate::{Bench, Db, PgBench, SqliteBench, fmt_duration, median};

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Tool {
    Sqlx,
    Refinery,
    Alembic,
    Ours,
}

impl Tool {
    fn name(self) -> &'static str {
        match self {
            Tool::Sqlx => "sqlx",
            Tool::Refinery => "refinery",
            Tool::Alembic => "alembic",
            Tool::Ours => "ours",
        }
    }

    fn parse(s: &str) -> Result<Tool> {
        Ok(match s {
            "sqlx" => Tool::Sqlx,
            "refinery" => Tool::Refinery,
            "alembic" => Tool::Alembic,
            "ours" | "migrate" => Tool::Ours,
            _ => bail!("unknown tool `{s}`; use ours, sqlx, refinery or alembic"),
        })
    }

    /// A Rust binary of the scratch project.
    fn is_rust(self) -> bool {
        self != Tool::Alembic
    }

    fn can_revert(self) -> bool {
        self != Tool::Refinery
    }

    fn bin(self, n: usize) -> String {
        format!("{}_{n}", self.name())
    }
}

struct Options {
    ns: Vec<usize>,
    runs: usize,
    dbs: Vec<Db>,
    pg_url: Option<String>,
    tools: Vec<Tool>,
    alembic: PathBuf,
    work: Option<PathBuf>,
    w4: bool,
    /// Only W4 (no database).
    w4_only: bool,
}

fn parse_args(args: &[String]) -> Result<Options> {
    let mut o = Options {
        ns: vec![100, 1000],
        runs: 5,
        dbs: vec![Db::Sqlite, Db::Postgres],
        pg_url: std::env::var("MIGRATE_BENCH_PG_URL")
            .ok()
            .filter(|u| !u.trim().is_empty()),
        tools: vec![Tool::Ours, Tool::Sqlx, Tool::Refinery, Tool::Alembic],
        alembic: PathBuf::from("/tmp/alembic-venv/bin/python"),
        work: None,
        w4: true,
        w4_only: false,
    };
    crate::each_flag(args, |key, value| {
        match key {
            "--n" => {
                o.ns = value()?
                    .split(',')
                    .map(|s| s.trim().parse().context("--n takes numbers"))
                    .collect::<Result<_>>()?
            }
            "--runs" => o.runs = value()?.trim().parse().context("--runs takes a number")?,
            "--db" => o.dbs = crate::parse_dbs(&value()?)?,
            "--pg-url" => o.pg_url = Some(value()?),
            "--tools" => {
                o.tools = value()?
                    .split(',')
                    .map(|s| Tool::parse(s.trim()))
                    .collect::<Result<_>>()?
            }
            "--alembic" => o.alembic = PathBuf::from(value()?),
            "--work" => o.work = Some(PathBuf::from(value()?)),
            "--no-w4" => o.w4 = false,
            "--w4-only" => o.w4_only = true,
            other => bail!(
                "unknown option `{other}` for --peers; the options are --n, --runs, --db, --pg-url, --tools, --alembic, --work, --no-w4, --w4-only"
            ),
        }
        Ok(())
    })?;
    if o.w4_only {
        if !o.w4 {
            bail!("--w4-only and --no-w4 leave nothing to measure");
        }
        // No database: W4 is the same for every database.
        o.dbs = vec![Db::Sqlite];
    }
    if o.runs == 0 || o.ns.contains(&0) || o.tools.is_empty() {
        bail!("--runs and every --n must be at least 1, and --tools must name one");
    }
    Ok(o)
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("migrate-bench is inside the workspace")
        .to_path_buf()
}

/// The scratch project: its directory and the tools and Ns it holds.
struct Project {
    dir: PathBuf,
    target: PathBuf,
}

/// The binary of one tool: `up` applies everything pending, `down` reverts
/// everything; the URL comes from `DATABASE_URL` (`sqlite://PATH` or
/// `postgres://…`). Every binary prints how many revisions it ran where its
/// tool says so, and uses a current-thread tokio runtime.
fn bin_source(tool: Tool, n: usize) -> String {
    // Connecting as every Rust tool on sqlx does it: one-connection pool,
    // sqlx's defaults otherwise (the main bench's settings).
    const SQLX_CONNECT: &str = r#"
type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {
    let mode = std::env::args().nth(1).unwrap_or_default();
    let url = std::env::var("DATABASE_URL")?;
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?
        .block_on(async {
            if let Some(path) = url.strip_prefix("sqlite://") {
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .create_if_missing(true);
                let pool = sqlx::sqlite::SqlitePoolOptions::new()
                    .max_connections(1)
                    .connect_with(options)
                    .await?;
                run(&pool, &mode).await?;
                pool.close().await;
            } else {
                let pool = sqlx::postgres::PgPoolOptions::new()
                    .max_connections(1)
                    .connect(&url)
                    .await?;
                run(&pool, &mode).await?;
                pool.close().await;
            }
            Ok(())
        })
}
"#;
    let dir = format!("fixtures/{}", tool.bin(n));
    match tool {
        Tool::Ours => format!(
            r#"// migrate-bench --peers: this project's embedded migrator, N = {n}.
use migrate_runtime::{{Migrator, embed_migrations}};

static MIGRATOR: Migrator = embed_migrations!("{dir}");
{SQLX_CONNECT}
async fn run<D: migrate_runtime::Database>(pool: &D, mode: &str) -> Result<(), Error> {{
    let report = match mode {{
        "up" => MIGRATOR.upgrade(pool, "head").await,
        "down" => MIGRATOR.downgrade(pool, "base").await,
        _ => return Err("usage: up | down".into()),
    }}
    .map_err(|e| e.to_string())?;
    println!("{{}}", report.revisions.len());
    Ok(())
}}
"#
        ),
        Tool::Sqlx => format!(
            r#"// migrate-bench --peers: sqlx's embedded migrator, N = {n}.
static MIGRATOR: sqlx::migrate::Migrator = sqlx::migrate!("{dir}");
{SQLX_CONNECT}
async fn run<'a, A>(pool: A, mode: &str) -> Result<(), Error>
where
    A: sqlx::Acquire<'a>,
    <A::Connection as std::ops::Deref>::Target: sqlx::migrate::Migrate,
{{
    match mode {{
        "up" => MIGRATOR.run(pool).await?,
        "down" => MIGRATOR.undo(pool, 0).await?,
        _ => return Err("usage: up | down".into()),
    }}
    Ok(())
}}
"#
        ),
        Tool::Refinery => format!(
            r#"// migrate-bench --peers: refinery's embedded migrations, N = {n}.
mod embedded {{
    refinery::embed_migrations!("{dir}");
}}

type Error = Box<dyn std::error::Error>;

fn main() -> Result<(), Error> {{
    if std::env::args().nth(1).as_deref() != Some("up") {{
        return Err("usage: up (refinery has no revert)".into());
    }}
    let url = std::env::var("DATABASE_URL")?;
    let applied = if let Some(path) = url.strip_prefix("sqlite://") {{
        let mut conn = rusqlite::Connection::open(path)?;
        embedded::migrations::runner().run(&mut conn)?.applied_migrations().len()
    }} else {{
        tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?
            .block_on(async {{
                let (mut client, connection) =
                    tokio_postgres::connect(&url, tokio_postgres::NoTls).await?;
                let driver = tokio::spawn(connection);
                let report = embedded::migrations::runner().run_async(&mut client).await?;
                drop(client);
                let _ = driver.await;
                Ok::<_, Error>(report.applied_migrations().len())
            }})?
    }};
    println!("{{applied}}");
    Ok(())
}}
"#
        ),
        Tool::Alembic => unreachable!("Alembic has no binary"),
    }
}

/// Writes the fixtures of `tool` at N = `n` into `dir` (created; files of
/// another N removed).
fn write_fixtures(tool: Tool, n: usize, dir: &Path) -> Result<()> {
    std::fs::create_dir_all(dir)?;
    let mut files: Vec<(String, String)> = Vec::with_capacity(2 * n);
    match tool {
        Tool::Ours => {
            for i in 0..n {
                files.push(crate::build::revision_file(i));
            }
        }
        Tool::Sqlx => {
            for i in 0..n {
                let rev = crate::revision_sql(i);
                let v = i + 1;
                files.push((format!("{v:05}_t{i}.up.sql"), statements(&rev.up)));
                files.push((format!("{v:05}_t{i}.down.sql"), statements(&rev.down)));
            }
        }
        Tool::Refinery => {
            for i in 0..n {
                let rev = crate::revision_sql(i);
                files.push((format!("V{}__t{i}.sql", i + 1), statements(&rev.up)));
            }
        }
        Tool::Alembic => {
            for i in 0..n {
                files.push((format!("{i:07}_t{i}.py"), alembic_revision(i)));
            }
        }
    }
    let keep: std::collections::HashSet<&str> = files.iter().map(|(f, _)| f.as_str()).collect();
    for entry in std::fs::read_dir(dir)? {
        let entry = entry?;
        let name = entry.file_name();
        let name = name.to_string_lossy();
        if entry.file_type()?.is_file() && !keep.contains(name.as_ref()) {
            std::fs::remove_file(entry.path())?;
        }
    }
    for (name, text) in &files {
        write_if_changed(&dir.join(name), text)?;
    }
    Ok(())
}

fn statements(list: &[String]) -> String {
    let mut s = String::new();
    for statement in list {
        let _ = writeln!(s, "{statement};");
    }
    s
}

fn alembic_revision(i: usize) -> String {
    let rev = crate::revision_sql(i);
    let down_revision = if i == 0 {
        "None".to_owned()
    } else {
        format!("\"{}\"", crate::revision_id(i - 1))
    };
    let mut s = format!(
        "\"\"\"create table bench_t{i}\"\"\"\nfrom alembic import op\n\nrevision = \"{}\"\ndown_revision = {down_revision}\nbranch_labels = None\ndepends_on = None\n\n\ndef upgrade():\n",
        crate::revision_id(i)
    );
    for statement in &rev.up {
        let _ = writeln!(s, "    op.execute(\"\"\"{statement}\"\"\")");
    }
    s.push_str("\n\ndef downgrade():\n");
    for statement in &rev.down {
        let _ = writeln!(s, "    op.execute(\"\"\"{statement}\"\"\")");
    }
    s
}

/// Alembic's `env.py`: one engine without a pool, the whole upgrade or
/// downgrade in one transaction, as this project's default mode does. On
/// SQLite, `transactional_ddl=True` and SQLAlchemy's documented recipe for
/// pysqlite (the driver's own transaction handling off, `BEGIN` emitted by
/// SQLAlchemy) make it one transaction; Alembic's SQLite default is one
/// commit per revision.
const ALEMBIC_ENV: &str = r#"import os

from alembic import context
from sqlalchemy import create_engine, event, pool

engine = create_engine(os.environ["DATABASE_URL"], poolclass=pool.NullPool)

if engine.dialect.name == "sqlite":

    @event.listens_for(engine, "connect")
    def _connect(dbapi_connection, connection_record):
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def _begin(conn):
        conn.exec_driver_sql("BEGIN")


with engine.connect() as connection:
    context.configure(connection=connection, target_metadata=None, transactional_ddl=True)
    with context.begin_transaction():
        context.run_migrations()
"#;

const ALEMBIC_INI: &str = "[alembic]\nscript_location = %(here)s\nversion_locations = %(here)s/versions\npath_separator = os\n";

impl Project {
    /// Writes the project for `tools` (the Rust ones) at `ns`, and the
    /// Alembic projects if Alembic is among them.
    fn write(dir: &Path, tools: &[Tool], ns: &[usize]) -> Result<Project> {
        std::fs::create_dir_all(dir.join("src/bin"))?;
        let runtime = workspace_root().join("migrate-runtime");
        let runtime = runtime.display();
        let mut toml = format!(
            "# Written by `migrate-bench --peers`; see migrate-bench/src/peers.rs.\n\
             [package]\nname = \"peers\"\nversion = \"0.1.0\"\nedition = \"2024\"\npublish = false\nautobins = false\n\n\
             [workspace]\n\n[dependencies]\n\
             migrate-runtime = {{ path = \"{runtime}\" }}\n\
             sqlx = {{ version = \"0.8.6\", default-features = false, features = [\"runtime-tokio\", \"postgres\", \"sqlite\", \"macros\", \"migrate\"] }}\n\
             tokio = {{ version = \"1\", features = [\"rt\"] }}\n\
             refinery = {{ version = \"0.10\", features = [\"rusqlite\", \"tokio-postgres\"] }}\n\
             # The rusqlite whose libsqlite3-sys is sqlx's (one SQLite, bundled).\n\
             rusqlite = \"0.32\"\n\
             tokio-postgres = \"0.7\"\n\n\
             [build-dependencies]\nmigrate-runtime = {{ path = \"{runtime}\", default-features = false }}\n"
        );
        let mut build_rs = String::from("fn main() {\n");
        for &n in ns {
            for &tool in tools {
                let fixtures = dir.join("fixtures").join(tool.bin(n));
                write_fixtures(tool, n, &fixtures)?;
                if tool == Tool::Alembic {
                    write_if_changed(&fixtures.join("env.py"), ALEMBIC_ENV)?;
                    write_if_changed(&fixtures.join("alembic.ini"), ALEMBIC_INI)?;
                    // Alembic's revision files live in `versions/`.
                    let versions = fixtures.join("versions");
                    std::fs::create_dir_all(&versions)?;
                    for entry in std::fs::read_dir(&fixtures)? {
                        let path = entry?.path();
                        if path.extension().is_some_and(|e| e == "py")
                            && path.file_name().is_some_and(|f| f != "env.py")
                        {
                            std::fs::rename(&path, versions.join(path.file_name().unwrap()))?;
                        }
                    }
                    continue;
                }
                let bin = tool.bin(n);
                let _ = write!(
                    toml,
                    "\n[[bin]]\nname = \"{bin}\"\npath = \"src/bin/{bin}.rs\"\n"
                );
                write_if_changed(
                    &dir.join("src/bin").join(format!("{bin}.rs")),
                    &bin_source(tool, n),
                )?;
                if tool == Tool::Ours {
                    let _ = writeln!(
                        build_rs,
                        "    migrate_runtime::build::watch(\"fixtures/{bin}\");"
                    );
                }
            }
        }
        build_rs.push_str("}\n");
        write_if_changed(&dir.join("Cargo.toml"), &toml)?;
        write_if_changed(&dir.join("build.rs"), &build_rs)?;
        let lock = dir.join("Cargo.lock");
        if !lock.exists() {
            // The workspace's versions of everything both have (sqlx among them).
            std::fs::copy(workspace_root().join("Cargo.lock"), &lock)
                .context("copying the workspace Cargo.lock")?;
        }
        Ok(Project {
            dir: dir.to_path_buf(),
            target: dir.join("target"),
        })
    }

    fn cargo(&self) -> Command {
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let mut c = Command::new(cargo);
        c.current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .stdin(Stdio::null());
        c
    }

    /// `cargo build --release` of the binaries named (all without names).
    fn build(&self, bins: &[String]) -> Result<()> {
        let mut c = self.cargo();
        c.args(["build", "--release", "--quiet"]);
        for b in bins {
            c.args(["--bin", b]);
        }
        let status = c.status().context("running cargo build")?;
        if !status.success() {
            bail!("cargo build --release failed in {}", self.dir.display());
        }
        Ok(())
    }

    fn exe(&self, bin: &str) -> PathBuf {
        self.target.join("release").join(bin)
    }

    /// W4: touches `src/bin/BIN.rs` and rebuilds that binary, under
    /// `/usr/bin/time` for the peak RSS of the build's largest process.
    fn rebuild_after_touch(&self, bin: &str) -> Result<Run> {
        let source = self.dir.join("src/bin").join(format!("{bin}.rs"));
        std::fs::File::options()
            .append(true)
            .open(&source)?
            .set_modified(std::time::SystemTime::now())?;
        let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
        let rss_file = self.dir.join("rss-build.txt");
        let _ = std::fs::remove_file(&rss_file);
        let mut c = if Path::new("/usr/bin/time").exists() {
            let mut c = Command::new("/usr/bin/time");
            c.arg("-f").arg("%M").arg("-o").arg(&rss_file).arg(&cargo);
            c
        } else {
            Command::new(&cargo)
        };
        c.current_dir(&self.dir)
            .env("CARGO_TARGET_DIR", &self.target)
            .env_remove("RUSTFLAGS")
            .env_remove("CARGO_BUILD_RUSTFLAGS")
            .env_remove("CARGO_ENCODED_RUSTFLAGS")
            .args(["build", "--release", "--quiet", "--bin", bin])
            .stdin(Stdio::null());
        let started = Instant::now();
        let output = c.output().context("running cargo build")?;
        let wall = started.elapsed();
        if !output.status.success() {
            bail!(
                "cargo build --release --bin {bin} failed:\n{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
        Ok(Run::quiet(wall, &rss_file))
    }
}

/// The Python interpreter with Alembic, or a message saying how to get one.
fn check_alembic(python: &Path) -> Result<String> {
    let help = format!(
        "Alembic is needed for --peers (or leave it out with --tools ours,sqlx,refinery):\n  \
         python3 -m venv /tmp/alembic-venv\n  \
         /tmp/alembic-venv/bin/pip install alembic==1.20.0 sqlalchemy psycopg2-binary\n\
         then pass --alembic /tmp/alembic-venv/bin/python (the default) or another interpreter that has them; {} ",
        python.display()
    );
    let output = Command::new(python)
        .args([
            "-c",
            "import alembic, sqlalchemy, psycopg2; print(alembic.__version__, sqlalchemy.__version__)",
        ])
        .stdin(Stdio::null())
        .output();
    match output {
        Ok(o) if o.status.success() => Ok(String::from_utf8_lossy(&o.stdout).trim().to_owned()),
        Ok(o) => bail!(
            "{help}cannot import them:\n{}",
            String::from_utf8_lossy(&o.stderr)
        ),
        Err(e) => bail!("{help}cannot be run: {e}"),
    }
}

/// One figure of one cell: median wall time and the largest peak RSS.
#[derive(Default, Clone)]
struct Cell {
    walls: Vec<Duration>,
    rss_kb: Option<u64>,
}

impl Cell {
    fn push(&mut self, run: &Run) {
        self.walls.push(run.wall);
        self.rss_kb = self.rss_kb.max(run.rss_kb);
    }

    fn show(&self) -> String {
        if self.walls.is_empty() {
            return "—".into();
        }
        let wall = fmt_duration(median(self.walls.clone()));
        match self.rss_kb {
            Some(kb) => format!("{wall}, {:.0} MiB", kb as f64 / 1024.0),
            None => wall,
        }
    }
}

/// The columns of the tables: the raw floor, then the tools in this order.
const COLUMNS: [&str; 5] = [
    "raw floor",
    "sqlx",
    "refinery",
    "Alembic",
    "migrate (this project)",
];

fn column(tool: Tool) -> usize {
    match tool {
        Tool::Sqlx => 1,
        Tool::Refinery => 2,
        Tool::Alembic => 3,
        Tool::Ours => 4,
    }
}

/// The rows of one database at one N.
struct Block {
    n: usize,
    w1: [Cell; 5],
    w2: [Cell; 5],
    /// This project in process: start-up at head, and the history read.
    w2_in_process: Vec<Duration>,
    w2_history_read: Vec<Duration>,
    w3: [Cell; 5],
    w4: [Cell; 5],
}

impl Block {
    fn new(n: usize) -> Block {
        Block {
            n,
            w1: Default::default(),
            w2: Default::default(),
            w2_in_process: Vec::new(),
            w2_history_read: Vec::new(),
            w3: Default::default(),
            w4: Default::default(),
        }
    }
}

/// How the tools reach one database: the URL in each tool's spelling.
fn tool_url(db: Db, tool: Tool, admin: Option<&str>, name: &str) -> Result<String> {
    Ok(match (db, tool) {
        // SQLAlchemy: `sqlite:///` then the absolute path.
        (Db::Sqlite, Tool::Alembic) => format!("sqlite:///{name}"),
        (Db::Sqlite, _) => format!("sqlite://{name}"),
        (Db::Postgres, tool) => {
            let url = pg_db_url(admin.context("no PostgreSQL URL")?, name)?;
            if tool == Tool::Alembic {
                url.replacen("postgres://", "postgresql+psycopg2://", 1)
            } else {
                url
            }
        }
    })
}

/// The number of the bench's tables in the database (`bench_t…`).
async fn count_tables(db: Db, admin: Option<&str>, name: &str) -> Result<i64> {
    Ok(match db {
        Db::Sqlite => {
            let mut conn = SqliteConnection::connect(&format!("sqlite://{name}")).await?;
            let count = sqlx::query_scalar(
                "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name LIKE 'bench_t%'",
            )
            .fetch_one(&mut conn)
            .await?;
            conn.close().await?;
            count
        }
        Db::Postgres => {
            let url = pg_db_url(admin.context("no PostgreSQL URL")?, name)?;
            let options = PgConnectOptions::from_str(&url)?.disable_statement_logging();
            let mut conn = PgConnection::connect_with(&options).await?;
            let count = sqlx::query_scalar(
                "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'bench_t%'",
            )
            .fetch_one(&mut conn)
            .await?;
            conn.close().await?;
            count
        }
    })
}

/// Everything a run needs to know.
struct Setup<'a> {
    project: &'a Project,
    python: &'a Path,
    db: Db,
    admin: Option<&'a str>,
    tools: &'a [Tool],
    runs: usize,
}

/// Runs one tool's command (`up` or `down`) on database `name`.
fn run_tool(cx: &Setup<'_>, tool: Tool, n: usize, name: &str, up: bool) -> Result<Run> {
    let url = tool_url(cx.db, tool, cx.admin, name)?;
    let run = if tool == Tool::Alembic {
        let dir = cx.project.dir.join("fixtures").join(tool.bin(n));
        let target = if up { "head" } else { "base" };
        let command = if up { "upgrade" } else { "downgrade" };
        run_migrate(
            cx.python,
            &dir,
            &url,
            &["-m", "alembic", "-c", "alembic.ini", command, target],
        )?
    } else {
        run_migrate(
            &cx.project.exe(&tool.bin(n)),
            &cx.project.dir,
            &url,
            &[if up { "up" } else { "down" }],
        )?
    };
    if run.code != 0 {
        bail!(
            "{} {} on {} N={n}: exit {}\n--- stdout\n{}--- stderr\n{}",
            tool.name(),
            if up { "up" } else { "down" },
            cx.db,
            run.code,
            run.stdout,
            run.stderr
        );
    }
    Ok(run)
}

/// Runs of the start-up at head per run; the run keeps the median.
const W2_REPEATS: usize = 3;

async fn measure<B: Bench>(bench: &mut B, cx: &Setup<'_>, block: &mut Block) -> Result<()> {
    let n = block.n;
    let w = crate::generate(n)?;
    // The downgrade script as the client's script (the client reads `up.sql`
    // / `up_body.sql` from the directory it is given).
    let down_scripts = tempfile::tempdir()?;
    std::fs::write(down_scripts.path().join("up.sql"), &w.raw_down)?;
    let body = w
        .raw_down
        .strip_prefix("BEGIN;\n")
        .and_then(|b| b.strip_suffix("COMMIT;\n"))
        .unwrap_or(&w.raw_down);
    std::fs::write(down_scripts.path().join("up_body.sql"), body)?;
    let expect = |what: &str, got: i64, want: usize| -> Result<()> {
        if got != want as i64 {
            bail!("{what}: {got} bench tables, expected {want}");
        }
        Ok(())
    };
    // One untimed pass of Alembic's `heads`, which compiles its revision
    // files to bytecode once (as an installed application has them).
    if cx.tools.contains(&Tool::Alembic) {
        let dir = cx.project.dir.join("fixtures").join(Tool::Alembic.bin(n));
        let run = run_migrate(cx.python, &dir, "", &["-m", "alembic", "heads"])?;
        if run.code != 0 {
            bail!("alembic heads failed:\n{}", run.stderr);
        }
    }
    for k in 0..cx.runs {
        eprintln!("{} N={n}: run {}/{}", cx.db, k + 1, cx.runs);
        // The raw floor, then the tools, the order rotating by run.
        let mut order: Vec<Option<Tool>> = vec![None];
        order.extend(cx.tools.iter().map(|&t| Some(t)));
        let len = order.len();
        order.rotate_left(k % len);
        for who in order {
            let name = bench.create().await?;
            let pool = crate::ready(bench, &name).await?;
            bench.close(pool).await;
            match who {
                None => {
                    let Some(mut up) = bench.client(&name, w.scripts.path()) else {
                        continue;
                    };
                    let stdin = (cx.db == Db::Sqlite).then(|| w.scripts.path().join("up.sql"));
                    let run = timed_command(&mut up, stdin.as_deref(), &cx.project.dir)?;
                    expect("raw up", count_tables(cx.db, cx.admin, &name).await?, n)?;
                    block.w1[0].push(&run);
                    let pool = crate::ready(bench, &name).await?;
                    bench.close(pool).await;
                    let mut down = bench
                        .client(&name, down_scripts.path())
                        .context("the client went away")?;
                    let stdin = (cx.db == Db::Sqlite).then(|| down_scripts.path().join("up.sql"));
                    let run = timed_command(&mut down, stdin.as_deref(), &cx.project.dir)?;
                    expect("raw down", count_tables(cx.db, cx.admin, &name).await?, 0)?;
                    block.w3[0].push(&run);
                    eprintln!("  raw floor: done");
                }
                Some(tool) => {
                    let c = column(tool);
                    let run = run_tool(cx, tool, n, &name, true)?;
                    expect(
                        &format!("{} up", tool.name()),
                        count_tables(cx.db, cx.admin, &name).await?,
                        n,
                    )?;
                    let w1 = run.wall;
                    block.w1[c].push(&run);
                    let mut starts = Vec::new();
                    for _ in 0..W2_REPEATS {
                        let run = run_tool(cx, tool, n, &name, true)?;
                        if tool == Tool::Ours && run.stdout.trim() != "0" {
                            bail!("start-up at head ran {} revisions", run.stdout.trim());
                        }
                        block.w2[c].rss_kb = block.w2[c].rss_kb.max(run.rss_kb);
                        starts.push(run.wall);
                    }
                    let w2 = median(starts);
                    block.w2[c].walls.push(w2);
                    if tool == Tool::Ours {
                        in_process_w2(bench, &w, &name, block).await?;
                    }
                    let mut w3 = None;
                    if tool.can_revert() {
                        let pool = crate::ready(bench, &name).await?;
                        bench.close(pool).await;
                        let run = run_tool(cx, tool, n, &name, false)?;
                        expect(
                            &format!("{} down", tool.name()),
                            count_tables(cx.db, cx.admin, &name).await?,
                            0,
                        )?;
                        w3 = Some(run.wall);
                        block.w3[c].push(&run);
                    }
                    eprintln!(
                        "  {}: W1 {} W2 {} W3 {}",
                        tool.name(),
                        fmt_duration(w1),
                        fmt_duration(w2),
                        w3.map_or_else(|| "—".into(), fmt_duration)
                    );
                }
            }
            bench.drop_db(&name).await?;
        }
    }
    Ok(())
}

/// A client command, timed, with its peak RSS when `/usr/bin/time` is there.
fn timed_command(command: &mut Command, stdin: Option<&Path>, scratch: &Path) -> Result<Run> {
    let rss_file = scratch.join("rss-client.txt");
    let _ = std::fs::remove_file(&rss_file);
    let mut wrapped = if Path::new("/usr/bin/time").exists() {
        let mut c = Command::new("/usr/bin/time");
        c.arg("-f")
            .arg("%M")
            .arg("-o")
            .arg(&rss_file)
            .arg(command.get_program())
            .args(command.get_args());
        for (key, value) in command.get_envs() {
            match value {
                Some(v) => c.env(key, v),
                None => c.env_remove(key),
            };
        }
        c
    } else {
        std::mem::replace(command, Command::new("true"))
    };
    // The SQLite client reads its script from stdin (`client` gave it to
    // the command the wrapper replaces).
    if let Some(script) = stdin {
        wrapped.stdin(std::fs::File::open(script)?);
    }
    let started = Instant::now();
    let output = wrapped.output().context("running the database's client")?;
    let wall = started.elapsed();
    if !output.status.success() {
        bail!(
            "the database's client failed: {}",
            String::from_utf8_lossy(&output.stderr)
        );
    }
    Ok(Run::quiet(wall, &rss_file))
}

/// The main bench's W2 in process, on the database this project's binary
/// brought to head: a fresh pool plus `upgrade("head")` on a fresh
/// migrator, against a fresh pool plus one read of the history table.
async fn in_process_w2<B: Bench>(
    bench: &B,
    w: &crate::Workload,
    name: &str,
    block: &mut Block,
) -> Result<()> {
    let read_history = format!(
        "SELECT revision, checksum FROM {}",
        w.migrator.version_table()
    );
    let (mut ours, mut read) = (Vec::new(), Vec::new());
    for side in 0..2 * crate::W2_REPEATS {
        let started = Instant::now();
        let pool = bench.connect(name).await?;
        if side % 2 == 0 {
            let report = w
                .migrator
                .__fresh()
                .upgrade(&pool, "head")
                .await
                .map_err(|e| anyhow::anyhow!("start-up upgrade: {e}"))?;
            if !report.revisions.is_empty() {
                bail!("start-up at head applied {}", report.revisions.len());
            }
            ours.push(started.elapsed());
        } else {
            bench.raw(&pool, &read_history).await?;
            read.push(started.elapsed());
        }
        bench.close(pool).await;
    }
    block.w2_in_process.push(median(ours));
    block.w2_history_read.push(median(read));
    Ok(())
}

pub async fn main(args: &[String]) -> Result<()> {
    let o = parse_args(args)?;
    let alembic_version = if o.tools.contains(&Tool::Alembic) && !o.w4_only {
        Some(check_alembic(&o.alembic)?)
    } else {
        None
    };
    let work = o
        .work
        .clone()
        .unwrap_or_else(|| workspace_root().join("target").join("peers"));
    let mut ns = o.ns.clone();
    ns.sort_unstable();
    ns.dedup();
    eprintln!("writing the scratch project in {}", work.display());
    let project = Project::write(&work, &o.tools, &ns)?;
    let bins: Vec<String> = ns
        .iter()
        .flat_map(|&n| {
            o.tools
                .iter()
                .filter(|t| t.is_rust())
                .map(move |t| t.bin(n))
        })
        .collect();
    if !bins.is_empty() {
        eprintln!("building {} (cargo build --release)", bins.join(", "));
        let started = Instant::now();
        project.build(&bins)?;
        eprintln!("built in {}", fmt_duration(started.elapsed()));
    }

    // W4: rebuilds after touching each binary's source.
    let mut w4: Vec<(usize, [Cell; 5])> = Vec::new();
    if o.w4 {
        for &n in &ns {
            let mut cells: [Cell; 5] = Default::default();
            for k in 0..o.runs {
                for &tool in o.tools.iter().filter(|t| t.is_rust()) {
                    let run = project.rebuild_after_touch(&tool.bin(n))?;
                    eprintln!(
                        "W4 N={n} run {}/{}: {} {}",
                        k + 1,
                        o.runs,
                        tool.name(),
                        fmt_duration(run.wall)
                    );
                    cells[column(tool)].push(&run);
                }
            }
            w4.push((n, cells));
        }
    }

    let mut tables = Vec::new();
    for &db in &o.dbs {
        if o.w4_only {
            let mut blocks: Vec<Block> = ns.iter().map(|&n| Block::new(n)).collect();
            for (block, (_, cells)) in blocks.iter_mut().zip(&w4) {
                block.w4 = cells.clone();
            }
            tables.push((db, blocks));
            continue;
        }
        let mut blocks: Vec<Block> = ns.iter().map(|&n| Block::new(n)).collect();
        for block in &mut blocks {
            if let Some((_, cells)) = w4.iter().find(|(n, _)| *n == block.n) {
                block.w4 = cells.clone();
            }
        }
        match db {
            Db::Sqlite => {
                let mut bench = SqliteBench {
                    dir: tempfile::tempdir()?,
                    next: 0,
                };
                let cx = Setup {
                    project: &project,
                    python: &o.alembic,
                    db,
                    admin: None,
                    tools: &o.tools,
                    runs: o.runs,
                };
                for block in &mut blocks {
                    measure(&mut bench, &cx, block).await?;
                }
            }
            Db::Postgres => {
                let given = o.pg_url.as_deref();
                let url = crate::pg_admin_url(given)?;
                let admin = PgConnectOptions::from_str(&url)?.disable_statement_logging();
                let admin_conn = PgConnection::connect_with(&admin).await?;
                let mut bench = PgBench {
                    admin,
                    admin_conn,
                    next: 0,
                    psql: given.is_none().then(|| crate::psql_for(&url)).flatten(),
                };
                let cx = Setup {
                    project: &project,
                    python: &o.alembic,
                    db,
                    admin: Some(&url),
                    tools: &o.tools,
                    runs: o.runs,
                };
                let mut result = Ok(());
                for block in &mut blocks {
                    result = measure(&mut bench, &cx, block).await;
                    if result.is_err() {
                        break;
                    }
                }
                bench.admin_conn.close().await?;
                crate::stop_bench_pg(given);
                result?;
            }
        }
        tables.push((db, blocks));
    }

    print_report(&o, alembic_version.as_deref(), &tables);
    Ok(())
}

fn print_report(o: &Options, alembic: Option<&str>, tables: &[(Db, Vec<Block>)]) {
    let join = |v: Vec<String>| v.join(",");
    println!(
        "Command: `cargo run --release -p migrate-bench -- --peers --n {} --runs {} --db {} --tools {}{}`\n",
        join(o.ns.iter().map(|n| n.to_string()).collect()),
        o.runs,
        join(o.dbs.iter().map(|d| d.to_string()).collect()),
        join(o.tools.iter().map(|t| t.name().to_owned()).collect()),
        match (o.w4, o.w4_only) {
            (false, _) => " --no-w4",
            (true, true) => " --w4-only",
            (true, false) => "",
        }
    );
    if let Some(v) = alembic {
        println!("Alembic, SQLAlchemy: {v}\n");
    }
    for (db, blocks) in tables {
        println!(
            "{db}: median of {} runs, each tool on a fresh database; wall time of the whole process (start, connect, work, exit), its peak RSS\n",
            o.runs
        );
        println!("| workload | N | {} |", COLUMNS.join(" | "));
        println!("|---|---:|{}", "---:|".repeat(COLUMNS.len()));
        for b in blocks {
            let row = |what: &str, cells: &[Cell; 5]| {
                if cells.iter().all(|c| c.walls.is_empty()) {
                    return;
                }
                let shown: Vec<String> = cells.iter().map(Cell::show).collect();
                println!("| {what} | {} | {} |", b.n, shown.join(" | "));
            };
            row("W1 apply all, fresh database", &b.w1);
            row("W2 start-up at head (process)", &b.w2);
            if !b.w2_in_process.is_empty() {
                println!(
                    "| W2 start-up at head in process (connect + upgrade; floor: connect + history read) | {} | {} | — | — | — | {} |",
                    b.n,
                    fmt_duration(median(b.w2_history_read.clone())),
                    fmt_duration(median(b.w2_in_process.clone()))
                );
            }
            row("W3 revert all", &b.w3);
            row(
                "W4 `cargo build --release` after touching the binary's source",
                &b.w4,
            );
        }
        println!();
    }
    println!(
        "raw floor: W1 and W3 the database's own client running the script in one transaction (`sqlite3 FILE < script`, `psql -1 -f`), process start to exit. refinery has no revert. W4 peak RSS: the largest process of the build."
    );
}
