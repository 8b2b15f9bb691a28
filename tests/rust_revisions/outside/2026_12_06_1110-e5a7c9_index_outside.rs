// revision: e5a7c9
// down_revision: d4f6b8
// message: index items outside a transaction
// transactional: false

//! What only runs outside a transaction: `CREATE INDEX CONCURRENTLY` on
//! PostgreSQL, `VACUUM` on SQLite.

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    let sql = match db {
        Db::Postgres(_) => "CREATE INDEX CONCURRENTLY items_name ON items (name)",
        Db::Sqlite(_) => "VACUUM",
    };
    db.execute(sql).await?;
    Ok(())
}

pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    let sql = match db {
        Db::Postgres(_) => "DROP INDEX CONCURRENTLY items_name",
        Db::Sqlite(_) => "VACUUM",
    };
    db.execute(sql).await?;
    Ok(())
}
