//! Limits the server enforces on the migrating role, set with `ALTER ROLE
//! … SET` as a DBA would: `statement_timeout` cancels a slow revision's
//! statement, `idle_in_transaction_session_timeout` ends the session of a
//! run whose Rust revision works between its statements. The migrator's
//! error must name the setting and how to lift it, nothing may be
//! half-recorded (the history matches the catalog), and the run must
//! complete once the limit is lifted as the message says.

use std::sync::atomic::{AtomicU32, Ordering};

use migrate_runtime::{Error, Migrator};

use crate::support::{Db, Dir, Pool, spawn};

/// A role of the test's own, owning the test's database, with `settings`
/// set on it (`ALTER ROLE … SET`); dropped at the end.
struct Role {
    name: String,
    admin: Pool,
    db_name: String,
}

const ROLE_PW: &str = "limited-role-pw";

impl Role {
    async fn create(db: &Db, settings: &[(&str, &str)]) -> Role {
        static COUNTER: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "faults_limited_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        );
        let db_name: String = {
            let Pool::Pg(p) = &db.pool else {
                unreachable!()
            };
            sqlx::query_scalar("SELECT current_database()::text")
                .fetch_one(p)
                .await
                .unwrap()
        };
        let mut sql = vec![
            format!("CREATE ROLE {name} LOGIN PASSWORD '{ROLE_PW}'"),
            format!("ALTER DATABASE {db_name} OWNER TO {name}"),
        ];
        for (setting, value) in settings {
            sql.push(format!("ALTER ROLE {name} SET {setting} = '{value}'"));
        }
        for statement in &sql {
            db.pool.exec(statement).await.unwrap();
        }
        Role {
            name,
            admin: db.pool.clone(),
            db_name,
        }
    }

    /// The database's URL, logging in as this role.
    fn url(&self, db: &Db) -> String {
        let (scheme, rest) = db.url.split_once("://").unwrap();
        let (_, host) = rest.rsplit_once('@').unwrap();
        format!("{scheme}://{}:{ROLE_PW}@{host}", self.name)
    }

    async fn drop_role(self) {
        for sql in [
            format!("ALTER DATABASE {} OWNER TO CURRENT_USER", self.db_name),
            format!("REASSIGN OWNED BY {} TO CURRENT_USER", self.name),
            format!("DROP OWNED BY {}", self.name),
            format!("DROP ROLE {}", self.name),
        ] {
            self.admin
                .exec(&sql)
                .await
                .unwrap_or_else(|e| panic!("{sql}: {e}"));
        }
    }
}

/// A revision that sleeps 2 s before creating its table, after one that
/// creates `a`.
fn slow_chain() -> Dir {
    let mut dir = Dir::new();
    dir.write(
        "s1",
        None,
        "",
        "CREATE TABLE a (id INTEGER);",
        Some("DROP TABLE a;"),
    );
    dir.write(
        "s2",
        Some("s1"),
        "",
        "SELECT pg_sleep(2);\nCREATE TABLE b (id INTEGER);",
        Some("DROP TABLE b;"),
    );
    dir
}

async fn statement_timeout_on_the_role(per_revision: bool) {
    let db = Db::pg().await;
    let role = Role::create(&db, &[("statement_timeout", "250ms")]).await;
    let url = role.url(&db);
    let dir = slow_chain();
    let mut args = vec!["--progress"];
    if per_revision {
        args.push("--per-revision");
    }
    let failed = tokio::task::block_in_place(|| spawn(&url, dir.path(), &args).wait());
    let label = if per_revision {
        "statement_timeout, PerRevision"
    } else {
        "statement_timeout, Single"
    };
    assert_eq!(
        failed.status.code(),
        Some(1),
        "{label}: {}",
        failed.describe()
    );
    for words in [
        "canceling statement due to statement timeout",
        "statement_timeout ended the statement",
        "SET LOCAL statement_timeout = 0;",
        "ALTER ROLE",
        "revision s2",
    ] {
        assert!(
            failed.stderr.contains(words),
            "{label}: the error lacks {words:?}:\n{}",
            failed.describe()
        );
    }
    assert!(!failed.stderr.contains(ROLE_PW), "{label}: password shown");
    // Nothing half-recorded: s2 was rolled back, s1 (before it) stays, in
    // both modes (Single commits the revisions before a failing one).
    let history: Vec<String> = db
        .pool
        .history()
        .await
        .into_iter()
        .map(|r| format!("{} {}", r.revision, r.state))
        .collect();
    let tables = db.pool.tables().await;
    assert_eq!(history, ["s1 applied"], "{label}");
    assert!(tables.contains("a") && !tables.contains("b"), "{tables:?}");
    println!(
        "{label}: the run failed with exit 1, {} revision(s) recorded and their tables present, \
         none half-applied; the error:\n{}",
        history.len(),
        failed.stderr.trim()
    );

    // As the message says: the revision lifts the limit for itself.
    dir.edit(
        "s2",
        "SELECT pg_sleep(2);",
        "SET LOCAL statement_timeout = 0;\nSELECT pg_sleep(2);",
    );
    let again = tokio::task::block_in_place(|| spawn(&url, dir.path(), &args).wait());
    assert!(again.status.success(), "{label}: {}", again.describe());
    let tables = db.pool.tables().await;
    assert!(tables.contains("a") && tables.contains("b"), "{tables:?}");
    assert_eq!(db.pool.history().await.len(), 2);
    role.drop_role().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_on_the_role_single() {
    statement_timeout_on_the_role(false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn statement_timeout_on_the_role_per_revision() {
    statement_timeout_on_the_role(true).await;
}

static IDLE: Migrator = migrate_runtime::embed_migrations!("reliability/idle_migrations");

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn idle_in_transaction_timeout_on_the_role() {
    let db = Db::pg().await;
    let role = Role::create(&db, &[("idle_in_transaction_session_timeout", "300ms")]).await;
    let url = role.url(&db);
    let pool = sqlx::PgPool::connect(&url).await.unwrap();
    let err = IDLE
        .upgrade(&pool, "heads")
        .await
        .expect_err("the server ends the idle session");
    pool.close().await;
    let message = err.to_string();
    assert!(
        matches!(err, Error::RustRevisionFailed { .. }),
        "{message}\n{err:?}"
    );
    for words in [
        "revision f2b2e2",
        "idle_in_transaction_session_timeout",
        "options=-c idle_in_transaction_session_timeout=0",
        "ALTER ROLE",
        "the database remains at base",
    ] {
        assert!(
            message.contains(words),
            "the error lacks {words:?}:\n{message}"
        );
    }
    assert!(!message.contains(ROLE_PW), "password shown");
    // Single mode: the session's end rolled back both revisions.
    assert!(db.pool.history().await.is_empty());
    assert!(!db.pool.tables().await.contains("items"));
    println!("idle_in_transaction_session_timeout: the error:\n{message}");

    // As the message says: the migration's connection lifts the limit.
    let lifted = format!("{url}?options=-c%20idle_in_transaction_session_timeout%3D0");
    let pool = sqlx::PgPool::connect(&lifted).await.unwrap();
    let report = IDLE.upgrade(&pool, "heads").await.unwrap();
    pool.close().await;
    assert_eq!(report.revisions.len(), 2);
    assert_eq!(db.pool.i64("SELECT count(*) FROM items").await, 2);
    role.drop_role().await;
}
