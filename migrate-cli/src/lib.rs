//! The `migrate` command line: Alembic's workflow (`revision`, `upgrade`,
//! `downgrade`, `current`, `history`, `stamp`, `merge`, …) over a migration
//! directory, and the same database subcommands for an application to mount
//! on its own binary over its embedded revision table.
//!
//! It owns the command line, what is printed, the files it writes (`init`,
//! `revision`, `merge`) and where a database URL comes from. It must not
//! keep a revision graph, a target grammar or history SQL of its own: it
//! reads the graph and targets from `migrate_core` and runs everything that
//! touches a database through `migrate_runtime`.
//!
//! The binary is [`Cli`] + [`run`]. An application that embeds its
//! migrations with `embed_migrations!` adds [`EmbeddedCommand`] to its own
//! clap parser and calls [`run_embedded`], so the shipped binary migrates its
//! database with no migration files on the host, under the same lock and
//! history table as `migrate`.
//!
//! # Example
//!
//! An application's `main` offering `myapp migrate upgrade head`,
//! `myapp migrate current`, … next to its own commands:
//!
//! ```no_run
//! use clap::{Parser, Subcommand};
//! use migrate_runtime::{DatabaseUrl, Migrator};
//!
//! # static MIGRATOR: Migrator = migrate_runtime::embed_migrations!("../migrations", require_build_script = false);
//! // In the application: `static MIGRATOR: Migrator = migrate_runtime::embed_migrations!("migrations");`
//!
//! #[derive(Parser)]
//! struct App {
//!     #[command(subcommand)]
//!     command: Option<AppCommand>,
//! }
//!
//! #[derive(Subcommand)]
//! enum AppCommand {
//!     /// Serve HTTP (the default)
//!     Serve,
//!     /// Migrate the database with the revisions built into this binary
//!     #[command(subcommand)]
//!     Migrate(migrate_cli::EmbeddedCommand),
//! }
//!
//! #[tokio::main]
//! async fn main() -> anyhow::Result<std::process::ExitCode> {
//!     match App::parse().command {
//!         Some(AppCommand::Migrate(command)) => {
//!             // Same rules as `migrate`: DATABASE_URL, POSTGRES_*, .env.
//!             let url = migrate_cli::database_url_from_env()?
//!                 .unwrap_or_else(|| DatabaseUrl::new("sqlite://app.db?mode=rwc"));
//!             Ok(migrate_cli::run_embedded(&MIGRATOR, command, &url).await)
//!         }
//!         Some(AppCommand::Serve) | None => {
//!             // … serve …
//!             Ok(std::process::ExitCode::SUCCESS)
//!         }
//!     }
//! }
//! ```
//!
//! # Exit codes
//!
//! See [`exit_code`]: `0` success, `1` the command failed, `2` bad
//! invocation or configuration. Errors go to stderr as `error: …` with
//! their causes; data goes to stdout; a closed stdout (`migrate history |
//! head`) ends quietly. A database password never appears in any output,
//! error or log line: URLs are shown only through [`DatabaseUrl`]'s
//! redaction, the driver's log events that quote a secret are dropped, and
//! nothing else is rewritten (SQL scripts and messages are printed as they
//! are).
//!
//! [`DatabaseUrl`]: migrate_runtime::DatabaseUrl
#![deny(missing_docs)]

mod advice;
mod args;
mod autogen;
mod db;
mod edit;
mod env;
mod error;
mod fleet;
mod graph;
mod lint;
mod output;
mod progress;
mod project;
mod schema;
mod show;
mod squash;
mod template;
mod view;

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use migrate_core::{Dialect, DialectCheck, Direction};
use migrate_runtime::{DatabaseUrl, Migrator};

pub use args::{
    Cli, ColorChoice, ColorOptions, Command, ConfigOptions, DatabaseOptions, EmbeddedCommand,
    GraphFormat, OtherToolArgs, RevisionArgs,
};
pub use error::exit_code;

use advice::{check_direction, heads_advice, other_tool};
use error::{Usage, exit_code_of};
use output::{Ui, is_broken_pipe};
use project::{Pool, Project, find_url, on_pool, require_url};
use view::View;

