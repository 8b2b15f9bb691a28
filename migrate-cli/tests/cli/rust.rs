//! Rust revisions seen from the `migrate` CLI, which reads the directory
//! at run time: it writes the template, lists, shows, plans and stamps
//! them, marks them in `--sql` scripts, and refuses to run them.

use crate::common::{Project, generated_path};

/// A project with an SQL revision, a Rust one from `revision --rust`, and
/// an SQL one after it; returns the three ids.
fn mixed() -> (Project, [String; 3]) {
    let p = Project::init();
    let first = p.revision(
        &["-m", "users"],
        "CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT);",
        Some("DROP TABLE users;"),
    );
    let out = p.ok(&["revision", "--rust", "-m", "normalise emails"]);
    let path = generated_path(&out);
    assert!(path.ends_with("_normalise_emails.rs"), "{path}");
    let text = std::fs::read_to_string(p.path().join(&path)).unwrap();
    assert!(text.starts_with("// revision: "), "{text}");
    assert!(
        text.contains(&format!("// down_revision: {first}\n")),
        "{text}"
    );
    assert!(
        text.contains("pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult"),
        "{text}"
    );
    assert!(text.contains("pub async fn downgrade("), "{text}");
    let rust = text
        .lines()
        .find_map(|l| l.strip_prefix("// revision: "))
        .unwrap()
        .to_owned();
    let last = p.revision(
        &["-m", "unique email"],
        "CREATE UNIQUE INDEX users_email ON users (email);",
        Some("DROP INDEX users_email;"),
    );
    (p, [first, rust, last])
}

#[test]
fn the_cli_lists_plans_and_stamps_rust_revisions_and_refuses_to_run_them() {
    let (p, [first, rust, last]) = mixed();
    // The directory checks pass with the Rust revision in the chain.
    p.ok(&["check"]);
    let history = p.ok(&["history"]);
    assert!(history.stdout.contains(&rust), "{}", history.stdout);
    let show = p.ok(&["show", &rust]);
    assert!(
        show.stdout
            .contains("-- written in Rust: `upgrade` and `downgrade` in migrations/"),
        "{}",
        show.stdout
    );
    // Running it is refused before anything runs, naming the way to run it.
    let url = p.sqlite_url();
    let out = p.fails(
        &["upgrade", "head", "--database-url", &url],
        1,
        "is written in Rust",
    );
    assert!(
        out.stderr.contains("migrate_cli::run_embedded"),
        "{}",
        out.stderr
    );
    let current = p.ok(&["current", "--database-url", &url]);
    assert!(!current.stdout.contains(&first), "{}", current.stdout);
    // Up to the revision before it runs; the script marks it and stops.
    p.ok(&["upgrade", &first, "--database-url", &url]);
    let script = p.ok(&[
        "upgrade",
        &format!("{first}:head"),
        "--sql",
        "--database-url",
        &url,
    ]);
    assert!(
        script
            .stdout
            .contains(&format!("-- MIGRATE: revision {rust} is written in Rust")),
        "{}",
        script.stdout
    );
    assert!(
        script.stdout.contains("SELECT * FROM \"revision "),
        "{}",
        script.stdout
    );
    // Stamped by hand once the application ran it; then the SQL after it runs.
    p.ok(&["stamp", &rust, "--database-url", &url]);
    p.ok(&["upgrade", "head", "--database-url", &url]);
    let current = p.ok(&["current", "--database-url", &url]);
    assert!(current.stdout.contains(&last), "{}", current.stdout);
    // Going down across it is refused the same way.
    p.fails(
        &["downgrade", "base", "--database-url", &url],
        1,
        "is written in Rust",
    );
}

#[test]
fn the_postgres_script_stops_at_a_rust_revision() {
    let (p, [_, rust, _]) = mixed();
    let script = p.ok(&[
        "upgrade",
        "head",
        "--sql",
        "--database-url",
        "postgres://u@h/db",
    ]);
    assert!(
        script.stdout.contains(&format!(
            "DO $$ BEGIN RAISE EXCEPTION '%', 'revision {rust} is written in Rust: run it with the application''s migration subcommand, then this script from the next revision'; END $$;"
        )),
        "{}",
        script.stdout
    );
}
