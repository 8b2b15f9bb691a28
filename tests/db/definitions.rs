//! Repeatable definitions (`definitions/`), written once and run against
//! SQLite and PostgreSQL: applied after the revisions in the order of what
//! they name, again only when their text changes, recorded in the
//! history's companion table, dropped before a downgrade.

use migrate_runtime::{DefinitionState, Error, Migrator, embed_migrations};

use crate::common::{Dir, TestDb};

/// The companion table of the default history table.
const RECORDS: &str = "migrate_history_definitions";

/// Writes `definitions/<name>`.
fn define(dir: &Dir, name: &str, text: &str) {
    let path = dir.path().join("definitions").join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

/// Users with an `active` flag and a `touched` counter the trigger bumps.
fn users(dir: &Dir) {
    dir.rev(
        "r1",
        "",
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL, touched INTEGER NOT NULL DEFAULT 0);",
        Some("DROP TABLE users;"),
    );
}

/// A view on a view and a trigger on a function, each in a file whose
/// name sorts before the file it needs.
fn definitions(dir: &Dir, pg: bool) {
    define(
        dir,
        "a_mailing.sql",
        "-- The addresses to mail.\nCREATE OR REPLACE VIEW mailing AS\n    SELECT email FROM active_users;\n",
    );
    define(
        dir,
        "b_active_users.sql",
        "CREATE OR REPLACE VIEW active_users AS SELECT id, email FROM users WHERE active;\n",
    );
    if pg {
        define(
            dir,
            "0_touch_trigger.sql",
            "CREATE OR REPLACE TRIGGER users_touch BEFORE UPDATE OF email ON users\n    FOR EACH ROW EXECUTE FUNCTION touch();\n",
        );
        define(
            dir,
            "functions/touch.sql",
            "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.touched := OLD.touched + 1;\n    RETURN NEW;\nEND\n$$;\n",
        );
    } else {
        // SQLite has neither functions nor `OR REPLACE`: the runtime drops
        // the view and trigger before creating them.
        for (name, text) in [
            (
                "a_mailing.sql",
                "CREATE VIEW mailing AS SELECT email FROM active_users;\n",
            ),
            (
                "b_active_users.sql",
                "CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;\n",
            ),
        ] {
            define(dir, name, text);
        }
        define(
            dir,
            "0_touch_trigger.sql",
            "CREATE TRIGGER users_touch AFTER UPDATE OF email ON users\nBEGIN\n    UPDATE users SET touched = touched + 1 WHERE id = NEW.id;\nEND;\n",
        );
    }
}

/// `(name, checksum, applied_at)` of each record, by name.
async fn records(db: &impl TestDb) -> Vec<(String, String, String)> {
    let at = if db.is_postgres() {
        "applied_at::text"
    } else {
        "applied_at"
    };
    let mut out = Vec::new();
    let n = db.count(&format!("SELECT count(*) FROM {RECORDS}")).await;
    for k in 0..n {
        let row =
            |col: &str| format!("SELECT {col} FROM {RECORDS} ORDER BY name LIMIT 1 OFFSET {k}");
        out.push((
            db.text(&row("name")).await,
            db.text(&row("checksum")).await,
            db.text(&row(at)).await,
        ));
    }
    out
}

pub async fn definitions_apply_after_the_revisions_in_dependency_order(db: &impl TestDb) {
    let dir = Dir::new();
    users(&dir);
    definitions(&dir, db.is_postgres());
    let m = dir.migrator();
    let order: Vec<&str> = m.definitions().iter().map(|d| d.name()).collect();
    let expected = if db.is_postgres() {
        vec![
            "b_active_users.sql",
            "a_mailing.sql",
            "functions/touch.sql",
            "0_touch_trigger.sql",
        ]
    } else {
        vec!["0_touch_trigger.sql", "b_active_users.sql", "a_mailing.sql"]
    };
    assert_eq!(order, expected);
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions, ["r1"]);
    assert_eq!(report.definitions, expected);
    db.exec("INSERT INTO users (id, email, active) VALUES (1, 'a@x', true), (2, 'b@x', false)")
        .await
        .unwrap();
    assert_eq!(db.count("SELECT count(*) FROM mailing").await, 1);
    db.exec("UPDATE users SET email = 'c@x' WHERE id = 1")
        .await
        .unwrap();
    assert_eq!(
        db.count("SELECT CAST(touched AS BIGINT) FROM users WHERE id = 1")
            .await,
        1
    );
    // Recorded with their checksums; the history table holds the revisions only.
    let recorded = records(db).await;
    let mut names: Vec<&str> = expected.clone();
    names.sort_unstable();
    assert_eq!(
        recorded.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        names
    );
    for (name, checksum, _) in &recorded {
        let d = m.definitions().iter().find(|d| d.name() == name).unwrap();
        assert_eq!(checksum, d.checksum());
    }
    assert_eq!(m.history(db.pool()).await.unwrap().len(), 1);
    assert!(m.verify(db.pool()).await.unwrap().is_clean());
    let status = m.definition_status(db.pool()).await.unwrap();
    assert!(
        status
            .iter()
            .all(|s| matches!(s.state, DefinitionState::Applied { .. })),
        "{status:?}"
    );
}

