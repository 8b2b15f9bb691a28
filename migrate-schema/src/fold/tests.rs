//! One test per statement kind and per naming rule the fold lowers.

use migrate_core::exact::postgres;

use super::lower_pg;
use super::state::{Certainty, Scope, State, StmtRef};
use crate::model::{FkAction, Identity, IndexKey, QualifiedName, Schema};

fn fold(sqls: &[&str]) -> State {
    let mut state = State::new();
    for (i, sql) in sqls.iter().enumerate() {
        let at = StmtRef {
            path: "m.sql".into(),
            line: i as u32 + 1,
            column: 1,
        };
        let tree = postgres::parse(sql, at.line, 1).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        lower_pg::apply(&mut state, &tree, &at);
    }
    state
}

fn schema(sqls: &[&str]) -> Schema {
    fold(sqls).to_schema()
}

fn table<'a>(s: &'a Schema, name: &str) -> &'a crate::model::Table {
    s.tables
        .get(&QualifiedName::new(name))
        .unwrap_or_else(|| panic!("no table {name} in {s:#?}"))
}

#[test]
fn create_table_reads_columns_and_unnamed_constraints_with_postgres_names() {
    let s = schema(&[
        "CREATE TABLE products (id TEXT PRIMARY KEY, price NUMERIC(10, 2) NOT NULL DEFAULT 0, n int GENERATED ALWAYS AS IDENTITY, g int GENERATED ALWAYS AS (n * 2) STORED)",
        "CREATE TABLE users (a int, b int, email text UNIQUE, p text REFERENCES products ON DELETE CASCADE, UNIQUE (a, b), CHECK (a > 0), CHECK (a > b), CHECK (a > 0 AND a < 10))",
    ]);
    let p = table(&s, "products");
    assert_eq!(
        p.primary_key.as_ref().unwrap().name.as_deref(),
        Some("products_pkey")
    );
    let price = p.column("price").unwrap();
    assert_eq!(price.data_type, "numeric(10, 2)");
    assert!(!price.nullable);
    assert_eq!(price.default.as_deref(), Some("0"));
    assert!(!p.column("id").unwrap().nullable);
    assert_eq!(p.column("n").unwrap().identity, Some(Identity::Always));
    assert_eq!(p.column("g").unwrap().generated.as_deref(), Some("n * 2"));
    let u = table(&s, "users");
    let uniques: Vec<_> = u.uniques.iter().map(|k| k.name.clone().unwrap()).collect();
    assert_eq!(uniques, ["users_email_key", "users_a_b_key"]);
    let checks: Vec<_> = u.checks.iter().map(|k| k.name.clone().unwrap()).collect();
    // Confirmed on PostgreSQL 15: one distinct column names the check,
    // two do not, and the third takes the digit.
    assert_eq!(checks, ["users_a_check", "users_check", "users_a_check1"]);
    let fk = &u.foreign_keys[0];
    assert_eq!(fk.name.as_deref(), Some("users_p_fkey"));
    assert_eq!(fk.ref_columns, ["id"]);
    assert_eq!(fk.on_delete, FkAction::Cascade);
}

#[test]
fn serial_is_an_integer_with_its_sequence_default() {
    let s = schema(&["CREATE TABLE s (id serial PRIMARY KEY, big bigserial)"]);
    let id = table(&s, "s").column("id").unwrap();
    assert_eq!(id.data_type, "integer");
    assert!(!id.nullable);
    assert_eq!(id.default.as_deref(), Some("nextval('s_id_seq'::regclass)"));
    assert_eq!(table(&s, "s").column("big").unwrap().data_type, "bigint");
}

#[test]
fn alter_table_adds_drops_and_alters_columns() {
    let s = schema(&[
        "CREATE TABLE t (a int, b text, c int)",
        "ALTER TABLE t ADD COLUMN d int NOT NULL DEFAULT 1",
        "ALTER TABLE t DROP COLUMN b",
        "ALTER TABLE t ALTER COLUMN a TYPE bigint, ALTER COLUMN a SET NOT NULL",
        "ALTER TABLE t ALTER COLUMN d DROP DEFAULT, ALTER COLUMN d DROP NOT NULL",
        "ALTER TABLE t ALTER COLUMN c SET DEFAULT 7",
    ]);
    let t = table(&s, "t");
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["a", "c", "d"]);
    assert_eq!(t.column("a").unwrap().data_type, "bigint");
    assert!(!t.column("a").unwrap().nullable);
    assert_eq!(t.column("d").unwrap().default, None);
    assert!(t.column("d").unwrap().nullable);
    assert_eq!(t.column("c").unwrap().default.as_deref(), Some("7"));
}

#[test]
fn add_and_drop_constraint() {
    let s = schema(&[
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE posts (x int, y int, p int)",
        "ALTER TABLE posts ADD UNIQUE (x, y)",
        "ALTER TABLE posts ADD CONSTRAINT posts_p FOREIGN KEY (p) REFERENCES p (id)",
        "ALTER TABLE posts ADD CHECK (x > 0)",
        "ALTER TABLE posts DROP CONSTRAINT posts_p",
    ]);
    let t = table(&s, "posts");
    assert_eq!(t.uniques[0].name.as_deref(), Some("posts_x_y_key"));
    assert!(t.foreign_keys.is_empty());
    assert_eq!(t.checks[0].name.as_deref(), Some("posts_x_check"));
}

#[test]
fn dropping_a_column_drops_what_uses_it() {
    let s = schema(&[
        "CREATE TABLE t (a int UNIQUE, b int CHECK (b > 0), c int)",
        "CREATE INDEX ON t (b, c)",
        "ALTER TABLE t DROP COLUMN b",
    ]);
    let t = table(&s, "t");
    assert!(t.checks.is_empty() && t.indexes.is_empty());
    assert_eq!(t.uniques.len(), 1);
}

#[test]
fn renames_keep_constraint_names_and_new_tables_take_digits() {
    // Confirmed on PostgreSQL 15: after the rename, members keeps users_*
    // names, and a new users takes the digit: users_email_key1, users_a_check1.
    let s = schema(&[
        "CREATE TABLE users (a int CHECK (a > 0), email text UNIQUE)",
        "ALTER TABLE users RENAME TO members",
        "ALTER TABLE members RENAME COLUMN email TO mail",
        "CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, a int CHECK (a > 0))",
        "ALTER TABLE users RENAME CONSTRAINT users_pkey TO users_id",
    ]);
    let m = table(&s, "members");
    assert_eq!(m.uniques[0].name.as_deref(), Some("users_email_key"));
    assert_eq!(m.uniques[0].columns, ["mail"]);
    assert_eq!(m.checks[0].name.as_deref(), Some("users_a_check"));
    let u = table(&s, "users");
    assert_eq!(u.uniques[0].name.as_deref(), Some("users_email_key1"));
    assert_eq!(u.checks[0].name.as_deref(), Some("users_a_check1"));
    assert_eq!(
        u.primary_key.as_ref().unwrap().name.as_deref(),
        Some("users_id")
    );
}

#[test]
fn indexes_take_auto_names_and_drop_by_name() {
    // Confirmed on PostgreSQL 15: posts_user_id_idx, posts_user_id_idx1,
    // posts_lower_idx, posts_lower_lower1_idx, posts_expr_idx, c_p_id_idx.
    let s = schema(&[
        "CREATE TABLE posts (user_id int, a text, b text)",
        "CREATE TABLE c (p_id int)",
        "CREATE INDEX ON posts (user_id)",
        "CREATE INDEX ON posts (user_id)",
        "CREATE INDEX ON c (p_id) WHERE p_id > 0",
        "CREATE INDEX ON posts (lower(a))",
        "CREATE INDEX ON posts (lower(a), lower(b))",
        "CREATE UNIQUE INDEX ON posts ((a || b))",
        "CREATE INDEX named ON posts USING gin (a)",
        "DROP INDEX named",
    ]);
    let names: Vec<_> = table(&s, "posts")
        .indexes
        .iter()
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(
        names,
        [
            "posts_user_id_idx",
            "posts_user_id_idx1",
            "posts_lower_idx",
            "posts_lower_lower1_idx",
            "posts_expr_idx"
        ]
    );
    let c = &table(&s, "c").indexes[0];
    assert_eq!(c.name, "c_p_id_idx");
    assert_eq!(c.predicate.as_deref(), Some("p_id > 0"));
    let expr = &table(&s, "posts").indexes[4];
    assert!(expr.unique);
    assert_eq!(expr.keys, [IndexKey::Expression("a || b".into())]);
}

#[test]
fn drop_table_removes_it_and_cascades_to_foreign_keys() {
    let state = fold(&[
        "CREATE TABLE p (id int PRIMARY KEY)",
        "CREATE TABLE c (p_id int REFERENCES p)",
        "DROP TABLE p CASCADE",
        "CREATE TABLE p (id int PRIMARY KEY)",
    ]);
    let s = state.to_schema();
    assert!(table(&s, "c").foreign_keys.is_empty());
    // The pkey name is free again.
    assert_eq!(
        table(&s, "p").primary_key.as_ref().unwrap().name.as_deref(),
        Some("p_pkey")
    );
    assert_eq!(state.coverage().modelled, 4);
}

#[test]
fn enums_are_created_extended_and_dropped() {
    let s = schema(&[
        "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        "ALTER TYPE mood ADD VALUE 'ok' BEFORE 'happy'",
        "ALTER TYPE mood ADD VALUE 'great'",
        "ALTER TYPE mood ADD VALUE IF NOT EXISTS 'sad'",
        "CREATE TYPE gone AS ENUM ('x')",
        "DROP TYPE gone",
        "COMMENT ON TYPE mood IS 'how it feels'",
    ]);
    let mood = &s.enums[&QualifiedName::new("mood")];
    assert_eq!(mood.values, ["sad", "ok", "happy", "great"]);
    assert_eq!(mood.comment.as_deref(), Some("how it feels"));
    assert_eq!(s.enums.len(), 1);
}

#[test]
fn schemas_and_comments() {
    let s = schema(&[
        "CREATE SCHEMA audit",
        "CREATE TABLE audit.log (id int PRIMARY KEY, at timestamptz)",
        "COMMENT ON TABLE audit.log IS 'who did what'",
        "COMMENT ON COLUMN audit.log.at IS 'when'",
        "COMMENT ON COLUMN audit.log.at IS NULL",
    ]);
    assert!(s.schemas.contains("audit"));
    let log = &s.tables[&QualifiedName::in_schema("audit", "log")];
    assert_eq!(log.comment.as_deref(), Some("who did what"));
    assert_eq!(log.column("at").unwrap().comment, None);
    assert_eq!(
        log.primary_key.as_ref().unwrap().name.as_deref(),
        Some("log_pkey")
    );
}

