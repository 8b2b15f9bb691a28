//! The SQLite fold: one test per statement kind and per naming rule, the
//! names as SQLite 3.40 gives them (each confirmed with `sqlite3`; the
//! oracle in tests/schema/fold_sqlite.rs checks them again on every run),
//! and the findings on whole chains.

use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

use super::lower_sqlite::{self, autoindex_name};
use super::state::{DEFAULT_SCHEMA, Relation, Scope, State, StmtRef};
use crate::model::{FkAction, Identity, IndexKey, QualifiedName, Schema};

fn fold(sqls: &[&str]) -> State {
    let mut state = State::new();
    for (i, sql) in sqls.iter().enumerate() {
        let at = StmtRef {
            path: "m.sql".into(),
            line: i as u32 + 1,
            column: 1,
        };
        let tree =
            Parser::parse_sql(&SQLiteDialect {}, sql).unwrap_or_else(|e| panic!("{sql}: {e}"));
        lower_sqlite::apply(&mut state, &tree, sql, &at);
    }
    state
}

fn table<'a>(s: &'a Schema, name: &str) -> &'a crate::model::Table {
    s.tables
        .get(&QualifiedName::new(name))
        .unwrap_or_else(|| panic!("no table {name} in {s:#?}"))
}

/// The `sqlite_autoindex_<table>_<N>` names the model holds for `table`.
fn autoindexes(state: &State, table: &str) -> Vec<String> {
    (1..=9)
        .map(|n| autoindex_name(table, n))
        .filter(|n| {
            matches!(
                state.relation(DEFAULT_SCHEMA, &n.to_ascii_lowercase()),
                Some(Relation::KeyIndex(_))
            )
        })
        .collect()
}

fn columns(keys: &[Vec<String>]) -> Vec<String> {
    keys.iter().map(|k| k.join(",")).collect()
}

#[test]
fn create_table_reads_columns_as_written_and_constraints_as_sqlite_names_them() {
    let state = fold(&[
        "CREATE TABLE products (id TEXT PRIMARY KEY, price NUMERIC(10, 2) NOT NULL DEFAULT 0, made TEXT DEFAULT (datetime('now')), n INTEGER AUTOINCREMENT, g INT GENERATED ALWAYS AS (price * 2) STORED, untyped)",
        "CREATE TABLE users (a INT, b INT, email TEXT UNIQUE, p TEXT REFERENCES products ON DELETE CASCADE, CONSTRAINT ab UNIQUE (a, b), CHECK (a > 0), CONSTRAINT a_lt_b CHECK (a < b))",
    ]);
    assert_eq!(state.coverage().modelled, 2);
    let s = state.to_schema();
    let p = table(&s, "products");
    // SQLite names no constraint that is not written with CONSTRAINT.
    assert_eq!(p.primary_key.as_ref().unwrap().name, None);
    assert_eq!(p.primary_key.as_ref().unwrap().columns, ["id"]);
    let price = p.column("price").unwrap();
    assert_eq!(price.data_type, "NUMERIC(10,2)");
    assert!(!price.nullable);
    assert_eq!(price.default.as_deref(), Some("0"));
    // SQLite keeps `DEFAULT (expr)` without its parentheses.
    assert_eq!(
        p.column("made").unwrap().default.as_deref(),
        Some("datetime('now')")
    );
    assert_eq!(
        p.column("g").unwrap().generated.as_deref(),
        Some("price * 2")
    );
    assert_eq!(p.column("untyped").unwrap().data_type, "");
    let u = table(&s, "users");
    let uniques: Vec<_> = u.uniques.iter().map(|k| k.name.clone()).collect();
    assert_eq!(uniques, [None, Some("ab".to_owned())]);
    let checks: Vec<_> = u.checks.iter().map(|k| k.name.clone()).collect();
    assert_eq!(checks, [None, Some("a_lt_b".to_owned())]);
    let fk = &u.foreign_keys[0];
    assert_eq!(
        (fk.name.as_deref(), fk.columns.as_slice()),
        (None, &["p".to_owned()][..])
    );
    assert_eq!(fk.ref_table, QualifiedName::new("products"));
    // A reference without columns is to the primary key.
    assert_eq!(fk.ref_columns, ["id"]);
    assert_eq!(fk.on_delete, FkAction::Cascade);
    assert_eq!(
        autoindexes(&state, "products"),
        ["sqlite_autoindex_products_1"]
    );
    assert_eq!(
        autoindexes(&state, "users"),
        ["sqlite_autoindex_users_1", "sqlite_autoindex_users_2"]
    );
}

