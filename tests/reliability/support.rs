//! What the reliability scenarios share: migration directories written on the
//! fly, the two databases behind one type, the migrator binary as a child
//! process, catalog introspection and a seeded random number generator.

use std::collections::{BTreeMap, BTreeSet};
use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Child, Command, ExitStatus, Stdio};
use std::str::FromStr;
use std::sync::OnceLock;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use migrate_runtime::{Error, Migrator, Report, StampReport};
use migrate_tests::{PgTestDb, SqliteTestDb, fresh_pg_db, fresh_sqlite_db};
use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

// ---------------------------------------------------------------------------
// Seeded randomness

/// Environment variable that fixes the seed of every randomised scenario.
pub const SEED_ENV: &str = "MIGRATE_RELIABILITY_SEED";

/// The base seed of this test process: `MIGRATE_RELIABILITY_SEED` (decimal
/// or `0x` hex) when set, otherwise taken from the clock. Printed once.
fn base_seed() -> u64 {
    static SEED: OnceLock<u64> = OnceLock::new();
    *SEED.get_or_init(|| {
        let from_env = std::env::var(SEED_ENV).ok().and_then(|s| {
            let s = s.trim();
            match s.strip_prefix("0x") {
                Some(hex) => u64::from_str_radix(hex, 16).ok(),
                None => s.parse().ok(),
            }
        });
        let seed = from_env.unwrap_or_else(|| {
            let nanos = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map_or(0, |d| d.as_nanos() as u64);
            nanos ^ (u64::from(std::process::id()) << 32)
        });
        eprintln!("reliability: seed {seed} (replay with {SEED_ENV}={seed})");
        seed
    })
}

/// A xorshift64* generator.
pub struct Rng(u64);

