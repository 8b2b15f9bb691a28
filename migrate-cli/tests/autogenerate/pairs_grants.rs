//! Privileges (`compare_grants = true` in migrate.toml) through the whole
//! loop on PostgreSQL, and the default (off) making no noise.
//!
//! Roles are cluster-wide and outlive a test: each test creates the roles
//! it needs if they do not exist yet ([`ensure_roles`]), never drops them,
//! and grants only inside its own fresh database, so tests running at the
//! same time or one after another do not disturb each other.

use migrate_core::Dialect;
use migrate_runtime::testing::{SchemaMatch, schema_differences};

use crate::{Db, Pool, Project, TestDb, generated_path};

/// A role that only reads.
pub const READER: &str = "migrate_grants_reader";
/// A role that writes.
pub const WRITER: &str = "migrate_grants_writer";
/// A role whose name must be quoted (`"Migrate Grants Odd"`).
pub const ODD: &str = "Migrate Grants Odd";

/// Creates the test roles unless they exist. Two sessions creating the same
/// role at once: one fails with `unique_violation`, which counts as done.
pub async fn ensure_roles(pool: &Pool) {
    for role in [READER, WRITER, ODD] {
        let quoted = format!("\"{role}\"");
        pool.exec(&format!(
            "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN \
             CREATE ROLE {quoted} NOLOGIN; END IF; \
             EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END $$;"
        ))
        .await;
    }
}

/// The differences between the database and `declared`, privileges
/// included (empty when equal), through the library's
/// `schema_differences` as an application's tests would call it.
async fn differences(pool: &Pool, declared: &str) -> Vec<String> {
    let Pool::Pg(p) = pool else {
        panic!("privileges are compared on PostgreSQL only");
    };
    let mut options = SchemaMatch::new(Dialect::Postgres);
    options.diff.compare_grants = true;
    options.introspect.grants = true;
    schema_differences(p, declared, &options)
        .await
        .unwrap_or_else(|e| panic!("compare with {declared}: {e}"))
        .iter()
        .map(|c| c.summary())
        .collect()
}

/// One pair A → B with `compare_grants = true`.
struct Case<'a> {
    a: &'a str,
    b: &'a str,
    seed: &'a str,
    /// `(query, value)`: single-integer queries checked after the upgrade.
    after: &'a [(&'a str, i64)],
    /// Text the generated revision must contain.
    expect: &'a [&'a str],
}

/// The whole loop: apply A, write B, autogenerate, upgrade, check clean,
/// the database reads back as B (privileges included), rows survive, a
/// second autogenerate finds nothing, `downgrade -1` gives back A.
async fn run(case: Case<'_>) {
    let database = TestDb::fresh(Db::Pg).await;
    let pool = database.pool().await;
    ensure_roles(&pool).await;
    let p = Project::new(Db::Pg, database.url(), "compare_grants = true\n");
    p.revision("a", case.a, None);
    p.ok(&["upgrade", "head"]);
    if !case.seed.is_empty() {
        pool.exec(case.seed).await;
    }
    assert_eq!(
        differences(&pool, case.a).await,
        Vec::<String>::new(),
        "A does not read back as itself"
    );

    p.write_schema(case.b);
    let out = p.ok(&["revision", "--autogenerate", "-m", "x"]);
    let file = p.path().join(generated_path(&out));
    let text = std::fs::read_to_string(&file).expect("read the generated revision");
    assert!(
        out.stdout.contains("  Detected "),
        "no change listed:\n{}",
        out.stdout
    );
    for needle in case.expect {
        assert!(
            text.contains(needle),
            "the revision lacks {needle:?}:\n{text}"
        );
    }
    p.assert_loads();

    p.ok(&["upgrade", "head"]);
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    assert_eq!(
        differences(&pool, case.b).await,
        Vec::<String>::new(),
        "after upgrade the database is not B; revision:\n{text}"
    );
    // The comparison sees the privileges: the database is no longer A.
    assert_ne!(
        differences(&pool, case.a).await,
        Vec::<String>::new(),
        "after upgrade the database still reads as A"
    );
    for (query, expected) in case.after {
        assert_eq!(
            pool.int(query).await,
            *expected,
            "{query}\nrevision:\n{text}"
        );
    }
    let again = p.ok(&["revision", "--autogenerate", "-m", "again"]);
    assert!(
        again.stdout.contains("No changes in schema detected."),
        "{}",
        again.stdout
    );

    p.ok(&["downgrade", "-1"]);
    assert_eq!(
        differences(&pool, case.a).await,
        Vec::<String>::new(),
        "after downgrade the database is not A; revision:\n{text}"
    );
    pool.close().await;
}