/// Runs the `migrate` binary's command line and returns its exit code.
///
/// Installs a global `tracing` subscriber that logs to stderr when
/// `MIGRATE_LOG` is set (e.g. `MIGRATE_LOG=debug`), without the driver's
/// events that quote a secret; meant for the binary's `main` only.
pub async fn run(cli: Cli) -> ExitCode {
    let ui = Arc::new(Ui::new(cli.color.color));
    init_logging();
    let result = dispatch(&ui, cli).await;
    finish(&ui, result)
}

/// Runs one of the mountable subcommands against `migrator` (an
/// application's embedded table) and the database at `url`, printing as
/// `migrate` does, and returns the exit code (see [`exit_code`]).
///
/// It takes the same lock and writes the same history table as the
/// `migrate` binary and `Migrator::upgrade`. It installs no global
/// subscriber: while a run goes on, the runtime's `tracing` events are
/// turned into output lines and also passed on to the application's
/// subscriber.
pub async fn run_embedded(
    migrator: &Migrator,
    command: EmbeddedCommand,
    url: &DatabaseUrl,
) -> ExitCode {
    let ui = Arc::new(Ui::new(ColorChoice::Auto));
    let result = embedded(&ui, migrator, command, url).await;
    finish(&ui, result)
}

/// The database URL from the environment, by the `migrate` binary's rules:
/// `DATABASE_URL`, else the `POSTGRES_*` variables, with a `.env` file in
/// the working directory read first (never overriding set variables).
/// `Ok(None)` when none is set; an error when `.env` cannot be parsed.
pub fn database_url_from_env() -> anyhow::Result<Option<DatabaseUrl>> {
    Ok(find_url(None, None)?.map(|(url, _)| url))
}

fn finish(ui: &Ui, result: anyhow::Result<()>) -> ExitCode {
    let code = match result {
        Ok(()) => exit_code::OK,
        // The reader went away (`migrate history | head`): not an error.
        Err(e) if is_broken_pipe(&e) => exit_code::OK,
        Err(e) => {
            ui.error(&e);
            exit_code_of(&e)
        }
    };
    // Nothing useful can be said about a stdout that cannot be flushed.
    let _ = std::io::stdout().flush();
    ExitCode::from(code)
}

fn init_logging() {
    use tracing_subscriber::EnvFilter;
    use tracing_subscriber::filter::filter_fn;
    use tracing_subscriber::prelude::*;
    let Ok(filter) = EnvFilter::try_from_env("MIGRATE_LOG") else {
        return;
    };
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(false)
        .finish()
        // The driver logs a few events with a secret in a field (a
        // `~/.pgpass` line); those are left out, the rest is logged as is.
        .with(filter_fn(|meta| {
            !DatabaseUrl::log_event_quotes_secret(meta)
        }));
    let _ = subscriber.try_init();
}

