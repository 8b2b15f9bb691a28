// revision: f2b2e2
// down_revision: f1a1e1
// message: work in Rust between statements

//! Spends 1.5 s in Rust inside the run's transaction (as code that calls
//! a service or computes between its statements would), with the session
//! idle in the transaction meanwhile, then writes.

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    db.execute("INSERT INTO items (id, name) VALUES (1, 'first')")
        .await?;
    tokio::time::sleep(std::time::Duration::from_millis(1500)).await;
    db.execute("INSERT INTO items (id, name) VALUES (2, 'second')")
        .await?;
    Ok(())
}

pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    db.execute("DELETE FROM items").await?;
    Ok(())
}
