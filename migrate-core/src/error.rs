//! The one error type of this crate.

use std::fmt;

/// Result alias used throughout the crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Everything that can be wrong with a migration directory, a target or a plan.
///
/// Every message has the shape *where: what; how to fix*. "Where" is a
/// `path:line` (paths as the caller gave them, usually relative to the crate
/// root) or a revision id. Wording that Alembic users search for is kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The migration directory does not exist.
    #[error("{path}: migration directory not found; create it (`migrate init`) or fix the path")]
    DirectoryMissing {
        /// The directory as given.
        path: String,
    },
    /// A file or directory could not be read.
    #[error("{path}: cannot read: {message}; check that it exists and is readable")]
    Io {
        /// The file or directory.
        path: String,
        /// The operating system's message.
        message: String,
    },
    /// An entry named like a migration that is not a regular file.
    #[error(
        "{path}: {kind}, not a regular file; remove it from the migration directory (it is never opened)"
    )]
    NotRegularFile {
        /// The entry.
        path: String,
        /// What it is: `a FIFO`, `a socket`, `a device` (`a special file`
        /// where the system does not say).
        kind: &'static str,
    },
    /// A migration file over the configured size limit.
    #[error(
        "{path}: file is {}, over the limit of {}; split it into several revisions, or raise `max_file_size` (in migrate.toml, or the option of embed_migrations!)",
        crate::size::size_text(*size),
        crate::size::size_text(*limit)
    )]
    FileTooLarge {
        /// The file.
        path: String,
        /// Its size in bytes (at least what was read).
        size: u64,
        /// The limit, `max_file_size`.
        limit: u64,
    },
    /// A migration file is not valid UTF-8.
    #[error("{path}:{line}: file is not valid UTF-8; save it as UTF-8")]
    NotUtf8 {
        /// The file.
        path: String,
        /// First line holding an invalid byte.
        line: u32,
    },
    /// A file in the migration directory, named like a migration, whose name
    /// is not valid UTF-8 (shown with U+FFFD for the bad bytes).
    #[error(
        "{path}: file name is not valid UTF-8; rename it to a UTF-8 name such as `YYYY_MM_DD_HHMM-<revision>_<slug>.sql`"
    )]
    FileNameNotUtf8 {
        /// The directory and the file name, lossily decoded.
        path: String,
    },
    /// A subdirectory of the migration directory whose name is not valid
    /// UTF-8 or holds a control character: its migrations cannot be named.
    #[error(
        "{path}: subdirectory name is not valid UTF-8 or holds a control character; rename it to a plain name (the migration files in it are part of the directory)"
    )]
    DirectoryNameUnreadable {
        /// The directory and the subdirectory's name, lossily decoded and
        /// escaped.
        path: String,
    },
    /// A migration file name that holds a control character (shown escaped).
    #[error(
        "{path}: file name holds a control character; rename the file to a name without control characters (newlines, tabs, escapes), such as `YYYY_MM_DD_HHMM-<revision>_<slug>.sql`"
    )]
    FileNameControl {
        /// The directory and the file name, control characters escaped.
        path: String,
    },
    /// A header value (id, label, message, date) that holds a control
    /// character (shown escaped).
    #[error(
        "{path}:{line}: {key} `{value}` holds a control character; remove it (names and messages end up in script comments and on terminals)"
    )]
    HeaderControl {
        /// The file.
        path: String,
        /// The line.
        line: u32,
        /// The key.
        key: &'static str,
        /// The value, control characters escaped.
        value: String,
    },
    /// A required header key is missing.
    #[error("{path}:1: header has no `{key}:` line; add `-- {key}: …` above `-- migrate:upgrade`")]
    MissingHeaderKey {
        /// The file.
        path: String,
        /// The missing key.
        key: &'static str,
    },
    /// A header key appears twice.
    #[error("{path}:{line}: header key `{key}` appears twice (first on line {first}); keep one")]
    DuplicateHeaderKey {
        /// The file.
        path: String,
        /// Line of the second occurrence.
        line: u32,
        /// Line of the first occurrence.
        first: u32,
        /// The key.
        key: String,
    },
    /// A header key that is close to a known key but is not one.
    #[error("{path}:{line}: unknown header key `{key}`; did you mean `{suggestion}`?")]
    UnknownHeaderKey {
        /// The file.
        path: String,
        /// The line.
        line: u32,
        /// The key as written.
        key: String,
        /// The known key it resembles.
        suggestion: &'static str,
    },
    /// A header value that does not have the expected form.
    #[error("{path}:{line}: invalid {key} `{value}`; {expected}")]
    InvalidHeaderValue {
        /// The file.
        path: String,
        /// The line.
        line: u32,
        /// The key.
        key: &'static str,
        /// The value as written.
        value: String,
        /// What is expected instead.
        expected: &'static str,
    },
    /// A header line found after the first section marker.
    #[error(
        "{path}:{line}: header line `{key}:` after the first section marker; move it above `-- migrate:upgrade`"
    )]
    HeaderAfterSection {
        /// The file.
        path: String,
        /// The line.
        line: u32,
        /// The key.
        key: String,
    },
    /// SQL written before the first section marker.
    #[error(
        "{path}:{line}: SQL before the `-- migrate:upgrade` marker; put the marker line above it"
    )]
    SqlBeforeSection {
        /// The file.
        path: String,
        /// The line.
        line: u32,
    },
    /// The file has no upgrade section.
    #[error("{path}: no `-- migrate:upgrade` section; add that line above the upgrade SQL")]
    MissingUpgrade {
        /// The file.
        path: String,
    },
    /// A Rust revision that defines no `upgrade` function.
    #[error(
        "{path}: a Rust revision defines `pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult` (from `migrate_runtime::rust`), and this file has none; add it, or write the revision as SQL"
    )]
    RustWithoutUpgrade {
        /// The file.
        path: String,
    },
    /// A section marker that is repeated, misplaced or unknown.
    #[error("{path}:{line}: {problem}")]
    BadMarker {
        /// The file.
        path: String,
        /// The line.
        line: u32,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// A downgrade section with no statement under an upgrade that has
    /// some, and no `-- migrate:no-op` to say nothing needs undoing.
    #[error(
        "{path}:{line}: revision {revision}: the downgrade section is empty but the upgrade is not; write the SQL that undoes the upgrade, put `-- migrate:no-op` in it if nothing needs undoing, or remove the section to make the revision irreversible"
    )]
    EmptyDowngrade {
        /// The file.
        path: String,
        /// Line of its `-- migrate:downgrade` marker.
        line: u32,
        /// The revision id.
        revision: String,
    },
    /// The file name does not contain the revision id of its header.
    #[error(
        "{path}: file name does not contain its revision id `{revision}`; rename it to `YYYY_MM_DD_HHMM-{revision}_<slug>.sql`"
    )]
    FileNameWithoutRevision {
        /// The file.
        path: String,
        /// The id from the header.
        revision: String,
    },
    /// Two files declare the same revision id.
    #[error(
        "{path}:{line}: revision `{revision}` is also declared by {other}; give one of them a new id"
    )]
    DuplicateRevision {
        /// The second file.
        path: String,
        /// Line of its `revision:` key.
        line: u32,
        /// The id.
        revision: String,
        /// The first file.
        other: String,
    },
    /// A parent revision that no file declares.
    #[error(
        "{path}:{line}: down_revision `{parent}` is not a revision in this directory; fix the id or add the missing file"
    )]
    UnknownParent {
        /// The file.
        path: String,
        /// Line of its `down_revision:` key.
        line: u32,
        /// The unknown id.
        parent: String,
    },
    /// A checkpoint (`replaces:`) that the directory does not agree with,
    /// or that does not produce the schema of the revisions it replaces.
    #[error("{path}:{line}: {problem}")]
    Checkpoint {
        /// The file.
        path: String,
        /// The line of the key in question (0 when none applies).
        line: u32,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// A file under `definitions/` that is not a repeatable definition, or
    /// definitions that cannot be ordered (see `migrate_core::definitions`).
    #[error("{path}:{line}: {problem}")]
    Definition {
        /// The file.
        path: String,
        /// The line of the statement in question (1 for the whole file).
        line: u32,
        /// What is wrong and how to fix it.
        problem: String,
    },
    /// A `depends_on` entry that no file declares.
    #[error(
        "{path}:{line}: depends_on `{dependency}` is not a revision in this directory; fix the id or add the missing file"
    )]
    UnknownDependency {
        /// The file.
        path: String,
        /// Line of its `depends_on:` key.
        line: u32,
        /// The unknown id.
        dependency: String,
    },
    /// Parent or dependency links that form a cycle.
    #[error(
        "{path}:{line}: revision `{revision}` is part of a cycle ({cycle}); a revision cannot come after itself, fix its down_revision or depends_on"
    )]
    Cycle {
        /// A file on the cycle.
        path: String,
        /// Line of its `down_revision:` key.
        line: u32,
        /// Its id.
        revision: String,
        /// The revisions on the cycle, joined with ` -> `.
        cycle: String,
    },
    /// A branch label used twice.
    #[error(
        "{path}:{line}: branch label `{label}` is already used by revision `{other}`; choose another label"
    )]
    DuplicateBranchLabel {
        /// The file.
        path: String,
        /// Line of its `branch_labels:` key.
        line: u32,
        /// The label.
        label: String,
        /// The revision that has it first.
        other: String,
    },
    /// The directory has several heads that are not independent labelled branches.
    #[error(
        "{path}: Multiple head revisions are present: {heads}; join them with `migrate merge heads -m \"merge\"` (or give each independent branch its own branch_labels)"
    )]
    MultipleHeads {
        /// The file of the first unlabelled head.
        path: String,
        /// The heads, each as `id (file)`.
        heads: String,
    },
    /// A SQL statement the checker rejects.
    #[error(
        "{path}:{line}:{column}: SQL error in the {section} section ({dialect}): {message}; fix the statement, or put `-- migrate:no-check` on the line above it if the database accepts it"
    )]
    Sql {
        /// The file.
        path: String,
        /// Line of the problem.
        line: u32,
        /// Column of the problem.
        column: u32,
        /// `upgrade` or `downgrade`.
        section: &'static str,
        /// The dialect(s) that rejected it.
        dialect: String,
        /// The parser's message.
        message: String,
    },
    /// `migrate.toml` could not be understood.
    #[error("{path}: {message}")]
    Config {
        /// The file.
        path: String,
        /// What is wrong and how to fix it.
        message: String,
    },
    /// A target string that is not of any known form, or that chains more
    /// relative steps than allowed (the message then says so).
    #[error("{}", crate::relative::invalid_target_message(target))]
    InvalidTarget {
        /// The target as given.
        target: String,
    },
    /// A `history -r` range without the `:` between its ends.
    #[error(
        "history range `{range}` has no `:`; write START:END, e.g. `-r base:head`, `-r -3:current`, `-r ae10:`"
    )]
    RangeWithoutColon {
        /// The range as given.
        range: String,
    },
    /// A relative end of a range that counts from several revisions.
    #[error("relative range end `{end}` needs a single revision to count from; name one")]
    RelativeRangeEnd {
        /// The end as given.
        end: String,
    },
    /// A revision id (or prefix) that matches nothing.
    #[error(
        "Can't locate revision identified by '{revision}'; check `migrate history` for valid ids"
    )]
    UnknownRevision {
        /// The id as given.
        revision: String,
    },
    /// A revision prefix that matches several revisions.
    #[error(
        "Multiple revisions start with '{prefix}': {candidates}; give more characters of the id"
    )]
    AmbiguousRevision {
        /// The prefix as given.
        prefix: String,
        /// The matching ids.
        candidates: String,
    },
    /// `head` asked for while several heads exist.
    #[error(
        "Multiple head revisions are present for given argument '{argument}'; please specify a specific target revision, '<branchname>@head' to narrow to a specific head, or 'heads' for all heads"
    )]
    MultipleHeadsTarget {
        /// The argument as given.
        argument: String,
    },
    /// A relative target that cannot walk as far as asked.
    #[error(
        "Relative revision {target} didn't produce {steps} migrations; the chain is shorter, use a smaller step or `base`/`head`"
    )]
    RelativeOutOfRange {
        /// The target as given.
        target: String,
        /// The number of steps asked for.
        steps: u64,
    },
    /// A relative walk that meets a branch point.
    #[error(
        "target {target} is ambiguous: revision `{revision}` has several {direction} ({candidates}); name the revision to go to instead"
    )]
    AmbiguousWalk {
        /// The target as given.
        target: String,
        /// Where the walk forks.
        revision: String,
        /// `children` or `parents`.
        direction: &'static str,
        /// The ids it forks into.
        candidates: String,
    },
    /// A downgrade whose target is not below the current revisions.
    #[error(
        "Destination {target} is not a valid downgrade target from current head(s) {current}; it would need revisions {missing} applied first, use `upgrade` to go forward"
    )]
    NotADowngrade {
        /// The target as given.
        target: String,
        /// The database's heads.
        current: String,
        /// Revisions the target needs that are not applied.
        missing: String,
    },
    /// A downgrade that would cross a revision without a downgrade section.
    #[error(
        "revision {revision} ({path}) has no `-- migrate:downgrade` section, so it cannot be undone; nothing was changed. Choose a target above it, or add a downgrade section to the file"
    )]
    Irreversible {
        /// The revision.
        revision: String,
        /// Its file.
        path: String,
    },
}

/// A non-empty list of errors, as returned when a whole directory is checked.
///
/// `Display` prints one error per line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Errors(Vec<Error>);

impl Errors {
    /// Wraps a list; `None` when it is empty.
    pub fn from_vec(errors: Vec<Error>) -> Option<Errors> {
        if errors.is_empty() {
            None
        } else {
            Some(Errors(errors))
        }
    }

    /// The errors, in the order they were found.
    pub fn as_slice(&self) -> &[Error] {
        &self.0
    }

    /// The errors, by value.
    pub fn into_vec(self) -> Vec<Error> {
        self.0
    }
}

impl From<Error> for Errors {
    fn from(error: Error) -> Self {
        Errors(vec![error])
    }
}

impl fmt::Display for Errors {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, e) in self.0.iter().enumerate() {
            if i > 0 {
                writeln!(f)?;
            }
            write!(f, "{e}")?;
        }
        Ok(())
    }
}

impl std::error::Error for Errors {}
