//! The app restarted while a newer binary's migration runs. The newer
//! binary's migration is the example's directory plus one revision on top
//! of head that works for 3 s and then adds a column (what a newer build
//! would embed), applied through the runtime from the test process. While
//! it holds the lock, the running app is stopped and started again. The
//! restarted app must start (its start-up finds the history it knows: the
//! newer revision is not committed yet), serve every request while the
//! migration runs and after it (writes wait for the migration's locks; no
//! 5xx), and lose nothing; the migration must complete once. A later start
//! of the old binary then refuses the database, which is ahead of it.

use std::time::{Duration, Instant};

use migrate_runtime::Migrator;
use serde_json::json;

use crate::app::App;
use crate::http::Client;

const NEWER: &str = "feedc0ffee01";

/// The example's migration directory with one newer revision.
fn newer_directory(sleep: &str) -> (tempfile::TempDir, Migrator) {
    let root = migrate_tests::workspace_root();
    let dir = tempfile::Builder::new()
        .prefix("example-newer-")
        .tempdir()
        .unwrap();
    for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
        let path = entry.unwrap().path();
        std::fs::copy(&path, dir.path().join(path.file_name().unwrap())).unwrap();
    }
    std::fs::write(
        dir.path()
            .join(format!("2026_12_07_0900-{NEWER}_add_product_note.sql")),
        format!(
            "-- revision: {NEWER}\n-- down_revision: {}\n-- message: add product note\n\n\
             -- migrate:upgrade\n{sleep}\nALTER TABLE products ADD COLUMN note TEXT;\n\n\
             -- migrate:downgrade\nALTER TABLE products DROP COLUMN note;\n",
            crate::HEAD
        ),
    )
    .unwrap();
    let config = migrate_core::Config::load(&root)
        .expect("migrate.toml")
        .expect("migrate.toml exists");
    let migrator = Migrator::from_directory(dir.path(), "migrations", &config)
        .unwrap_or_else(|e| panic!("the newer directory is invalid:\n{e}"));
    (dir, migrator)
}

/// Creates a product; its id when answered 201, panicking otherwise.
fn create(client: &Client, name: &str) -> String {
    let r = client.post("/products", &json!({"name": name, "price": 2}));
    let body = r.expect(201);
    body["id"].as_str().unwrap().to_owned()
}

async fn restart_during_newer_migration(backend: &str, url: &str, dir: &std::path::Path) {
    let mut app = App::new(dir).env("DATABASE_URL", url);
    let server = app.start(&["--port", "0"]);
    let mut created = vec![create(&server.client, "before")];

    let sleep = if backend == "PostgreSQL" {
        // SQLite's check does not know pg_sleep.
        "-- migrate:no-check\nSELECT pg_sleep(3);"
    } else {
        // A few seconds of work in SQLite's own loop.
        "SELECT count(*) FROM (WITH RECURSIVE s(g) AS (SELECT 1 UNION ALL SELECT g + 1 FROM s WHERE g < 12000000) SELECT g FROM s);"
    };
    let (_newer_dir, newer) = newer_directory(sleep);
    let url_owned = url.to_owned();
    let pg = backend == "PostgreSQL";
    let migration = tokio::spawn(async move {
        let started = Instant::now();
        let report = if pg {
            let pool = sqlx::PgPool::connect(&url_owned).await.unwrap();
            newer.upgrade(&pool, "heads").await
        } else {
            let pool = sqlx::SqlitePool::connect(&url_owned).await.unwrap();
            newer.upgrade(&pool, "heads").await
        };
        (report, started.elapsed())
    });
    // The migration holds the lock and is working.
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert!(
        !migration.is_finished(),
        "{backend}: the migration ended early"
    );

    let stopped = app.stop(server);
    stopped.expect_success();
    let restarted_at = Instant::now();
    let server = tokio::task::block_in_place(|| app.start(&["--port", "0"]));
    let started_in = restarted_at.elapsed();
    let during = !migration.is_finished();

    // Requests while the migration may still run, then after it.
    let mut answered = 0;
    let mut slowest = Duration::ZERO;
    let client = server.client;
    let writes = tokio::task::block_in_place(|| {
        let mut ids = Vec::new();
        // Until the migration has ended (its last statement takes the
        // table's lock), and 20 at least.
        let mut k = 0;
        while (k < 20 || !migration.is_finished()) && k < 10_000 {
            k += 1;
            let t = Instant::now();
            ids.push(create(&client, &format!("during {k}")));
            client.get("/products?limit=5").expect(200);
            slowest = slowest.max(t.elapsed());
            answered += 2;
        }
        ids
    });
    created.extend(writes);
    let (report, took) = migration.await.unwrap();
    let report = report.unwrap_or_else(|e| panic!("{backend}: the newer migration failed: {e}"));
    assert_eq!(report.revisions.len(), 1, "{backend}");
    created.push(create(&server.client, "after"));
    answered += 1;
    app.stop(server).expect_success();

    // Nothing lost, the newer revision applied once.
    let (ids, history): (Vec<String>, Vec<String>) = if pg {
        let pool = sqlx::PgPool::connect(url).await.unwrap();
        let ids = sqlx::query_scalar("SELECT id FROM products ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        let history =
            sqlx::query_scalar("SELECT revision FROM migrate_history WHERE revision = $1")
                .bind(NEWER)
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        (ids, history)
    } else {
        let pool = sqlx::SqlitePool::connect(url).await.unwrap();
        let ids = sqlx::query_scalar("SELECT id FROM products ORDER BY id")
            .fetch_all(&pool)
            .await
            .unwrap();
        let history =
            sqlx::query_scalar("SELECT revision FROM migrate_history WHERE revision = ?1")
                .bind(NEWER)
                .fetch_all(&pool)
                .await
                .unwrap();
        pool.close().await;
        (ids, history)
    };
    created.sort();
    assert_eq!(ids, created, "{backend}: products lost or duplicated");
    assert_eq!(history, [NEWER], "{backend}");

    // The old binary now refuses the database, which is ahead of it.
    let refused = app.run(&["--port", "0"]);
    assert!(!refused.status.success(), "{refused:?}");
    assert!(refused.stderr.contains(NEWER), "{}", refused.stderr);
    assert!(
        refused.stderr.contains("ahead of this binary"),
        "{}",
        refused.stderr
    );
    println!(
        "restart during a newer migration, {backend}: the migration took {took:.1?}; the app \
         restarted in {started_in:.1?} {}; {answered} requests answered 2xx (slowest create + \
         list {slowest:.0?}), {} products stored = acknowledged; the newer revision applied once; \
         the old binary's next start refused the database as ahead of it",
        if during {
            "while the migration still ran"
        } else {
            "(the migration had ended)"
        },
        ids.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_restarted_during_a_newer_migration_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    let dir = crate::tempdir();
    restart_during_newer_migration("PostgreSQL", &db.url, dir.path()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_restarted_during_a_newer_migration_on_sqlite() {
    let db = migrate_tests::fresh_sqlite_db();
    restart_during_newer_migration("SQLite", &db.url, db.dir.path()).await;
}
