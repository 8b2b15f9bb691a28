//! A database of its own for each test, already at a revision, copied from
//! a template migrated once per migration set: what `#[migrate_runtime::test]`
//! gives a test, usable by hand too.
//!
//! - **PostgreSQL**: the server is the attribute's `server = …` (an
//!   expression giving its URL, for a harness that starts its own), else
//!   `MIGRATE_TEST_DATABASE_URL`, else `DATABASE_URL`; its role must be
//!   allowed to create databases. Without one, the test fails saying so. A template database
//!   per (migration set, project, target) is created and migrated once, under
//!   an advisory lock, so parallel tests and test binaries share it, and
//!   marked `IS_TEMPLATE`; each test gets `CREATE DATABASE … TEMPLATE` and
//!   loses it afterwards (`DROP DATABASE … WITH (FORCE)`). Templates of the
//!   same project's older migration sets are dropped when a new one is made.
//! - **SQLite**: the template is a file migrated once into the system's
//!   temporary directory (written beside its final name, then renamed, so a
//!   reader never sees half of it); each test gets a copy, removed afterwards.
//!
//! `MIGRATE_TEST_KEEP=1` keeps each test's database and prints where it is.
//!
//! ```no_run
//! # static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("../migrations", require_build_script = false);
//! # async fn f() -> Result<(), migrate_runtime::test_db::TestDbError> {
//! use migrate_runtime::test_db::TestDb;
//! let db = TestDb::<sqlx::PgPool>::create(&MIGRATOR, "head").await?;
//! sqlx::query("SELECT 1").execute(db.pool()).await.unwrap();
//! db.finish().await;
//! # Ok(()) }
//! ```

use std::future::Future;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::migrator::Migrator;
use crate::url::DatabaseUrl;

/// Why a test database could not be made.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TestDbError {
    /// No PostgreSQL server to make databases on.
    #[error(
        "no PostgreSQL server for the test databases: set MIGRATE_TEST_DATABASE_URL (or DATABASE_URL) to a server where this role may create databases, e.g. postgres://user:password@localhost/postgres"
    )]
    NoServer,
    /// The migration run that builds the template failed.
    #[error("migrating the template database {template} to {target}: {source}")]
    Migrate {
        /// The template.
        template: String,
        /// The target it was migrated to.
        target: String,
        /// What failed.
        #[source]
        source: Box<crate::Error>,
    },
    /// A statement on the server or a file operation failed.
    #[error("{doing} ({url}): {message}")]
    Setup {
        /// What was being done.
        doing: String,
        /// The server or file, password redacted.
        url: String,
        /// The error.
        message: String,
    },
}

/// A pool type a test database can be made for: `sqlx::PgPool` or
/// `sqlx::SqlitePool`.
pub trait TestPool: crate::Database + Clone + Send + Sync + Sized + 'static {
    #[doc(hidden)]
    fn __create(
        migrator: &Migrator,
        target: &str,
        server: Option<&str>,
    ) -> impl Future<Output = Result<TestDb<Self>, TestDbError>> + Send;
    /// Closes the pool and removes the database; with `later`, the
    /// removal may go on after this returns, off the test's time (it is
    /// over before the process exits).
    #[doc(hidden)]
    fn __finish(db: &mut TestDb<Self>, later: bool) -> impl Future<Output = ()> + Send;
}

/// One test's database: its pool, and where it is. [`finish`](TestDb::finish)
/// closes the pool and removes the database (unless `MIGRATE_TEST_KEEP` is
/// set).
pub struct TestDb<P> {
    pool: P,
    /// The database's name (PostgreSQL) or file (SQLite).
    name: String,
    /// The template it was copied from.
    template: String,
    /// The server's URL, for the drop (PostgreSQL).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    server: Option<DatabaseUrl>,
    /// The connection to the server that made the database and drops it.
    #[cfg(feature = "postgres")]
    admin: Option<sqlx::PgConnection>,
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    file: Option<PathBuf>,
    finished: bool,
}

impl<P> std::fmt::Debug for TestDb<P> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TestDb").field("name", &self.name).finish()
    }
}

impl<P: TestPool> TestDb<P> {
    /// A new database at `target` (`head`, a revision id, …) for one test,
    /// on the server `MIGRATE_TEST_DATABASE_URL` or `DATABASE_URL` names
    /// (PostgreSQL).
    pub async fn create(migrator: &Migrator, target: &str) -> Result<TestDb<P>, TestDbError> {
        P::__create(migrator, target, None).await
    }

    /// [`create`](TestDb::create) on the server `url` (PostgreSQL; SQLite
    /// ignores it).
    pub async fn create_on(
        migrator: &Migrator,
        target: &str,
        url: &str,
    ) -> Result<TestDb<P>, TestDbError> {
        P::__create(migrator, target, Some(url)).await
    }

    /// Closes the pool and removes the database, or keeps it and prints
    /// where it is when `MIGRATE_TEST_KEEP` is set.
    pub async fn finish(mut self) {
        P::__finish(&mut self, false).await;
        self.finished = true;
    }

