//! What the schema fold finds, checked against PostgreSQL 15: histories
//! written like real ones, with the mistakes real ones make (an index
//! dropped under a name PostgreSQL did not give it, a constraint named after
//! a table's old name, a downgrade that drops in the wrong order, a column
//! added twice, a data statement with a typo, a downgrade that forgets a
//! default), are folded, then run statement by statement on a real server.
//!
//! The walk mirrors the fold: one transaction; each statement in a
//! savepoint, so that a failing one is recorded (file, line, SQLSTATE) and
//! skipped; each downgrade run on what its upgrade built and then rolled
//! back, with the schema introspected before the upgrade and after the
//! downgrade. The fold's findings must be exactly the server's failures,
//! each with a SQLSTATE of its rule, and its downgrade warnings exactly the
//! revisions whose downgrade leaves the schema different.

use std::collections::BTreeSet;

use migrate_core::{Dialect, DialectCheck, Migrations, Rule};
use migrate_runtime::introspect::{IntrospectOptions, introspect_postgres};
use migrate_schema::fold::{self, SectionKind};
use migrate_schema::{DiffOptions, diff};
use sqlx::{Connection as _, PgConnection};

/// One revision: its upgrade and its downgrade.
type Rev = (&'static str, &'static str);

/// A blog, diesel style: three mistakes on three tables.
const BLOG: &[Rev] = &[
    (
        "CREATE TABLE users (\n  id serial PRIMARY KEY,\n  email text NOT NULL UNIQUE,\n  name text\n);",
        "DROP TABLE users;",
    ),
    (
        "CREATE TABLE posts (\n  id serial PRIMARY KEY,\n  author_id int NOT NULL REFERENCES users (id),\n  title text NOT NULL,\n  published boolean NOT NULL DEFAULT false\n);\nCREATE INDEX ON posts (author_id);",
        "DROP INDEX posts_author_id_index;\nDROP TABLE posts;",
    ),
    (
        "CREATE TABLE tags (id serial PRIMARY KEY, label text NOT NULL);\nCREATE TABLE post_tags (\n  post_id int NOT NULL REFERENCES posts (id),\n  tag_id int NOT NULL REFERENCES tags (id),\n  PRIMARY KEY (post_id, tag_id)\n);",
        "DROP TABLE tags;\nDROP TABLE post_tags;",
    ),
    (
        "ALTER TABLE users RENAME TO accounts;",
        "ALTER TABLE accounts RENAME TO users;",
    ),
    (
        "ALTER TABLE accounts DROP CONSTRAINT accounts_email_key;\nCREATE UNIQUE INDEX accounts_lower_email_idx ON accounts (lower(email));",
        "DROP INDEX accounts_lower_email_idx;\nALTER TABLE accounts ADD CONSTRAINT accounts_email_key UNIQUE (email);",
    ),
];

/// A shop: a column added twice, an index name taken, a type dropped while
/// in use, a downgrade that forgets a default.
const SHOP: &[Rev] = &[
    (
        "CREATE TABLE products (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  name text NOT NULL,\n  price numeric(10, 2) NOT NULL DEFAULT 0,\n  sku text\n);\nCREATE INDEX products_sku_idx ON products (sku);",
        "DROP TABLE products;",
    ),
    ("ALTER TABLE products ADD COLUMN sku text;", "SELECT 1;"),
    (
        "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');\nCREATE TABLE orders (\n  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n  product_id bigint NOT NULL REFERENCES products (id),\n  status order_status NOT NULL DEFAULT 'new'\n);",
        "DROP TYPE order_status;\nDROP TABLE orders;",
    ),
    (
        "CREATE TABLE suppliers (id int PRIMARY KEY, code text);\nCREATE INDEX suppliers_code ON suppliers (code);\nCREATE INDEX suppliers_code ON suppliers (lower(code));",
        "DROP TABLE suppliers;",
    ),
    (
        "CREATE TABLE stock (product_id bigint PRIMARY KEY, qty int NOT NULL DEFAULT 0, weight int);",
        "DROP TABLE stock;",
    ),
    (
        "ALTER TABLE stock ALTER COLUMN qty DROP DEFAULT;\nALTER TABLE stock ADD COLUMN bin text;",
        "ALTER TABLE stock DROP COLUMN bin;",
    ),
];

