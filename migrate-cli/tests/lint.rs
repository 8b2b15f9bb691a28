//! `migrate lint`: the build's findings as text, JSON and SARIF, exit 1 on
//! an error-level finding and 0 on warnings alone; the example app's
//! directory is lint-clean.

#[path = "support/run.rs"]
mod run;

use run::migrate;

/// A PostgreSQL project: users, then `upgrade` in a second revision with
/// the extra `header` lines.
fn project(header: &str, upgrade: &str) -> tempfile::TempDir {
    two_revisions(
        "CREATE TABLE users (id bigint PRIMARY KEY, org bigint, email text);",
        header,
        upgrade,
    )
}

/// A PostgreSQL project of two revisions: `first`, then `second` with the
/// extra `header` lines.
fn two_revisions(first: &str, header: &str, second: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("migrate.toml"),
        "directory = \"migrations\"\ndialect = \"postgres\"\n",
    )
    .unwrap();
    let m = dir.path().join("migrations");
    std::fs::create_dir(&m).unwrap();
    std::fs::write(
        m.join("2025_01_01_0000-a1a1a1a1a1a1_first.sql"),
        format!(
            "-- revision: a1a1a1a1a1a1\n-- down_revision: none\n\n-- migrate:upgrade\n{first}\n"
        ),
    )
    .unwrap();
    std::fs::write(
        m.join("2025_01_02_0000-b2b2b2b2b2b2_change.sql"),
        format!(
            "-- revision: b2b2b2b2b2b2\n-- down_revision: a1a1a1a1a1a1\n{header}\n-- migrate:upgrade\n{second}\n"
        ),
    )
    .unwrap();
    dir
}