pub async fn a_changed_definition_is_applied_again_and_only_it(db: &impl TestDb) {
    let dir = Dir::new();
    users(&dir);
    definitions(&dir, db.is_postgres());
    dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    let before = records(db).await;
    // Unchanged: nothing applied, every record as it was.
    let again = dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert!(
        again.revisions.is_empty() && again.definitions.is_empty(),
        "{again:?}"
    );
    // A comment is not a change (the checksum ignores comments and layout).
    let mailing = if db.is_postgres() {
        "-- The addresses to mail, reworded.\nCREATE OR REPLACE VIEW mailing AS SELECT email FROM active_users;\n"
    } else {
        "-- reworded\nCREATE VIEW mailing AS\n  SELECT email FROM active_users;\n"
    };
    define(&dir, "a_mailing.sql", mailing);
    assert!(
        dir.migrator()
            .upgrade(db.pool(), "head")
            .await
            .unwrap()
            .definitions
            .is_empty()
    );
    assert_eq!(records(db).await, before);
    // A real change: verify sees it, the next upgrade applies that file alone.
    let changed = if db.is_postgres() {
        "CREATE OR REPLACE VIEW mailing AS SELECT email, id FROM active_users;\n"
    } else {
        "CREATE VIEW mailing AS SELECT email, id FROM active_users;\n"
    };
    define(&dir, "a_mailing.sql", changed);
    let m = dir.migrator();
    let v = m.verify(db.pool()).await.unwrap();
    assert_eq!(v.definitions, ["a_mailing.sql"]);
    assert!(!v.is_clean());
    let status = m.definition_status(db.pool()).await.unwrap();
    let mailing = status.iter().find(|s| s.name == "a_mailing.sql").unwrap();
    assert!(
        matches!(mailing.state, DefinitionState::Changed { .. }),
        "{status:?}"
    );
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert!(report.revisions.is_empty());
    assert_eq!(report.definitions, ["a_mailing.sql"]);
    db.exec("INSERT INTO users (id, email, active) VALUES (7, 'a@x', true)")
        .await
        .unwrap();
    assert_eq!(db.count("SELECT CAST(id AS BIGINT) FROM mailing").await, 7);
    let after = records(db).await;
    for (old, new) in before.iter().zip(&after) {
        if old.0 == "a_mailing.sql" {
            assert_eq!(
                new.1,
                m.definitions()
                    .iter()
                    .find(|d| d.name() == "a_mailing.sql")
                    .unwrap()
                    .checksum()
            );
            assert_ne!(old.1, new.1);
        } else {
            assert_eq!(old, new, "{} was applied again", old.0);
        }
    }
    assert!(
        m.upgrade(db.pool(), "head")
            .await
            .unwrap()
            .definitions
            .is_empty()
    );
}

