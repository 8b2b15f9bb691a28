//! `migrate check --offline` and `migrate revision --autogenerate --offline`:
//! schema.sql compared with the schema the upgrades build, folded without a
//! database; the revision written offline is then applied to a real
//! PostgreSQL 15 (from `scripts/pg.sh`), which `migrate check` compares
//! with schema.sql.

use std::path::Path;

#[path = "support/run.rs"]
mod run;

use run::{migrate, migrate_with, upgrade_example_head};

/// A URL nothing answers at: a command that connected would fail on it.
const NOWHERE: &str = "postgres://nobody:secret-pw@127.0.0.1:1/nowhere";

/// A copy of the example app's migrate.toml, migrations and schema.sql
/// in a temporary directory.
fn example_copy() -> tempfile::TempDir {
    let root = migrate_tests::workspace_root();
    let dir = tempfile::Builder::new()
        .prefix("migrate-offline-test-")
        .tempdir()
        .expect("create a temporary directory");
    std::fs::copy(root.join("migrate.toml"), dir.path().join("migrate.toml")).unwrap();
    std::fs::copy(root.join("schema.sql"), dir.path().join("schema.sql")).unwrap();
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    for entry in std::fs::read_dir(root.join("migrations")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|x| x == "sql" || x == "rs") {
            std::fs::copy(
                &path,
                dir.path()
                    .join("migrations")
                    .join(path.file_name().unwrap()),
            )
            .unwrap();
        }
    }
    dir
}

/// PostgreSQL only: the statements below are not SQLite's.
fn postgres_only(dir: &Path) {
    std::fs::write(
        dir.join("migrate.toml"),
        "directory = \"migrations\"\ndialect = \"postgres\"\nversion_table = \"migrate_history\"\n",
    )
    .unwrap();
}

/// Adds a revision after the example's head whose upgrade is `upgrade`.
fn add_revision(dir: &Path, file: &str, upgrade: &str) {
    std::fs::write(
        dir.join("migrations").join(file),
        format!(
            "-- revision: aaaa00000001\n-- down_revision: a4b5c6d7e8f9\n\n-- migrate:upgrade\n{upgrade}\n\n-- migrate:downgrade\nSELECT 1;\n"
        ),
    )
    .unwrap();
}

fn edit_schema(dir: &Path, from: &str, to: &str) {
    let path = dir.join("schema.sql");
    let text = std::fs::read_to_string(&path).unwrap();
    assert!(text.contains(from), "schema.sql holds no {from:?}");
    std::fs::write(&path, text.replace(from, to)).unwrap();
}

fn revision_files(dir: &Path) -> usize {
    std::fs::read_dir(dir.join("migrations")).unwrap().count()
}