#[test]
fn autoincrement_is_an_identity() {
    let s = fold(&["CREATE TABLE t (id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT)"]).to_schema();
    assert_eq!(
        table(&s, "t").column("id").unwrap().identity,
        Some(Identity::ByDefault)
    );
}

#[test]
fn keys_are_numbered_in_parse_order_and_a_repeated_unique_is_merged() {
    // Confirmed on SQLite 3.40.1: a UNIQUE → 1, b's primary key → 2,
    // UNIQUE (c) → 3, UNIQUE (a) merged into 1, the named (a, c) → 4.
    let state = fold(&[
        "CREATE TABLE t1 (a TEXT UNIQUE, b TEXT PRIMARY KEY, c INT, UNIQUE (c), UNIQUE (a), CONSTRAINT named UNIQUE (a, c))",
    ]);
    assert_eq!(
        autoindexes(&state, "t1"),
        (1..=4).map(|n| autoindex_name("t1", n)).collect::<Vec<_>>()
    );
    let s = state.to_schema();
    let t = table(&s, "t1");
    let keys: Vec<Vec<String>> = t.uniques.iter().map(|k| k.columns.clone()).collect();
    assert_eq!(columns(&keys), ["a", "c", "a,c"]);
    assert_eq!(t.uniques[2].name.as_deref(), Some("named"));
}

#[test]
fn the_rowid_takes_no_number() {
    // INTEGER PRIMARY KEY is the rowid: x UNIQUE → 1, and a UNIQUE on the
    // rowid is an index of its own → 2. `INT PRIMARY KEY` is not the rowid
    // (→ 1), nor is a column PRIMARY KEY DESC; a table PRIMARY KEY (id) on
    // an INTEGER column is.
    let state = fold(&[
        "CREATE TABLE t2 (id INTEGER PRIMARY KEY, x UNIQUE, y, UNIQUE (id))",
        "CREATE TABLE t6 (id int PRIMARY KEY, x UNIQUE)",
        "CREATE TABLE t8 (id INTEGER, x UNIQUE, PRIMARY KEY (id))",
        "CREATE TABLE t9 (id integer primary key, x UNIQUE)",
        "CREATE TABLE t7 (id INTEGER PRIMARY KEY DESC, x UNIQUE)",
        "CREATE TABLE r3 (id INTEGER, x UNIQUE, PRIMARY KEY (id DESC))",
    ]);
    assert_eq!(
        autoindexes(&state, "t2"),
        ["sqlite_autoindex_t2_1", "sqlite_autoindex_t2_2"]
    );
    let s = state.to_schema();
    assert_eq!(table(&s, "t2").uniques.len(), 2);
    assert_eq!(
        autoindexes(&state, "t6"),
        ["sqlite_autoindex_t6_1", "sqlite_autoindex_t6_2"]
    );
    assert_eq!(autoindexes(&state, "t8"), ["sqlite_autoindex_t8_1"]);
    assert_eq!(autoindexes(&state, "t9"), ["sqlite_autoindex_t9_1"]);
    // Confirmed on SQLite 3.40.1: a column's PRIMARY KEY DESC is not the
    // rowid (its key takes 1), a table's PRIMARY KEY (id DESC) is.
    assert_eq!(
        autoindexes(&state, "t7"),
        ["sqlite_autoindex_t7_1", "sqlite_autoindex_t7_2"]
    );
    assert_eq!(autoindexes(&state, "r3"), ["sqlite_autoindex_r3_1"]);
    assert!(state.unsure_tables().is_empty());
    assert_eq!(state.coverage().modelled, 6);
}

#[test]
fn a_primary_key_on_the_columns_of_an_earlier_unique_takes_its_index() {
    // Confirmed on SQLite 3.40.1: one index, origin pk, number 1, and no
    // unique constraint left; and the other way round.
    let state = fold(&[
        "CREATE TABLE t5 (a UNIQUE, b, PRIMARY KEY (a))",
        "CREATE TABLE r2 (k TEXT PRIMARY KEY, UNIQUE (k))",
    ]);
    let s = state.to_schema();
    for name in ["t5", "r2"] {
        let t = table(&s, name);
        assert!(t.uniques.is_empty(), "{name}: {:?}", t.uniques);
        assert!(t.primary_key.is_some());
        assert_eq!(autoindexes(&state, name), [autoindex_name(name, 1)]);
    }
}

