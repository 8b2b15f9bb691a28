//! A bounded load on loopback: `MIGRATE_LOAD_CLIENTS` clients (64 unless
//! set) send mixed reads and writes to the real binary for
//! `MIGRATE_LOAD_SECS` seconds (3 unless set; the figures in
//! docs/reliability.md come from 30), one request per connection. Every
//! answer must be a 2xx; afterwards the database must hold exactly the
//! products whose creation was answered 201, once each, each with the
//! quantity of its last acknowledged update. Latency percentiles are
//! printed (`--nocapture`).

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::json;

use crate::app::App;
use crate::http::Client;

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(default)
}

/// What one client did.
#[derive(Default)]
struct Work {
    latencies: Vec<Duration>,
    /// (id, name, last acknowledged quantity) of the products it created.
    created: Vec<(String, String, i64)>,
    reads: usize,
    updates: usize,
    /// Answers that were not 2xx: (status, method and path, body).
    failures: Vec<(u16, String, String)>,
}

fn client_loop(client: Client, k: usize, until: Instant) -> Work {
    let mut work = Work::default();
    let mut n = 0u64;
    while Instant::now() < until {
        n += 1;
        // 2 creates, 1 update, 7 reads in every 10 requests.
        let (label, response) = match n % 10 {
            0 | 5 => {
                let name = format!("load {k} {n}");
                let started = Instant::now();
                let r = client.post("/products", &json!({"name": name, "price": 1.5}));
                work.latencies.push(started.elapsed());
                if r.status == 201 {
                    let id = r.json()["id"].as_str().unwrap().to_owned();
                    work.created.push((id, name, 0));
                }
                ("POST /products".to_owned(), r)
            }
            3 if !work.created.is_empty() => {
                let quantity = n as i64;
                let target = work.created.len() - 1;
                let path = format!("/products/{}", work.created[target].0);
                let started = Instant::now();
                let r = client.patch(&path, &json!({"quantity": quantity}));
                work.latencies.push(started.elapsed());
                if r.status == 200 {
                    work.created[target].2 = quantity;
                    work.updates += 1;
                }
                (format!("PATCH {path}"), r)
            }
            m if m % 2 == 1 && !work.created.is_empty() => {
                let path = format!(
                    "/products/{}",
                    work.created[(n as usize) % work.created.len()].0
                );
                let started = Instant::now();
                let r = client.get(&path);
                work.latencies.push(started.elapsed());
                work.reads += 1;
                (format!("GET {path}"), r)
            }
            _ => {
                let started = Instant::now();
                let r = client.get("/products?limit=20");
                work.latencies.push(started.elapsed());
                work.reads += 1;
                ("GET /products?limit=20".to_owned(), r)
            }
        };
        if !(200..300).contains(&response.status) {
            work.failures.push((response.status, label, response.body));
        }
    }
    work
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Runs the load against a started server; returns the products created
/// as (id, name, quantity).
fn run_load(client: Client, backend: &str) -> Vec<(String, String, i64)> {
    let clients = setting("MIGRATE_LOAD_CLIENTS", 64) as usize;
    let secs = setting("MIGRATE_LOAD_SECS", 3);
    let until = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let results = Arc::new(Mutex::new(Vec::new()));
    let handles: Vec<_> = (0..clients)
        .map(|k| {
            let results = results.clone();
            std::thread::spawn(move || {
                let work = client_loop(client, k, until);
                results.lock().unwrap().push(work);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("a load client panicked");
    }
    let wall = started.elapsed();
    let works = std::mem::take(&mut *results.lock().unwrap());
    let mut latencies: Vec<Duration> = works.iter().flat_map(|w| w.latencies.clone()).collect();
    latencies.sort_unstable();
    let failures: Vec<&(u16, String, String)> = works.iter().flat_map(|w| &w.failures).collect();
    let created: Vec<(String, String, i64)> =
        works.iter().flat_map(|w| w.created.clone()).collect();
    let reads: usize = works.iter().map(|w| w.reads).sum();
    let updates: usize = works.iter().map(|w| w.updates).sum();
    println!(
        "load {backend}: {clients} clients for {secs} s (wall {wall:.1?}): {} requests \
         ({:.0}/s): {} creates, {updates} updates, {reads} reads; {} answers not 2xx; latency \
         p50 {:.1?}, p90 {:.1?}, p99 {:.1?}, max {:.1?}",
        latencies.len(),
        latencies.len() as f64 / wall.as_secs_f64(),
        created.len(),
        failures.len(),
        percentile(&latencies, 0.5),
        percentile(&latencies, 0.9),
        percentile(&latencies, 0.99),
        latencies.last().unwrap(),
    );
    assert!(
        failures.is_empty(),
        "{backend}: {} answers were not 2xx, the first: {:?}",
        failures.len(),
        failures.first()
    );
    assert!(!created.is_empty() && updates > 0 && reads > 0);
    created
}

/// The products in the database: (id, name, quantity), by id.
async fn stored_sqlite(url: &str) -> Vec<(String, String, i64)> {
    let pool = sqlx::SqlitePool::connect(url).await.unwrap();
    let rows = sqlx::query_as("SELECT id, name, quantity FROM products ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

async fn stored_pg(url: &str) -> Vec<(String, String, i64)> {
    let pool = sqlx::PgPool::connect(url).await.unwrap();
    let rows = sqlx::query_as("SELECT id::text, name, quantity::bigint FROM products ORDER BY id")
        .fetch_all(&pool)
        .await
        .unwrap();
    pool.close().await;
    rows
}

fn check_nothing_lost(
    backend: &str,
    mut created: Vec<(String, String, i64)>,
    stored: Vec<(String, String, i64)>,
) {
    created.sort();
    let acknowledged = created.len();
    assert_eq!(
        stored.len(),
        acknowledged,
        "{backend}: {} products stored, {acknowledged} creations acknowledged",
        stored.len()
    );
    assert_eq!(stored, created, "{backend}: stored products differ");
    println!(
        "load {backend}: {acknowledged} products acknowledged, {} stored, none lost or \
         duplicated, every quantity the last acknowledged update",
        stored.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_load_on_sqlite() {
    let db = migrate_tests::fresh_sqlite_db();
    let mut app = App::new(db.dir.path()).env("DATABASE_URL", &db.url);
    let server = app.start(&["--port", "0"]);
    let client = server.client;
    let created = tokio::task::block_in_place(|| run_load(client, "SQLite"));
    app.stop(server).expect_success();
    check_nothing_lost("SQLite", created, stored_sqlite(&db.url).await);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bounded_load_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    let dir = crate::tempdir();
    let mut app = App::new(dir.path()).env("DATABASE_URL", &db.url);
    let server = app.start(&["--port", "0"]);
    let client = server.client;
    let created = tokio::task::block_in_place(|| run_load(client, "PostgreSQL"));
    app.stop(server).expect_success();
    check_nothing_lost("PostgreSQL", created, stored_pg(&db.url).await);
}
