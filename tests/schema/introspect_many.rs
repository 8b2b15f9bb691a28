//! Introspection of a 500-table schema on both databases: the counts come
//! out right, the number of queries does not grow with the number of
//! tables, and the time taken is printed (run with `--nocapture` to see it;
//! it is not asserted).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Mutex, OnceLock};
use std::thread::ThreadId;
use std::time::Instant;

use migrate_runtime::introspect::{IntrospectOptions, introspect_postgres, introspect_sqlite};
use migrate_schema::{FkAction, IndexKey, QualifiedName, Schema};
use sqlx::Connection as _;

const TABLES: usize = 500;

/// Counts the statements sqlx runs, per thread, through its `sqlx::query`
/// tracing events. A PostgreSQL connection logs on the thread that drives
/// it (the test's), an SQLite connection on its own worker thread; either
/// way the statements of one connection share one thread, found with a
/// marker query.
mod statements {
    use super::*;
    use tracing::span::{Attributes, Id, Record};
    use tracing::{Event, Metadata, Subscriber, subscriber::Interest};

    /// Counting sections in progress; events are only built while one is.
    static ACTIVE: AtomicUsize = AtomicUsize::new(0);
    static SEEN: Mutex<Vec<(ThreadId, String)>> = Mutex::new(Vec::new());

    struct Recorder;

    struct Summary(String);

    impl tracing::field::Visit for Summary {
        fn record_debug(&mut self, field: &tracing::field::Field, value: &dyn std::fmt::Debug) {
            if field.name() == "summary" {
                self.0 = format!("{value:?}");
            }
        }
        fn record_str(&mut self, field: &tracing::field::Field, value: &str) {
            if field.name() == "summary" {
                self.0 = value.to_owned();
            }
        }
    }

    impl Subscriber for Recorder {
        fn register_callsite(&self, metadata: &'static Metadata<'static>) -> Interest {
            if metadata.target() == "sqlx::query" {
                Interest::sometimes()
            } else {
                Interest::never()
            }
        }
        fn enabled(&self, metadata: &Metadata<'_>) -> bool {
            metadata.target() == "sqlx::query" && ACTIVE.load(Ordering::SeqCst) > 0
        }
        fn new_span(&self, _: &Attributes<'_>) -> Id {
            Id::from_u64(1)
        }
        fn record(&self, _: &Id, _: &Record<'_>) {}
        fn record_follows_from(&self, _: &Id, _: &Id) {}
        fn event(&self, event: &Event<'_>) {
            let mut summary = Summary(String::new());
            event.record(&mut summary);
            SEEN.lock()
                .unwrap()
                .push((std::thread::current().id(), summary.0));
        }
        fn enter(&self, _: &Id) {}
        fn exit(&self, _: &Id) {}
    }

    fn install() {
        static INSTALLED: OnceLock<()> = OnceLock::new();
        INSTALLED.get_or_init(|| {
            tracing::subscriber::set_global_default(Recorder)
                .expect("the schema tests install the only global tracing subscriber");
        });
    }

    /// A counting section: statements seen from `start` on.
    pub struct Section {
        start: usize,
    }

    impl Section {
        pub fn begin() -> Section {
            install();
            ACTIVE.fetch_add(1, Ordering::SeqCst);
            Section {
                start: SEEN.lock().unwrap().len(),
            }
        }

        /// Statements run after the statement whose summary is `marker`, on
        /// the thread that ran it.
        pub fn count_after(&self, marker: &str) -> usize {
            let seen = SEEN.lock().unwrap();
            let seen = &seen[self.start..];
            let (at, thread) = seen
                .iter()
                .enumerate()
                .rev()
                .find(|(_, (_, summary))| summary.contains(marker))
                .map(|(at, (thread, _))| (at, *thread))
                .unwrap_or_else(|| panic!("marker {marker} was not logged"));
            seen[at + 1..].iter().filter(|(t, _)| *t == thread).count()
        }
    }

    impl Drop for Section {
        fn drop(&mut self) {
            ACTIVE.fetch_sub(1, Ordering::SeqCst);
        }
    }
}

fn pg_tables_sql(count: usize) -> String {
    let mut sql = String::from("BEGIN;\n");
    for i in 0..count {
        let parent = i.saturating_sub(1);
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id bigint PRIMARY KEY, name text NOT NULL, \
             parent_id bigint REFERENCES t{parent} (id) ON DELETE CASCADE, \
             created_at timestamptz DEFAULT now());\n\
             CREATE INDEX t{i}_name ON t{i} (name);\n"
        ));
    }
    sql.push_str("COMMIT;\n");
    sql
}

