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
        "ALTER TABLE a ENABLE TRIGGER ALL",
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
        "CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1'",
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
            .starts_with("2 of 4 statements modelled (50.0 %); not modelled: migrations/2025_01_02_0000-aaaa00000002_r.sql:7:1"),
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

    assert_eq!(
        super::fold_upgrades(&migrations, Dialect::Sqlite).unwrap_err(),
        super::FoldError::Unsupported(Dialect::Sqlite)
    );
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
        "CREATE INDEX t_a ON t (a text_pattern_ops)",
        "SET CONSTRAINTS ALL DEFERRED",
    ]);
    let t = state.find_table("public", "t").unwrap();
    let u = state.find_table("public", "u").unwrap();
    assert!(matches!(state.certainty(t), Certainty::Unsure(w) if w.at.line == 3));
    assert_eq!(state.certainty(u), Certainty::Certain);
    assert_eq!(state.coverage().modelled, 3);
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
