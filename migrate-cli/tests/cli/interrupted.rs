//! A `transactional: false` revision that an earlier run left part-way
//! (history state `failed` or `revert_failed`): `current` shows it with its
//! state and a warning and exits 1, `check` fails naming it, and after
//! `stamp` both are content again. On both databases.

use crate::common::{Out, Project};

fn with_url<'a>(args: &[&'a str], url: &'a str) -> Vec<&'a str> {
    let mut all = args.to_vec();
    all.extend(["--database-url", url]);
    all
}

fn expect_exit(out: &Out, code: i32, what: &str) {
    assert_eq!(
        out.code, code,
        "{what}: expected exit {code}:\n--- stdout\n{}--- stderr\n{}",
        out.stdout, out.stderr
    );
}

fn interrupted_revision_is_shown_by_current_and_fails_check(url: &str) {
    let p = Project::init();
    // Only the history is under test, not a declared schema.
    std::fs::remove_file(p.path().join("schema.sql")).unwrap();
    let a = p.revision(
        &["-m", "first"],
        "CREATE TABLE ta (id INTEGER);",
        Some("DROP TABLE ta;"),
    );
    // Three upgrade statements, two downgrade statements: a count taken
    // from the wrong section shows.
    let b = p.revision(
        &["-m", "outside a transaction"],
        "CREATE TABLE tb (id INTEGER);\nINSERT INTO nowhere VALUES (1);\nCREATE TABLE tb2 (id INTEGER);",
        Some("DROP TABLE tb;\nDROP TABLE tb2;"),
    );
    p.make_non_transactional(&b);
    let path = format!(
        "migrations/{}",
        p.file_of(&b).file_name().unwrap().to_string_lossy()
    );

    let out = p.run(&with_url(&["upgrade", "head"], url));
    expect_exit(&out, 1, "upgrade");

    // current: the applied head, then the interrupted revision and its state.
    let out = p.run(&with_url(&["current"], url));
    expect_exit(&out, 1, "current");
    assert_eq!(
        out.stdout,
        format!("{a}\n{b} (failed: 1 of 3 upgrade statements done)\n")
    );
    let warning = format!(
        "warning: revision {b} ({path}) was stopped part-way through its upgrade section by an earlier run: 1 of 3 statements are recorded as done (`failed`), and statement 2 may have run too if that run was killed before recording it; once its cause is fixed, continue from there with `migrate upgrade --resume`, or finish the upgrade by hand and run `migrate stamp {b}`, or undo the statements that ran and run `migrate stamp {a}`\n"
    );
    assert!(out.stderr.starts_with(&warning), "{}", out.stderr);
    assert!(
        out.stderr.ends_with(&format!(
            "error: revision {b}: the database is part-way through it (`failed`); resolve it as the warning above says\n"
        )),
        "{}",
        out.stderr
    );
    let out = p.run(&with_url(&["current", "--verbose"], url));
    expect_exit(&out, 1, "current --verbose");
    assert!(
        out.stdout
            .ends_with(&format!("{b} (failed: 1 of 3 upgrade statements done)\n")),
        "{}",
        out.stdout
    );

    // check: the same row is a problem.
    let out = p.fails(
        &with_url(&["check"], url),
        1,
        "error: 1 revision(s) left part-way",
    );
    assert!(
        out.stderr.contains(&format!(
            "error: revision {b} ({path}) was stopped part-way through its upgrade section"
        )),
        "{}",
        out.stderr
    );

    // Recorded as finished, everything is quiet again.
    p.ok(&with_url(&["stamp", &b], url));
    let out = p.ok(&with_url(&["current"], url));
    assert_eq!(out.stdout, format!("{b} (head)\n"));
    assert_eq!(out.stderr, "");
    p.ok(&with_url(&["check"], url));

    // A downgrade that stops part-way: its own section's count.
    let out = p.run(&with_url(&["downgrade", "base"], url));
    expect_exit(&out, 1, "downgrade");
    let out = p.run(&with_url(&["current"], url));
    expect_exit(&out, 1, "current after the failed downgrade");
    assert_eq!(
        out.stdout,
        format!("{a}\n{b} (revert_failed: 1 of 2 downgrade statements done)\n")
    );
    assert!(
        out.stderr
            .contains("1 of 2 statements are recorded as done (`revert_failed`)")
            && out.stderr.contains(&format!(
            "finish the downgrade by hand and run `migrate stamp {a}`, or undo the statements that ran and run `migrate stamp {b}`"
        )),
        "{}",
        out.stderr
    );
    let out = p.fails(&with_url(&["check"], url), 1, "`revert_failed`");
    assert!(
        out.stderr.contains(&format!("revision {b} (")),
        "{}",
        out.stderr
    );
    p.fails(
        &with_url(&["upgrade", "head"], url),
        1,
        "1 of the 2 statements of its downgrade section are recorded as done (revert_failed)",
    );
    // `--resume` goes on in the direction that was interrupted only, and
    // from statement 2, which fails again here (its table never existed).
    p.fails(
        &with_url(&["upgrade", "head", "--resume"], url),
        1,
        "`migrate downgrade --resume`",
    );
    let out = p.fails(
        &with_url(&["downgrade", "base", "--resume"], url),
        1,
        &format!("revision {b} failed at statement 2 ("),
    );
    assert!(
        out.stderr
            .contains("continue from statement 2 with `migrate downgrade --resume`"),
        "{}",
        out.stderr
    );
    p.fails(
        &with_url(&["upgrade", "head", "--resume", "--sql"], url),
        2,
        "cannot be used with",
    );
}

#[test]
fn interrupted_revision_is_shown_by_current_and_fails_check_sqlite() {
    let db = migrate_tests::fresh_sqlite_db();
    interrupted_revision_is_shown_by_current_and_fails_check(&db.url);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn interrupted_revision_is_shown_by_current_and_fails_check_postgres() {
    let db = migrate_tests::fresh_pg_db().await;
    interrupted_revision_is_shown_by_current_and_fails_check(&db.url);
}
