// revision: b2d4f6
// down_revision: a1c3e5
// message: normalise emails

//! Lower-cases every stored email in Rust (Unicode-aware, unlike SQL's
//! `lower` on SQLite), and refuses rows the tests mark to fail or panic.

use migrate_runtime::rust::{Db, RevisionResult};

async fn emails(db: &mut Db<'_>) -> Result<Vec<(i64, String)>, sqlx::Error> {
    const SQL: &str = "SELECT CAST(id AS BIGINT), email FROM users ORDER BY id";
    match db {
        Db::Postgres(conn) => sqlx::query_as(SQL).fetch_all(&mut **conn).await,
        Db::Sqlite(conn) => sqlx::query_as(SQL).fetch_all(&mut **conn).await,
    }
}

async fn set_email(db: &mut Db<'_>, id: i64, email: &str) -> Result<(), sqlx::Error> {
    match db {
        Db::Postgres(conn) => {
            sqlx::query("UPDATE users SET email = $1 WHERE id = $2")
                .bind(email)
                .bind(id)
                .execute(&mut **conn)
                .await?;
        }
        Db::Sqlite(conn) => {
            sqlx::query("UPDATE users SET email = ?1 WHERE id = ?2")
                .bind(email)
                .bind(id)
                .execute(&mut **conn)
                .await?;
        }
    }
    Ok(())
}

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    for (id, email) in emails(db).await? {
        // Written first, so that a failure below has something to undo.
        set_email(db, id, &email.to_lowercase()).await?;
        if email == "FAIL" {
            return Err(format!("row {id} asks this revision to fail").into());
        }
        if email == "PANIC" {
            panic!("row {id} asks this revision to panic");
        }
    }
    db.execute("CREATE TABLE normalised (at INTEGER)").await?;
    Ok(())
}

pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    // The original case is not kept: only the marker table goes.
    db.execute("DROP TABLE normalised").await?;
    Ok(())
}