impl Rng {
    /// The generator of one scenario: the base seed mixed with its name, so
    /// scenarios draw independent streams from one printed seed.
    pub fn for_scenario(name: &str) -> Rng {
        let base = base_seed();
        let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
        for b in name.bytes() {
            hash ^= u64::from(b);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        println!("{name}: seed {base} (replay with {SEED_ENV}={base})");
        Rng((base ^ hash) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform in `0..n` (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// Uniform in `0..=max`.
    pub fn duration_up_to(&mut self, max: Duration) -> Duration {
        let micros = max.as_micros() as u64;
        Duration::from_micros(self.below(micros + 1))
    }
}

/// `MIGRATE_RELIABILITY_TRIALS` when set, else `default`.
pub fn trials(default: usize) -> usize {
    std::env::var("MIGRATE_RELIABILITY_TRIALS")
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

// ---------------------------------------------------------------------------
// Migration directories

/// A migration directory in a temporary directory; files sort in the order
/// they are written.
pub struct Dir {
    tmp: tempfile::TempDir,
    written: usize,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::Builder::new()
                .prefix("migrate-reliability-")
                .tempdir()
                .expect("temporary directory"),
            written: 0,
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes revision `id` with parent `parent` (`None` for a root), extra
    /// header lines (`"-- transactional: false\n"`), upgrade SQL and an
    /// optional downgrade section.
    pub fn write(
        &mut self,
        id: &str,
        parent: Option<&str>,
        extra: &str,
        up: &str,
        down: Option<&str>,
    ) {
        let mut text = format!(
            "-- revision: {id}\n-- down_revision: {}\n-- message: revision {id}\n{extra}\n-- migrate:upgrade\n{up}\n",
            parent.unwrap_or("none")
        );
        if let Some(down) = down {
            text.push_str(&format!("\n-- migrate:downgrade\n{down}\n"));
        }
        let name = format!("2025_01_01_{:04}-{id}_r.sql", self.written);
        self.written += 1;
        std::fs::write(self.path().join(name), text).expect("write migration");
    }

    fn file_of(&self, id: &str) -> std::path::PathBuf {
        std::fs::read_dir(self.path())
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| p.to_string_lossy().contains(&format!("-{id}_")))
            .unwrap_or_else(|| panic!("no file for revision {id}"))
    }

    /// Replaces text in a revision's file.
    pub fn edit(&self, id: &str, from: &str, to: &str) {
        let path = self.file_of(id);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(text.contains(from), "{} lacks {from:?}", path.display());
        std::fs::write(&path, text.replace(from, to)).unwrap();
    }

    /// Moves a revision's file out of the directory; returns what puts it back.
    pub fn take_out(&self, id: &str) -> (std::path::PathBuf, String) {
        let path = self.file_of(id);
        let text = std::fs::read_to_string(&path).unwrap();
        std::fs::remove_file(&path).unwrap();
        (path, text)
    }

    /// Loads the directory as the migrator binary does.
    pub fn migrator(&self) -> Migrator {
        Migrator::from_directory(self.path(), "migrations", &migrate_core::Config::default())
            .unwrap_or_else(|e| panic!("fixture directory is invalid:\n{e}"))
    }
}

// ---------------------------------------------------------------------------
// Databases

/// A pool to either database.
#[derive(Clone)]
pub enum Pool {
    Pg(sqlx::PgPool),
    Sqlite(sqlx::SqlitePool),
}

/// A row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryRow {
    pub revision: String,
    pub state: String,
    pub statements_done: i64,
    pub seq: i64,
}

impl HistoryRow {
    pub fn is_complete(&self) -> bool {
        self.state == "applied" || self.state == "stamped"
    }
}

impl Pool {
    pub async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        match self {
            Pool::Pg(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
            Pool::Sqlite(p) => sqlx::raw_sql(sql).execute(p).await.map(|_| ()),
        }
    }

    pub async fn i64(&self, sql: &str) -> i64 {
        match self {
            Pool::Pg(p) => sqlx::query_scalar(sql).fetch_one(p).await,
            Pool::Sqlite(p) => sqlx::query_scalar(sql).fetch_one(p).await,
        }
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
    }

    pub async fn upgrade(&self, m: &Migrator, target: &str) -> Result<Report, Error> {
        match self {
            Pool::Pg(p) => m.upgrade(p, target).await,
            Pool::Sqlite(p) => m.upgrade(p, target).await,
        }
    }

    pub async fn downgrade(&self, m: &Migrator, target: &str) -> Result<Report, Error> {
        match self {
            Pool::Pg(p) => m.downgrade(p, target).await,
            Pool::Sqlite(p) => m.downgrade(p, target).await,
        }
    }

    pub async fn stamp(&self, m: &Migrator, targets: &[&str]) -> Result<StampReport, Error> {
        match self {
            Pool::Pg(p) => m.stamp(p, targets, false).await,
            Pool::Sqlite(p) => m.stamp(p, targets, false).await,
        }
    }

    /// User tables (the history table included), from the catalog.
    pub async fn tables(&self) -> BTreeSet<String> {
        let names: Vec<String> = match self {
            Pool::Pg(p) => {
                sqlx::query_scalar(
                    "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema()",
                )
                .fetch_all(p)
                .await
            }
            Pool::Sqlite(p) => sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .fetch_all(p)
            .await,
        }
        .expect("list tables");
        names.into_iter().collect()
    }

    /// User indexes (not those behind primary keys), with PostgreSQL's
    /// `indisvalid` (an interrupted `CREATE INDEX CONCURRENTLY` leaves an
    /// invalid one); always valid on SQLite.
    pub async fn indexes(&self) -> BTreeMap<String, bool> {
        match self {
            Pool::Pg(p) => sqlx::query_as::<_, (String, bool)>(
                "SELECT c.relname::text, i.indisvalid FROM pg_index i \
                 JOIN pg_class c ON c.oid = i.indexrelid \
                 JOIN pg_namespace n ON n.oid = c.relnamespace \
                 WHERE n.nspname = current_schema() AND NOT i.indisprimary",
            )
            .fetch_all(p)
            .await
            .expect("list indexes")
            .into_iter()
            .collect(),
            Pool::Sqlite(p) => sqlx::query_scalar::<_, String>(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL",
            )
            .fetch_all(p)
            .await
            .expect("list indexes")
            .into_iter()
            .map(|name| (name, true))
            .collect(),
        }
    }

    /// The history table, in `seq` order (empty when it does not exist).
    pub async fn history(&self) -> Vec<HistoryRow> {
        if !self.tables().await.contains("migrate_history") {
            return Vec::new();
        }
        let sql = "SELECT revision, state, statements_done, seq FROM migrate_history ORDER BY seq";
        let rows: Vec<(String, String, i64, i64)> = match self {
            Pool::Pg(p) => sqlx::query_as(sql).fetch_all(p).await,
            Pool::Sqlite(p) => sqlx::query_as(sql).fetch_all(p).await,
        }
        .expect("read history");
        rows.into_iter()
            .map(|(revision, state, statements_done, seq)| HistoryRow {
                revision,
                state,
                statements_done,
                seq,
            })
            .collect()
    }

    /// Granted advisory locks in this database (PostgreSQL), with the
    /// holders' server process ids; always empty on SQLite.
    pub async fn advisory_lock_holders(&self) -> Vec<i32> {
        match self {
            Pool::Pg(p) => sqlx::query_scalar(
                "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND granted \
                 AND database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .fetch_all(p)
            .await
            .expect("read pg_locks"),
            Pool::Sqlite(_) => Vec::new(),
        }
    }

    /// Is the migration lock held by someone else? PostgreSQL: a granted
    /// advisory lock in this database. SQLite: an immediate transaction
    /// (the lock) cannot start without waiting.
    pub async fn migration_lock_held(&self) -> bool {
        match self {
            Pool::Pg(_) => !self.advisory_lock_holders().await.is_empty(),
            Pool::Sqlite(p) => {
                let mut conn = p.acquire().await.expect("SQLite connection");
                sqlx::raw_sql("PRAGMA busy_timeout = 0")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                let held = match sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await {
                    Ok(_) => {
                        sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
                        false
                    }
                    Err(sqlx::Error::Database(e)) if e.code().is_some_and(|c| c == "5") => true,
                    Err(e) => panic!("probing the SQLite write lock: {e}"),
                };
                sqlx::raw_sql("PRAGMA busy_timeout = 10000")
                    .execute(&mut *conn)
                    .await
                    .unwrap();
                held
            }
        }
    }

    /// Waits until no advisory lock is held in this database (PostgreSQL: a
    /// killed client's server process ends and drops its session lock);
    /// returns how long that took. Panics after `limit`.
    pub async fn wait_lock_free(&self, limit: Duration) -> Duration {
        let started = Instant::now();
        loop {
            if self.advisory_lock_holders().await.is_empty() {
                return started.elapsed();
            }
            assert!(
                started.elapsed() < limit,
                "the migration lock is still held {limit:?} after its holder died"
            );
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
    }
}

enum Guard {
    Pg(#[allow(dead_code)] PgTestDb),
    Sqlite(#[allow(dead_code)] SqliteTestDb),
}

/// A fresh database of either kind, dropped at the end of the test.
pub struct Db {
    pub pool: Pool,
    pub url: String,
    guard: Guard,
}

impl Db {
    pub async fn pg() -> Db {
        let db = fresh_pg_db().await;
        Db {
            pool: Pool::Pg(db.pool().await),
            url: db.url.clone(),
            guard: Guard::Pg(db),
        }
    }

    pub async fn sqlite() -> Db {
        let db = fresh_sqlite_db();
        let url = db.url.clone();
        let db = Db {
            pool: Pool::Sqlite(sqlite_pool(&url).await),
            url,
            guard: Guard::Sqlite(db),
        };
        // The file exists before any migrator process opens it.
        db.pool.exec("SELECT 1").await.unwrap();
        db
    }

    pub fn is_pg(&self) -> bool {
        matches!(self.guard, Guard::Pg(_))
    }

    pub fn name(&self) -> &'static str {
        if self.is_pg() { "PostgreSQL" } else { "SQLite" }
    }

    /// A second, independent pool to the same database.
    pub async fn other_pool(&self) -> Pool {
        match &self.guard {
            Guard::Pg(db) => Pool::Pg(db.pool().await),
            Guard::Sqlite(_) => Pool::Sqlite(sqlite_pool(&self.url).await),
        }
    }
}

/// An SQLite pool whose connections wait up to 10 s for a busy file.
async fn sqlite_pool(url: &str) -> sqlx::SqlitePool {
    let options = SqliteConnectOptions::from_str(url)
        .expect("SQLite URL")
        .busy_timeout(Duration::from_secs(10));
    SqlitePoolOptions::new()
        .max_connections(4)
        .connect_with(options)
        .await
        .expect("open SQLite file")
}

// ---------------------------------------------------------------------------
// The migrator binary as a child process

/// The path of the migrator binary (`tests/bin/upgrade.rs`).
pub fn migrator_binary() -> &'static str {
    env!("CARGO_BIN_EXE_migrate-test-upgrade")
}

/// A running migrator process; its stdout lines are collected as they come.
pub struct Running {
    child: Child,
    lines: Receiver<String>,
    seen: Vec<String>,
    stdout: Option<JoinHandle<()>>,
    stderr: Option<JoinHandle<String>>,
}

/// How a migrator process ended.
#[derive(Debug)]
pub struct Finished {
    pub status: ExitStatus,
    /// Whether it was still running when it was killed.
    pub killed: bool,
    pub stdout: Vec<String>,
    pub stderr: String,
}

impl Finished {
    /// `done <revision>` lines (`--progress`).
    pub fn done(&self) -> Vec<&str> {
        self.stdout
            .iter()
            .filter_map(|l| l.strip_prefix("done "))
            .collect()
    }

    /// The final count of revisions run, when it exited normally.
    pub fn count(&self) -> Option<usize> {
        self.stdout.last().and_then(|l| l.trim().parse().ok())
    }

    pub fn describe(&self) -> String {
        format!(
            "status {:?}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.status,
            self.stdout.join("\n"),
            self.stderr
        )
    }
}

/// Starts `migrate-test-upgrade URL DIR ARGS...`.
pub fn spawn(url: &str, dir: &Path, args: &[&str]) -> Running {
    let mut child = Command::new(migrator_binary())
        .arg(url)
        .arg(dir)
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn the migrator binary");
    let (tx, rx) = std::sync::mpsc::channel();
    let out = child.stdout.take().unwrap();
    let stdout = std::thread::spawn(move || {
        for line in BufReader::new(out).lines() {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut err = child.stderr.take().unwrap();
    let stderr = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err.read_to_string(&mut text);
        text
    });
    Running {
        child,
        lines: rx,
        seen: Vec::new(),
        stdout: Some(stdout),
        stderr: Some(stderr),
    }
}

impl Running {
    /// The process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Waits up to `limit` for a stdout line equal to `line`.
    pub fn wait_for_line(&mut self, line: &str, limit: Duration) -> bool {
        let deadline = Instant::now() + limit;
        if self.seen.iter().any(|l| l == line) {
            return true;
        }
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(l) => {
                    let hit = l == line;
                    self.seen.push(l);
                    if hit {
                        return true;
                    }
                }
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => return false,
            }
        }
    }

    /// SIGKILL (unless it already exited), then collect what it printed.
    pub fn kill(mut self) -> Finished {
        let killed = matches!(self.child.try_wait(), Ok(None));
        if killed {
            let _ = self.child.kill();
        }
        self.collect(killed)
    }

    /// Waits for the process to end.
    pub fn wait(self) -> Finished {
        self.collect(false)
    }

    fn collect(mut self, killed: bool) -> Finished {
        let status = self.child.wait().expect("wait for the migrator");
        if let Some(h) = self.stdout.take() {
            let _ = h.join();
        }
        let mut stdout = std::mem::take(&mut self.seen);
        stdout.extend(self.lines.try_iter());
        let stderr = self.stderr.take().map(|h| h.join().unwrap_or_default());
        Finished {
            status,
            killed: killed && status.code().is_none(),
            stdout,
            stderr: stderr.unwrap_or_default(),
        }
    }
}

impl Running {
    /// Waits up to `limit` for the process to end; kills it and panics
    /// with what it printed if it is still running then (a hang).
    pub fn wait_limit(mut self, limit: Duration, what: &str) -> Finished {
        let deadline = Instant::now() + limit;
        loop {
            match self.child.try_wait() {
                Ok(Some(_)) => return self.collect(false),
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                _ => {
                    let finished = self.kill();
                    panic!(
                        "{what}: the migrator was still running {limit:?} after the fault (a hang)\n{}",
                        finished.describe()
                    );
                }
            }
        }
    }
}

// ---------------------------------------------------------------------------
// Servers of a test's own, and faults between client and server

/// Environment variable: the first TCP port of the servers and proxies the
/// fault tests start for themselves (default 55470; they use up to 20 ports
/// from there).
pub const FAULTS_PORT_ENV: &str = "MIGRATE_FAULTS_PORT";

/// `MIGRATE_FAULTS_PORT` plus `offset`.
pub fn faults_port(offset: u16) -> u16 {
    let base: u16 = std::env::var(FAULTS_PORT_ENV)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(55470);
    base + offset
}

/// A PostgreSQL server of one test's own, started by `scripts/pg.sh` with
/// its own data directory (`/tmp/migrate-faults-<port>`) and port, so that
/// the test may crash and restart it while other tests use the shared one.
/// Stopped when dropped.
pub struct Server {
    dir: std::path::PathBuf,
    port: u16,
    /// The admin URL (holds the test password: never printed).
    pub admin_url: String,
}

impl Server {
    /// Starts (initialising it on first use) the server on
    /// `faults_port(offset)`, with `synchronous_commit = on`: the shared
    /// test server turns it off for speed, which would let a crash lose
    /// commits the client was told about.
    pub async fn start(offset: u16) -> Server {
        let port = faults_port(offset);
        let dir = std::env::temp_dir().join(format!("migrate-faults-{port}"));
        let mut server = Server {
            dir,
            port,
            admin_url: String::new(),
        };
        server.admin_url = server.script("start");
        let admin = sqlx::PgPool::connect(&server.admin_url)
            .await
            .expect("connect to the test's own server");
        for sql in [
            "ALTER SYSTEM SET synchronous_commit = on",
            "SELECT pg_reload_conf()",
        ] {
            sqlx::raw_sql(sql).execute(&admin).await.unwrap();
        }
        loop {
            let mut conn = admin.acquire().await.unwrap();
            let on: String = sqlx::query_scalar("SELECT current_setting('synchronous_commit')")
                .fetch_one(&mut *conn)
                .await
                .unwrap();
            conn.detach();
            if on == "on" {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        admin.close().await;
        server
    }

    /// Runs `scripts/pg.sh CMD` for this server; returns its stdout.
    fn script(&self, cmd: &str) -> String {
        let script = migrate_tests::workspace_root().join("scripts/pg.sh");
        let out = Command::new("bash")
            .arg(&script)
            .arg(cmd)
            .env("MIGRATE_PG_DIR", &self.dir)
            .env("MIGRATE_PG_PORT", self.port.to_string())
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/pg.sh");
        assert!(
            out.status.success(),
            "`scripts/pg.sh {cmd}` for the server on port {} failed ({}); install the \
             PostgreSQL server binaries with `apt-get install -y postgresql`, or choose \
             free ports with {FAULTS_PORT_ENV}:\n{}",
            self.port,
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    }

    /// `pg_ctl stop -m immediate`: every server process ends at once, with
    /// no checkpoint; the next start runs crash recovery.
    pub fn crash(&self) {
        // What `pg_ctl stop -m immediate` does, without the script's start-up
        // time, so that the fault lands where it was aimed: SIGQUIT to the
        // postmaster. `pg.sh crash` then waits for it to be gone.
        let pid_file = self.dir.join("data/postmaster.pid");
        let pid: i32 = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|text| text.lines().next()?.trim().parse().ok())
            .unwrap_or_else(|| panic!("no server running: {} unreadable", pid_file.display()));
        let status = Command::new("kill")
            .args(["-QUIT", &pid.to_string()])
            .status()
            .expect("run kill");
        assert!(status.success(), "kill -QUIT {pid} failed");
        self.script("crash");
    }

    /// Starts the server again after [`crash`](Self::crash).
    pub fn restart(&self) {
        self.script("start");
    }

    /// The URL of database `name` on this server.
    pub fn url_of(&self, name: &str) -> String {
        let base = self
            .admin_url
            .rsplit_once('/')
            .map_or(self.admin_url.as_str(), |(base, _)| base);
        format!("{base}/{name}")
    }

    /// Creates database `name` (dropping an older one) and returns its URL
    /// and a pool to it.
    pub async fn fresh_db(&self, name: &str) -> (String, Pool) {
        let admin = sqlx::PgPool::connect(&self.admin_url).await.unwrap();
        for sql in [
            format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"),
            format!("CREATE DATABASE {name}"),
        ] {
            sqlx::raw_sql(&sql).execute(&admin).await.unwrap();
        }
        admin.close().await;
        let url = self.url_of(name);
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(4)
            .connect(&url)
            .await
            .unwrap();
        (url, Pool::Pg(pool))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = Command::new("bash")
            .arg(migrate_tests::workspace_root().join("scripts/pg.sh"))
            .arg("stop")
            .env("MIGRATE_PG_DIR", &self.dir)
            .env("MIGRATE_PG_PORT", self.port.to_string())
            .stdin(Stdio::null())
            .output();
    }
}

/// The port of a `postgres://…@host:PORT/…` URL.
pub fn url_port(url: &str) -> u16 {
    let after_at = &url[url.rfind('@').expect("a URL with user info") + 1..];
    let host_port = after_at.split(['/', '?']).next().unwrap();
    host_port
        .rsplit_once(':')
        .and_then(|(_, p)| p.parse().ok())
        .expect("a URL with a port")
}

/// `url` with its port replaced.
pub fn with_port(url: &str, port: u16) -> String {
    let old = url_port(url);
    let at = url.rfind('@').unwrap();
    let (head, tail) = url.split_at(at);
    format!(
        "{head}{}",
        tail.replacen(&format!(":{old}"), &format!(":{port}"), 1)
    )
}

/// `url` with `key=value` added to its query.
pub fn with_param(url: &str, key: &str, value: &str) -> String {
    let sep = if url.contains('?') { '&' } else { '?' };
    format!("{url}{sep}{key}={value}")
}

/// A TCP proxy on 127.0.0.1 in front of a server, whose connections the
/// test can cut at once: both sides are shut down, as when a network path
/// or a load balancer drops them. Threads of its own; stops when dropped.
pub struct Proxy {
    port: u16,
    pairs: std::sync::Arc<std::sync::Mutex<Vec<(std::net::TcpStream, std::net::TcpStream)>>>,
    stop: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl Proxy {
    pub fn start(upstream_port: u16) -> Proxy {
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the proxy");
        let port = listener.local_addr().unwrap().port();
        let pairs = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let (pairs2, stop2) = (pairs.clone(), stop.clone());
        std::thread::spawn(move || {
            for client in listener.incoming() {
                if stop2.load(std::sync::atomic::Ordering::SeqCst) {
                    break;
                }
                let Ok(client) = client else { continue };
                let Ok(server) = TcpStream::connect(("127.0.0.1", upstream_port)) else {
                    continue;
                };
                let _ = client.set_nodelay(true);
                let _ = server.set_nodelay(true);
                let pipe = |mut from: TcpStream, mut to: TcpStream| {
                    std::thread::spawn(move || {
                        let _ = std::io::copy(&mut from, &mut to);
                        let _ = to.shutdown(std::net::Shutdown::Write);
                    });
                };
                pipe(client.try_clone().unwrap(), server.try_clone().unwrap());
                pipe(server.try_clone().unwrap(), client.try_clone().unwrap());
                let mut pairs = pairs2.lock().unwrap();
                pairs.retain(|(c, _): &(TcpStream, TcpStream)| c.peer_addr().is_ok());
                pairs.push((client, server));
            }
        });
        Proxy { port, pairs, stop }
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Shuts down every connection passing through; returns how many.
    pub fn cut(&self) -> usize {
        let mut pairs = self.pairs.lock().unwrap();
        let n = pairs.len();
        for (client, server) in pairs.drain(..) {
            let _ = client.shutdown(std::net::Shutdown::Both);
            let _ = server.shutdown(std::net::Shutdown::Both);
        }
        n
    }
}

impl Drop for Proxy {
    fn drop(&mut self) {
        self.stop.store(true, std::sync::atomic::Ordering::SeqCst);
        self.cut();
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}
