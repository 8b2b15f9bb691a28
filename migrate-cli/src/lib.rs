//! The `migrate` command line: Alembic's workflow (`revision`, `upgrade`,
//! `downgrade`, `current`, `history`, `stamp`, `merge`, …) over a migration
//! directory, and the same database subcommands for an application to mount
//! on its own binary over its embedded revision table.
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
//! error or log line: URLs are shown through [`DatabaseUrl`]'s redaction
//! and every message is scrubbed of the password before it is printed.
//!
//! [`DatabaseUrl`]: migrate_runtime::DatabaseUrl
#![deny(missing_docs)]

mod args;
mod autogen;
mod db;
mod edit;
mod env;
mod error;
mod graph;
mod output;
mod progress;
mod project;
mod show;
mod template;
mod tree;

use std::collections::HashSet;
use std::io::Write;
use std::process::ExitCode;
use std::sync::Arc;

use migrate_core::{Dialect, DialectCheck, Direction};
use migrate_runtime::{DatabaseUrl, Migrator};

pub use args::{
    Cli, ColorChoice, ColorOptions, Command, ConfigOptions, DatabaseOptions, EmbeddedCommand,
    GraphFormat, RevisionArgs,
};
pub use error::exit_code;

use error::{Usage, exit_code_of};
use output::{Ui, is_broken_pipe};
use project::{Pool, Project, find_url, require_url};
use tree::Tree;

