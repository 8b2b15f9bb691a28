//! Compile-time checked migrations for PostgreSQL and SQLite.
//!
//! `embed_migrations!("migrations")` reads the migration directory when the
//! crate compiles, validates every file (header, chain, heads, SQL syntax) and
//! turns it into a static revision table; a broken directory is a compile
//! error naming the file and line. [`Migrator`] applies the table through
//! sqlx on tokio, with a lock, a history table, checksums and one atomic
//! step per revision.
//!
//! It owns applying a revision table to a database (the lock, the history
//! table and its statements, transactions, offline scripts), database URLs,
//! introspection into `migrate_schema`'s model, and the test helpers. It
//! must not parse or re-check migration files beyond what `migrate_core`'s
//! loader does (an embedded table is executed as the build checked it), nor
//! print to a terminal: that is the CLI's.
//!
//! # Example
//!
//! ```
//! # #[cfg(feature = "sqlite")]
//! # mod example {
//! use migrate_runtime::{embed_migrations, Migrator};
//!
//! static MIGRATOR: Migrator = embed_migrations!("../migrations", require_build_script = false);
//!
//! pub async fn run() -> Result<(), Box<dyn std::error::Error>> {
//!     let dir = std::env::temp_dir().join(format!("migrate-doc-{}", std::process::id()));
//!     std::fs::create_dir_all(&dir)?;
//!     let url = format!("sqlite://{}?mode=rwc", dir.join("app.db").display());
//!     let pool = sqlx::SqlitePool::connect(&url).await?;
//!
//!     let report = MIGRATOR.upgrade(&pool, "head").await?;
//!     assert_eq!(MIGRATOR.current(&pool).await?, report.current);
//!     MIGRATOR.downgrade(&pool, "base").await?;
//!     assert!(MIGRATOR.current(&pool).await?.is_empty());
//!     std::fs::remove_dir_all(&dir)?;
//!     Ok(())
//! }
//! # }
//! # #[cfg(feature = "sqlite")]
//! # tokio::runtime::Runtime::new().unwrap().block_on(example::run()).unwrap();
//! ```
//!
//! A crate that embeds migrations also needs a one-line build script, so that
//! a *new* file rebuilds it (see [`build`]).
//!
//! # Guarantees
//!
//! - Each revision's SQL and its history row land together or not at all;
//!   a failure in revision k leaves the database at k-1 (see [`TransactionMode`]).
//!   `transactional: false` revisions run statement by statement outside a
//!   transaction, with progress recorded after each statement.
//! - One lock serialises migrators: a PostgreSQL advisory lock, SQLite's
//!   write lock. The applied set is read under it.
//! - A run refuses to start, changing nothing, when an applied revision was
//!   edited, the database holds a revision this table lacks, or a downgrade
//!   would cross a revision without a downgrade section.
#![deny(missing_docs)]

// Without a database feature only `build` is compiled: that is what a build
// script depends on, and it must not pull in sqlx.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod backend;
pub mod build;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod embedded;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod error;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod fleet;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod history;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod introspect;
#[cfg(feature = "sqlite")]
mod lock_file;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod migrator;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod offline;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod rust;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod startup;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
mod table;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod test_db;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod testing;
mod url;
pub use url::DatabaseUrl;

#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use backend::Database;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use embedded::{EmbeddedRevision, EmbeddedSection, PackedRevision};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use error::{Error, Result};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use history::HistoryEntry;
/// The runtime's reading of the history onto a graph, which the CLI shares.
#[doc(hidden)]
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use history::applied_revisions;
pub use migrate_core::{Direction, Target};
pub use migrate_macros::embed_migrations;
/// `#[migrate_runtime::test(MIGRATOR)]`: an async test on a database of its
/// own, at head (or `at = "REVISION"`), made from a template migrated once;
/// see [`test_db`].
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use migrate_macros::test;
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use migrator::{
    AcceptReport, DEFAULT_LOCK_TIMEOUT, Definition, DefinitionState, DefinitionStatus, IntoTarget,
    Migrator, Report, StampReport, TransactionMode, Verification,
};
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use table::{RevisionIter, RevisionRef, Revisions, SectionRef};

/// The sqlx version the pools must come from.
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub use sqlx;

#[doc(hidden)]
#[cfg(any(feature = "postgres", feature = "sqlite"))]
pub mod __private {
    pub use crate::backend::{Conn, Session};
    pub use crate::embedded::{
        EmbeddedRevision, EmbeddedSection, EmbeddedStartUp, EmbeddedStatement, PackedTable,
    };
    pub use crate::migrator::{Definition, DefinitionSql, Migrator};
    pub use crate::rust::{Db, RevisionResult, RustRevision};
}
