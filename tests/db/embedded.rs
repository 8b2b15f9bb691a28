//! The table built by `embed_migrations!` against the same directory read at run time.

use migrate_runtime::{Migrator, embed_migrations, testing};

use crate::common::{Pg, Sqlite, TestDb};

static EXAMPLE: Migrator = embed_migrations!("../migrations");

/// The macro and the runtime read the directory through the same code, so
/// the embedded table must equal what `from_directory` builds.
#[test]
fn embedded_table_equals_directory_read_at_run_time() {
    let root = migrate_tests::workspace_root();
    let config = migrate_core::Config::load(&root)
        .unwrap()
        .unwrap_or_default();
    let loaded =
        Migrator::from_directory(&root.join("migrations"), "../migrations", &config).unwrap();
    assert_eq!(EXAMPLE.revisions(), loaded.revisions());
    assert_eq!(EXAMPLE.version_table(), loaded.version_table());
    assert_eq!(EXAMPLE.revisions().len(), 9);
    // The embedded table keeps paths and dates after the texts a run
    // reads, and its graph reads ids and paths from the table: both still
    // name every revision as the directory does.
    let (embedded, read) = (EXAMPLE.graph().unwrap(), loaded.graph().unwrap());
    for (i, rev) in loaded.revisions().iter().enumerate() {
        assert_eq!(embedded.id(i), rev.id());
        assert_eq!(embedded.path(i), rev.path());
        assert_eq!(read.path(i), rev.path());
        assert_eq!(
            EXAMPLE.revisions().get(i).unwrap().create_date(),
            rev.create_date()
        );
        assert!(rev.path().starts_with("../migrations/"), "{}", rev.path());
    }
}

async fn example_passes_the_test_helpers(db: &impl TestDb) {
    testing::assert_single_head(&EXAMPLE).unwrap();
    testing::upgrade_base_to_head(&EXAMPLE, db.pool())
        .await
        .unwrap();
    assert_eq!(
        EXAMPLE.current(db.pool()).await.unwrap(),
        vec!["a4b5c6d7e8f9"]
    );
    // Start-up at head with the table as a new process has it (nothing
    // built yet) takes the short way on what the macro embedded: it
    // finishes while another connection holds the migration lock.
    let held = crate::common::hold_migration_lock(db).await;
    let at_head = EXAMPLE
        .__fresh()
        .with_lock_timeout(std::time::Duration::from_millis(200))
        .upgrade(db.pool(), "head")
        .await
        .unwrap();
    assert!(at_head.revisions.is_empty());
    assert_eq!(at_head.current, vec!["a4b5c6d7e8f9"]);
    held.release().await;
    testing::round_trip(&EXAMPLE, db.pool()).await.unwrap();
    assert_eq!(
        EXAMPLE.current(db.pool()).await.unwrap(),
        vec!["a4b5c6d7e8f9"]
    );
}

#[tokio::test]
async fn example_migrations_round_trip_on_sqlite() {
    example_passes_the_test_helpers(&Sqlite::new().await).await;
}

#[tokio::test]
async fn example_migrations_round_trip_on_postgres() {
    example_passes_the_test_helpers(&Pg::new().await).await;
}

/// A downgrade that forgets something is caught by the round-trip helper.
#[tokio::test]
async fn round_trip_catches_incomplete_downgrade() {
    let dir = crate::common::Dir::new();
    dir.rev(
        "a1",
        "",
        "CREATE TABLE ta (id INTEGER);\nCREATE INDEX ix_ta ON ta (id);",
        Some("DROP INDEX ix_ta;\nDROP TABLE ta;"),
    );
    dir.rev(
        "b2",
        "a1",
        "CREATE TABLE tb (id INTEGER);\nCREATE TABLE tc (id INTEGER);",
        Some("DROP TABLE tb;"),
    );
    let db = Sqlite::new().await;
    let err = testing::round_trip(&dir.migrator(), db.pool())
        .await
        .unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("revision b2: after upgrade then downgrade the schema differs"),
        "{text}"
    );
    assert!(text.contains("tc"), "{text}");
}

/// Start-up at head is one read: a read-only connection is enough.
#[tokio::test]
async fn up_to_date_database_needs_no_write_access() {
    let db = Sqlite::new().await;
    let dir = crate::common::Dir::chain(3);
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    let read_only =
        sqlx::SqlitePool::connect(&format!("sqlite://{}?mode=ro", db.db.path.display()))
            .await
            .unwrap();
    let report = dir.migrator().upgrade(&read_only, "head").await.unwrap();
    assert!(report.revisions.is_empty());
    assert_eq!(report.current, vec!["r03"]);
    dir.rev("r04", "r03", "CREATE TABLE t04 (id INTEGER);", None);
    assert!(
        dir.migrator().upgrade(&read_only, "head").await.is_err(),
        "pending work needs the write lock"
    );
}

