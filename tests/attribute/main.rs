//! `#[migrate_runtime::test]`: each test on a database of its own, at head
//! or at a revision, made from a template migrated once; on a real SQLite
//! file and a real PostgreSQL server (started by `scripts/pg.sh`).

mod sharing;

use migrate_runtime::{Migrator, embed_migrations};
use sqlx::{PgPool, SqlitePool};

static EXAMPLE: Migrator = embed_migrations!("../migrations");

/// The revision before the example's backfill of `users.display_name`.
const BEFORE_BACKFILL: &str = "d9e8f7a6b5c4";

#[migrate_runtime::test(EXAMPLE, server = migrate_tests::pg_admin_url())]
async fn a_postgres_test_starts_at_head(pool: PgPool) {
    assert_eq!(
        EXAMPLE.current(&pool).await.unwrap(),
        EXAMPLE.heads().unwrap()
    );
    let columns: i64 = sqlx::query_scalar(
        "SELECT count(*) FROM information_schema.columns WHERE table_name = 'users' AND column_name = 'display_name'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(columns, 1);
}

#[migrate_runtime::test(EXAMPLE)]
async fn a_sqlite_test_starts_at_head(pool: SqlitePool) {
    assert_eq!(
        EXAMPLE.current(&pool).await.unwrap(),
        EXAMPLE.heads().unwrap()
    );
    sqlx::query(
        "INSERT INTO users (id, email, username, display_name) VALUES ('u1', 'a@b', 'a', 'A')",
    )
    .execute(&pool)
    .await
    .unwrap();
}

/// Two tests writing the same row: each has its own database.
#[migrate_runtime::test(EXAMPLE, server = migrate_tests::pg_admin_url())]
async fn tests_do_not_share_rows_one(pool: PgPool) {
    insert_the_same_user(&pool).await;
}

#[migrate_runtime::test(EXAMPLE, server = migrate_tests::pg_admin_url())]
async fn tests_do_not_share_rows_two(pool: PgPool) {
    insert_the_same_user(&pool).await;
}

async fn insert_the_same_user(pool: &PgPool) {
    let before: i64 = sqlx::query_scalar("SELECT count(*) FROM users")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(before, 0, "a fresh database");
    sqlx::query("INSERT INTO users (id, email, username) VALUES ('same', 'a@b', 'a')")
        .execute(pool)
        .await
        .unwrap();
}

/// A data migration tested as the issue describes: rows seeded at the
/// revision before it, then upgraded.
#[migrate_runtime::test(EXAMPLE, at = "d9e8f7a6b5c4", server = migrate_tests::pg_admin_url())]
async fn a_data_migration_on_postgres(pool: PgPool) -> Result<(), sqlx::Error> {
    assert_eq!(EXAMPLE.current(&pool).await.unwrap(), [BEFORE_BACKFILL]);
    sqlx::query("INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada')")
        .execute(&pool)
        .await?;
    EXAMPLE.upgrade(&pool, "head").await.unwrap();
    let shown: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = 'u1'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(shown, "ada");
    Ok(())
}

#[migrate_runtime::test(EXAMPLE, at = "d9e8f7a6b5c4")]
async fn a_data_migration_on_sqlite(pool: SqlitePool) -> Result<(), sqlx::Error> {
    assert_eq!(EXAMPLE.current(&pool).await.unwrap(), [BEFORE_BACKFILL]);
    sqlx::query("INSERT INTO users (id, email, username) VALUES ('u1', 'ada@example.com', 'ada')")
        .execute(&pool)
        .await?;
    EXAMPLE.upgrade(&pool, "head").await.unwrap();
    let shown: String = sqlx::query_scalar("SELECT display_name FROM users WHERE id = 'u1'")
        .fetch_one(&pool)
        .await?;
    assert_eq!(shown, "ada");
    Ok(())
}

/// The migration-order helpers work beside the attribute.
#[migrate_runtime::test(EXAMPLE, at = "base")]
async fn the_order_helpers_run_on_a_test_database(pool: SqlitePool) {
    migrate_runtime::testing::assert_single_head(&EXAMPLE).unwrap();
    migrate_runtime::testing::upgrade_base_to_head(&EXAMPLE, &pool)
        .await
        .unwrap();
    migrate_runtime::testing::round_trip(&EXAMPLE, &pool)
        .await
        .unwrap();
}