    /// [`finish`](TestDb::finish), with the PostgreSQL database dropped by
    /// a thread of its own while the next test starts; every drop is over
    /// before the process exits. What `#[migrate_runtime::test]` does.
    #[doc(hidden)]
    pub async fn __finish_later(mut self) {
        P::__finish(&mut self, true).await;
        self.finished = true;
    }
}

impl<P> TestDb<P> {
    /// The test's pool.
    pub fn pool(&self) -> &P {
        &self.pool
    }

    /// The database's name (PostgreSQL) or file path (SQLite).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The template it was copied from: a database name (PostgreSQL) or
    /// file path (SQLite).
    pub fn template(&self) -> &str {
        &self.template
    }
}

/// The PostgreSQL server's URL: `explicit`, else the first of
/// `MIGRATE_TEST_DATABASE_URL` and `DATABASE_URL` that `env` has, non-empty
/// and naming PostgreSQL.
#[cfg_attr(not(feature = "postgres"), allow(dead_code))]
fn server_url(explicit: Option<&str>, env: impl Fn(&str) -> Option<String>) -> Option<String> {
    let postgres = |u: &String| u.starts_with("postgres://") || u.starts_with("postgresql://");
    explicit
        .map(str::to_owned)
        .or_else(|| env("MIGRATE_TEST_DATABASE_URL").filter(postgres))
        .or_else(|| env("DATABASE_URL").filter(postgres))
}

fn keep() -> bool {
    std::env::var_os("MIGRATE_TEST_KEEP").is_some_and(|v| !v.is_empty() && v != "0")
}

/// FNV-1a of `parts`, each ended by a NUL so that no two lists of parts
/// hash alike by joining differently.
fn fnv(parts: &[&str]) -> u64 {
    crate::backend::fnv1a(
        parts
            .iter()
            .flat_map(|part| part.bytes().chain(std::iter::once(0))),
    )
}

/// `(project, set, target)` keys of a template: the project is the
/// migrator's roots and history table (the same across new revisions), the
/// set every revision with its checksum, the target the revisions it
/// resolves to.
fn template_keys(migrator: &Migrator, target: &str) -> Result<(u32, u64, u32), TestDbError> {
    let setup = |message: String| TestDbError::Setup {
        doing: format!("resolving the target `{target}`"),
        url: "the migrations".into(),
        message,
    };
    let graph = migrator.graph().map_err(|e| setup(e.to_string()))?;
    let parsed = migrate_core::Target::parse(target).map_err(|e| setup(e.to_string()))?;
    let all = vec![true; graph.len()];
    let resolved = graph
        .resolve(&parsed, &all)
        .map_err(|e| setup(e.to_string()))?;
    let mut ids: Vec<&str> = resolved.iter().map(|&i| graph.id(i)).collect();
    ids.sort_unstable();
    let mut roots: Vec<&str> = migrator
        .revisions()
        .iter()
        .filter(|r| r.parents().is_empty())
        .map(|r| r.id())
        .collect();
    roots.sort_unstable();
    roots.push(migrator.version_table());
    let project = fnv(&roots) as u32;
    // The definitions' checksums too: a changed definition is a new set.
    let definitions: Vec<&str> = migrator
        .definitions()
        .iter()
        .flat_map(|d| [d.name(), d.checksum()])
        .collect();
    let mut set_parts = vec![migrator.expected_by_id(), migrator.version_table()];
    set_parts.extend(definitions);
    let set = fnv(&set_parts);
    let target = fnv(&ids) as u32;
    Ok((project, set, target))
}

/// A name no other test of any process uses.
fn unique_suffix() -> String {
    static COUNTER: AtomicU64 = AtomicU64::new(0);
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.subsec_nanos());
    format!(
        "{}_{}_{nanos:08x}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    )
}

#[cfg(feature = "postgres")]
mod postgres {
    use std::time::Duration;

    use sqlx::{Connection, PgConnection, PgPool};

    use super::{TestDb, TestDbError, TestPool, keep, template_keys, unique_suffix};
    use crate::migrator::Migrator;
    use crate::url::DatabaseUrl;

    fn server(explicit: Option<&str>) -> Result<DatabaseUrl, TestDbError> {
        super::server_url(explicit, |name| std::env::var(name).ok())
            .map(DatabaseUrl::new)
            .ok_or(TestDbError::NoServer)
    }

