//! The commands around the comparison: refusals, `check`, `--shadow`, error
//! messages, and the example app's own migrations against its schema.sql.

use crate::{Db, Project, TestDb, generated_path};

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);";
const USERS_PHONE: &str =
    "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, phone VARCHAR(20));";

fn revision_files(p: &Project) -> usize {
    std::fs::read_dir(p.path().join("migrations"))
        .expect("list migrations")
        .filter(|e| {
            e.as_ref()
                .is_ok_and(|e| e.path().extension().is_some_and(|x| x == "sql"))
        })
        .count()
}

async fn refuses_a_database_behind_head(db: Db) {
    let database = TestDb::fresh(db).await;
    let p = Project::new(db, database.url(), "");
    p.revision("a", USERS, None);
    p.revision(
        "b",
        "CREATE TABLE tags (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE tags;"),
    );
    p.ok(&["upgrade", "+1"]);
    p.write_schema(USERS_PHONE);
    let out = p.fails(
        &["revision", "--autogenerate", "-m", "x"],
        1,
        "error: Target database is not up to date.\n",
    );
    assert!(
        out.stderr.contains("`migrate upgrade head`"),
        "{}",
        out.stderr
    );
    assert_eq!(revision_files(&p), 2, "nothing written");
    p.fails(&["check"], 1, "Target database is not up to date.");
    // --shadow builds its own database at head instead.
    let out = p.ok(&["revision", "--autogenerate", "--shadow", "-m", "x"]);
    let text = std::fs::read_to_string(p.path().join(generated_path(&out))).unwrap();
    assert!(text.contains("DROP TABLE tags"), "{text}");
    assert!(text.contains("ADD COLUMN phone"), "{text}");
}

#[tokio::test]
async fn refuses_a_database_behind_head_pg() {
    refuses_a_database_behind_head(Db::Pg).await;
}

#[tokio::test]
async fn refuses_a_database_behind_head_sqlite() {
    refuses_a_database_behind_head(Db::Sqlite).await;
}