/// Runs the `migrate` binary's command line and returns its exit code.
///
/// Installs a global `tracing` subscriber that logs to stderr when
/// `MIGRATE_LOG` is set (e.g. `MIGRATE_LOG=debug`), with the database
/// password scrubbed; meant for the binary's `main` only.
pub async fn run(cli: Cli) -> ExitCode {
    let ui = Arc::new(Ui::new(cli.color.color));
    init_logging(&ui);
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
    ui.protect(url);
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

fn init_logging(ui: &Arc<Ui>) {
    use tracing_subscriber::EnvFilter;
    let Ok(filter) = EnvFilter::try_from_env("MIGRATE_LOG") else {
        return;
    };
    let ui = ui.clone();
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(move || ScrubbingWriter {
            ui: ui.clone(),
            buffer: Vec::new(),
        })
        .with_ansi(false)
        .try_init();
}

/// Buffers one log record and writes it to stderr scrubbed of the password.
struct ScrubbingWriter {
    ui: Arc<Ui>,
    buffer: Vec<u8>,
}

impl Write for ScrubbingWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.buffer.extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Drop for ScrubbingWriter {
    fn drop(&mut self) {
        let text = self.ui.scrub(&String::from_utf8_lossy(&self.buffer));
        let _ = std::io::stderr().write_all(text.as_bytes());
    }
}

async fn dispatch(ui: &Arc<Ui>, cli: Cli) -> anyhow::Result<()> {
    let config_path = cli.config.config.as_deref();
    let url_flag = cli.database.database_url.as_deref();
    if let Some(flag) = url_flag {
        // Protect the flag's password before anything can fail.
        ui.protect(&DatabaseUrl::new(flag));
    }
    match &cli.command {
        Command::Init { directory } => edit::init(ui, config_path, directory),
        Command::Revision(args) => {
            let project = Project::load(config_path)?;
            edit::revision(ui, &project, args, url_flag).await
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
        Command::Check { shadow } => {
            let project = Project::load(config_path)?;
            check_directory(ui, &project)?;
            check_schema(ui, &project, url_flag, *shadow).await
        }
        Command::Upgrade { target, sql } | Command::Downgrade { target, sql } => {
            let direction = match cli.command {
                Command::Upgrade { .. } => Direction::Upgrade,
                _ => Direction::Downgrade,
            };
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            if *sql {
                let dialect = offline_dialect(ui, url_flag, &project)?;
                return db::offline_script(ui, &migrator, dialect, direction, target);
            }
            let (url, source) = require_url(url_flag, Some(&project.config))?;
            ui.protect(&url);
            let pool = Pool::connect(&url, source, direction == Direction::Upgrade).await?;
            let result = match direction {
                Direction::Upgrade => db::upgrade(ui, &migrator, &pool, target).await,
                Direction::Downgrade => db::downgrade(ui, &migrator, &pool, target).await,
            };
            pool.close().await;
            result
        }
        Command::Current {
            verbose,
            check_heads,
        } => {
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            let (url, source) = require_url(url_flag, Some(&project.config))?;
            ui.protect(&url);
            let pool = Pool::connect(&url, source, false).await?;
            let result = db::current(ui, &migrator, &pool, &url, *verbose, *check_heads).await;
            pool.close().await;
            result
        }
        Command::Stamp { targets, purge } => {
            let project = Project::load(config_path)?;
            let migrator = load_migrator(&project)?;
            let (url, source) = require_url(url_flag, Some(&project.config))?;
            ui.protect(&url);
            let pool = Pool::connect(&url, source, true).await?;
            let result = db::stamp(ui, &migrator, &pool, targets, *purge).await;
            pool.close().await;
            result
        }
        Command::History {
            verbose,
            rev_range,
            indicate_current,
        } => {
            let project = Project::load(config_path)?;
            let tree = load_tree_for_reading(ui, &project)?;
            let needs_db = *indicate_current || range_mentions_current(rev_range.as_deref());
            let current = if needs_db {
                let (url, source) = require_url(url_flag, Some(&project.config))?;
                ui.protect(&url);
                marks(ui, &project, &tree, &url, source).await?
            } else {
                HashSet::new()
            };
            show::history(ui, &tree, rev_range.as_deref(), &current, *verbose)
        }
        Command::Heads { verbose } => {
            let project = Project::load(config_path)?;
            let tree = load_tree_for_reading(ui, &project)?;
            show::heads(ui, &tree, &HashSet::new(), *verbose)
        }
        Command::Branches { verbose } => {
            let project = Project::load(config_path)?;
            let tree = load_tree_for_reading(ui, &project)?;
            show::branches(ui, &tree, *verbose)
        }
        Command::Show { revision } => {
            let project = Project::load(config_path)?;
            let tree = load_tree_for_reading(ui, &project)?;
            show::show(ui, &tree, revision, &HashSet::new())
        }
        Command::Graph { format } => {
            let project = Project::load(config_path)?;
            let tree = load_tree_for_reading(ui, &project)?;
            // The current revisions are a bonus: without a URL, or with a
            // database that cannot be reached, the graph is still drawn.
            let current = match find_url(url_flag, Some(&project.config)) {
                Ok(Some((url, source))) => {
                    ui.protect(&url);
                    match marks(ui, &project, &tree, &url, source).await {
                        Ok(current) => current,
                        Err(e) => {
                            ui.warn(format!(
                                "drawing without the current revisions: {}",
                                output::error_lines(&e).join("; ")
                            ));
                            HashSet::new()
                        }
                    }
                }
                Ok(None) => HashSet::new(),
                Err(e) => return Err(e),
            };
            match format {
                GraphFormat::Text => {
                    for line in graph::text(&tree, &current, &ui.out) {
                        ui.line(line)?;
                    }
                    Ok(())
                }
                GraphFormat::Dot => Ok(ui.text(&graph::dot(&tree, &current))?),
                GraphFormat::Mermaid => Ok(ui.text(&graph::mermaid(&tree, &current))?),
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
    let dialect = || {
        url.dialect().ok_or_else(|| {
            anyhow::Error::new(Usage(format!(
                "unsupported database URL scheme `{}` in {url}; use postgres://… or sqlite://…",
                url.scheme()
            )))
        })
    };
    match command {
        EmbeddedCommand::Upgrade { target, sql: true } => {
            db::offline_script(ui, migrator, dialect()?, Direction::Upgrade, &target)
        }
        EmbeddedCommand::Downgrade { target, sql: true } => {
            db::offline_script(ui, migrator, dialect()?, Direction::Downgrade, &target)
        }
        EmbeddedCommand::Upgrade { target, sql: false } => {
            let pool = Pool::connect(url, source, true).await?;
            let result = db::upgrade(ui, migrator, &pool, &target).await;
            pool.close().await;
            result
        }
        EmbeddedCommand::Downgrade { target, sql: false } => {
            let pool = Pool::connect(url, source, false).await?;
            let result = db::downgrade(ui, migrator, &pool, &target).await;
            pool.close().await;
            result
        }
        EmbeddedCommand::Current {
            verbose,
            check_heads,
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
            let tree = Tree::from_embedded(migrator.revisions());
            let current = if indicate_current || range_mentions_current(rev_range.as_deref()) {
                let pool = Pool::connect(url, source, false).await?;
                let result = db::current_marks(ui, migrator, &pool, &tree).await;
                pool.close().await;
                result?
            } else {
                HashSet::new()
            };
            show::history(ui, &tree, rev_range.as_deref(), &current, verbose)
        }
        EmbeddedCommand::Stamp { targets, purge } => {
            let pool = Pool::connect(url, source, true).await?;
            let result = db::stamp(ui, migrator, &pool, &targets, purge).await;
            pool.close().await;
            result
        }
        EmbeddedCommand::Check => {
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

/// The directory as a lenient tree; problems become warnings.
fn load_tree_for_reading(ui: &Ui, project: &Project) -> anyhow::Result<Tree> {
    let loaded = tree::load(&project.dir, &project.display, project.config.max_file_size)?;
    for problem in &loaded.problems {
        ui.warn(problem);
    }
    Ok(loaded.tree)
}

/// The current revisions for display, read from the history table only.
async fn marks(
    ui: &Ui,
    project: &Project,
    tree: &Tree,
    url: &DatabaseUrl,
    source: env::UrlSource,
) -> anyhow::Result<HashSet<usize>> {
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
    let result = db::current_marks(ui, &reader, &pool, tree).await;
    pool.close().await;
    result
}

/// The dialect of an offline script: the URL's scheme when a URL is
/// configured (nothing connects), else a single dialect in migrate.toml.
fn offline_dialect(ui: &Ui, url_flag: Option<&str>, project: &Project) -> anyhow::Result<Dialect> {
    if let Some((url, source)) = find_url(url_flag, Some(&project.config))? {
        ui.protect(&url);
        return url.dialect().ok_or_else(|| {
            Usage(format!(
                "unsupported database URL scheme `{}` in {url} (from {source}); use postgres://… or sqlite://…",
                url.scheme()
            ))
            .into()
        });
    }
    match &project.config.dialects {
        DialectCheck::All(list) if list.len() == 1 => Ok(list[0]),
        _ => Err(Usage(
            "--sql needs to know the SQL dialect: pass --database-url (nothing connects), or set `dialect = \"postgres\"` or `\"sqlite\"` in migrate.toml".into(),
        )
        .into()),
    }
}

/// `migrate check`: the directory, as embed_migrations! checks it.
fn check_directory(ui: &Ui, project: &Project) -> anyhow::Result<()> {
    match migrate_core::load_directory_with(
        &project.dir,
        &project.display,
        &project.config.dialects,
        project.config.max_file_size,
    ) {
        Ok(migrations) => {
            let n = migrations.revisions.len();
            ui.line(format!(
                "No problems found in {} ({n} revision{})",
                project.display,
                if n == 1 { "" } else { "s" }
            ))?;
            Ok(())
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

/// `migrate check`, second part: the declared schema against the database
/// (at head) or the shadow database, when there is a URL (or --shadow) and a
/// declared schema file. Without a URL only the directory is checked.
async fn check_schema(
    ui: &Ui,
    project: &Project,
    url_flag: Option<&str>,
    shadow: bool,
) -> anyhow::Result<()> {
    let has_url = find_url(url_flag, Some(&project.config))?.is_some();
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
    let comparison = autogen::compare(ui, project, &migrator, url_flag, shadow).await?;
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
        "New upgrade operations detected: {n} difference{} between {} and the {}database; run `migrate revision --autogenerate -m MSG` to write them as a revision",
        if n == 1 { "" } else { "s" },
        project.schema_display(),
        if shadow { "shadow " } else { "" }
    )))
}