    fn setup_error(
        url: &DatabaseUrl,
        doing: impl Into<String>,
    ) -> impl FnOnce(sqlx::Error) -> TestDbError + '_ {
        let doing = doing.into();
        move |e| TestDbError::Setup {
            doing,
            url: url.redacted(),
            message: e.to_string(),
        }
    }

    /// The server's connection options, for `database` when given.
    fn options(
        url: &DatabaseUrl,
        database: Option<&str>,
    ) -> Result<sqlx::postgres::PgConnectOptions, TestDbError> {
        let options = url.pg_connect_options().map_err(|e| TestDbError::Setup {
            doing: "reading the server's URL".into(),
            url: url.redacted(),
            message: e.to_string(),
        })?;
        Ok(match database {
            Some(database) => options.database(database),
            None => options,
        })
    }

    /// A connection to the server's own database (the URL's).
    async fn connect(url: &DatabaseUrl) -> Result<PgConnection, TestDbError> {
        PgConnection::connect_with(&options(url, None)?)
            .await
            .map_err(setup_error(url, "connecting to the test server"))
    }

    /// Runs SQL text with no arguments (the simple protocol). Calling
    /// `execute` outside the async block keeps the future `Send`.
    fn exec<'c>(
        conn: &'c mut PgConnection,
        sql: &'c str,
    ) -> impl std::future::Future<Output = Result<(), sqlx::Error>> + Send + 'c {
        let run = sqlx::Executor::execute(conn, sql);
        async move { run.await.map(drop) }
    }

    /// Whether the template exists (`Some`) and is complete (`true`).
    async fn template_state(
        conn: &mut PgConnection,
        name: &str,
    ) -> Result<Option<bool>, sqlx::Error> {
        sqlx::query_scalar::<_, bool>("SELECT datistemplate FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(conn)
            .await
    }

    /// `MIGRATE_TEST_STRATEGY`: how PostgreSQL 15+ copies the template
    /// (`wal_log`, its default, or `file_copy`), as a `CREATE DATABASE`
    /// clause; empty when unset (the server's default, any version).
    fn strategy() -> Result<&'static str, TestDbError> {
        match std::env::var("MIGRATE_TEST_STRATEGY").ok().as_deref() {
            None | Some("") => Ok(""),
            Some(s) if s.eq_ignore_ascii_case("wal_log") => Ok(" STRATEGY WAL_LOG"),
            Some(s) if s.eq_ignore_ascii_case("file_copy") => Ok(" STRATEGY FILE_COPY"),
            Some(other) => Err(TestDbError::Setup {
                doing: "reading MIGRATE_TEST_STRATEGY".into(),
                url: "the environment".into(),
                message: format!(
                    "`{}` is not a strategy; use wal_log or file_copy",
                    migrate_core::escape_control(other)
                ),
            }),
        }
    }

    /// The template's name for `migrator` at `target`, and the prefix of
    /// the project's templates with its set's key.
    fn template_name(
        migrator: &Migrator,
        target: &str,
    ) -> Result<(String, String, u64), TestDbError> {
        let (project, set, target_key) = template_keys(migrator, target)?;
        let prefix = format!("migrate_tpl_{project:08x}_");
        Ok((format!("{prefix}{set:016x}_{target_key:08x}"), prefix, set))
    }

    /// Makes sure the template exists and is complete; returns its name.
    async fn template(
        url: &DatabaseUrl,
        conn: &mut PgConnection,
        migrator: &Migrator,
        target: &str,
    ) -> Result<String, TestDbError> {
        let (name, prefix, set) = template_name(migrator, target)?;
        if template_state(conn, &name)
            .await
            .map_err(setup_error(url, "looking for the template"))?
            == Some(true)
        {
            return Ok(name);
        }
        // One process builds it; the others wait, then find it ready.
        let key = super::fnv(&["migrate template", &name]) as i64;
        sqlx::query("SELECT pg_advisory_lock($1)")
            .bind(key)
            .execute(&mut *conn)
            .await
            .map_err(setup_error(url, "waiting for the template's lock"))?;
        let built = build_template(url, conn, migrator, target, &name, &prefix, set).await;
        let _ = sqlx::query("SELECT pg_advisory_unlock($1)")
            .bind(key)
            .execute(&mut *conn)
            .await;
        built.map(|()| name)
    }

    /// The steps of [`template`] under its lock.
    async fn build_template(
        url: &DatabaseUrl,
        conn: &mut PgConnection,
        migrator: &Migrator,
        target: &str,
        name: &str,
        prefix: &str,
        set: u64,
    ) -> Result<(), TestDbError> {
        match template_state(conn, name)
            .await
            .map_err(setup_error(url, "looking for the template"))?
        {
            Some(true) => return Ok(()),
            // A builder died part-way: start again.
            Some(false) => drop_template(url, conn, name).await?,
            None => {}
        }
        exec(
            conn,
            &format!("CREATE DATABASE {}", migrate_core::quote_ident_always(name)),
        )
        .await
        .map_err(setup_error(
            url,
            format!("creating the template database {name}"),
        ))?;
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .connect_with(options(url, Some(name))?)
            .await
            .map_err(setup_error(
                url,
                format!("connecting to the template {name}"),
            ))?;
        let migrated = migrator.upgrade(&pool, target).await;
        pool.close().await;
        migrated.map_err(|source| TestDbError::Migrate {
            template: name.to_owned(),
            target: target.to_owned(),
            source: Box::new(source),
        })?;
        exec(
            conn,
            &format!(
                "ALTER DATABASE {} IS_TEMPLATE true",
                migrate_core::quote_ident_always(name)
            ),
        )
        .await
        .map_err(setup_error(url, format!("marking {name} as a template")))?;
        // The same project's templates of other migration sets are stale.
        let stale: Vec<String> = sqlx::query_scalar(
            "SELECT datname::text FROM pg_database WHERE starts_with(datname, $1) AND NOT starts_with(datname, $2)",
        )
        .bind(prefix)
        .bind(format!("{prefix}{set:016x}_"))
        .fetch_all(&mut *conn)
        .await
        .unwrap_or_default();
        for old in stale {
            // In use by a test binary of that older set: left for later.
            let _ = drop_template(url, conn, &old).await;
        }
        Ok(())
    }

    /// A template: unmarked first (PostgreSQL refuses to drop a template).
    async fn drop_template(
        url: &DatabaseUrl,
        conn: &mut PgConnection,
        name: &str,
    ) -> Result<(), TestDbError> {
        let _ = exec(
            conn,
            &format!(
                "ALTER DATABASE {} IS_TEMPLATE false",
                migrate_core::quote_ident_always(name)
            ),
        )
        .await;
        drop_database(url, conn, name).await
    }

    async fn drop_database(
        url: &DatabaseUrl,
        conn: &mut PgConnection,
        name: &str,
    ) -> Result<(), TestDbError> {
        exec(
            conn,
            &format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                migrate_core::quote_ident_always(name)
            ),
        )
        .await
        .map_err(setup_error(url, format!("dropping the database {name}")))
    }

    /// Waits until no session is connected to `name`. The pool's sessions
    /// end on the server a moment after the pool closes, and one still being
    /// handed back to the pool when it closed may stay open; a DROP that
    /// finds one waits in steps of 100 ms. So this waits in steps of 2 ms,
    /// ending the sessions left after 20 ms (all the test's own; an
    /// autovacuum worker there is ended by the DROP), for at most 5 s.
    async fn wait_for_sessions(conn: &mut PgConnection, name: &str) {
        const LEFT: &str =
            "FROM pg_stat_activity WHERE datname = $1 AND backend_type = 'client backend'";
        let started = std::time::Instant::now();
        let mut ended = false;
        while started.elapsed() < Duration::from_secs(5) {
            let left: Result<i64, _> = sqlx::query_scalar(&format!("SELECT count(*) {LEFT}"))
                .bind(name)
                .fetch_one(&mut *conn)
                .await;
            if !matches!(left, Ok(n) if n > 0) {
                return;
            }
            if !ended && started.elapsed() > Duration::from_millis(20) {
                ended = true;
                let _ = sqlx::query(&format!("SELECT pg_terminate_backend(pid) {LEFT}"))
                    .bind(name)
                    .execute(&mut *conn)
                    .await;
            }
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    }

    /// Runs `create` (a `CREATE DATABASE … TEMPLATE`), again while a
    /// session that just left the template (its builder's) is still seen:
    /// "being accessed by other users".
    async fn create_retrying(conn: &mut PgConnection, create: &str) -> Result<(), sqlx::Error> {
        let mut attempt = 0;
        loop {
            match exec(conn, create).await {
                Err(sqlx::Error::Database(e))
                    if e.code().as_deref() == Some("55006") && attempt < 50 =>
                {
                    attempt += 1;
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
                other => return other,
            }
        }
    }

    /// The test's pool on the new database `name`.
    async fn open(
        url: DatabaseUrl,
        name: String,
        template: String,
        admin: Option<PgConnection>,
    ) -> Result<TestDb<PgPool>, TestDbError> {
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(5)
            .connect_with(options(&url, Some(&name))?)
            .await
            .map_err(setup_error(
                &url,
                format!("connecting to the test database {name}"),
            ))?;
        Ok(TestDb {
            pool,
            name,
            template,
            server: Some(url),
            admin,
            file: None,
            finished: false,
        })
    }

    /// Makes the test databases of templates this process has seen
    /// complete, on a thread of its own with one connection kept per
    /// server: a test then neither connects to the server's own database
    /// nor looks the template up.
    #[cfg(unix)]
    mod creator {
        use std::collections::HashSet;
        use std::sync::mpsc;
        use std::sync::{Mutex, OnceLock};

        use sqlx::{Connection, PgConnection};

        use crate::url::DatabaseUrl;

        type Reply = tokio::sync::oneshot::Sender<Result<(), sqlx::Error>>;
        type Job = (DatabaseUrl, String, Reply);

        /// (server, template) pairs seen complete.
        fn ready() -> &'static Mutex<HashSet<(String, String)>> {
            static READY: OnceLock<Mutex<HashSet<(String, String)>>> = OnceLock::new();
            READY.get_or_init(Mutex::default)
        }

        pub(super) fn is_ready(url: &DatabaseUrl, template: &str) -> bool {
            ready()
                .lock()
                .is_ok_and(|set| set.contains(&(url.expose().to_owned(), template.to_owned())))
        }

        pub(super) fn set_ready(url: &DatabaseUrl, template: &str) {
            if let Ok(mut set) = ready().lock() {
                set.insert((url.expose().to_owned(), template.to_owned()));
            }
        }

        pub(super) fn forget(url: &DatabaseUrl, template: &str) {
            if let Ok(mut set) = ready().lock() {
                set.remove(&(url.expose().to_owned(), template.to_owned()));
            }
        }

        fn jobs() -> Option<mpsc::Sender<Job>> {
            static JOBS: OnceLock<Option<Mutex<mpsc::Sender<Job>>>> = OnceLock::new();
            JOBS.get_or_init(|| {
                let (send, receive) = mpsc::channel::<Job>();
                std::thread::Builder::new()
                    .name("migrate-test-db-creator".into())
                    .spawn(move || work(receive))
                    .ok()
                    .map(|_| Mutex::new(send))
            })
            .as_ref()
            .and_then(|m| m.lock().ok().map(|s| s.clone()))
        }

        /// Runs `create` on the thread; `None` when the thread is not there
        /// (the caller makes the database itself).
        pub(super) async fn create(
            url: &DatabaseUrl,
            create: &str,
        ) -> Option<Result<(), sqlx::Error>> {
            let (reply, answer) = tokio::sync::oneshot::channel();
            jobs()?.send((url.clone(), create.to_owned(), reply)).ok()?;
            answer.await.ok()
        }

        async fn connect(url: &DatabaseUrl) -> Result<PgConnection, sqlx::Error> {
            let options = url
                .pg_connect_options()
                .map_err(|e| sqlx::Error::Configuration(e.to_string().into()))?;
            PgConnection::connect_with(&options).await
        }

        /// The connection, not the statement, failed.
        fn is_connection_lost<T>(result: &Result<T, sqlx::Error>) -> bool {
            matches!(
                result,
                Err(sqlx::Error::Io(_) | sqlx::Error::Protocol(_) | sqlx::Error::Tls(_))
            )
        }

        fn work(jobs: mpsc::Receiver<Job>) {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                return;
            };
            let mut admin: Option<(DatabaseUrl, PgConnection)> = None;
            for (url, create, reply) in jobs {
                let result = rt.block_on(async {
                    let kept = match admin.take() {
                        Some((server, conn)) if server == url => Some(conn),
                        Some((_, conn)) => {
                            let _ = conn.close().await;
                            None
                        }
                        None => None,
                    };
                    // A kept connection the server has since closed (a
                    // restart, an idle timeout) fails at once: then once
                    // more on a new one.
                    let retry_fresh = kept.is_some();
                    let mut conn = match kept {
                        Some(conn) => conn,
                        None => connect(&url).await?,
                    };
                    let mut created = super::create_retrying(&mut conn, &create).await;
                    if retry_fresh && is_connection_lost(&created) {
                        conn = connect(&url).await?;
                        created = super::create_retrying(&mut conn, &create).await;
                    }
                    if !is_connection_lost(&created) {
                        admin = Some((url.clone(), conn));
                    }
                    created
                });
                let _ = reply.send(result);
            }
        }
    }

    impl TestPool for PgPool {
        async fn __create(
            migrator: &Migrator,
            target: &str,
            server_url: Option<&str>,
        ) -> Result<TestDb<PgPool>, TestDbError> {
            let url = server(server_url)?;
            let name = format!("migrate_test_{}", unique_suffix());
            let (template, _, _) = template_name(migrator, target)?;
            let create = format!(
                "CREATE DATABASE {} TEMPLATE {}{}",
                migrate_core::quote_ident_always(&name),
                migrate_core::quote_ident_always(&template),
                strategy()?
            );
            let creating = |e| setup_error(&url, format!("creating the test database {name}"))(e);
            // A template this process has seen complete: the copy is made
            // on the creating thread's connection, kept from test to test.
            #[cfg(unix)]
            if creator::is_ready(&url, &template) {
                match creator::create(&url, &create).await {
                    Some(Ok(())) => return open(url, name, template, None).await,
                    // Dropped since (a newer set's run removes older ones):
                    // the long way, which builds it again.
                    Some(Err(sqlx::Error::Database(e))) if e.code().as_deref() == Some("3D000") => {
                        creator::forget(&url, &template);
                    }
                    Some(Err(e)) => return Err(creating(e)),
                    None => {}
                }
            }
            let mut conn = connect(&url).await?;
            let template = self::template(&url, &mut conn, migrator, target).await?;
            create_retrying(&mut conn, &create)
                .await
                .map_err(creating)?;
            #[cfg(unix)]
            creator::set_ready(&url, &template);
            open(url, name, template, Some(conn)).await
        }

        async fn __finish(db: &mut TestDb<PgPool>, later: bool) {
            db.pool.close().await;
            let Some(url) = &db.server else { return };
            if keep() {
                eprintln!("kept test database {} on {}", db.name, url.redacted());
                return;
            }
            #[cfg(unix)]
            if later {
                // The connection belongs to the test's runtime, which ends
                // with the test: the dropper makes its own.
                if let Some(conn) = db.admin.take() {
                    let _ = conn.close().await;
                }
                dropper::enqueue(url.clone(), db.name.clone());
                return;
            }
            #[cfg(not(unix))]
            let _ = later;
            let mut admin = db.admin.take();
            let dropped = drop_now(url, &mut admin, &db.name).await;
            if let Some(conn) = admin {
                let _ = conn.close().await;
            }
            if let Err(e) = dropped {
                left_behind(url, &db.name, &e);
            }
        }
    }

    /// Waits for the test's sessions to end, then drops the database, on
    /// `admin` (connected first when `None`).
    async fn drop_now(
        url: &DatabaseUrl,
        admin: &mut Option<PgConnection>,
        name: &str,
    ) -> Result<(), TestDbError> {
        if admin.is_none() {
            *admin = Some(connect(url).await?);
        }
        let Some(conn) = admin.as_mut() else {
            return Ok(());
        };
        wait_for_sessions(conn, name).await;
        drop_database(url, conn, name).await
    }

    fn left_behind(url: &DatabaseUrl, name: &str, e: &TestDbError) {
        eprintln!(
            "the test database {name} was left on {}: {e}; drop it by hand (DROP DATABASE \"{name}\")",
            url.redacted(),
        );
    }

    #[cfg(unix)]
    pub(super) fn wait_for_drops() {
        dropper::wait(Duration::from_secs(60));
    }

    /// Drops test databases on a thread of its own, one after the other,
    /// so that a test does not wait for its database's removal (a third of
    /// its set-up and tear-down with a large schema). The process waits
    /// for the queue at exit (`atexit`), at most 60 s.
    #[cfg(unix)]
    mod dropper {
        use std::collections::VecDeque;
        use std::sync::{Condvar, Mutex, OnceLock};
        use std::time::{Duration, Instant};

        use sqlx::{Connection, PgConnection};

        use crate::url::DatabaseUrl;

        #[derive(Default)]
        struct Queue {
            jobs: VecDeque<(DatabaseUrl, String)>,
            /// A job taken and not done yet.
            busy: bool,
            /// The thread could not start: drops are done in place.
            broken: bool,
        }

        fn state() -> &'static (Mutex<Queue>, Condvar) {
            static STATE: OnceLock<(Mutex<Queue>, Condvar)> = OnceLock::new();
            STATE.get_or_init(|| {
                let started = std::thread::Builder::new()
                    .name("migrate-test-db-dropper".into())
                    .spawn(work)
                    .is_ok();
                // SAFETY: `at_exit` is a plain function that never unwinds.
                let registered = started && unsafe { libc::atexit(at_exit) } == 0;
                let queue = Queue {
                    broken: !started || !registered,
                    ..Queue::default()
                };
                (Mutex::new(queue), Condvar::new())
            })
        }

        /// Queues the drop of `name` on `url`'s server.
        pub(super) fn enqueue(url: DatabaseUrl, name: String) {
            let (lock, ready) = state();
            let Ok(mut queue) = lock.lock() else { return };
            if queue.broken {
                drop(queue);
                drop_in_place(&url, &name);
                return;
            }
            queue.jobs.push_back((url, name));
            ready.notify_all();
        }

        /// Without the thread: a runtime of its own on this thread.
        fn drop_in_place(url: &DatabaseUrl, name: &str) {
            let url = url.clone();
            let name = name.to_owned();
            // The caller may be inside a runtime: block on another thread.
            let _ = std::thread::spawn(move || {
                if let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                {
                    rt.block_on(async {
                        let mut admin = None;
                        if let Err(e) = super::drop_now(&url, &mut admin, &name).await {
                            super::left_behind(&url, &name, &e);
                        }
                        if let Some(conn) = admin {
                            let _ = conn.close().await;
                        }
                    });
                }
            })
            .join();
        }

        fn work() {
            let Ok(rt) = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            else {
                let (lock, _) = state();
                if let Ok(mut queue) = lock.lock() {
                    queue.broken = true;
                }
                return;
            };
            // One connection kept per server, for the drops in a row.
            let mut admin: Option<(DatabaseUrl, PgConnection)> = None;
            let (lock, ready) = state();
            loop {
                let (url, name) = {
                    let Ok(mut queue) = lock.lock() else { return };
                    loop {
                        if let Some(job) = queue.jobs.pop_front() {
                            queue.busy = true;
                            break job;
                        }
                        queue = match ready.wait(queue) {
                            Ok(q) => q,
                            Err(_) => return,
                        };
                    }
                };
                rt.block_on(async {
                    let mut conn = match admin.take() {
                        Some((server, conn)) if server == url => Some(conn),
                        Some((_, conn)) => {
                            let _ = conn.close().await;
                            None
                        }
                        None => None,
                    };
                    // A kept connection the server has since closed is
                    // replaced (drop_now connects when there is none).
                    if let Some(c) = conn.as_mut()
                        && c.ping().await.is_err()
                    {
                        conn = None;
                    }
                    let dropped = tokio::time::timeout(
                        Duration::from_secs(30),
                        super::drop_now(&url, &mut conn, &name),
                    )
                    .await;
                    match dropped {
                        Ok(Ok(())) => admin = conn.map(|c| (url.clone(), c)),
                        Ok(Err(e)) => super::left_behind(&url, &name, &e),
                        Err(_) => super::left_behind(
                            &url,
                            &name,
                            &super::TestDbError::Setup {
                                doing: format!("dropping the database {name}"),
                                url: url.redacted(),
                                message: "no answer in 30 s".into(),
                            },
                        ),
                    }
                });
                if let Ok(mut queue) = lock.lock() {
                    queue.busy = false;
                }
                ready.notify_all();
            }
        }

        /// Waits until every queued drop is done, at most `limit`.
        pub(crate) fn wait(limit: Duration) {
            let (lock, ready) = state();
            let deadline = Instant::now() + limit;
            let Ok(mut queue) = lock.lock() else { return };
            while !queue.broken && (queue.busy || !queue.jobs.is_empty()) {
                let left = deadline.saturating_duration_since(Instant::now());
                if left.is_zero() {
                    for (url, name) in &queue.jobs {
                        eprintln!(
                            "the test database {name} was left on {}: the process ended before it was dropped; drop it by hand (DROP DATABASE \"{name}\")",
                            url.redacted()
                        );
                    }
                    return;
                }
                queue = match ready.wait_timeout(queue, left) {
                    Ok((q, _)) => q,
                    Err(_) => return,
                };
            }
        }

        extern "C" fn at_exit() {
            wait(Duration::from_secs(60));
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use std::path::{Path, PathBuf};

    use sqlx::SqlitePool;
    use sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};

    use super::{TestDb, TestDbError, TestPool, keep, template_keys, unique_suffix};
    use crate::migrator::Migrator;

    /// What failed doing `doing` on `path`.
    fn error<E: std::fmt::Display>(path: &Path, doing: &str) -> impl FnOnce(E) -> TestDbError {
        let doing = doing.to_owned();
        let url = path.display().to_string();
        move |e| TestDbError::Setup {
            doing,
            url,
            message: e.to_string(),
        }
    }

    /// The migration lock file a run leaves beside a database file (see
    /// `lock_file`): nobody else ever opens these private files.
    fn remove_lock_file(database: &Path) {
        let _ = std::fs::remove_file(crate::lock_file::path_of(&database.to_string_lossy()));
    }

    fn directory() -> PathBuf {
        std::env::var_os("MIGRATE_TEST_DIR")
            .map(PathBuf::from)
            .unwrap_or_else(|| std::env::temp_dir().join("migrate-test-databases"))
    }

    async fn open(path: &Path, create: bool) -> Result<SqlitePool, TestDbError> {
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(create);
        SqlitePoolOptions::new()
            .max_connections(1)
            .connect_with(options)
            .await
            .map_err(error(path, "opening the SQLite file"))
    }

    async fn template(migrator: &Migrator, target: &str) -> Result<PathBuf, TestDbError> {
        let (project, set, target_key) = template_keys(migrator, target)?;
        let dir = directory();
        std::fs::create_dir_all(&dir).map_err(error(&dir, "creating the test directory"))?;
        let prefix = format!("template_{project:08x}_");
        let path = dir.join(format!("{prefix}{set:016x}_{target_key:08x}.db"));
        if path.exists() {
            return Ok(path);
        }
        // Built beside its name and renamed into place: whoever renames
        // last, the content is the same, and no reader sees half of it.
        let building = dir.join(format!("building_{}.db", unique_suffix()));
        let pool = open(&building, true).await?;
        let migrated = migrator.upgrade(&pool, target).await;
        pool.close().await;
        if let Err(source) = migrated {
            let _ = std::fs::remove_file(&building);
            remove_lock_file(&building);
            return Err(TestDbError::Migrate {
                template: path.display().to_string(),
                target: target.to_owned(),
                source: Box::new(source),
            });
        }
        std::fs::rename(&building, &path).map_err(error(&path, "putting the template in place"))?;
        remove_lock_file(&building);
        // The project's templates of other migration sets are stale.
        let current = format!("{prefix}{set:016x}_");
        if let Ok(entries) = std::fs::read_dir(&dir) {
            for entry in entries.flatten() {
                let name = entry.file_name();
                let name = name.to_string_lossy();
                if name.starts_with(&prefix) && !name.starts_with(&current) {
                    let _ = std::fs::remove_file(entry.path());
                }
            }
        }
        Ok(path)
    }

    impl TestPool for SqlitePool {
        async fn __create(
            migrator: &Migrator,
            target: &str,
            _server: Option<&str>,
        ) -> Result<TestDb<SqlitePool>, TestDbError> {
            let template = template(migrator, target).await?;
            let file = directory().join(format!("test_{}.db", unique_suffix()));
            std::fs::copy(&template, &file).map_err(error(&file, "copying the template"))?;
            let pool = open(&file, false).await?;
            Ok(TestDb {
                pool,
                name: file.display().to_string(),
                template: template.display().to_string(),
                server: None,
                #[cfg(feature = "postgres")]
                admin: None,
                file: Some(file),
                finished: false,
            })
        }

        async fn __finish(db: &mut TestDb<SqlitePool>, _later: bool) {
            db.pool.close().await;
            let Some(file) = &db.file else { return };
            if keep() {
                eprintln!("kept test database {}", file.display());
                return;
            }
            let _ = std::fs::remove_file(file);
            remove_lock_file(file);
        }
    }
}

