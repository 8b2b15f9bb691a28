//! Revisions written in Rust: a `.rs` file in the migration directory,
//! for the data migrations SQL does not express well (a backfill computed
//! in code, re-encoding, splitting a column).
//!
//! The file's header is the block of `//` comments at its top, with the
//! keys of an SQL revision's header. It defines an async `upgrade`
//! function, and optionally `downgrade` (without it the revision is
//! irreversible), each taking the revision's connection as a [`Db`]:
//!
//! ```ignore
//! // revision: 3f2a9c1d7b4e
//! // down_revision: 1c0d5e2f8a9b
//! // message: normalise stored emails
//!
//! use migrate_runtime::rust::{Db, RevisionResult};
//!
//! pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
//!     db.execute("UPDATE users SET email = lower(email)").await?;
//!     Ok(())
//! }
//! ```
//!
//! `embed_migrations!` includes the file as a module of the crate that
//! embeds the directory, so rustc checks it and points at its lines. A
//! revision runs inside its transaction (and under the migration lock), as
//! an SQL revision does: an `Err` or a panic rolls it back and leaves the
//! database at the revision before it, with the history saying so. With
//! `// transactional: false` it gets the connection outside a transaction.
//!
//! Match on [`Db`] to use a database's own API, `sqlx::query!` included:
//!
//! ```ignore
//! pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
//!     match db {
//!         Db::Postgres(conn) => { sqlx::query!("…").execute(&mut **conn).await?; }
//!         Db::Sqlite(conn) => { sqlx::query!("…").execute(&mut **conn).await?; }
//!     }
//!     Ok(())
//! }
//! ```
//!
//! The `migrate` CLI reads the directory at run time and cannot run Rust:
//! it lists, plans, stamps and shows Rust revisions, and refuses to run
//! them, naming the application's embedded subcommand
//! (`migrate_cli::run_embedded`).

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

use migrate_core::Dialect;

/// What a Rust revision's function returns: any error fails the revision.
pub type RevisionResult = Result<(), Box<dyn std::error::Error + Send + Sync>>;

/// The connection a Rust revision runs on: inside the revision's
/// transaction, or outside any for `transactional: false`. Do not commit
/// or roll back the transaction; returning does.
pub enum Db<'c> {
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(&'c mut sqlx::PgConnection),
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(&'c mut sqlx::SqliteConnection),
}

impl Db<'_> {
    /// Which database this is.
    pub fn dialect(&self) -> Dialect {
        match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(_) => Dialect::Postgres,
            #[cfg(feature = "sqlite")]
            Db::Sqlite(_) => Dialect::Sqlite,
        }
    }

    /// Runs SQL text (one or more statements, no parameters) on either
    /// database; returns the rows affected.
    pub async fn execute(&mut self, sql: &str) -> Result<u64, sqlx::Error> {
        use sqlx::Executor as _;
        match self {
            #[cfg(feature = "postgres")]
            Db::Postgres(conn) => Ok(conn.execute(sql).await?.rows_affected()),
            #[cfg(feature = "sqlite")]
            Db::Sqlite(conn) => Ok(conn.execute(sql).await?.rows_affected()),
        }
    }
}

/// A Rust revision's function, as the macro wraps it.
#[doc(hidden)]
pub type Step =
    for<'a, 'c> fn(&'a mut Db<'c>) -> Pin<Box<dyn Future<Output = RevisionResult> + Send + 'a>>;

/// A Rust revision's functions, by id (written by `embed_migrations!`).
#[doc(hidden)]
#[derive(Clone, Copy)]
pub struct RustRevision {
    /// The revision id.
    pub id: &'static str,
    /// Its `upgrade`.
    pub upgrade: Step,
    /// Its `downgrade`, if the file defines one.
    pub downgrade: Option<Step>,
}

impl std::fmt::Debug for RustRevision {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RustRevision")
            .field("id", &self.id)
            .field("downgrade", &self.downgrade.is_some())
            .finish()
    }
}

/// Runs `step`, a panic in it turned into an error with its message.
pub(crate) async fn run(step: Step, db: &mut Db<'_>) -> Result<(), String> {
    match CatchUnwind(step(db)).await {
        Ok(Ok(())) => Ok(()),
        // A database error says what it tells of the server's side (a
        // lost connection, a timeout set on the role).
        Ok(Err(e)) => Err(match e.downcast_ref::<sqlx::Error>() {
            Some(db) => format!("{e}{}", crate::error::server_hint_before_outcome(db)),
            None => e.to_string(),
        }),
        Err(payload) => Err(format!("it panicked: {}", panic_message(&*payload))),
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "a panic without a message".to_owned()
    }
}

/// A future whose panics come back as `Err` with the panic's payload.
struct CatchUnwind<F>(F);

impl<F: Future + Unpin> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn std::any::Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let inner = &mut self.0;
        match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| Pin::new(inner).poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(out)) => Poll::Ready(Ok(out)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}