#[test]
fn a_without_rowid_primary_key_takes_a_number_but_no_index() {
    // Confirmed on SQLite 3.40.1: u → 1, the key → 2 (the table itself, no
    // row in sqlite_schema), v → 3.
    let state = fold(&["CREATE TABLE w1 (u UNIQUE, k TEXT PRIMARY KEY, v UNIQUE) WITHOUT ROWID"]);
    assert_eq!(
        autoindexes(&state, "w1"),
        ["sqlite_autoindex_w1_1", "sqlite_autoindex_w1_3"]
    );
    let s = state.to_schema();
    assert_eq!(table(&s, "w1").primary_key.as_ref().unwrap().columns, ["k"]);
}

#[test]
fn rename_to_renames_the_key_indexes_and_keeps_the_others() {
    let state = fold(&[
        "CREATE TABLE t6 (id int PRIMARY KEY, x UNIQUE, y)",
        "CREATE INDEX t6_y ON t6 (y)",
        "ALTER TABLE t6 RENAME TO t6new",
    ]);
    assert!(autoindexes(&state, "t6").is_empty());
    assert_eq!(
        autoindexes(&state, "t6new"),
        ["sqlite_autoindex_t6new_1", "sqlite_autoindex_t6new_2"]
    );
    assert!(matches!(
        state.relation(DEFAULT_SCHEMA, "t6_y"),
        Some(Relation::Index(_))
    ));
    assert!(state.relation(DEFAULT_SCHEMA, "t6").is_none());
    let s = state.to_schema();
    assert_eq!(table(&s, "t6new").indexes[0].name, "t6_y");
}

#[test]
fn alter_table_adds_drops_and_renames_columns() {
    let state = fold(&[
        "CREATE TABLE p (id INTEGER PRIMARY KEY, code TEXT)",
        "CREATE TABLE t (a INT CHECK (a > 0), b TEXT, c INT REFERENCES p (code))",
        "CREATE INDEX t_lower_b ON t (lower(b)) WHERE b IS NOT NULL",
        "ALTER TABLE t ADD COLUMN d INT NOT NULL DEFAULT 1",
        "ALTER TABLE t ADD COLUMN e TEXT",
        "ALTER TABLE t DROP COLUMN e",
        "ALTER TABLE t RENAME COLUMN b TO bee",
        "ALTER TABLE t RENAME a TO alpha",
        "ALTER TABLE p RENAME COLUMN code TO sku",
    ]);
    assert_eq!(state.coverage().modelled, 9, "{:?}", state.coverage());
    let s = state.to_schema();
    let t = table(&s, "t");
    let names: Vec<_> = t.columns.iter().map(|c| c.name.as_str()).collect();
    assert_eq!(names, ["alpha", "bee", "c", "d"]);
    assert_eq!(t.column("d").unwrap().default.as_deref(), Some("1"));
    assert_eq!(t.checks[0].expression, "alpha > 0");
    assert_eq!(
        t.indexes[0].keys,
        [IndexKey::Expression("lower(bee)".into())]
    );
    assert_eq!(t.indexes[0].predicate.as_deref(), Some("bee IS NOT NULL"));
    // SQLite rewrites the references of other tables too.
    assert_eq!(t.foreign_keys[0].ref_columns, ["sku"]);
}

#[test]
fn a_column_sqlite_refuses_to_drop_stays_and_leaves_the_table_unsure() {
    let state = fold(&[
        "CREATE TABLE t (a TEXT UNIQUE, b INT, c INT)",
        "CREATE INDEX t_b ON t (b)",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE u DROP COLUMN b",
    ]);
    let s = state.to_schema();
    assert_eq!(table(&s, "t").columns.len(), 3);
    assert_eq!(state.unsure_tables().len(), 1);
    assert!(
        state
            .findings()
            .iter()
            .any(|f| f.message.contains("table u does not exist"))
    );
}