#[test]
fn an_error_exits_1_at_its_line_in_text_json_and_sarif() {
    let dir = project(
        "",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);",
    );
    let out = migrate(dir.path(), &["lint"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("error: migrations/2025_01_02_0000-b2b2b2b2b2b2_change.sql:5:1: CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{}",
        out.stdout
    );
    assert!(out.stdout.contains("[non-transactional]"), "{}", out.stdout);
    assert!(
        out.stderr.contains("1 error found by the lint"),
        "{}",
        out.stderr
    );

    let out = migrate(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.starts_with("[{\"rule\":\"non-transactional\",\"level\":\"error\",\"path\":\"migrations/2025_01_02_0000-b2b2b2b2b2b2_change.sql\",\"line\":5,\"column\":1,\"revision\":\"b2b2b2b2b2b2\",\"section\":\"upgrade\",\"message\":\"CREATE INDEX CONCURRENTLY"),
        "{}",
        out.stdout
    );

    let out = migrate(dir.path(), &["lint", "--format", "sarif"]);
    assert_eq!(out.code, 1);
    assert!(
        out.stdout.contains("\"version\":\"2.1.0\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("\"ruleId\":\"non-transactional\",\"ruleIndex\":4,\"level\":\"error\""),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("\"artifactLocation\":{\"uri\":\"migrations/2025_01_02_0000-b2b2b2b2b2b2_change.sql\"},\"region\":{\"startLine\":5,\"startColumn\":1}"),
        "{}",
        out.stdout
    );
}

#[test]
fn warnings_alone_exit_0_and_a_non_transactional_revision_is_clean() {
    let dir = project(
        "",
        "ALTER TABLE users ADD CONSTRAINT users_org_fkey FOREIGN KEY (org) REFERENCES users (id);",
    );
    let out = migrate(dir.path(), &["lint"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .contains("warning: migrations/2025_01_02_0000-b2b2b2b2b2b2_change.sql:5:1: ADD FOREIGN KEY without NOT VALID"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout
            .contains("add it NOT VALID, then VALIDATE CONSTRAINT"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("No errors in migrations (1 warning)"),
        "{}",
        out.stdout
    );

    let dir = project(
        "-- transactional: false",
        "CREATE INDEX CONCURRENTLY users_email ON users (email);",
    );
    let out = migrate(dir.path(), &["lint", "--format", "json"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert_eq!(out.stdout.trim(), "[]");
}

#[test]
fn the_example_app_is_lint_clean() {
    let out = migrate(&migrate_tests::workspace_root(), &["lint"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(out.stdout.contains("(0 warnings)"), "{}", out.stdout);
}

/// What the lint reports as an error is what PostgreSQL 15 refuses: the
/// revision the lint fails fails `migrate upgrade`, and with
/// `-- transactional: false` both accept it.
#[tokio::test]
async fn an_error_of_the_lint_fails_the_upgrade_on_postgres() {
    let sql = "CREATE INDEX CONCURRENTLY users_email ON users (email);";
    let db = migrate_tests::fresh_pg_db().await;
    let dir = project("", sql);
    let up = migrate(dir.path(), &["--database-url", &db.url, "upgrade", "head"]);
    assert_eq!(up.code, 1, "{}{}", up.stdout, up.stderr);
    assert!(
        up.stderr
            .contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"),
        "{}",
        up.stderr
    );
    let db = migrate_tests::fresh_pg_db().await;
    let dir = project("-- transactional: false", sql);
    let up = migrate(dir.path(), &["--database-url", &db.url, "upgrade", "head"]);
    assert_eq!(up.code, 0, "{}{}", up.stdout, up.stderr);
}

/// Every statement `non-transactional` names, and the failures that
/// `add-not-null-column`, `narrowing-type` and `enum-value-removed` claim,
/// as PostgreSQL 15
/// answers them inside a transaction, on a table with a row.
#[tokio::test]
async fn the_failures_the_lint_claims_are_postgres_s() {
    let (_db, mut conn) = database_with(
        "CREATE TABLE users (id bigint PRIMARY KEY, name varchar(20), email text);\n\
         INSERT INTO users VALUES (1, 'a name of 16 ch.', 'a@example.com');\n\
         CREATE TYPE mood AS ENUM ('ok');\n\
         CREATE TYPE status AS ENUM ('draft', 'published', 'archived');\n\
         CREATE TABLE posts (id bigint PRIMARY KEY, status status);\n\
         INSERT INTO posts VALUES (1, 'archived');\n\
         CREATE TABLE p (a int) PARTITION BY RANGE (a);\n\
         CREATE TABLE p1 PARTITION OF p FOR VALUES FROM (0) TO (10);",
    )
    .await;
    for (sql, refused) in [
        (
            "CREATE INDEX CONCURRENTLY users_email ON users (email)",
            "CREATE INDEX CONCURRENTLY cannot run inside a transaction block",
        ),
        (
            "DROP INDEX CONCURRENTLY IF EXISTS users_email",
            "DROP INDEX CONCURRENTLY cannot run inside a transaction block",
        ),
        (
            "REINDEX TABLE CONCURRENTLY users",
            "REINDEX CONCURRENTLY cannot run inside a transaction block",
        ),
        (
            "VACUUM users",
            "VACUUM cannot run inside a transaction block",
        ),
        (
            "ALTER SYSTEM SET work_mem = '64MB'",
            "ALTER SYSTEM cannot run inside a transaction block",
        ),
        (
            "CREATE DATABASE lint_never_made",
            "CREATE DATABASE cannot run inside a transaction block",
        ),
        (
            "ALTER TABLE p DETACH PARTITION p1 CONCURRENTLY",
            "DETACH CONCURRENTLY cannot run inside a transaction block",
        ),
        (
            "ALTER TABLE users ADD COLUMN tier int NOT NULL",
            "column \"tier\" of relation \"users\" contains null values",
        ),
        (
            "ALTER TABLE users ALTER COLUMN name TYPE varchar(10)",
            "value too long for type character varying(10)",
        ),
        (
            "ALTER TYPE status RENAME TO status_old; \
             CREATE TYPE status AS ENUM ('draft', 'published'); \
             ALTER TABLE posts ALTER COLUMN status TYPE status USING status::text::status",
            "invalid input value for enum status: \"archived\"",
        ),
    ] {
        let e = sqlx::raw_sql(&format!("BEGIN; {sql}; ROLLBACK"))
            .execute(&mut conn)
            .await
            .expect_err(sql)
            .to_string();
        assert!(e.contains(refused), "{sql}: {e}");
        sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
    }
    // From PostgreSQL 12 on, ADD VALUE runs in a transaction.
    sqlx::raw_sql("BEGIN; ALTER TYPE mood ADD VALUE 'sad'; ROLLBACK")
        .execute(&mut conn)
        .await
        .unwrap();
}

/// Events partitioned by year, with a default partition holding a row, and
/// a table of 2025's rows to attach.
const PARTITIONED: &str = "CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_default PARTITION OF events DEFAULT;\n\
INSERT INTO events VALUES (1, '2030-01-01');\n\
CREATE TABLE events_2025 (id bigint, at date NOT NULL);\n\
INSERT INTO events_2025 SELECT g, date '2025-01-01' + g % 300 FROM generate_series(1, 1000) g;";

const ATTACH_2025: &str = "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');";
const PROVE_2025: &str = "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (at >= '2025-01-01' AND at < '2026-01-01');";
const DEFAULT_EXCLUDES: &str = "ALTER TABLE events_default ADD CONSTRAINT events_default_range CHECK (at < '2025-01-01' OR at >= '2028-01-01');";

/// The tables `partition-scan` names in what `migrate lint` reports on
/// `change` after `setup`.
fn claimed_scans(setup: &str, change: &str) -> std::collections::BTreeSet<String> {
    let stdout = lint_text(setup, change);
    let mut tables = std::collections::BTreeSet::new();
    for line in stdout.lines().filter(|l| l.contains("[partition-scan]")) {
        assert!(line.contains("b2b2b2b2b2b2"), "{line}");
        let table = [
            "checks every row of table ",
            "checks every row of its default partition ",
        ]
        .iter()
        .find_map(|p| line.split(p).nth(1))
        .and_then(|rest| rest.split(' ').next())
        .unwrap_or_else(|| panic!("no table named in {line}"));
        tables.insert(table.to_owned());
    }
    tables
}

/// The tables of `setup` that `change` scans on PostgreSQL 15: their
/// sequential scans in the change's transaction, from
/// `pg_stat_xact_user_tables`, before and after it (rolled back).
async fn server_scans(setup: &str, change: &str) -> std::collections::BTreeSet<String> {
    let (_db, mut conn) = database_with(setup).await;
    let existing: Vec<String> = sqlx::query_scalar("SELECT relname::text FROM pg_stat_user_tables")
        .fetch_all(&mut conn)
        .await
        .unwrap();
    let scans = "SELECT relname::text, seq_scan FROM pg_stat_xact_user_tables";
    sqlx::raw_sql("BEGIN").execute(&mut conn).await.unwrap();
    let before: Vec<(String, i64)> = sqlx::query_as(scans).fetch_all(&mut conn).await.unwrap();
    sqlx::raw_sql(change).execute(&mut conn).await.unwrap();
    let after: Vec<(String, i64)> = sqlx::query_as(scans).fetch_all(&mut conn).await.unwrap();
    sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
    after
        .into_iter()
        .filter(|(table, n)| {
            existing.contains(table)
                && before
                    .iter()
                    .find(|(t, _)| t == table)
                    .map_or(0, |(_, m)| *m)
                    < *n
        })
        .map(|(table, _)| table)
        .collect()
}

/// What `partition-scan` claims is what PostgreSQL 15 does: each table it
/// names is scanned by the statement, and no other table that existed
/// before it.
#[tokio::test]
async fn the_scans_partition_scan_claims_are_postgres_s() {
    let create_2027 = "CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');";
    let like_2026 = "CREATE TABLE events_2026 (LIKE events INCLUDING ALL);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    let not_valid = PROVE_2025.replace(");", ") NOT VALID;");
    let weak = "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_id CHECK (id > 0);";
    let wider = "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (at >= '2024-01-01' AND at < '2026-01-01');";
    let narrower_turned = "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK ('2025-01-01' <= at AND at <= '2025-12-30' AND id > 0);";
    let default_overlaps = "ALTER TABLE events_default ADD CONSTRAINT events_default_range CHECK (at < '2025-06-01' OR at >= '2028-01-01');";
    let default_later = "ALTER TABLE events_default ADD CONSTRAINT events_default_later CHECK (at >= '2026-01-01');";
    let cases: [(String, &str, &[&str]); 13] = [
        (
            format!("{PARTITIONED}\n{PROVE_2025}\n{default_overlaps}"),
            ATTACH_2025,
            &["events_default"],
        ),
        (
            format!("{PARTITIONED}\n{PROVE_2025}\n{default_later}"),
            ATTACH_2025,
            &[],
        ),
        (
            format!("{PARTITIONED}\n{default_later}"),
            create_2027,
            &["events_default"],
        ),
        (
            format!("{PARTITIONED}\n{wider}\n{DEFAULT_EXCLUDES}"),
            ATTACH_2025,
            &["events_2025"],
        ),
        (
            format!("{PARTITIONED}\n{narrower_turned}\n{DEFAULT_EXCLUDES}"),
            ATTACH_2025,
            &[],
        ),
        (
            PARTITIONED.to_owned(),
            ATTACH_2025,
            &["events_2025", "events_default"],
        ),
        (
            format!("{PARTITIONED}\n{PROVE_2025}"),
            ATTACH_2025,
            &["events_default"],
        ),
        (
            format!("{PARTITIONED}\n{DEFAULT_EXCLUDES}"),
            ATTACH_2025,
            &["events_2025"],
        ),
        (
            format!("{PARTITIONED}\n{PROVE_2025}\n{DEFAULT_EXCLUDES}"),
            ATTACH_2025,
            &[],
        ),
        (
            format!("{PARTITIONED}\n{not_valid}\n{DEFAULT_EXCLUDES}"),
            ATTACH_2025,
            &["events_2025"],
        ),
        (
            format!("{PARTITIONED}\n{weak}\n{DEFAULT_EXCLUDES}"),
            ATTACH_2025,
            &["events_2025"],
        ),
        (PARTITIONED.to_owned(), create_2027, &["events_default"]),
        (format!("{PARTITIONED}\n{DEFAULT_EXCLUDES}"), like_2026, &[]),
    ];
    for (setup, change, expected) in &cases {
        let expected: std::collections::BTreeSet<String> =
            expected.iter().map(|t| (*t).to_owned()).collect();
        assert_eq!(
            server_scans(setup, change).await,
            expected,
            "PostgreSQL's scans of {change}\nafter\n{setup}"
        );
        assert_eq!(
            claimed_scans(setup, change),
            expected,
            "the lint's claims on {change}\nafter\n{setup}"
        );
    }
    // A default partition with no row is scanned all the same.
    let empty = PARTITIONED.replace("INSERT INTO events VALUES (1, '2030-01-01');\n", "");
    assert_eq!(
        server_scans(&empty, create_2027).await,
        ["events_default".to_owned()].into()
    );
}

/// What `migrate lint` reports for `change` after `setup`, as text.
fn lint_text(setup: &str, change: &str) -> String {
    let dir = two_revisions(setup, "", change);
    migrate(dir.path(), &["lint"]).stdout
}

/// The names listed, `, `-separated, between `before` and `after` in the
/// findings of `rule` in `text`.
fn listed<'a>(text: &'a str, rule: &str, before: &str, after: &str) -> Vec<&'a str> {
    let tag = format!("[{rule}]");
    text.lines()
        .filter(|l| l.contains(&tag))
        .filter_map(|l| l.split(before).nth(1))
        .filter_map(|rest| rest.split(after).next())
        .flat_map(|list| list.split(", "))
        .collect()
}

/// A fresh database on the test server where `setup` has run, and a
/// connection to it (the database lives as long as the first value).
async fn database_with(setup: &str) -> (migrate_tests::PgTestDb, sqlx::PgConnection) {
    use sqlx::Connection;
    let db = migrate_tests::fresh_pg_db().await;
    let mut conn = sqlx::PgConnection::connect(&db.url).await.unwrap();
    sqlx::raw_sql(setup).execute(&mut conn).await.unwrap();
    (db, conn)
}

/// The indexes `change` makes on `table` on PostgreSQL 15, in a
/// transaction rolled back.
async fn server_builds(setup: &str, change: &str, table: &str) -> usize {
    let (_db, mut conn) = database_with(setup).await;
    let count = "SELECT count(*) FROM pg_index WHERE indrelid = $1::regclass";
    let before: i64 = sqlx::query_scalar(count)
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql("BEGIN").execute(&mut conn).await.unwrap();
    sqlx::raw_sql(change).execute(&mut conn).await.unwrap();
    let after: i64 = sqlx::query_scalar(count)
        .bind(table)
        .fetch_one(&mut conn)
        .await
        .unwrap();
    sqlx::raw_sql("ROLLBACK").execute(&mut conn).await.unwrap();
    usize::try_from(after - before).unwrap()
}

/// The indexes `index-not-concurrent` says `ATTACH PARTITION` builds are
/// the ones PostgreSQL 15 builds.
#[tokio::test]
async fn the_indexes_attach_partition_builds_are_postgres_s() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n\
CREATE INDEX events_kind ON events (kind);\n\
CREATE INDEX events_kind_recent ON events (kind) WHERE at > '2025-06-01';\n\
CREATE TABLE events_2025 (id bigint NOT NULL, at date NOT NULL, kind text);\n\
INSERT INTO events_2025 SELECT g, date '2025-01-01' + g % 300, 'k' FROM generate_series(1, 1000) g;";
    let cases: [(String, &[&str]); 4] = [
        (
            base.to_owned(),
            &["events_pkey", "events_kind", "events_kind_recent"],
        ),
        (
            format!("{base}\nCREATE INDEX mine ON events_2025 (kind);"),
            &["events_pkey", "events_kind_recent"],
        ),
        (
            format!(
                "{base}\nALTER TABLE events_2025 ADD PRIMARY KEY (id, at);\nCREATE INDEX mine ON events_2025 (kind) WHERE at > '2025-06-01';"
            ),
            &["events_kind"],
        ),
        (
            format!(
                "{base}\nALTER TABLE events_2025 ADD PRIMARY KEY (id, at);\nCREATE INDEX mine ON events_2025 (kind);\nCREATE INDEX mine2 ON events_2025 (kind) WHERE at > '2025-06-01';"
            ),
            &[],
        ),
    ];
    for (setup, built) in &cases {
        assert_eq!(
            server_builds(setup, ATTACH_2025, "events_2025").await,
            built.len(),
            "PostgreSQL's builds after\n{setup}"
        );
        let text = lint_text(setup, ATTACH_2025);
        let claimed = listed(
            &text,
            "index-not-concurrent",
            "an index for each of ",
            " of events,",
        );
        assert_eq!(claimed, *built, "the lint's claims after\n{setup}\n{text}");
    }
}

/// What `partitioned-unsupported` claims PostgreSQL 15 refuses outside a
/// transaction it refuses (index builds and drops CONCURRENTLY, a key
/// column dropped or retyped, a concurrent detach beside a default
/// partition, a unique key without the partition key's columns), and the
/// way around it the fix gives runs.
#[tokio::test]
async fn the_refusals_partitioned_unsupported_claims_are_postgres_s() {
    let (_db, mut conn) = database_with(
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);\n\
         CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
         CREATE INDEX events_id ON events (id);\n\
         CREATE TABLE logs (at date NOT NULL) PARTITION BY RANGE (at);\n\
         CREATE TABLE logs_2025 PARTITION OF logs FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
         CREATE TABLE logs_default PARTITION OF logs DEFAULT;",
    )
    .await;
    for (sql, refused) in [
        (
            "CREATE INDEX CONCURRENTLY events_kind ON events (kind)",
            "cannot create index on partitioned table \"events\" concurrently",
        ),
        (
            "DROP INDEX CONCURRENTLY events_id",
            "cannot drop partitioned index \"events_id\" concurrently",
        ),
        (
            "ALTER TABLE events DROP COLUMN at",
            "cannot drop column \"at\" because it is part of the partition key",
        ),
        (
            "ALTER TABLE events ALTER COLUMN at TYPE timestamptz",
            "cannot alter column \"at\" because it is part of the partition key",
        ),
        (
            "ALTER TABLE logs DETACH PARTITION logs_2025 CONCURRENTLY",
            "cannot detach partitions concurrently when a default partition exists",
        ),
        (
            "ALTER TABLE events ADD PRIMARY KEY (id)",
            "unique constraint on partitioned table must include all partitioning columns",
        ),
        (
            "CREATE UNIQUE INDEX events_kind_u ON events (kind)",
            "unique constraint on partitioned table must include all partitioning columns",
        ),
        (
            "CREATE TABLE orders (id bigserial PRIMARY KEY, at date NOT NULL) PARTITION BY RANGE (at)",
            "unique constraint on partitioned table must include all partitioning columns",
        ),
    ] {
        let e = sqlx::raw_sql(sql)
            .execute(&mut conn)
            .await
            .expect_err(sql)
            .to_string();
        assert!(e.contains(refused), "{sql}: {e}");
    }
    // One statement at a time: several in one string run as one
    // transaction.
    for sql in [
        "CREATE INDEX events_kind ON ONLY events (kind)",
        "CREATE INDEX CONCURRENTLY events_2025_kind ON events_2025 (kind)",
        "ALTER INDEX events_kind ATTACH PARTITION events_2025_kind",
        // key-without-index's recipe for a partitioned table.
        "ALTER TABLE ONLY events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at)",
        "CREATE UNIQUE INDEX CONCURRENTLY events_2025_pkey_idx ON events_2025 (id, at)",
        "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_pkey PRIMARY KEY USING INDEX events_2025_pkey_idx",
        "ALTER INDEX events_pkey ATTACH PARTITION events_2025_pkey",
    ] {
        sqlx::raw_sql(sql).execute(&mut conn).await.unwrap();
    }
    for index in ["events_kind", "events_pkey"] {
        let valid: bool =
            sqlx::query_scalar("SELECT indisvalid FROM pg_index WHERE indexrelid = $1::regclass")
                .bind(index)
                .fetch_one(&mut conn)
                .await
                .unwrap();
        assert!(
            valid,
            "{index}: a partitioned index is valid once every partition's is attached"
        );
    }
}

/// A foreign key added to a partitioned table: PostgreSQL 15 refuses it
/// `NOT VALID`, checks the rows of each partition without a validated
/// equivalent of its own, and the lint names exactly those.
#[tokio::test]
async fn the_foreign_key_checks_on_a_partitioned_table_are_postgres_s() {
    let base = "CREATE TABLE devices (id bigint PRIMARY KEY);\n\
INSERT INTO devices SELECT generate_series(1, 10);\n\
CREATE TABLE events (id bigint NOT NULL, device_id bigint, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\n\
INSERT INTO events SELECT g, 1 + g % 10, date '2025-01-01' + g % 700 FROM generate_series(1, 1000) g;";
    let fk = "ALTER TABLE events ADD CONSTRAINT events_device_fk FOREIGN KEY (device_id) REFERENCES devices (id);";
    let proved = |p: &str| {
        format!(
            "ALTER TABLE {p} ADD CONSTRAINT events_device_fk FOREIGN KEY (device_id) REFERENCES devices (id) NOT VALID;\nALTER TABLE {p} VALIDATE CONSTRAINT events_device_fk;"
        )
    };
    let cases: [(String, &[&str]); 3] = [
        (base.to_owned(), &["events_2025", "events_2026"]),
        (
            format!("{base}\n{}", proved("events_2025")),
            &["events_2026"],
        ),
        (
            format!(
                "{base}\n{}\n{}",
                proved("events_2025"),
                proved("events_2026")
            ),
            &[],
        ),
    ];
    for (setup, checked) in &cases {
        let scanned: Vec<String> = server_scans(setup, fk)
            .await
            .into_iter()
            .filter(|t| t.starts_with("events"))
            .collect();
        assert_eq!(scanned, *checked, "PostgreSQL's scans after\n{setup}");
        let text = lint_text(setup, fk);
        let claimed = listed(
            &text,
            "constraint-not-valid",
            "checks every row of ",
            " under",
        );
        assert_eq!(
            claimed, *checked,
            "the lint's claims after\n{setup}\n{text}"
        );
    }
    // NOT VALID is refused, and the lint says so.
    let (_db, mut conn) = database_with(base).await;
    let not_valid = fk.replace(");", ") NOT VALID;");
    let e = sqlx::raw_sql(&not_valid)
        .execute(&mut conn)
        .await
        .expect_err("NOT VALID on a partitioned table")
        .to_string();
    assert!(
        e.contains("cannot add NOT VALID foreign key on partitioned table \"events\""),
        "{e}"
    );
    assert!(
        lint_text(base, &not_valid).contains("[partitioned-unsupported]"),
        "{}",
        lint_text(base, &not_valid)
    );
}