#[tokio::test]
async fn grant_select_to_a_role() {
    run(Case {
        a: "CREATE TABLE t (id int PRIMARY KEY, a text);",
        b: "CREATE TABLE t (id int PRIMARY KEY, a text);
GRANT SELECT ON TABLE t TO migrate_grants_reader;
GRANT SELECT, INSERT, UPDATE (a) ON t TO \"Migrate Grants Odd\";",
        seed: "INSERT INTO t VALUES (1, 'x');",
        after: &[(
            "SELECT count(*) FROM t WHERE has_table_privilege('migrate_grants_reader', 't', 'SELECT')",
            1,
        )],
        expect: &[
            "GRANT SELECT ON TABLE t TO migrate_grants_reader;",
            "GRANT UPDATE (a) ON TABLE t TO \"Migrate Grants Odd\";",
            "REVOKE SELECT ON TABLE t FROM migrate_grants_reader;",
        ],
    })
    .await;
}

#[tokio::test]
async fn grant_option_added() {
    run(Case {
        a: "CREATE TABLE t (id int PRIMARY KEY);
GRANT SELECT, INSERT ON t TO migrate_grants_writer;",
        b: "CREATE TABLE t (id int PRIMARY KEY);
GRANT SELECT ON t TO migrate_grants_writer WITH GRANT OPTION;
GRANT INSERT ON t TO migrate_grants_writer;",
        seed: "INSERT INTO t VALUES (1);",
        after: &[("SELECT count(*) FROM t", 1)],
        expect: &[
            "GRANT SELECT ON TABLE t TO migrate_grants_writer WITH GRANT OPTION;",
            "REVOKE GRANT OPTION FOR SELECT ON TABLE t FROM migrate_grants_writer;",
        ],
    })
    .await;
}

#[tokio::test]
async fn revoke_from_public() {
    run(Case {
        a: "CREATE TABLE t (id int PRIMARY KEY);
GRANT SELECT, INSERT, DELETE ON t TO PUBLIC;",
        // As pg_dump folds them: all of it, taken back, then one given.
        b: "CREATE TABLE t (id int PRIMARY KEY);
GRANT ALL ON TABLE t TO PUBLIC;
REVOKE ALL ON TABLE t FROM PUBLIC;
GRANT SELECT ON TABLE t TO PUBLIC;",
        seed: "INSERT INTO t VALUES (1);",
        after: &[("SELECT count(*) FROM t", 1)],
        expect: &[
            "REVOKE INSERT ON TABLE t FROM PUBLIC;",
            "REVOKE DELETE ON TABLE t FROM PUBLIC;",
        ],
    })
    .await;
}

#[tokio::test]
async fn sequence_usage() {
    run(Case {
        a: "CREATE SEQUENCE ticket;
CREATE TABLE t (id serial PRIMARY KEY, n bigint DEFAULT nextval('ticket'));",
        b: "CREATE SEQUENCE ticket;
CREATE TABLE t (id serial PRIMARY KEY, n bigint DEFAULT nextval('ticket'));
GRANT USAGE ON SEQUENCE ticket TO migrate_grants_writer;
GRANT SELECT, USAGE ON SEQUENCE t_id_seq TO migrate_grants_writer;
GRANT INSERT ON t TO migrate_grants_writer;",
        seed: "INSERT INTO t DEFAULT VALUES;",
        after: &[("SELECT count(*) FROM t", 1)],
        expect: &[
            "GRANT USAGE ON SEQUENCE ticket TO migrate_grants_writer;",
            "GRANT SELECT ON SEQUENCE t_id_seq TO migrate_grants_writer;",
        ],
    })
    .await;
}