/// Waits until the test databases queued for dropping are dropped (at
/// most 60 s); the process does it at exit.
#[doc(hidden)]
pub fn __wait_for_drops() {
    #[cfg(all(feature = "postgres", unix))]
    postgres::wait_for_drops();
}

/// What a test function may return: nothing, or a `Result` whose error
/// fails the test.
pub trait TestOutcome {
    #[doc(hidden)]
    fn __into_result(self) -> Result<(), String>;
}

impl TestOutcome for () {
    fn __into_result(self) -> Result<(), String> {
        Ok(())
    }
}

impl<E: std::fmt::Debug> TestOutcome for Result<(), E> {
    fn __into_result(self) -> Result<(), String> {
        self.map_err(|e| format!("{e:?}"))
    }
}

/// What `#[migrate_runtime::test]` expands to: a runtime, the test's
/// database, the body (a panic in it caught so that the database is removed
/// first, then raised again), and the database's removal.
#[doc(hidden)]
pub fn __run_test<P, F, Fut>(
    migrator: &'static Migrator,
    target: &'static str,
    server: Option<String>,
    body: F,
) where
    P: TestPool,
    F: FnOnce(P) -> Fut,
    Fut: Future + Send + 'static,
    Fut::Output: TestOutcome + Send + 'static,
{
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => panic!("starting the test's runtime: {e}"),
    };
    let outcome = runtime.block_on(async move {
        let db = match P::__create(migrator, target, server.as_deref()).await {
            Ok(db) => db,
            Err(e) => return Err(Failure::Setup(e.to_string())),
        };
        let result = tokio::spawn(body(db.pool().clone())).await;
        db.__finish_later().await;
        match result {
            Ok(output) => output.__into_result().map_err(Failure::Returned),
            Err(e) if e.is_panic() => Err(Failure::Panicked(e.into_panic())),
            Err(e) => Err(Failure::Setup(e.to_string())),
        }
    });
    match outcome {
        Ok(()) => {}
        Err(Failure::Setup(message)) => panic!("{message}"),
        Err(Failure::Returned(error)) => panic!("the test returned an error: {error}"),
        Err(Failure::Panicked(payload)) => std::panic::resume_unwind(payload),
    }
}

