//! Many processes of a real binary run `upgrade heads` at once against one
//! database: each revision is applied exactly once, every process exits 0,
//! and the history table matches the schema the catalog shows.

use std::collections::{BTreeMap, BTreeSet};
use std::time::Instant;

use crate::support::{Db, Dir, spawn};

pub(crate) const REVISIONS: usize = 120;
const PROCESSES: usize = 32;

/// A chain `c001 … c120`: each revision creates table `cNNN` with an index
/// `cNNN_v`, and adds its id to `ledger` (whose primary key would refuse a
/// second application). With `outside`, every 30th revision (c015, c045, …)
/// runs outside a transaction, statement by statement, so the winner's run
/// spans several transactions while the others wait; without it the winner
/// sends the whole chain as one script in one transaction, whose commit
/// also releases the lock.
pub(crate) fn chain(outside: bool) -> Dir {
    let mut dir = Dir::new();
    for i in 1..=REVISIONS {
        let id = format!("c{i:03}");
        let parent = (i > 1).then(|| format!("c{:03}", i - 1));
        let ledger = if i == 1 {
            "CREATE TABLE ledger (revision TEXT PRIMARY KEY);\n"
        } else {
            ""
        };
        let up = format!(
            "{ledger}CREATE TABLE {id} (id INTEGER PRIMARY KEY, v TEXT);\n\
             CREATE INDEX {id}_v ON {id} (v);\n\
             INSERT INTO ledger (revision) VALUES ('{id}');"
        );
        let down = if i == 1 {
            format!("DROP TABLE {id};\nDROP TABLE ledger;")
        } else {
            format!("DELETE FROM ledger WHERE revision = '{id}';\nDROP TABLE {id};")
        };
        let extra = if outside && i % 30 == 15 {
            "-- transactional: false\n"
        } else {
            ""
        };
        dir.write(&id, parent.as_deref(), extra, &up, Some(&down));
    }
    dir
}

async fn processes_apply_each_revision_once(db: Db, outside: bool) {
    let dir = chain(outside);
    let started = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| spawn(&db.url, dir.path(), &["--lock-timeout-ms", "120000"]))
        .collect();
    let finished: Vec<_> =
        tokio::task::block_in_place(|| children.into_iter().map(|c| c.wait()).collect());
    let wall = started.elapsed();

    let mut counts = Vec::new();
    for (k, f) in finished.iter().enumerate() {
        assert!(
            f.status.success(),
            "migrator process {k} of {PROCESSES} failed on {}:\n{}",
            db.name(),
            f.describe()
        );
        counts.push(f.count().expect("count of applied revisions"));
    }
    assert_eq!(
        counts.iter().sum::<usize>(),
        REVISIONS,
        "revisions run across all processes: {counts:?}"
    );
    let workers = counts.iter().filter(|&&c| c > 0).count();

    // The history: one applied row per revision, in chain order.
    let history = db.pool.history().await;
    let ids: Vec<&str> = history.iter().map(|r| r.revision.as_str()).collect();
    let expected: Vec<String> = (1..=REVISIONS).map(|i| format!("c{i:03}")).collect();
    assert_eq!(ids, expected, "history rows in seq order");
    assert!(history.iter().all(|r| r.state == "applied"), "{history:?}");
    let seqs: BTreeSet<i64> = history.iter().map(|r| r.seq).collect();
    assert_eq!(seqs.len(), REVISIONS, "seq values are distinct");

    // The schema, from the catalog, equals what the history says.
    let mut tables: BTreeSet<String> = expected.iter().cloned().collect();
    tables.insert("ledger".into());
    tables.insert("migrate_history".into());
    assert_eq!(db.pool.tables().await, tables);
    let indexes: BTreeMap<String, bool> = expected
        .iter()
        .map(|id| (format!("{id}_v"), true))
        .collect();
    assert_eq!(db.pool.indexes().await, indexes);
    assert_eq!(
        db.pool.i64("SELECT count(*) FROM ledger").await,
        REVISIONS as i64
    );
    assert_eq!(
        db.pool
            .i64("SELECT count(DISTINCT revision) FROM ledger")
            .await,
        REVISIONS as i64
    );
    assert!(db.pool.advisory_lock_holders().await.is_empty());

    let mut ran: Vec<usize> = counts.iter().copied().filter(|&c| c > 0).collect();
    ran.sort_unstable();
    println!(
        "concurrent {}{}: {PROCESSES} processes, {REVISIONS} revisions, each applied once, every \
         process exited 0; {workers} process(es) ran revisions ({ran:?}), {} found nothing to do; \
         wall time {wall:.2?}",
        db.name(),
        if outside {
            " (4 revisions outside a transaction)"
        } else {
            " (one script)"
        },
        PROCESSES - workers
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_processes_upgrade_one_postgres_database() {
    processes_apply_each_revision_once(Db::pg().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_processes_upgrade_one_sqlite_file() {
    processes_apply_each_revision_once(Db::sqlite().await, true).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_processes_upgrade_one_postgres_database_in_one_script() {
    processes_apply_each_revision_once(Db::pg().await, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_processes_upgrade_one_sqlite_file_in_one_script() {
    processes_apply_each_revision_once(Db::sqlite().await, false).await;
}
