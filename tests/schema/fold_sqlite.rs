//! The SQLite fold against real SQLite files: for every revision of the
//! example app and of hand-written chains (renames, table rebuilds, unnamed
//! and merged keys, WITHOUT ROWID, indexes), the runtime upgrades a fresh
//! file to it, downgrades it (-1) and upgrades it again; after each step
//! the introspected schema equals the fold at that point on every table the
//! fold is sure of, and so do the `sqlite_autoindex_<table>_<N>` names.

use std::collections::BTreeSet;
use std::path::Path;

use migrate_core::{Config, Dialect, DialectCheck, Migrations};
use migrate_runtime::Migrator;
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_schema::fold::lower_sqlite::autoindex_name;
use migrate_schema::fold::state::{DEFAULT_SCHEMA, Relation};
use migrate_schema::fold::{self, State};
use migrate_schema::{DiffOptions, Schema, diff};
use sqlx::Row as _;

/// What the fold says at one point of the chain.
struct Expected {
    schema: Schema,
    /// Tables the fold is sure of.
    certain: BTreeSet<String>,
    /// The fold's state, to ask what a name the model does not hold as a
    /// table stands for.
    state: State,
    /// The autoindex names of the certain tables, lower-cased.
    autoindexes: BTreeSet<String>,
}

fn expected(state: &State) -> Expected {
    let schema = state.to_schema();
    let unsure: BTreeSet<String> = state
        .unsure_tables()
        .iter()
        .map(|(n, _)| n.to_string())
        .collect();
    let mut certain = BTreeSet::new();
    let mut autoindexes = BTreeSet::new();
    for (id, t) in state.tables() {
        if unsure.contains(&t.name) {
            continue;
        }
        certain.insert(t.name.clone());
        let keys = t.uniques.len() + usize::from(t.primary_key.is_some());
        for n in 1..=keys + 1 {
            let name = autoindex_name(&t.name, n).to_ascii_lowercase();
            if state.relation(DEFAULT_SCHEMA, &name) == Some(Relation::KeyIndex(id)) {
                autoindexes.insert(name);
            }
        }
    }
    Expected {
        schema,
        certain,
        state: state.clone(),
        autoindexes,
    }
}

/// The fold after revision `i` (its ancestors, in order), and before it
/// (the same without `i`, what a downgrade of `i` must leave).
fn fold_at(migrations: &Migrations, i: usize) -> (Expected, Expected) {
    let mut before = None;
    let mut last = None;
    let folded = fold::fold_with(migrations, Dialect::Sqlite, Some(i), |j, state| {
        if j == i {
            before = Some(last.take().unwrap_or_else(|| expected(&State::new())));
        } else {
            last = Some(expected(state));
        }
    })
    .unwrap();
    assert!(
        folded.findings.is_empty(),
        "the chain is correct, yet the fold finds: {:#?}",
        folded.findings
    );
    (expected(&folded.state), before.unwrap())
}

/// The differences between the database and the fold on what the fold is
/// sure of, and the number of tables compared.
async fn compare(pool: &sqlx::SqlitePool, fold: &Expected, step: &str) -> usize {
    let mut actual = introspect(pool, &IntrospectOptions::default())
        .await
        .unwrap_or_else(|e| panic!("{step}: introspect: {e}"))
        .without_views_and_routines();
    // A table the database holds is compared when the fold is sure of it,
    // or sure that it is not there (then it is a difference).
    let absent_is_certain = |name: &str| {
        fold.state.absent_is_certain(DEFAULT_SCHEMA)
            && fold
                .state
                .relation(DEFAULT_SCHEMA, &name.to_ascii_lowercase())
                .is_none()
    };
    actual.tables.retain(|name, _| {
        let name = name.to_string();
        fold.certain.contains(&name) || absent_is_certain(&name)
    });
    let mut folded = fold.schema.clone();
    folded
        .tables
        .retain(|name, _| fold.certain.contains(&name.to_string()));
    let changes: Vec<String> = diff(&actual, &folded, Dialect::Sqlite, &DiffOptions::default())
        .iter()
        .map(|c| c.summary())
        .collect();
    assert!(
        changes.is_empty(),
        "{step}: the database and the fold differ: {changes:#?}"
    );

    let rows = sqlx::query(
        "SELECT lower(name), tbl_name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'sqlite\\_autoindex\\_%' ESCAPE '\\'",
    )
    .fetch_all(pool)
    .await
    .unwrap();
    let actual_autoindexes: BTreeSet<String> = rows
        .iter()
        .filter(|r| fold.certain.contains(&r.get::<String, _>(1)))
        .map(|r| r.get::<String, _>(0))
        .collect();
    assert_eq!(
        actual_autoindexes, fold.autoindexes,
        "{step}: the key indexes SQLite named differ from the fold's"
    );
    folded.tables.len()
}