#[test]
fn check_offline_is_clean_on_the_example_app_without_a_database() {
    let dir = example_copy();
    // A configured URL is not read: nothing answers at it.
    let out = migrate_with(
        dir.path(),
        &[("DATABASE_URL", NOWHERE)],
        &["check", "--offline"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(
        out.stdout,
        "No problems found in migrations (9 revisions)\n\
         fold: 10 of 10 statements modelled (100.0 %)\n\
         No new upgrade operations detected.\n"
    );
    assert_eq!(out.stderr, "");
}

#[test]
fn check_offline_lists_a_column_added_to_schema_sql_and_exits_1() {
    let dir = example_copy();
    edit_schema(
        dir.path(),
        "    display_name TEXT\n",
        "    display_name TEXT,\n    phone TEXT\n",
    );
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(
        out.stdout
            .contains("fold: 10 of 10 statements modelled (100.0 %)\n"),
        "{}",
        out.stdout
    );
    assert_eq!(
        out.stderr,
        "error: New upgrade operations detected: 1 difference between schema.sql and the schema the migrations build (folded without a database); run `migrate revision --autogenerate -m MSG` to write them as a revision\n\
         error: add column users.phone\n"
    );
}

#[test]
fn offline_without_schema_sql_says_where_to_declare_it() {
    let dir = example_copy();
    std::fs::remove_file(dir.path().join("schema.sql")).unwrap();
    for args in [
        &["check", "--offline"][..],
        &["revision", "--autogenerate", "--offline", "-m", "x"][..],
    ] {
        let out = migrate(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr
                .starts_with("error: schema.sql: declared schema not found; write the schema"),
            "{args:?}: {}",
            out.stderr
        );
    }
    assert_eq!(revision_files(dir.path()), 9);
}

#[test]
fn offline_refuses_tables_a_do_block_may_have_changed_or_created() {
    let dir = example_copy();
    postgres_only(dir.path());
    let file = "2025_10_06_0000-aaaa00000001_do.sql";
    add_revision(
        dir.path(),
        file,
        "DO $$ BEGIN EXECUTE 'ALTER TABLE users ADD COLUMN phone text'; END $$;",
    );
    edit_schema(
        dir.path(),
        "CREATE TABLE tags (",
        "CREATE TABLE audit (id TEXT PRIMARY KEY);\n\nCREATE TABLE tags (",
    );
    let at = format!("migrations/{file}:5:1 (a DO block)");
    for args in [
        &["check", "--offline"][..],
        &["revision", "--autogenerate", "--offline", "-m", "x"][..],
    ] {
        let out = migrate(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stdout.contains(&format!(
                "fold: 10 of 11 statements modelled (90.9 %); unsure after: {at}\n"
            )),
            "{args:?}: {}",
            out.stdout
        );
        assert!(
            out.stderr.starts_with(
                "error: schema.sql: the schema fold is unsure of 5 tables declared here, so an offline comparison could be wrong; compare with a database instead: drop --offline and give a database URL (a database at head), or pass --shadow\n"
            ),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!(
                "\n  table users: may differ from what the fold holds after {at}\n"
            )),
            "{args:?}: {}",
            out.stderr
        );
        assert!(
            out.stderr.contains(&format!(
                "\n  table audit: the upgrades as folded do not build it, but {at} may have\n"
            )),
            "{args:?}: {}",
            out.stderr
        );
    }
    // Nothing was written.
    assert_eq!(revision_files(dir.path()), 10);
}

#[test]
fn offline_refuses_only_the_table_a_statement_left_unsure() {
    let dir = example_copy();
    postgres_only(dir.path());
    let file = "2025_10_06_0000-aaaa00000001_inherit.sql";
    add_revision(dir.path(), file, "ALTER TABLE tags INHERIT products;");
    let at = format!("migrations/{file}:5:1 (ALTER TABLE AddInherit (not modelled yet))");
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_eq!(
        out.stderr,
        format!(
            "error: schema.sql: the schema fold is unsure of 1 table declared here, so an offline comparison could be wrong; compare with a database instead: drop --offline and give a database URL (a database at head), or pass --shadow\n  table tags: may differ from what the fold holds after {at}\n"
        )
    );

    // Declared no more, the table is dropped: allowed, with a warning that
    // the downgrade re-creates it as the fold holds it.
    edit_schema(
        dir.path(),
        "CREATE TABLE tags (\n    id TEXT PRIMARY KEY,\n    name TEXT NOT NULL UNIQUE\n);\n",
        "",
    );
    edit_schema(
        dir.path(),
        "    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,\n",
        "    tag_id TEXT NOT NULL,\n",
    );
    let out = migrate(
        dir.path(),
        &["revision", "--autogenerate", "--offline", "-m", "drop tags"],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("  Detected drop table tags\n"),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr.contains(&format!(
            "_drop_tags.sql: table tags: dropped, and the downgrade re-creates it as the fold holds it, which may differ after {at}; check the downgrade against a database\n"
        )),
        "{}",
        out.stderr
    );
    assert_eq!(revision_files(dir.path()), 11);
}

#[test]
fn offline_refuses_a_new_table_in_a_schema_an_extension_may_have_filled() {
    let dir = tempfile::tempdir().unwrap();
    postgres_only(dir.path());
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    let file = "2025_01_01_0000-aaaa00000001_a.sql";
    std::fs::write(
        dir.path().join("migrations").join(file),
        "-- revision: aaaa00000001\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE EXTENSION IF NOT EXISTS timescaledb;\nCREATE TABLE a (id int);\n\n-- migrate:downgrade\nDROP TABLE a;\n",
    )
    .unwrap();
    // `a`, created after the extension, is certain.
    std::fs::write(dir.path().join("schema.sql"), "CREATE TABLE a (id int);\n").unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    // `b` may be one the extension created.
    std::fs::write(
        dir.path().join("schema.sql"),
        "CREATE TABLE a (id int);\nCREATE TABLE b (id int);\n",
    )
    .unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert!(
        out.stderr.ends_with(&format!(
            "declared here, so an offline comparison could be wrong; compare with a database instead: drop --offline and give a database URL (a database at head), or pass --shadow\n  table b: the upgrades as folded do not build it, but migrations/{file}:5:1 (an extension) may have\n"
        )),
        "{}",
        out.stderr
    );
    // pgcrypto makes functions only: `b` is a plain difference.
    let path = dir.path().join("migrations").join(file);
    let text = std::fs::read_to_string(&path).unwrap();
    std::fs::write(&path, text.replace("timescaledb", "pgcrypto")).unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: create table b"),
        "{}",
        out.stderr
    );
}

