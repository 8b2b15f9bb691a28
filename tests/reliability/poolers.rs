//! PgBouncer between the migrators and PostgreSQL: 32 processes of the
//! migrator binary upgrade one database through it at once, in session and
//! in transaction pooling. In session pooling the advisory lock holds, as on
//! a direct connection. In transaction pooling a session lock cannot hold
//! (each transaction may run on another server connection, and a server
//! connection's lock outlives its client), so the migrator must detect it
//! and refuse with a message that names PgBouncer and the fix; whatever
//! the processes did, each revision is applied at most once and the
//! history matches the schema.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Command, Stdio};
use std::time::Instant;

use crate::concurrent::{REVISIONS, chain};
use crate::support::{Db, FAULTS_PORT_ENV, faults_port, spawn, url_port, with_port};

const PROCESSES: usize = 32;

/// A PgBouncer of one test's own, started by `scripts/pgbouncer.sh` in
/// front of the shared test server; stopped when dropped.
struct Bouncer {
    port: u16,
    env: Vec<(&'static str, String)>,
}

impl Bouncer {
    fn start(mode: &str, offset: u16, upstream: u16) -> Bouncer {
        let port = faults_port(offset);
        let bouncer = Bouncer {
            port,
            env: vec![
                ("MIGRATE_PGBOUNCER_PORT", port.to_string()),
                ("MIGRATE_PGBOUNCER_MODE", mode.to_owned()),
                ("MIGRATE_PGBOUNCER_POOL", "4".to_owned()),
                ("MIGRATE_PG_PORT", upstream.to_string()),
            ],
        };
        let out = bouncer.script("start");
        assert!(
            out.status.success(),
            "PgBouncer could not be started for the pooler tests ({}); install it with \
             `apt-get install -y pgbouncer` (.ci/run does), or choose free ports with \
             {FAULTS_PORT_ENV}:\n{}",
            out.status,
            String::from_utf8_lossy(&out.stderr)
        );
        bouncer
    }