async fn dispatch(ui: &Arc<Ui>, cli: Cli) -> anyhow::Result<()> {
    let config_path = cli.config.config.as_deref();
    let url_flag = cli.database.database_url.as_deref();
    if let Some((options, operation)) = fleet_request(&cli.command)? {
        let project = Project::load(config_path)?;
        let migrator = load_migrator(&project)?;
        let url = match options.each_schema {
            Some(_) => Some(require_url(url_flag, Some(&project))?.0),
            None => None,
        };
        return fleet::run(ui, &migrator, options, url.as_ref(), operation).await;
    }
    match &cli.command {
        Command::Status(_) => other_tool(
            "status",
            "current",
            "(and `migrate history -i` for the list, current revisions marked)",
        ),
        Command::Info(_) => other_tool(
            "info",
            "current",
            "(and `migrate history -i` for the list, current revisions marked)",
        ),
        Command::Run(_) => other_tool("run", "upgrade head", ""),
        Command::Revert(_) => other_tool("revert", "downgrade -1", ""),
        Command::Add(_) => other_tool("add", "revision -m MESSAGE", ""),
        Command::Migrate(_) => other_tool("migrate", "upgrade head", ""),
        Command::Validate(_) => other_tool("validate", "check", ""),
        Command::Baseline(_) => other_tool(
            "baseline",
            "stamp REV",
            "(records REV as applied without running it; to adopt a database no migration made, `migrate init --from-database`)",
        ),
        Command::Init {
            directory,
            from_database: false,
        } => edit::init(ui, config_path, directory, url_flag),
        Command::Init {
            directory,
            from_database: true,
        } => edit::adopt(ui, config_path, directory, url_flag).await,
        Command::Revision(args) => {
            let project = Project::load(config_path)?;
            edit::revision(ui, &project, args, url_flag).await
        }
        Command::Squash {
            range,
            message,
            concat,
            prune,
        } => {
            let project = Project::load(config_path)?;
            match (prune, range, message) {
                (true, None, _) => squash::prune(ui, &project, url_flag).await,
                (true, Some(_), _) => Err(Usage(
                    "--prune takes no range: it removes the replaced files of every checkpoint; run it on its own".into(),
                )
                .into()),
                (false, Some(range), Some(message)) => {
                    squash::squash(ui, &project, range, message, *concat)
                }
                (false, _, _) => Err(Usage("give FROM:TO and -m MSG, or --prune".into()).into()),
            }
        }
        Command::Rebase { revision } => {
            let project = Project::load(config_path)?;
            squash::rebase(ui, &project, revision, url_flag).await
        }
        Command::Merge {
            message,
            revisions,
            rev_id,
            branch_label,
        } => {
            let project = Project::load(config_path)?;
            edit::merge(
                ui,
                &project,
                message,
                revisions,
                rev_id.as_deref(),
                branch_label.as_deref(),
            )
        }
        Command::Check {
            shadow, offline, ..
        } => {
            autogen::refuse_url_when_offline(url_flag, *offline)?;
            let project = Project::load(config_path)?;
            let migrations = check_directory(ui, &project)?;
            let against = autogen::Against::from_flags(*shadow, *offline);
            if against == autogen::Against::Database {
                // --shadow and --offline leave the configured database alone.
                check_history(&project, url_flag).await?;
            }
            check_schema(ui, &project, &migrations, url_flag, against).await
        }
        Command::Downgrade {
            target,
            from_history: true,
            ..
        } => {
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            if let Some(target) = target {
                check_direction(&migrator, Direction::Downgrade, target, false)?;
            }
            let (url, source) = require_url(url_flag, Some(&project))?;
            let pool = Pool::connect(&url, source, false).await?;
            let result = db::downgrade_from_history(ui, &migrator, &pool, target.as_deref()).await;
            pool.close().await;
            result
        }
        Command::Downgrade { target: None, .. } => Err(missing_target()),
        Command::Upgrade {
            target,
            sql,
            resume,
            ..
        }
        | Command::Downgrade {
            target: Some(target),
            sql,
            resume,
            ..
        } => {
            let direction = match cli.command {
                Command::Upgrade { .. } => Direction::Upgrade,
                _ => Direction::Downgrade,
            };
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            check_direction(&migrator, direction, target, *sql)?;
            if *sql {
                let dialect = offline_dialect(url_flag, &project)?;
                return db::offline_script(ui, &migrator, dialect, direction, target)
                    .map_err(|e| heads_advice(e, &migrator, direction, target));
            }
            let (url, source) = require_url(url_flag, Some(&project))?;
            let pool = Pool::connect(&url, source, direction == Direction::Upgrade).await?;
            let result = match direction {
                Direction::Upgrade => db::upgrade(ui, &migrator, &pool, target, *resume).await,
                Direction::Downgrade => db::downgrade(ui, &migrator, &pool, target, *resume).await,
            };
            pool.close().await;
            result.map_err(|e| heads_advice(e, &migrator, direction, target))
        }
        Command::Current {
            verbose,
            check_heads,
            ..
        } => {
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            let (url, source) = require_url(url_flag, Some(&project))?;
            if *verbose {
                describe_url(ui, url_flag, &project)?;
            }
            let pool = Pool::connect(&url, source, false).await?;
            let result = db::current(ui, &migrator, &pool, &url, *verbose, *check_heads).await;
            pool.close().await;
            result
        }
        Command::Stamp {
            targets,
            purge,
            accept_checksum,
            ..
        } => {
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            let (url, source) = require_url(url_flag, Some(&project))?;
            let pool = Pool::connect(&url, source, true).await?;
            let result = if *accept_checksum {
                db::accept_checksums(ui, &migrator, &pool, targets).await
            } else {
                db::stamp(ui, &migrator, &pool, targets, *purge).await
            };
            pool.close().await;
            result
        }
        Command::History {
            verbose,
            rev_range,
            indicate_current,
        } => {
            let project = Project::load(config_path)?;
            let view = load_view_for_reading(ui, &project)?;
            let needs_db = *indicate_current || range_mentions_current(rev_range.as_deref());
            // --verbose shows the history table's rows when a URL is
            // configured; like `graph`, it still lists the files without.
            let rows = if needs_db {
                let (url, source) = require_url(url_flag, Some(&project))?;
                if *verbose {
                    describe_url(ui, url_flag, &project)?;
                }
                Some(history_rows(&project, &url, source).await?)
            } else if *verbose {
                match find_url(url_flag, Some(&project))? {
                    Some((url, source)) => {
                        describe_url(ui, url_flag, &project)?;
                        match history_rows(&project, &url, source).await {
                            Ok(rows) => Some(rows),
                            Err(e) => {
                                ui.warn(format!(
                                    "listing without the history table: {}",
                                    output::error_lines(&e).join("; ")
                                ));
                                None
                            }
                        }
                    }
                    None => None,
                }
            } else {
                None
            };
            let current = match (&rows, needs_db) {
                (Some(rows), true) => marks_from_rows(ui, &view, rows),
                _ => HashSet::new(),
            };
            let rows = rows.as_deref().filter(|_| *verbose);
            show::history(ui, &view, rev_range.as_deref(), &current, *verbose, rows)
        }
        Command::Heads { verbose } => {
            let project = Project::load(config_path)?;
            let view = load_view_for_reading(ui, &project)?;
            show::heads(ui, &view, &HashSet::new(), *verbose)
        }
        Command::Branches { verbose } => {
            let project = Project::load(config_path)?;
            let view = load_view_for_reading(ui, &project)?;
            show::branches(ui, &view, *verbose)
        }
        Command::Show { revision } => {
            let project = Project::load(config_path)?;
            let view = load_view_for_reading(ui, &project)?;
            show::show(ui, &view, revision, &HashSet::new())
        }
        Command::Lint { format } => {
            let project = Project::load(config_path)?;
            lint::run(ui, &project, *format)
        }
        Command::Schema { at } => {
            let project = Project::load(config_path)?;
            schema::print(ui, &project, at.as_deref())
        }
        Command::Graph { format } => {
            let project = Project::load(config_path)?;
            let view = load_view_for_reading(ui, &project)?;
            // The current revisions are a bonus: without a URL, or with a
            // database that cannot be reached, the graph is still drawn.
            let current = match find_url(url_flag, Some(&project)) {
                Ok(Some((url, source))) => match marks(ui, &project, &view, &url, source).await {
                    Ok(current) => current,
                    Err(e) => {
                        ui.warn(format!(
                            "drawing without the current revisions: {}",
                            output::error_lines(&e).join("; ")
                        ));
                        HashSet::new()
                    }
                },
                Ok(None) => HashSet::new(),
                Err(e) => return Err(e),
            };
            match format {
                GraphFormat::Text => {
                    for line in graph::text(&view, &current, &ui.out) {
                        ui.line(line)?;
                    }
                    Ok(())
                }
                GraphFormat::Dot => Ok(ui.text(&graph::dot(&view, &current))?),
                GraphFormat::Mermaid => Ok(ui.text(&graph::mermaid(&view, &current))?),
            }
        }
    }
}