/// The history row is written as SQL text in the revision's round trip: a
/// message with quotes and backslashes must arrive intact on both databases.
async fn message_with_quotes_is_recorded(db: &impl TestDb) {
    let dir = crate::common::Dir::new();
    std::fs::write(
        dir.path().join("2025_01_01_0000-q1_quotes.sql"),
        "-- revision: q1\n-- down_revision: none\n-- message: it's a \\' test \\\\ with \"quotes\"\n-- migrate:upgrade\nCREATE TABLE q (id INTEGER);\n-- migrate:downgrade\nDROP TABLE q;\n",
    )
    .unwrap();
    dir.rev(
        "q2",
        "q1",
        "CREATE TABLE q2 (id INTEGER);",
        Some("DROP TABLE q2;"),
    );
    let m = dir.migrator();
    assert_eq!(
        m.upgrade(db.pool(), "head").await.unwrap().revisions,
        vec!["q1", "q2"]
    );
    let stored = db
        .text("SELECT message FROM migrate_history WHERE revision = 'q1'")
        .await;
    assert_eq!(stored, "it's a \\' test \\\\ with \"quotes\"");
}

#[tokio::test]
async fn message_with_quotes_is_recorded_on_sqlite() {
    message_with_quotes_is_recorded(&Sqlite::new().await).await;
}

#[tokio::test]
async fn message_with_quotes_is_recorded_on_postgres() {
    message_with_quotes_is_recorded(&Pg::new().await).await;
}

/// `current`, `pending` and `heads` answer a database at head from the
/// start-up texts, as start-up at head does; anywhere else they go the long
/// way. Both ways must agree in every state.
async fn read_only_questions_agree_with_the_graph(db: &impl TestDb) {
    let m = EXAMPLE.__fresh();
    let same = |at: &str, fast: Vec<&str>, slow: Vec<&str>| {
        assert_eq!(
            fast, slow,
            "{at}: the start-up answer differs from the graph's"
        );
    };
    same("heads", m.heads().unwrap(), m.heads_from_graph().unwrap());
    let check = async |at: &str| {
        let m = EXAMPLE.__fresh();
        same(
            at,
            m.current(db.pool()).await.unwrap(),
            m.current_from_graph(db.pool()).await.unwrap(),
        );
        let m = EXAMPLE.__fresh();
        same(
            at,
            m.pending(db.pool()).await.unwrap(),
            m.pending_from_graph(db.pool()).await.unwrap(),
        );
    };
    check("no history table").await;
    // Each revision in turn (a branch alone, then the merge), then head.
    for r in EXAMPLE.revisions().iter() {
        EXAMPLE.upgrade(db.pool(), r.id()).await.unwrap();
        check(r.id()).await;
    }
    assert!(EXAMPLE.pending(db.pool()).await.unwrap().is_empty());
    assert_eq!(
        EXAMPLE.current(db.pool()).await.unwrap(),
        vec!["a4b5c6d7e8f9"]
    );
    // An edited checksum: start-up's read no longer matches, and `current`
    // (which ignores checksums) still answers head the long way.
    db.exec("UPDATE migrate_history SET checksum = 'v1:edited' WHERE revision = 'a4b5c6d7e8f9'")
        .await
        .unwrap();
    check("an edited checksum").await;
    assert_eq!(
        EXAMPLE.current(db.pool()).await.unwrap(),
        vec!["a4b5c6d7e8f9"]
    );
    // One revision short of head.
    db.exec("DELETE FROM migrate_history WHERE revision = 'a4b5c6d7e8f9'")
        .await
        .unwrap();
    check("one revision short").await;
    assert_eq!(
        EXAMPLE.pending(db.pool()).await.unwrap(),
        vec!["a4b5c6d7e8f9"]
    );
}

#[tokio::test]
async fn read_only_questions_agree_with_the_graph_on_sqlite() {
    read_only_questions_agree_with_the_graph(&Sqlite::new().await).await;
}

#[tokio::test]
async fn read_only_questions_agree_with_the_graph_on_postgres() {
    read_only_questions_agree_with_the_graph(&Pg::new().await).await;
}
