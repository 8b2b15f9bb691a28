//! The build-script helper that makes new migration files rebuild the crate.
//!
//! A proc macro cannot ask cargo to watch a directory on stable Rust, and
//! `include_str!` only covers files that already exist. Without this, adding
//! a file would leave the binary with the old table, silently.
//! `embed_migrations!` therefore refuses to compile without it.
//!
//! ```no_run
//! // build.rs, in `fn main`:
//! migrate_runtime::build::watch("migrations");
//! ```
//!
//! with, in `Cargo.toml`, the same `migrate-runtime` as under
//! `[dependencies]` (the crates are not on crates.io yet: a path to a
//! checkout), without default features, so that no database driver is built
//! for the build script:
//!
//! ```toml
//! [build-dependencies]
//! migrate-runtime = { path = "../migrate/migrate-runtime", default-features = false }
//! ```

use std::io::Write;
use std::path::{Path, PathBuf};

/// Name of the marker file in `OUT_DIR` that `embed_migrations!` reads.
const WATCH_MARKER: &str = "migrate-watch.txt";

/// Tells cargo to rebuild when `dir` (relative to the crate root) or any
/// file in it changes, and records that it does for `embed_migrations!`.
///
/// Call it once per migration directory from `build.rs`.
pub fn watch(dir: &str) {
    println!("cargo:rerun-if-changed={dir}");
    let manifest = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_default();
    let full = manifest.join(dir);
    let full = full.canonicalize().unwrap_or(full);
    let Some(out) = std::env::var_os("OUT_DIR") else {
        println!("cargo:warning=migrate_runtime::build::watch must be called from a build script");
        return;
    };
    let marker = Path::new(&out).join(WATCH_MARKER);
    let mut existing = std::fs::read_to_string(&marker).unwrap_or_default();
    if !existing.lines().any(|l| Path::new(l) == full) {
        existing.push_str(&full.to_string_lossy());
        existing.push('\n');
        let written =
            std::fs::File::create(&marker).and_then(|mut f| f.write_all(existing.as_bytes()));
        if let Err(e) = written {
            println!("cargo:warning=could not write {}: {e}", marker.display());
        }
    }
}