async fn embedded(
    ui: &Arc<Ui>,
    migrator: &Migrator,
    command: EmbeddedCommand,
    url: &DatabaseUrl,
) -> anyhow::Result<()> {
    let source = env::UrlSource::Application;
    let dialect = || url.dialect().ok_or_else(|| url_problem(source, url));
    if let Some((options, operation)) = embedded_fleet_request(&command)? {
        return fleet::run(ui, migrator, options, Some(url), operation).await;
    }
    match &command {
        EmbeddedCommand::Upgrade { target, sql, .. } => {
            check_direction(migrator, Direction::Upgrade, target, *sql)?;
        }
        EmbeddedCommand::Downgrade {
            target: Some(target),
            sql,
            ..
        } => {
            check_direction(migrator, Direction::Downgrade, target, *sql)?;
        }
        _ => {}
    }
    match command {
        EmbeddedCommand::Upgrade {
            target, sql: true, ..
        } => db::offline_script(ui, migrator, dialect()?, Direction::Upgrade, &target)
            .map_err(|e| heads_advice(e, migrator, Direction::Upgrade, &target)),
        EmbeddedCommand::Downgrade {
            target,
            from_history: true,
            ..
        } => {
            let pool = Pool::connect(url, source, false).await?;
            let result = db::downgrade_from_history(ui, migrator, &pool, target.as_deref()).await;
            pool.close().await;
            result
        }
        EmbeddedCommand::Downgrade {
            target: Some(target),
            sql: true,
            ..
        } => db::offline_script(ui, migrator, dialect()?, Direction::Downgrade, &target),
        EmbeddedCommand::Upgrade {
            target,
            sql: false,
            resume,
            ..
        } => {
            let pool = Pool::connect(url, source, true).await?;
            let result = db::upgrade(ui, migrator, &pool, &target, resume).await;
            pool.close().await;
            result.map_err(|e| heads_advice(e, migrator, Direction::Upgrade, &target))
        }
        EmbeddedCommand::Downgrade { target: None, .. } => Err(missing_target()),
        EmbeddedCommand::Downgrade {
            target: Some(target),
            sql: false,
            resume,
            ..
        } => {
            let pool = Pool::connect(url, source, false).await?;
            let result = db::downgrade(ui, migrator, &pool, &target, resume).await;
            pool.close().await;
            result
        }
        EmbeddedCommand::Current {
            verbose,
            check_heads,
            ..
        } => {
            let pool = Pool::connect(url, source, false).await?;
            let result = db::current(ui, migrator, &pool, url, verbose, check_heads).await;
            pool.close().await;
            result
        }
        EmbeddedCommand::History {
            verbose,
            rev_range,
            indicate_current,
        } => {
            let view = View::from_embedded(migrator);
            let needs_db = indicate_current || range_mentions_current(rev_range.as_deref());
            let rows = if needs_db || verbose {
                let pool = Pool::connect(url, source, false).await;
                let rows = match pool {
                    Ok(pool) => {
                        let rows = on_pool!(&pool, p => migrator.history(p).await);
                        pool.close().await;
                        rows.map_err(anyhow::Error::from)
                    }
                    Err(e) => Err(e),
                };
                match rows {
                    Ok(rows) => Some(rows),
                    Err(e) if needs_db => return Err(e),
                    Err(e) => {
                        ui.warn(format!(
                            "listing without the history table: {}",
                            output::error_lines(&e).join("; ")
                        ));
                        None
                    }
                }
            } else {
                None
            };
            let current = match (&rows, needs_db) {
                (Some(rows), true) => marks_from_rows(ui, &view, rows),
                _ => HashSet::new(),
            };
            let rows = rows.as_deref().filter(|_| verbose);
            show::history(ui, &view, rev_range.as_deref(), &current, verbose, rows)
        }
        EmbeddedCommand::Stamp {
            targets,
            purge,
            accept_checksum,
            ..
        } => {
            let pool = Pool::connect(url, source, true).await?;
            let result = if accept_checksum {
                db::accept_checksums(ui, migrator, &pool, &targets).await
            } else {
                db::stamp(ui, migrator, &pool, &targets, purge).await
            };
            pool.close().await;
            result
        }
        EmbeddedCommand::Check { .. } => {
            let pool = Pool::connect(url, source, false).await?;
            let result = db::check_database(ui, migrator, &pool).await;
            pool.close().await;
            result
        }
    }
}

