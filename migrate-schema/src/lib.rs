//! The schema side of autogenerate: a database schema as data, the
//! `schema.sql` parser, the canonical forms that make equal things compare
//! equal, the diff between two schemas and the SQL that renders it. This
//! crate owns the model that both sources fill (a declared `schema.sql`
//! here, a live database in `migrate_runtime::introspect`) and every rule of
//! the comparison. It must not do database I/O or anything async: it turns
//! text and values into values, so the runtime's introspection, the CLI's
//! `revision --autogenerate` and `check`, and the benchmarks share one pure
//! code path. It borrows the dialect, SQL splitting, SQLite's own verdict
//! (feature `sqlite-exact`) and identifier quoting from `migrate_core`.
//!
//! This API used to live at `migrate_core::schema`. `migrate_core` cannot
//! re-export it (this crate depends on `migrate_core`, so the re-export
//! would be a dependency cycle): use `migrate_schema::…` instead; the item
//! names are unchanged.
//!
//! # Example
//!
//! ```
//! use migrate_core::sql::Dialect;
//! use migrate_schema::{DiffOptions, diff, parse_schema, render};
//!
//! let current = parse_schema("CREATE TABLE users (id int PRIMARY KEY);", Dialect::Sqlite).unwrap();
//! let target = parse_schema(
//!     "CREATE TABLE users (id int PRIMARY KEY, email text);",
//!     Dialect::Sqlite,
//! )
//! .unwrap();
//! let changes = diff(&current, &target, Dialect::Sqlite, &DiffOptions::default());
//! let sql = render(&changes, Dialect::Sqlite);
//! assert_eq!(sql.upgrade, "ALTER TABLE users ADD COLUMN email TEXT;\n\n");
//! ```
//!
//! # Modules
//!
//! - [`model`]: the [`Schema`] and what it holds, as each source spells it;
//! - [`parse`]: `schema.sql` into a [`Schema`], every problem with its line;
//! - [`canon`]: canonical types and expressions, for the comparison only;
//! - [`diff`](mod@diff): two schemas into an ordered list of [`Change`]s;
//! - [`render`](mod@render): [`Change`]s into upgrade and downgrade SQL;
//! - [`rename`]: the `-- renamed_from:` hints of `schema.sql`;
//! - [`grants`]: privileges (`GRANT`/`REVOKE`, PostgreSQL, with
//!   `compare_grants`): the fold of the declared statements, their
//!   comparison and their SQL;
//! - [`views`]: views, routines and triggers: their declarations, the
//!   forms they are compared in and their order around table changes;
//! - `fold` (feature `postgres-exact`): the schema a chain of revisions
//!   builds, folded from PostgreSQL's parse trees (or, for SQLite, from
//!   sqlparser's AST) into its own state and converted into a [`Schema`].
//!
//! Imports go one way, with one pair: `canon` uses none of the others,
//! `parse` uses `model` and `rename` (which reads the hints of the same file
//! and reports them as `parse`'s errors), `diff` uses `model`, `canon` and
//! `rename`, and `render` uses all of these; `fold` uses `model` only.
#![deny(missing_docs)]

pub mod canon;
pub mod diff;
#[cfg(feature = "postgres-exact")]
pub mod fold;
pub mod grants;
pub mod kinds;
pub mod model;
#[path = "fold/naming.rs"]
pub mod naming;
pub mod parse;
pub mod partitions;
pub mod rename;
pub mod render;
pub mod views;

pub use diff::{Change, CommentTarget, DiffOptions, EnumColumn, diff};
pub use kinds::KindChange;
pub use model::Partition;
pub use model::{
    Attribute, CheckConstraint, Column, CompositeType, Deferral, Domain, EnumType, Exclusion,
    Extension, FkAction, ForeignKey, Function, Grantee, Identity, Index, IndexKey, IndexKeyOptions,
    ObjectGrants, PrimaryKey, Privilege, QualifiedName, RangeType, Schema, Sequence, Table,
    Trigger, UniqueConstraint, View,
};
pub use parse::{ParseOptions, SchemaError, parse_schema, parse_schema_with};
pub use partitions::PartitionChange;
pub use rename::Renames;
pub use render::{Rendered, escape_controls, quote_ident, render, render_table};
