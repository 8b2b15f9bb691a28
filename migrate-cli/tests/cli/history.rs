//! `history --verbose` with the history table, and the files `init` writes
//! around the SQLite lock file (issue 25, "URLs, .env and the CLI").

use crate::common::Project;

/// The verbose entry of `id` in `history -v` output.
fn entry_of<'a>(stdout: &'a str, id: &str) -> &'a str {
    stdout
        .split("Rev: ")
        .find(|block| block.starts_with(id))
        .unwrap_or_else(|| panic!("no entry for {id} in:\n{stdout}"))
}

#[test]
fn verbose_history_with_a_url_shows_applied_stamped_when_and_how_long() {
    let p = Project::init();
    let url = p.sqlite_url();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "create u"],
        "CREATE TABLE u (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE u;"),
    );
    let c = p.revision(
        &["-m", "create v"],
        "CREATE TABLE v (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE v;"),
    );
    p.ok(&["upgrade", &a, "--database-url", &url]);
    p.ok(&["stamp", &b, "--database-url", &url]);

    let out = p.ok(&["history", "--verbose", "--database-url", &url]);
    let applied = entry_of(&out.stdout, &a);
    let line = applied
        .lines()
        .find(|l| l.starts_with("Applied: "))
        .unwrap_or_else(|| panic!("{applied}"));
    // `Applied: 2026-12-06 02:53:39.190 UTC (0 ms)`
    let rest = line.trim_start_matches("Applied: ");
    assert!(rest.starts_with("20") && rest.contains(" UTC ("), "{line}");
    assert!(rest.ends_with(" ms)"), "{line}");
    let stamped = entry_of(&out.stdout, &b);
    assert!(
        stamped.lines().any(|l| l.starts_with("Stamped: ")
            && l.ends_with(" UTC (recorded without running its SQL)")),
        "{stamped}"
    );
    let pending = entry_of(&out.stdout, &c);
    assert!(pending.lines().any(|l| l == "Applied: no"), "{pending}");

    // Without a URL the files alone are listed, as before.
    let out = p.ok(&["history", "--verbose"]);
    assert!(!out.stdout.contains("Applied: "), "{}", out.stdout);
    // An unreachable database: a warning, and the files still listed.
    let out = p.ok(&[
        "history",
        "--verbose",
        "--database-url",
        "postgres://nobody@127.0.0.1:1/x",
    ]);
    // --verbose first says where the URL came from, then warns.
    assert!(
        out.stderr
            .contains("\nwarning: listing without the history table: could not connect"),
        "{}",
        out.stderr
    );
    assert!(out.stdout.contains(&format!("Rev: {a}")), "{}", out.stdout);
}

#[test]
fn init_lists_the_sqlite_lock_file_in_gitignore() {
    let p = Project::empty();
    let out = p.ok(&["init"]);
    assert!(
        out.stdout.contains("Created .gitignore\n"),
        "{}",
        out.stdout
    );
    let ignore = std::fs::read_to_string(p.path().join(".gitignore")).unwrap();
    assert!(ignore.lines().any(|l| l == "*.migrate-lock"), "{ignore}");

    // An existing .gitignore is appended to, keeping what it had.
    let q = Project::empty();
    std::fs::write(q.path().join(".gitignore"), "/target").unwrap();
    let out = q.ok(&["init"]);
    assert!(
        out.stdout.contains("Added *.migrate-lock to .gitignore\n"),
        "{}",
        out.stdout
    );
    let ignore = std::fs::read_to_string(q.path().join(".gitignore")).unwrap();
    assert!(ignore.starts_with("/target\n"), "{ignore}");
    assert!(ignore.lines().any(|l| l == "*.migrate-lock"), "{ignore}");

    // A run leaves the lock file, which the pattern covers.
    let a = q.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let url = q.sqlite_url();
    q.ok(&["upgrade", &a, "--database-url", &url]);
    assert!(q.path().join("app.db.migrate-lock").is_file());

    // Already listed: kept as it is.
    std::fs::remove_file(q.path().join("migrate.toml")).unwrap();
    std::fs::remove_dir_all(q.migrations()).unwrap();
    let out = q.ok(&["init"]);
    assert!(out.stdout.contains("Kept .gitignore"), "{}", out.stdout);
    let again = std::fs::read_to_string(q.path().join(".gitignore")).unwrap();
    assert_eq!(again, ignore);
}
