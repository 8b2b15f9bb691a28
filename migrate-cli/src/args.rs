//! The command line: one `Command` enum of Alembic's verbs, shared option
//! groups flattened in. Doc comments here are the `--help` text.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// The `--help` section listing exit codes (also in the README).
pub(crate) const EXIT_CODES_HELP: &str = "\
Exit status:
  0  success
  1  the command failed: a migration or database error, a problem in the
     migration directory (`check`), a refused request (several heads, a
     revision that is not a head, a database not at head with --check-heads)
  2  bad invocation or configuration: unknown option or command, invalid
     target syntax, unreadable migrate.toml or .env, missing migration
     directory, no database URL, missing declared schema file
  3  a fleet run (--each-database, --each-schema) where some members
     succeeded and others failed or were not run (1: none succeeded)

`migrate check` and `migrate revision --autogenerate` compare the declared
schema (schema.sql) with the database (with --offline: with the schema the
upgrades build, without a database); `check` exits 1 when they differ,
`revision --autogenerate` writes nothing when they agree.

Database URL, first found wins: --database-url, DATABASE_URL,
POSTGRES_USER/POSTGRES_PASSWORD/POSTGRES_HOST/POSTGRES_PORT/POSTGRES_DB,
`database_url` in migrate.toml. A .env file in the working directory is read
first (it never overrides variables that are already set). The password is
never printed.

Targets: head, heads, base, a full or partial revision id, a branch label,
+N, -N, REV+N, REV-N, LABEL@head, LABEL@base.

MIGRATE_LOG=debug (a tracing filter) logs what the runtime and the driver do
on stderr (the password is not in it).";

/// Alembic's workflow for Rust: revisions with parents, upgrade and downgrade
/// to any target, current/history/stamp/merge, over a migration directory
/// that `embed_migrations!` also checks at compile time.
#[derive(Debug, Clone, Parser)]
#[command(name = "migrate", version, after_help = EXIT_CODES_HELP)]
pub struct Cli {
    /// `--config`.
    #[command(flatten)]
    pub config: ConfigOptions,
    /// `--database-url`.
    #[command(flatten)]
    pub database: DatabaseOptions,
    /// `--color`.
    #[command(flatten)]
    pub color: ColorOptions,
    /// The command to run.
    #[command(subcommand)]
    pub command: Command,
}

/// Which `migrate.toml` to read.
#[derive(Debug, Clone, Default, Args)]
pub struct ConfigOptions {
    /// Path to the config file; the paths named in it are relative to the
    /// file [default: migrate.toml in the working directory or the nearest
    /// parent that has one, optional]
    #[arg(
        short = 'c',
        long,
        value_name = "PATH",
        global = true,
        help_heading = "Global options"
    )]
    pub config: Option<PathBuf>,
}

/// Which database to talk to.
#[derive(Debug, Clone, Default, Args)]
pub struct DatabaseOptions {
    /// Database URL (postgres://user:password@host:port/db or sqlite://file.db);
    /// otherwise DATABASE_URL, the POSTGRES_* variables, then migrate.toml
    #[arg(
        long,
        value_name = "URL",
        global = true,
        help_heading = "Global options"
    )]
    pub database_url: Option<String>,
}

/// When to use colour.
#[derive(Debug, Clone, Default, Args)]
pub struct ColorOptions {
    /// Colour output: auto (only on a terminal, unless NO_COLOR is set),
    /// always or never
    #[arg(long, value_enum, value_name = "WHEN", default_value_t = ColorChoice::Auto, global = true, help_heading = "Global options")]
    pub color: ColorChoice,
}

/// `--color` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    /// Colour when the stream is a terminal and NO_COLOR is unset.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

/// `graph --format` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum GraphFormat {
    /// A `git log --graph`-like drawing.
    #[default]
    Text,
    /// Graphviz DOT (`migrate graph --format dot | dot -Tsvg > graph.svg`).
    Dot,
    /// A Mermaid flowchart, for Markdown docs.
    Mermaid,
}

