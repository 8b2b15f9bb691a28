// revision: d9e8f7a6b5c4
// down_revision: 955bb0742a21
// message: trim names

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    let trimmed: u64 = db.execute("UPDATE products SET name = trim(name)").await;
    let _ = trimmed;
    Ok(())
}