#[test]
fn a_do_block_taints_the_world_until_a_table_is_made_again() {
    let state = fold(&[
        "CREATE TABLE a (id int)",
        "DO $$ BEGIN EXECUTE 'ALTER TABLE a ADD x int'; END $$",
        "CREATE TABLE b (id int)",
        "INSERT INTO b VALUES (1)",
    ]);
    let a = state.find_table("public", "a").unwrap();
    let b = state.find_table("public", "b").unwrap();
    assert!(matches!(state.certainty(a), Certainty::Unsure(t) if t.scope == Scope::World));
    assert_eq!(state.certainty(b), Certainty::Certain);
    assert_eq!(state.coverage().modelled, 3);
    assert_eq!(state.coverage().statements, 4);
    assert!(
        state
            .coverage()
            .summary()
            .starts_with("3 of 4 statements modelled (75.0 %)")
    );
}

#[test]
fn an_unknown_alter_subcommand_taints_only_that_table() {
    let state = fold(&[
        "CREATE TABLE a (id int)",
        "CREATE TABLE b (id int)",
        "ALTER TABLE a INHERIT b",
    ]);
    let a = state.find_table("public", "a").unwrap();
    let b = state.find_table("public", "b").unwrap();
    assert!(matches!(state.certainty(a), Certainty::Unsure(t) if t.scope == Scope::Table));
    assert_eq!(state.certainty(b), Certainty::Certain);
    assert_eq!(state.coverage().modelled, 2);
}

#[test]
fn a_dropped_serial_column_frees_its_sequence_name() {
    // Confirmed on PostgreSQL 15: the re-added column's sequence is s_n_seq again.
    let s = schema(&[
        "CREATE TABLE s (id int, n serial)",
        "ALTER TABLE s DROP COLUMN n",
        "ALTER TABLE s ADD COLUMN n serial",
    ]);
    let n = table(&s, "s").column("n").unwrap();
    assert_eq!(n.default.as_deref(), Some("nextval('s_n_seq'::regclass)"));
}

#[test]
fn objects_the_model_does_not_hold_taint_nothing_and_other_statements_taint_what_they_name() {
    let state = fold(&[
        "CREATE TABLE a (id int)",
        "CREATE TABLE b (id int)",
        "CREATE DOMAIN posint AS int CHECK (VALUE > 0)",
        "ALTER TABLE a SET SCHEMA other",
    ]);
    let a = state.find_table("public", "a").unwrap();
    let b = state.find_table("public", "b").unwrap();
    assert!(matches!(state.certainty(a), Certainty::Unsure(t) if t.scope == Scope::Table));
    assert_eq!(state.certainty(b), Certainty::Certain);
    let c = state.coverage();
    assert_eq!((c.modelled, c.statements), (2, 4));
    assert_eq!(c.taints[0].scope, Scope::Unmodelled);
    assert_eq!(c.taints[0].at.line, 3);
}

#[test]
fn a_no_check_statement_taints_the_tables_it_names() {
    let mut state = fold(&["CREATE TABLE a (id int)", "CREATE TABLE b (id int)"]);
    let at = StmtRef {
        path: "m.sql".into(),
        line: 3,
        column: 1,
    };
    let tree = postgres::parse("ALTER TABLE a ADD COLUMN x int", 3, 1).unwrap();
    lower_pg::taint_named(&mut state, &tree, &at);
    let a = state.find_table("public", "a").unwrap();
    let b = state.find_table("public", "b").unwrap();
    assert!(matches!(state.certainty(a), Certainty::Unsure(_)));
    assert_eq!(state.certainty(b), Certainty::Certain);
}

fn write_revision(dir: &std::path::Path, n: u32, parent: Option<&str>, up: &str) -> String {
    let id = format!("aaaa0000000{n}");
    let text = format!(
        "-- revision: {id}\n-- down_revision: {}\n\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n-- migrate:no-op\n",
        parent.unwrap_or("none")
    );
    std::fs::write(dir.join(format!("2025_01_0{n}_0000-{id}_r.sql")), text).unwrap();
    id
}

#[test]
fn fold_upgrades_folds_a_loaded_directory_in_order_and_counts_coverage() {
    use migrate_core::sql::Dialect;
    use migrate_core::{DialectCheck, load_directory};

    let dir = tempfile::tempdir().unwrap();
    let one = write_revision(dir.path(), 1, None, "CREATE TABLE t (id int PRIMARY KEY);");
    let two = write_revision(
        dir.path(),
        2,
        Some(&one),
        "ALTER TABLE t ADD COLUMN name text;\n-- migrate:no-check\nALTER TABLE t ADD COLUMN x int;",
    );
    write_revision(dir.path(), 3, Some(&two), "DO $$ BEGIN PERFORM 1; END $$;");
    let migrations = load_directory(dir.path(), "migrations", &DialectCheck::Any).unwrap();

    let mut seen = Vec::new();
    let result = super::fold_with(&migrations, Dialect::Postgres, None, |i, state| {
        seen.push((
            migrations.revisions[i].id().to_owned(),
            state.coverage().statements,
        ));
    })
    .unwrap();
    assert_eq!(
        seen,
        [
            ("aaaa00000001".to_owned(), 1),
            ("aaaa00000002".to_owned(), 3),
            ("aaaa00000003".to_owned(), 4)
        ]
    );
    let coverage = result.coverage();
    assert_eq!((coverage.modelled, coverage.statements), (2, 4));
    assert!(
        coverage
            .summary()
            .starts_with("2 of 4 statements modelled (50.0 %); unsure after: migrations/2025_01_02_0000-aaaa00000002_r.sql:7:1"),
        "{}",
        coverage.summary()
    );

    let at_two = super::fold_to(&migrations, Dialect::Postgres, 1).unwrap();
    assert_eq!(at_two.revisions, [0, 1]);
    let s = at_two.state.to_schema();
    let names: Vec<_> = table(&s, "t")
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    // The no-check statement is not folded; the table is unsure instead.
    assert_eq!(names, ["id", "name"]);
    assert_eq!(at_two.state.unsure_tables().len(), 1);
}

#[test]
fn renaming_a_column_rewrites_the_expressions_that_use_it() {
    let state = fold(&[
        "CREATE TABLE t (email text CHECK (email <> ''), g text GENERATED ALWAYS AS (upper(email)) STORED)",
        "CREATE INDEX ON t (lower(email)) WHERE email IS NOT NULL",
        "ALTER TABLE t RENAME COLUMN email TO mail",
    ]);
    assert_eq!(state.coverage().modelled, 3);
    let s = state.to_schema();
    let t = table(&s, "t");
    assert_eq!(t.checks[0].expression, "mail <> ''");
    assert_eq!(t.checks[0].name.as_deref(), Some("t_email_check"));
    assert_eq!(
        t.column("g").unwrap().generated.as_deref(),
        Some("upper(mail)")
    );
    assert_eq!(
        t.indexes[0].keys,
        [IndexKey::Expression("lower(mail)".into())]
    );
    assert_eq!(t.indexes[0].predicate.as_deref(), Some("mail IS NOT NULL"));
    assert_eq!(t.indexes[0].name, "t_lower_idx");
}

#[test]
fn foreign_keys_follow_renames_and_go_with_the_referenced_column() {
    let s = schema(&[
        "CREATE TABLE n (id int PRIMARY KEY, parent int REFERENCES n, code text UNIQUE)",
        "CREATE TABLE m (n_id int REFERENCES n, n_code text REFERENCES n (code))",
        "ALTER TABLE n RENAME COLUMN id TO key",
        "ALTER TABLE n RENAME TO nodes",
        "ALTER TABLE nodes DROP COLUMN code CASCADE",
    ]);
    let nodes = table(&s, "nodes");
    assert_eq!(nodes.foreign_keys[0].ref_columns, ["key"]);
    assert_eq!(nodes.foreign_keys[0].name.as_deref(), Some("n_parent_fkey"));
    let m = table(&s, "m");
    assert_eq!(m.foreign_keys.len(), 1);
    assert_eq!(m.foreign_keys[0].ref_table, QualifiedName::new("nodes"));
    assert_eq!(m.foreign_keys[0].ref_columns, ["key"]);
}

#[test]
fn dropping_an_enum_with_cascade_drops_its_columns() {
    // Confirmed on PostgreSQL 15: "drop cascades to column ms of table t9", and m.
    let s = schema(&[
        "CREATE TYPE mood AS ENUM ('sad', 'happy')",
        "CREATE TABLE t (id int NOT NULL, m mood, ms mood[])",
        "ALTER TABLE t ALTER COLUMN id ADD GENERATED ALWAYS AS IDENTITY",
        "DROP TYPE mood CASCADE",
    ]);
    let t = table(&s, "t");
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id"]);
    assert_eq!(t.column("id").unwrap().identity, Some(Identity::Always));
    assert!(s.enums.is_empty());
}

#[test]
fn an_index_the_model_cannot_hold_leaves_its_table_unsure() {
    let state = fold(&[
        "CREATE TABLE t (a text, b text)",
        "CREATE TABLE u (a text)",
        "CREATE INDEX t_a ON t USING gist (a gist_trgm_ops(siglen = 32))",
        "SET CONSTRAINTS ALL DEFERRED",
    ]);
    let t = state.find_table("public", "t").unwrap();
    let u = state.find_table("public", "u").unwrap();
    assert!(matches!(state.certainty(t), Certainty::Unsure(w) if w.at.line == 3));
    assert_eq!(state.certainty(u), Certainty::Certain);
    assert_eq!(state.coverage().modelled, 3);
}

