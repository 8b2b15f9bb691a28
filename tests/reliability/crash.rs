//! Crash consistency: the migrator process is killed with SIGKILL at random
//! points of a long upgrade or downgrade. After each kill the history table
//! must agree with the schema the catalog shows, the lock must be free, and
//! running the migrator again must reach the target.
//!
//! The chain has twelve revisions. Nine are transactional: each creates table
//! `tNN` and fills it with rows (a downgrade deletes some, then drops it).
//! Three are `transactional: false` and build three indexes each on the
//! table before them, one statement per index (`CREATE INDEX CONCURRENTLY`
//! on PostgreSQL); their progress is recorded after each statement, so after
//! a kill the recorded statement count must match the indexes present, give
//! or take the one statement that was running when the process died.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use crate::support::{Db, Dir, HistoryRow, Pool, Rng, spawn, trials};

const REVISIONS: usize = 12;
/// 1-based positions of the non-transactional revisions.
const NON_TRANSACTIONAL: [usize; 3] = [4, 8, 11];
const INDEXES_PER_REVISION: usize = 3;
/// Rows each transactional revision inserts (and its downgrade partly deletes).
const ROWS: i64 = 10_000;

pub(crate) struct Rev {
    pub(crate) id: String,
    transactional: bool,
    /// Table created by a transactional revision.
    table: String,
    /// Indexes created by a non-transactional one, in statement order.
    indexes: Vec<String>,
}

pub(crate) struct Chain {
    pub(crate) dir: Dir,
    pub(crate) revs: Vec<Rev>,
    rows: i64,
}

fn id(i: usize) -> String {
    format!("r{i:02}")
}

impl Chain {
    pub(crate) fn new(pg: bool) -> Chain {
        let rows = ROWS;
        let mut dir = Dir::new();
        let mut revs = Vec::new();
        for i in 1..=REVISIONS {
            let parent = (i > 1).then(|| id(i - 1));
            if NON_TRANSACTIONAL.contains(&i) {
                let on = format!("t{:02}", i - 1);
                let columns = ["a", "b", "a, b"];
                let indexes: Vec<String> = (1..=INDEXES_PER_REVISION)
                    .map(|k| format!("ix{i:02}_{k}"))
                    .collect();
                let (create, drop) = if pg {
                    (
                        "CREATE INDEX CONCURRENTLY",
                        "-- migrate:no-check\nDROP INDEX CONCURRENTLY IF EXISTS",
                    )
                } else {
                    ("CREATE INDEX", "DROP INDEX IF EXISTS")
                };
                let up: Vec<String> = indexes
                    .iter()
                    .zip(columns)
                    .map(|(ix, cols)| format!("{create} {ix} ON {on} ({cols});"))
                    .collect();
                let down: Vec<String> = indexes
                    .iter()
                    .rev()
                    .map(|ix| format!("{drop} {ix};"))
                    .collect();
                dir.write(
                    &id(i),
                    parent.as_deref(),
                    "-- transactional: false\n",
                    &up.join("\n"),
                    Some(&down.join("\n")),
                );
                revs.push(Rev {
                    id: id(i),
                    transactional: false,
                    table: String::new(),
                    indexes,
                });
            } else {
                let table = format!("t{i:02}");
                let fill = if pg {
                    format!(
                        "INSERT INTO {table} (id, a, b) SELECT g, g % 97, g % 89 FROM generate_series(1, {rows}) AS g;"
                    )
                } else {
                    format!(
                        "INSERT INTO {table} (id, a, b) SELECT g, g % 97, g % 89 FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < {rows}) SELECT g FROM s) AS numbers;"
                    )
                };
                let up = format!(
                    "CREATE TABLE {table} (id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER NOT NULL);\n{fill}"
                );
                let down = format!("DELETE FROM {table} WHERE a < 60;\nDROP TABLE {table};");
                dir.write(&id(i), parent.as_deref(), "", &up, Some(&down));
                revs.push(Rev {
                    id: id(i),
                    transactional: true,
                    table,
                    indexes: Vec::new(),
                });
            }
        }
        Chain { dir, revs, rows }
    }
}

