//! Revisions written in Rust in a chain with SQL ones, on both databases:
//! upgrade and downgrade through them, a failure or a panic in the Rust
//! step leaving the database at the revision before it with a true
//! history, concurrent migrators, and the directory loaded at run time
//! (as the `migrate` CLI does) refusing to run them.

use migrate_runtime::{Database, Error, Migrator};

static MIGRATOR: Migrator = migrate_runtime::embed_migrations!("rust_revisions/migrations");

const USERS: &str = "a1c3e5";
const RUST: &str = "b2d4f6";
const HEAD: &str = "c3e5a7";

macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let db = migrate_tests::fresh_pg_db().await;
                let pool = db.pool().await;
                super::$body(&pool).await;
                pool.close().await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let db = migrate_tests::fresh_sqlite_db();
                let pool = db.pool().await;
                super::$body(&pool).await;
                pool.close().await;
            }
        }
    };
}

/// What a test needs of a pool beyond the migrator's own use.
trait Pool: Database + Send + Sync {
    fn run(&self, sql: &str) -> impl std::future::Future<Output = ()> + Send;
    fn emails(&self) -> impl std::future::Future<Output = Vec<String>> + Send;
    fn has_table(&self, name: &str) -> impl std::future::Future<Output = bool> + Send;
}

/// The same queries on either pool; only the table lookup differs.
macro_rules! pool {
    ($pool:ty, $has_table:literal) => {
        impl Pool for $pool {
            async fn run(&self, sql: &str) {
                sqlx::raw_sql(sql).execute(self).await.unwrap();
            }
            async fn emails(&self) -> Vec<String> {
                sqlx::query_scalar("SELECT email FROM users ORDER BY id")
                    .fetch_all(self)
                    .await
                    .unwrap()
            }
            async fn has_table(&self, name: &str) -> bool {
                sqlx::query_scalar::<_, i64>($has_table)
                    .bind(name)
                    .fetch_one(self)
                    .await
                    .unwrap()
                    == 1
            }
        }
    };
}
pool!(
    sqlx::PgPool,
    "SELECT count(*) FROM information_schema.tables WHERE table_name = $1"
);
pool!(
    sqlx::SqlitePool,
    "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1"
);

async fn current<P: Pool>(pool: &P) -> Vec<String> {
    current_of(&MIGRATOR, pool).await
}

async fn current_of<P: Pool>(migrator: &Migrator, pool: &P) -> Vec<String> {
    migrator
        .current(pool)
        .await
        .unwrap()
        .into_iter()
        .map(str::to_owned)
        .collect()
}

/// SQL, Rust, SQL: the Rust step runs in the chain, in both directions.
async fn mixed_chain_up_and_down<P: Pool>(pool: &P) {
    MIGRATOR.upgrade(pool, USERS).await.unwrap();
    pool.run(
        "INSERT INTO users (id, email) VALUES (1, 'Ada@Example.COM'), (2, 'ÉMILE@example.org')",
    )
    .await;
    let report = MIGRATOR.upgrade(pool, "head").await.unwrap();
    assert_eq!(report.revisions, [RUST, HEAD]);
    assert_eq!(
        pool.emails().await,
        ["ada@example.com", "émile@example.org"]
    );
    assert!(pool.has_table("normalised").await);
    assert_eq!(current(pool).await, [HEAD]);
    let history = MIGRATOR.history(pool).await.unwrap();
    assert_eq!(history.len(), 3);
    assert!(history.iter().all(|r| r.state == "applied"));
    // Down through the Rust revision, then up again.
    let report = MIGRATOR.downgrade(pool, USERS).await.unwrap();
    assert_eq!(report.revisions, [HEAD, RUST]);
    assert!(!pool.has_table("normalised").await);
    assert_eq!(current(pool).await, [USERS]);
    MIGRATOR.upgrade(pool, "head").await.unwrap();
    assert_eq!(current(pool).await, [HEAD]);
    MIGRATOR.downgrade(pool, "base").await.unwrap();
    assert!(!pool.has_table("users").await);
}
both!(mixed_chain, mixed_chain_up_and_down);

/// An `Err` from the Rust step, then a panic in it: each time the
/// database stays at the revision before it (its first update undone),
/// the history says so, and the run after the fix completes.
async fn a_failure_or_a_panic_leaves_the_revision_before<P: Pool>(pool: &P) {
    MIGRATOR.upgrade(pool, USERS).await.unwrap();
    for (marker, said) in [
        ("FAIL", "asks this revision to fail"),
        ("PANIC", "it panicked: row 2 asks this revision to panic"),
    ] {
        pool.run("DELETE FROM users").await;
        pool.run(&format!(
            "INSERT INTO users (id, email) VALUES (1, 'Kept@Example.com'), (2, '{marker}')"
        ))
        .await;
        let error = MIGRATOR.upgrade(pool, "head").await.unwrap_err();
        assert!(
            matches!(&error, Error::RustRevisionFailed { revision, section: "upgrade", .. } if revision == RUST),
            "{error}"
        );
        let text = error.to_string();
        assert!(text.contains(said), "{text}");
        assert!(text.contains("normalise_emails.rs"), "{text}");
        // Nothing of the Rust step stayed: the first row keeps its case.
        assert_eq!(pool.emails().await, ["Kept@Example.com", marker]);
        assert!(!pool.has_table("normalised").await);
        assert_eq!(current(pool).await, [USERS]);
        let history = MIGRATOR.history(pool).await.unwrap();
        assert_eq!(history.len(), 1, "{history:?}");
    }
    pool.run("DELETE FROM users WHERE id = 2").await;
    MIGRATOR.upgrade(pool, "head").await.unwrap();
    assert_eq!(pool.emails().await, ["kept@example.com"]);
    assert_eq!(current(pool).await, [HEAD]);
}
both!(failures, a_failure_or_a_panic_leaves_the_revision_before);

