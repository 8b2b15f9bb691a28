//! Reliability under concurrency, crashes and lock contention, on real
//! PostgreSQL and SQLite databases, with the migrator binary
//! (`tests/bin/upgrade.rs`) as real child processes.
//!
//! Randomised scenarios print their seed; set `MIGRATE_RELIABILITY_SEED` to
//! replay one, and `MIGRATE_RELIABILITY_TRIALS` to change the number of
//! trials. Run with `-- --nocapture` to see the measured figures.

mod concurrent;
mod crash;
mod lock_safety;
mod locks;
mod poolers;
mod server_faults;
mod server_limits;
mod sqlite_faults;
mod support;
