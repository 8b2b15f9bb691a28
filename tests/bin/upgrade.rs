//! Test helper binary: `migrate-test-upgrade URL DIR [OPTIONS]` upgrades the
//! database at URL to the heads of the migration directory DIR and prints how
//! many revisions it ran.
//!
//! Options (all optional; without them the binary does exactly that):
//!
//! * `--target T`: the target instead of `heads`;
//! * `--downgrade`: downgrade to the target (`base` unless `--target` says);
//! * `--per-revision`: `TransactionMode::PerRevision` instead of `Single`;
//! * `--lock-timeout-ms N`: how long to wait for another migrator's lock;
//! * `--progress`: print `done <revision>` on stdout as each revision ends.
//!
//! On failure the error is printed on stderr and the exit status is 1.

use std::fmt::Write as _;
use std::io::Write as _;
use std::str::FromStr;
use std::time::Duration;

use migrate_runtime::{Migrator, TransactionMode};

struct Options {
    url: String,
    dir: String,
    target: Option<String>,
    downgrade: bool,
    per_revision: bool,
    lock_timeout: Option<Duration>,
    progress: bool,
}

const USAGE: &str = "usage: migrate-test-upgrade URL DIR [--target T] [--downgrade] [--per-revision] [--lock-timeout-ms N] [--progress]";

fn parse_args() -> Result<Options, String> {
    let mut args = std::env::args().skip(1);
    let (Some(url), Some(dir)) = (args.next(), args.next()) else {
        return Err(USAGE.into());
    };
    let mut options = Options {
        url,
        dir,
        target: None,
        downgrade: false,
        per_revision: false,
        lock_timeout: None,
        progress: false,
    };
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--target" => options.target = Some(args.next().ok_or(USAGE)?),
            "--downgrade" => options.downgrade = true,
            "--per-revision" => options.per_revision = true,
            "--progress" => options.progress = true,
            "--lock-timeout-ms" => {
                let ms = args.next().ok_or(USAGE)?;
                let ms: u64 = ms.parse().map_err(|_| format!("bad milliseconds {ms:?}"))?;
                options.lock_timeout = Some(Duration::from_millis(ms));
            }
            other => return Err(format!("unknown argument {other:?}\n{USAGE}")),
        }
    }
    Ok(options)
}

/// Prints `done <revision>` for each "revision done" event of the runtime.
struct Progress;

impl tracing::Subscriber for Progress {
    fn enabled(&self, metadata: &tracing::Metadata<'_>) -> bool {
        metadata.is_event() && metadata.target().starts_with("migrate_runtime")
    }

    fn new_span(&self, _: &tracing::span::Attributes<'_>) -> tracing::span::Id {
        tracing::span::Id::from_u64(1)
    }

    fn record(&self, _: &tracing::span::Id, _: &tracing::span::Record<'_>) {}

    fn record_follows_from(&self, _: &tracing::span::Id, _: &tracing::span::Id) {}

    fn event(&self, event: &tracing::Event<'_>) {
        #[derive(Default)]
        struct Fields {
            message: String,
            revision: String,
        }
        impl tracing::field::Visit for Fields {
            fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
                if field.name() == "revision" {
                    self.revision = value.to_owned();
                }
            }
            fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
                match field.name() {
                    "message" => {
                        let _ = write!(self.message, "{value:?}");
                    }
                    "revision" => {
                        let _ = write!(self.revision, "{value:?}");
                    }
                    _ => {}
                }
            }
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if fields.message == "revision done" {
            // A pipe: write the whole line at once so a kill never splits it.
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(format!("done {}\n", fields.revision).as_bytes());
            let _ = out.flush();
        }
    }

    fn enter(&self, _: &tracing::span::Id) {}

    fn exit(&self, _: &tracing::span::Id) {}
}

async fn run(options: Options) -> Result<usize, Box<dyn std::error::Error>> {
    let mut migrator = Migrator::from_directory(
        options.dir.as_ref(),
        "migrations",
        &migrate_core::Config::default(),
    )?;
    if options.per_revision {
        migrator = migrator.with_transaction_mode(TransactionMode::PerRevision);
    }
    if let Some(timeout) = options.lock_timeout {
        migrator = migrator.with_lock_timeout(timeout);
    }
    let target = options.target.clone().unwrap_or_else(|| {
        if options.downgrade {
            "base".to_owned()
        } else {
            "heads".to_owned()
        }
    });
    let report = if options.url.starts_with("postgres") {
        let pool = sqlx::PgPool::connect(&options.url).await?;
        if options.downgrade {
            migrator.downgrade(&pool, &target).await?
        } else {
            migrator.upgrade(&pool, &target).await?
        }
    } else {
        // The connection's own busy timeout covers the reads made before the
        // migration lock is taken (the lock sets its own).
        let busy = options.lock_timeout.unwrap_or(Duration::from_secs(60));
        let connect =
            sqlx::sqlite::SqliteConnectOptions::from_str(&options.url)?.busy_timeout(busy);
        let pool = sqlx::SqlitePool::connect_with(connect).await?;
        if options.downgrade {
            migrator.downgrade(&pool, &target).await?
        } else {
            migrator.upgrade(&pool, &target).await?
        }
    };
    Ok(report.revisions.len())
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let options = match parse_args() {
        Ok(options) => options,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    if options.progress {
        let _ = tracing::subscriber::set_global_default(Progress);
    }
    match run(options).await {
        Ok(count) => println!("{count}"),
        Err(err) => {
            eprintln!("{err}");
            std::process::exit(1);
        }
    }
}