async fn no_changes_writes_nothing_and_check_agrees(db: Db) {
    let database = TestDb::fresh(db).await;
    let p = Project::new(db, database.url(), "");
    p.revision("a", USERS, None);
    p.ok(&["upgrade", "head"]);
    p.write_schema(USERS);
    let out = p.ok(&["revision", "--autogenerate", "-m", "x"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    assert_eq!(revision_files(&p), 1);
    let out = p.ok(&["check"]);
    assert_eq!(
        out.stdout,
        "No problems found in migrations (1 revision)\nNo new upgrade operations detected.\n"
    );
    p.ok(&["check", "--shadow"]);

    // A difference: check lists it and exits 1.
    p.write_schema(USERS_PHONE);
    let out = p.fails(&["check"], 1, "error: New upgrade operations detected");
    assert!(
        out.stderr.contains("error: add column users.phone\n"),
        "{}",
        out.stderr
    );
    p.fails(&["check", "--shadow"], 1, "add column users.phone");

    // Without a URL, check only looks at the directory.
    let out = p.run_with(&["check"], None);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, "No problems found in migrations (1 revision)\n");
}

#[tokio::test]
async fn no_changes_writes_nothing_and_check_agrees_pg() {
    no_changes_writes_nothing_and_check_agrees(Db::Pg).await;
}

#[tokio::test]
async fn no_changes_writes_nothing_and_check_agrees_sqlite() {
    no_changes_writes_nothing_and_check_agrees(Db::Sqlite).await;
}

#[tokio::test]
async fn schema_errors_name_file_line_and_column() {
    let database = TestDb::fresh(Db::Sqlite).await;
    let p = Project::new(Db::Sqlite, database.url(), "schema = \"db/schema.sql\"\n");
    p.revision("a", USERS, None);
    p.ok(&["upgrade", "head"]);
    let out = p.fails(
        &["revision", "--autogenerate", "-m", "x"],
        2,
        "db/schema.sql: declared schema not found",
    );
    assert!(out.stderr.contains("schema = "), "{}", out.stderr);
    std::fs::create_dir(p.path().join("db")).unwrap();
    std::fs::write(
        p.path().join("db/schema.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);\nINSERT INTO users VALUES (1, 'a');\n",
    )
    .unwrap();
    let out = p.fails(
        &["revision", "--autogenerate", "-m", "x"],
        1,
        "db/schema.sql:2:1: ",
    );
    assert!(
        out.stderr.contains("db/schema.sql has 1 problem"),
        "{}",
        out.stderr
    );
    assert_eq!(revision_files(&p), 1);
}

#[tokio::test]
async fn a_revision_the_checks_reject_is_kept_and_reported() {
    // The directory is checked as SQLite, the database is PostgreSQL: the
    // generated ALTER COLUMN … TYPE does not parse as SQLite.
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Sqlite, database.url(), "");
    p.revision(
        "a",
        "CREATE TABLE t (id INTEGER PRIMARY KEY, n INTEGER);",
        None,
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema("CREATE TABLE t (id INTEGER PRIMARY KEY, n BIGINT);");
    let out = p.fails(
        &["revision", "--autogenerate", "-m", "x"],
        1,
        "was written but the migration directory does not pass its checks",
    );
    assert!(out.stderr.contains("the file is kept"), "{}", out.stderr);
    let path = generated_path(&out);
    assert!(p.path().join(path).is_file());
}

#[tokio::test]
async fn shadow_sqlite_never_opens_the_configured_database() {
    let database = TestDb::fresh(Db::Sqlite).await;
    let p = Project::new(Db::Sqlite, database.url(), "");
    p.revision("a", USERS, None);
    p.write_schema(USERS_PHONE);
    let out = p.ok(&["revision", "--autogenerate", "--shadow", "-m", "add phone"]);
    assert!(
        out.stdout.contains("  Detected add column users.phone\n"),
        "{}",
        out.stdout
    );
    let TestDb::Sqlite(file) = &database else {
        unreachable!()
    };
    assert!(!file.path.exists(), "the configured database was created");
    let out = p.ok(&["check", "--shadow"]);
    assert!(
        out.stdout.contains("No new upgrade operations detected."),
        "{}",
        out.stdout
    );
    assert!(!file.path.exists());
}

/// The shadow databases on the test server.
async fn shadow_databases() -> Vec<String> {
    let admin = migrate_tests::pg_admin_url();
    let pool = sqlx::PgPool::connect(&admin)
        .await
        .expect("connect as admin");
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT datname::text FROM pg_database WHERE datname LIKE 'migrate\\_shadow\\_%'",
    )
    .fetch_all(&pool)
    .await
    .expect("list shadow databases");
    pool.close().await;
    names
}

/// Asserts that no shadow database exists beyond `before`. Other tests
/// build shadow databases at the same time, each dropped when its command
/// ends, so one that is still there is waited for (up to 15 s) before it
/// counts as left behind.
async fn assert_no_new_shadow_database(before: &[String]) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(15);
    loop {
        let left: Vec<String> = shadow_databases()
            .await
            .into_iter()
            .filter(|name| !before.contains(name))
            .collect();
        if left.is_empty() {
            return;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "shadow databases left behind: {left:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test]
async fn shadow_postgres_is_dropped_on_every_path() {
    let before = shadow_databases().await;
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision("a", USERS, None);
    p.write_schema(USERS_PHONE);
    let out = p.ok(&["revision", "--autogenerate", "--shadow", "-m", "add phone"]);
    assert!(
        out.stdout.contains("  Detected add column users.phone\n"),
        "{}",
        out.stdout
    );
    assert_no_new_shadow_database(&before).await;
    // The live database was not migrated.
    let pool = database.pool().await;
    assert_eq!(
        pool.int("SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'")
            .await,
        0
    );
    pool.close().await;
    p.ok(&["check", "--shadow"]);
    assert_no_new_shadow_database(&before).await;

    // A migration that fails on the server: the error names it, and the
    // shadow database is gone all the same.
    p.revision(
        "broken",
        "INSERT INTO users (id, name) VALUES (1, 'a'), (1, 'b');",
        None,
    );
    let out = p.fails(
        &["check", "--shadow"],
        1,
        "could not build the shadow database",
    );
    assert!(out.stderr.contains("duplicate key"), "{}", out.stderr);
    assert_no_new_shadow_database(&before).await;
}

/// The example app: its SQL migrations, upgraded on a fresh database,
/// agree with the repository's schema.sql (no noise), on both databases.
async fn example_migrations_match_schema_sql(db: Db) {
    let root = migrate_tests::workspace_root();
    let database = TestDb::fresh(db).await;
    let p = Project::new(db, database.url(), "");
    std::fs::write(
        p.path().join("migrate.toml"),
        std::fs::read_to_string(root.join("migrate.toml")).unwrap(),
    )
    .unwrap();
    let mut copied = 0;
    for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "sql") {
            std::fs::copy(
                &path,
                p.path().join("migrations").join(path.file_name().unwrap()),
            )
            .unwrap();
            copied += 1;
        }
    }
    // The SQL revisions: the Rust one (data only) is the application's to
    // run, and changes no schema.
    assert_eq!(copied, 8);
    std::fs::copy(root.join("schema.sql"), p.path().join("schema.sql")).unwrap();
    p.ok(&["upgrade", "head"]);
    let out = p.ok(&["check"]);
    assert_eq!(
        out.stdout,
        "No problems found in migrations (8 revisions)\nNo new upgrade operations detected.\n"
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    p.ok(&["check", "--shadow"]);
    let pool = database.pool().await;
    let declared = std::fs::read_to_string(root.join("schema.sql")).unwrap();
    assert_eq!(
        pool.differences(&declared, false).await,
        Vec::<String>::new()
    );
    pool.close().await;

    // The README's walk-through: add a column, generate, upgrade, check.
    p.write_schema(&declared.replace(
        "    display_name TEXT\n",
        "    display_name TEXT,\n    phone TEXT\n",
    ));
    let out = p.ok(&["revision", "--autogenerate", "-m", "add phone"]);
    assert!(
        out.stdout.contains("  Detected add column users.phone\n"),
        "{}",
        out.stdout
    );
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);
}

#[tokio::test]
async fn example_migrations_match_schema_sql_pg() {
    example_migrations_match_schema_sql(Db::Pg).await;
}

#[tokio::test]
async fn example_migrations_match_schema_sql_sqlite() {
    example_migrations_match_schema_sql(Db::Sqlite).await;
}

/// Views, routines and triggers through `--shadow` (the declared ones are
/// put in the server's form on the shadow database) and `exclude` (a view
/// and a routine the migrations do not own are left alone).
#[tokio::test]
async fn views_routines_and_triggers_with_shadow_and_exclude() {
    const CODE: &str = "CREATE TABLE users (id integer PRIMARY KEY, name text);
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE VIEW named_users AS SELECT id, upper(name) AS name FROM users WHERE name IS NOT NULL;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();";
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "exclude = [\"legacy_*\"]\n");
    p.revision("a", CODE, None);
    p.write_schema(CODE);
    p.ok(&["check", "--shadow"]);
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);
    // Made by hand, outside the migrations, and excluded.
    let pool = database.pool().await;
    pool.exec(
        "CREATE VIEW legacy_names AS SELECT name FROM users;
         CREATE FUNCTION legacy_f() RETURNS int LANGUAGE sql AS 'SELECT 1';",
    )
    .await;
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    // A changed view is found through --shadow as through the database.
    p.write_schema(&CODE.replace("upper(name)", "lower(name)"));
    let out = p.fails(&["check", "--shadow"], 1, "replace view named_users");
    assert!(!out.stderr.contains("legacy"), "{}", out.stderr);
    pool.close().await;
}