enum Failure {
    Setup(String),
    Returned(String),
    Panicked(Box<dyn std::any::Any + Send>),
}

impl<P> Drop for TestDb<P> {
    fn drop(&mut self) {
        // Dropped without `finish` (a panic in the caller's own code): the
        // database stays; say where, so it can be removed.
        if !self.finished && !std::thread::panicking() {
            eprintln!(
                "test database {} was not finished; remove it by hand",
                self.name
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_server_is_the_attribute_s_then_the_dedicated_variable_then_database_url() {
        let env = |vars: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                vars.iter()
                    .find(|(k, _)| *k == name)
                    .map(|(_, v)| (*v).to_owned())
            }
        };
        let both: &'static [(&str, &str)] = &[
            ("MIGRATE_TEST_DATABASE_URL", "postgres://a/x"),
            ("DATABASE_URL", "postgres://b/y"),
        ];
        assert_eq!(
            server_url(Some("postgres://c/z"), env(both)).as_deref(),
            Some("postgres://c/z")
        );
        assert_eq!(
            server_url(None, env(both)).as_deref(),
            Some("postgres://a/x")
        );
        // An application's SQLite DATABASE_URL is no test server.
        assert_eq!(
            server_url(None, env(&[("DATABASE_URL", "sqlite://app.db")])),
            None
        );
        assert_eq!(
            server_url(None, env(&[("DATABASE_URL", "postgresql://b/y")])).as_deref(),
            Some("postgresql://b/y")
        );
        assert_eq!(server_url(None, env(&[])), None);
    }

    #[test]
    fn names_hash_their_parts_apart() {
        assert_ne!(fnv(&["ab", "c"]), fnv(&["a", "bc"]));
        assert_eq!(fnv(&["a"]), fnv(&["a"]));
    }
}