/// Every revision in order: upgrade a fresh file to it, compare; downgrade
/// -1, compare with the fold before it; upgrade again, compare. Returns
/// the number of table comparisons made.
async fn oracle(dir: &Path) -> usize {
    let config = Config::parse("migrate.toml", "dialect = \"sqlite\"\n").unwrap();
    let migrations =
        migrate_core::load_directory(dir, "migrations", &DialectCheck::All(vec![Dialect::Sqlite]))
            .unwrap_or_else(|e| panic!("{e}"));
    let migrator =
        Migrator::from_directory(dir, "migrations", &config).unwrap_or_else(|e| panic!("{e}"));
    let mut compared = 0;
    for &i in migrations.graph.topological_order() {
        let id = migrations.graph.id(i).to_owned();
        let (after, before) = fold_at(&migrations, i);
        let db = migrate_tests::fresh_sqlite_db();
        let pool = db.pool().await;
        // A Rust revision (the example's is data only) cannot run from a
        // directory read at run time: it is stamped, as a `migrate` CLI
        // user records it once the application ran it.
        let rust = migrations.revisions[i].kind == migrate_core::RevisionKind::Rust;
        let parents: Vec<&str> = migrations.revisions[i]
            .header
            .down_revision
            .iter()
            .map(String::as_str)
            .collect();
        if rust {
            let ancestors: Vec<&str> = parents.clone();
            if !ancestors.is_empty() {
                migrator.upgrade(&pool, ancestors[0]).await.unwrap();
            }
            migrator.stamp(&pool, &[id.as_str()], false).await.unwrap();
        } else {
            migrator
                .upgrade(&pool, &id)
                .await
                .unwrap_or_else(|e| panic!("upgrade {id}: {e}"));
        }
        compared += compare(&pool, &after, &format!("upgrade to {id}")).await;
        if rust {
            migrator.stamp(&pool, &parents, false).await.unwrap();
        } else {
            migrator
                .downgrade(&pool, "-1")
                .await
                .unwrap_or_else(|e| panic!("downgrade {id}: {e}"));
        }
        compared += compare(&pool, &before, &format!("downgrade of {id}")).await;
        if rust {
            migrator.stamp(&pool, &[id.as_str()], false).await.unwrap();
        } else {
            migrator
                .upgrade(&pool, &id)
                .await
                .unwrap_or_else(|e| panic!("upgrade {id} again: {e}"));
        }
        compared += compare(&pool, &after, &format!("upgrade to {id} again")).await;
        pool.close().await;
    }
    compared
}

/// A directory of revisions `(upgrade, downgrade)`, each the child of the
/// one before.
fn chain(revisions: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (i, (up, down)) in revisions.iter().enumerate() {
        let parent = if i == 0 {
            "none".to_owned()
        } else {
            format!("cccc{i:08}")
        };
        std::fs::write(
            dir.path().join(format!("2025_01_01_{i:04}-cccc{:08}_r.sql", i + 1)),
            format!(
                "-- revision: cccc{:08}\n-- down_revision: {parent}\n\n-- migrate:upgrade\n{up}\n\n-- migrate:downgrade\n{down}\n",
                i + 1
            ),
        )
        .unwrap();
    }
    dir
}

