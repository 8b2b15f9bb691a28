//! Test helper binary: `migrate-test-upgrade URL DIR` upgrades the database at
//! URL to the heads of the migration directory DIR and prints how many
//! revisions it applied.

use migrate_runtime::Migrator;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(dir)) = (args.next(), args.next()) else {
        return Err("usage: migrate-test-upgrade URL DIR".into());
    };
    let migrator =
        Migrator::from_directory(dir.as_ref(), "migrations", &migrate_core::Config::default())?;
    let report = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&url).await?;
        migrator.upgrade(&pool, "heads").await?
    } else {
        let pool = sqlx::SqlitePool::connect(&url).await?;
        migrator.upgrade(&pool, "heads").await?
    };
    println!("{}", report.revisions.len());
    Ok(())
}