#[tokio::test]
async fn view_recreated_by_a_column_change_keeps_its_grants() {
    run(Case {
        a: "CREATE TABLE t (id int PRIMARY KEY, score int);
CREATE VIEW v AS SELECT id, score FROM t;
CREATE MATERIALIZED VIEW m AS SELECT id, score FROM t;
GRANT SELECT ON v, m TO migrate_grants_reader;
GRANT SELECT ON v TO PUBLIC;",
        b: "CREATE TABLE t (id int PRIMARY KEY, score bigint);
CREATE VIEW v AS SELECT id, score FROM t;
CREATE MATERIALIZED VIEW m AS SELECT id, score FROM t;
GRANT SELECT ON v, m TO migrate_grants_reader;
GRANT SELECT ON v TO PUBLIC;",
        seed: "INSERT INTO t VALUES (1, 2);",
        after: &[("SELECT count(*) FROM v WHERE score = 2", 1)],
        expect: &[
            "DROP VIEW v;",
            "GRANT SELECT ON TABLE v TO migrate_grants_reader;",
            "GRANT SELECT ON TABLE m TO migrate_grants_reader;",
            "GRANT SELECT ON TABLE v TO PUBLIC;",
        ],
    })
    .await;
}

#[tokio::test]
async fn new_and_dropped_tables_with_grants() {
    run(Case {
        a: "CREATE TABLE keep (id int PRIMARY KEY);
CREATE TABLE old (id int PRIMARY KEY, note text);
GRANT SELECT, UPDATE (note) ON old TO migrate_grants_reader;",
        b: "CREATE TABLE keep (id int PRIMARY KEY);
CREATE TABLE fresh (id int PRIMARY KEY, note text);
GRANT SELECT (note), DELETE ON fresh TO migrate_grants_reader;",
        seed: "INSERT INTO keep VALUES (1);",
        after: &[("SELECT count(*) FROM keep", 1)],
        expect: &[
            "GRANT SELECT (note) ON TABLE fresh TO migrate_grants_reader;",
            "REVOKE UPDATE (note) ON TABLE old FROM migrate_grants_reader;",
        ],
    })
    .await;
}

