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

    /// A repeatable definition's SQL failed; the revisions stay applied.
    #[error(
        "definition {path}:{line} failed at statement {statement}: {message}; {outcome}. Fix the file and run `upgrade head` again"
    )]
    DefinitionFailed {
        /// Its file.
        path: String,
        /// File line of the failing statement.
        line: u32,
        /// 1-based index of the failing statement in the file.
        statement: usize,
        /// The database's message.
        message: String,
        /// Where the database now stands.
        outcome: String,
        /// The database error.
        #[source]
        source: Box<sqlx::Error>,
    },

    /// Dropping a recorded definition's objects before a downgrade failed
    /// (something outside the definitions depends on them); nothing was
    /// dropped or downgraded.
    #[error(
        "dropping the objects of definition {name} before the downgrade failed at `{statement}`: {message}; nothing was dropped or downgraded. Drop what depends on them in a revision, or drop them by hand and delete the definition's row"
    )]
    DefinitionDropFailed {
        /// The definition's path under `definitions/`.
        name: String,
        /// The `DROP` that failed.
        statement: String,
        /// The database's message.
        message: String,
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

    /// The PostgreSQL connection does not keep one server session: a
    /// connection pooler in transaction (or statement) pooling mode, such
    /// as PgBouncer with `pool_mode = transaction`, under which the
    /// session-level advisory lock cannot keep migrators apart.
    #[error(
        "the migration lock on `{table}` cannot hold on this connection: {evidence}. This is what a connection pooler in transaction pooling does (PgBouncer's `pool_mode = transaction`, or statement pooling): each transaction may run in another server session, and a session's advisory lock outlives its client, so two migrators could apply revisions at once; {outcome}. Connect the migrator to PostgreSQL directly (the server's own host and port, not the pooler's), or through a PgBouncer database in session pooling (`pool_mode = session`)"
    )]
    PooledConnection {
        /// The history table the lock guards.
        table: String,
        /// What the runtime saw.
        evidence: String,
        /// Where the database and the lock now stand.
        outcome: String,
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

    /// A database error outside a revision's SQL. When the server ended
    /// the session (a restart, `pg_terminate_backend`, a timeout set on the
    /// role) or the connection was lost, the message says so and what to do.
    #[error("database error while {context}: {source}{}", server_hint(source))]
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

/// What a database error says about the server's side, for the end of a
/// message: the connection lost (a restart or crash, a terminated session,
/// a cut network path) or a limit the server enforces (`statement_timeout`,
/// `idle_in_transaction_session_timeout`), with what to do. Empty for
/// other errors.
pub(crate) fn server_hint(error: &sqlx::Error) -> String {
    let code = match error {
        sqlx::Error::Database(d) => d.code().map(|c| c.into_owned()),
        _ => None,
    };
    let message = match error {
        sqlx::Error::Database(d) => d.message().to_owned(),
        _ => String::new(),
    };
    // SQLite's codes are numbers below 10,000 (its extended result codes);
    // PostgreSQL's SQLSTATE always has five characters.
    if let Some(sqlite) = code
        .as_deref()
        .filter(|c| c.len() < 5)
        .and_then(|c| c.parse::<u32>().ok())
    {
        return sqlite_hint(sqlite);
    }
    // A file's error (the SQLite lock file, or the file itself).
    if let sqlx::Error::Io(io) = error {
        match io.kind() {
            std::io::ErrorKind::ReadOnlyFilesystem | std::io::ErrorKind::PermissionDenied => {
                return sqlite_hint(8);
            }
            std::io::ErrorKind::StorageFull => return sqlite_hint(13),
            _ => {}
        }
    }
    match code.as_deref() {
        Some("57014") if message.contains("statement timeout") => format!(
            "; the server's statement_timeout ended the statement ({STATEMENT_TIMEOUT_FIX})"
        ),
        Some("25P03") => format!(
            "; the server ended the session because it stayed idle inside a transaction longer than idle_in_transaction_session_timeout allows, and rolled that transaction back ({IDLE_TIMEOUT_FIX})"
        ),
        Some("57P01" | "57P02" | "57P03") => format!(
            "; the server ended the session ({}: a restart or crash, or `pg_terminate_backend` by an administrator or a monitoring job); {LOST_OUTCOME}",
            if code.as_deref() == Some("57P01") {
                "shutdown or administrator command"
            } else {
                "crash or start-up"
            }
        ),
        Some("42P05" | "26000" | "08P01") => "; the connection lost track of its prepared statements, which is what a connection pooler in transaction pooling does (PgBouncer's `pool_mode = transaction`); connect the migrator to PostgreSQL directly, or through session pooling (`pool_mode = session`)".to_owned(),
        Some(c) if c.starts_with("08") => format!("; {LOST}; {LOST_OUTCOME}"),
        _ if is_connection_lost(error) => format!("; {LOST}; {LOST_OUTCOME}"),
        _ => String::new(),
    }
}

/// What an SQLite result code says about the file and its disk.
fn sqlite_hint(code: u32) -> String {
    match code & 0xff {
        // SQLITE_FULL
        13 => "; the disk holding the SQLite database is full (or the file reached its size limit): SQLite rolled back the open transaction, so the history table records exactly what was committed; free space there (the run needs room for the database to grow and for its rollback journal beside it) and run again".to_owned(),
        // SQLITE_READONLY
        8 => "; the SQLite database is read-only to this process (the file's or its directory's permissions, a read-only mount, or `mode=ro` in the URL): nothing more was written; make the file and its directory writable (SQLite writes its rollback journal beside the file) and run again".to_owned(),
        // SQLITE_BUSY
        5 => "; another connection holds the SQLite file's write lock and did not release it within the busy timeout: wait for its transaction to end, or raise the lock timeout (the run waits that long)".to_owned(),
        // SQLITE_IOERR, SQLITE_CANTOPEN
        10 | 14 => "; the operating system refused a read or write of the SQLite file or its journal (a full or failing disk, a read-only mount, a file size limit, a missing directory): SQLite rolled back the open transaction, so the history table records exactly what was committed; fix the cause and run again".to_owned(),
        _ => String::new(),
    }
}

/// [`server_hint`] for a revision's failure, whose message goes on to say
/// where the database stands: what happened and the fix, without the
/// general account of what a lost session leaves.
pub(crate) fn server_hint_before_outcome(error: &sqlx::Error) -> String {
    server_hint(error).replace(&format!("; {LOST_OUTCOME}"), "")
}

/// Did the connection itself fail (as opposed to a statement)?
pub(crate) fn is_connection_lost(error: &sqlx::Error) -> bool {
    match error {
        sqlx::Error::Io(io) => !matches!(
            io.kind(),
            std::io::ErrorKind::ReadOnlyFilesystem
                | std::io::ErrorKind::PermissionDenied
                | std::io::ErrorKind::StorageFull
                | std::io::ErrorKind::NotFound
                | std::io::ErrorKind::AlreadyExists
                | std::io::ErrorKind::IsADirectory
        ),
        sqlx::Error::PoolClosed | sqlx::Error::WorkerCrashed => true,
        sqlx::Error::Protocol(p) => p.contains("expected to read") || p.contains("EOF"),
        sqlx::Error::Database(d) => d.code().is_some_and(|c| {
            (c.starts_with("08") && c != "08P01")
                || matches!(&*c, "57P01" | "57P02" | "57P03" | "25P03")
        }),
        _ => false,
    }
}

const LOST: &str = "the connection to the server was lost (the server restarted or crashed, the session was ended by an administrator, a pooler or a timeout, or the network dropped the connection)";

const LOST_OUTCOME: &str = "the server rolls back a transaction whose session ends, so the history table records exactly what was committed; check that the server is up and run the command again (if a `transactional: false` revision was interrupted, that run names it and says how to finish it)";

const STATEMENT_TIMEOUT_FIX: &str = "set on the role, the database or the server: `SELECT setting, source FROM pg_settings WHERE name = 'statement_timeout'` shows which); lift it for this revision by making `SET LOCAL statement_timeout = 0;` its first statement (`SET statement_timeout = 0;` in a `transactional: false` revision), for every run by connecting with `options=-c statement_timeout=0` in the URL, or for the migrating role with `ALTER ROLE … SET statement_timeout = 0`";

const IDLE_TIMEOUT_FIX: &str = "set on the role, the database or the server; the run waits inside its transaction while a Rust revision's code works between statements, or while the application holds the connection; lift it for the migration by connecting with `options=-c idle_in_transaction_session_timeout=0` in the URL, for the migrating role with `ALTER ROLE … SET idle_in_transaction_session_timeout = 0`, or for one revision by making `SET LOCAL idle_in_transaction_session_timeout = 0;` its first statement";