#[tokio::test]
async fn the_example_app_folded_as_sqlite_equals_sqlite_at_every_revision() {
    let root = migrate_tests::workspace_root();
    let compared = oracle(&root.join("migrations")).await;
    // 9 revisions, three steps each, over 0 to 4 tables: every table the
    // database holds at every step, none left out as unsure.
    assert_eq!(compared, 77);
}

#[tokio::test]
async fn renames_rebuilds_and_unnamed_keys_fold_as_sqlite_applies_them() {
    let dir = chain(&[
        (
            "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, name TEXT, CONSTRAINT name_ok CHECK (length(name) > 0));\n\
             CREATE INDEX users_name ON users (name);",
            "DROP TABLE users;",
        ),
        (
            "CREATE TABLE posts (id TEXT PRIMARY KEY, user_id INTEGER REFERENCES users (id) ON DELETE CASCADE, title TEXT, slug TEXT, UNIQUE (user_id, slug), UNIQUE (slug));\n\
             CREATE INDEX posts_title ON posts (lower(title)) WHERE title IS NOT NULL;",
            "DROP TABLE posts;",
        ),
        (
            "ALTER TABLE users RENAME TO members;\n\
             ALTER TABLE members RENAME COLUMN name TO full_name;",
            "ALTER TABLE members RENAME COLUMN full_name TO name;\n\
             ALTER TABLE members RENAME TO users;",
        ),
        (
            "CREATE TABLE posts_new (id TEXT PRIMARY KEY, user_id INTEGER REFERENCES members (id) ON DELETE CASCADE, title TEXT NOT NULL DEFAULT '', slug TEXT UNIQUE, body TEXT);\n\
             INSERT INTO posts_new (id, user_id, title, slug) SELECT id, user_id, coalesce(title, ''), slug FROM posts;\n\
             DROP TABLE posts;\n\
             ALTER TABLE posts_new RENAME TO posts;\n\
             CREATE INDEX posts_title ON posts (lower(title));",
            "CREATE TABLE posts_old (id TEXT PRIMARY KEY, user_id INTEGER REFERENCES members (id) ON DELETE CASCADE, title TEXT, slug TEXT, UNIQUE (user_id, slug), UNIQUE (slug));\n\
             INSERT INTO posts_old (id, user_id, title, slug) SELECT id, user_id, title, slug FROM posts;\n\
             DROP TABLE posts;\n\
             ALTER TABLE posts_old RENAME TO posts;\n\
             CREATE INDEX posts_title ON posts (lower(title)) WHERE title IS NOT NULL;",
        ),
        (
            "ALTER TABLE members ADD COLUMN bio TEXT DEFAULT 'none';\n\
             ALTER TABLE posts DROP COLUMN body;",
            "ALTER TABLE posts ADD COLUMN body TEXT;\n\
             ALTER TABLE members DROP COLUMN bio;",
        ),
        (
            "CREATE TABLE tags (name TEXT PRIMARY KEY, label TEXT UNIQUE, UNIQUE (label)) WITHOUT ROWID;\n\
             CREATE TABLE kv (k TEXT UNIQUE, v INT, PRIMARY KEY (k));\n\
             CREATE TABLE Mixed (Id INTEGER PRIMARY KEY AUTOINCREMENT, Code TEXT UNIQUE, n INT NOT NULL UNIQUE, UNIQUE (n, Code));\n\
             CREATE UNIQUE INDEX mixed_code ON mixed (code COLLATE NOCASE);\n\
             CREATE TABLE desc_key (id INTEGER PRIMARY KEY DESC, x UNIQUE);",
            "DROP TABLE desc_key;\n\
             DROP INDEX mixed_code;\n\
             DROP TABLE Mixed;\n\
             DROP TABLE kv;\n\
             DROP TABLE tags;",
        ),
        (
            "CREATE VIEW member_names AS SELECT full_name FROM members;\n\
             CREATE TABLE log (at TEXT DEFAULT CURRENT_TIMESTAMP, what TEXT CHECK (what <> ''));",
            "DROP TABLE log;\n\
             DROP VIEW member_names;",
        ),
    ]);
    let compared = oracle(dir.path()).await;
    // Every table at every step: the fold is sure of all of them.
    assert_eq!(compared, 59);
}