/// Run one command over many databases or schemas.
#[derive(Debug, Clone, Default, Args)]
pub struct FleetOptions {
    /// Run on every database FILE lists, one URL a line (blank lines and
    /// lines starting with `#` are skipped)
    #[arg(
        long,
        value_name = "FILE",
        conflicts_with = "each_schema",
        help_heading = "Fleet"
    )]
    pub each_database: Option<PathBuf>,
    /// Run on every schema of the database whose name matches PATTERN
    /// (`*` any characters, `?` one), each with its own history table and
    /// search_path (PostgreSQL)
    #[arg(long, value_name = "PATTERN", help_heading = "Fleet")]
    pub each_schema: Option<String>,
    /// How many members run at once [default: 4]
    #[arg(long, value_name = "N", help_heading = "Fleet")]
    pub concurrency: Option<usize>,
    /// How many members run first, before the others; the run stops if one
    /// of them fails [default: 1]
    #[arg(long, value_name = "N", help_heading = "Fleet")]
    pub canary: Option<usize>,
    /// Go on with the other members after one fails
    #[arg(long, help_heading = "Fleet")]
    pub keep_going: bool,
    /// The final report: a table, or JSON
    #[arg(long, value_enum, value_name = "FORMAT", default_value_t = ReportFormat::Text, help_heading = "Fleet")]
    pub format: ReportFormat,
}

/// Fleet `--format` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum ReportFormat {
    /// A table: target, from, to, revisions, time, status.
    #[default]
    Text,
    /// A JSON array, one object per member.
    Json,
}

/// `lint --format` values.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// One line per finding: `error: path:line:col: … [rule]; …`.
    #[default]
    Text,
    /// A JSON array of findings (rule, level, path, line, column, revision,
    /// section, message).
    Json,
    /// SARIF 2.1.0, for code-scanning tools.
    Sarif,
}

/// Alembic's commands.
#[derive(Debug, Clone, Subcommand)]
pub enum Command {
    /// Create migrate.toml, the migration directory and an empty schema.sql
    ///
    /// Files go next to the config file (--config, default ./migrate.toml);
    /// refuses to touch an existing migrate.toml or a non-empty directory.
    Init {
        /// Migration directory to create, relative to the config file
        #[arg(value_name = "DIR", default_value = "migrations")]
        directory: PathBuf,
        /// Adopt an existing database: read its schema into schema.sql and
        /// a baseline revision, and record the database at that revision
        #[arg(long)]
        from_database: bool,
    },

    /// Create a new revision file, based on the single head
    Revision(RevisionArgs),

    /// Upgrade the database to a later revision
    ///
    /// Prints one line per revision applied. With --sql, prints the SQL
    /// script instead (from base, or FROM:TO) without connecting.
    Upgrade {
        /// Target revision (head, heads, +1, a revision id, LABEL@head…), or
        /// FROM:TO with --sql
        #[arg(value_name = "TARGET", allow_negative_numbers = true)]
        target: String,
        /// Print the SQL script (statements, history-table changes,
        /// transactions) instead of running it; no database is touched
        #[arg(long)]
        sql: bool,
        /// First finish a `transactional: false` revision an earlier run
        /// left part-way, from the statement after the last one recorded
        #[arg(long, conflicts_with = "sql")]
        resume: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },

