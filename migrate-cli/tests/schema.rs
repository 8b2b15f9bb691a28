//! `migrate schema`: the schema folded from the upgrades, checked against
//! what a real PostgreSQL 15 (from `scripts/pg.sh`) or a real SQLite file
//! holds after `upgrade head`.

use std::path::Path;

use migrate_core::Dialect;
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_schema::{DiffOptions, Schema, diff, parse_schema};

#[path = "support/run.rs"]
mod run;

use run::{migrate, upgrade_example_head};

/// The constraint and index names of every table, for comparing names,
/// which the diff leaves to the columns.
fn names(schema: &Schema) -> Vec<String> {
    let mut out = Vec::new();
    for (table, t) in &schema.tables {
        for name in t.primary_key.iter().map(|k| &k.name) {
            out.push(format!("{table} pkey {name:?}"));
        }
        for k in &t.uniques {
            out.push(format!("{table} unique {:?} {:?}", k.name, k.columns));
        }
        for f in &t.foreign_keys {
            out.push(format!("{table} fkey {:?} {:?}", f.name, f.columns));
        }
        for i in &t.indexes {
            out.push(format!("{table} index {} {:?}", i.name, i.keys));
        }
    }
    out.sort();
    out
}

/// What PostgreSQL holds after `migrate upgrade head` of `dir` on a fresh
/// database, introspected (other schemas than `public` too when asked).
async fn upgraded_schema(dir: &Path, include_schemas: bool) -> Schema {
    let db = migrate_tests::fresh_pg_db().await;
    let up = upgrade_example_head(dir, &db.url);
    assert_eq!(up.code, 0, "upgrade head failed: {}", up.stderr);
    let pool = db.pool().await;
    let options = IntrospectOptions {
        include_schemas,
        ..IntrospectOptions::default()
    };
    let actual = introspect(&pool, &options)
        .await
        .expect("introspect the upgraded database")
        .without_views_and_routines();
    pool.close().await;
    actual
}

/// The changes that would turn the database's schema into the folded one.
fn differences(actual: &Schema, folded: &Schema, include_schemas: bool) -> Vec<String> {
    let options = DiffOptions {
        include_schemas,
        ..DiffOptions::default()
    };
    // The fold does not build extensions, domains, composite and range
    // types or sequences yet (`check --offline` leaves them out too).
    let mut actual = actual.clone();
    actual.extensions.clear();
    actual.domains.clear();
    actual.composites.clear();
    actual.ranges.clear();
    actual.sequences.clear();
    diff(&actual, folded, Dialect::Postgres, &options)
        .iter()
        .map(|c| c.summary())
        .collect()
}