/// Data statements with typos, and keys guessed by name.
const DATA: &[Rev] = &[
    (
        "CREATE TABLE settings (key text PRIMARY KEY, value text NOT NULL);\nCREATE TABLE audit (id serial PRIMARY KEY, setting text REFERENCES settings (key), at timestamptz NOT NULL DEFAULT now());",
        "DROP TABLE audit;\nDROP TABLE settings;",
    ),
    (
        "INSERT INTO settings (key, value) VALUES ('theme', 'dark');\nINSERT INTO setting (key, value) VALUES ('lang', 'en');\nUPDATE settings SET valeu = 'light' WHERE key = 'theme';",
        "DELETE FROM settings;",
    ),
    (
        "ALTER TABLE audit DROP CONSTRAINT audit_settings_fkey;",
        "SELECT 1;",
    ),
    ("DROP INDEX settings_pkey;", "SELECT 1;"),
];

/// A correct history that leans on PostgreSQL's names: unnamed keys and
/// indexes, a rename and a table re-created under the old name, an enum
/// with a value added, a column type changed and changed back.
const CORRECT: &[Rev] = &[
    (
        "CREATE TABLE users (id serial PRIMARY KEY, email text UNIQUE, team int);\nCREATE INDEX ON users (team);",
        "DROP TABLE users;",
    ),
    (
        "ALTER TABLE users RENAME TO members;\nCREATE TABLE users (id bigserial PRIMARY KEY, member_id int REFERENCES members (id), email text UNIQUE);",
        "DROP TABLE users;\nALTER TABLE members RENAME TO users;",
    ),
    (
        "CREATE TYPE mood AS ENUM ('sad', 'ok');\nALTER TYPE mood ADD VALUE 'happy';\nALTER TABLE members ADD COLUMN mood mood;",
        "ALTER TABLE members DROP COLUMN mood;\nDROP TYPE mood;",
    ),
    (
        "ALTER TABLE members DROP CONSTRAINT users_email_key;\nDROP INDEX users_team_idx;\nALTER TABLE members ALTER COLUMN team TYPE bigint;",
        "ALTER TABLE members ALTER COLUMN team TYPE int;\nCREATE INDEX users_team_idx ON members (team);\nALTER TABLE members ADD CONSTRAINT users_email_key UNIQUE (email);",
    ),
    (
        "ALTER TABLE users ADD COLUMN created_at timestamptz NOT NULL DEFAULT now();\nCOMMENT ON COLUMN users.created_at IS 'When';\nINSERT INTO members (email) VALUES ('a@example.com');",
        "DELETE FROM members;\nALTER TABLE users DROP COLUMN created_at;",
    ),
];

/// Events partitioned by month, with a default partition: columns added to,
/// renamed in and dropped from the parent reach every partition, and one
/// mistake, an index on a partition for a column the parent no longer has.
const PARTITIONS: &[Rev] = &[
    (
        "CREATE TABLE events (\n  id bigint NOT NULL,\n  at timestamptz NOT NULL,\n  kind text NOT NULL,\n  payload jsonb\n) PARTITION BY RANGE (at);\nCREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;",
        "DROP TABLE events;",
    ),
    (
        "ALTER TABLE events ADD COLUMN source text;\nCREATE INDEX events_2025_01_source_idx ON events_2025_01 (source);\nALTER TABLE events_default ALTER COLUMN source SET DEFAULT 'import';",
        "ALTER TABLE events_default ALTER COLUMN source DROP DEFAULT;\nDROP INDEX events_2025_01_source_idx;\nALTER TABLE events DROP COLUMN source;",
    ),
    (
        "ALTER TABLE events RENAME COLUMN payload TO body;\nCREATE INDEX ON events_default (kind) WHERE body IS NOT NULL;",
        "DROP INDEX events_default_kind_idx;\nALTER TABLE events RENAME COLUMN body TO payload;",
    ),
    (
        "ALTER TABLE events DROP COLUMN source;\nCREATE INDEX ON events_2025_01 (source);\nDROP INDEX events_2025_01_source_idx;",
        "ALTER TABLE events ADD COLUMN source text;",
    ),
];

