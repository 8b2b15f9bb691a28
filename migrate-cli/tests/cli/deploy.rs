//! Deploy safety through the binary: `downgrade --from-history` after the
//! directory lost revisions (an older checkout), on both databases.

use crate::common::Project;

/// Three revisions applied; the checkout then goes back to the first one
/// (the two newer files removed): `downgrade --from-history` reverts them
/// from the history, and `upgrade` refuses until it has.
fn older_checkout_reverts_from_history(url: &str) {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "add u"],
        "CREATE TABLE u (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE u;"),
    );
    let c = p.revision(
        &["-m", "add v"],
        "CREATE TABLE v (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE v;"),
    );
    p.ok(&["upgrade", "head", "--database-url", url]);
    std::fs::remove_file(p.file_of(&b)).unwrap();
    std::fs::remove_file(p.file_of(&c)).unwrap();
    // The directory now ends at a; the database is at c.
    let out = p.fails(
        &["upgrade", "head", "--database-url", url],
        1,
        "`migrate downgrade --from-history`",
    );
    assert!(out.stderr.contains(&format!("'{b}'")), "{}", out.stderr);
    let out = p.ok(&["downgrade", "--from-history", "--database-url", url]);
    let lines = out.lines();
    assert!(
        lines[0].starts_with(&format!(
            "Reverted {c} from the history's stored downgrade ("
        )),
        "{}",
        out.stdout
    );
    assert!(
        lines[1].starts_with(&format!(
            "Reverted {b} from the history's stored downgrade ("
        )),
        "{}",
        out.stdout
    );
    assert_eq!(lines[2], format!("Now at {a} (head)"));
    let out = p.ok(&["downgrade", "--from-history", "--database-url", url]);
    assert_eq!(
        out.stdout,
        format!(
            "Nothing to do: every applied revision is in this build; the database is at {a} (head)\n"
        )
    );
    // With a target it goes on with the directory's own downgrade.
    p.ok(&["downgrade", "--from-history", "base", "--database-url", url]);
    assert_eq!(p.ok(&["current", "--database-url", url]).stdout, "");
    p.fails(&["downgrade", "--database-url", url], 2, "TARGET");
    p.fails(
        &["downgrade", "--from-history", "--sql", "-1"],
        2,
        "cannot be used with",
    );
}

#[test]
fn downgrade_from_history_on_sqlite() {
    let p = Project::empty();
    let url = format!("sqlite://{}", p.path().join("app.db").display());
    older_checkout_reverts_from_history(&url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn downgrade_from_history_on_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    let url = db.url.clone();
    tokio::task::spawn_blocking(move || older_checkout_reverts_from_history(&url))
        .await
        .unwrap();
}