/// Extensions, domains, composite and range types and standalone
/// sequences are not folded yet: the offline comparison leaves them out of
/// both sides, so declaring them is no noise (and a change to one is not
/// seen offline, as docs/autogenerate.md says).
#[test]
fn offline_leaves_out_the_kinds_the_fold_does_not_model() {
    let dir = tempfile::tempdir().unwrap();
    postgres_only(dir.path());
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    let kinds = "CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE DOMAIN known_mood AS mood NOT NULL DEFAULT 'ok';
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE contact AS (mail citext, rank posint);
CREATE TYPE posrange AS RANGE (subtype = posint);
CREATE SEQUENCE ticket AS integer START WITH 1000;
CREATE TABLE people (
    id serial PRIMARY KEY,
    ticket integer NOT NULL DEFAULT nextval('ticket'),
    feeling known_mood,
    who contact,
    ranks posrange,
    mail citext
);";
    std::fs::write(
        dir.path().join("migrations").join("2025_01_01_0000-aaaa00000001_a.sql"),
        format!("-- revision: aaaa00000001\n-- down_revision: none\n\n-- migrate:upgrade\n{kinds}\n\n-- migrate:downgrade\nSELECT 1;\n"),
    )
    .unwrap();
    std::fs::write(dir.path().join("schema.sql"), kinds).unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .ends_with("No new upgrade operations detected.\n"),
        "{}",
        out.stdout
    );
    // A table change beside them is still found.
    std::fs::write(
        dir.path().join("schema.sql"),
        kinds.replace("    mail citext\n", "    mail citext,\n    phone text\n"),
    )
    .unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stderr.contains("error: add column people.phone"),
        "{}",
        out.stderr
    );
}

#[test]
fn offline_folds_partitioned_tables_and_leaves_partitions_out() {
    let dir = tempfile::tempdir().unwrap();
    postgres_only(dir.path());
    std::fs::create_dir(dir.path().join("migrations")).unwrap();
    let upgrade = "CREATE TABLE events (id integer NOT NULL, at date NOT NULL, what text,
    PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
CREATE INDEX events_what ON events (what);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE events_2021 (id integer NOT NULL, at date NOT NULL, what text,
    CONSTRAINT events_id_check CHECK (id > 0));
ALTER TABLE ONLY events ATTACH PARTITION events_2021 FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
ALTER TABLE events DETACH PARTITION events_2020;
ALTER TABLE events ATTACH PARTITION events_2020 FOR VALUES FROM ('2019-01-01') TO ('2021-01-01');
ALTER TABLE events ADD COLUMN note text;
CREATE TABLE gone (k int) PARTITION BY LIST (k);
CREATE TABLE gone_1 PARTITION OF gone FOR VALUES IN (1);
DROP TABLE gone;
CREATE TABLE gone_1 (k int);";
    std::fs::write(
        dir.path().join("migrations").join("2025_01_01_0000-aaaa00000001_a.sql"),
        format!("-- revision: aaaa00000001\n-- down_revision: none\n\n-- migrate:upgrade\n{upgrade}\n\n-- migrate:downgrade\nSELECT 1;\n"),
    )
    .unwrap();
    let schema = "CREATE TABLE events (id integer NOT NULL, at date NOT NULL, what text, note text,
    PRIMARY KEY (id, at), CHECK (id > 0)) PARTITION BY RANGE (at);