pub async fn a_failing_definition_leaves_the_revisions_and_the_history_true(db: &impl TestDb) {
    let dir = Dir::new();
    users(&dir);
    dir.rev(
        "r2",
        "r1",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL);",
        Some("DROP TABLE orders;"),
    );
    // PostgreSQL checks a view's columns when it creates it; SQLite checks
    // a trigger's table.
    let (good, bad, fixed, missing) = if db.is_postgres() {
        (
            "CREATE OR REPLACE VIEW active_users AS SELECT id, email FROM users WHERE active;",
            "CREATE OR REPLACE VIEW big_orders AS SELECT id FROM orders;\n\nCREATE OR REPLACE VIEW order_emails AS\n    SELECT o.id, u.mail FROM orders o JOIN users u ON u.id = o.user_id;",
            "CREATE OR REPLACE VIEW big_orders AS SELECT id FROM orders;\n\nCREATE OR REPLACE VIEW order_emails AS\n    SELECT o.id, u.email FROM orders o JOIN users u ON u.id = o.user_id;",
            "u.mail",
        )
    } else {
        (
            "CREATE VIEW active_users AS SELECT id, email FROM users WHERE active;",
            "CREATE VIEW big_orders AS SELECT id FROM orders;\n\nCREATE TRIGGER order_emails AFTER INSERT ON order_lines\nBEGIN\n    SELECT 1;\nEND;",
            "CREATE VIEW big_orders AS SELECT id FROM orders;\n\nCREATE TRIGGER order_emails AFTER INSERT ON orders\nBEGIN\n    SELECT 1;\nEND;",
            "order_lines",
        )
    };
    define(&dir, "active_users.sql", good);
    define(&dir, "orders.sql", bad);
    let m = dir.migrator();
    let e = m.upgrade(db.pool(), "head").await.unwrap_err();
    assert!(matches!(e, Error::DefinitionFailed { .. }), "{e}");
    let shown = e.to_string();
    assert!(
        shown.starts_with("definition migrations/definitions/orders.sql:3 failed at statement 2: "),
        "{shown}"
    );
    assert!(shown.contains(missing), "{shown}");
    assert!(
        shown.contains("the definition was rolled back and its record left as it was; the revisions are applied (the database is at r2), and so are the definitions active_users.sql"),
        "{shown}"
    );
    // The history is true: both revisions applied; the good definition
    // recorded, the failed one not (nor its first statement kept).
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r2"]);
    assert_eq!(m.history(db.pool()).await.unwrap().len(), 2);
    let recorded = records(db).await;
    assert_eq!(
        recorded.iter().map(|r| r.0.as_str()).collect::<Vec<_>>(),
        ["active_users.sql"]
    );
    assert!(db.exec("SELECT * FROM big_orders").await.is_err());
    assert_eq!(
        m.verify(db.pool()).await.unwrap().definitions,
        ["orders.sql"]
    );
    // Fixed, the next run applies it alone.
    define(&dir, "orders.sql", fixed);
    let report = dir.migrator().upgrade(db.pool(), "head").await.unwrap();
    assert!(report.revisions.is_empty());
    assert_eq!(report.definitions, ["orders.sql"]);
    db.exec("SELECT * FROM big_orders").await.unwrap();
}

pub async fn a_downgrade_drops_the_definitions_that_depend_on_what_it_drops(db: &impl TestDb) {
    let dir = Dir::new();
    users(&dir);
    dir.rev(
        "r2",
        "r1",
        "ALTER TABLE users ADD COLUMN nickname TEXT;",
        Some("ALTER TABLE users DROP COLUMN nickname;"),
    );
    let view = if db.is_postgres() {
        "CREATE OR REPLACE VIEW nicknames AS SELECT id, nickname FROM users;"
    } else {
        "CREATE VIEW nicknames AS SELECT id, nickname FROM users;"
    };
    define(&dir, "nicknames.sql", view);
    let m = dir.migrator();
    m.upgrade(db.pool(), "head").await.unwrap();
    db.exec("SELECT nickname FROM nicknames").await.unwrap();
    // Without the definitions' drop, PostgreSQL refuses the column's drop
    // ("cannot drop column nickname of table users because other objects
    // depend on it").
    let report = m.downgrade(db.pool(), "-1").await.unwrap();
    assert_eq!(report.revisions, ["r2"]);
    assert_eq!(report.definitions, ["nicknames.sql"]);
    assert!(db.exec("SELECT * FROM nicknames").await.is_err());
    assert_eq!(
        db.count(&format!("SELECT count(*) FROM {RECORDS}")).await,
        0
    );
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r1"]);
    // An upgrade to a revision that is not head leaves them alone.
    let status = m.definition_status(db.pool()).await.unwrap();
    assert_eq!(status[0].state, DefinitionState::Pending);
    // The next upgrade to head applies them again.
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.definitions, ["nicknames.sql"]);
    db.exec("SELECT nickname FROM nicknames").await.unwrap();
}

