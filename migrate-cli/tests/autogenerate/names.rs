//! Hostile names and schema sources: what a database or a dump holds must not
//! turn into SQL of its own in a generated revision (issue #26), and the
//! usual ways of writing schema.sql are read as the database reads them
//! (issue #25).

use crate::{Db, Project, TestDb, generated_path};

/// A table whose name ends the `-- REVIEW:` comment it is written into and
/// starts a statement of its own if written raw.
const HOSTILE: &str = "tmp\nDELETE FROM users;\n--";

async fn hostile_table_name_deletes_nothing(db: Db) {
    let database = TestDb::fresh(db).await;
    let p = Project::new(db, database.url(), "");
    // The table is created by a revision, so the directory's own checks
    // (which replay the chain) know it.
    let hostile = migrate_core::quote_ident_always(HOSTILE);
    p.revision(
        "users",
        &format!(
            "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\nCREATE TABLE {hostile} (id INTEGER, {hostile} TEXT NOT NULL);"
        ),
        Some(&format!("DROP TABLE {hostile};\nDROP TABLE users;")),
    );
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    pool.exec("INSERT INTO users (id, name) VALUES (1, 'a'), (2, 'b');")
        .await;
    p.write_schema("CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\n");

    let out = p.ok(&["revision", "--autogenerate", "-m", "drop tmp"]);
    assert!(
        !out.stdout.contains("DELETE FROM users;\n"),
        "the name reached the terminal raw:\n{}",
        out.stdout
    );
    let name = generated_path(&out);
    let text = std::fs::read_to_string(p.path().join(&name)).unwrap();
    let revision = migrate_core::parse_revision(&name, &text)
        .unwrap_or_else(|e| panic!("the generated file does not load: {e:?}\n{text}"));
    let mut sections = vec![&revision.upgrade];
    sections.extend(revision.downgrade.as_ref());
    let mut statements = 0;
    for section in sections {
        for statement in &section.statements {
            statements += 1;
            let sql = section.statement_sql(statement);
            assert!(
                !sql.trim_start().to_uppercase().starts_with("DELETE"),
                "a DELETE statement was generated:\n{text}"
            );
        }
    }
    assert_eq!(statements, 2, "one DROP TABLE, one CREATE TABLE:\n{text}");
    assert!(text.contains("-- REVIEW: drops table "), "{text}");
    for line in text.lines().filter(|l| l.starts_with("-- REVIEW:")) {
        assert!(line.ends_with("and all its rows"), "{line}");
    }
    p.assert_loads();

    p.ok(&["upgrade", "head"]);
    assert_eq!(pool.int("SELECT count(*) FROM users").await, 2);
    p.ok(&["downgrade", "-1"]);
    assert_eq!(pool.int("SELECT count(*) FROM users").await, 2);
    let back = match db {
        Db::Pg => "SELECT count(*) FROM pg_tables WHERE tablename = $1",
        Db::Sqlite => "SELECT count(*) FROM sqlite_schema WHERE name = ?1",
    };
    let found: i64 = match &pool {
        crate::Pool::Pg(p) => sqlx::query_scalar(back).bind(HOSTILE).fetch_one(p).await,
        crate::Pool::Sqlite(p) => sqlx::query_scalar(back).bind(HOSTILE).fetch_one(p).await,
    }
    .unwrap();
    assert_eq!(found, 1, "the downgrade re-creates the table by its name");
    pool.close().await;
}

#[tokio::test]
async fn hostile_table_name_deletes_nothing_pg() {
    hostile_table_name_deletes_nothing(Db::Pg).await;
}

#[tokio::test]
async fn hostile_table_name_deletes_nothing_sqlite() {
    hostile_table_name_deletes_nothing(Db::Sqlite).await;
}