fn sqlite_tables_sql(count: usize) -> String {
    let mut sql = String::from("BEGIN;\n");
    for i in 0..count {
        let parent = i.saturating_sub(1);
        sql.push_str(&format!(
            "CREATE TABLE t{i} (id INTEGER PRIMARY KEY, name TEXT NOT NULL, \
             parent_id INTEGER REFERENCES t{parent} (id) ON DELETE CASCADE, \
             created_at TEXT DEFAULT CURRENT_TIMESTAMP);\n\
             CREATE INDEX t{i}_name ON t{i} (name);\n"
        ));
    }
    sql.push_str("COMMIT;\n");
    sql
}

/// Every table `t<i>`: four columns, a primary key on `id`, one foreign key
/// to `t<i-1>` (`t0` to itself), one index on `name`.
fn assert_tables(schema: &Schema, count: usize) {
    assert_eq!(schema.tables.len(), count);
    let columns: usize = schema.tables.values().map(|t| t.columns.len()).sum();
    let foreign_keys: usize = schema.tables.values().map(|t| t.foreign_keys.len()).sum();
    let indexes: usize = schema.tables.values().map(|t| t.indexes.len()).sum();
    let primary_keys = schema
        .tables
        .values()
        .filter(|t| t.primary_key.is_some())
        .count();
    assert_eq!(
        (columns, foreign_keys, indexes, primary_keys),
        (4 * count, count, count, count)
    );
    for i in 0..count {
        let table = &schema.tables[&QualifiedName::new(format!("t{i}"))];
        let fk = &table.foreign_keys[0];
        assert_eq!(
            fk.ref_table,
            QualifiedName::new(format!("t{}", i.saturating_sub(1)))
        );
        assert_eq!(
            (fk.columns.as_slice(), fk.ref_columns.as_slice()),
            (&["parent_id".to_owned()][..], &["id".to_owned()][..])
        );
        assert_eq!(fk.on_delete, FkAction::Cascade);
        assert_eq!(table.indexes[0].keys, [IndexKey::Column("name".to_owned())]);
    }
}

#[tokio::test]
async fn postgres_500_tables_in_a_constant_number_of_queries() {
    let options = IntrospectOptions::default();
    let mut counts = Vec::new();
    for count in [1, TABLES] {
        let db = migrate_tests::fresh_pg_db().await;
        let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
        sqlx::raw_sql(&pg_tables_sql(count))
            .execute(&mut conn)
            .await
            .unwrap();

        let section = statements::Section::begin();
        let marker = format!("'pg-introspect-marker-{count}'");
        sqlx::raw_sql(&format!("SELECT {marker}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let started = Instant::now();
        let schema = introspect_postgres(&mut conn, &options).await.unwrap();
        let elapsed = started.elapsed();
        let queries = section.count_after(&marker);
        drop(section);

        println!("PostgreSQL: {count} tables introspected in {elapsed:?} with {queries} queries");
        assert_tables(&schema, count);
        counts.push(queries);
        conn.close().await.unwrap();
    }
    assert_eq!(
        counts,
        [17, 17],
        "queries for 1 table and for {TABLES} tables"
    );
}

#[tokio::test]
async fn sqlite_500_tables_in_a_constant_number_of_queries() {
    let options = IntrospectOptions::default();
    let mut counts = Vec::new();
    for count in [1, TABLES] {
        let db = migrate_tests::fresh_sqlite_db();
        let pool = db.pool().await;
        let mut conn = pool.acquire().await.unwrap();
        sqlx::raw_sql(&sqlite_tables_sql(count))
            .execute(&mut *conn)
            .await
            .unwrap();

        let section = statements::Section::begin();
        let marker = format!("'sqlite-introspect-marker-{count}'");
        sqlx::raw_sql(&format!("SELECT {marker}"))
            .execute(&mut *conn)
            .await
            .unwrap();
        let started = Instant::now();
        let schema = introspect_sqlite(&mut conn, &options).await.unwrap();
        let elapsed = started.elapsed();
        let queries = section.count_after(&marker);
        drop(section);

        println!("SQLite: {count} tables introspected in {elapsed:?} with {queries} queries");
        assert_tables(&schema, count);
        counts.push(queries);
        drop(conn);
        pool.close().await;
    }
    assert_eq!(
        counts,
        [5, 5],
        "queries for 1 table and for {TABLES} tables"
    );
}
