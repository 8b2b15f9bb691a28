//! Squashed ranges on both databases: a checkpoint (`replaces:`) that a new
//! database applies, while a database anywhere inside the range goes on
//! along the replaced revisions and ends up recorded at the checkpoint,
//! with the same schema and its rows; a downgrade from inside the range
//! refused; and a build whose replaced files were pruned.
//!
//! `before/` is the chain as it was; `after/` the same directory after
//! `migrate squash 5a0002:5a0004` (the checkpoint written as the command
//! renders it, the tags revision pointed at it); `pruned/` after `migrate
//! squash --prune`.

use migrate_runtime::{Database, Error, Migrator};

static BEFORE: Migrator = migrate_runtime::embed_migrations!("squash/before");
static AFTER: Migrator = migrate_runtime::embed_migrations!("squash/after");
static PRUNED: Migrator = migrate_runtime::embed_migrations!("squash/pruned");

const CHAIN: [&str; 5] = ["5a0001", "5a0002", "5a0003", "5a0004", "5a0005"];
const CHECKPOINT: &str = "5c0001";
/// The history every database ends with, in `seq` order.
const RECORDED: [&str; 3] = ["5a0001", CHECKPOINT, "5a0005"];

macro_rules! both {
    ($name:ident, $body:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$body(|| async {
                    let db = migrate_tests::fresh_pg_db().await;
                    let pool = db.pool().await;
                    (db, pool)
                })
                .await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$body(|| async {
                    let db = migrate_tests::fresh_sqlite_db();
                    let pool = db.pool().await;
                    (db, pool)
                })
                .await;
            }
        }
    };
}

/// What a test reads of a database besides the migrator's own answers.
trait Pool: Database + Send + Sync {
    /// The history's revisions in `seq` order.
    fn recorded(&self) -> impl std::future::Future<Output = Vec<String>> + Send;
    /// Every user table's columns (name, type, nullability) and every
    /// index name, sorted.
    fn shape(&self) -> impl std::future::Future<Output = Vec<String>> + Send;
    /// The users' names.
    fn names(&self) -> impl std::future::Future<Output = Vec<String>> + Send;
}

impl Pool for sqlx::PgPool {
    async fn recorded(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT revision FROM migrate_history ORDER BY seq")
            .fetch_all(self)
            .await
            .unwrap_or_default()
    }

    async fn shape(&self) -> Vec<String> {
        let mut out: Vec<String> = sqlx::query_scalar(
            "SELECT table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable \
             FROM information_schema.columns WHERE table_schema = 'public' \
             AND table_name <> 'migrate_history'",
        )
        .fetch_all(self)
        .await
        .unwrap();
        out.extend(
            sqlx::query_scalar::<_, String>(
                "SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = 'public' \
                 AND tablename <> 'migrate_history'",
            )
            .fetch_all(self)
            .await
            .unwrap(),
        );
        out.sort();
        out
    }

    async fn names(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM users ORDER BY id")
            .fetch_all(self)
            .await
            .unwrap()
    }
}

impl Pool for sqlx::SqlitePool {
    async fn recorded(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT revision FROM migrate_history ORDER BY seq")
            .fetch_all(self)
            .await
            .unwrap_or_default()
    }

    async fn shape(&self) -> Vec<String> {
        let mut out: Vec<String> = sqlx::query_scalar(
            "SELECT m.name || '.' || p.name || ' ' || p.type || ' ' || p.\"notnull\" \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND m.name <> 'migrate_history'",
        )
        .fetch_all(self)
        .await
        .unwrap();
        out.extend(
            sqlx::query_scalar::<_, String>(
                "SELECT 'index ' || name FROM sqlite_master WHERE type = 'index' \
                 AND tbl_name <> 'migrate_history'",
            )
            .fetch_all(self)
            .await
            .unwrap(),
        );
        out.sort();
        out
    }

    async fn names(&self) -> Vec<String> {
        sqlx::query_scalar("SELECT name FROM users ORDER BY id")
            .fetch_all(self)
            .await
            .unwrap()
    }
}

/// A database at point `k` of the old chain (its first `k` revisions).
async fn at_point<P: Pool>(pool: &P, k: usize) {
    if k > 0 {
        BEFORE.upgrade(pool, CHAIN[k - 1]).await.unwrap();
    }
    assert_eq!(pool.recorded().await, CHAIN[..k].to_vec());
}

/// The directory after the squash, as the `migrate` CLI reads it at run
/// time (the other shape of a migrator's table).
fn loaded() -> Migrator {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("squash/after");
    Migrator::from_directory(&dir, "squash/after", &migrate_core::Config::default()).unwrap()
}