    fn script(&self, cmd: &str) -> std::process::Output {
        Command::new("bash")
            .arg(migrate_tests::workspace_root().join("scripts/pgbouncer.sh"))
            .arg(cmd)
            .envs(self.env.iter().map(|(k, v)| (k, v)))
            .stdin(Stdio::null())
            .output()
            .expect("run scripts/pgbouncer.sh")
    }
}

impl Drop for Bouncer {
    fn drop(&mut self) {
        let _ = self.script("stop");
    }
}

/// The words every refusal through transaction pooling must hold.
const REFUSAL: [&str; 3] = ["PgBouncer", "transaction pooling", "session pooling"];

async fn thirty_two_through_pgbouncer(mode: &str, offset: u16) {
    let db = Db::pg().await;
    let bouncer = Bouncer::start(mode, offset, url_port(&db.url));
    let url = with_port(&db.url, bouncer.port);
    let dir = chain(true);
    // Through transaction pooling a refused run's lock may stay with a
    // pooled server session, and a waiter that never reaches another one
    // waits until its timeout, whose message names the pooler.
    let lock_timeout = if mode == "transaction" {
        "8000"
    } else {
        "60000"
    };
    let started = Instant::now();
    let children: Vec<_> = (0..PROCESSES)
        .map(|_| spawn(&url, dir.path(), &["--lock-timeout-ms", lock_timeout]))
        .collect();
    let finished: Vec<_> =
        tokio::task::block_in_place(|| children.into_iter().map(|c| c.wait()).collect());
    let wall = started.elapsed();

    let mut counts = Vec::new();
    let mut refused = 0;
    // Runs that met a `transactional: false` revision an earlier refused
    // run left part-way (see below) and refused to go on, as they must.
    let mut met_part_way = 0;
    let mut evidences = BTreeMap::new();
    for (k, f) in finished.iter().enumerate() {
        if f.status.success() {
            counts.push(f.count().expect("count of applied revisions"));
            continue;
        }
        if mode == "transaction" && f.stderr.contains("was partly applied by an earlier run") {
            met_part_way += 1;
            continue;
        }
        assert!(
            mode == "transaction" && REFUSAL.iter().all(|w| f.stderr.contains(w)),
            "migrator process {k} of {PROCESSES} through PgBouncer ({mode} pooling) failed \
             without the pooling refusal:\n{}",
            f.describe()
        );
        refused += 1;
        let evidence = if f.stderr.starts_with("timed out") {
            "lock timeout, the holder named as a pooled session".to_owned()
        } else if f.stderr.contains("prepared statement") {
            "prepared statements lost".to_owned()
        } else {
            f.stderr
                .split_once("cannot hold on this connection: ")
                .map_or("", |(_, rest)| rest)
                .split(" (")
                .next()
                .unwrap_or("")
                .split(" server process")
                .next()
                .unwrap_or("")
                .to_owned()
        };
        if !evidences.contains_key(&evidence) {
            println!("PgBouncer {mode} pooling, a refusal: {}", f.stderr.trim());
        }
        *evidences.entry(evidence).or_insert(0usize) += 1;
    }
    let through: usize = counts.iter().sum();

    // The pooler's server sessions may keep a refused run's lock (the
    // refusal says so); stopping PgBouncer ends them, as its advice says.
    drop(bouncer);
    db.pool
        .wait_lock_free(std::time::Duration::from_secs(20))
        .await;

    // Whatever ran through the pooler ran once: the history is a prefix of
    // the chain, and the ledger (whose primary key refuses a second
    // application) holds exactly the revisions the history has.
    let mut history = db.pool.history().await;
    let expected: Vec<String> = (1..=REVISIONS).map(|i| format!("c{i:03}")).collect();
    let ids: Vec<&str> = history.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(
        ids,
        expected[..ids.len()]
            .iter()
            .map(String::as_str)
            .collect::<Vec<_>>(),
        "history rows in seq order"
    );
    // A run refused part-way, after a `transactional: false` revision's
    // statements (which run outside any transaction, so no check stops
    // them), leaves that revision recorded as `running` with the
    // statements done, as a crash there would; the operator finishes it
    // by hand and stamps it.
    let interrupted = history.last().filter(|r| r.state == "running").cloned();
    assert!(
        met_part_way == 0 || interrupted.is_some(),
        "{met_part_way} runs refused a part-way revision, but the history holds none"
    );
    if let Some(row) = &interrupted {
        history.pop();
        let id = &row.revision;
        let statements = [
            format!("CREATE TABLE {id} (id INTEGER PRIMARY KEY, v TEXT)"),
            format!("CREATE INDEX {id}_v ON {id} (v)"),
            format!("INSERT INTO ledger (revision) VALUES ('{id}')"),
        ];
        // The catalog says how far it got: the recorded count, or one more
        // when the run stopped between a statement and its record.
        let recorded = row.statements_done as usize;
        let tables = db.pool.tables().await;
        let indexes = db.pool.indexes().await;
        let ledger = db
            .pool
            .i64(&format!(
                "SELECT count(*) FROM ledger WHERE revision = '{id}'"
            ))
            .await;
        let done = [
            tables.contains(id),
            indexes.contains_key(&format!("{id}_v")),
            ledger == 1,
        ]
        .iter()
        .take_while(|&&b| b)
        .count();
        assert!(
            done == recorded || done == recorded + 1,
            "{row:?}: {done} statements ran by the catalog"
        );
        for sql in &statements[done..] {
            db.pool.exec(sql).await.unwrap();
        }
        db.pool
            .stamp(&dir.migrator(), &[id.as_str()])
            .await
            .unwrap();
    }
    assert!(history.iter().all(|r| r.state == "applied"), "{history:?}");
    // A run refused part-way (its lock checked at each transaction) keeps
    // what it committed before, so the history may hold more than the
    // runs that exited 0 report.
    assert!(through <= history.len(), "revisions run: {counts:?}");
    if !history.is_empty() {
        assert_eq!(
            db.pool
                .i64("SELECT count(DISTINCT revision) FROM ledger")
                .await,
            (history.len() + usize::from(interrupted.is_some())) as i64
        );
    }
    let applied_through = history.len();

    // A direct connection finishes the job.
    let direct = tokio::task::block_in_place(|| spawn(&db.url, dir.path(), &[]).wait());
    assert!(direct.status.success(), "{}", direct.describe());
    let history = db.pool.history().await;
    let ids: Vec<&str> = history.iter().map(|r| r.revision.as_str()).collect();
    assert_eq!(ids, expected);
    let seqs: BTreeSet<i64> = history.iter().map(|r| r.seq).collect();
    assert_eq!(seqs.len(), REVISIONS, "seq values are distinct");
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

    let workers = counts.iter().filter(|&&c| c > 0).count();
    println!(
        "PgBouncer {mode} pooling: {PROCESSES} processes, {REVISIONS} revisions; {} exited 0 \
         ({workers} ran revisions, {applied_through} in all), {refused} refused; each revision \
         applied once; {} interrupted non-transactional revision finished by hand ({met_part_way} \
         runs refused it as part-way); wall time {wall:.2?}; refusals by evidence: {evidences:?}",
        counts.len(),
        usize::from(interrupted.is_some()),
    );
    if mode == "session" {
        assert_eq!(applied_through, REVISIONS);
    } else {
        assert!(refused > 0, "no migrator noticed transaction pooling");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_migrators_through_pgbouncer_session_pooling() {
    thirty_two_through_pgbouncer("session", 10).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn thirty_two_migrators_through_pgbouncer_transaction_pooling() {
    thirty_two_through_pgbouncer("transaction", 11).await;
}
