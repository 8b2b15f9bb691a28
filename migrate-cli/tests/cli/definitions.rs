//! Repeatable definitions through the binary: `check` counts and judges
//! them, `upgrade` applies them after the revisions and again only when a
//! file changes, `current` shows what is pending, a downgrade drops them.

use crate::common::Project;

fn definitions_through_the_binary(url: &str, pg: bool) {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create users"],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL);",
        Some("DROP TABLE users;"),
    );
    let defs = p.migrations().join("definitions");
    std::fs::create_dir_all(&defs).unwrap();
    let create = if pg {
        "CREATE OR REPLACE VIEW"
    } else {
        "CREATE VIEW"
    };
    // Named so that path order is the wrong order.
    std::fs::write(
        defs.join("a_mailing.sql"),
        format!("{create} mailing AS SELECT email FROM active_users;\n"),
    )
    .unwrap();
    std::fs::write(
        defs.join("b_active_users.sql"),
        format!("{create} active_users AS SELECT id, email FROM users WHERE active;\n"),
    )
    .unwrap();
    let out = p.ok(&["check"]);
    assert!(
        out.stdout.contains("(1 revision, 2 definitions)"),
        "{}",
        out.stdout
    );

    let out = p.ok(&["upgrade", "head", "--database-url", url]);
    let lines = out.lines();
    let applied: Vec<&&str> = lines
        .iter()
        .filter(|l| l.starts_with("Applied definition"))
        .collect();
    assert_eq!(
        applied,
        [
            &"Applied definition b_active_users.sql",
            &"Applied definition a_mailing.sql"
        ],
        "{}",
        out.stdout
    );
    let out = p.ok(&["upgrade", "head", "--database-url", url]);
    assert_eq!(
        out.stdout,
        format!("Nothing to do: the database is at {a} (head)\n")
    );
    p.ok(&["current", "--check-heads", "--database-url", url]);

    // A changed file: `current` shows it, --check-heads fails, `upgrade`
    // applies it alone.
    std::fs::write(
        defs.join("a_mailing.sql"),
        format!("{create} mailing AS SELECT email, id FROM active_users;\n"),
    )
    .unwrap();
    let out = p.ok(&["current", "--database-url", url]);
    assert!(
        out.stdout
            .contains("definition a_mailing.sql (changed since applied "),
        "{}",
        out.stdout
    );
    p.fails(
        &["current", "--check-heads", "--database-url", url],
        1,
        "definition a_mailing.sql not applied with its current text",
    );
    let out = p.ok(&["upgrade", "head", "--database-url", url]);
    assert_eq!(
        out.stdout,
        format!("Applied definition a_mailing.sql\nNow at {a} (head)\n")
    );

    // A downgrade drops them first; the next upgrade applies them again.
    let out = p.ok(&["downgrade", "base", "--database-url", url]);
    assert!(
        out.stdout.contains("Dropped definition a_mailing.sql"),
        "{}",
        out.stdout
    );
    let out = p.ok(&["upgrade", "head", "--database-url", url]);
    assert!(
        out.stdout.contains("Applied definition a_mailing.sql"),
        "{}",
        out.stdout
    );

    // The definitions' views are not schema.sql's to declare: `check`
    // against the database and against the fold finds nothing.
    std::fs::write(
        p.path().join("schema.sql"),
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL);\n",
    )
    .unwrap();
    for args in [
        &["check", "--database-url", url][..],
        &["check", "--offline"][..],
    ] {
        let out = p.ok(args);
        assert!(
            out.stdout.contains("No new upgrade operations detected"),
            "{args:?}: {}",
            out.stdout
        );
    }

    // What does not belong in a definition file fails `check` at its line.
    std::fs::write(
        defs.join("c_table.sql"),
        "-- schema\nCREATE TABLE audit (id INTEGER);\n",
    )
    .unwrap();
    let out = p.fails(&["check"], 1, "put it in a revision");
    assert!(
        out.stderr.contains("migrations/definitions/c_table.sql:2: `CREATE TABLE audit (id INTEGER)` does not belong in a definition file"),
        "{}",
        out.stderr
    );
}