#[test]
fn indexes_partial_expression_unique_and_drop() {
    let state = fold(&[
        "CREATE TABLE t (a TEXT, b INT)",
        "CREATE UNIQUE INDEX t_a ON t (a COLLATE NOCASE DESC)",
        "CREATE INDEX IF NOT EXISTS t_a ON t (b)",
        "CREATE INDEX t_expr ON t ((b * 2), a) WHERE b > 0",
        "CREATE INDEX gone ON t (b)",
        "DROP INDEX gone",
        "DROP INDEX IF EXISTS gone",
    ]);
    assert_eq!(state.coverage().modelled, 7);
    assert!(state.findings().is_empty());
    let s = state.to_schema();
    let t = table(&s, "t");
    assert_eq!(t.indexes.len(), 2);
    assert!(t.indexes[0].unique);
    assert_eq!(t.indexes[0].keys, [IndexKey::Column("a".into())]);
    assert_eq!(
        t.indexes[1].keys,
        [
            IndexKey::Expression("b * 2".into()),
            IndexKey::Column("a".into())
        ]
    );
    assert_eq!(t.indexes[1].predicate.as_deref(), Some("b > 0"));
}

#[test]
fn drop_table_frees_its_names_and_leaves_the_tables_that_referenced_it_unsure() {
    let state = fold(&[
        "CREATE TABLE p (id TEXT PRIMARY KEY, n UNIQUE)",
        "CREATE INDEX p_n ON p (n)",
        "CREATE TABLE c (p_id TEXT REFERENCES p (id))",
        "DROP TABLE p",
        "CREATE TABLE p_n (x)",
    ]);
    assert!(state.findings().is_empty(), "{:?}", state.findings());
    assert!(autoindexes(&state, "p").is_empty());
    assert!(state.relation(DEFAULT_SCHEMA, "p").is_none());
    let unsure: Vec<String> = state
        .unsure_tables()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(unsure, ["c"]);
}

#[test]
fn names_are_compared_without_regard_to_case_and_kept_as_written() {
    let state = fold(&[
        "CREATE TABLE Users (Id INTEGER PRIMARY KEY, Email TEXT UNIQUE)",
        "CREATE INDEX Users_Email ON users (email)",
        "ALTER TABLE USERS ADD COLUMN Name TEXT",
        "INSERT INTO users (id, EMAIL, name) VALUES (1, 'a', 'b')",
        "DROP INDEX users_email",
    ]);
    assert!(state.findings().is_empty(), "{:?}", state.findings());
    assert_eq!(state.coverage().modelled, 5);
    let s = state.to_schema();
    let t = table(&s, "Users");
    assert!(t.indexes.is_empty());
    assert_eq!(autoindexes(&state, "Users"), ["sqlite_autoindex_Users_1"]);
    let state = fold(&["CREATE TABLE Users (a)", "DROP TABLE users"]);
    assert!(state.to_schema().tables.is_empty());
}

#[test]
fn views_virtual_tables_and_tables_from_queries_are_known_by_name_only() {
    let state = fold(&[
        "CREATE TABLE t (a INT)",
        "CREATE VIEW v AS SELECT a FROM t",
        "SELECT * FROM v",
        "DROP VIEW v",
        "DROP VIEW IF EXISTS v",
        "CREATE TRIGGER t_a AFTER INSERT ON t BEGIN UPDATE t SET a = 1; END",
        "CREATE VIRTUAL TABLE search USING fts5(body)",
        "CREATE TABLE copy AS SELECT a FROM t",
        "DROP TABLE copy",
        "DROP TABLE search",
        "CREATE TABLE search (id INTEGER PRIMARY KEY)",
        "CREATE TABLE t (b)",
    ]);
    let taints: Vec<(Scope, String)> = state
        .coverage()
        .taints
        .iter()
        .map(|t| (t.scope, t.why.clone()))
        .collect();
    // The view, the trigger, the virtual table and the table made from a
    // query change nothing the model holds.
    assert!(
        taints[..4]
            .iter()
            .all(|(scope, _)| *scope == Scope::Unmodelled),
        "{taints:?}"
    );
    // The failed CREATE TABLE leaves t unsure, so that one mistake is not
    // reported again by what follows.
    assert_eq!(taints.len(), 5, "{taints:?}");
    assert_eq!(state.unsure_tables().len(), 1);
    assert!(state.relation(DEFAULT_SCHEMA, "v").is_none());
    assert!(state.relation(DEFAULT_SCHEMA, "copy").is_none());
    assert!(matches!(
        state.relation(DEFAULT_SCHEMA, "search"),
        Some(Relation::Table(_))
    ));
    // Only the last statement fails: t exists.
    let found: Vec<String> = state.findings().iter().map(|f| f.to_string()).collect();
    assert_eq!(
        found,
        ["m.sql:12:1: table t already exists here; add IF NOT EXISTS, or drop it first [exists]"]
    );
}