/// What a kill left behind, once checked.
pub(crate) struct Observed {
    /// Revisions complete in the history: always a prefix of the chain.
    pub(crate) complete: usize,
    /// An interrupted non-transactional revision: its row and whether the
    /// statement after the recorded count had also (partly) run.
    pub(crate) partial: Option<(HistoryRow, bool)>,
}

/// Reads history and catalog and checks they agree; returns what it found
/// or a description of the disagreement.
pub(crate) async fn observe(pool: &Pool, chain: &Chain) -> Result<Observed, String> {
    let history = pool.history().await;
    let tables = pool.tables().await;
    let indexes = pool.indexes().await;
    let context = || format!("history {history:?}\ntables {tables:?}\nindexes {indexes:?}");

    // The history: complete rows are a prefix of the chain, in seq order,
    // followed by at most one interrupted non-transactional revision.
    let mut complete = 0;
    let mut partial = None;
    for (k, row) in history.iter().enumerate() {
        let Some(rev) = chain.revs.get(k).filter(|r| r.id == row.revision) else {
            return Err(format!(
                "row {k} is {}, not the chain's\n{}",
                row.revision,
                context()
            ));
        };
        if row.is_complete() {
            if partial.is_some() {
                return Err(format!(
                    "a complete row after an interrupted one\n{}",
                    context()
                ));
            }
            complete += 1;
        } else {
            if rev.transactional || partial.is_some() {
                return Err(format!("unexpected interrupted row {row:?}\n{}", context()));
            }
            partial = Some(row.clone());
        }
    }

    // The schema, revision by revision.
    let mut inflight = false;
    let mut expected_tables: BTreeSet<String> = BTreeSet::new();
    for (k, rev) in chain.revs.iter().enumerate() {
        if rev.transactional {
            if k < complete {
                expected_tables.insert(rev.table.clone());
            }
            continue;
        }
        let present = |ix: &String| indexes.get(ix).copied();
        let partial_here = partial.as_ref().filter(|_| k == complete);
        for (m, ix) in rev.indexes.iter().enumerate() {
            // None: either way (the statement that was running).
            let want: Option<bool> = match partial_here {
                _ if k < complete => Some(true),
                None => Some(false),
                Some(row) => {
                    let done = row.statements_done as usize;
                    // Downgrade statements drop the indexes in reverse order.
                    let position = if row.state == "running" || row.state == "failed" {
                        m
                    } else {
                        INDEXES_PER_REVISION - 1 - m
                    };
                    let upgrading = row.state == "running" || row.state == "failed";
                    match position.cmp(&done) {
                        std::cmp::Ordering::Less => Some(upgrading),
                        std::cmp::Ordering::Equal => None,
                        std::cmp::Ordering::Greater => Some(!upgrading),
                    }
                }
            };
            match (want, present(ix)) {
                (Some(true), Some(true)) | (Some(false), None) => {}
                (None, state) => {
                    let upgrading =
                        partial_here.is_some_and(|r| r.state == "running" || r.state == "failed");
                    // The running statement had landed (fully or, for an
                    // interrupted concurrent build, as an invalid index).
                    if state.is_some() == upgrading || state == Some(false) {
                        inflight = true;
                    }
                }
                (want, got) => {
                    return Err(format!(
                        "index {ix} of {}: expected present={want:?}, catalog says {got:?}\n{}",
                        rev.id,
                        context()
                    ));
                }
            }
        }
    }
    let mut actual_tables = tables.clone();
    actual_tables.remove("migrate_history");
    if actual_tables != expected_tables {
        return Err(format!(
            "tables {actual_tables:?} but the history says {expected_tables:?}\n{}",
            context()
        ));
    }
    // A table that exists is whole: its rows landed with it.
    for table in &expected_tables {
        let n = pool.i64(&format!("SELECT count(*) FROM {table}")).await;
        if n != chain.rows {
            return Err(format!("{table} has {n} rows, not {}", chain.rows));
        }
    }
    let known: BTreeSet<&String> = chain.revs.iter().flat_map(|r| &r.indexes).collect();
    if let Some(stray) = indexes.keys().find(|ix| !known.contains(ix)) {
        return Err(format!("unexpected index {stray}\n{}", context()));
    }
    Ok(Observed {
        complete,
        partial: partial.map(|row| (row, inflight)),
    })
}