fn range_mentions_current(range: Option<&str>) -> bool {
    range.is_some_and(|r| r.split(':').any(|end| end.starts_with("current")))
}

/// What a fleet run is asked to do, from either command enum, with the
/// options a fleet cannot take.
enum FleetCommand<'a> {
    Upgrade(&'a str, [(bool, &'static str); 2]),
    Downgrade(Option<&'a String>, [(bool, &'static str); 3]),
    Current([(bool, &'static str); 2]),
    Stamp(&'a [String], [(bool, &'static str); 2]),
    Check(&'a [(bool, &'static str)]),
}

/// The fleet request of a command of `$enum` (`Command` or
/// `EmbeddedCommand`, whose database verbs have the same fields), if any.
macro_rules! fleet_request {
    ($enum:ident, $command:expr) => {{
        let (options, wanted) = match $command {
            $enum::Upgrade {
                target,
                sql,
                resume,
                fleet,
            } => (
                fleet,
                FleetCommand::Upgrade(target, [(*sql, "--sql"), (*resume, "--resume")]),
            ),
            $enum::Downgrade {
                target,
                sql,
                resume,
                from_history,
                fleet,
            } => (
                fleet,
                FleetCommand::Downgrade(
                    target.as_ref(),
                    [
                        (*sql, "--sql"),
                        (*resume, "--resume"),
                        (*from_history, "--from-history"),
                    ],
                ),
            ),
            $enum::Current {
                verbose,
                check_heads,
                fleet,
            } => (
                fleet,
                FleetCommand::Current([(*verbose, "--verbose"), (*check_heads, "--check-heads")]),
            ),
            $enum::Stamp {
                targets,
                purge,
                accept_checksum,
                fleet,
            } => (
                fleet,
                FleetCommand::Stamp(
                    targets,
                    [(*purge, "--purge"), (*accept_checksum, "--accept-checksum")],
                ),
            ),
            _ => return Ok(None),
        };
        Ok(fleet_operation(options, wanted)?.map(|op| (options, op)))
    }};
}

