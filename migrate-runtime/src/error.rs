//! The runtime's error type.

use std::time::Duration;

/// Result alias of this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Why a migration run did not complete. Every variant says which revision,
/// where the database now stands and what to do; none changes the database
/// except [`Error::MigrationFailed`], which reports exactly what landed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A target, plan or directory problem (see `migrate_core::Error`).
    #[error(transparent)]
    Core(#[from] migrate_core::Error),

    /// A revision table that is not a valid graph (only possible for a table
    /// not built by `embed_migrations!`, which checks this at compile time).
    #[error("invalid revision table:\n{0}")]
    InvalidTable(migrate_core::Errors),

    /// A revision written in Rust, in a migrator that was not compiled with
    /// it (loaded from the directory at run time, as the `migrate` CLI does).
    #[error(
        "revision {revision} ({path}) is written in Rust, and this binary reads the migration directory at run time, so it cannot run it; nothing was changed. Run it with your application's migration subcommand, whose migrator embeds it (`migrate_cli::run_embedded` over `embed_migrations!`), or record it as done with `migrate stamp` if it already ran"
    )]
    RustNotBuiltIn {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },

    /// A Rust revision's function returned an error or panicked.
    #[error("revision {revision} ({path}) failed in its {section} function: {message}; {outcome}")]
    RustRevisionFailed {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// `upgrade` or `downgrade`.
        section: &'static str,
        /// The error's message, or the panic's.
        message: String,
        /// Where the database now stands and how to proceed.
        outcome: String,
    },

    /// A downgrade of a database that applied only some of the revisions a
    /// checkpoint replaces.
    #[error(
        "the database applied {applied} but not {missing}, which checkpoint {checkpoint} replaces with them, so it stands inside the squashed range and this build cannot revert part of it; nothing was changed. Upgrade it to the checkpoint first (`migrate upgrade {checkpoint}`), then downgrade, or revert those revisions from the SQL stored with them: `migrate downgrade --from-history`"
    )]
    InsideCheckpointRange {
        /// The checkpoint.
        checkpoint: String,
        /// The replaced revisions the history records.
        applied: String,
        /// Those it does not.
        missing: String,
    },

    /// An upgrade of a database inside a squashed range whose files were
    /// pruned from this build.
    #[error(
        "the database applied {applied} but not {missing}, which checkpoint {checkpoint} replaces with them, and this build no longer holds the replaced revisions (their files were pruned); nothing was changed. Upgrade the database past {checkpoint} with a build from before the prune (`migrate squash --prune` refuses while a database it can see is inside the range), then run this one"
    )]
    ReplacedRevisionsPruned {
        /// The checkpoint.
        checkpoint: String,
        /// The replaced revisions the history records.
        applied: String,
        /// Those it does not, which this build lacks.
        missing: String,
    },

    /// The database has a revision applied that this migrator does not know.
    #[error(
        "Can't locate revision identified by '{revision}': the database has it applied but this build does not contain it (the database is ahead of this binary); nothing was changed. Run a build that includes it, or revert it from the downgrade stored in the history when it was applied: `migrate downgrade --from-history` (in code, `Migrator::downgrade_from_history`)"
    )]
    UnknownAppliedRevision {
        /// The id found in the history table.
        revision: String,
    },

    /// `stamp --accept-checksum` named a revision the history does not
    /// record as applied.
    #[error(
        "revision {revision} is not applied (the history table `{table}` has {state}); nothing was changed. `--accept-checksum` records an edit of an applied revision; to record a revision as applied without running it, use `migrate stamp {revision}`"
    )]
    NotApplied {
        /// The revision.
        revision: String,
        /// The history table.
        table: String,
        /// What the history has for it: `no row`, or the row's state.
        state: String,
    },

    /// `downgrade --from-history` met a revision it cannot revert from
    /// the history.
    #[error(
        "revision {revision} cannot be reverted from the history table `{table}`: {reason}; nothing was changed"
    )]
    NotRevertible {
        /// The revision.
        revision: String,
        /// The history table.
        table: String,
        /// Why: irreversible, its downgrade was not stored, or it was
        /// interrupted.
        reason: String,
    },

    /// The upgrade SQL of an applied revision was edited after it ran.
    #[error(
        "revision {revision} ({path}): the upgrade SQL was edited after it was applied (database has checksum {stored}, the file has {expected}); nothing was changed; restore the applied SQL (e.g. from version control) and put the change in a new revision, or, if the database already matches the edited file, accept the edit with `migrate stamp --accept-checksum {revision}`"
    )]
    ChecksumMismatch {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// Checksum recorded when it was applied.
        stored: String,
        /// Checksum of the embedded file.
        expected: String,
    },

    /// A non-transactional revision stopped part-way in an earlier run.
    #[error(
        "revision {revision} ({path}) was partly applied by an earlier run: {done} of the {total} statements of its {section} section are recorded as done ({state}), and statement {} may have run too if that run was killed before recording it; nothing was changed. Continue at that statement with `migrate {section} --resume` once its cause is fixed, or finish or undo those statements by hand and record the outcome with `migrate stamp`",
        .done + 1
    )]
    PartiallyApplied {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// Statements of `section` that completed.
        done: i64,
        /// Statements in `section`.
        total: usize,
        /// The section that was running: `upgrade` or `downgrade`.
        section: &'static str,
        /// Recorded state (`running`, `failed`, `reverting` or `revert_failed`).
        state: String,
    },

    /// A revision's SQL failed; the database stays at the last good revision.
    #[error(
        "revision {revision} failed at statement {statement} ({path}:{line}): {message}; {outcome}"
    )]
    MigrationFailed {
        /// The revision that failed.
        revision: String,
        /// Its file.
        path: String,
        /// File line of the failing statement.
        line: u32,
        /// 1-based index of the failing statement in its section.
        statement: usize,
        /// The database's message.
        message: String,
        /// Where the database now stands and how to proceed.
        outcome: String,
        /// The database error.
        #[source]
        source: Box<sqlx::Error>,
    },

    /// A revision left rows whose foreign keys point nowhere (SQLite, where
    /// the migrator checks references after each revision instead of per
    /// statement, so that table rebuilds work).
    #[error(
        "revision {revision} ({path}) left foreign key violations: {violations}; {outcome}. Fix the revision's SQL (or the data) so every reference has its row"
    )]
    ForeignKeyViolation {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
        /// The first violations, as `table` row → `parent`.
        violations: String,
        /// Where the database now stands.
        outcome: String,
    },

    /// Another migrator held the lock for longer than the timeout.
    #[error(
        "timed out after {waited:?} waiting for the migration lock on `{table}`{holder}; another migrator is running. Wait for it, or raise the lock timeout"
    )]
    LockTimeout {
        /// How long this run waited.
        waited: Duration,
        /// The history table the lock guards.
        table: String,
        /// Who holds it, when the database says.
        holder: String,
    },

    /// Something at the SQLite lock file's name that the migrator will not
    /// open or write: a symbolic link, a file with other hard links, or not
    /// a regular file. Nothing was changed.
    #[error(
        "{path}: {problem}; nothing was changed; remove it (the migrator creates the lock file itself) and run again"
    )]
    UnsafeLockFile {
        /// The lock file's path, `<database>.migrate-lock`.
        path: String,
        /// What is wrong with it.
        problem: String,
    },

    /// The history changed under a run that had to release its lock.
    #[error(
        "the history table `{table}` changed while this run was between transactions (another migrator?); the database is consistent at {at}. Run the command again"
    )]
    ConcurrentChange {
        /// The history table.
        table: String,
        /// The database's heads now.
        at: String,
    },

    /// A database URL the driver would misread or silently weaken (see
    /// [`DatabaseUrl::check`](crate::DatabaseUrl::check)). The URL is shown
    /// with its password redacted; the problem never quotes a value.
    #[error("{url}: {problem}")]
    InvalidUrl {
        /// The URL (its `Display` redacts the password).
        url: crate::DatabaseUrl,
        /// What is wrong and how to fix it.
        problem: String,
    },

    /// A database error outside a revision's SQL.
    #[error("database error while {context}: {source}")]
    Database {
        /// What the runtime was doing.
        context: String,
        /// The database error.
        #[source]
        source: Box<sqlx::Error>,
    },
}

impl Error {
    pub(crate) fn db(context: impl Into<String>) -> impl FnOnce(sqlx::Error) -> Error {
        let context = context.into();
        move |source| Error::Database {
            context,
            source: Box::new(source),
        }
    }
}
