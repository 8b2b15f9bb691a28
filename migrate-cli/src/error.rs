//! Exit codes, and which errors are the user's invocation or configuration.

use std::fmt;

/// The exit codes of `migrate` (and of [`run_embedded`](crate::run_embedded)),
/// as in cargo-nextest's `NextestExitCode`: one meaning per number.
pub mod exit_code {
    /// The command did what was asked.
    pub const OK: u8 = 0;
    /// The command failed: a migration or database error, problems found by
    /// `check`, or a request the current state refuses (several heads, a
    /// `--head` that is not a head, a database behind with `--check-heads`).
    pub const FAILED: u8 = 1;
    /// Bad invocation or configuration: unknown option (clap's own usage
    /// errors also exit 2), invalid target syntax, an unreadable
    /// `migrate.toml` or `.env`, a missing migration directory, no database
    /// URL, a URL the driver would misread (unsupported scheme, unknown
    /// parameter, raw `@` in the password), a password from the environment
    /// for a host named by someone else's file, `--autogenerate`.
    pub const USAGE: u8 = 2;
    /// A fleet run (`--each-database`, `--each-schema`) where some members
    /// succeeded and others failed or were not run (none succeeding is
    /// [`FAILED`]).
    pub const SOME_FAILED: u8 = 3;
}

/// A fleet run that did not succeed on every member: how many did.
#[derive(Debug)]
pub(crate) struct FleetFailed {
    pub ok: usize,
    pub total: usize,
}

impl fmt::Display for FleetFailed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} of {} members did not succeed (see the table above)",
            self.total - self.ok,
            self.total
        )
    }
}

impl std::error::Error for FleetFailed {}

/// An error that is the caller's to fix in the command line or the config:
/// exit code [`exit_code::USAGE`].
#[derive(Debug)]
pub(crate) struct Usage(pub String);

impl fmt::Display for Usage {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Usage {}

/// Several problems found by one check, printed one `error:` line each.
#[derive(Debug)]
pub(crate) struct Problems(pub Vec<String>);

impl fmt::Display for Problems {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0.join("\n"))
    }
}

impl std::error::Error for Problems {}

/// The exit code an error maps to.
pub(crate) fn exit_code_of(err: &anyhow::Error) -> u8 {
    if let Some(f) = err.downcast_ref::<FleetFailed>() {
        return if f.ok == 0 {
            exit_code::FAILED
        } else {
            exit_code::SOME_FAILED
        };
    }
    for cause in err.chain() {
        if cause.is::<Usage>() {
            return exit_code::USAGE;
        }
        if let Some(e) = cause.downcast_ref::<migrate_core::Error>()
            && is_usage(e)
        {
            return exit_code::USAGE;
        }
        if let Some(migrate_runtime::Error::Core(e)) =
            cause.downcast_ref::<migrate_runtime::Error>()
            && is_usage(e)
        {
            return exit_code::USAGE;
        }
        if let Some(migrate_runtime::Error::InvalidUrl { .. }) =
            cause.downcast_ref::<migrate_runtime::Error>()
        {
            return exit_code::USAGE;
        }
        if let Some(list) = cause.downcast_ref::<migrate_core::Errors>()
            && list.as_slice().iter().all(is_usage)
        {
            return exit_code::USAGE;
        }
    }
    exit_code::FAILED
}

fn is_usage(e: &migrate_core::Error) -> bool {
    matches!(
        e,
        migrate_core::Error::Config { .. }
            | migrate_core::Error::InvalidTarget { .. }
            | migrate_core::Error::RangeWithoutColon { .. }
            | migrate_core::Error::RelativeRangeEnd { .. }
            | migrate_core::Error::DirectoryMissing { .. }
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_errors_exit_2_and_others_1() {
        let usage = anyhow::Error::new(Usage("no database URL".into())).context("upgrade");
        assert_eq!(exit_code_of(&usage), 2);
        let target = anyhow::Error::new(migrate_runtime::Error::Core(
            migrate_core::Error::InvalidTarget {
                target: "a b".into(),
            },
        ));
        assert_eq!(exit_code_of(&target), 2);
        let missing = anyhow::Error::new(migrate_core::Errors::from(
            migrate_core::Error::DirectoryMissing { path: "m".into() },
        ));
        assert_eq!(exit_code_of(&missing), 2);
        let unknown = anyhow::Error::new(migrate_core::Error::UnknownRevision {
            revision: "zz".into(),
        });
        assert_eq!(exit_code_of(&unknown), 1);
    }
}
