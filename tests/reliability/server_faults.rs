//! Faults on the server's side of a PostgreSQL run, at random points of
//! upgrades and downgrades, in both transaction modes:
//!
//! - the server restarted (`pg_ctl stop -m immediate`, then started again:
//!   crash recovery), on a server of the test's own;
//! - the migrator's server process ended with `pg_terminate_backend`;
//! - the migrator's TCP connection cut, both ways, by a proxy between the
//!   migrator and the server.
//!
//! The migration chain is the crash test's (`crash.rs`): twelve revisions,
//! three of them `transactional: false` building indexes concurrently.
//! After each fault the migrator must exit (never hang, never panic), the
//! history must agree with the schema the catalog shows, every revision
//! reported done in `PerRevision` mode must be there (nothing lost), a
//! `Single` run must stand at one of its commit points, and a re-run must
//! reach the target.

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

use crate::crash::{Chain, commit_points, observe, recover};
use crate::support::{
    Db, Pool, Proxy, Rng, Server, spawn, trials, url_port, with_param, with_port,
};

/// The fault injected.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Fault {
    Restart,
    Terminate,
    Cut,
}

impl Fault {
    fn name(self) -> &'static str {
        match self {
            Fault::Restart => "server restart",
            Fault::Terminate => "pg_terminate_backend",
            Fault::Cut => "TCP cut",
        }
    }
}

/// Where the migrator connects, and what the fault acts on.
struct Target {
    /// The observer's pool (direct to the server).
    pool: Pool,
    /// The URL the migrator is given.
    migrator_url: String,
    server: Option<Server>,
    proxy: Option<Proxy>,
    _db: Option<Db>,
}

const APP: &str = "faults-migrator";

impl Target {
    async fn new(fault: Fault, per_revision: bool) -> Target {
        match fault {
            Fault::Restart => {
                let server = Server::start(u16::from(per_revision)).await;
                let (url, pool) = server.fresh_db("faults").await;
                Target {
                    pool,
                    migrator_url: url,
                    server: Some(server),
                    proxy: None,
                    _db: None,
                }
            }
            Fault::Terminate => {
                let db = Db::pg().await;
                Target {
                    pool: db.pool.clone(),
                    migrator_url: with_param(&db.url, "application_name", APP),
                    server: None,
                    proxy: None,
                    _db: Some(db),
                }
            }
            Fault::Cut => {
                let db = Db::pg().await;
                let proxy = Proxy::start(url_port(&db.url));
                Target {
                    pool: db.pool.clone(),
                    migrator_url: with_port(&db.url, proxy.port()),
                    server: None,
                    proxy: Some(proxy),
                    _db: Some(db),
                }
            }
        }
    }

    /// Injects the fault; returns the number of connections it hit.
    async fn inject(&self, fault: Fault) -> usize {
        match fault {
            Fault::Restart => {
                let server = self.server.as_ref().unwrap();
                tokio::task::block_in_place(|| {
                    server.crash();
                    server.restart();
                });
                1
            }
            Fault::Terminate => {
                let Pool::Pg(pool) = &self.pool else {
                    unreachable!()
                };
                let ended: Vec<bool> = sqlx::query_scalar(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity \
                     WHERE datname = current_database() AND application_name = $1",
                )
                .bind(APP)
                .fetch_all(pool)
                .await
                .expect("pg_terminate_backend");
                ended.into_iter().filter(|&b| b).count()
            }
            Fault::Cut => self.proxy.as_ref().unwrap().cut(),
        }
    }
}

#[derive(Default)]
struct Tally {
    trials: usize,
    /// Faults that hit a run in progress (the migrator then failed).
    hit: usize,
    /// ... after at least one revision reported done, before the last.
    mid_run: usize,
    /// Runs that had finished before the fault.
    finished: usize,
    /// Faults that left an interrupted non-transactional revision.
    interrupted_rows: usize,
    /// Revisions reported done that the database lacked afterwards.
    lost: usize,
    /// The migrator's errors, by their text up to the first colon after
    /// "while" (what the run was doing), counted.
    errors: BTreeMap<String, usize>,
}

/// The part of an error that says what the run was doing, without the
/// driver's details (which vary with the moment of the fault).
fn error_kind(stderr: &str) -> String {
    let line = stderr.lines().next().unwrap_or("").trim();
    if let Some(rest) = line.strip_prefix("database error while ") {
        let what = rest.split(':').next().unwrap_or(rest);
        return format!("while {what}");
    }
    if line.starts_with("revision ") && line.contains(" failed at statement ") {
        return "a revision's statement failed".to_owned();
    }
    line.chars().take(80).collect()
}