/// What an operator does with an interrupted non-transactional revision:
/// finish its statements by hand (dropping an invalid half-built index
/// first), then record the outcome with `stamp`.
/// After a fault: a revision left part-way (`partial`) makes the next run
/// refuse until the operator finishes it by hand; then a run reaches the
/// target (every revision of `chain` for an upgrade, none for a downgrade).
/// `run(downgrade)` starts the migrator.
pub(crate) async fn recover(
    pool: &Pool,
    chain: &Chain,
    partial: Option<&HistoryRow>,
    upgrade: bool,
    label: &str,
    run: &impl Fn(bool) -> crate::support::Running,
) {
    if let Some(row) = partial {
        let refused = tokio::task::block_in_place(|| run(!upgrade).wait());
        assert_eq!(
            refused.status.code(),
            Some(1),
            "{label}: {}",
            refused.describe()
        );
        assert!(
            refused
                .stderr
                .contains("was partly applied by an earlier run"),
            "{label}: {}",
            refused.describe()
        );
        finish_by_hand(pool, chain, row).await;
    }
    // Running again reaches the target.
    let again = tokio::task::block_in_place(|| run(!upgrade).wait());
    assert!(
        again.status.success(),
        "{label}: the re-run failed: {}",
        again.describe()
    );
    let end = observe(pool, chain)
        .await
        .unwrap_or_else(|e| panic!("{label}: after the re-run: {e}"));
    assert!(end.partial.is_none());
    assert_eq!(
        end.complete,
        if upgrade { chain.revs.len() } else { 0 },
        "{label}: re-run target"
    );
}