CREATE INDEX events_what ON events (what);
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2019-01-01') TO ('2021-01-01');
CREATE TABLE events_2021 PARTITION OF events FOR VALUES FROM ('2021-01-01') TO ('2022-01-01');
CREATE TABLE gone_1 (k int);";
    std::fs::write(dir.path().join("schema.sql"), schema).unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout
            .ends_with("No new upgrade operations detected.\n"),
        "{}",
        out.stdout
    );
    // A column added to the parent is one difference, not one per
    // partition; partitions and bounds are not compared offline.
    std::fs::write(
        dir.path().join("schema.sql"),
        schema
            .replace("note text,", "note text, extra int,")
            .replace(
                "('2021-01-01') TO ('2022-01-01')",
                "('2021-01-01') TO ('2023-01-01')",
            ),
    )
    .unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    let errors: Vec<&str> = out
        .stderr
        .lines()
        .filter(|l| l.starts_with("error: ") && !l.contains("New upgrade operations"))
        .collect();
    assert_eq!(errors, ["error: add column events.extra"], "{}", out.stderr);
}

#[test]
fn offline_on_a_sqlite_project_says_what_to_use_until_the_fold_reads_sqlite() {
    let dir = example_copy();
    std::fs::write(
        dir.path().join("migrate.toml"),
        "directory = \"migrations\"\ndialect = \"sqlite\"\nversion_table = \"migrate_history\"\n",
    )
    .unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    // The fold says which dialects it reads: once it reads SQLite, the
    // example app's SQLite schema is clean offline too.
    if out.code == 0 {
        assert!(
            out.stdout
                .ends_with("No new upgrade operations detected.\n"),
            "{}",
            out.stdout
        );
    } else {
        assert_eq!(out.code, 2, "{}", out.stderr);
        assert!(
            out.stderr
                .starts_with("error: --offline: the schema fold reads PostgreSQL only"),
            "{}",
            out.stderr
        );
        assert!(
            out.stderr.ends_with(
                "; otherwise drop --offline and compare with a database: give a database URL, or pass --shadow\n"
            ),
            "{}",
            out.stderr
        );
    }
}

#[test]
fn offline_conflicts_with_a_url_and_with_shadow() {
    let dir = example_copy();
    for args in [
        &["check", "--offline", "--shadow"][..],
        &["check", "--offline", "--database-url", NOWHERE][..],
        &["--database-url", NOWHERE, "check", "--offline"][..],
        &[
            "revision",
            "-m",
            "x",
            "--autogenerate",
            "--offline",
            "--shadow",
        ][..],
        &[
            "revision",
            "-m",
            "x",
            "--autogenerate",
            "--offline",
            "--database-url",
            NOWHERE,
        ][..],
        &[
            "--database-url",
            NOWHERE,
            "revision",
            "-m",
            "x",
            "--autogenerate",
            "--offline",
        ][..],
        &["revision", "-m", "x", "--offline"][..],
    ] {
        let out = migrate(dir.path(), args);
        assert_eq!(out.code, 2, "{args:?}: {}", out.stderr);
        assert!(
            out.stderr.contains("'--offline' cannot be used with")
                || out
                    .stderr
                    .contains("--database-url: cannot be used with --offline")
                || out.stderr.contains("required arguments were not provided"),
            "{args:?}: {}",
            out.stderr
        );
        assert!(!out.stderr.contains("secret-pw"), "{}", out.stderr);
        assert_eq!(out.stdout, "", "{args:?}");
    }
    assert_eq!(revision_files(dir.path()), 9);
}