/// A SQLite chain, folded without a replay.
fn chain(revisions: &[(&str, &str)]) -> super::FoldResult {
    super::tests::chain_in(migrate_core::Dialect::Sqlite, revisions).1
}

use super::tests::found;

const USERS: (&str, &str) = (
    "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);",
    "DROP TABLE users;",
);

#[test]
fn a_downgrade_dropping_an_index_the_upgrade_did_not_create_is_missing() {
    let folded = chain(&[
        USERS,
        (
            "CREATE INDEX users_name ON users (name);",
            "DROP INDEX ix_users_name;",
        ),
    ]);
    assert_eq!(
        found(&folded),
        [
            "missing@r2/downgrade:8 index ix_users_name does not exist at this point of the chain; the nearest index here is users_name, check the name"
        ]
    );
}

#[test]
fn creating_what_exists_and_altering_what_is_missing_are_found() {
    // Each on its own chain: a statement that fails leaves what it names
    // unsure, so that one mistake is not reported again by what follows.
    let cases = [
        (
            "CREATE TABLE users (id INTEGER);",
            "exists@r2/upgrade:5 table users already exists here; add IF NOT EXISTS, or drop it first",
        ),
        (
            "ALTER TABLE users ADD COLUMN Email TEXT;",
            "exists@r2/upgrade:5 column Email of table users already exists here; give the column another name, or drop the old one first",
        ),
        (
            "CREATE INDEX users_name ON users (name);\nCREATE INDEX users_name ON users (email);",
            "exists@r2/upgrade:6 index users_name already exists here; give the index another name, add IF NOT EXISTS, or drop the old one first",
        ),
        (
            "CREATE INDEX users_email ON users (mail);",
            "missing@r2/upgrade:5 column mail of table users does not exist at this point of the chain; the nearest column is email, check the name",
        ),
        (
            "ALTER TABLE user RENAME COLUMN a TO b;",
            "missing@r2/upgrade:5 table user does not exist at this point of the chain; the nearest table here is users, check the name",
        ),
        (
            "ALTER TABLE users DROP COLUMN nick;",
            "missing@r2/upgrade:5 column nick of table users does not exist at this point of the chain",
        ),
        (
            "ALTER TABLE users RENAME COLUMN nick TO nickname;",
            "missing@r2/upgrade:5 column nick of table users does not exist at this point of the chain",
        ),
        (
            "INSERT INTO members (id) VALUES (1);",
            "missing@r2/upgrade:5 table members does not exist at this point of the chain",
        ),
        (
            "UPDATE users SET nick = 'x';",
            "missing@r2/upgrade:5 column nick of table users does not exist at this point of the chain",
        ),
        (
            "DELETE FROM user;",
            "missing@r2/upgrade:5 table user does not exist at this point of the chain; the nearest table here is users, check the name",
        ),
        (
            "DROP TABLE members;",
            "missing@r2/upgrade:5 table members does not exist at this point of the chain",
        ),
        (
            "DROP INDEX users;",
            "missing@r2/upgrade:5 users is a table, not an index; use DROP TABLE",
        ),
    ];
    for (up, expected) in cases {
        let folded = chain(&[USERS, (up, "-- migrate:no-op")]);
        assert_eq!(found(&folded), [expected], "{up}");
    }
}

#[test]
fn dropping_a_referenced_table_is_no_finding_and_a_key_index_is_a_dependency() {
    let folded = chain(&[
        USERS,
        (
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
            "DROP TABLE posts;",
        ),
        ("DROP TABLE users;", "-- migrate:no-op"),
        ("CREATE TABLE t (a TEXT UNIQUE);", "DROP TABLE t;"),
        ("DROP INDEX sqlite_autoindex_t_1;", "-- migrate:no-op"),
    ]);
    let found = found(&folded);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with(
            "drop-dependency@r5/upgrade:5 index sqlite_autoindex_t_1 cannot be dropped"
        ),
        "{}",
        found[0]
    );
}

