// revision: 5e6f7a8b9c0d
// down_revision: none
// message: template as written
// create_date: 2026-12-06 16:39:37 UTC

//! A revision written in Rust: `embed_migrations!` compiles it into the
//! application, which runs it in the revision's transaction. Match on `db`
//! (`Db::Postgres(conn)`, `Db::Sqlite(conn)`) to use a database's own API,
//! `sqlx::query!` included. The `migrate` CLI lists and stamps it; the
//! application's migration subcommand runs it.

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    let _ = db;
    Ok(())
}

/// Undoes `upgrade`. Remove this function to make the revision
/// irreversible.
pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    let _ = db;
    Ok(())
}