/// `check` with views needs what it needed before (reading the catalogue
/// and the history table) plus the `TEMPORARY` privilege on the database,
/// which PostgreSQL grants to everyone unless revoked: without it, the
/// message names the grant; with it, a role that may only read is enough.
#[tokio::test]
async fn check_with_views_names_the_temporary_privilege() {
    const CODE: &str = "CREATE TABLE users (id integer PRIMARY KEY, name text);
CREATE VIEW named_users AS SELECT id, upper(name) AS name FROM users;
CREATE FUNCTION one() RETURNS int LANGUAGE sql AS 'SELECT 1';";
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision("a", CODE, None);
    p.write_schema(CODE);
    p.ok(&["upgrade", "head"]);
    let url = database.url().to_owned();
    let (base, db) = url.rsplit_once('/').expect("a database in the URL");
    let db = db.split('?').next().unwrap_or(db).to_owned();
    let role = format!("reader_{db}");
    let pool = database.pool().await;
    pool.exec(&format!(
        "CREATE ROLE {role} LOGIN PASSWORD 'reader-pw';
         GRANT SELECT ON ALL TABLES IN SCHEMA public TO {role};
         REVOKE TEMPORARY ON DATABASE {db} FROM PUBLIC;"
    ))
    .await;
    let (scheme, rest) = base.split_once("://").expect("a scheme");
    let host = rest.rsplit_once('@').map_or(rest, |(_, h)| h);
    let reader = format!("{scheme}://{role}:reader-pw@{host}/{db}");
    let out = p.fails(
        &["check", "--database-url", &reader],
        1,
        "GRANT TEMPORARY ON DATABASE",
    );
    assert!(!out.stderr.contains("panicked"), "{}", out.stderr);
    pool.exec(&format!("GRANT TEMPORARY ON DATABASE {db} TO {role};"))
        .await;
    let out = p.ok(&["check", "--database-url", &reader]);
    assert!(
        out.stdout.contains("No new upgrade operations detected."),
        "{}",
        out.stdout
    );
    pool.exec(&format!(
        "DROP OWNED BY {role}; REVOKE ALL ON DATABASE {db} FROM {role}; DROP ROLE {role};"
    ))
    .await;
    pool.close().await;
}