    /// Revert the database to an earlier revision
    ///
    /// Prints one line per revision reverted. With --sql, prints the script
    /// from every head (or FROM:TO) without connecting.
    Downgrade {
        /// Target revision (-1, base, a revision id, LABEL@base…), or FROM:TO
        /// with --sql
        #[arg(
            value_name = "TARGET",
            allow_negative_numbers = true,
            required_unless_present = "from_history"
        )]
        target: Option<String>,
        /// Print the SQL script instead of running it; no database is touched
        #[arg(long, conflicts_with = "from_history")]
        sql: bool,
        /// First finish a `transactional: false` revision whose downgrade
        /// an earlier run left part-way
        #[arg(long, conflicts_with_all = ["sql", "from_history"])]
        resume: bool,
        /// First revert, newest first, every applied revision this directory
        /// does not contain, from the downgrade SQL stored in the history
        /// when it was applied (then go on to TARGET, if given)
        #[arg(long)]
        from_history: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },

    /// Show the revision(s) the database is at
    ///
    /// A revision an earlier run left part-way is listed with its state and
    /// a warning saying how to go on, and the command exits 1.
    Current {
        /// Show each revision in full
        #[arg(short, long)]
        verbose: bool,
        /// Fail (exit 1) unless the database is at every head
        #[arg(long)]
        check_heads: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },

    /// List revisions, newest first
    History {
        /// Show each revision in full
        #[arg(short, long)]
        verbose: bool,
        /// Only revisions in this range, START:END (either may be empty); each is a
        /// revision, base, head(s), current, or relative (-3:current)
        #[arg(
            short = 'r',
            long = "rev-range",
            value_name = "RANGE",
            allow_hyphen_values = true
        )]
        rev_range: Option<String>,
        /// Mark the database's current revisions (needs a database URL)
        #[arg(short = 'i', long)]
        indicate_current: bool,
    },

    /// Show the head revisions
    Heads {
        /// Show each revision in full
        #[arg(short, long)]
        verbose: bool,
    },

    /// Show the branch points: revisions with more than one child
    Branches {
        /// Show each revision in full
        #[arg(short, long)]
        verbose: bool,
    },

    /// Show one revision: header, file and SQL
    Show {
        /// Revision id, unambiguous prefix, branch label, head or base
        #[arg(value_name = "REV")]
        revision: String,
    },

    /// Record revisions as applied without running their SQL
    ///
    /// For a database whose schema already matches (created before migrate
    /// was adopted), or to repair the history after manual fixes.
    Stamp {
        /// Target revision(s); the history ends up exactly at these
        #[arg(value_name = "TARGET", required = true, allow_negative_numbers = true)]
        targets: Vec<String>,
        /// Delete the whole history first (also forgets revisions this
        /// directory does not know)
        #[arg(long)]
        purge: bool,
        /// Record an intended edit of applied revisions: their history rows
        /// take the checksum of the files as they are now (the TARGETs are
        /// the edited revisions; nothing else changes)
        #[arg(long, conflicts_with = "purge")]
        accept_checksum: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },

    /// Create a merge revision that joins two or more revisions (usually
    /// the heads left by parallel branches)
    Merge {
        /// Message of the merge revision
        #[arg(short, long, value_name = "MSG")]
        message: String,
        /// Revisions to merge, or `heads` for every head
        #[arg(value_name = "REV", required = true)]
        revisions: Vec<String>,
        /// Use this revision id instead of a generated one
        #[arg(long, value_name = "ID")]
        rev_id: Option<String>,
        /// Branch label of the merge revision
        #[arg(long, value_name = "LABEL")]
        branch_label: Option<String>,
    },

    /// Replace a range of revisions with one checkpoint revision
    ///
    /// Writes a revision with `replaces:` listing FROM..TO, whose SQL is the
    /// schema change of the range (rendered from the schema model, or the
    /// range's statements as written with --concat), and points what came
    /// after TO at it. A new database applies the checkpoint; one that
    /// applied part of the range goes on along it. The build checks that
    /// the checkpoint gives the same schema as the range. --prune removes
    /// the replaced files once no database is inside a range.
    Squash {
        /// The range, FROM:TO (FROM an ancestor of TO)
        #[arg(value_name = "FROM:TO", required_unless_present = "prune")]
        range: Option<String>,
        /// Message of the checkpoint revision
        #[arg(short, long, value_name = "MSG", required_unless_present = "prune")]
        message: Option<String>,
        /// Keep every statement of the range as written instead of the
        /// rendered schema change (for ranges with data, views or functions)
        #[arg(long, conflicts_with = "prune")]
        concat: bool,
        /// Remove the replaced revisions' files (refused while the
        /// configured database is inside a squashed range)
        #[arg(long)]
        prune: bool,
    },

    /// Move a revision that no database has applied on top of the other
    /// branch's head, instead of merging the two heads
    Rebase {
        /// The first revision of the branch to move
        #[arg(value_name = "REV")]
        revision: String,
    },

    /// Check the migration directory: headers, chain, heads and SQL syntax
    /// (everything embed_migrations! checks); exit 1 listing every problem
    ///
    /// When a database URL is configured (without --shadow), also read its
    /// history table: exit 1 naming any revision an earlier run left
    /// part-way (`running`, `failed`, `reverting`, `revert_failed`).
    ///
    /// When a database URL is configured (or with --shadow) and the
    /// declared schema file exists, also compare it with the database, which
    /// must be at head: exit 1 listing the differences, as Alembic's `check`.
    /// With --offline, compare it with the schema the upgrades build instead,
    /// without a database, after a line giving the fold's coverage.
    Check {
        /// Compare with a scratch database built from the migrations (SQLite:
        /// in memory; PostgreSQL: a temporary database on the configured
        /// server) instead of the configured database
        #[arg(long)]
        shadow: bool,
        /// Compare with the schema the upgrades build, folded without a
        /// database (`migrate schema`), instead of a database: no URL is
        /// read; refused when the fold is unsure of a table schema.sql
        /// declares
        #[arg(long, conflicts_with_all = ["shadow", "database_url"])]
        offline: bool,
        /// `--each-database`, `--each-schema`: check each member's history
        /// (no unknown, edited or half-applied revision, nothing pending)
        /// instead of the declared schema
        #[command(flatten)]
        fleet: FleetOptions,
    },

    /// Lint the migrations: what the build reports about the chain (the
    /// schema fold's findings and the safety lint's), without a database
    ///
    /// The levels are `[lint]`'s in migrate.toml, and `-- migrate:allow(rule)`
    /// above a statement allows a rule there. Exit 1 when a finding is at
    /// level error; warnings alone exit 0.
    Lint {
        /// Output format
        #[arg(long, value_enum, default_value_t = LintFormat::Text)]
        format: LintFormat,
    },

    /// Print the schema the upgrades build, as SQL, without a database
    ///
    /// Folds each upgrade's statements, read by PostgreSQL's own grammar,
    /// into a model (tables, columns, constraints with the names PostgreSQL
    /// gives unnamed ones, indexes, enums, schemas, comments). A SQLite-only
    /// project is read as SQLite (tables, columns, keys, foreign keys,
    /// checks, indexes). A header comment says how many statements the fold
    /// modelled and which it could not.
    Schema {
        /// Stop after this revision (id or unique prefix, or `head`):
        /// fold it and its ancestors only; default: every revision
        #[arg(long, value_name = "REV")]
        at: Option<String>,
    },

    /// Draw the revision graph (heads on top, branches, merge points, the
    /// database's current revisions when a URL is available)
    Graph {
        /// Output format
        #[arg(long, value_enum, default_value_t = GraphFormat::Text)]
        format: GraphFormat,
    },

    // Other tools' verbs, hidden: each exits 2 naming the command to use
    // here, which clap's edit-distance suggestion cannot (`run` is not
    // close to `upgrade`).
    /// sqlx's and dbmate's `status`: `current` here
    #[command(hide = true)]
    Status(OtherToolArgs),
    /// Flyway's and sqlx's `info`: `current` and `history -i` here
    #[command(hide = true)]
    Info(OtherToolArgs),
    /// sqlx's `migrate run`: `upgrade head` here
    #[command(hide = true)]
    Run(OtherToolArgs),
    /// sqlx's `migrate revert`: `downgrade -1` here
    #[command(hide = true)]
    Revert(OtherToolArgs),
    /// sqlx's `migrate add`: `revision -m` here
    #[command(hide = true)]
    Add(OtherToolArgs),
    /// Flyway's `migrate`: `upgrade head` here
    #[command(hide = true)]
    Migrate(OtherToolArgs),
    /// Flyway's `validate`: `check` here
    #[command(hide = true)]
    Validate(OtherToolArgs),
    /// Flyway's `baseline`: `stamp` here
    #[command(hide = true)]
    Baseline(OtherToolArgs),
}

