//! Several processes of a real binary migrating one database at once.

use std::process::Command;

use crate::common::{Dir, Pg, Sqlite, TestDb};

fn run_processes(url: &str, dir: &Dir, n: usize) -> usize {
    let exe = env!("CARGO_BIN_EXE_migrate-test-upgrade");
    let children: Vec<_> = (0..n)
        .map(|_| {
            Command::new(exe)
                .arg(url)
                .arg(dir.path())
                .stdout(std::process::Stdio::piped())
                .stderr(std::process::Stdio::piped())
                .spawn()
                .expect("spawn migrator process")
        })
        .collect();
    let mut applied = 0;
    for child in children {
        let out = child.wait_with_output().unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "a migrator failed: {}{}",
            stdout,
            String::from_utf8_lossy(&out.stderr)
        );
        applied += stdout
            .trim()
            .parse::<usize>()
            .expect("count of applied revisions");
    }
    applied
}

async fn processes_apply_each_revision_once(db: &impl TestDb) {
    let dir = Dir::chain(40);
    let applied = tokio::task::block_in_place(|| run_processes(db.url(), &dir, 6));
    assert_eq!(applied, 40);
    assert_eq!(db.count("SELECT count(*) FROM migrate_history").await, 40);
    assert_eq!(db.tables().await.len(), 41);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_on_sqlite() {
    processes_apply_each_revision_once(&Sqlite::new().await).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_processes_on_postgres() {
    processes_apply_each_revision_once(&Pg::new().await).await;
}