#[test]
fn a_downgrade_that_does_not_restore_the_start_is_described() {
    let folded = chain(&[
        USERS,
        (
            "ALTER TABLE users ADD COLUMN age INTEGER;\nALTER TABLE users ADD COLUMN nick TEXT;",
            "ALTER TABLE users DROP COLUMN nick;",
        ),
    ]);
    let found = found(&folded);
    assert_eq!(found.len(), 1, "{found:#?}");
    assert!(
        found[0].starts_with("downgrade-mismatch@r2/downgrade:9 the downgrade does not restore"),
        "{}",
        found[0]
    );
    assert!(
        found[0].contains("it leaves column users.age;"),
        "{}",
        found[0]
    );
}

#[test]
fn a_correct_chain_with_a_table_rebuild_reports_nothing() {
    let folded = chain(&[
        USERS,
        (
            "CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id), title TEXT UNIQUE);\nCREATE INDEX posts_user ON posts (user_id);",
            "DROP INDEX posts_user;\nDROP TABLE posts;",
        ),
        (
            "CREATE TABLE users_new (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT);\nINSERT INTO users_new SELECT * FROM users;\nDROP TABLE users;\nALTER TABLE users_new RENAME TO users;",
            "CREATE TABLE users_old (id INTEGER PRIMARY KEY, email TEXT UNIQUE, name TEXT);\nINSERT INTO users_old SELECT * FROM users;\nDROP TABLE users;\nALTER TABLE users_old RENAME TO users;",
        ),
        (
            "ALTER TABLE posts RENAME COLUMN title TO headline;",
            "ALTER TABLE posts RENAME COLUMN headline TO title;",
        ),
    ]);
    assert_eq!(found(&folded), Vec::<String>::new());
    let s = folded.state.to_schema();
    assert!(!table(&s, "users").column("email").unwrap().nullable);
    assert_eq!(
        autoindexes(&folded.state, "users"),
        ["sqlite_autoindex_users_1"]
    );
}

#[test]
fn no_check_and_unreadable_statements_make_what_they_may_touch_unsure() {
    let folded = chain(&[
        USERS,
        (
            "-- migrate:no-check\nALTER TABLE users ADD COLUMN x INT;\nCREATE TABLE other (id INTEGER PRIMARY KEY);",
            "DROP TABLE other;",
        ),
    ]);
    let unsure: Vec<String> = folded
        .state
        .unsure_tables()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    assert_eq!(unsure, ["users"]);
    // The coverage counts the upgrades only.
    let coverage = folded.coverage();
    assert_eq!((coverage.modelled, coverage.statements), (2, 3));

    // sqlparser does not read REINDEX: anything may have changed.
    let folded = chain(&[USERS, ("REINDEX users;", "-- migrate:no-op")]);
    assert_eq!(folded.state.unsure_tables().len(), 1);
    assert_eq!(folded.coverage().taints[0].scope, Scope::World);
    assert!(
        folded.coverage().taints[0]
            .why
            .starts_with("the fold cannot read it as SQLite: "),
        "{:?}",
        folded.coverage().taints
    );
}

#[test]
fn at_build_time_a_sqlite_chain_reports_only_what_its_replay_cannot_see() {
    let dir = tempfile::tempdir().unwrap();
    let files = [
        (
            "r1",
            "none",
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
            "DROP TABLE users;",
        ),
        (
            "r2",
            "r1",
            "ALTER TABLE users ADD COLUMN age INTEGER;",
            "SELECT 1;",
        ),
        (
            "r3",
            "r2",
            "CREATE INDEX users_email ON users (email);",
            "DROP INDEX users_email_idx;",
        ),
    ];
    for (id, parent, up, down) in files {
        std::fs::write(
            dir.path().join(format!("{id}.sql")),
            format!("-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\n{up}\n-- migrate:downgrade\n{down}\n"),
        )
        .unwrap();
    }
    let dialects = migrate_core::DialectCheck::All(vec![migrate_core::Dialect::Sqlite]);
    // The load itself does not replay here: only the fold's report is read.
    let migrations =
        migrate_core::load_directory(dir.path(), "m", &migrate_core::DialectCheck::Off).unwrap();
    let reported = super::check(&migrations, &dialects, &migrate_core::LintConfig::default());
    assert_eq!(reported.len(), 1, "{reported:#?}");
    assert_eq!(reported[0].level, migrate_core::Level::Warning);
    assert!(
        reported[0].text.contains("leaves column users.age")
            && reported[0].text.contains("[downgrade-mismatch]"),
        "{reported:#?}"
    );
}