/// Whatever follows another tool's verb; never used.
#[derive(Debug, Clone, Args)]
pub struct OtherToolArgs {
    /// Ignored
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    pub rest: Vec<String>,
}

/// `migrate revision`.
#[derive(Debug, Clone, Args)]
pub struct RevisionArgs {
    /// Message of the revision (also the file name's slug)
    #[arg(short, long, value_name = "MSG")]
    pub message: String,
    /// Base the revision on this revision instead of the single head (a
    /// revision, LABEL@head, or base for a new independent branch)
    #[arg(long, value_name = "REV")]
    pub head: Option<String>,
    /// Allow --head to name a revision that is not a head (starts a branch)
    #[arg(long, requires = "head")]
    pub splice: bool,
    /// Use this revision id instead of a generated one
    #[arg(long, value_name = "ID")]
    pub rev_id: Option<String>,
    /// Revision that must be applied first without being a parent
    /// (repeatable)
    #[arg(long, value_name = "REV")]
    pub depends_on: Vec<String>,
    /// Branch label of the new revision (for LABEL@head targets)
    #[arg(long, value_name = "LABEL")]
    pub branch_label: Option<String>,
    /// Compare the declared schema (schema.sql) with the database, which
    /// must be at head, and write the SQL that turns one into the other
    #[arg(long)]
    pub autogenerate: bool,
    /// With --autogenerate: compare with a scratch database built from the
    /// migrations (SQLite: in memory; PostgreSQL: a temporary database on
    /// the configured server) instead of the configured database
    #[arg(long)]
    pub shadow: bool,
    /// With --autogenerate: compare with the schema the upgrades build,
    /// folded without a database (`migrate schema`), instead of a
    /// database: no URL is read; refused when the fold is unsure of a
    /// table schema.sql declares
    #[arg(long, requires = "autogenerate", conflicts_with_all = ["shadow", "database_url"])]
    pub offline: bool,
    /// With --autogenerate: write the revision even when its upgrade drops
    /// every table of the database (otherwise refused: the usual cause is
    /// the wrong schema.sql or the wrong database)
    #[arg(long)]
    pub allow_drop_all: bool,
    /// Write a Rust revision (`.rs`): async `upgrade` and `downgrade`
    /// functions that the application's build compiles, for data
    /// migrations SQL does not express well. The `migrate` CLI lists and
    /// stamps it; the application's embedded subcommand runs it
    #[arg(long, conflicts_with = "autogenerate")]
    pub rust: bool,
}