#[tokio::test]
async fn quoted_names_and_what_the_fold_is_unsure_of_fold_as_sqlite_applies_them() {
    let dir = chain(&[
        (
            "CREATE TABLE \"order items\" (\"item id\" INTEGER PRIMARY KEY, \"Name\" TEXT UNIQUE, note, qty DEFAULT (-1));\n\
             CREATE INDEX \"by name\" ON \"order items\" (\"Name\" DESC);",
            "DROP TABLE \"order items\";",
        ),
        (
            "ALTER TABLE \"order items\" RENAME TO \"Order Lines\";\n\
             ALTER TABLE \"Order Lines\" RENAME COLUMN note TO \"the note\";",
            "ALTER TABLE \"Order Lines\" RENAME COLUMN \"the note\" TO note;\n\
             ALTER TABLE \"Order Lines\" RENAME TO \"order items\";",
        ),
        (
            "CREATE TABLE parents (id TEXT PRIMARY KEY);\n\
             CREATE TABLE children (id INTEGER PRIMARY KEY, parent_id TEXT REFERENCES parents (id));",
            "DROP TABLE children;\n\
             DROP TABLE parents;",
        ),
        (
            // SQLite drops a table that a foreign key references and keeps
            // the reference: children is unsure from here on.
            "DROP TABLE parents;",
            "CREATE TABLE parents (id TEXT PRIMARY KEY);",
        ),
        (
            "CREATE TABLE copy AS SELECT * FROM \"Order Lines\";\n\
             CREATE TABLE later_ref (x TEXT REFERENCES not_yet (id), y UNIQUE);",
            "DROP TABLE later_ref;\n\
             DROP TABLE copy;",
        ),
    ]);
    // Per step, the tables compared: 1 1 1 | 1 1 1 | 3 1 3 | 1 3 1 | 1 1 1;
    // children after revision 4, and the table made from a query and the
    // one referencing a table that does not exist in revision 5, are left
    // out as unsure.
    assert_eq!(oracle(dir.path()).await, 20);
}

#[tokio::test]
async fn every_autoindex_naming_rule_of_the_unit_tests_holds_on_sqlite() {
    // The tables of migrate-schema's fold/tests_sqlite.rs, one rule each:
    // parse order with a merged UNIQUE (t1), the rowid and a UNIQUE on it
    // (t2), `INT PRIMARY KEY` (t6), a table PRIMARY KEY on an INTEGER
    // column (t8), PRIMARY KEY DESC as a column and as a table constraint
    // (t7, r3), a primary key taking over an earlier UNIQUE's index and the
    // other way round (t5, r2), WITHOUT ROWID (w1).
    let dir = chain(&[(
        "CREATE TABLE t1 (a TEXT UNIQUE, b TEXT PRIMARY KEY, c INT, UNIQUE (c), UNIQUE (a), CONSTRAINT named UNIQUE (a, c));\n\
         CREATE TABLE t2 (id INTEGER PRIMARY KEY, x UNIQUE, y, UNIQUE (id));\n\
         CREATE TABLE t6 (id int PRIMARY KEY, x UNIQUE);\n\
         CREATE TABLE t8 (id INTEGER, x UNIQUE, PRIMARY KEY (id));\n\
         CREATE TABLE t7 (id INTEGER PRIMARY KEY DESC, x UNIQUE);\n\
         CREATE TABLE r3 (id INTEGER, x UNIQUE, PRIMARY KEY (id DESC));\n\
         CREATE TABLE t5 (a UNIQUE, b, PRIMARY KEY (a));\n\
         CREATE TABLE r2 (k TEXT PRIMARY KEY, UNIQUE (k));\n\
         CREATE TABLE w1 (u UNIQUE, k TEXT PRIMARY KEY, v UNIQUE) WITHOUT ROWID;",
        "DROP TABLE w1;\nDROP TABLE r2;\nDROP TABLE t5;\nDROP TABLE r3;\nDROP TABLE t7;\nDROP TABLE t8;\nDROP TABLE t6;\nDROP TABLE t2;\nDROP TABLE t1;",
    )]);
    assert_eq!(oracle(dir.path()).await, 18);
}