/// The `migrate` command's fleet request, if any.
fn fleet_request(
    command: &Command,
) -> anyhow::Result<Option<(&args::FleetOptions, fleet::Operation)>> {
    if let Command::Check {
        shadow,
        offline,
        fleet,
    } = command
    {
        let refused = [(*shadow, "--shadow"), (*offline, "--offline")];
        let operation = fleet_operation(fleet, FleetCommand::Check(&refused))?;
        return Ok(operation.map(|op| (fleet, op)));
    }
    fleet_request!(Command, command)
}

/// The application subcommand's fleet request, if any.
fn embedded_fleet_request(
    command: &EmbeddedCommand,
) -> anyhow::Result<Option<(&args::FleetOptions, fleet::Operation)>> {
    if let EmbeddedCommand::Check { fleet } = command {
        let operation = fleet_operation(fleet, FleetCommand::Check(&[]))?;
        return Ok(operation.map(|op| (fleet, op)));
    }
    fleet_request!(EmbeddedCommand, command)
}

/// The operation of a fleet request; `None` for a command on one
/// database. The options a fleet cannot take, and fleet options without a
/// fleet, are refused.
fn fleet_operation(
    options: &args::FleetOptions,
    wanted: FleetCommand<'_>,
) -> anyhow::Result<Option<fleet::Operation>> {
    fleet::check_alone(options)?;
    if !fleet::requested(options) {
        return Ok(None);
    }
    let (operation, refused): (fleet::Operation, &[(bool, &str)]) = match &wanted {
        FleetCommand::Upgrade(target, refused) => {
            (fleet::Operation::Upgrade((*target).to_owned()), refused)
        }
        FleetCommand::Downgrade(target, refused) => {
            let Some(target) = target else {
                return Err(missing_target());
            };
            (fleet::Operation::Downgrade((*target).clone()), refused)
        }
        FleetCommand::Current(refused) => (fleet::Operation::Current, refused),
        FleetCommand::Check(refused) => (fleet::Operation::Check, refused),
        FleetCommand::Stamp(targets, refused) => {
            (fleet::Operation::Stamp(targets.to_vec()), refused)
        }
    };
    if let Some((_, flag)) = refused.iter().find(|(on, _)| *on) {
        return Err(Usage(format!(
            "{flag} cannot be used with --each-database or --each-schema"
        ))
        .into());
    }
    match &operation {
        fleet::Operation::Upgrade(t) | fleet::Operation::Downgrade(t) => {
            if t.contains(':') {
                return Err(Usage(format!("`{t}`: FROM:TO ranges are for --sql")).into());
            }
            migrate_core::Target::parse(t)?;
        }
        fleet::Operation::Stamp(targets) => {
            for t in targets {
                migrate_core::Target::parse(t)?;
            }
        }
        fleet::Operation::Current | fleet::Operation::Check => {}
    }
    Ok(Some(operation))
}

/// `downgrade` without a target and without `--from-history` (which the
/// argument parser already refuses).
fn missing_target() -> anyhow::Error {
    Usage("`downgrade` needs a TARGET (e.g. `-1` or `base`), or `--from-history`".into()).into()
}