/// The subcommands an application can mount on its own binary to migrate
/// with its embedded revision table (see [`run_embedded`](crate::run_embedded)).
#[derive(Debug, Clone, Subcommand)]
pub enum EmbeddedCommand {
    /// Show the revision(s) the database is at
    ///
    /// A revision an earlier run left part-way is listed with its state and
    /// a warning saying how to go on, and the command exits 1.
    Current {
        /// Show each revision in full
        #[arg(short, long)]
        verbose: bool,
        /// Fail (exit 1) unless the database is at every head
        #[arg(long)]
        check_heads: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },
    /// Upgrade the database to a later revision
    Upgrade {
        /// Target revision (head, heads, +1, a revision id…), or FROM:TO with --sql
        #[arg(value_name = "TARGET", allow_negative_numbers = true)]
        target: String,
        /// Print the SQL script instead of running it
        #[arg(long)]
        sql: bool,
        /// First finish a `transactional: false` revision an earlier run
        /// left part-way
        #[arg(long, conflicts_with = "sql")]
        resume: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },
    /// Revert the database to an earlier revision
    Downgrade {
        /// Target revision (-1, base, a revision id…), or FROM:TO with --sql
        #[arg(
            value_name = "TARGET",
            allow_negative_numbers = true,
            required_unless_present = "from_history"
        )]
        target: Option<String>,
        /// Print the SQL script instead of running it
        #[arg(long, conflicts_with = "from_history")]
        sql: bool,
        /// First finish a `transactional: false` revision whose downgrade
        /// an earlier run left part-way
        #[arg(long, conflicts_with_all = ["sql", "from_history"])]
        resume: bool,
        /// First revert every applied revision this binary was not built
        /// with, from the downgrade SQL stored in the history (then go on to
        /// TARGET, if given)
        #[arg(long)]
        from_history: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },
    /// List revisions, newest first
    History {
        /// Show each revision in full
        #[arg(short, long)]
        verbose: bool,
        /// Only revisions in this range, START:END (either may be empty)
        #[arg(
            short = 'r',
            long = "rev-range",
            value_name = "RANGE",
            allow_hyphen_values = true
        )]
        rev_range: Option<String>,
        /// Mark the database's current revisions
        #[arg(short = 'i', long)]
        indicate_current: bool,
    },
    /// Record revisions as applied without running their SQL
    Stamp {
        /// Target revision(s)
        #[arg(value_name = "TARGET", required = true, allow_negative_numbers = true)]
        targets: Vec<String>,
        /// Delete the whole history first
        #[arg(long)]
        purge: bool,
        /// Record an intended edit of these applied revisions (their
        /// checksums are taken from this binary)
        #[arg(long, conflicts_with = "purge")]
        accept_checksum: bool,
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },
    /// Check that the database agrees with this binary: no unknown, edited
    /// or half-applied revisions, nothing pending; exit 1 otherwise
    ///
    /// Over a fleet, every member is checked (no canary, never stopping
    /// early); exit 3 when some are not, 1 when none is.
    Check {
        /// `--each-database`, `--each-schema`.
        #[command(flatten)]
        fleet: FleetOptions,
    },
}