#[test]
fn definitions_on_sqlite() {
    let p = Project::empty();
    let url = format!("sqlite://{}", p.path().join("app.db").display());
    definitions_through_the_binary(&url, false);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn definitions_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || definitions_through_the_binary(&url, true))
        .await
        .unwrap();
}

/// `upgrade --sql` to head ends with every definition and its record, in
/// their order; applied by the database's own client, the database is where
/// an online upgrade leaves it (the next `upgrade head` has nothing to do).
/// `downgrade --sql` drops them before its first revision.
async fn definitions_in_offline_scripts(url: &str, pg: bool) {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create users"],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL, active BOOLEAN NOT NULL);",
        Some("DROP TABLE users;"),
    );
    let defs = p.migrations().join("definitions");
    std::fs::create_dir_all(&defs).unwrap();
    let create = if pg {
        "CREATE OR REPLACE VIEW"
    } else {
        "CREATE VIEW"
    };
    std::fs::write(
        defs.join("a_mailing.sql"),
        format!("{create} mailing AS SELECT email FROM active_users;\n"),
    )
    .unwrap();
    std::fs::write(
        defs.join("b_active_users.sql"),
        format!("{create} active_users AS SELECT id, email FROM users WHERE active;\n"),
    )
    .unwrap();
    let apply = |script: String| {
        let url = url.to_owned();
        async move {
            if pg {
                tokio::task::spawn_blocking(move || crate::common::apply_with_psql(&url, &script))
                    .await
                    .unwrap();
            } else {
                let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
                sqlx::raw_sql(&script).execute(&pool).await.unwrap();
                pool.close().await;
            }
        }
    };

    let script = p
        .ok(&["upgrade", "--sql", "head", "--database-url", url])
        .stdout;
    let b = script
        .find("-- definition migrations/definitions/b_active_users.sql")
        .unwrap_or_else(|| panic!("no active_users definition:\n{script}"));
    let m = script
        .find("-- definition migrations/definitions/a_mailing.sql")
        .unwrap_or_else(|| panic!("no mailing definition:\n{script}"));
    let revision = script.find("CREATE TABLE users").unwrap();
    assert!(revision < b && b < m, "out of order:\n{script}");
    assert!(
        script.contains("\"migrate_history_definitions\""),
        "{script}"
    );
    apply(script).await;
    let out = p.ok(&["upgrade", "head", "--database-url", url]);
    assert_eq!(
        out.stdout,
        format!("Nothing to do: the database is at {a} (head)\n"),
        "the script's records do not match the files"
    );
    p.ok(&["current", "--check-heads", "--database-url", url]);

    // A script short of head leaves them out.
    let b_rev = p.revision(
        &["-m", "add name"],
        "ALTER TABLE users ADD COLUMN name TEXT;",
        Some("ALTER TABLE users DROP COLUMN name;"),
    );
    let short = p
        .ok(&[
            "upgrade",
            "--sql",
            &format!("base:{a}"),
            "--database-url",
            url,
        ])
        .stdout;
    assert!(!short.contains("-- definition "), "{short}");
    let _ = b_rev;

    // The downgrade script drops them first, as an online downgrade does.
    let script = p
        .ok(&[
            "downgrade",
            "--sql",
            &format!("{a}:base"),
            "--database-url",
            url,
        ])
        .stdout;
    let drop = script
        .find("-- definition migrations/definitions/a_mailing.sql")
        .unwrap_or_else(|| panic!("no drop of mailing:\n{script}"));
    assert!(drop < script.find("DROP TABLE users").unwrap(), "{script}");
    apply(script).await;
    let out = p.ok(&["current", "--database-url", url]);
    assert!(
        out.stdout
            .contains("definition b_active_users.sql (not applied"),
        "{}",
        out.stdout
    );
    let out = p.ok(&["upgrade", "head", "--database-url", url]);
    assert!(
        out.stdout.contains("Applied definition a_mailing.sql"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn offline_scripts_carry_definitions_on_sqlite() {
    let p = Project::empty();
    let url = format!("sqlite://{}?mode=rwc", p.path().join("app.db").display());
    definitions_in_offline_scripts(&url, false).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_scripts_carry_definitions_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    definitions_in_offline_scripts(&db.url, true).await;
}