#[tokio::test]
async fn autogenerate_offline_writes_a_revision_that_brings_postgres_to_schema_sql() {
    let dir = example_copy();
    let db = migrate_tests::fresh_pg_db().await;
    let url = db.url.as_str();
    let up = upgrade_example_head(dir.path(), url);
    assert_eq!(up.code, 0, "{}", up.stderr);

    edit_schema(
        dir.path(),
        "    display_name TEXT\n",
        "    display_name TEXT,\n    phone TEXT\n",
    );
    edit_schema(
        dir.path(),
        "CREATE TABLE tags (",
        "CREATE TABLE audit (\n    id TEXT PRIMARY KEY,\n    user_id TEXT NOT NULL REFERENCES users (id),\n    note TEXT NOT NULL DEFAULT ''\n);\n\nCREATE INDEX ix_audit_user_id ON audit (user_id);\n\nCREATE TABLE tags (",
    );
    // The configured database is behind schema.sql; it is neither read nor
    // needed.
    let out = migrate_with(
        dir.path(),
        &[("DATABASE_URL", NOWHERE)],
        &[
            "revision",
            "--autogenerate",
            "--offline",
            "-m",
            "add phone and audit",
        ],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout.contains("  Detected add column users.phone\n")
            && out.stdout.contains("  Detected create table audit\n"),
        "{}",
        out.stdout
    );
    assert_eq!(revision_files(dir.path()), 10);

    let up = upgrade_example_head(dir.path(), url);
    assert_eq!(up.code, 0, "{}", up.stderr);
    let check = migrate(dir.path(), &["--database-url", url, "check"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert_eq!(
        check.stdout,
        "No problems found in migrations (10 revisions)\nNo new upgrade operations detected.\n"
    );
    let check = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(check.code, 0, "{}", check.stderr);
    assert!(
        check
            .stdout
            .ends_with("No new upgrade operations detected.\n"),
        "{}",
        check.stdout
    );

    // The downgrade runs too.
    let down = migrate(dir.path(), &["--database-url", url, "downgrade", "-1"]);
    assert_eq!(down.code, 0, "{}", down.stderr);
}

#[test]
fn check_reports_what_the_fold_finds_as_the_build_does() {
    let dir = example_copy();
    postgres_only(dir.path());
    add_revision(
        dir.path(),
        "2026_01_01_0000-aaaa00000001_drop_old_index.sql",
        "DROP INDEX products_sku_index;",
    );
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 1, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains(
            "error: migrations/2026_01_01_0000-aaaa00000001_drop_old_index.sql:5:1: index products_sku_index does not exist at this point of the chain"
        ),
        "{}",
        out.stdout
    );
    assert!(
        out.stderr
            .contains("1 problem found in migrations by the schema fold"),
        "{}",
        out.stderr
    );

    // `[lint]` turns it into a warning: reported, and the check goes on.
    let toml = std::fs::read_to_string(dir.path().join("migrate.toml")).unwrap();
    std::fs::write(
        dir.path().join("migrate.toml"),
        format!("{toml}\n[lint]\nmissing = \"warning\"\n"),
    )
    .unwrap();
    let out = migrate(dir.path(), &["check", "--offline"]);
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("warning: migrations/2026_01_01_0000-aaaa00000001_drop_old_index.sql:5:1: index products_sku_index"),
        "{}",
        out.stdout
    );
}

/// The fold does not model views, routines and triggers, so the offline
/// comparison leaves them out on both sides: declared in schema.sql and
/// made by a revision, or declared only, they are no difference offline.
#[test]
fn check_offline_leaves_views_routines_and_triggers_out() {
    let dir = example_copy();
    postgres_only(dir.path());
    let code =
        "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE VIEW user_ids AS SELECT id FROM users;
CREATE TRIGGER users_touch BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();";
    add_revision(dir.path(), "2025_12_01_0000-aaaa00000001_code.sql", code);
    let schema = std::fs::read_to_string(dir.path().join("schema.sql")).unwrap();
    std::fs::write(
        dir.path().join("schema.sql"),
        format!("{schema}\n{code}\nCREATE VIEW only_declared AS SELECT 1 AS one;\n"),
    )
    .unwrap();
    let out = migrate_with(
        dir.path(),
        &[("DATABASE_URL", NOWHERE)],
        &["check", "--offline"],
    );
    assert_eq!(out.code, 0, "{}{}", out.stdout, out.stderr);
    assert!(
        out.stdout.contains("No new upgrade operations detected."),
        "{}",
        out.stdout
    );
}
