// revision: f2b3c4
// down_revision: f1a2b3
// message: trim notes, on a branch of its own
// data_only: true

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    db.execute("UPDATE notes SET body = trim(body)").await?;
    Ok(())
}

pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    db.execute("UPDATE notes SET body = '  ' || body || '  '").await?;
    Ok(())
}
