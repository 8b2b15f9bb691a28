//! Reading a live database into a [`Schema`], the database side of
//! autogenerate.
//!
//! Introspection stores what the database itself prints — PostgreSQL's
//! `format_type`, `pg_get_expr` and `pg_get_constraintdef`, SQLite's
//! `pragma_table_xinfo` and the `CREATE` text kept in `sqlite_schema` — and
//! leaves every "equal things compare equal" rule to the comparison in
//! `migrate_schema`. The per-database modules document exactly which
//! string lands in which field:
//!
//! - PostgreSQL: [`introspect_postgres`];
//! - SQLite: [`introspect_sqlite`].
//!
//! Both read the whole catalogue in a fixed number of batched queries (seventeen
//! on PostgreSQL, five on SQLite), whatever the number of tables, so a schema of
//! hundreds of tables introspects in one short burst of round trips.
//!
//! The migration history table ([`IntrospectOptions::version_table`]) and
//! everything attached to it are left out: it belongs to the migrator, not to
//! the declared schema.

#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "postgres")]
mod postgres_code;
#[cfg(feature = "postgres")]
mod postgres_grants;
#[cfg(feature = "postgres")]
mod postgres_kinds;
#[cfg(feature = "postgres")]
mod postgres_partitions;
#[cfg(feature = "sqlite")]
mod sqlite;

#[cfg(feature = "postgres")]
pub use postgres::introspect_postgres;
#[cfg(feature = "postgres")]
pub use postgres_code::settle_declared_postgres;
#[cfg(feature = "sqlite")]
pub use sqlite::introspect_sqlite;

use std::future::Future;

pub use migrate_schema::Schema;

use crate::error::Result;

/// What to read from the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IntrospectOptions {
    /// PostgreSQL: read every user schema, not only the default one (the
    /// first schema of the `search_path`, `current_schema()`). Objects in the
    /// default schema keep `schema: None`; the others are qualified and their
    /// schemas listed in [`Schema::schemas`]. `pg_catalog`,
    /// `information_schema`, `pg_toast*` and `pg_temp*` are never read.
    /// SQLite has one schema (`main`) and ignores this.
    pub include_schemas: bool,
    /// The migration history table to leave out, as given to the migrator:
    /// `table` (in the default schema) or, on PostgreSQL, `schema.table`.
    /// Defaults to `migrate_history`.
    pub version_table: String,
    /// PostgreSQL: read the privileges on tables, views, materialized views
    /// and sequences into [`Schema::grants`] (migrate.toml's
    /// `compare_grants`); one more query. Off by default. SQLite has no
    /// privileges and ignores it.
    pub grants: bool,
}

impl Default for IntrospectOptions {
    fn default() -> Self {
        IntrospectOptions {
            include_schemas: false,
            version_table: "migrate_history".to_owned(),
            grants: false,
        }
    }
}

/// A connection pool introspection can read from: `sqlx::PgPool` or
/// `sqlx::SqlitePool`. See [`introspect`].
pub trait Introspect: Sync {
    /// Takes one connection from the pool and reads the schema through it.
    fn introspect_schema(
        &self,
        options: &IntrospectOptions,
    ) -> impl Future<Output = Result<Schema>> + Send;

    /// Puts the views and routines of a declared schema in this database's
    /// own form before a comparison (PostgreSQL: see
    /// [`settle_declared_postgres`]); SQLite needs nothing.
    fn settle_declared<'a>(
        &'a self,
        declared: &'a mut Schema,
    ) -> impl Future<Output = Result<()>> + Send + 'a;
}

/// Reads the schema of the database behind a pool (`sqlx::PgPool` or
/// `sqlx::SqlitePool`), through one connection taken from it.
///
/// ```no_run
/// # async fn run(pool: sqlx::PgPool) -> migrate_runtime::Result<()> {
/// use migrate_runtime::introspect::{IntrospectOptions, introspect};
///
/// let schema = introspect(&pool, &IntrospectOptions::default()).await?;
/// for (name, table) in &schema.tables {
///     println!("{name}: {} columns", table.columns.len());
/// }
/// # Ok(())
/// # }
/// ```
pub async fn introspect<D: Introspect + ?Sized>(
    db: &D,
    options: &IntrospectOptions,
) -> Result<Schema> {
    db.introspect_schema(options).await
}

/// Splits `schema.table` into its parts (`None` for an unqualified name).
fn split_table(table: &str) -> (Option<&str>, &str) {
    match table.rsplit_once('.') {
        Some((schema, name)) => (Some(schema), name),
        None => (None, table),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_and_table_names() {
        let options = IntrospectOptions::default();
        assert!(!options.include_schemas);
        assert_eq!(options.version_table, "migrate_history");
        assert_eq!(split_table("migrate_history"), (None, "migrate_history"));
        assert_eq!(split_table("ops.history"), (Some("ops"), "history"));
    }
}