/// Metrics partitioned by month: the partitions' keys and indexes are the
/// ones PostgreSQL makes for them, attached to the parent's, and can be
/// renamed and commented on; two mistakes, an attached index dropped alone,
/// and a partition's index dropped after its parent's took it along.
const PARTITION_INDEXES: &[Rev] = &[
    (
        "CREATE TABLE metrics (\n  device_id bigint NOT NULL,\n  at timestamptz NOT NULL,\n  value double precision,\n  PRIMARY KEY (device_id, at)\n) PARTITION BY RANGE (at);\nCREATE TABLE metrics_2025_01 PARTITION OF metrics FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\nCREATE INDEX metrics_at_idx ON metrics (at);",
        "DROP TABLE metrics;",
    ),
    (
        "CREATE TABLE metrics_2025_02 (device_id bigint NOT NULL, at timestamptz NOT NULL, value double precision);\nALTER TABLE metrics_2025_02 ADD PRIMARY KEY (device_id, at);\nCREATE INDEX metrics_2025_02_by_time ON metrics_2025_02 (at);\nALTER TABLE metrics ATTACH PARTITION metrics_2025_02 FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');\nALTER INDEX metrics_2025_01_at_idx RENAME TO metrics_2025_01_by_time;\nCOMMENT ON INDEX metrics_2025_01_by_time IS 'January by time';",
        "ALTER INDEX metrics_2025_01_by_time RENAME TO metrics_2025_01_at_idx;\nALTER TABLE metrics DETACH PARTITION metrics_2025_02;\nDROP TABLE metrics_2025_02;",
    ),
    (
        "DROP INDEX metrics_2025_02_by_time;\nALTER TABLE metrics_2025_01 RENAME CONSTRAINT metrics_2025_01_pkey TO metrics_2025_01_key;\nCREATE INDEX metrics_value_idx ON metrics (value);\nCOMMENT ON INDEX metrics_2025_02_value_idx IS 'made for the partition';",
        "DROP INDEX metrics_value_idx;\nALTER TABLE metrics_2025_01 RENAME CONSTRAINT metrics_2025_01_key TO metrics_2025_01_pkey;",
    ),
    (
        "DROP INDEX metrics_at_idx;\nDROP INDEX metrics_2025_01_by_time;",
        "CREATE INDEX metrics_at_idx ON metrics (at);",
    ),
];

/// Partitions by month, by list and by hash, with the copy-paste mistakes
/// monthly partitions get: a range that overlaps the month before, a list
/// value taken, an empty range, a second default partition.
const PARTITION_BOUNDS: &[Rev] = &[
    (
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE events_old PARTITION OF events FOR VALUES FROM (MINVALUE) TO ('2025-01-01');\nCREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE TABLE tags (label text) PARTITION BY LIST (label);\nCREATE TABLE tags_ab PARTITION OF tags FOR VALUES IN ('a', 'b');\nCREATE TABLE shards (id int) PARTITION BY HASH (id);\nCREATE TABLE shards_0 PARTITION OF shards FOR VALUES WITH (MODULUS 4, REMAINDER 0);",
        "DROP TABLE events, tags, shards;",
    ),
    (
        "CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');\nCREATE TABLE events_2025_03 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-04-01');",
        "DROP TABLE events_2025_02;",
    ),
    (
        "CREATE TABLE tags_bc PARTITION OF tags FOR VALUES IN ('b', 'c');\nCREATE TABLE shards_1 PARTITION OF shards FOR VALUES WITH (MODULUS 8, REMAINDER 1);",
        "DROP TABLE shards_1;",
    ),
    (
        "CREATE TABLE events_bad PARTITION OF events FOR VALUES FROM ('2025-05-01') TO ('2025-04-01');\nCREATE TABLE events_other PARTITION OF events DEFAULT;",
        "SELECT 1;",
    ),
];

