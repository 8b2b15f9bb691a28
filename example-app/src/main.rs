//! A service that embeds `../migrations` and migrates itself at start.

use anyhow::Context;
use migrate_runtime::{Migrator, embed_migrations};

static MIGRATOR: Migrator = embed_migrations!("../migrations");

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let url =
        std::env::var("DATABASE_URL").unwrap_or_else(|_| "sqlite://example-app.db?mode=rwc".into());
    let report = if url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&url)
            .await
            .context("connecting to PostgreSQL")?;
        MIGRATOR.upgrade(&pool, "heads").await?
    } else {
        let pool = sqlx::SqlitePool::connect(&url)
            .await
            .context("opening the SQLite database")?;
        MIGRATOR.upgrade(&pool, "heads").await?
    };
    tracing::info!(applied = report.revisions.len(), current = ?report.current, "database is at head");
    Ok(())
}