#[tokio::test]
async fn routines_revoked_from_public_granted_and_recreated() {
    run(Case {
        a: "CREATE FUNCTION bump(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n + 1';
CREATE PROCEDURE reset(INOUT n integer DEFAULT 0) LANGUAGE sql AS 'SELECT 0';
CREATE FUNCTION twice(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n * 2';
REVOKE ALL ON FUNCTION twice(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION twice(integer) TO migrate_grants_reader;",
        // `twice` gets another result type: dropped and created again,
        // which gives it the default privileges back.
        b: "CREATE FUNCTION bump(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n + 1';
CREATE PROCEDURE reset(INOUT n integer DEFAULT 0) LANGUAGE sql AS 'SELECT 0';
CREATE FUNCTION twice(n integer) RETURNS bigint LANGUAGE sql AS 'SELECT n * 2';
REVOKE ALL ON FUNCTION bump(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION public.bump(n integer) TO migrate_grants_reader;
GRANT ALL ON PROCEDURE reset(int) TO \"Migrate Grants Odd\";
REVOKE ALL ON FUNCTION twice(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION twice(integer) TO migrate_grants_reader;",
        seed: "",
        after: &[(
            "SELECT count(*) FROM pg_proc WHERE proname = 'bump' \
             AND NOT has_function_privilege('public', oid, 'EXECUTE')",
            1,
        )],
        expect: &[
            "REVOKE EXECUTE ON ROUTINE bump(integer) FROM PUBLIC;",
            "GRANT EXECUTE ON ROUTINE reset(integer) TO \"Migrate Grants Odd\";",
            "DROP FUNCTION twice(integer);",
        ],
    })
    .await;
}

#[tokio::test]
async fn every_code_object_with_grants_from_nothing_is_zero_noise() {
    let b = format!(
        "{}
CREATE SEQUENCE ticket;
GRANT SELECT, INSERT ON TABLE users TO migrate_grants_writer;
GRANT UPDATE (name) ON TABLE users TO migrate_grants_writer WITH GRANT OPTION;
GRANT SELECT ON TABLE audit TO PUBLIC;
GRANT SELECT ON TABLE good_users, top_users TO migrate_grants_reader;
GRANT SELECT ON TABLE score_totals TO \"Migrate Grants Odd\";
GRANT USAGE ON SEQUENCE ticket TO migrate_grants_writer;
REVOKE ALL ON FUNCTION log_user() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION add_points(integer, integer) TO migrate_grants_reader;
GRANT EXECUTE ON PROCEDURE reset_scores(numeric, integer) TO migrate_grants_writer;",
        crate::pairs::ALL_CODE_OBJECTS_PG.b
    );
    run(Case {
        a: "",
        b: &b,
        seed: "",
        after: &[],
        expect: &["GRANT USAGE ON SEQUENCE ticket TO migrate_grants_writer;"],
    })
    .await;
}

/// Everything the comparison reads, in one schema.sql, from nothing: every
/// kind of `pairs_kinds` (extensions, domains, types, sequences,
/// partitioned tables), every table detail of the table-details case
/// (exclusion constraints among them), every code object (views,
/// routines, triggers) and privileges on each kind that has them. The
/// second autogenerate and `check` must find nothing.
#[tokio::test]
async fn everything_at_once_with_grants_is_zero_noise() {
    let details = crate::pairs::ZERO_NOISE
        .b
        .replace("CREATE TABLE keep (id INTEGER PRIMARY KEY);", "");
    let b = format!(
        "{}
{details}
{}
GRANT SELECT, INSERT ON TABLE users TO migrate_grants_writer;
GRANT SELECT ON TABLE visits, kids TO migrate_grants_reader;
GRANT UPDATE (name) ON TABLE kids TO \"Migrate Grants Odd\";
GRANT SELECT ON TABLE good_users, score_totals TO PUBLIC;
GRANT USAGE ON SEQUENCE ticket TO migrate_grants_writer;
REVOKE ALL ON FUNCTION log_user() FROM PUBLIC;
GRANT EXECUTE ON PROCEDURE reset_scores(numeric, integer) TO migrate_grants_writer;",
        crate::pairs_kinds::ALL_KINDS.b,
        crate::pairs::ALL_CODE_OBJECTS_PG.b
    );
    run(Case {
        a: "",
        b: &b,
        seed: "",
        after: &[],
        expect: &[
            "PARTITION BY RANGE (at)",
            "EXCLUDE USING gist",
            "GRANT USAGE ON SEQUENCE ticket TO migrate_grants_writer;",
        ],
    })
    .await;
}

/// Off (the default): grants in schema.sql and on the server are left
/// alone, whatever they are.
#[tokio::test]
async fn off_by_default_grants_make_no_noise() {
    let database = TestDb::fresh(Db::Pg).await;
    let pool = database.pool().await;
    ensure_roles(&pool).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision(
        "a",
        "CREATE TABLE t (id int PRIMARY KEY);
CREATE VIEW v AS SELECT id FROM t;
GRANT SELECT, DELETE ON t TO migrate_grants_reader;
GRANT SELECT ON v TO PUBLIC;",
        None,
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema(
        "CREATE TABLE t (id int PRIMARY KEY);
CREATE VIEW v AS SELECT id FROM t;
GRANT INSERT ON t TO migrate_grants_writer WITH GRANT OPTION;
REVOKE ALL ON v FROM PUBLIC;",
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    assert!(!check.stderr.contains("compare_grants"), "{}", check.stderr);
    pool.close().await;
}

/// On: a difference is found and fails `check`; `check --offline` leaves
/// privileges out (the fold does not model them) and says so.
#[tokio::test]
async fn on_check_fails_and_offline_leaves_grants_out_with_a_note() {
    let database = TestDb::fresh(Db::Pg).await;
    let pool = database.pool().await;
    ensure_roles(&pool).await;
    let p = Project::new(Db::Pg, database.url(), "compare_grants = true\n");
    p.revision(
        "a",
        "CREATE TABLE t (id int PRIMARY KEY);
GRANT SELECT ON t TO migrate_grants_reader;",
        None,
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema("CREATE TABLE t (id int PRIMARY KEY);");
    let out = p.fails(
        &["check"],
        1,
        "revoke SELECT on t from migrate_grants_reader",
    );
    assert!(!out.stdout.contains("No new upgrade"), "{}", out.stdout);
    // A shadow database built from the migrations holds the same grant.
    p.fails(
        &["check", "--shadow"],
        1,
        "revoke SELECT on t from migrate_grants_reader",
    );
    let offline = p.run_with(&["check", "--offline"], None);
    assert_eq!(
        offline.code, 0,
        "--- stdout\n{}--- stderr\n{}",
        offline.stdout, offline.stderr
    );
    assert!(
        offline.stderr.contains(
            "the fold does not model privileges: --offline leaves them out on both sides"
        ),
        "{}",
        offline.stderr
    );
    // An undeclared object in a GRANT is an error at its line.
    p.write_schema("CREATE TABLE t (id int PRIMARY KEY);\nGRANT SELECT ON nope TO PUBLIC;");
    p.fails(&["check"], 1, "schema.sql:2:1: privileges on nope");
    pool.close().await;
}

/// SQLite has no privileges: the key is ignored, with a note.
#[tokio::test]
async fn sqlite_ignores_compare_grants_with_a_note() {
    let database = TestDb::fresh(Db::Sqlite).await;
    let p = Project::new(Db::Sqlite, database.url(), "compare_grants = true\n");
    p.revision("a", "CREATE TABLE t (id INTEGER PRIMARY KEY);", None);
    p.ok(&["upgrade", "head"]);
    p.write_schema("CREATE TABLE t (id INTEGER PRIMARY KEY);");
    let out = p.ok(&["check"]);
    assert!(
        out.stderr
            .contains("compare_grants is ignored on SQLite, which has no privileges"),
        "{}",
        out.stderr
    );
}

/// `exclude` applies to privileges as to the objects they are on.
#[tokio::test]
async fn exclude_leaves_the_privileges_of_excluded_objects_alone() {
    let database = TestDb::fresh(Db::Pg).await;
    let pool = database.pool().await;
    ensure_roles(&pool).await;
    let p = Project::new(
        Db::Pg,
        database.url(),
        "compare_grants = true\nexclude = [\"legacy_*\"]\n",
    );
    p.revision(
        "a",
        "CREATE TABLE t (id int PRIMARY KEY);
CREATE TABLE legacy_t (id int PRIMARY KEY);
GRANT SELECT ON legacy_t TO migrate_grants_reader;",
        None,
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema(
        "CREATE TABLE t (id int PRIMARY KEY);
CREATE TABLE legacy_t (id int PRIMARY KEY);
GRANT INSERT ON legacy_t TO migrate_grants_writer;",
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    // The same file without the exclusion: the difference is found.
    p.write_schema(
        "CREATE TABLE t (id int PRIMARY KEY);
GRANT INSERT ON t TO migrate_grants_writer;",
    );
    p.fails(&["check"], 1, "grant INSERT on t to migrate_grants_writer");
    pool.close().await;
}
