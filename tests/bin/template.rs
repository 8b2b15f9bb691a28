//! Test helper binary: `migrate-test-template SERVER DIR COUNT` makes COUNT
//! test databases (`migrate_runtime::test_db::TestDb`) at head from the
//! migration directory DIR, one after the other, and prints `template NAME`
//! and `database NAME` for each. SERVER is a PostgreSQL URL, `env` (the
//! server the environment names, as `#[migrate_runtime::test]` finds it
//! without `server = …`), or `sqlite`.
//! `MIGRATE_TEST_KEEP` and `MIGRATE_TEST_DIR` work as for any test. Each
//! database is removed as the attribute removes it: in the background,
//! finished before the process exits.

use migrate_runtime::Migrator;
use migrate_runtime::test_db::{TestDb, TestPool};

async fn make<P: TestPool>(migrator: &Migrator, server: &str, count: usize) -> Result<(), String> {
    for _ in 0..count {
        let db = if server == "env" {
            TestDb::<P>::create(migrator, "head").await
        } else {
            TestDb::<P>::create_on(migrator, "head", server).await
        }
        .map_err(|e| e.to_string())?;
        println!("template {}", db.template());
        println!("database {}", db.name());
        // As `#[migrate_runtime::test]` does: dropped on a thread of its
        // own, every drop over before the process exits.
        db.__finish_later().await;
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [server, dir, count] = &args[..] else {
        eprintln!("usage: migrate-test-template SERVER|sqlite DIR COUNT");
        return std::process::ExitCode::from(2);
    };
    let Ok(count) = count.parse::<usize>() else {
        eprintln!("COUNT is a number");
        return std::process::ExitCode::from(2);
    };
    let migrator = match Migrator::from_directory(
        dir.as_ref(),
        "migrations",
        &migrate_core::Config::default(),
    ) {
        Ok(m) => m,
        Err(e) => {
            eprintln!("{e}");
            return std::process::ExitCode::from(1);
        }
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let result = runtime.block_on(async {
        if server == "sqlite" {
            make::<sqlx::SqlitePool>(&migrator, server, count).await
        } else {
            make::<sqlx::PgPool>(&migrator, server, count).await
        }
    });
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            std::process::ExitCode::from(1)
        }
    }
}
