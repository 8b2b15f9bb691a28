//! SQLite's run lock: `<database>.migrate-lock`, a file beside the database
//! held with an OS file lock for the whole run.
//!
//! The file's name is predictable and its directory is often shared, so it
//! is opened as a hostile path: a symbolic link at that name is not followed
//! (a planted link would otherwise have the migrator write its process id
//! into the file it points to), anything but a regular file with one link is
//! refused, and nothing is written before the lock is held. A new file gets
//! the read and write bits of the database file, so it shows no more than
//! the database does; see docs/reliability.md#the-sqlite-lock-file.

use std::fs::File;
use std::io::{Read as _, Write as _};
use std::path::Path;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// The lock file's name beside `database`.
pub(crate) fn path_of(database: &str) -> String {
    format!("{database}.migrate-lock")
}

/// Takes the run's lock file beside `database`, polling until `timeout`; the
/// holder's process id is written into it once the lock is held.
pub(crate) async fn acquire(database: &str, table: &str, timeout: Duration) -> Result<File> {
    let path = path_of(database);
    let io_error = |what: &str| {
        let context =
            format!("{what} the migration lock file {path} (check that its directory is writable)");
        move |e: std::io::Error| Error::db(context)(sqlx::Error::Io(e))
    };
    let started = Instant::now();
    let mut pause = Duration::from_millis(5);
    loop {
        let file = open(Path::new(&path), Path::new(database))?;
        match file.try_lock() {
            // Whoever removed or replaced the file while this run waited
            // holds a lock on another inode: only the one the name shows
            // counts, so a lock on a stale one is dropped and taken again.
            Ok(()) if still_named(&file, Path::new(&path)) => {
                let mut handle = &file;
                file.set_len(0).map_err(io_error("writing"))?;
                handle
                    .write_all(format!("{}\n", std::process::id()).as_bytes())
                    .map_err(io_error("writing"))?;
                return Ok(file);
            }
            Ok(()) | Err(std::fs::TryLockError::WouldBlock) => {}
            Err(std::fs::TryLockError::Error(e)) => return Err(io_error("locking")(e)),
        }
        if started.elapsed() >= timeout {
            let mut pid = Vec::new();
            let _ = std::io::Read::take(&file, 32).read_to_end(&mut pid);
            // Only digits are printed from whatever the file holds.
            let pid = String::from_utf8_lossy(&pid);
            let holder = match pid.trim() {
                pid if !pid.is_empty() && pid.bytes().all(|b| b.is_ascii_digit()) => {
                    format!(" (held by process {pid} through {path})")
                }
                _ => format!(" (held through {path})"),
            };
            return Err(Error::LockTimeout {
                waited: started.elapsed(),
                table: table.to_owned(),
                holder,
            });
        }
        drop(file);
        tracing::debug!(table, "waiting for the migration lock file");
        tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
        pause = (pause * 2).min(Duration::from_millis(250));
    }
}

fn unsafe_file(path: &Path, problem: impl Into<String>) -> Error {
    Error::UnsafeLockFile {
        path: path.display().to_string(),
        problem: problem.into(),
    }
}

/// Opens or creates the lock file without following a link at its name,
/// and checks that it is a regular file no other name points to.
#[cfg(unix)]
fn open(path: &Path, database: &Path) -> Result<File> {
    use std::os::unix::fs::{MetadataExt as _, OpenOptionsExt as _, PermissionsExt as _};

    // The database's read and write bits (never execute or set-id bits);
    // 0600 when the database is not a file yet.
    let mode = std::fs::metadata(database).map_or(0o600, |m| m.mode() & 0o666);
    let opened = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        // Not truncated here: another run may hold the lock and its process
        // id is in the file.
        .truncate(false)
        .mode(mode)
        // O_NONBLOCK keeps a FIFO planted at the name from blocking the
        // open; it changes nothing for a regular file.
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK | libc::O_CLOEXEC)
        .open(path);
    let file = match opened {
        Ok(file) => file,
        Err(e) => {
            match std::fs::symlink_metadata(path).map(|m| m.file_type()) {
                Ok(t) if t.is_symlink() => {
                    return Err(unsafe_file(
                        path,
                        "the migration lock file is a symbolic link, which the migrator does not follow (it would write into the file the link points to)",
                    ));
                }
                // A directory, which cannot be opened for writing.
                Ok(t) if !t.is_file() => {
                    return Err(unsafe_file(
                        path,
                        "the migration lock file is not a regular file",
                    ));
                }
                _ => {}
            }
            let context = format!(
                "opening the migration lock file {} (check that its directory is writable)",
                path.display()
            );
            return Err(Error::db(context)(sqlx::Error::Io(e)));
        }
    };
    let meta = file.metadata().map_err(|e| {
        Error::db(format!(
            "reading the migration lock file {}",
            path.display()
        ))(sqlx::Error::Io(e))
    })?;
    if !meta.file_type().is_file() {
        return Err(unsafe_file(
            path,
            "the migration lock file is not a regular file",
        ));
    }
    if meta.nlink() > 1 {
        return Err(unsafe_file(
            path,
            format!(
                "the migration lock file has {} hard links, so writing it would change another file",
                meta.nlink()
            ),
        ));
    }
    // A file created under a umask, or left by an older version, gets the
    // database's bits; only its owner may change them, and a file owned by
    // someone else keeps its own.
    if meta.mode() & 0o7777 != mode
        && let Err(e) = file.set_permissions(std::fs::Permissions::from_mode(mode))
    {
        tracing::debug!(
            path = %path.display(),
            error = %e,
            "could not give the migration lock file the database's permissions"
        );
    }
    Ok(file)
}

#[cfg(not(unix))]
fn open(path: &Path, _database: &Path) -> Result<File> {
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create(true)
        .truncate(false)
        .open(path)
        .map_err(|e| {
            Error::db(format!(
                "opening the migration lock file {} (check that its directory is writable)",
                path.display()
            ))(sqlx::Error::Io(e))
        })?;
    if !file.metadata().is_ok_and(|m| m.is_file()) {
        return Err(unsafe_file(
            path,
            "the migration lock file is not a regular file",
        ));
    }
    Ok(file)
}

/// Is `file` still the file at `path` (not removed or replaced meanwhile)?
#[cfg(unix)]
fn still_named(file: &File, path: &Path) -> bool {
    use std::os::unix::fs::MetadataExt as _;
    match (file.metadata(), std::fs::symlink_metadata(path)) {
        (Ok(held), Ok(named)) => held.dev() == named.dev() && held.ino() == named.ino(),
        _ => false,
    }
}

#[cfg(not(unix))]
fn still_named(_file: &File, _path: &Path) -> bool {
    true
}