pub async fn an_upgrade_short_of_head_leaves_the_definitions(db: &impl TestDb) {
    let dir = Dir::new();
    users(&dir);
    dir.rev(
        "r2",
        "r1",
        "CREATE TABLE orders (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE orders;"),
    );
    let view = if db.is_postgres() {
        "CREATE OR REPLACE VIEW order_ids AS SELECT id FROM orders;"
    } else {
        "CREATE VIEW order_ids AS SELECT id FROM orders;"
    };
    define(&dir, "orders.sql", view);
    let m = dir.migrator();
    let report = m.upgrade(db.pool(), "r1").await.unwrap();
    assert!(report.definitions.is_empty());
    assert!(!db.tables().await.contains(&RECORDS.to_owned()));
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.revisions, ["r2"]);
    assert_eq!(report.definitions, ["orders.sql"]);
}

pub async fn a_database_migrated_before_definitions_gains_them(db: &impl TestDb) {
    let dir = Dir::new();
    users(&dir);
    let old = dir.migrator();
    old.upgrade(db.pool(), "head").await.unwrap();
    assert!(!db.tables().await.contains(&RECORDS.to_owned()));
    // The history table as an older build wrote it is read as it is; the
    // companion table appears with the first definition applied.
    definitions(&dir, db.is_postgres());
    let m = dir.migrator();
    let v = m.verify(db.pool()).await.unwrap();
    assert!(v.pending.is_empty());
    assert_eq!(v.definitions.len(), m.definitions().len());
    let report = m.upgrade(db.pool(), "head").await.unwrap();
    assert!(report.revisions.is_empty());
    assert_eq!(report.definitions.len(), m.definitions().len());
    assert!(db.tables().await.contains(&RECORDS.to_owned()));
    assert_eq!(m.current(db.pool()).await.unwrap(), ["r1"]);
    assert!(m.verify(db.pool()).await.unwrap().is_clean());
    // The older build still reads the history, and still starts at head.
    assert_eq!(old.current(db.pool()).await.unwrap(), ["r1"]);
    assert!(
        old.upgrade(db.pool(), "head")
            .await
            .unwrap()
            .revisions
            .is_empty()
    );
}

/// The fixture the macro embeds: plain `CREATE VIEW`s, which both
/// databases run (the runtime drops each view first).
static EMBEDDED: Migrator = embed_migrations!("db/definitions_fixture", dialect = "any");

#[test]
fn the_embedded_definitions_equal_the_directory_read_at_run_time() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("db/definitions_fixture");
    let loaded = Migrator::from_directory(
        &dir,
        "db/definitions_fixture",
        &migrate_core::Config::default(),
    )
    .unwrap();
    let shape = |m: &Migrator| {
        m.definitions()
            .iter()
            .map(|d| {
                (
                    d.name().to_owned(),
                    d.path().to_owned(),
                    d.checksum().to_owned(),
                    format!("{:?}{:?}", d.postgres.apply, d.sqlite.drop),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(shape(&EMBEDDED), shape(&loaded));
    let names: Vec<&str> = EMBEDDED.definitions().iter().map(|d| d.name()).collect();
    assert_eq!(names, ["product_names.sql", "catalogue.sql"]);
}

pub async fn the_embedded_migrator_applies_its_definitions(db: &impl TestDb) {
    let report = EMBEDDED.upgrade(db.pool(), "head").await.unwrap();
    assert_eq!(report.definitions, ["product_names.sql", "catalogue.sql"]);
    db.exec("INSERT INTO products (id, name) VALUES ('p1', 'Lamp')")
        .await
        .unwrap();
    assert_eq!(db.text("SELECT label FROM catalogue").await, "p1: Lamp");
    let again = EMBEDDED.__fresh().upgrade(db.pool(), "head").await.unwrap();
    assert!(again.definitions.is_empty());
    let down = EMBEDDED.downgrade(db.pool(), "base").await.unwrap();
    assert_eq!(down.definitions, ["catalogue.sql", "product_names.sql"]);
    assert_eq!(
        db.tables().await,
        [RECORDS.replace("_definitions", ""), RECORDS.to_owned()]
    );
}