/// From every point of the old chain (before it, inside the range, past
/// it), an upgrade to head with the squashed build: the database runs what
/// it lacks (the checkpoint when it applied none of the range, the rest of
/// the range when it applied part), then the history records the
/// checkpoint in the range's place, and the schema and rows are the same
/// as a new database's. Both shapes of the table, embedded and loaded.
async fn every_point<P: Pool, D, F>(new_db: impl Fn() -> F)
where
    F: std::future::Future<Output = (D, P)>,
{
    let loaded = loaded();
    for (shape, migrator) in [("embedded", &AFTER), ("loaded", &loaded)] {
        let (_fresh_db, fresh) = new_db().await;
        migrator.upgrade(&fresh, "head").await.unwrap();
        let expected_shape = fresh.shape().await;
        assert!(
            expected_shape.iter().any(|s| s == "index posts_user"),
            "{expected_shape:?}"
        );
        for k in 0..=CHAIN.len() {
            let (_db, pool) = new_db().await;
            at_point(&pool, k).await;
            let ran = match k {
                0 => vec!["5a0001", CHECKPOINT, "5a0005"],
                1 => vec![CHECKPOINT, "5a0005"],
                2 => vec!["5a0003", "5a0004", "5a0005"],
                3 => vec!["5a0004", "5a0005"],
                4 => vec!["5a0005"],
                _ => vec![],
            };
            // Where the database stands before: inside the range, at the
            // revision before the checkpoint; with the whole range, at the
            // checkpoint; past it, at head.
            let current = migrator.current(&pool).await.unwrap();
            let expected_current: &[&str] = match k {
                0 => &[],
                1..=3 => &["5a0001"],
                4 => &[CHECKPOINT],
                _ => &["5a0005"],
            };
            assert_eq!(current, expected_current, "{shape}, point {k}");
            let report = migrator.upgrade(&pool, "head").await.unwrap();
            assert_eq!(report.revisions, ran, "{shape}, point {k}");
            assert_eq!(report.current, ["5a0005"], "{shape}, point {k}");
            assert_eq!(pool.recorded().await, RECORDED, "{shape}, point {k}");
            assert_eq!(pool.shape().await, expected_shape, "{shape}, point {k}");
            assert_eq!(pool.names().await, ["ada", "grace"], "{shape}, point {k}");
            let verified = migrator.verify(&pool).await.unwrap();
            assert!(
                verified.is_clean(),
                "{shape}, point {k}: {:?}",
                verified.problems()
            );
            // A second run has nothing to do.
            let again = migrator.upgrade(&pool, "head").await.unwrap();
            assert!(again.revisions.is_empty(), "{shape}, point {k}");
            // Reverted through the checkpoint, whatever the way in was.
            if k == 2 || k == 5 {
                let down = migrator.downgrade(&pool, "base").await.unwrap();
                assert_eq!(down.revisions, ["5a0005", CHECKPOINT, "5a0001"]);
                assert!(pool.recorded().await.is_empty());
                assert!(pool.shape().await.is_empty(), "{:?}", pool.shape().await);
            }
        }
    }
}

both!(every_point_of_the_range_upgrades_to_head, every_point);

/// A downgrade of a database inside the range is refused before anything
/// changes: no revision of the build reverts part of a range.
async fn downgrade_inside<P: Pool, D, F>(new_db: impl Fn() -> F)
where
    F: std::future::Future<Output = (D, P)>,
{
    let (_db, pool) = new_db().await;
    at_point(&pool, 3).await;
    let shape = pool.shape().await;
    for target in ["-1", "base", "5a0001"] {
        match AFTER.downgrade(&pool, target).await {
            Err(e @ Error::InsideCheckpointRange { .. }) => {
                let text = e.to_string();
                assert!(
                    text.contains("applied 5a0002, 5a0003 but not 5a0004"),
                    "{text}"
                );
                assert!(text.contains("migrate upgrade 5c0001"), "{text}");
                assert!(text.contains("--from-history"), "{text}");
            }
            other => panic!("downgrade {target} from inside the range: {other:?}"),
        }
        assert_eq!(pool.recorded().await, CHAIN[..3].to_vec());
        assert_eq!(pool.shape().await, shape);
    }
    // Upgrading only to the revision before the checkpoint leaves it there.
    let report = AFTER.upgrade(&pool, "5a0001").await.unwrap();
    assert!(report.revisions.is_empty());
    assert_eq!(pool.recorded().await, CHAIN[..3].to_vec());
    // To the checkpoint: the rest of the range, recorded at the checkpoint.
    let report = AFTER.upgrade(&pool, CHECKPOINT).await.unwrap();
    assert_eq!(report.revisions, ["5a0004"]);
    assert_eq!(pool.recorded().await, ["5a0001", CHECKPOINT]);
    let report = AFTER.downgrade(&pool, "-1").await.unwrap();
    assert_eq!(report.revisions, [CHECKPOINT]);
    assert_eq!(pool.recorded().await, ["5a0001"]);
}

both!(
    a_downgrade_from_inside_the_range_is_refused,
    downgrade_inside
);

/// With the replaced files pruned, a database inside the range is refused
/// (naming the checkpoint and what it lacks) and left as it was; one past
/// the range or before it upgrades.
async fn pruned<P: Pool, D, F>(new_db: impl Fn() -> F)
where
    F: std::future::Future<Output = (D, P)>,
{
    assert_eq!(PRUNED.replaced_revisions().map(|r| r.len()), Some(0));
    let (_inside_db, inside) = new_db().await;
    at_point(&inside, 2).await;
    match PRUNED.upgrade(&inside, "head").await {
        Err(e @ Error::ReplacedRevisionsPruned { .. }) => {
            let text = e.to_string();
            assert!(text.contains("checkpoint 5c0001"), "{text}");
            assert!(text.contains("not 5a0003, 5a0004"), "{text}");
        }
        other => panic!("upgrade from inside a pruned range: {other:?}"),
    }
    assert_eq!(inside.recorded().await, CHAIN[..2].to_vec());
    for k in [0, 1, 5] {
        let (_db, pool) = new_db().await;
        at_point(&pool, k).await;
        PRUNED.upgrade(&pool, "head").await.unwrap();
        assert_eq!(pool.recorded().await, RECORDED, "point {k}");
        assert_eq!(pool.names().await, ["ada", "grace"]);
    }
}

both!(a_pruned_build_refuses_a_database_inside_the_range, pruned);
