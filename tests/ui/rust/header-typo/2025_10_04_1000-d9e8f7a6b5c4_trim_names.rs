// revision: d9e8f7a6b5c4
// down_revison: 955bb0742a21
// message: trim names

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    db.execute("UPDATE products SET name = trim(name)").await?;
    Ok(())
}
