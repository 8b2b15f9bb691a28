//! `exclude` in migrate.toml: tables that autogenerate and `check` leave
//! alone, by name or pattern; and on PostgreSQL, what belongs to an
//! extension is never compared.

use crate::common::Project;

/// Runs `sql` on the database at `url`.
fn exec(url: &str, sql: &str) {
    let (url, sql) = (url.to_owned(), sql.to_owned());
    std::thread::spawn(move || {
        tokio::runtime::Runtime::new()
            .unwrap()
            .block_on(async move {
                if url.starts_with("sqlite:") {
                    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                    sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
                } else {
                    let pool = sqlx::PgPool::connect(&url).await.unwrap();
                    sqlx::raw_sql(&sql).execute(&pool).await.unwrap();
                }
            })
    })
    .join()
    .unwrap();
}

/// A project whose migrations make `users`, on a database that also has
/// tables made by hand (`extra`); `check` must see them until `exclude`
/// names them.
fn excluded_tables(p: &Project, url: &str, dialect: &str, extra: &str) {
    let config = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&config).unwrap();
    std::fs::write(
        &config,
        text.replace("dialect = \"any\"", &format!("dialect = \"{dialect}\"")),
    )
    .unwrap();
    let users = "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);";
    p.revision(&["-m", "users"], users, Some("DROP TABLE users;"));
    std::fs::write(p.path().join("schema.sql"), format!("{users}\n")).unwrap();
    p.ok(&["upgrade", "head", "--database-url", url]);
    exec(url, extra);
    let out = p.fails(&["check", "--database-url", url], 1, "");
    assert!(
        out.stdout.contains("legacy_orders") || out.stderr.contains("legacy_orders"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    assert!(
        out.stdout.contains("audit_log") || out.stderr.contains("audit_log"),
        "{}{}",
        out.stdout,
        out.stderr
    );
    std::fs::write(
        &config,
        std::fs::read_to_string(&config).unwrap()
            + "exclude = [\"legacy_*\", \"audit_?og\", \"citext\"]\n",
    )
    .unwrap();
    let out = p.ok(&["check", "--database-url", url]);
    assert!(
        out.stdout.contains("No new upgrade operations detected"),
        "{}",
        out.stdout
    );
    let out = p.ok(&[
        "revision",
        "--autogenerate",
        "-m",
        "nothing",
        "--database-url",
        url,
    ]);
    assert!(
        out.stdout.contains("No changes in schema detected"),
        "{}",
        out.stdout
    );
}

#[test]
fn excluded_tables_are_left_alone_on_sqlite() {
    let p = Project::init();
    let url = format!("sqlite://{}?mode=rwc", p.path().join("app.db").display());
    excluded_tables(
        &p,
        &url,
        "sqlite",
        "CREATE TABLE legacy_orders (id INTEGER PRIMARY KEY); CREATE TABLE audit_log (id INTEGER);",
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn excluded_tables_and_extension_members_are_left_alone_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || {
        let p = Project::init();
        // A table, domain, type or sequence that an extension owns (as
        // PostGIS owns spatial_ref_sys) is never compared, with or without
        // `exclude`; `exclude` takes domains, composite and range types,
        // sequences and extensions (`citext`) out as it takes tables.
        excluded_tables(
            &p,
            &url,
            "postgres",
            "CREATE TABLE legacy_orders (id integer PRIMARY KEY); CREATE TABLE audit_log (id integer); \
             CREATE DOMAIN legacy_code AS text; CREATE TYPE legacy_pair AS (a int); \
             CREATE TYPE legacy_span AS RANGE (subtype = int4); CREATE SEQUENCE legacy_seq; \
             CREATE EXTENSION citext; CREATE TABLE owned_by_extension (id integer); \
             ALTER EXTENSION citext ADD TABLE owned_by_extension; \
             CREATE DOMAIN ext_domain AS integer; ALTER EXTENSION citext ADD DOMAIN ext_domain; \
             CREATE TYPE ext_pair AS (a int); ALTER EXTENSION citext ADD TYPE ext_pair; \
             CREATE SEQUENCE ext_seq; ALTER EXTENSION citext ADD SEQUENCE ext_seq;",
        );
        let out = p.ok(&["check", "--database-url", &url]);
        assert!(!out.stdout.contains("owned_by_extension"), "{}", out.stdout);
        // Without `exclude`, the hand-made kinds are differences; what the
        // extension owns is still not.
        let config = p.path().join("migrate.toml");
        let text = std::fs::read_to_string(&config).unwrap();
        let without: String = text
            .lines()
            .filter(|l| !l.starts_with("exclude"))
            .map(|l| format!("{l}\n"))
            .collect();
        std::fs::write(&config, without).unwrap();
        let out = p.fails(&["check", "--database-url", &url], 1, "");
        for kind in [
            "drop domain legacy_code",
            "drop type legacy_pair",
            "drop range type legacy_span",
            "drop sequence legacy_seq",
            "drop extension citext",
        ] {
            assert!(out.stderr.contains(kind), "{kind}: {}", out.stderr);
        }
        for owned in ["ext_domain", "ext_pair", "ext_seq", "owned_by_extension"] {
            assert!(!out.stderr.contains(owned), "{owned}: {}", out.stderr);
        }
    })
    .await
    .unwrap();
}