#[tokio::test]
async fn schema_of_the_example_app_equals_the_database_after_upgrade_head() {
    let root = migrate_tests::workspace_root();
    let out = migrate(&root, &["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("-- fold: 10 of 10 statements modelled (100.0 %)\n"),
        "{}",
        out.stdout
    );
    let folded = parse_schema(&out.stdout, Dialect::Postgres)
        .unwrap_or_else(|e| panic!("the printed schema does not parse: {e:?}\n{}", out.stdout));

    let actual = upgraded_schema(&root, false).await;
    let changes = differences(&actual, &folded, false);
    assert!(changes.is_empty(), "fold and database differ: {changes:#?}");
    assert_eq!(actual.tables.len(), 4);
    // The names PostgreSQL chose for unnamed constraints are the fold's.
    assert_eq!(names(&actual), names(&folded));
}

#[test]
fn schema_at_a_revision_folds_only_its_ancestors() {
    let root = migrate_tests::workspace_root();
    let out = migrate(&root, &["schema", "--at", "a1b2c3d4e5f6"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let schema = parse_schema(&out.stdout, Dialect::Postgres).unwrap();
    let tables: Vec<String> = schema.tables.keys().map(|n| n.to_string()).collect();
    assert_eq!(tables, ["products", "users"]);
    assert!(
        out.stdout.contains("at revision a1b2c3d4e5f6"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("4 of 4 statements modelled"),
        "{}",
        out.stdout
    );

    let out = migrate(&root, &["schema", "--at", "ffff"]);
    assert_eq!(out.code, 2);
    assert!(
        out.stderr.contains("--at ffff: no revision has this id"),
        "{}",
        out.stderr
    );
}

#[test]
fn schema_names_what_it_could_not_model() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("migrate.toml"), "dialect = \"postgres\"\n").unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    std::fs::write(
        dir.path().join("migrations/2025_01_01_0000-aaaa00000001_a.sql"),
        "-- revision: aaaa00000001\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE a (id int);\nALTER TABLE a ENABLE ROW LEVEL SECURITY;\nALTER TABLE a INHERIT b;\nCREATE VIEW v AS SELECT 1;\n\n-- migrate:downgrade\nDROP TABLE a;\n",
    )
    .unwrap();
    let out = migrate(dir.path(), &["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("-- fold: 3 of 4 statements modelled (75.0 %); unsure after: migrations/2025_01_01_0000-aaaa00000001_a.sql:7:1 (ALTER TABLE AddInherit (not modelled yet))"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains(
            "-- unsure: table a may differ after migrations/2025_01_01_0000-aaaa00000001_a.sql:7:1"
        ),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn schema_of_the_example_app_read_as_sqlite_equals_an_upgraded_sqlite_file() {
    // The example app's revisions, in a project that runs on SQLite only:
    // the fold reads them as SQLite, and what it prints is what SQLite
    // holds after `upgrade head`, as the runtime introspects it.
    let root = migrate_tests::workspace_root();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("migrate.toml"),
        format!(
            "directory = \"{}\"\ndialect = \"sqlite\"\n",
            root.join("migrations").display()
        ),
    )
    .unwrap();
    let out = migrate(dir.path(), &["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("folded without a database (SQLite).\n")
            && out
                .stdout
                .contains("-- fold: 10 of 10 statements modelled (100.0 %)\n"),
        "{}",
        out.stdout
    );
    let folded = parse_schema(&out.stdout, Dialect::Sqlite)
        .unwrap_or_else(|e| panic!("the printed schema does not parse: {e:?}\n{}", out.stdout));

    let db = migrate_tests::fresh_sqlite_db();
    let up = upgrade_example_head(dir.path(), &db.url);
    assert_eq!(up.code, 0, "upgrade head failed: {}", up.stderr);
    let pool = db.pool().await;
    let actual = introspect(&pool, &IntrospectOptions::default())
        .await
        .expect("introspect the upgraded database")
        .without_views_and_routines();
    pool.close().await;
    let changes: Vec<String> = diff(&actual, &folded, Dialect::Sqlite, &DiffOptions::default())
        .iter()
        .map(|c| c.summary())
        .collect();
    assert!(
        changes.is_empty(),
        "fold and database differ: {changes:#?}\n{}",
        out.stdout
    );
    assert_eq!(actual.tables.len(), 4);
    assert_eq!(names(&actual), names(&folded), "{}", out.stdout);
}

/// A project in a temporary directory with one revision per upgrade, in order.
fn project(upgrades: &[&str]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("migrate.toml"), "dialect = \"postgres\"\n").unwrap();
    let migrations = dir.path().join("migrations");
    std::fs::create_dir(&migrations).unwrap();
    let mut parent = "none".to_owned();
    for (i, up) in upgrades.iter().enumerate() {
        let id = format!("bbbb{i:08}");
        std::fs::write(
            migrations.join(format!("2025_01_01_{i:04}-{id}_r.sql")),
            format!(
                "-- revision: {id}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n-- migrate:no-op\n"
            ),
        )
        .unwrap();
        parent = id;
    }
    dir
}

#[tokio::test]
async fn schema_of_renames_enums_and_unnamed_constraints_equals_the_database() {
    let dir = project(&[
        "CREATE TYPE mood AS ENUM ('sad', 'happy');\n\
         CREATE TABLE users (id serial PRIMARY KEY, email text NOT NULL UNIQUE, a int CHECK (a > 0), b int, CHECK (a > b));",
        "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy';\n\
         CREATE INDEX ON users (lower(email));\n\
         COMMENT ON TABLE users IS 'people';",
        // A new enum value is usable once the revision that added it commits.
        "ALTER TABLE users ADD COLUMN feeling mood NOT NULL DEFAULT 'ok';\n\
         ALTER TABLE users RENAME TO members;\n\
         ALTER TABLE members RENAME COLUMN email TO mail;\n\
         CREATE TABLE users (id bigint GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, email text UNIQUE, a int CHECK (a > 0));\n\
         CREATE TABLE posts (id int PRIMARY KEY, user_id bigint REFERENCES users ON DELETE SET NULL, member_id int, title varchar(200));\n\
         ALTER TABLE posts ADD FOREIGN KEY (member_id) REFERENCES members (id);\n\
         CREATE INDEX ON posts (user_id);\n\
         CREATE INDEX ON posts (user_id) WHERE title IS NOT NULL;",
        "ALTER TABLE posts ALTER COLUMN title TYPE text, ALTER COLUMN title SET NOT NULL, ALTER COLUMN title SET DEFAULT '';\n\
         ALTER TABLE members DROP COLUMN b;\n\
         ALTER TABLE users RENAME CONSTRAINT users_pkey1 TO users_id;\n\
         ALTER INDEX posts_user_id_idx RENAME TO posts_by_user;\n\
         CREATE SCHEMA audit;\n\
         CREATE TABLE audit.log (id int PRIMARY KEY, at timestamptz DEFAULT now());\n\
         COMMENT ON COLUMN audit.log.at IS 'when';",
    ]);
    let out = migrate(dir.path(), &["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("statements modelled (100.0 %)\n"),
        "{}",
        out.stdout
    );
    let folded = parse_schema(&out.stdout, Dialect::Postgres)
        .unwrap_or_else(|e| panic!("the printed schema does not parse: {e:?}\n{}", out.stdout));

    let actual = upgraded_schema(dir.path(), true).await;
    let changes = differences(&actual, &folded, true);
    assert!(
        changes.is_empty(),
        "fold and database differ: {changes:#?}\n{}",
        out.stdout
    );
    assert_eq!(actual.tables.len(), 4);
    assert_eq!(names(&actual), names(&folded), "{}", out.stdout);
    let checks = |s: &Schema| {
        let mut all: Vec<String> = s
            .tables
            .values()
            .flat_map(|t| t.checks.iter().map(|c| format!("{} {:?}", t.name, c.name)))
            .collect();
        all.sort();
        all
    };
    assert_eq!(checks(&actual), checks(&folded), "{}", out.stdout);
}

/// The tables the header says may differ.
fn unsure_tables(stdout: &str) -> Vec<String> {
    stdout
        .lines()
        .filter_map(|l| l.strip_prefix("-- unsure: table "))
        .filter_map(|l| l.split(' ').next())
        .map(str::to_owned)
        .collect()
}

#[tokio::test]
async fn schema_of_the_postgres_fixture_equals_the_database_on_every_table_it_is_sure_of() {
    // tests/sql/postgres-valid: 150 statements of everyday and unusual DDL
    // (extensions, DO blocks, partitions, views, CALL, MERGE, operator
    // classes). The fold models part of it; on every table it does not name
    // as unsure, it must agree with PostgreSQL 15, names included.
    let root = migrate_tests::workspace_root();
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("migrate.toml"),
        format!(
            "directory = \"{}\"\ndialect = \"postgres\"\n",
            root.join("tests/sql/postgres-valid").display()
        ),
    )
    .unwrap();
    let out = migrate(dir.path(), &["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let mut folded = parse_schema(&out.stdout, Dialect::Postgres)
        .unwrap_or_else(|e| panic!("the printed schema does not parse: {e:?}\n{}", out.stdout));
    let unsure = unsure_tables(&out.stdout);
    assert!(
        unsure.contains(&"app.customers".to_owned()),
        "{}",
        out.stdout
    );

    let mut actual = upgraded_schema(dir.path(), true).await;

    for schema in [&mut folded, &mut actual] {
        schema
            .tables
            .retain(|name, _| !unsure.contains(&name.to_string()));
    }
    // Today two tables stay certain (one with an exclusion constraint):
    // the rest meet operator classes, INCLUDE, a sequence's identity
    // change or a CALL.
    let certain: Vec<String> = folded.tables.keys().map(|n| n.to_string()).collect();
    assert_eq!(
        certain,
        ["app.bookings", "app.order_audit"],
        "{}",
        out.stdout
    );
    let changes = differences(&actual, &folded, true);
    assert!(
        changes.is_empty(),
        "fold and database differ on tables the fold is sure of: {changes:#?}\n{}",
        out.stdout
    );
    assert_eq!(names(&actual), names(&folded), "{}", out.stdout);
}

/// The objects besides tables and enums, as the server's catalog names
/// them, in the format of `migrate schema`'s "Also there" lines.
async fn other_objects(pool: &sqlx::PgPool) -> Vec<String> {
    let rows: Vec<(String,)> = sqlx::query_as(
        "SELECT 'view ' || viewname FROM pg_views WHERE schemaname = 'public' \
         UNION ALL SELECT 'materialized view ' || matviewname FROM pg_matviews WHERE schemaname = 'public' \
         UNION ALL SELECT CASE p.prokind WHEN 'p' THEN 'procedure ' ELSE 'function ' END \
             || p.proname || '(' || oidvectortypes(p.proargtypes) || ')' \
           FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace \
           WHERE n.nspname = 'public' \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') \
         UNION ALL SELECT 'trigger ' || t.tgname || ' on ' || c.relname FROM pg_trigger t \
           JOIN pg_class c ON c.oid = t.tgrelid WHERE NOT t.tgisinternal \
         UNION ALL SELECT 'sequence ' || c.relname FROM pg_class c \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
           WHERE c.relkind = 'S' AND n.nspname = 'public' \
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid AND d.deptype IN ('a', 'i')) \
         UNION ALL SELECT 'extension ' || e.extname || ' (schema ' || n.nspname || ')' FROM pg_extension e \
           JOIN pg_namespace n ON n.oid = e.extnamespace WHERE e.extname <> 'plpgsql'",
    )
    .fetch_all(pool)
    .await
    .expect("read the catalog");
    let mut out: Vec<String> = rows.into_iter().map(|(r,)| r).collect();
    out.sort();
    out
}

#[tokio::test]
async fn schema_lists_the_views_functions_triggers_sequences_and_extensions_the_database_has() {
    let dir = project(&[
        "CREATE EXTENSION IF NOT EXISTS pgcrypto;\n\
         CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL, touched timestamptz);\n\
         CREATE SEQUENCE invoice_numbers;\n\
         CREATE VIEW active_users AS SELECT id, email FROM users WHERE touched IS NOT NULL;\n\
         CREATE MATERIALIZED VIEW user_count AS SELECT count(*) AS n FROM users;",
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.touched := now(); RETURN NEW; END $$;\n\
         CREATE FUNCTION add(a int, b bigint) RETURNS bigint LANGUAGE sql AS $$ SELECT a + b $$;\n\
         CREATE PROCEDURE reset_counts() LANGUAGE sql AS $$ REFRESH MATERIALIZED VIEW user_count $$;\n\
         CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
        "CREATE SEQUENCE scratch;\n\
         DROP SEQUENCE scratch;\n\
         DROP FUNCTION add(int, bigint);\n\
         CREATE FUNCTION add(a int, b int) RETURNS int LANGUAGE sql AS $$ SELECT a + b $$;",
    ]);
    let out = migrate(dir.path(), &["schema"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    let (_, also) = out
        .stdout
        .split_once("-- Also there")
        .unwrap_or_else(|| panic!("no other objects listed:\n{}", out.stdout));
    let listed: Vec<String> = also
        .lines()
        .skip(1)
        .map(|l| l.trim_start_matches("-- ").to_owned())
        .collect();

    let db = migrate_tests::fresh_pg_db().await;
    let up = upgrade_example_head(dir.path(), &db.url);
    assert_eq!(up.code, 0, "upgrade head failed: {}", up.stderr);
    let pool = db.pool().await;
    let actual = other_objects(&pool).await;
    pool.close().await;
    assert_eq!(listed, actual, "{}", out.stdout);
    assert_eq!(actual.len(), 8, "{actual:#?}");
}