/// A partitioned table as pg_dump writes it (a baseline taken from a
/// database): the partition made on its own and attached `ONLY`, each key
/// and index made `ONLY` on the parent and on the partition, then attached.
const PG_DUMP_PARTITIONS: &[Rev] = &[
    (
        "CREATE TABLE public.events (\n    id bigint NOT NULL,\n    at date NOT NULL,\n    kind text\n)\nPARTITION BY RANGE (at);\nCREATE TABLE public.events_2025 (\n    id bigint NOT NULL,\n    at date NOT NULL,\n    kind text\n);\nALTER TABLE ONLY public.events ATTACH PARTITION public.events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nALTER TABLE ONLY public.events\n    ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);\nALTER TABLE ONLY public.events_2025\n    ADD CONSTRAINT events_2025_pkey PRIMARY KEY (id, at);\nCREATE INDEX events_kind_idx ON ONLY public.events USING btree (kind);\nCREATE INDEX events_2025_kind_idx ON public.events_2025 USING btree (kind);\nALTER INDEX public.events_pkey ATTACH PARTITION public.events_2025_pkey;\nALTER INDEX public.events_kind_idx ATTACH PARTITION public.events_2025_kind_idx;",
        "DROP TABLE public.events;",
    ),
    (
        "CREATE TABLE public.events_2026 PARTITION OF public.events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nALTER INDEX public.events_2026_kind_idx RENAME TO events_2026_by_kind;",
        "DROP TABLE public.events_2026;",
    ),
];

/// A check added NOT VALID to a partitioned table and validated partition
/// by partition (to spread the scans), renamed on the parent; two
/// mistakes, a table attached without the parent's check, and a
/// partition's copy validated after the parent's check was dropped.
const PARTITION_CHECKS: &[Rev] = &[
    (
        "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nALTER TABLE events ADD CONSTRAINT events_kind_ck CHECK (kind <> '') NOT VALID;",
        "DROP TABLE events;",
    ),
    (
        "ALTER TABLE events_2025 VALIDATE CONSTRAINT events_kind_ck;\nCREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nCOMMENT ON CONSTRAINT events_kind_ck ON events_2026 IS 'from events';",
        // A validation is undone by adding the check again NOT VALID.
        "DROP TABLE events_2026;\nALTER TABLE events DROP CONSTRAINT events_kind_ck;\nALTER TABLE events ADD CONSTRAINT events_kind_ck CHECK (kind <> '') NOT VALID;",
    ),
    (
        "ALTER TABLE events RENAME CONSTRAINT events_kind_ck TO events_kind_nonempty;\nALTER TABLE events_2026 VALIDATE CONSTRAINT events_kind_nonempty;",
        // events_2026 was made after the check, so its copy was valid.
        "ALTER TABLE events DROP CONSTRAINT events_kind_nonempty;\nALTER TABLE events ADD CONSTRAINT events_kind_ck CHECK (kind <> '') NOT VALID;\nALTER TABLE events_2025 VALIDATE CONSTRAINT events_kind_ck;\nALTER TABLE events_2026 VALIDATE CONSTRAINT events_kind_ck;\nCOMMENT ON CONSTRAINT events_kind_ck ON events_2026 IS 'from events';",
    ),
    (
        "CREATE TABLE events_2027 (id bigint NOT NULL, at date NOT NULL, kind text);\nALTER TABLE events ATTACH PARTITION events_2027 FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');",
        "DROP TABLE events_2027;",
    ),
    (
        "ALTER TABLE events DROP CONSTRAINT events_kind_nonempty;\nALTER TABLE events_2025 VALIDATE CONSTRAINT events_kind_nonempty;",
        "ALTER TABLE events ADD CONSTRAINT events_kind_nonempty CHECK (kind <> '') NOT VALID;",
    ),
];

/// Writes the history as migration files and loads it, as PostgreSQL.
fn load(name: &str, revisions: &[Rev]) -> (tempfile::TempDir, Migrations) {
    let dir = tempfile::Builder::new()
        .prefix(&format!("fold-findings-{name}-"))
        .tempdir()
        .unwrap();
    for (i, (up, down)) in revisions.iter().enumerate() {
        let parent = if i == 0 {
            "none".to_owned()
        } else {
            format!("{name}{i:03}")
        };
        std::fs::write(
            dir.path().join(format!("{name}{:03}.sql", i + 1)),
            format!(
                "-- revision: {name}{:03}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n",
                i + 1
            ),
        )
        .unwrap();
    }
    let migrations = migrate_core::load_directory(
        dir.path(),
        "migrations",
        &DialectCheck::All(vec![Dialect::Postgres]),
    )
    .unwrap_or_else(|e| panic!("{name}: {e}"));
    (dir, migrations)
}

