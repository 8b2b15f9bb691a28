//! Running the `migrate` binary from a test, isolated from the database
//! variables of the environment (shared by the test binaries that include
//! it with `#[path]`).

#![allow(dead_code)] // each test binary uses part of it

use std::path::Path;
use std::process::Command;

/// Environment variables that would change which database the binary uses.
pub const DATABASE_VARS: [&str; 7] = [
    "DATABASE_URL",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "MIGRATE_LOG",
];

/// What a run printed, and its exit code (-1 when killed by a signal).
pub struct Out {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

/// Runs `migrate ARGS` in `dir` with `env` set and no other database
/// variable.
pub fn migrate_with(dir: &Path, env: &[(&str, &str)], args: &[&str]) -> Out {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command.args(args).current_dir(dir);
    for var in DATABASE_VARS {
        command.env_remove(var);
    }
    for (k, v) in env {
        command.env(k, v);
    }
    let out = command.output().expect("run the migrate binary");
    Out {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `migrate ARGS` in `dir` with no database variable set.
pub fn migrate(dir: &Path, args: &[&str]) -> Out {
    migrate_with(dir, &[], args)
}

/// `upgrade head` of `dir`; when it holds the example app's Rust revision,
/// as a `migrate` CLI user does it: up to the revision before it (it is
/// data only, and the application runs it), that one stamped, then the
/// rest. The last command's output, or the first that failed.
pub fn upgrade_example_head(dir: &Path, url: &str) -> Out {
    let out = migrate(dir, &["--database-url", url, "upgrade", "head"]);
    if out.code == 0
        || !(out.stderr.contains("a4b5c6d7e8f9") && out.stderr.contains("is written in Rust"))
    {
        return out;
    }
    let mut out = migrate(dir, &["--database-url", url, "upgrade", "f3a4b5c6d7e8"]);
    for step in [["stamp", "a4b5c6d7e8f9"], ["upgrade", "head"]] {
        if out.code != 0 {
            break;
        }
        out = migrate(dir, &["--database-url", url, step[0], step[1]]);
    }
    out
}