async fn fault_at_random_points(fault: Fault, per_revision: bool, default_trials: usize) {
    let mode = if per_revision {
        "PerRevision"
    } else {
        "Single"
    };
    let name = format!("{} PostgreSQL {mode}", fault.name());
    let mut rng = Rng::for_scenario(&name);
    let target = Target::new(fault, per_revision).await;
    let chain = Chain::new(true);
    let n = chain.revs.len();
    let mut base_args: Vec<&str> = vec!["--progress", "--lock-timeout-ms", "30000"];
    if per_revision {
        base_args.push("--per-revision");
    }
    let run = |downgrade: bool| {
        let mut args = base_args.clone();
        if downgrade {
            args.push("--downgrade");
        }
        spawn(&target.migrator_url, chain.dir.path(), &args)
    };

    // Calibration: one whole upgrade and one whole downgrade.
    let started = Instant::now();
    let up = tokio::task::block_in_place(|| run(false).wait());
    let up_time = started.elapsed();
    assert!(up.status.success(), "{}", up.describe());
    let started = Instant::now();
    let down = tokio::task::block_in_place(|| run(true).wait());
    let down_time = started.elapsed();
    assert!(down.status.success(), "{}", down.describe());

    let wall = Instant::now();
    let mut tally = Tally::default();
    for trial in 0..trials(default_trials) {
        let upgrade = trial % 2 == 0;
        let full = if upgrade { up_time } else { down_time };
        let order: Vec<&str> = if upgrade {
            chain.revs.iter().map(|r| r.id.as_str()).collect()
        } else {
            chain.revs.iter().rev().map(|r| r.id.as_str()).collect()
        };
        // The fault: after a random number of revisions reported done
        // (0 to all but the last), plus a random part of a revision's time.
        let after = rng.below(n as u64) as usize;
        let delay = rng.duration_up_to(full / n as u32);
        let mut child = run(!upgrade);
        if after > 0 {
            let line = format!("done {}", order[after - 1]);
            tokio::task::block_in_place(|| child.wait_for_line(&line, full * 5));
        }
        tokio::time::sleep(delay).await;
        let hits = target.inject(fault).await;
        let label = format!(
            "{name}, trial {trial} ({}, fault {delay:.1?} after revision {after} reported done)",
            if upgrade { "upgrade" } else { "downgrade" }
        );
        let finished =
            tokio::task::block_in_place(|| child.wait_limit(Duration::from_secs(60), &label));
        let done = finished.done().len();
        let label = format!("{label}, {done} reported done in all, {hits} connections hit");
        assert!(
            !finished.stderr.contains("panicked"),
            "{label}: {}",
            finished.describe()
        );
        if finished.status.success() {
            tally.finished += 1;
        } else {
            assert_eq!(
                finished.status.code(),
                Some(1),
                "{label}: {}",
                finished.describe()
            );
            assert!(
                !finished.stderr.trim().is_empty(),
                "{label}: failed without a message"
            );
            tally.hit += 1;
            if done > 0 && done < n {
                tally.mid_run += 1;
            }
            let kind = error_kind(&finished.stderr);
            if !tally.errors.contains_key(&kind) {
                println!(
                    "{name}: example error ({label}):\n{}",
                    finished.stderr.trim()
                );
            }
            *tally.errors.entry(kind).or_default() += 1;
        }
        tally.trials += 1;

        // The server ends the cut-off session and frees the lock.
        target.pool.wait_lock_free(Duration::from_secs(20)).await;
        let seen = observe(&target.pool, &chain)
            .await
            .unwrap_or_else(|e| panic!("{label}: history and schema disagree: {e}"));
        let moved = if upgrade {
            seen.complete
        } else {
            n - seen.complete - usize::from(seen.partial.is_some())
        };
        assert!(
            moved <= done + 1,
            "{label}: {moved} revisions landed but only {done} reported done"
        );
        if per_revision {
            if moved < done {
                tally.lost += done - moved;
            }
            assert!(
                moved >= done,
                "{label}: a revision reported done (and committed) is missing: {moved} landed"
            );
        } else {
            assert!(
                commit_points(&chain, upgrade).contains(&moved),
                "{label}: Single mode stopped at {moved}, which is not a commit point"
            );
        }
        tally.interrupted_rows += usize::from(seen.partial.is_some());
        let partial = seen.partial.as_ref().map(|(row, _)| row);
        recover(&target.pool, &chain, partial, upgrade, &label, &run).await;
    }
    let errors: Vec<String> = tally
        .errors
        .iter()
        .map(|(k, v)| format!("{v}× {k}"))
        .collect();
    println!(
        "{name}: {} trials (whole run {up_time:.0?} up, {down_time:.0?} down), {} faults hit a run \
         ({} after 1..{} of {n} revisions reported done), {} runs had finished; {} left an \
         interrupted non-transactional revision; revisions reported done and lost: {}; \
         every re-run reached its target; errors: {}; wall time {:.1?}",
        tally.trials,
        tally.hit,
        tally.mid_run,
        n - 1,
        tally.finished,
        tally.interrupted_rows,
        tally.lost,
        errors.join(", "),
        wall.elapsed(),
    );
    assert!(
        tally.mid_run > 0,
        "{name}: no fault landed mid-run in {} trials; the timing calibration is off",
        tally.trials
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_postgres_single() {
    fault_at_random_points(Fault::Restart, false, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn restart_postgres_per_revision() {
    fault_at_random_points(Fault::Restart, true, 8).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_backend_postgres_single() {
    fault_at_random_points(Fault::Terminate, false, 12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn terminate_backend_postgres_per_revision() {
    fault_at_random_points(Fault::Terminate, true, 12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_cut_postgres_single() {
    fault_at_random_points(Fault::Cut, false, 12).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tcp_cut_postgres_per_revision() {
    fault_at_random_points(Fault::Cut, true, 12).await;
}