/// What the server refuses, as `(revision, section, line, sqlstate)`, and
/// the revisions whose downgrade leaves the schema different from before
/// its upgrade.
struct Server {
    failures: BTreeSet<(usize, &'static str, u32, String)>,
    mismatches: BTreeSet<usize>,
}

async fn run_on_server(conn: &mut PgConnection, migrations: &Migrations) -> Server {
    let mut server = Server {
        failures: BTreeSet::new(),
        mismatches: BTreeSet::new(),
    };
    sqlx::raw_sql("BEGIN").execute(&mut *conn).await.unwrap();
    let options = IntrospectOptions::default();
    for &i in migrations.graph.topological_order() {
        let revision = &migrations.revisions[i];
        let before = introspect_postgres(conn, &options)
            .await
            .unwrap()
            .without_views_and_routines();
        let mut failed = false;
        for s in &revision.upgrade.statements {
            if let Some(code) = statement(conn, revision.upgrade.statement_sql(s)).await {
                server.failures.insert((i, "upgrade", s.line, code));
                failed = true;
            }
        }
        let Some(down) = revision.downgrade.as_ref().filter(|_| !failed) else {
            continue;
        };
        sqlx::raw_sql("SAVEPOINT downgrade")
            .execute(&mut *conn)
            .await
            .unwrap();
        let mut down_failed = false;
        for s in &down.statements {
            if let Some(code) = statement(conn, down.statement_sql(s)).await {
                server.failures.insert((i, "downgrade", s.line, code));
                down_failed = true;
            }
        }
        if !down_failed {
            let after = introspect_postgres(conn, &options)
                .await
                .unwrap()
                .without_views_and_routines();
            let options = DiffOptions {
                include_schemas: true,
                compare_names: true,
                ..DiffOptions::default()
            };
            if !diff(&after, &before, Dialect::Postgres, &options).is_empty() {
                server.mismatches.insert(i);
            }
        }
        sqlx::raw_sql("ROLLBACK TO SAVEPOINT downgrade")
            .execute(&mut *conn)
            .await
            .unwrap();
    }
    sqlx::raw_sql("ROLLBACK").execute(&mut *conn).await.unwrap();
    server
}

/// Runs one statement in a savepoint; its SQLSTATE if the server refuses it
/// (the statement is then undone and the walk goes on).
async fn statement(conn: &mut PgConnection, sql: &str) -> Option<String> {
    sqlx::raw_sql("SAVEPOINT s")
        .execute(&mut *conn)
        .await
        .unwrap();
    match sqlx::raw_sql(sql).execute(&mut *conn).await {
        Ok(_) => {
            sqlx::raw_sql("RELEASE SAVEPOINT s")
                .execute(&mut *conn)
                .await
                .unwrap();
            None
        }
        Err(e) => {
            let code = e
                .as_database_error()
                .and_then(|d| d.code().map(|c| c.into_owned()))
                .unwrap_or_else(|| panic!("{sql}: not a database error: {e}"));
            sqlx::raw_sql("ROLLBACK TO SAVEPOINT s")
                .execute(&mut *conn)
                .await
                .unwrap();
            Some(code)
        }
    }
}

/// The SQLSTATEs a finding of `rule` stands for.
fn codes(rule: Rule) -> &'static [&'static str] {
    match rule {
        // undefined table, column, object, function; wrong object type; a
        // partition without its parent's check
        Rule::Missing => &["42P01", "42703", "42704", "42883", "42809", "42804"],
        // duplicate table, column, object, function, schema; a second key;
        // a partition bound that overlaps another
        Rule::Exists => &[
            "42P07", "42701", "42710", "42723", "42P06", "42P16", "42P17",
        ],
        Rule::DropDependency => &["2BP01"],
        // The downgrade comparison and the lint's rules claim no refusal
        // of their own here (the fold alone is run, without the lint).
        _ => &[],
    }
}