/// The directory as a runtime migrator: everything the macro checks must pass.
pub(crate) fn load_migrator(project: &Project) -> anyhow::Result<Migrator> {
    Migrator::from_directory(&project.dir, &project.display, &project.config).map_err(|errors| {
        let n = errors.as_slice().len();
        let missing = matches!(
            errors.as_slice(),
            [migrate_core::Error::DirectoryMissing { .. }]
        );
        let err = anyhow::Error::new(errors);
        if missing {
            err
        } else {
            err.context(format!(
                "{} has {n} problem{}; fix {} (`migrate check` lists the same)",
                project.display,
                if n == 1 { "" } else { "s" },
                if n == 1 { "it" } else { "them" }
            ))
        }
    })
}

/// The directory as a lenient view; problems become warnings, except
/// several heads, which reading shows as they are (as Alembic does).
fn load_view_for_reading(ui: &Ui, project: &Project) -> anyhow::Result<View> {
    let loaded = view::load(&project.dir, &project.display, project.config.max_file_size)?;
    for problem in loaded.blocking_problems() {
        ui.warn(problem);
    }
    Ok(loaded.view)
}

/// The current revisions for display, read from the history table only.
async fn marks(
    ui: &Ui,
    project: &Project,
    view: &View,
    url: &DatabaseUrl,
    source: env::UrlSource,
) -> anyhow::Result<HashSet<usize>> {
    let rows = history_rows(project, url, source).await?;
    Ok(marks_from_rows(ui, view, &rows))
}

/// The history table's rows, oldest first, with no checks.
async fn history_rows(
    project: &Project,
    url: &DatabaseUrl,
    source: env::UrlSource,
) -> anyhow::Result<Vec<migrate_runtime::HistoryEntry>> {
    // Reading rows needs no valid graph, so an empty table will do: the
    // directory may have two heads right now, which is why the user looks.
    let reader = Migrator::__from_table(&[], migrate_core::DEFAULT_VERSION_TABLE)
        .with_version_table(&project.config.version_table)
        .ok_or_else(|| {
            Usage(format!(
                "invalid version_table `{}`",
                project.config.version_table
            ))
        })?;
    let pool = Pool::connect(url, source, false).await?;
    let result = on_pool!(&pool, p => reader.history(p).await);
    pool.close().await;
    Ok(result?)
}

/// The current revisions on `view`, warning about rows it does not know.
fn marks_from_rows(ui: &Ui, view: &View, rows: &[migrate_runtime::HistoryEntry]) -> HashSet<usize> {
    let (current, unknown) = show::current_from_rows(view, rows);
    if !unknown.is_empty() {
        ui.warn(format!(
            "the database has revision(s) {} applied that this directory does not contain",
            output::one_line(&unknown.join(", "))
        ));
    }
    current
}

/// The dialect of an offline script: the URL's scheme when a URL is
/// configured (nothing connects), else a single dialect in migrate.toml.
fn offline_dialect(url_flag: Option<&str>, project: &Project) -> anyhow::Result<Dialect> {
    if let Some((url, source)) = find_url(url_flag, Some(project))? {
        // Only the scheme matters here: nothing connects.
        return match url.dialect() {
            Some(dialect) => Ok(dialect),
            None => Err(url_problem(source, &url)),
        };
    }
    match &project.config.dialects {
        DialectCheck::All(list) if list.len() == 1 => Ok(list[0]),
        _ => Err(Usage(
            "--sql needs to know the SQL dialect: pass --database-url (nothing connects), or set `dialect = \"postgres\"` or `\"sqlite\"` in migrate.toml".into(),
        )
        .into()),
    }
}

/// `--verbose`: where each part of the URL came from, on stderr.
fn describe_url(ui: &Ui, url_flag: Option<&str>, project: &Project) -> anyhow::Result<()> {
    if let Some(resolved) = project::resolve(url_flag, Some(project))? {
        for line in resolved.describe() {
            ui.note(line);
        }
    }
    Ok(())
}

/// What `DatabaseUrl::check` finds wrong with a URL, as a usage error that
/// names where the URL came from.
pub(crate) fn url_problem(source: env::UrlSource, url: &DatabaseUrl) -> anyhow::Error {
    match url.check() {
        Err(e) => Usage(format!("{source}: {e}")).into(),
        Ok(_) => Usage(format!("{source}: {url}: not a URL this command can use")).into(),
    }
}

