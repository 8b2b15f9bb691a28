//! `example-app`: a JSON service over products, users and tags that embeds
//! `../migrations` and migrates its database to head when it starts.
//!
//! `example-app` (or `example-app serve`) serves HTTP; `example-app migrate
//! <current|upgrade|downgrade|history|stamp|check>` runs the migrations built
//! into this binary, with no migration files on the host. See
//! `docs/example-app.md`.

mod api;
mod db;
mod error;
mod id;
mod model;
mod server;
mod slug;

use std::io::IsTerminal;
use std::net::{IpAddr, SocketAddr};
use std::process::ExitCode;
use std::time::Duration;

use clap::{Args, Parser, Subcommand};
use migrate_runtime::{DatabaseUrl, Migrator, embed_migrations};

/// The revision table, checked when this crate compiles: a broken chain, two
/// heads or a SQL syntax error in `../migrations` is a compile error.
static MIGRATOR: Migrator = embed_migrations!("../migrations");

/// The database when nothing else is configured: a file in the working
/// directory, created on first use.
const DEFAULT_DATABASE_URL: &str = "sqlite://example-app.db?mode=rwc";

/// A JSON service over products, users and tags that migrates its own
/// database at start.
///
/// Database: `DATABASE_URL`, else the `POSTGRES_USER`, `POSTGRES_PASSWORD`,
/// `POSTGRES_HOST`, `POSTGRES_PORT` and `POSTGRES_DB` variables, else the
/// SQLite file `example-app.db` in the working directory. A `.env` file in
/// the working directory is read first and never overrides a set variable.
///
/// Exit codes: 0 success, 1 failure (including a database this build cannot
/// serve), 2 bad invocation or configuration.
#[derive(Debug, Parser)]
#[command(name = "example-app", version)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Migrate the database to head, then serve HTTP (the default)
    Serve(ServeArgs),
    /// Migrate the database with the revisions built into this binary
    #[command(subcommand)]
    Migrate(migrate_cli::EmbeddedCommand),
}

#[derive(Debug, Clone, Args)]
struct ServeArgs {
    /// Port to listen on; 0 picks a free one (the address is printed on stdout)
    #[arg(long, env = "PORT", default_value_t = 3000)]
    port: u16,
    /// Address to listen on; 0.0.0.0 for every interface
    #[arg(long, env = "HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Seconds a client has to send a request's headers before its
    /// connection is closed (decimals allowed)
    #[arg(long, env = "HTTP_HEADER_TIMEOUT", default_value = "10", value_parser = server::seconds)]
    header_timeout: Duration,
    /// Seconds a request may take, reading its body included, before it is
    /// answered 408 and its connection closed (decimals allowed)
    #[arg(long, env = "HTTP_REQUEST_TIMEOUT", default_value = "30", value_parser = server::seconds)]
    request_timeout: Duration,
}

#[tokio::main]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    // `migrate …` prints its own progress from the runtime's events; a
    // second copy on stderr would only repeat it, unless asked for.
    if !matches!(cli.command, Some(Command::Migrate(_))) || std::env::var_os("RUST_LOG").is_some() {
        init_logging();
    }
    run(cli).await
}

async fn run(cli: Cli) -> ExitCode {
    let url = match database_url() {
        Ok(url) => url,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(migrate_cli::exit_code::USAGE);
        }
    };
    // An unsupported scheme, an unknown parameter (`passwd=…`, `SSLMODE=`)
    // or a raw `@` in the password: refused before anything connects, the
    // URL redacted and no value quoted.
    if let Err(e) = url.check() {
        eprintln!("error: {e}");
        return ExitCode::from(migrate_cli::exit_code::USAGE);
    }
    match cli.command {
        Some(Command::Migrate(command)) => {
            migrate_cli::run_embedded(&MIGRATOR, command, &url).await
        }
        Some(Command::Serve(args)) => serve(args, &url).await,
        None => serve(cli.serve, &url).await,
    }
}

/// Same rules as the `migrate` binary, with the SQLite file as the fallback.
fn database_url() -> anyhow::Result<DatabaseUrl> {
    Ok(migrate_cli::database_url_from_env()?
        .unwrap_or_else(|| DatabaseUrl::new(DEFAULT_DATABASE_URL)))
}

async fn serve(args: ServeArgs, url: &DatabaseUrl) -> ExitCode {
    match try_serve(args, url).await {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            // URLs in messages are redacted by `DatabaseUrl`'s `Display`.
            eprintln!("error: {}", chain(&e));
            ExitCode::FAILURE
        }
    }
}

async fn try_serve(args: ServeArgs, url: &DatabaseUrl) -> anyhow::Result<()> {
    let db = db::Db::connect(url).await?;
    db::migrate_to_head(&db, url).await?;

    let addr = SocketAddr::new(args.host, args.port);
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .map_err(|e| anyhow::anyhow!("{addr}: cannot listen: {e}; pick another --port or PORT"))?;
    let bound = listener.local_addr()?;
    let shutdown = shutdown_signal()?;
    // Stdout carries this one line, so that scripts (and the tests) can find
    // the port when `--port 0` let the system pick it. Logs go to stderr.
    println!("listening on http://{bound}");
    tracing::info!(%bound, database = %url, "serving");

    let app = api::router(api::AppState::new(db.clone()), args.request_timeout);
    server::serve(listener, app, args.header_timeout, shutdown).await;
    db.close().await;
    tracing::info!("stopped");
    Ok(())
}

/// The error and its causes, `: `-separated, leaving out a cause whose text
/// the message already holds (sqlx's "error returned from database: X"
/// has X as its source too).
fn chain(error: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in error.chain() {
        let cause = cause.to_string();
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    text
}

/// Ctrl-C or SIGTERM: stop accepting, finish the requests in flight, exit 0.
///
/// The handlers are installed here, before the server says it is listening:
/// a future that installed them when first polled would leave a window in
/// which a client that saw `listening on` and was served could send SIGTERM
/// to a process still under the default action (killed, exit by signal).
fn shutdown_signal() -> anyhow::Result<impl std::future::Future<Output = ()>> {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        let cannot = |e| anyhow::anyhow!("cannot install the shutdown signal handlers: {e}");
        let mut interrupt = signal(SignalKind::interrupt()).map_err(cannot)?;
        let mut terminate = signal(SignalKind::terminate()).map_err(cannot)?;
        Ok(async move {
            tokio::select! {
                _ = interrupt.recv() => {}
                _ = terminate.recv() => {}
            }
            tracing::info!("shutting down");
        })
    }
    #[cfg(not(unix))]
    {
        Ok(async {
            if tokio::signal::ctrl_c().await.is_err() {
                std::future::pending::<()>().await;
            }
            tracing::info!("shutting down");
        })
    }
}

/// Logs go to stderr (`RUST_LOG` filters them, `info` by default); stdout is
/// for the `listening on` line and the `migrate` subcommands' data.
///
/// The driver's few events that quote a secret (a malformed `~/.pgpass`
/// line) are left out.
fn init_logging() {
    use tracing_subscriber::prelude::*;
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none())
        .with_target(false)
        .finish()
        .with(tracing_subscriber::filter::filter_fn(|meta| {
            !DatabaseUrl::log_event_quotes_secret(meta)
        }))
        .init();
}
