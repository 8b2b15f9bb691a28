//! `migrate`: Alembic's commands over a migration directory.

use clap::Parser;

#[tokio::main(flavor = "current_thread")]
async fn main() -> std::process::ExitCode {
    migrate_cli::run(migrate_cli::Cli::parse()).await
}
