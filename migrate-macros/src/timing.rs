//! Optional timing of one expansion, for measuring the macro's build cost.
//!
//! With `MIGRATE_MACRO_TIMING` set (to anything) in the environment of the
//! compiler, each expansion prints one line to stderr, which cargo shows:
//!
//! ```text
//! migrate-macros timing: dir=migrations revisions=1000 load_ms=45.3 cache=hit fold_ms=0.1 emit_ms=19.4 total_ms=73.1
//! ```
//!
//! `load` reads, parses and validates the directory (or, on a validation
//! cache hit, reads and parses it only); `fold` is the schema fold (near
//! zero when it reported nothing on the same directory before); `emit` is the compiler lexing the
//! table's source into tokens; `total` is the whole expansion (also writing
//! that source). Cargo does not track this variable: setting it does not
//! rebuild anything by itself.

use std::time::{Duration, Instant};

/// Environment variable that turns the timing line on.
const TIMING_VAR: &str = "MIGRATE_MACRO_TIMING";

/// What one expansion spent, filled in as it goes.
pub struct Timing {
    started: Instant,
    pub dir: String,
    pub revisions: usize,
    pub load: Option<Duration>,
    pub fold: Option<Duration>,
    pub emit: Option<Duration>,
    /// `hit`, `partial`, `miss`, or `off` (no `OUT_DIR`, or the cache is
    /// turned off); see `cache.rs`.
    pub cache: &'static str,
}

impl Timing {
    pub fn start() -> Timing {
        Timing {
            started: Instant::now(),
            dir: String::new(),
            revisions: 0,
            load: None,
            fold: None,
            emit: None,
            cache: "off",
        }
    }

    /// Prints the line if `MIGRATE_MACRO_TIMING` is set.
    pub fn report(&self) {
        if std::env::var_os(TIMING_VAR).is_none() {
            return;
        }
        let ms = |d: Option<Duration>| {
            d.map_or_else(
                || "-".to_owned(),
                |d| format!("{:.1}", d.as_secs_f64() * 1e3),
            )
        };
        eprintln!(
            "migrate-macros timing: dir={} revisions={} load_ms={} cache={} fold_ms={} emit_ms={} total_ms={}",
            self.dir,
            self.revisions,
            ms(self.load),
            self.cache,
            ms(self.fold),
            ms(self.emit),
            ms(Some(self.started.elapsed())),
        );
    }
}
