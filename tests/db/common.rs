//! Shared pieces: migration directories written on the fly, and one trait
//! over the two test databases.

use std::path::Path;
use std::sync::atomic::{AtomicU32, Ordering};

use migrate_runtime::{Database, Migrator};
use migrate_tests::{PgTestDb, SqliteTestDb, fresh_pg_db, fresh_sqlite_db};

/// A migration directory in a temp dir, written by the test.
pub struct Dir {
    pub tmp: tempfile::TempDir,
    counter: AtomicU32,
}

impl Dir {
    pub fn new() -> Dir {
        Dir {
            tmp: tempfile::tempdir().expect("temp dir"),
            counter: AtomicU32::new(0),
        }
    }

    pub fn path(&self) -> &Path {
        self.tmp.path()
    }

    /// Writes a revision; files sort in the order they are written.
    pub fn rev(&self, id: &str, parents: &str, up: &str, down: Option<&str>) -> &Dir {
        self.rev_with(id, parents, "", up, down)
    }

    /// Like [`rev`], with extra header lines (e.g. `-- transactional: false\n`).
    pub fn rev_with(
        &self,
        id: &str,
        parents: &str,
        extra: &str,
        up: &str,
        down: Option<&str>,
    ) -> &Dir {
        let n = self.counter.fetch_add(1, Ordering::SeqCst);
        let mut text = format!(
            "-- revision: {id}\n-- down_revision: {}\n-- message: revision {id}\n{extra}\n-- migrate:upgrade\n{up}\n",
            if parents.is_empty() { "none" } else { parents }
        );
        if let Some(down) = down {
            text.push_str(&format!("\n-- migrate:downgrade\n{down}\n"));
        }
        let name = format!("2025_01_01_{n:04}-{id}_r.sql");
        std::fs::write(self.path().join(name), text).expect("write migration");
        self
    }

    /// Replaces the upgrade SQL of an existing revision file.
    pub fn edit(&self, id: &str, from: &str, to: &str) {
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains(&format!("-{id}_")) {
                let text = std::fs::read_to_string(&path).unwrap();
                assert!(
                    text.contains(from),
                    "{} does not contain {from:?}",
                    path.display()
                );
                std::fs::write(&path, text.replace(from, to)).unwrap();
            }
        }
    }

    pub fn remove(&self, id: &str) {
        for entry in std::fs::read_dir(self.path()).unwrap() {
            let path = entry.unwrap().path();
            if path.to_string_lossy().contains(&format!("-{id}_")) {
                std::fs::remove_file(path).unwrap();
            }
        }
    }

    pub fn migrator(&self) -> Migrator {
        Migrator::from_directory(self.path(), "migrations", &migrate_core::Config::default())
            .unwrap_or_else(|e| panic!("fixture directory is invalid:\n{e}"))
    }

    /// A linear chain `r01 … rNN`, each creating table `tNN`.
    pub fn chain(n: usize) -> Dir {
        let dir = Dir::new();
        for i in 1..=n {
            let parent = if i == 1 {
                String::new()
            } else {
                format!("r{:02}", i - 1)
            };
            dir.rev(
                &format!("r{i:02}"),
                &parent,
                &format!("CREATE TABLE t{i:02} (id INTEGER PRIMARY KEY, v TEXT);"),
                Some(&format!("DROP TABLE t{i:02};")),
            );
        }
        dir
    }
}

/// What the scenarios need from a database.
pub trait TestDb {
    type Pool: Database + Clone + Send + Sync + 'static;
    fn pool(&self) -> &Self::Pool;
    fn is_postgres(&self) -> bool;
    fn url(&self) -> &str;
    /// A second, independent pool to the same database.
    async fn other_pool(&self) -> Self::Pool;
    async fn tables(&self) -> Vec<String>;
    async fn exec(&self, sql: &str) -> Result<(), sqlx::Error>;
    async fn count(&self, sql: &str) -> i64;
    async fn text(&self, sql: &str) -> String;
    /// Opens a transaction on a separate connection, runs `sql` in it and
    /// keeps it open until [`Held::release`].
    async fn hold(&self, sql: &str) -> Held;
}

