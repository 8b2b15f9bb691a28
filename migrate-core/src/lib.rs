//! The migration file format, revision graph, target resolution and SQL checks.
//!
//! This crate is shared by `embed_migrations!` (at compile time) and by the
//! runtime and CLI (at run time), so all three read a directory the same way.
//! It owns the revision format and its loading, the one revision graph
//! (strict or lenient), the target and range grammar and the plans, SQL
//! splitting and syntax checks, `migrate.toml`, and identifier quoting. It
//! must not do database or async I/O, print, or know the schema model
//! (that is `migrate_schema`'s).
//!
//! Autogenerate's schema code (the model, the `schema.sql` parser, diff and
//! render), formerly `migrate_core::schema`, is the `migrate_schema` crate,
//! under the same names. It depends on this crate, so this crate cannot
//! re-export it.
//!
//! # Example
//!
//! ```
//! use migrate_core::{load_directory, DialectCheck, Target};
//!
//! let dir = std::env::temp_dir().join(format!("migrate-core-doc-{}", std::process::id()));
//! std::fs::create_dir_all(&dir).unwrap();
//! std::fs::write(
//!     dir.join("2025_09_30_1636-955bb0742a21_create_products.sql"),
//!     "-- revision: 955bb0742a21\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE products (id TEXT PRIMARY KEY);\n\n-- migrate:downgrade\nDROP TABLE products;\n",
//! ).unwrap();
//!
//! let migrations = load_directory(&dir, "migrations", &DialectCheck::Any).unwrap();
//! let applied = migrations.graph.applied_set::<&str>(&[]).unwrap();
//! let plan = migrations.graph.plan_upgrade(&Target::Head, &applied).unwrap();
//! assert_eq!(migrations.graph.id(plan.steps[0]), "955bb0742a21");
//! # std::fs::remove_dir_all(&dir).unwrap();
//! ```
//!
//! # File format
//!
//! ```sql
//! -- revision: 955bb0742a21
//! -- down_revision: none
//! -- message: create products table
//!
//! -- migrate:upgrade
//! CREATE TABLE products (id TEXT PRIMARY KEY);
//!
//! -- migrate:downgrade
//! DROP TABLE products;
//! ```
//!
//! Header keys: `revision`, `down_revision` (required; `none` or a comma
//! list), `message`, `create_date`, `branch_labels`, `depends_on`,
//! `transactional`. A statement preceded by `-- migrate:no-check` is not
//! syntax-checked. A downgrade section with no SQL under an upgrade that
//! has some is refused unless it holds `-- migrate:no-op`.
#![deny(missing_docs)]

pub mod checksum;
mod config;
pub mod definitions;
mod error;
mod escape;
#[cfg(any(feature = "postgres-exact", feature = "sqlite-exact"))]
pub mod exact;
mod glob;
mod graph;
mod ident;
mod load;
mod relative;
mod revision;
mod rule;
mod size;
pub mod sql;
mod syntax;
mod target;

pub use config::{
    CONFIG_FILE, Config, DEFAULT_DIRECTORY, DEFAULT_FILE_TEMPLATE, DEFAULT_MAX_FILE_SIZE,
    DEFAULT_VERSION_TABLE, is_table_name, parse_size,
};
pub use error::{Error, Errors, Result};
pub use escape::{escape_control, find_control, is_forbidden_control};
pub use glob::glob_match;
pub use graph::{GraphNode, HeadRule, IdIter, IdList, NodeNames, RevisionGraph};
pub use ident::{quote_ident, quote_ident_always, quote_qualified_always};
pub use load::{
    CheckAll, LoadFilter, Migrations, SqlFiles, StartUp, list_sql_files, load_directory,
    load_directory_filtered, load_directory_overlapped, load_directory_with, read_migration_file,
};
pub use revision::{
    DOWNGRADE_MARKER, HEADER_KEYS, Header, HeaderLines, MAX_LOCK_RETRIES, NO_CHECK_MARKER,
    NO_OP_MARKER, Revision, RevisionKind, Section, UPGRADE_MARKER, is_valid_revision_id,
    normalize_text, parse_duration, parse_revision, parse_revision_file, parse_rust_revision,
};
pub use rule::{Level, LintConfig, OLDEST_POSTGRES, Rule, RuleSet, parse_allow};
pub use sql::{Dialect, DialectCheck, Statement};
pub use target::{Anchor, Direction, Endpoint, Plan, Range, StampPlan, Target};