/// Folds the history, walks it on a fresh database, and checks that they
/// agree; returns (findings, failures, downgrade warnings) for the report.
async fn check(name: &str, revisions: &[Rev]) -> (usize, usize, usize) {
    let (_dir, migrations) = load(name, revisions);
    let folded = fold::fold_upgrades(&migrations, Dialect::Postgres).unwrap();
    let db = migrate_tests::fresh_pg_db().await;
    let mut conn = PgConnection::connect(&db.url).await.unwrap();
    let server = run_on_server(&mut conn, &migrations).await;
    conn.close().await.unwrap();

    let mut found = BTreeSet::new();
    let mut warned = BTreeSet::new();
    for f in &folded.findings {
        let section = match f.section {
            SectionKind::Upgrade => "upgrade",
            SectionKind::Downgrade => "downgrade",
        };
        if f.finding.rule == Rule::DowngradeMismatch {
            warned.insert(f.revision);
            continue;
        }
        let failure = server
            .failures
            .iter()
            .find(|(r, s, l, _)| *r == f.revision && *s == section && *l == f.finding.at.line);
        let Some((.., code)) = failure else {
            panic!(
                "{name}: the fold finds {} but the server runs the statement: {:#?}",
                f.finding, server.failures
            );
        };
        assert!(
            codes(f.finding.rule).contains(&code.as_str()),
            "{name}: {} is [{}] but the server's SQLSTATE is {code}",
            f.finding,
            f.finding.rule
        );
        found.insert((f.revision, section, f.finding.at.line));
    }
    let failed: BTreeSet<(usize, &str, u32)> = server
        .failures
        .iter()
        .map(|(r, s, l, _)| (*r, *s, *l))
        .collect();
    assert_eq!(
        found, failed,
        "{name}: the server refuses statements the fold does not find (revision index, section, line)"
    );
    assert_eq!(
        warned, server.mismatches,
        "{name}: downgrade warnings (revision indexes) differ from what the server's schemas show"
    );
    eprintln!(
        "{name}: {} revisions, {} findings, all refused by PostgreSQL with their rule's SQLSTATE; {} downgrade warnings, each a real difference",
        revisions.len(),
        found.len(),
        warned.len()
    );
    (found.len(), failed.len(), warned.len())
}

#[tokio::test]
async fn fold_findings_are_what_postgres_refuses() {
    assert_eq!(check("blog", BLOG).await, (3, 3, 0));
    assert_eq!(check("shop", SHOP).await, (3, 3, 1));
    assert_eq!(check("data", DATA).await, (4, 4, 0));
    assert_eq!(check("correct", CORRECT).await, (0, 0, 0));
    assert_eq!(check("partitions", PARTITIONS).await, (2, 2, 0));
    assert_eq!(
        check("partition_indexes", PARTITION_INDEXES).await,
        (2, 2, 0)
    );
    assert_eq!(check("partition_bounds", PARTITION_BOUNDS).await, (4, 4, 0));
    assert_eq!(
        check("pg_dump_partitions", PG_DUMP_PARTITIONS).await,
        (0, 0, 0)
    );
    assert_eq!(check("partition_checks", PARTITION_CHECKS).await, (2, 2, 0));
}

/// Generated chains whose every downgrade is right (the generator undoes
/// each upgrade exactly, names included; `tests/schema/fold_oracle.rs`
/// checks them against PostgreSQL) report nothing: no finding of the fold,
/// and no downgrade warning. Without a database, so many seeds are cheap.
#[test]
fn generated_chains_with_right_downgrades_report_nothing() {
    let mut revisions = 0;
    for seed in 0..200 {
        let chain = crate::chains::generate(seed, 40);
        let temp = tempfile::tempdir().unwrap();
        crate::chains::write_chain(&chain, temp.path()).unwrap();
        let migrations = migrate_core::load_directory(
            temp.path(),
            "migrations",
            &DialectCheck::All(vec![Dialect::Postgres]),
        )
        .unwrap_or_else(|e| panic!("seed {seed}: {e}"));
        let folded = fold::fold_upgrades(&migrations, Dialect::Postgres).unwrap();
        let found: Vec<String> = folded
            .findings
            .iter()
            .map(|f| f.finding.to_string())
            .collect();
        assert!(
            found.is_empty(),
            "seed {seed}: a chain with right downgrades reports {found:#?}"
        );
        revisions += migrations.revisions.len();
    }
    assert_eq!(revisions, 200 * 40);
}