/// `migrate check`: the directory, as embed_migrations! checks it.
fn check_directory(ui: &Ui, project: &Project) -> anyhow::Result<migrate_core::Migrations> {
    match project.load_migrations() {
        Ok(migrations) => {
            // A checkpoint must give the schema of what it replaces.
            let checkpoints =
                migrate_schema::fold::check_checkpoints(&migrations, &project.config.dialects);
            if let Some(errors) = migrate_core::Errors::from_vec(checkpoints) {
                let n = errors.as_slice().len();
                return Err(anyhow::Error::new(errors).context(format!(
                    "{n} problem{} found in {}",
                    if n == 1 { "" } else { "s" },
                    project.display
                )));
            }
            // What the chain does to the database, as the build sees it.
            let findings = migrate_schema::fold::check(
                &migrations,
                &project.config.dialects,
                &project.config.lint,
            );
            let errors = lint::print_text(ui, &findings)?;
            if errors > 0 {
                return Err(anyhow::anyhow!(
                    "{errors} problem{} found in {} by the schema fold; fix the statements named above, or allow them as each line says",
                    if errors == 1 { "" } else { "s" },
                    project.display
                ));
            }
            let n = migrations.revisions.len();
            let d = migrations.definitions.len();
            ui.line(format!(
                "No problems found in {} ({n} revision{}{})",
                project.display,
                if n == 1 { "" } else { "s" },
                match d {
                    0 => String::new(),
                    1 => ", 1 definition".to_owned(),
                    d => format!(", {d} definitions"),
                }
            ))?;
            Ok(migrations)
        }
        Err(errors) => {
            let n = errors.as_slice().len();
            if matches!(
                errors.as_slice(),
                [migrate_core::Error::DirectoryMissing { .. }]
            ) {
                return Err(errors.into());
            }
            Err(anyhow::Error::new(errors).context(format!(
                "{n} problem{} found in {}",
                if n == 1 { "" } else { "s" },
                project.display
            )))
        }
    }
}

/// `migrate check`, second part, when there is a URL: no revision is left
/// part-way by an earlier run.
async fn check_history(project: &Project, url_flag: Option<&str>) -> anyhow::Result<()> {
    let Some((url, source)) = find_url(url_flag, Some(project))? else {
        return Ok(());
    };
    let migrator = load_migrator(project)?;
    let pool = Pool::connect(&url, source, false).await?;
    let result = db::check_history(&migrator, &pool).await;
    pool.close().await;
    result
}

/// `migrate check`, third part: the declared schema against the database
/// (at head), the shadow database or the fold, when there is a URL (or
/// --shadow, or --offline) and a declared schema file. Without a URL only
/// the directory is checked.
async fn check_schema(
    ui: &Ui,
    project: &Project,
    migrations: &migrate_core::Migrations,
    url_flag: Option<&str>,
    against: autogen::Against,
) -> anyhow::Result<()> {
    if against == autogen::Against::Fold {
        let comparison = autogen::compare_offline(ui, project, migrations)?;
        return report_check(ui, project, &comparison, against);
    }
    let shadow = against == autogen::Against::Shadow;
    let has_url = find_url(url_flag, Some(project))?.is_some();
    if !has_url && !shadow {
        return Ok(());
    }
    if !autogen::has_declared(project) {
        if shadow {
            // Asked for explicitly: say why nothing can be compared.
            autogen::read_declared(project, Dialect::Postgres)?;
        }
        return Ok(());
    }
    let migrator = load_migrator(project)?;
    let comparison = autogen::compare(ui, project, &migrator, url_flag, against).await?;
    report_check(ui, project, &comparison, against)
}

/// `migrate check`'s verdict on a comparison: exit 0, or 1 listing the
/// differences.
fn report_check(
    ui: &Ui,
    project: &Project,
    comparison: &autogen::Comparison,
    against: autogen::Against,
) -> anyhow::Result<()> {
    if comparison.changes.is_empty() {
        ui.line("No new upgrade operations detected.")?;
        return Ok(());
    }
    let n = comparison.changes.len();
    let lines = comparison
        .changes
        .iter()
        .map(|c| c.summary())
        .collect::<Vec<_>>();
    Err(anyhow::Error::new(error::Problems(lines)).context(format!(
        "New upgrade operations detected: {n} difference{} between {} and {}; run `migrate revision --autogenerate -m MSG` to write them as a revision",
        if n == 1 { "" } else { "s" },
        project.schema_display(),
        against.describe()
    )))
}
