//! The connection pool (PostgreSQL or SQLite, chosen by the URL) and the
//! migration step at start.

use std::time::Duration;

use anyhow::{Context, anyhow, bail};
use migrate_runtime::DatabaseUrl;
use serde::Serialize;
use sqlx::postgres::PgPoolOptions;
use sqlx::sqlite::{SqliteJournalMode, SqlitePoolOptions};
use sqlx::{Connection, PgConnection, PgPool, SqlitePool};

use crate::MIGRATOR;

/// How long to wait for a connection, at start and per request.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// One pool of either database. The runtime takes `&PgPool` or
/// `&SqlitePool`, and the handlers run the same SQL on both through
/// [`on_db!`](crate::on_db).
#[derive(Clone, Debug)]
pub enum Db {
    Postgres(PgPool),
    Sqlite(SqlitePool),
}

/// Runs `$body` with `$pool` bound to the concrete pool. The body is
/// compiled once per database, so sqlx's row and argument types stay
/// concrete in each arm.
#[macro_export]
macro_rules! on_db {
    ($db:expr, $pool:ident => $body:expr) => {
        match $db {
            $crate::db::Db::Postgres($pool) => $body,
            $crate::db::Db::Sqlite($pool) => $body,
        }
    };
}

impl Db {
    /// Connects to the database the URL names; a missing SQLite file is
    /// created. Errors name the URL with its password redacted.
    pub async fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
        let failed = || format!("could not connect to {url}");
        match url.scheme().as_str() {
            "postgres" | "postgresql" => {
                // Checked first: an unknown parameter (`passwd=…`, `SSLMODE=`)
                // is refused instead of logged by the driver and ignored.
                let options = url.pg_connect_options()?;
                // One direct attempt first: a pool retries a refused
                // connection until its timeout and then only says "timed
                // out", where the driver says what is wrong.
                let probe =
                    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(&options))
                        .await
                        .map_err(|_| anyhow!("no answer within {} s", CONNECT_TIMEOUT.as_secs()))
                        .with_context(failed)?
                        .with_context(failed)?;
                let _ = probe.close().await;
                let pool = PgPoolOptions::new()
                    .max_connections(10)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .with_context(failed)?;
                Ok(Db::Postgres(pool))
            }
            "sqlite" => {
                let options = url
                    .sqlite_connect_options()?
                    .create_if_missing(true)
                    // Readers do not wait for the writer; writers wait for
                    // each other (and for a migrator) up to the timeout.
                    .journal_mode(SqliteJournalMode::Wal)
                    .busy_timeout(CONNECT_TIMEOUT)
                    .foreign_keys(true);
                let pool = SqlitePoolOptions::new()
                    .max_connections(5)
                    .acquire_timeout(CONNECT_TIMEOUT)
                    .connect_with(options)
                    .await
                    .with_context(failed)?;
                Ok(Db::Sqlite(pool))
            }
            other => bail!(
                "unsupported database URL scheme `{other}` in {url}; use postgres://… or sqlite://…"
            ),
        }
    }

    /// `postgres` or `sqlite`.
    pub fn backend(&self) -> &'static str {
        match self {
            Db::Postgres(_) => "postgres",
            Db::Sqlite(_) => "sqlite",
        }
    }

    pub async fn close(&self) {
        on_db!(self, pool => pool.close().await);
    }
}

/// Applies every pending embedded revision, and refuses to go on when the
/// database is somewhere this build cannot serve (ahead of it, edited, or
/// half-migrated).
///
/// With nothing pending this is one lock, one read of the history table and
/// a commit: no revision SQL runs, however long the chain.
pub async fn migrate_to_head(db: &Db, url: &DatabaseUrl) -> anyhow::Result<()> {
    // `heads` rather than `head`: the same as `head` while the chain has one
    // head, and it keeps working if an independent labelled branch is added.
    let result = on_db!(db, pool => MIGRATOR.upgrade(pool, "heads").await);
    match result {
        Ok(report) if report.revisions.is_empty() => {
            tracing::info!(
                current = %show_revisions(&report.current),
                elapsed_ms = report.elapsed.as_millis() as u64,
                "database is at head; nothing to apply"
            );
            Ok(())
        }
        Ok(report) => {
            tracing::info!(
                applied = %report.revisions.join(", "),
                current = %show_revisions(&report.current),
                elapsed_ms = report.elapsed.as_millis() as u64,
                "database migrated to head"
            );
            Ok(())
        }
        Err(migrate_runtime::Error::UnknownAppliedRevision { revision }) => Err(anyhow!(
            "{url}: revision {revision} is applied to the database but this build of \
             example-app does not contain it: the database is ahead of this binary, so it \
             refuses to start (nothing was changed); deploy a build that includes {revision}, \
             or use that build to downgrade the database to this build's head \
             (`example-app migrate downgrade {head}`), then start this one again",
            head = binary_heads().join(" ")
        )),
        Err(e) => Err(anyhow::Error::new(e).context(format!(
            "{url}: cannot bring the database to head, so example-app refuses to start"
        ))),
    }
}

/// `/db-test`'s view of the database.
#[derive(Debug, Serialize)]
pub struct Status {
    /// `reachable` (the only value of a 200 answer).
    pub database: &'static str,
    pub backend: &'static str,
    /// The revisions the database is at (its heads; empty at base).
    pub current: Vec<&'static str>,
    /// The head(s) built into this binary.
    pub head: Vec<&'static str>,
    /// How many revisions `upgrade heads` would apply.
    pub pending: usize,
    pub pending_revisions: Vec<&'static str>,
}

/// Pings the database and reads where its migrations stand.
pub async fn status(db: &Db) -> anyhow::Result<Status> {
    on_db!(db, pool => {
        let one: i32 = sqlx::query_scalar("SELECT 1").fetch_one(pool).await?;
        debug_assert_eq!(one, 1);
        let current = MIGRATOR.current(pool).await?;
        let pending = MIGRATOR.pending(pool).await?;
        Ok(Status {
            database: "reachable",
            backend: db.backend(),
            current,
            head: binary_heads(),
            pending: pending.len(),
            pending_revisions: pending,
        })
    })
}

/// The head revision(s) of the embedded table.
fn binary_heads() -> Vec<&'static str> {
    match MIGRATOR.graph() {
        Ok(graph) => graph.heads().iter().map(|&i| graph.id(i)).collect(),
        // The macro validated the table at compile time.
        Err(_) => Vec::new(),
    }
}

fn show_revisions(ids: &[String]) -> String {
    if ids.is_empty() {
        "base".to_owned()
    } else {
        ids.join(", ")
    }
}