pub(crate) async fn finish_by_hand(pool: &Pool, chain: &Chain, row: &HistoryRow) {
    let k = chain
        .revs
        .iter()
        .position(|r| r.id == row.revision)
        .unwrap();
    let rev = &chain.revs[k];
    let upgrading = row.state == "running" || row.state == "failed";
    let indexes = pool.indexes().await;
    let on = &chain.revs[k - 1].table;
    let columns = ["a", "b", "a, b"];
    for (ix, cols) in rev.indexes.iter().zip(columns) {
        let valid = indexes.get(ix).copied();
        let sql = match (upgrading, valid) {
            (true, Some(true)) => continue,
            (true, Some(false)) => format!("DROP INDEX {ix}; CREATE INDEX {ix} ON {on} ({cols})"),
            (true, None) => format!("CREATE INDEX {ix} ON {on} ({cols})"),
            (false, Some(_)) => format!("DROP INDEX {ix}"),
            (false, None) => continue,
        };
        pool.exec(&sql)
            .await
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    let target = if upgrading {
        rev.id.clone()
    } else {
        chain.revs[k - 1].id.clone()
    };
    pool.stamp(&chain.dir.migrator(), &[target.as_str()])
        .await
        .unwrap_or_else(|e| panic!("stamp {target}: {e}"));
}

/// Revision counts at which a `Single` run can have committed: before and
/// after each non-transactional revision, and at the end.
pub(crate) fn commit_points(chain: &Chain, upgrade: bool) -> BTreeSet<usize> {
    let order: Vec<&Rev> = if upgrade {
        chain.revs.iter().collect()
    } else {
        chain.revs.iter().rev().collect()
    };
    let mut points = BTreeSet::from([0, order.len()]);
    for (p, rev) in order.iter().enumerate() {
        if !rev.transactional {
            points.insert(p);
            points.insert(p + 1);
        }
    }
    points
}

#[derive(Default)]
struct Tally {
    trials: usize,
    upgrades: usize,
    downgrades: usize,
    /// Killed after at least one revision reported done and before the last.
    mid_run: usize,
    /// Killed before any revision reported done.
    early: usize,
    /// Killed after every revision reported done (commit, unlock, exit).
    late: usize,
    /// The process had already exited.
    finished: usize,
    /// Kills that left the database between start and target.
    partial_state: usize,
    /// Kills that left an interrupted non-transactional revision.
    interrupted_rows: usize,
    /// ... of which the running statement had (partly) landed.
    inflight: usize,
    max_lock_release: Duration,
}

async fn kill_at_random_points(db: Db, per_revision: bool) {
    let mode = if per_revision {
        "PerRevision"
    } else {
        "Single"
    };
    let name = format!("crash {} {mode}", db.name());
    let mut rng = Rng::for_scenario(&name);
    let chain = Chain::new(db.is_pg());
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
        spawn(&db.url, chain.dir.path(), &args)
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
    let count = trials(50);
    for trial in 0..count {
        // Alternate: base -> head, then head -> base.
        let upgrade = trial % 2 == 0;
        let full = if upgrade { up_time } else { down_time };
        // The kill point: after a random number of revisions reported done
        // (0 to all), plus a random part of an average revision's time.
        let order: Vec<&str> = if upgrade {
            chain.revs.iter().map(|r| r.id.as_str()).collect()
        } else {
            chain.revs.iter().rev().map(|r| r.id.as_str()).collect()
        };
        let after = rng.below(n as u64 + 1) as usize;
        let delay = rng.duration_up_to(full / n as u32);
        let mut child = run(!upgrade);
        if after > 0 {
            let line = format!("done {}", order[after - 1]);
            tokio::task::block_in_place(|| child.wait_for_line(&line, full * 5));
        }
        tokio::time::sleep(delay).await;
        let killed = child.kill();
        let done = killed.done().len();
        let label = format!(
            "{name}, trial {trial} ({}, kill {delay:.1?} after revision {after} reported done, \
             {done} reported done in all)",
            if upgrade { "upgrade" } else { "downgrade" }
        );
        if killed.killed {
            if done == 0 {
                tally.early += 1;
            } else if done < n {
                tally.mid_run += 1;
            } else {
                tally.late += 1;
            }
        } else {
            assert!(killed.status.success(), "{label}: {}", killed.describe());
            tally.finished += 1;
        }
        tally.trials += 1;
        if upgrade {
            tally.upgrades += 1;
        } else {
            tally.downgrades += 1;
        }

        // The dead process's server session ends and frees the lock.
        let released = db.pool.wait_lock_free(Duration::from_secs(10)).await;
        tally.max_lock_release = tally.max_lock_release.max(released);

        let seen = observe(&db.pool, &chain)
            .await
            .unwrap_or_else(|e| panic!("{label}: history and schema disagree: {e}"));
        // Revisions fully done, counted from the start of the run.
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
        if moved > 0 && moved < n || seen.partial.is_some() {
            tally.partial_state += 1;
        }
        if let Some((_, inflight)) = &seen.partial {
            tally.interrupted_rows += 1;
            tally.inflight += usize::from(*inflight);
        }
        let partial = seen.partial.as_ref().map(|(row, _)| row);
        recover(&db.pool, &chain, partial, upgrade, &label, &run).await;
    }
    let wall = wall.elapsed();
    println!(
        "{name}: {} trials ({} upgrades, {} downgrades; whole run {up_time:.0?} up, {down_time:.0?} down), \
         {} kills mid-run (after 1..{} of {n} revisions reported done), {} before the first revision ended, \
         {} after the last, {} runs finished before the kill; {} kills left the database between start and target, \
         {} left an interrupted non-transactional revision ({} with the running statement landed); \
         lock free at most {:.0?} after a kill; wall time {wall:.1?}",
        tally.trials,
        tally.upgrades,
        tally.downgrades,
        tally.mid_run,
        n - 1,
        tally.early,
        tally.late,
        tally.finished,
        tally.partial_state,
        tally.interrupted_rows,
        tally.inflight,
        tally.max_lock_release,
    );
    assert!(
        tally.mid_run * 3 >= tally.trials,
        "{name}: too few kills landed mid-run ({} of {}); the timing calibration is off",
        tally.mid_run,
        tally.trials
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_postgres_single() {
    kill_at_random_points(Db::pg().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_postgres_per_revision() {
    kill_at_random_points(Db::pg().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_sqlite_single() {
    kill_at_random_points(Db::sqlite().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_sqlite_per_revision() {
    kill_at_random_points(Db::sqlite().await, true).await;
}