/// Holds the migration lock of `migrate_history` from another connection,
/// in an open transaction: PostgreSQL's advisory lock, SQLite's write lock.
pub async fn hold_migration_lock(db: &impl TestDb) -> Held {
    if db.is_postgres() {
        // The runtime's advisory lock key for `migrate_history`.
        let mut key: u64 = 0xcbf2_9ce4_8422_2325;
        for b in b"migrate:migrate_history" {
            key ^= u64::from(*b);
            key = key.wrapping_mul(0x0100_0000_01b3);
        }
        db.hold(&format!("SELECT pg_advisory_xact_lock({})", key as i64))
            .await
    } else {
        db.hold("SELECT 1").await
    }
}

/// An open transaction on its own connection.
pub enum Held {
    Sqlite(sqlx::pool::PoolConnection<sqlx::Sqlite>),
    Pg(sqlx::pool::PoolConnection<sqlx::Postgres>),
}

impl Held {
    pub async fn release(self) {
        match self {
            Held::Sqlite(mut c) => sqlx::raw_sql("ROLLBACK").execute(&mut *c).await.map(|_| ()),
            Held::Pg(mut c) => sqlx::raw_sql("ROLLBACK").execute(&mut *c).await.map(|_| ()),
        }
        .unwrap();
    }
}

pub struct Sqlite {
    pub db: SqliteTestDb,
    pub pool: sqlx::SqlitePool,
}

impl Sqlite {
    pub async fn new() -> Sqlite {
        let db = fresh_sqlite_db();
        let pool = db.pool().await;
        Sqlite { db, pool }
    }
}

impl TestDb for Sqlite {
    type Pool = sqlx::SqlitePool;
    fn pool(&self) -> &sqlx::SqlitePool {
        &self.pool
    }
    fn is_postgres(&self) -> bool {
        false
    }
    fn url(&self) -> &str {
        &self.db.url
    }
    async fn other_pool(&self) -> sqlx::SqlitePool {
        self.db.pool().await
    }
    async fn tables(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
    async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(&self.pool).await.map(|_| ())
    }
    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
    async fn text(&self, sql: &str) -> String {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
    async fn hold(&self, sql: &str) -> Held {
        let mut conn = self.other_pool().await.acquire().await.unwrap();
        sqlx::raw_sql(&format!("BEGIN IMMEDIATE; {sql}"))
            .execute(&mut *conn)
            .await
            .unwrap();
        Held::Sqlite(conn)
    }
}

pub struct Pg {
    pub db: PgTestDb,
    pub pool: sqlx::PgPool,
}

impl Pg {
    pub async fn new() -> Pg {
        let db = fresh_pg_db().await;
        let pool = db.pool().await;
        Pg { db, pool }
    }
}

impl TestDb for Pg {
    type Pool = sqlx::PgPool;
    fn pool(&self) -> &sqlx::PgPool {
        &self.pool
    }
    fn is_postgres(&self) -> bool {
        true
    }
    fn url(&self) -> &str {
        &self.db.url
    }
    async fn other_pool(&self) -> sqlx::PgPool {
        self.db.pool().await
    }
    async fn tables(&self) -> Vec<String> {
        sqlx::query_scalar(
            "SELECT tablename::text FROM pg_tables WHERE schemaname = current_schema() ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await
        .unwrap()
    }
    async fn exec(&self, sql: &str) -> Result<(), sqlx::Error> {
        sqlx::raw_sql(sql).execute(&self.pool).await.map(|_| ())
    }
    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
    async fn text(&self, sql: &str) -> String {
        sqlx::query_scalar(sql).fetch_one(&self.pool).await.unwrap()
    }
    async fn hold(&self, sql: &str) -> Held {
        let mut conn = self.other_pool().await.acquire().await.unwrap();
        sqlx::raw_sql(&format!("BEGIN; {sql}"))
            .execute(&mut *conn)
            .await
            .unwrap();
        Held::Pg(conn)
    }
}

/// `["migrate_history", "t01", …]` helper.
pub fn names(list: &[&str]) -> Vec<String> {
    list.iter().map(|s| (*s).to_owned()).collect()
}