/// Eight migrators at once: the Rust step runs once.
async fn concurrent_migrators_run_it_once<P: Pool + Clone + 'static>(pool: &P) {
    MIGRATOR.upgrade(pool, USERS).await.unwrap();
    pool.run("INSERT INTO users (id, email) VALUES (1, 'One@Example.com')")
        .await;
    let mut runs = tokio::task::JoinSet::new();
    for _ in 0..8 {
        let pool = pool.clone();
        runs.spawn(async move { MIGRATOR.upgrade(&pool, "head").await.map(|r| r.revisions) });
    }
    let mut applied = Vec::new();
    while let Some(done) = runs.join_next().await {
        applied.extend(done.unwrap().unwrap());
    }
    applied.sort();
    assert_eq!(applied, [RUST, HEAD]);
    assert_eq!(pool.emails().await, ["one@example.com"]);
}
both!(concurrent, concurrent_migrators_run_it_once);

/// The directory read at run time (the `migrate` CLI's way) knows the Rust
/// revision, plans and stamps it, and refuses to run it before anything
/// runs, naming the application's subcommand.
async fn loaded_at_run_time_it_refuses_to_run_rust<P: Pool>(pool: &P) {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("rust_revisions/migrations");
    let loaded =
        Migrator::from_directory(&dir, "migrations", &migrate_core::Config::default()).unwrap();
    let rust = loaded.revisions().iter().find(|r| r.id() == RUST).unwrap();
    assert!(rust.is_rust());
    let error = loaded.upgrade(pool, "head").await.unwrap_err();
    assert!(
        matches!(&error, Error::RustNotBuiltIn { revision, .. } if revision == RUST),
        "{error}"
    );
    assert!(
        error.to_string().contains("migrate_cli::run_embedded"),
        "{error}"
    );
    // Nothing ran, not even the SQL revision before it.
    assert!(!pool.has_table("users").await);
    // Up to the revision before it works; stamping past it too.
    loaded.upgrade(pool, USERS).await.unwrap();
    loaded.stamp(pool, &[RUST], false).await.unwrap();
    assert_eq!(current(pool).await, [RUST]);
    // The embedded migrator agrees with what the loaded one recorded.
    assert_eq!(MIGRATOR.pending(pool).await.unwrap(), [HEAD]);
}
both!(loaded, loaded_at_run_time_it_refuses_to_run_rust);

#[test]
fn the_embedded_table_knows_which_revisions_are_rust() {
    let kinds: Vec<(String, bool)> = MIGRATOR
        .revisions()
        .iter()
        .map(|r| (r.id().to_owned(), r.is_rust()))
        .collect();
    assert_eq!(
        kinds,
        [
            (USERS.to_owned(), false),
            (RUST.to_owned(), true),
            (HEAD.to_owned(), false)
        ]
    );
}

static OUTSIDE: Migrator = migrate_runtime::embed_migrations!("rust_revisions/outside");

/// `transactional: false`: the function gets the connection outside any
/// transaction, where `CREATE INDEX CONCURRENTLY` and `VACUUM` run; the
/// history records it as applied, and its downgrade runs the same way.
async fn a_non_transactional_rust_revision_runs_outside_a_transaction<P: Pool>(pool: &P) {
    let report = OUTSIDE.upgrade(pool, "head").await.unwrap();
    assert_eq!(report.revisions, ["d4f6b8", "e5a7c9"]);
    let history = OUTSIDE.history(pool).await.unwrap();
    assert_eq!(
        history
            .iter()
            .map(|r| (r.revision.as_str(), r.state.as_str()))
            .collect::<Vec<_>>(),
        [("d4f6b8", "applied"), ("e5a7c9", "applied")]
    );
    OUTSIDE.downgrade(pool, "base").await.unwrap();
    assert!(!pool.has_table("items").await);
}
both!(
    outside,
    a_non_transactional_rust_revision_runs_outside_a_transaction
);

static BRANCHES: Migrator = migrate_runtime::embed_migrations!("rust_revisions/branches");

/// A Rust revision on a branch of its own, merged with an SQL branch:
/// upgrading to it takes only its branch, `heads` the rest, and a
/// downgrade to the root goes back through the merge and the Rust
/// revision.
async fn a_rust_revision_on_a_branch_and_through_a_merge<P: Pool>(pool: &P) {
    let report = BRANCHES.upgrade(pool, "f2b3c4").await.unwrap();
    assert_eq!(report.revisions, ["f1a2b3", "f2b3c4"]);
    assert!(!pool.has_table("note_tags").await);
    let report = BRANCHES.upgrade(pool, "heads").await.unwrap();
    assert_eq!(report.revisions, ["f3c4d5", "f4d5e6"]);
    assert_eq!(current_of(&BRANCHES, pool).await, ["f4d5e6"]);
    let report = BRANCHES.downgrade(pool, "f1a2b3").await.unwrap();
    let mut reverted = report.revisions.clone();
    reverted.sort();
    assert_eq!(reverted, ["f2b3c4", "f3c4d5", "f4d5e6"]);
    assert_eq!(current_of(&BRANCHES, pool).await, ["f1a2b3"]);
}
both!(branches, a_rust_revision_on_a_branch_and_through_a_merge);