#[test]
fn index_key_details_collations_and_storage_are_folded() {
    let state = fold(&[
        "CREATE TABLE t (a text COLLATE \"C\", b int, c text) WITH (fillfactor = 90, autovacuum_enabled = false)",
        "CREATE INDEX t_a ON t (a text_pattern_ops DESC NULLS LAST, b NULLS FIRST) INCLUDE (c) WITH (fillfactor = 70)",
        "ALTER TABLE t SET (fillfactor = 80)",
        "ALTER TABLE t RESET (autovacuum_enabled)",
        "ALTER TABLE t ALTER COLUMN c TYPE varchar(10) COLLATE \"POSIX\"",
    ]);
    let s = state.to_schema();
    let t = table(&s, "t");
    assert_eq!(t.column("a").unwrap().collation.as_deref(), Some("C"));
    assert_eq!(t.column("c").unwrap().collation.as_deref(), Some("POSIX"));
    assert_eq!(t.storage, [("fillfactor".to_owned(), "80".to_owned())]);
    let i = &t.indexes[0];
    assert_eq!(i.include, ["c"]);
    assert_eq!(i.with, [("fillfactor".to_owned(), "70".to_owned())]);
    assert_eq!(
        i.key_options,
        [
            crate::model::IndexKeyOptions {
                opclass: Some("text_pattern_ops".into()),
                descending: true,
                nulls_first: Some(false),
                ..Default::default()
            },
            crate::model::IndexKeyOptions {
                nulls_first: Some(true),
                ..Default::default()
            },
        ]
    );
    // The same schema declared compares equal.
    let declared = crate::parse_schema(
        "CREATE TABLE t (a text COLLATE \"C\", b int, c varchar(10) COLLATE \"POSIX\") WITH (fillfactor = 80);
         CREATE INDEX t_a ON t (a text_pattern_ops DESC NULLS LAST, b NULLS FIRST) INCLUDE (c) WITH (fillfactor = 70);",
        migrate_core::sql::Dialect::Postgres,
    )
    .unwrap();
    let changes = crate::diff(
        &s,
        &declared,
        migrate_core::sql::Dialect::Postgres,
        &Default::default(),
    );
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn identity_and_serial_sequences_share_the_relation_names() {
    // Confirmed on PostgreSQL 15: the identity column a_b.id owns
    // a_b_id_seq, so the serial column a.b_id, whose name would be the
    // same, gets a_b_id_seq1.
    let state = fold(&[
        "CREATE TABLE a_b (id int GENERATED ALWAYS AS IDENTITY)",
        "CREATE TABLE a (b_id serial)",
    ]);
    let s = state.to_schema();
    assert_eq!(
        table(&s, "a").column("b_id").unwrap().default.as_deref(),
        Some("nextval('a_b_id_seq1'::regclass)")
    );
}

// ------------------------------------------------------------ findings

/// A linear chain of revisions `r1`, `r2`, … from (upgrade, downgrade)
/// pairs, loaded from a temporary directory, and its fold.
fn chain(revisions: &[(&str, &str)]) -> (migrate_core::Migrations, super::FoldResult) {
    chain_in(migrate_core::Dialect::Postgres, revisions)
}

/// [`chain`] folded in `dialect`. A PostgreSQL chain is loaded with
/// PostgreSQL's checks; a SQLite one with no replay: the fold, not SQLite,
/// is what is tested.
pub(super) fn chain_in(
    dialect: migrate_core::Dialect,
    revisions: &[(&str, &str)],
) -> (migrate_core::Migrations, super::FoldResult) {
    let dir = tempfile::tempdir().unwrap();
    for (i, (up, down)) in revisions.iter().enumerate() {
        let parent = if i == 0 {
            "none".to_owned()
        } else {
            format!("r{i}")
        };
        let text = format!(
            "-- revision: r{}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n",
            i + 1
        );
        std::fs::write(
            dir.path().join(format!("{:03}_r{}.sql", i + 1, i + 1)),
            text,
        )
        .unwrap();
    }
    let checks = match dialect {
        migrate_core::Dialect::Postgres => migrate_core::DialectCheck::All(vec![dialect]),
        migrate_core::Dialect::Sqlite => migrate_core::DialectCheck::Any,
    };
    let migrations = migrate_core::load_directory(dir.path(), "migrations", &checks)
        .unwrap_or_else(|e| panic!("{e}"));
    let folded = super::fold_upgrades(&migrations, dialect).unwrap();
    (migrations, folded)
}

/// The findings as `rule@revision/section:line message`.
pub(super) fn found(folded: &super::FoldResult) -> Vec<String> {
    folded
        .findings
        .iter()
        .map(|f| {
            format!(
                "{}@r{}/{}:{} {}",
                f.finding.rule,
                f.revision + 1,
                f.section.name(),
                f.finding.at.line,
                f.finding.message
            )
        })
        .collect()
}

const USERS: (&str, &str) = (
    "CREATE TABLE users (id int PRIMARY KEY, email text UNIQUE, name text);",
    "DROP TABLE users;",
);

#[test]
fn downgrade_dropping_an_index_under_a_name_the_upgrade_did_not_create_is_missing() {
    let (_, folded) = chain(&[
        USERS,
        (
            "CREATE INDEX ON users (name);",
            "DROP INDEX users_name_index;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    // The downgrade's statement is on line 8 of the file.
    assert!(
        f[0].starts_with("missing@r2/downgrade:8 index users_name_index does not exist at this point of the chain; the nearest index here is users_name_idx"),
        "{f:#?}"
    );
}

#[test]
fn a_renamed_table_keeps_its_constraint_names() {
    let (_, folded) = chain(&[
        USERS,
        (
            "ALTER TABLE users RENAME TO members;",
            "ALTER TABLE members RENAME TO users;",
        ),
        (
            "ALTER TABLE members DROP CONSTRAINT members_email_key;",
            "ALTER TABLE members ADD CONSTRAINT members_email_key UNIQUE (email);",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with("missing@r3/upgrade:5 constraint members_email_key of table members does not exist at this point of the chain; the nearest constraint of the table is users_email_key"),
        "{f:#?}"
    );
}

#[test]
fn adding_a_column_that_exists_is_found() {
    let (_, folded) = chain(&[
        USERS,
        (
            "ALTER TABLE users ADD COLUMN name text;",
            "ALTER TABLE users DROP COLUMN name;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with("exists@r2/upgrade:5 column name of table users already exists here"),
        "{f:#?}"
    );
}

#[test]
fn dropping_a_referenced_table_without_cascade_is_found() {
    let (_, folded) = chain(&[(
        "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (a_id int REFERENCES a);",
        "DROP TABLE a;\nDROP TABLE b;",
    )]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with("drop-dependency@r1/downgrade:9 table a cannot be dropped: foreign key b_a_id_fkey of table b still references it"),
        "{f:#?}"
    );
    // Both in one statement, or in the right order, is fine.
    for down in [
        "DROP TABLE a, b;",
        "DROP TABLE b;\nDROP TABLE a;",
        "DROP TABLE a CASCADE;\nDROP TABLE b;",
    ] {
        let (_, folded) = chain(&[(
            "CREATE TABLE a (id int PRIMARY KEY);\nCREATE TABLE b (a_id int REFERENCES a);",
            down,
        )]);
        assert!(found(&folded).is_empty(), "{down}: {:#?}", found(&folded));
    }
}

#[test]
fn dropping_the_index_of_a_key_is_a_dependency() {
    let (_, folded) = chain(&[USERS, ("DROP INDEX users_email_key;", "SELECT 1;")]);
    let f = found(&folded);
    assert!(
        f[0].starts_with("drop-dependency@r2/upgrade:5 index users_email_key cannot be dropped: constraint users_email_key of table users requires it"),
        "{f:#?}"
    );
}

#[test]
fn a_downgrade_that_does_not_restore_the_start_is_described() {
    let (_, folded) = chain(&[
        (
            "CREATE TABLE products (id int PRIMARY KEY, price int DEFAULT 0);",
            "DROP TABLE products;",
        ),
        (
            "ALTER TABLE products ADD COLUMN age int;\nALTER TABLE products ALTER COLUMN price DROP DEFAULT;",
            "UPDATE products SET price = 0;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with("downgrade-mismatch@r2/downgrade:9 the downgrade does not restore"),
        "{f:#?}"
    );
    assert!(f[0].contains("leaves column products.age"), "{f:#?}");
    assert!(
        f[0].contains("restores products.price without its DEFAULT 0"),
        "{f:#?}"
    );
}

#[test]
fn a_correct_chain_reports_nothing_and_its_model_is_the_upgrades() {
    let (_, folded) = chain(&[
        USERS,
        (
            "CREATE INDEX ON users (name);\nALTER TABLE users ADD COLUMN age int NOT NULL DEFAULT 0;",
            "DROP INDEX users_name_idx;\nALTER TABLE users DROP COLUMN age;",
        ),
        (
            "ALTER TABLE users RENAME TO members;\nCREATE TABLE users (id int PRIMARY KEY, m int REFERENCES members);",
            "DROP TABLE users;\nALTER TABLE members RENAME TO users;",
        ),
        (
            "CREATE TYPE mood AS ENUM ('a', 'b');\nALTER TABLE users ADD COLUMN mood mood;",
            "ALTER TABLE users DROP COLUMN mood;\nDROP TYPE mood;",
        ),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
    let s = folded.state.to_schema();
    let users = table(&s, "users");
    assert_eq!(
        users.primary_key.as_ref().unwrap().name.as_deref(),
        Some("users_pkey1")
    );
    assert!(users.columns.iter().any(|c| c.name == "mood"));
    let members = table(&s, "members");
    assert!(members.indexes.iter().any(|i| i.name == "users_name_idx"));
    assert!(members.columns.iter().any(|c| c.name == "age"));
}

#[test]
fn nothing_is_found_where_the_fold_is_not_sure() {
    let (_, folded) = chain(&[
        USERS,
        (
            "DO $$ BEGIN EXECUTE 'CREATE INDEX x ON users (name)'; END $$;",
            "SELECT 1;",
        ),
        (
            "DROP INDEX x;\nALTER TABLE users DROP COLUMN nick;",
            "SELECT 1;",
        ),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}

#[test]
fn levels_since_and_allow_comments_filter_what_is_reported() {
    use migrate_core::{Level, LintConfig, Rule};
    let revisions = [
        USERS,
        ("DROP INDEX nope;", "SELECT 1;"),
        (
            "-- migrate:allow(missing)\nDROP INDEX nope2;\nDROP INDEX nope3;",
            "SELECT 1;",
        ),
    ];
    let (migrations, folded) = chain(&revisions);
    let lint = LintConfig::default();
    let reported = super::report(&migrations, &lint, &folded.findings);
    let texts: Vec<&str> = reported.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(texts.len(), 2, "{texts:#?}");
    assert!(
        texts[0].contains("index nope does not exist")
            && texts[0].contains("(revision r2, upgrade) [missing]"),
        "{texts:#?}"
    );
    assert!(
        texts[0].contains("`-- migrate:allow(missing)`"),
        "{texts:#?}"
    );
    assert!(texts[1].contains("index nope3"), "{texts:#?}");
    assert!(reported.iter().all(|r| r.level == Level::Error));

    let mut lint = LintConfig::default();
    lint.set_since(Rule::Missing, "r3".into());
    let reported = super::report(&migrations, &lint, &folded.findings);
    assert_eq!(reported.len(), 1, "{reported:#?}");
    assert!(reported[0].text.contains("nope3"));

    let mut lint = LintConfig::default();
    lint.set_level(Rule::Missing, Level::Warning);
    let reported = super::report(&migrations, &lint, &folded.findings);
    assert!(reported.iter().all(|r| r.level == Level::Warning));
    lint.set_level(Rule::Missing, Level::Off);
    assert!(super::report(&migrations, &lint, &folded.findings).is_empty());
}

#[test]
fn a_name_from_before_a_rename_is_pointed_out() {
    let (_, folded) = chain(&[
        (
            "CREATE TABLE accounts (id int PRIMARY KEY, email text UNIQUE);\nCREATE INDEX ON accounts (email);",
            "DROP TABLE accounts;",
        ),
        (
            "ALTER TABLE accounts RENAME TO users;",
            "ALTER TABLE users RENAME TO accounts;",
        ),
        ("DROP INDEX users_email_idx;", "SELECT 1;"),
        (
            "ALTER TABLE users DROP CONSTRAINT users_email_key;",
            "SELECT 1;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f[0].contains("index users_email_idx does not exist at this point of the chain; table users has the index accounts_email_idx: a renamed table keeps"),
        "{f:#?}"
    );
    assert!(
        f[1].contains("constraint users_email_key of table users does not exist at this point of the chain; the table has accounts_email_key"),
        "{f:#?}"
    );
}

#[test]
fn what_other_statements_make_is_never_reported_missing() {
    let (_, folded) = chain(&[
        USERS,
        (
            "SELECT id, email INTO users_copy FROM users;\nALTER TABLE users_copy ADD COLUMN note text;",
            "DROP TABLE users_copy;",
        ),
        (
            "CREATE TYPE pair AS (a int, b int);\nCREATE DOMAIN posint AS int CHECK (VALUE > 0);",
            "DROP TYPE pair;\nDROP DOMAIN posint;",
        ),
        (
            "CREATE SCHEMA archive;\nALTER TABLE users_copy SET SCHEMA archive;\nALTER TABLE archive.users_copy DROP COLUMN note;",
            "ALTER TABLE archive.users_copy SET SCHEMA public;\nDROP SCHEMA archive;",
        ),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}

#[test]
fn a_call_to_a_function_that_runs_ddl_makes_everything_unsure() {
    let make = "CREATE FUNCTION make_part(n text) RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE format('CREATE TABLE %I (id int)', n); END $$;";
    let (_, folded) = chain(&[
        (make, "DROP FUNCTION make_part(text);"),
        (
            "SELECT make_part('events_2025');\nCREATE INDEX ON events_2025 (id);",
            "DROP TABLE events_2025;",
        ),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
    // diesel's helper makes a trigger only: the model stays sure.
    let (_, folded) = chain(&[
        USERS,
        (
            "CREATE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$ BEGIN EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl); END; $$ LANGUAGE plpgsql;\nSELECT diesel_manage_updated_at('users');\nDROP INDEX users_name_idx;",
            "SELECT 1;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].contains("index users_name_idx does not exist"),
        "{f:#?}"
    );
}

// ------------------------- views, functions, triggers, sequences, extensions
//
// Every finding below was confirmed on PostgreSQL 15 (the test server of
// scripts/pg.sh): the statement the fold reports fails there with the
// error quoted next to it, and the statements it lets pass succeed.

/// Whether some finding starts with `prefix` and contains `text`.
fn has(found: &[String], prefix: &str, text: &str) -> bool {
    found
        .iter()
        .any(|f| f.starts_with(prefix) && f.contains(text))
}

const TRIGGER_FN: &str =
    "CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;";

#[test]
fn functions_are_kept_by_signature() {
    let (_, folded) = chain(&[(
        // PostgreSQL 15: `function "f" already exists with same argument
        // types` (line 6); `function f(bigint) does not exist` (line 11).
        "CREATE FUNCTION f(integer) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE OR REPLACE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT 3';
CREATE FUNCTION f(text) RETURNS int LANGUAGE sql AS 'SELECT 4';
CREATE FUNCTION g(a int, OUT b int) LANGUAGE sql AS 'SELECT 1';
CREATE FUNCTION h(varchar(20), int[3]) RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP FUNCTION f(bigint);
DROP FUNCTION f(text);
DROP FUNCTION g(int);
DROP FUNCTION h(varchar, int[]);
DROP FUNCTION IF EXISTS nope(int);
DROP FUNCTION nope;",
        "DROP FUNCTION f(int);",
    )]);
    let f = found(&folded);
    assert_eq!(f.len(), 3, "{f:#?}");
    assert!(
        has(
            &f,
            "exists@r1/upgrade:6 ",
            "function f(integer) already exists here with the same argument types; write CREATE OR REPLACE FUNCTION"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "missing@r1/upgrade:11 ",
            "function f(bigint) does not exist at this point of the chain; what exists here is f(integer), f(text)"
        ),
        "{f:#?}"
    );
    // `DROP FUNCTION nope` (no argument list): `could not find a function
    // named "nope"`.
    assert!(
        has(&f, "missing@r1/upgrade:16 ", "function nope does not exist"),
        "{f:#?}"
    );
    let state = &folded.state;
    let sigs: Vec<_> = state
        .functions("public", "f")
        .iter()
        .map(|o| o.args.clone().unwrap())
        .collect();
    assert_eq!(sigs, [vec!["integer".to_owned()]]);
    assert!(state.functions("public", "g").is_empty());
    assert!(state.functions("public", "h").is_empty());
}

#[test]
fn triggers_are_kept_by_table_and_name() {
    let (_, folded) = chain(&[
        (
            "CREATE TABLE t (id int PRIMARY KEY, a int);",
            "DROP TABLE t;",
        ),
        (
            &format!(
                "{TRIGGER_FN}
CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE OR REPLACE TRIGGER tr BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER tr2 BEFORE UPDATE ON nope FOR EACH ROW EXECUTE FUNCTION touch();
CREATE TRIGGER tr3 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION nofunc();
CREATE TRIGGER tr4 BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION suppress_redundant_updates_trigger();
DROP TRIGGER nope ON t;
DROP TRIGGER IF EXISTS nope ON t;
DROP FUNCTION touch();"
            ),
            "DROP TRIGGER tr ON t;\nDROP FUNCTION touch();",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 5, "{f:#?}");
    // `trigger "tr" for relation "t" already exists`
    assert!(
        has(
            &f,
            "exists@r2/upgrade:7 ",
            "trigger tr on table t already exists here; write CREATE OR REPLACE TRIGGER"
        ),
        "{f:#?}"
    );
    // `relation "nope" does not exist`
    assert!(
        has(&f, "missing@r2/upgrade:9 ", "table nope does not exist"),
        "{f:#?}"
    );
    // `function nofunc() does not exist`
    assert!(
        has(
            &f,
            "missing@r2/upgrade:10 ",
            "trigger tr3 on table t executes function nofunc(), which does not exist at this point of the chain"
        ),
        "{f:#?}"
    );
    // `trigger "nope" for table "t" does not exist`
    assert!(
        has(
            &f,
            "missing@r2/upgrade:12 ",
            "trigger nope on table t does not exist at this point of the chain; the table has tr, tr4"
        ),
        "{f:#?}"
    );
    // `cannot drop function touch() because other objects depend on it`
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:14 ",
            "function touch() cannot be dropped: trigger tr on table t executes it"
        ),
        "{f:#?}"
    );
}

#[test]
fn dropping_a_function_with_cascade_drops_its_triggers() {
    // PostgreSQL 15: `drop cascades to trigger tr on table t`, after which
    // `DROP TRIGGER tr ON t` fails.
    let (_, folded) = chain(&[(
        &format!(
            "CREATE TABLE t (id int);
{TRIGGER_FN}
CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
DROP FUNCTION touch() CASCADE;
DROP TRIGGER tr ON t;"
        ),
        "DROP TABLE t;",
    )]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        has(
            &f,
            "missing@r1/upgrade:9 ",
            "trigger tr on table t does not exist"
        ),
        "{f:#?}"
    );
}

const VIEWS: (&str, &str) = (
    "CREATE TABLE t (id int PRIMARY KEY, a int, b text, c int);
CREATE VIEW v AS SELECT id, a, b FROM t;
CREATE VIEW w AS SELECT id FROM v;",
    "DROP VIEW w;\nDROP VIEW v;\nDROP TABLE t;",
);

#[test]
fn views_read_tables_and_columns_that_must_exist() {
    let (_, folded) = chain(&[
        VIEWS,
        (
            "CREATE VIEW x1 AS SELECT id FROM nope;
CREATE VIEW x2 AS SELECT nope FROM t;
CREATE VIEW x3 AS SELECT q.nope FROM t AS q;
CREATE VIEW x4 AS SELECT t.id, count(*) AS n FROM t GROUP BY t.id ORDER BY n;
CREATE VIEW x5 AS WITH r AS (SELECT id FROM t) SELECT id FROM r;
CREATE VIEW x6 AS SELECT id FROM t JOIN v USING (id);
CREATE VIEW x7 AS SELECT xmin, t FROM t;
DROP VIEW nope;
CREATE VIEW x8 AS SELECT relname FROM pg_class JOIN pg_catalog.pg_namespace n ON true, information_schema.tables;",
            "DROP VIEW x4, x5, x6, x7, x8;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 4, "{f:#?}");
    // `relation "nope" does not exist`
    assert!(
        has(
            &f,
            "missing@r2/upgrade:5 ",
            "view x1 reads nope, which does not exist at this point of the chain"
        ),
        "{f:#?}"
    );
    // `column "nope" does not exist`
    assert!(
        has(
            &f,
            "missing@r2/upgrade:6 ",
            "view x2 reads column nope, which no table it reads has at this point of the chain (t)"
        ),
        "{f:#?}"
    );
    // `column q.nope does not exist`
    assert!(
        has(
            &f,
            "missing@r2/upgrade:7 ",
            "view x3 reads column nope of table t, which does not exist"
        ),
        "{f:#?}"
    );
    // `view "nope" does not exist`
    assert!(
        has(&f, "missing@r2/upgrade:12 ", "view nope does not exist"),
        "{f:#?}"
    );
}

#[test]
fn creating_a_view_that_exists_or_replacing_its_columns_is_found() {
    let (_, folded) = chain(&[
        VIEWS,
        (
            "CREATE VIEW v AS SELECT id FROM t;
CREATE OR REPLACE VIEW v AS SELECT id, a FROM t;
CREATE OR REPLACE VIEW v AS SELECT id, b, a FROM t;
CREATE OR REPLACE VIEW v AS SELECT id, a, b, c FROM t;
CREATE MATERIALIZED VIEW m AS SELECT id FROM t;
CREATE MATERIALIZED VIEW m AS SELECT id FROM t;
CREATE MATERIALIZED VIEW IF NOT EXISTS m AS SELECT id FROM t;
DROP VIEW m;",
            "DROP MATERIALIZED VIEW m;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 5, "{f:#?}");
    // `relation "v" already exists`
    assert!(
        has(
            &f,
            "exists@r2/upgrade:5 ",
            "view v already exists here; write CREATE OR REPLACE VIEW"
        ),
        "{f:#?}"
    );
    // PostgreSQL refuses these as `cannot drop columns from view` and
    // `cannot change name of view column "a" to "b"`; the fold reports
    // them as `exists`: a view that exists cannot be replaced so.
    assert!(
        has(
            &f,
            "exists@r2/upgrade:6 ",
            "view v cannot be replaced: it would drop column b"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "exists@r2/upgrade:7 ",
            "view v cannot be replaced: its column a would become b"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "exists@r2/upgrade:10 ",
            "materialized view m already exists here; add IF NOT EXISTS"
        ),
        "{f:#?}"
    );
    // `"m" is not a view`
    assert!(
        has(
            &f,
            "missing@r2/upgrade:12 ",
            "m is a materialized view; use DROP MATERIALIZED VIEW"
        ),
        "{f:#?}"
    );
    let v = folded.state.view("public", "v").unwrap();
    assert_eq!(v.columns.as_deref().unwrap(), ["id", "a", "b", "c"]);
}

#[test]
fn dropping_what_a_view_reads_is_a_dependency_unless_cascade() {
    let (_, folded) = chain(&[
        VIEWS,
        (
            "DROP TABLE t;
ALTER TABLE t DROP COLUMN a;
ALTER TABLE t DROP COLUMN c;
DROP VIEW v;",
            "ALTER TABLE t ADD COLUMN c int;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 3, "{f:#?}");
    // `cannot drop table t because other objects depend on it`
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:5 ",
            "table t cannot be dropped: view v reads it"
        ),
        "{f:#?}"
    );
    // `cannot drop column a of table t because other objects depend on it`
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:6 ",
            "column a of table t cannot be dropped: view v reads it"
        ),
        "{f:#?}"
    );
    // `cannot drop view v because other objects depend on it`
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:8 ",
            "view v cannot be dropped: view w reads it"
        ),
        "{f:#?}"
    );

    // Dropped together, in any order, they hold nothing back.
    let (_, folded) = chain(&[(VIEWS.0, "DROP VIEW v, w;\nDROP TABLE t;")]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));

    // With CASCADE what depends goes too (PostgreSQL 15: `drop cascades
    // to view v`, `drop cascades to view w`), so dropping it again fails.
    for (drop, gone) in [
        ("ALTER TABLE t DROP COLUMN b CASCADE;", "v"),
        ("DROP VIEW v CASCADE;", "w"),
        ("DROP TABLE t CASCADE;", "w"),
    ] {
        let (_, folded) = chain(&[VIEWS, (&format!("{drop}\nDROP VIEW {gone};"), "SELECT 1;")]);
        let f = found(&folded);
        assert!(
            has(
                &f,
                "missing@r2/upgrade:6 ",
                &format!("view {gone} does not exist")
            ),
            "{drop}: {f:#?}"
        );
        assert!(folded.state.view("public", "w").is_none(), "{drop}");
    }
    // `SELECT *` reads every column there is when the view is made.
    let (_, folded) = chain(&[(
        "CREATE TABLE u (id int, b int);\nCREATE VIEW all_u AS SELECT * FROM u;\nALTER TABLE u DROP COLUMN b;",
        "SELECT 1;",
    )]);
    assert!(
        has(
            &found(&folded),
            "drop-dependency@r1/upgrade:7 ",
            "column b of table u cannot be dropped: view all_u reads it"
        ),
        "{:#?}",
        found(&folded)
    );
}

#[test]
fn renames_keep_views_triggers_and_functions_together() {
    // PostgreSQL 15 after these renames: the trigger is `tr` on `u`
    // executing `touch2`, and v's query reads `u.aa AS a`.
    let (_, folded) = chain(&[
        VIEWS,
        (
            &format!(
                "{TRIGGER_FN}
CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
ALTER TABLE t RENAME TO u;
ALTER TABLE u RENAME COLUMN a TO aa;
ALTER FUNCTION touch() RENAME TO touch2;
ALTER TRIGGER tr ON u RENAME TO tr_u;
ALTER VIEW w RENAME TO w2;
DROP TABLE u;
DROP FUNCTION touch2();
DROP VIEW v;
ALTER TABLE u DROP COLUMN aa;"
            ),
            "SELECT 1;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 4, "{f:#?}");
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:12 ",
            "table u cannot be dropped: view v reads it"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:13 ",
            "function touch2() cannot be dropped: trigger tr_u on table u executes it"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:14 ",
            "view v cannot be dropped: view w2 reads it"
        ),
        "{f:#?}"
    );
    assert!(
        has(
            &f,
            "drop-dependency@r2/upgrade:15 ",
            "column aa of table u cannot be dropped: view v reads it"
        ),
        "{f:#?}"
    );
    let v = folded.state.view("public", "v").unwrap();
    // The view's own column keeps its name.
    assert_eq!(v.columns.as_deref().unwrap(), ["id", "a", "b"]);
    assert_eq!(v.reads[0].columns.as_deref().unwrap(), ["id", "aa", "b"]);
}

#[test]
fn sequences_and_extensions_are_kept_by_name() {
    let (_, folded) = chain(&[(
        "CREATE TABLE t (id int);
CREATE SEQUENCE s OWNED BY t.id;
CREATE SEQUENCE s;
CREATE SEQUENCE IF NOT EXISTS s;
ALTER SEQUENCE nope RESTART;
ALTER SEQUENCE s RESTART;
DROP SEQUENCE nope;
DROP TABLE t;
CREATE SEQUENCE s;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION pgcrypto;
CREATE EXTENSION IF NOT EXISTS pgcrypto;
DROP EXTENSION nope;
DROP EXTENSION plpgsql;
CREATE EXTENSION earthdistance CASCADE;
DROP EXTENSION cube CASCADE;",
        "SELECT 1;",
    )]);
    let f = found(&folded);
    assert_eq!(f.len(), 5, "{f:#?}");
    // `relation "s" already exists`
    assert!(
        has(&f, "exists@r1/upgrade:7 ", "sequence s already exists here"),
        "{f:#?}"
    );
    // `relation "nope" does not exist`
    assert!(
        has(&f, "missing@r1/upgrade:9 ", "sequence nope does not exist"),
        "{f:#?}"
    );
    // `sequence "nope" does not exist`
    assert!(
        has(&f, "missing@r1/upgrade:11 ", "sequence nope does not exist"),
        "{f:#?}"
    );
    // `extension "pgcrypto" already exists`
    assert!(
        has(
            &f,
            "exists@r1/upgrade:15 ",
            "extension pgcrypto already exists here"
        ),
        "{f:#?}"
    );
    // `extension "nope" does not exist`
    assert!(
        has(
            &f,
            "missing@r1/upgrade:17 ",
            "extension nope does not exist"
        ),
        "{f:#?}"
    );
    // The sequence owned by t.id went with t, so line 13 made it anew;
    // plpgsql is in every database, and cube came with earthdistance.
}

#[test]
fn nothing_is_found_about_views_functions_or_triggers_where_the_fold_is_not_sure() {
    let (_, folded) = chain(&[
        VIEWS,
        ("DO $$ BEGIN EXECUTE 'DROP VIEW w'; END $$;", "SELECT 1;"),
        (
            "CREATE VIEW w AS SELECT 1 AS one;\nDROP TABLE t;\nDROP FUNCTION made_elsewhere(int);\nDROP TRIGGER x ON t;",
            "SELECT 1;",
        ),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}

#[test]
fn a_chain_with_views_functions_and_triggers_whose_downgrades_are_right_reports_nothing() {
    let revisions = [
        VIEWS,
        (
            &*format!(
                "{TRIGGER_FN}
CREATE TRIGGER tr BEFORE UPDATE ON t FOR EACH ROW EXECUTE FUNCTION touch();
CREATE FUNCTION total(int) RETURNS bigint LANGUAGE sql AS 'SELECT 1::bigint';
CREATE SEQUENCE ticket OWNED BY t.c;"
            ),
            "DROP SEQUENCE ticket;\nDROP FUNCTION total(integer);\nDROP TRIGGER tr ON t;\nDROP FUNCTION touch();",
        ),
        (
            "ALTER TABLE t RENAME TO items;\nALTER TABLE items RENAME COLUMN a TO amount;\nCREATE OR REPLACE VIEW v AS SELECT id, amount AS a, b, c FROM items;\nCREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM items;",
            // `CREATE OR REPLACE VIEW v AS SELECT id, amount AS a, b …`
            // would drop column c: PostgreSQL refuses it, and so does the
            // fold, so the view is made again.
            "DROP MATERIALIZED VIEW totals;\nDROP VIEW w;\nDROP VIEW v;\nALTER TABLE items RENAME COLUMN amount TO a;\nALTER TABLE items RENAME TO t;\nCREATE VIEW v AS SELECT id, a, b FROM t;\nCREATE VIEW w AS SELECT id FROM v;",
        ),
        (
            "DROP VIEW w;\nDROP VIEW v;\nALTER TABLE items DROP COLUMN b;",
            "ALTER TABLE items ADD COLUMN b text;\nCREATE VIEW v AS SELECT id, amount AS a, b, c FROM items;\nCREATE VIEW w AS SELECT id FROM v;",
        ),
    ];
    let (_, folded) = chain(&revisions);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
    // Every upgrade statement is modelled; before views, functions and
    // triggers were, the views, functions and trigger (7 of the 14) were
    // not: 7 of 14 statements modelled (50.0 %).
    let c = folded.state.coverage();
    assert_eq!((c.modelled, c.statements), (14, 14), "{}", c.summary());
    assert!(folded.state.view("public", "totals").is_some());
    let items = folded.state.find_table("public", "items").unwrap();
    assert!(folded.state.trigger(items, "tr").is_some());
}

#[test]
fn a_signature_names_each_type_one_way() {
    // PostgreSQL 15 drops each of these with the other spelling.
    let pairs = [
        ("int4", "integer"),
        ("int", "int4"),
        ("bool", "boolean"),
        ("varchar(10)", "character varying"),
        ("timestamptz", "timestamp with time zone"),
        ("float8", "double precision"),
        ("int8[]", "bigint[]"),
        ("text", "pg_catalog.text"),
        ("numeric(10, 2)", "decimal"),
    ];
    for (made, dropped) in pairs {
        let (_, folded) = chain(&[(
            &*format!(
                "CREATE FUNCTION f(a {made}) RETURNS int LANGUAGE sql AS 'SELECT 1';\nDROP FUNCTION f({dropped});"
            ),
            "SELECT 1;",
        )]);
        assert!(
            found(&folded).is_empty(),
            "{made} / {dropped}: {:#?}",
            found(&folded)
        );
        assert!(
            folded.state.functions("public", "f").is_empty(),
            "{made} / {dropped}"
        );
    }
}

#[test]
fn a_view_takes_indexes_and_column_renames_of_its_own() {
    // PostgreSQL 15: an index on a materialized view takes its relation
    // name (m_id_idx), a view's column is renamed with ALTER VIEW, and a
    // column it does not have: `column "nope" does not exist`.
    let (_, folded) = chain(&[(
        "CREATE TABLE t (id int, a int);
CREATE MATERIALIZED VIEW m AS SELECT id, a FROM t;
CREATE INDEX ON m (id);
CREATE UNIQUE INDEX m_a ON m (a);
CREATE VIEW v AS SELECT id, a FROM t;
ALTER VIEW v RENAME COLUMN a TO amount;
ALTER TABLE v RENAME COLUMN nope TO other;
CREATE OR REPLACE VIEW v AS SELECT id, a AS amount FROM t;",
        "DROP VIEW v;\nDROP INDEX m_a;\nDROP INDEX m_id_idx;\nDROP MATERIALIZED VIEW m;\nDROP TABLE t;",
    )]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        has(
            &f,
            "missing@r1/upgrade:11 ",
            "column nope of view v does not exist at this point of the chain; the view has id, amount"
        ),
        "{f:#?}"
    );
}

#[test]
fn what_moves_or_goes_with_its_schema_or_type_is_not_found_again() {
    // Confirmed on PostgreSQL 15: after SET SCHEMA the old names are free,
    // DROP SCHEMA … CASCADE drops the views and functions in it, and DROP
    // TYPE … CASCADE drops the column and the view that reads it.
    let (_, folded) = chain(&[(
        "CREATE SCHEMA app;
CREATE TABLE t (id int);
CREATE VIEW v AS SELECT id FROM t;
CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE SEQUENCE s;
ALTER VIEW v SET SCHEMA app;
ALTER FUNCTION f(int) SET SCHEMA app;
ALTER SEQUENCE s SET SCHEMA app;
CREATE VIEW v AS SELECT id FROM t;
CREATE FUNCTION f(int) RETURNS int LANGUAGE sql AS 'SELECT 2';
CREATE SEQUENCE s;
CREATE SCHEMA other;
CREATE VIEW other.w AS SELECT id FROM t;
CREATE FUNCTION other.g() RETURNS int LANGUAGE sql AS 'SELECT 1';
DROP SCHEMA other CASCADE;
CREATE SCHEMA other;
CREATE VIEW other.w AS SELECT id FROM t;
CREATE FUNCTION other.g() RETURNS int LANGUAGE sql AS 'SELECT 1';
CREATE TYPE mood AS ENUM ('a');
CREATE TABLE u (id int, m mood);
CREATE VIEW um AS SELECT id, m FROM u;
DROP TYPE mood CASCADE;
CREATE VIEW um AS SELECT id FROM u;",
        "DROP SCHEMA app CASCADE;\nDROP SCHEMA other CASCADE;\nDROP VIEW um;\nDROP TABLE u;\nDROP VIEW v;\nDROP FUNCTION f(int);\nDROP SEQUENCE s;\nDROP TABLE t;",
    )]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}

#[test]
fn diesels_helper_makes_the_set_updated_at_trigger() {
    // diesel's `diesel_manage_updated_at('t')` runs `CREATE TRIGGER
    // set_updated_at BEFORE UPDATE ON t … diesel_set_updated_at()`.
    let setup = "CREATE FUNCTION diesel_manage_updated_at(_tbl regclass) RETURNS VOID AS $$ BEGIN EXECUTE format('CREATE TRIGGER set_updated_at BEFORE UPDATE ON %s FOR EACH ROW EXECUTE PROCEDURE diesel_set_updated_at()', _tbl); END; $$ LANGUAGE plpgsql;
CREATE FUNCTION diesel_set_updated_at() RETURNS trigger AS $$ BEGIN RETURN NEW; END; $$ LANGUAGE plpgsql;";
    let (_, folded) = chain(&[
        (
            setup,
            "DROP FUNCTION diesel_set_updated_at();\nDROP FUNCTION diesel_manage_updated_at(regclass);",
        ),
        (
            "CREATE TABLE posts (id int, updated_at timestamptz);\nSELECT diesel_manage_updated_at('posts');",
            "DROP TRIGGER set_updated_at ON posts;\nDROP TABLE posts;",
        ),
        ("DROP FUNCTION diesel_set_updated_at();", "SELECT 1;"),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        has(
            &f,
            "drop-dependency@r3/upgrade:5 ",
            "function diesel_set_updated_at() cannot be dropped: trigger set_updated_at on table posts executes it"
        ),
        "{f:#?}"
    );
}

#[test]
fn a_serial_default_quotes_its_sequence_as_regclass_prints_it() {
    // Confirmed on PostgreSQL 15 (the fold oracle, tests/schema/fold_oracle.rs):
    // `nextval('"T Mixed_id_seq"'::regclass)`, schema-qualified outside `public`.
    let s = schema(&[
        "CREATE TABLE \"T Mixed\" (id serial)",
        "CREATE SCHEMA other",
        "CREATE TABLE other.u (id serial)",
    ]);
    let id = table(&s, "T Mixed").column("id").unwrap();
    assert_eq!(
        id.default.as_deref(),
        Some("nextval('\"T Mixed_id_seq\"'::regclass)")
    );
    let u = &s.tables[&QualifiedName::in_schema("other", "u")];
    assert_eq!(
        u.column("id").unwrap().default.as_deref(),
        Some("nextval('other.u_id_seq'::regclass)")
    );
}

#[test]
fn create_table_merges_keys_on_the_same_columns_as_postgres_does() {
    // Confirmed on PostgreSQL 15: a key repeating an earlier one's columns
    // is merged into it, and names it when it had no name; DEFERRABLE, or
    // other columns or column order, make a second key; ALTER TABLE merges
    // nothing.
    let s = schema(&[
        "CREATE TABLE t (id int PRIMARY KEY UNIQUE, a int UNIQUE, b int, UNIQUE (a), CONSTRAINT named UNIQUE (b), UNIQUE (b), CONSTRAINT pk2 UNIQUE (id))",
        "CREATE TABLE u (id int, CONSTRAINT u_named_pk PRIMARY KEY (id), UNIQUE (id))",
        "CREATE TABLE x (a int, CONSTRAINT first_one UNIQUE (a), CONSTRAINT second_one UNIQUE (a), b int UNIQUE, UNIQUE (b) DEFERRABLE, c int, UNIQUE (a, c), UNIQUE (c, a))",
        "CREATE TABLE y (a int)",
        "ALTER TABLE y ADD UNIQUE (a), ADD CONSTRAINT y_named UNIQUE (a)",
    ]);
    let keys = |name: &str| {
        let t = table(&s, name);
        let mut out: Vec<String> = t
            .primary_key
            .iter()
            .map(|k| format!("p {}", k.name.clone().unwrap()))
            .collect();
        out.extend(
            t.uniques
                .iter()
                .map(|k| format!("u {}", k.name.clone().unwrap())),
        );
        out
    };
    assert_eq!(keys("t"), ["p pk2", "u t_a_key", "u named"]);
    assert_eq!(keys("u"), ["p u_named_pk"]);
    assert_eq!(
        keys("x"),
        [
            "u first_one",
            "u x_b_key",
            "u x_b_key1",
            "u x_a_c_key",
            "u x_c_a_key"
        ]
    );
    assert_eq!(keys("y"), ["u y_a_key", "u y_named"]);
    // The merged names are free again.
    let state = fold(&[
        "CREATE TABLE t (a int UNIQUE, UNIQUE (a))",
        "CREATE INDEX t_a_key1 ON t (a)",
    ]);
    assert!(state.coverage().taints.is_empty(), "{:?}", state.coverage());
}

#[test]
fn an_unnamed_key_avoids_constraint_names_and_an_unnamed_index_does_not() {
    // Confirmed on PostgreSQL 15: k_c_key1, k2_pkey1, and k4_c_idx beside
    // the check k4_c_idx.
    let s = schema(&[
        "CREATE TABLE k (c int CONSTRAINT k_c_key CHECK (c > 0))",
        "ALTER TABLE k ADD UNIQUE (c)",
        "CREATE TABLE k2 (c int CONSTRAINT k2_pkey CHECK (c > 0), PRIMARY KEY (c))",
        "CREATE TABLE k4 (c int CONSTRAINT k4_c_idx CHECK (c > 0))",
        "CREATE INDEX ON k4 (c)",
    ]);
    assert_eq!(table(&s, "k").uniques[0].name.as_deref(), Some("k_c_key1"));
    assert_eq!(
        table(&s, "k2")
            .primary_key
            .as_ref()
            .unwrap()
            .name
            .as_deref(),
        Some("k2_pkey1")
    );
    assert_eq!(table(&s, "k4").indexes[0].name, "k4_c_idx");
}

#[test]
fn alter_table_runs_its_drops_first_as_postgres_does() {
    // Confirmed on PostgreSQL 15: z_a_key (the old key is dropped before
    // the new one is named), NOT NULL kept, DEFAULT 1 kept.
    let s = schema(&[
        "CREATE TABLE z (a int UNIQUE)",
        "ALTER TABLE z ADD UNIQUE (a), DROP CONSTRAINT z_a_key",
        "CREATE TABLE z2 (a int, b int)",
        "ALTER TABLE z2 ALTER COLUMN a SET NOT NULL, ALTER COLUMN a DROP NOT NULL",
        "ALTER TABLE z2 ALTER COLUMN b SET DEFAULT 1, ALTER COLUMN b DROP DEFAULT",
    ]);
    let z = table(&s, "z");
    assert_eq!(z.uniques.len(), 1);
    assert_eq!(z.uniques[0].name.as_deref(), Some("z_a_key"));
    let z2 = table(&s, "z2");
    assert!(!z2.column("a").unwrap().nullable);
    assert_eq!(z2.column("b").unwrap().default.as_deref(), Some("1"));
}

#[test]
fn a_downgrade_that_restores_a_key_under_another_name_is_described() {
    // The downgrade adds the key back unnamed while the upgrade's table
    // still holds its name: PostgreSQL names it users_email_key1 (confirmed
    // on PostgreSQL 15).
    let (_, folded) = chain(&[
        USERS,
        (
            "ALTER TABLE users DROP CONSTRAINT users_email_key;\nCREATE TABLE users_email_key (id int);",
            "DROP TABLE users_email_key;\nALTER TABLE users ADD UNIQUE (email);",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 0, "{f:#?}");
    let (_, folded) = chain(&[
        USERS,
        (
            "ALTER TABLE users DROP CONSTRAINT users_email_key;\nCREATE TABLE users_email_key (id int);",
            "ALTER TABLE users ADD UNIQUE (email);\nDROP TABLE users_email_key;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].contains("leaves a unique constraint users_email_key1 (email) on users")
            && f[0].contains(
                "does not restore the unique constraint users_email_key (email) of users"
            ),
        "{f:#?}"
    );
}

/// Statements real histories hold that the fold could take for mistakes:
/// function signatures spelled other ways, built-in trigger functions,
/// views over the catalogs, CTEs and set-returning functions, extensions,
/// renamed types, materialized views. None is reported.
#[test]
fn real_looking_statements_that_postgres_accepts_report_nothing() {
    let cases: &[&[(&str, &str)]] = &[
        &[(
            "CREATE FUNCTION f(a varchar, b timestamptz, c double precision, d int[], e text) RETURNS int LANGUAGE sql AS 'SELECT 1';",
            "DROP FUNCTION f(character varying, timestamp with time zone, float8, integer[], pg_catalog.text);",
        )],
        &[(
            "CREATE FUNCTION g(n numeric(10,2), t timestamp(3) without time zone, b bool, x character(3)) RETURNS int LANGUAGE sql AS 'SELECT 1';",
            "DROP FUNCTION g(numeric, timestamp, boolean, bpchar);",
        )],
        &[(
            "CREATE FUNCTION h() RETURNS int LANGUAGE sql AS 'SELECT 1';",
            "DROP FUNCTION h;",
        )],
        &[(
            "CREATE TABLE docs (id int, body text, tsv tsvector);\nCREATE TRIGGER tsv_update BEFORE INSERT OR UPDATE ON docs FOR EACH ROW EXECUTE FUNCTION tsvector_update_trigger(tsv, 'pg_catalog.english', body);",
            "DROP TRIGGER tsv_update ON docs;\nDROP TABLE docs;",
        )],
        &[(
            "CREATE TABLE d2 (id int);\nCREATE TRIGGER z BEFORE UPDATE ON d2 FOR EACH ROW EXECUTE PROCEDURE suppress_redundant_updates_trigger();",
            "DROP TABLE d2;",
        )],
        &[(
            "CREATE VIEW v1 AS SELECT table_name FROM information_schema.tables;",
            "DROP VIEW v1;",
        )],
        &[(
            "CREATE VIEW v2 AS SELECT pid FROM pg_stat_activity;",
            "DROP VIEW v2;",
        )],
        &[(
            "CREATE TABLE t (id int, a int);\nCREATE VIEW v3 AS WITH x AS (SELECT id FROM t) SELECT * FROM x;",
            "DROP VIEW v3;\nDROP TABLE t;",
        )],
        &[(
            "CREATE TABLE t (id int, a int);\nCREATE VIEW v4 AS SELECT s.i FROM generate_series(1, 3) AS s(i) JOIN t ON t.id = s.i;",
            "DROP VIEW v4;\nDROP TABLE t;",
        )],
        &[(
            "CREATE TABLE t (id int, a int);\nCREATE VIEW v5 AS SELECT t.*, now() AS at FROM t;\nALTER TABLE t ADD COLUMN b int;",
            "ALTER TABLE t DROP COLUMN b;\nDROP VIEW v5;\nDROP TABLE t;",
        )],
        &[(
            "CREATE TABLE t (id int, a int);\nCREATE VIEW v6 AS SELECT id, (SELECT count(*) FROM t t2 WHERE t2.a = t.a) AS n FROM t;",
            "DROP VIEW v6;\nDROP TABLE t;",
        )],
        &[(
            "CREATE TABLE t (id int, payload jsonb);\nCREATE VIEW v7 AS SELECT id, payload->>'k' AS k, j.value FROM t, jsonb_each(t.payload) j;",
            "DROP VIEW v7;\nDROP TABLE t;",
        )],
        &[(
            "CREATE TABLE t (id int);\nCREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER tt BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();",
            "DROP TRIGGER tt ON t;\nDROP FUNCTION trg();\nDROP TABLE t;",
        )],
        &[(
            "CREATE TABLE t (id int);\nCREATE FUNCTION public.trg2() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER tt2 BEFORE INSERT ON public.t FOR EACH ROW EXECUTE FUNCTION public.trg2();",
            "DROP TRIGGER IF EXISTS tt2 ON t;\nDROP FUNCTION IF EXISTS trg2;\nDROP TABLE t;",
        )],
        &[(
            "CREATE EXTENSION IF NOT EXISTS pgcrypto;\nCREATE TABLE k (id uuid DEFAULT gen_random_uuid());",
            "DROP TABLE k;\nDROP EXTENSION pgcrypto;",
        )],
        &[(
            "CREATE TYPE st AS ENUM ('a');\nCREATE TABLE e (s st);\nALTER TYPE st RENAME TO st2;",
            "ALTER TYPE st2 RENAME TO st;\nDROP TABLE e;\nDROP TYPE st;",
        )],
        &[(
            "CREATE TABLE q (id int);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS q_id ON q (id);",
            "DROP INDEX CONCURRENTLY IF EXISTS q_id;\nDROP TABLE q;",
        )],
        &[(
            "CREATE TABLE r (id int);\nCREATE MATERIALIZED VIEW mv AS SELECT id FROM r;\nCREATE UNIQUE INDEX mv_id ON mv (id);\nREFRESH MATERIALIZED VIEW CONCURRENTLY mv;",
            "DROP MATERIALIZED VIEW mv;\nDROP TABLE r;",
        )],
        &[(
            "CREATE TABLE p (id int, name text);\nCREATE VIEW pv AS SELECT id, name FROM p;\nCREATE OR REPLACE VIEW pv AS SELECT id, name, upper(name) AS uname FROM p;",
            "DROP VIEW pv;\nDROP TABLE p;",
        )],
        &[(
            "CREATE SEQUENCE s1;\nCREATE TABLE sq (id int DEFAULT nextval('s1'));\nALTER SEQUENCE s1 OWNED BY sq.id;",
            "DROP TABLE sq;",
        )],
    ];
    let mut out = Vec::new();
    for (i, c) in cases.iter().enumerate() {
        let (_, folded) = chain(c);
        for f in found(&folded) {
            out.push(format!("case {i}: {f}"));
        }
    }
    assert!(out.is_empty(), "{out:#?}");
}

#[test]
fn a_well_known_extension_leaves_its_schema_sure_and_another_does_not() {
    let down = (
        "CREATE INDEX ON users (name);",
        "DROP INDEX users_name_index;",
    );
    for (extension, reported) in [
        ("CREATE EXTENSION IF NOT EXISTS \"uuid-ossp\";", true),
        ("CREATE EXTENSION IF NOT EXISTS pgcrypto;", true),
        ("CREATE EXTENSION IF NOT EXISTS postgis;", true),
        ("CREATE EXTENSION IF NOT EXISTS timescaledb;", false),
    ] {
        let (_, folded) = chain(&[(extension, "SELECT 1;"), USERS, down]);
        let f = found(&folded);
        let missing = f.iter().filter(|f| f.starts_with("missing@")).count();
        assert_eq!(missing, usize::from(reported), "{extension}: {f:#?}");
    }
    // What postgis makes is known by name: neither missing nor taken.
    let (_, folded) = chain(&[(
        "CREATE EXTENSION postgis;\nCREATE VIEW srids AS SELECT srid FROM spatial_ref_sys;\nCREATE TABLE places (id int, at geography);",
        "DROP TABLE places;\nDROP VIEW srids;\nDROP EXTENSION postgis;",
    )]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}

#[test]
fn a_missing_index_named_after_its_table_lists_the_tables_indexes() {
    let (_, folded) = chain(&[(
        "CREATE TABLE users (id bigserial PRIMARY KEY, email text NOT NULL UNIQUE);\nCREATE INDEX ON users (lower(email));",
        "DROP INDEX users_email_lower_idx;\nDROP TABLE users;",
    )]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].contains("index users_email_lower_idx does not exist at this point of the chain; the indexes of table users here are users_lower_idx, users_pkey, users_email_key"),
        "{f:#?}"
    );
}

#[test]
fn a_downgrade_that_leaves_views_functions_triggers_and_sequences_is_described() {
    let (_, folded) = chain(&[
        USERS,
        (
            "CREATE VIEW named AS SELECT id, name FROM users;\nCREATE FUNCTION touch(n int) RETURNS int LANGUAGE sql AS 'SELECT n';\nCREATE FUNCTION stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;\nCREATE TRIGGER users_stamp BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION stamp();\nCREATE SEQUENCE tickets;",
            "DROP TRIGGER users_stamp ON users;\nDROP FUNCTION stamp();",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    for phrase in [
        "leaves view named",
        "leaves function touch(integer)",
        "leaves sequence tickets",
    ] {
        assert!(f[0].contains(phrase), "{phrase}: {f:#?}");
    }
    assert!(!f[0].contains("trigger"), "{f:#?}");
}

#[test]
fn a_control_character_in_a_name_is_reported_escaped_on_one_line() {
    let (migrations, folded) = chain(&[USERS, ("DROP INDEX \"bad\nname\";", "SELECT 1;")]);
    let reported = super::report(
        &migrations,
        &migrate_core::LintConfig::default(),
        &folded.findings,
    );
    assert_eq!(reported.len(), 1, "{reported:#?}");
    assert!(!reported[0].text.contains('\n'), "{reported:#?}");
    assert!(reported[0].text.contains("bad\\nname"), "{reported:#?}");
}

#[test]
fn a_rust_revision_makes_every_table_unsure_unless_it_changes_rows_only() {
    let table = migrate_core::parse_revision(
        "m/1-aaaa00000001_t.sql",
        "-- revision: aaaa00000001\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE t (id int PRIMARY KEY);\n",
    )
    .unwrap();
    let rust = |data_only: &str| {
        migrate_core::parse_rust_revision(
            "m/2-aaaa00000002_fill.rs",
            &format!(
                "// revision: aaaa00000002\n// down_revision: aaaa00000001\n{data_only}\npub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {{ Ok(()) }}\n"
            ),
        )
        .unwrap()
    };
    let unsure = |code: &migrate_core::Revision| {
        let mut state = State::new();
        super::fold_revision(&mut state, &table);
        super::fold_revision(&mut state, code);
        state
            .unsure_tables()
            .into_iter()
            .map(|(name, _)| name)
            .collect::<Vec<_>>()
    };
    assert_eq!(unsure(&rust("")), [QualifiedName::new("t")]);
    assert!(unsure(&rust("// data_only: true")).is_empty());
}

#[test]
fn deferrable_and_not_valid_constraints_are_folded() {
    let state = fold(&[
        "CREATE TABLE t (id int PRIMARY KEY DEFERRABLE, n int, code text UNIQUE DEFERRABLE INITIALLY DEFERRED, CHECK (n > 0) NOT VALID)",
        "CREATE TABLE u (id int PRIMARY KEY, t_id int)",
        "ALTER TABLE u ADD CONSTRAINT u_t FOREIGN KEY (t_id) REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED NOT VALID",
        "ALTER TABLE u ADD CONSTRAINT u_c CHECK (t_id > 0) NOT VALID",
        "ALTER TABLE u VALIDATE CONSTRAINT u_c",
    ]);
    let s = state.to_schema();
    let declared = crate::parse_schema(
        "CREATE TABLE t (id int PRIMARY KEY DEFERRABLE, n int CHECK (n > 0), code text UNIQUE DEFERRABLE INITIALLY DEFERRED);
         CREATE TABLE u (id int PRIMARY KEY, t_id int CONSTRAINT u_c CHECK (t_id > 0));
         ALTER TABLE ONLY u ADD CONSTRAINT u_t FOREIGN KEY (t_id) REFERENCES t (id) DEFERRABLE INITIALLY DEFERRED NOT VALID;",
        migrate_core::sql::Dialect::Postgres,
    )
    .unwrap();
    let changes = crate::diff(
        &s,
        &declared,
        migrate_core::sql::Dialect::Postgres,
        &Default::default(),
    );
    assert!(changes.is_empty(), "{changes:?}");
    let u = table(&s, "u");
    assert!(u.foreign_keys[0].not_valid);
    assert_eq!(u.foreign_keys[0].deferral, crate::Deferral::Deferred);
    assert!(!u.checks[0].not_valid);
}

#[test]
fn column_changes_on_a_partitioned_table_reach_its_partitions() {
    let (_, folded) = chain(&[
        (
            "CREATE TABLE events (id bigint, at date NOT NULL, note text) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01') PARTITION BY LIST (id);\nCREATE TABLE events_2025_a PARTITION OF events_2025 FOR VALUES IN (1);\nCREATE TABLE events_default PARTITION OF events DEFAULT;\nCREATE INDEX events_default_note ON events_default (note);",
            "DROP TABLE events;",
        ),
        (
            // Each partition, and a partition's partition, has the new and
            // the renamed column; the index on the renamed column follows.
            "ALTER TABLE events ADD COLUMN kind text;\nALTER TABLE events RENAME COLUMN note TO remark;\nCREATE INDEX ON events_default (kind, remark);\nCREATE INDEX ON events_2025_a (kind);\nALTER TABLE events_default ALTER COLUMN remark SET DEFAULT '';\nDROP INDEX events_default_note;",
            "CREATE INDEX events_default_note ON events_default (remark);\nDROP INDEX events_2025_a_kind_idx;\nDROP INDEX events_default_kind_remark_idx;\nALTER TABLE events_default ALTER COLUMN remark DROP DEFAULT;\nALTER TABLE events RENAME COLUMN remark TO note;\nALTER TABLE events DROP COLUMN kind;",
        ),
        (
            // A column dropped from the parent is gone from its partitions.
            "ALTER TABLE events DROP COLUMN remark;\nCREATE INDEX ON events_default (remark);",
            "SELECT 1;",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 1, "{f:#?}");
    assert!(
        f[0].starts_with(
            "missing@r3/upgrade:6 column remark of table events_default does not exist"
        ),
        "{f:#?}"
    );
    let t = folded
        .state
        .table(match folded.state.relation("public", "events_2025_a") {
            Some(super::state::Relation::Table(id)) => id,
            other => panic!("{other:?}"),
        });
    let names: Vec<&str> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["id", "at", "kind"]);
}

#[test]
fn partitions_get_the_partitioned_tables_keys_and_indexes() {
    let (_, folded) = chain(&[
        (
            "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at), UNIQUE (kind, at)) PARTITION BY RANGE (at);\nCREATE INDEX events_lower ON events (lower(kind));\nCREATE INDEX events_k1 ON events (kind);\nCREATE INDEX events_k2 ON events (kind) WHERE id > 0;\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE INDEX events_k3 ON events (id);",
            "DROP TABLE events;",
        ),
        (
            // Attached: `mine` stands for events_k1; the rest are made.
            "CREATE TABLE events_2026 (id bigint NOT NULL, at date NOT NULL, kind text);\nCREATE INDEX mine ON events_2026 (kind);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nALTER TABLE events ADD CONSTRAINT events_id_u UNIQUE (id, at);\nCREATE INDEX events_only ON ONLY events (at);",
            "DROP INDEX events_only;\nALTER TABLE events DROP CONSTRAINT events_id_u;\nALTER TABLE events DETACH PARTITION events_2026;\nDROP TABLE events_2026;",
        ),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
    let names = |table: &str| -> Vec<String> {
        let Some(super::state::Relation::Table(id)) = folded.state.relation("public", table) else {
            panic!("no table {table}");
        };
        let t = folded.state.table(id);
        t.primary_key
            .iter()
            .chain(&t.uniques)
            .map(|k| k.name.clone())
            .chain(t.indexes.iter().map(|i| i.name.clone()))
            .collect()
    };
    // As PostgreSQL 15 names them.
    assert_eq!(
        names("events_2025"),
        [
            "events_2025_pkey",
            "events_2025_kind_at_key",
            "events_2025_id_at_key",
            "events_2025_lower_idx",
            "events_2025_kind_idx",
            "events_2025_kind_idx1",
            "events_2025_id_idx",
        ]
    );
    assert_eq!(
        names("events_2026"),
        [
            "events_2026_pkey",
            "events_2026_kind_at_key",
            "events_2026_id_at_key",
            "mine",
            "events_2026_lower_idx",
            "events_2026_kind_idx",
            "events_2026_id_idx",
        ]
    );
}

#[test]
fn an_attached_index_goes_with_the_partitioned_tables_and_not_alone() {
    let (_, folded) = chain(&[
        (
            "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE INDEX events_kind ON events (kind);\nALTER INDEX events_2025_kind_idx RENAME TO events_2025_by_kind;\nCOMMENT ON INDEX events_2025_by_kind IS 'by kind';",
            "DROP TABLE events;",
        ),
        ("DROP INDEX events_2025_by_kind;", "SELECT 1;"),
        (
            "DROP INDEX events_kind;\nDROP INDEX events_2025_by_kind;",
            "CREATE INDEX events_kind ON events (kind);",
        ),
    ]);
    let f = found(&folded);
    assert_eq!(f.len(), 2, "{f:#?}");
    assert!(
        f[0].starts_with("drop-dependency@r2/upgrade:5 index events_2025_by_kind cannot be dropped: it is partition events_2025's part of index events_kind"),
        "{f:#?}"
    );
    assert!(
        f[1].starts_with("missing@r3/upgrade:6 index events_2025_by_kind does not exist"),
        "{f:#?}"
    );
}

#[test]
fn partition_bounds_that_postgres_refuses() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025_01 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');\n\
CREATE TABLE events_old PARTITION OF events FOR VALUES FROM (MINVALUE) TO ('2024-06-01');\n\
CREATE TABLE events_default PARTITION OF events DEFAULT;\n\
CREATE TABLE tags (label text) PARTITION BY LIST (label);\n\
CREATE TABLE tags_ab PARTITION OF tags FOR VALUES IN ('a', 'b');\n\
CREATE TABLE shards (id int) PARTITION BY HASH (id);\n\
CREATE TABLE shards_0 PARTITION OF shards FOR VALUES WITH (MODULUS 4, REMAINDER 0);\n\
CREATE TABLE loose (n int);";
    let refused = [
        (
            "CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-03-01');",
            "partition events_2025_02 would overlap partition events_2025_01 (FROM ('2025-01-01') TO ('2025-02-01'))",
        ),
        (
            "CREATE TABLE events_bad PARTITION OF events FOR VALUES FROM ('2025-03-01') TO ('2025-03-01');",
            "empty range bound for partition events_bad",
        ),
        (
            "CREATE TABLE events_2024 PARTITION OF events FOR VALUES FROM ('2024-01-01 00:00') TO ('2024-07-01');",
            "would overlap partition events_old",
        ),
        (
            "CREATE TABLE events_default2 PARTITION OF events DEFAULT;",
            "conflicts with the default partition events_default",
        ),
        (
            "CREATE TABLE tags_bc PARTITION OF tags FOR VALUES IN ('b', 'c');",
            "would overlap partition tags_ab (IN ('a', 'b'))",
        ),
        (
            "CREATE TABLE shards_4 PARTITION OF shards FOR VALUES WITH (MODULUS 8, REMAINDER 4);",
            "would overlap partition shards_0",
        ),
        (
            "CREATE TABLE shards_x PARTITION OF shards FOR VALUES WITH (MODULUS 3, REMAINDER 1);",
            "must be a factor of the next larger one",
        ),
        (
            "ALTER TABLE events ATTACH PARTITION loose FOR VALUES FROM ('2025-01-15') TO ('2025-01-20');",
            "partition loose would overlap partition events_2025_01",
        ),
    ];
    for (sql, message) in refused {
        let (_, folded) = chain(&[
            (base, "DROP TABLE events, tags, shards, loose;"),
            (sql, "SELECT 1;"),
        ]);
        let f = found(&folded);
        assert_eq!(f.len(), 1, "{sql}: {f:#?}");
        assert!(f[0].starts_with("exists@r2/upgrade:5 "), "{sql}: {f:#?}");
        assert!(f[0].contains(message), "{sql}: {f:#?}");
    }
    for sql in [
        "CREATE TABLE events_2025_02 PARTITION OF events FOR VALUES FROM ('2025-02-01') TO ('2025-03-01');",
        "CREATE TABLE events_mid PARTITION OF events FOR VALUES FROM ('2024-06-01') TO ('2025-01-01');",
        "CREATE TABLE tags_c PARTITION OF tags FOR VALUES IN ('c', NULL);",
        "CREATE TABLE shards_1 PARTITION OF shards FOR VALUES WITH (MODULUS 8, REMAINDER 1);",
        // Not compared: an expression.
        "CREATE TABLE events_now PARTITION OF events FOR VALUES FROM ('2025-01-01') TO (now());",
        "ALTER TABLE events DETACH PARTITION events_2025_01;\nCREATE TABLE events_2025_jan PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2025-02-01');",
    ] {
        let (_, folded) = chain(&[
            (base, "DROP TABLE events, tags, shards, loose;"),
            (sql, "SELECT 1;"),
        ]);
        // Only the downgrade, which undoes nothing, is reported.
        let f: Vec<String> = found(&folded)
            .into_iter()
            .filter(|f| !f.starts_with("downgrade-mismatch@r2/"))
            .collect();
        assert!(f.is_empty(), "{sql}: {f:#?}");
    }
}

#[test]
fn a_pg_dump_partitioned_table_folds_without_findings() {
    // pg_dump's order: the partition made on its own and attached ONLY,
    // each key and index made ONLY on the parent and on the partition,
    // then attached.
    let (_, folded) = chain(&[(
        "CREATE TABLE pe (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);\nCREATE TABLE pe_2025 (id bigint NOT NULL, at date NOT NULL, kind text);\nALTER TABLE ONLY pe ATTACH PARTITION pe_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nALTER TABLE ONLY pe ADD CONSTRAINT pe_pkey PRIMARY KEY (id, at);\nALTER TABLE ONLY pe_2025 ADD CONSTRAINT pe_2025_pkey PRIMARY KEY (id, at);\nCREATE INDEX pe_kind_idx ON ONLY pe USING btree (kind);\nCREATE INDEX pe_2025_kind_idx ON pe_2025 USING btree (kind);\nALTER INDEX pe_pkey ATTACH PARTITION pe_2025_pkey;\nALTER INDEX pe_kind_idx ATTACH PARTITION pe_2025_kind_idx;",
        "DROP TABLE pe;",
    )]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}

#[test]
fn a_table_attached_without_the_partitioned_tables_checks() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);\nALTER TABLE events ADD CONSTRAINT events_kind_ck CHECK (kind <> '');\nCREATE TABLE loose (id bigint NOT NULL, at date NOT NULL, kind text);";
    let attach = "ALTER TABLE events ATTACH PARTITION loose FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');";
    for (own, why) in [
        ("", "table loose lacks it"),
        (
            "ALTER TABLE loose ADD CONSTRAINT events_kind_ck CHECK (kind <> 'x');",
            "has it with another condition",
        ),
        (
            "ALTER TABLE loose ADD CONSTRAINT events_kind_ck CHECK (kind <> '') NOT VALID;",
            "has it NOT VALID",
        ),
    ] {
        let (_, folded) = chain(&[
            (&format!("{base}\n{own}"), "DROP TABLE events, loose;"),
            (attach, "SELECT 1;"),
        ]);
        let f = found(&folded);
        assert_eq!(f.len(), 1, "{own}: {f:#?}");
        assert!(
            f[0].starts_with("missing@r2/upgrade:5 ") && f[0].contains(why),
            "{own}: {f:#?}"
        );
    }
    let ready = "ALTER TABLE loose ADD CONSTRAINT events_kind_ck CHECK (kind <> '');";
    let (_, folded) = chain(&[
        (&format!("{base}\n{ready}"), "DROP TABLE events, loose;"),
        (attach, "ALTER TABLE events DETACH PARTITION loose;"),
    ]);
    assert!(found(&folded).is_empty(), "{:#?}", found(&folded));
}
