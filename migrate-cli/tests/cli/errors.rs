//! Every error path: its message on stderr and its exit code.

use std::io::Read;
use std::process::{Command, Stdio};

use crate::common::{PASSWORD, Project};

/// A project with two revisions (the second irreversible when asked).
fn two_revisions(irreversible: bool) -> (Project, String, String) {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "add u"],
        "CREATE TABLE u (id INTEGER PRIMARY KEY);",
        if irreversible {
            None
        } else {
            Some("DROP TABLE u;")
        },
    );
    (p, a, b)
}

#[test]
fn no_database_url_is_a_usage_error() {
    let (p, _, _) = two_revisions(false);
    for command in [
        &["upgrade", "head"][..],
        &["current"],
        &["stamp", "head"],
        &["downgrade", "base"],
    ] {
        p.fails(
            command,
            2,
            "no database URL; pass --database-url, set DATABASE_URL",
        );
    }
    p.fails(&["history", "-i"], 2, "no database URL");
    p.fails(&["history", "-r", "current:"], 2, "no database URL");
}

#[test]
fn bad_targets() {
    let (p, _, _) = two_revisions(false);
    let url = p.sqlite_url();
    p.fails(
        &["upgrade", "a@b", "--database-url", &url],
        2,
        "invalid target `a@b`; expected head, heads, base",
    );
    p.fails(
        &["upgrade", "zzz", "--database-url", &url],
        1,
        "Can't locate revision identified by 'zzz'",
    );
    p.fails(
        &["stamp", "zzz", "--database-url", &url],
        1,
        "Can't locate revision identified by 'zzz'",
    );
    p.fails(
        &["show", "zzz"],
        1,
        "Can't locate revision identified by 'zzz'",
    );
    p.fails(
        &["upgrade", "+5", "--database-url", &url],
        1,
        "Relative revision +5 didn't produce 5 migrations",
    );
    p.fails(
        &["upgrade", "a:b", "--database-url", &url],
        2,
        "FROM:TO ranges are for --sql",
    );
    p.fails(
        &["downgrade", "head", "--database-url", &url],
        1,
        "is not a valid downgrade target",
    );
    p.fails(&["history", "-r", "nocolon"], 2, "has no `:`");
}

#[test]
fn clap_usage_errors_exit_2() {
    let p = Project::init();
    for args in [
        &["frobnicate"][..],
        &["upgrade"],
        &["revision"],
        &["revision", "-m", "x", "--splice"],
        &["graph", "--format", "png"],
        &["--color", "sometimes", "heads"],
    ] {
        let out = p.run(args);
        assert_eq!(out.code, 2, "migrate {args:?}: {}", out.stderr);
        assert!(out.stderr.contains("error:"), "{}", out.stderr);
    }
}

#[test]
fn autogenerate_needs_a_database_url_and_writes_nothing_without_one() {
    let p = Project::init();
    p.fails(
        &["revision", "--autogenerate", "-m", "x"],
        2,
        "no database URL",
    );
    p.fails(
        &["revision", "--shadow", "-m", "x"],
        2,
        "--shadow only applies with --autogenerate",
    );
    assert_eq!(
        std::fs::read_dir(p.migrations()).unwrap().count(),
        1,
        "only .gitkeep"
    );
}

#[test]
fn init_refuses_existing_project_and_non_empty_directory() {
    let p = Project::init();
    p.fails(&["init"], 1, "migrate.toml: already exists");
    let q = Project::empty();
    std::fs::create_dir(q.path().join("migrations")).unwrap();
    std::fs::write(q.path().join("migrations/keep.sql"), "").unwrap();
    q.fails(&["init"], 1, "directory is not empty");
    assert!(!q.path().join("migrate.toml").exists());
    // Another directory name is fine, and ends up in migrate.toml.
    let out = q.ok(&["init", "db/versions"]);
    assert!(
        out.stdout
            .contains("migrate_runtime::build::watch(\"db/versions\")"),
        "{}",
        out.stdout
    );
    assert!(
        out.stdout.contains("[build-dependencies]"),
        "{}",
        out.stdout
    );
    let toml = std::fs::read_to_string(q.path().join("migrate.toml")).unwrap();
    assert!(toml.contains("directory = \"db/versions\""), "{toml}");
    q.ok(&["revision", "-m", "first"]);
    assert_eq!(
        q.ok(&["check"]).stdout,
        "No problems found in db/versions (1 revision)\n"
    );
}

#[test]
fn revision_refuses_bad_ids_labels_and_dependencies() {
    let (p, a, b) = two_revisions(false);
    p.fails(
        &["revision", "-m", "x", "--rev-id", &a],
        1,
        "is already used by",
    );
    p.fails(
        &["revision", "-m", "x", "--rev-id", "no-dash"],
        2,
        "is not a valid revision id",
    );
    p.fails(
        &["revision", "-m", "x", "--depends-on", "nope"],
        1,
        "Can't locate revision identified by 'nope'",
    );
    p.fails(
        &["revision", "-m", "x", "--head", "nope"],
        1,
        "Can't locate revision identified by 'nope'",
    );
    let out = p.ok(&[
        "revision",
        "-m",
        "labelled",
        "--branch-label",
        "core",
        "--depends-on",
        &a,
        "--rev-id",
        "c0ffee",
    ]);
    assert!(
        out.stdout.contains("-c0ffee_labelled.sql ... done"),
        "{}",
        out.stdout
    );
    let file = p.file_of("c0ffee");
    assert_eq!(crate::common::header_value(&file, "down_revision"), b);
    assert_eq!(crate::common::header_value(&file, "branch_labels"), "core");
    assert_eq!(crate::common::header_value(&file, "depends_on"), a);
    p.fails(
        &["revision", "-m", "x", "--branch-label", "core"],
        1,
        "branch label `core` is already used",
    );
    // LABEL@head names the branch's head.
    let out = p.ok(&["revision", "-m", "after label", "--head", "core@head"]);
    let path = crate::common::generated_path(&out);
    assert_eq!(
        crate::common::header_value(&p.path().join(path), "down_revision"),
        "c0ffee"
    );
}

#[test]
fn merge_needs_two_revisions_on_different_branches() {
    let (p, a, b) = two_revisions(false);
    p.fails(&["merge", "-m", "m", "heads"], 1, "nothing to merge");
    p.fails(
        &["merge", "-m", "m", &a, &b],
        1,
        &format!("revision {a} is an ancestor of {b}"),
    );
}

#[test]
fn check_lists_every_problem_and_exits_1() {
    let (p, _, _) = two_revisions(false);
    std::fs::write(
        p.migrations().join("2025_01_01_0000-bad1_bad.sql"),
        "-- revision: bad1\n-- migrate:upgrade\nSELECT 1;\n",
    )
    .unwrap();
    std::fs::write(
        p.migrations().join("2025_01_01_0001-bad2_typo.sql"),
        "-- revision: bad2\n-- down_revision: none\n-- branch_labels: other\n-- migrate:upgrade\nCREAT TABLE x (id INT);\n",
    )
    .unwrap();
    let out = p.fails(&["check"], 1, "error: 2 problems found in migrations\n");
    assert!(
        out.stderr.contains(
            "error: migrations/2025_01_01_0000-bad1_bad.sql:1: header has no `down_revision:` line"
        ),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(
            "error: migrations/2025_01_01_0001-bad2_typo.sql:5:1: SQL error in the upgrade section"
        ),
        "{}",
        out.stderr
    );
    assert!(out.stdout.is_empty());
    // Database commands refuse the directory with the same problems.
    let url = p.sqlite_url();
    let out = p.fails(
        &["upgrade", "head", "--database-url", &url],
        1,
        "migrations has 2 problems",
    );
    assert!(
        out.stderr.contains("header has no `down_revision:` line"),
        "{}",
        out.stderr
    );
    assert!(
        !p.path().join("app.db").exists(),
        "nothing connects before the directory is valid"
    );
}

#[test]
fn config_problems_exit_2() {
    let p = Project::init();
    p.fails(
        &["--config", "nope.toml", "heads"],
        2,
        "nope.toml: config file not found",
    );
    std::fs::write(p.path().join("migrate.toml"), "dialekt = \"pg\"\n").unwrap();
    p.fails(&["heads"], 2, "migrate.toml: unknown field `dialekt`");
    std::fs::write(p.path().join("migrate.toml"), "directory = \"missing\"\n").unwrap();
    p.fails(
        &["heads"],
        2,
        "missing: migration directory not found; create it (`migrate init`)",
    );
    p.fails(&["check"], 2, "missing: migration directory not found");
    std::fs::write(
        p.path().join("migrate.toml"),
        "file_template = \"%Q-{rev}\"\n",
    )
    .unwrap();
    p.fails(&["revision", "-m", "x"], 2, "uses `%Q`");
    // A config elsewhere: the directory is relative to it.
    let q = Project::empty();
    q.ok(&["--config", "conf/app.toml", "init"]);
    assert!(q.path().join("conf/migrations").is_dir());
    q.ok(&["--config", "conf/app.toml", "revision", "-m", "x"]);
    assert_eq!(
        q.ok(&["--config", "conf/app.toml", "check"]).stdout,
        "No problems found in conf/migrations (1 revision)\n"
    );
}

#[test]
fn broken_dotenv_is_a_usage_error() {
    let (p, _, _) = two_revisions(false);
    std::fs::write(p.path().join(".env"), "A=1\nnot a line\n").unwrap();
    p.fails(
        &["current"],
        2,
        ".env:2: the line after `not` is not `KEY=value`",
    );
}

#[test]
fn unsupported_scheme_and_missing_dialect_exit_2() {
    let (p, _, _) = two_revisions(false);
    p.fails(
        &["current", "--database-url", "mysql://u:pw@h/db"],
        2,
        "--database-url: mysql://u:***@h/db: unsupported database URL scheme `mysql`",
    );
    p.fails(
        &["upgrade", "head", "--sql"],
        2,
        "--sql needs to know the SQL dialect",
    );
    // A single dialect in migrate.toml is enough; nothing connects.
    let toml = std::fs::read_to_string(p.path().join("migrate.toml")).unwrap();
    std::fs::write(
        p.path().join("migrate.toml"),
        toml.replace("dialect = \"any\"", "dialect = \"sqlite\""),
    )
    .unwrap();
    let out = p.ok(&["upgrade", "head", "--sql"]);
    assert!(out.stdout.contains("BEGIN IMMEDIATE;"), "{}", out.stdout);
    p.fails(&["upgrade", "a:", "--sql"], 2, "has no TO");
}

#[test]
fn irreversible_downgrade_is_refused_before_anything_runs() {
    let (p, a, b) = two_revisions(true);
    let url = p.sqlite_url();
    p.ok(&["upgrade", "head", "--database-url", &url]);
    p.fails(
        &["downgrade", "base", "--database-url", &url],
        1,
        &format!("revision {b} ("),
    );
    let out = p.run(&["downgrade", "base", "--database-url", &url]);
    assert!(
        out.stderr.contains(
            "has no `-- migrate:downgrade` section, so it cannot be undone; nothing was changed"
        ),
        "{}",
        out.stderr
    );
    assert_eq!(
        p.ok(&["current", "--database-url", &url]).stdout,
        format!("{b} (head)\n")
    );
    p.fails(
        &["downgrade", "base", "--sql", "--database-url", &url],
        1,
        "cannot be undone",
    );
    let _ = a;
}

#[test]
fn edited_applied_revision_is_refused() {
    let (p, a, _) = two_revisions(false);
    let url = p.sqlite_url();
    p.ok(&["upgrade", "head", "--database-url", &url]);
    let file = p.file_of(&a);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("id INTEGER PRIMARY KEY", "id INTEGER PRIMARY KEY, x TEXT"),
    )
    .unwrap();
    p.fails(
        &["upgrade", "head", "--database-url", &url],
        1,
        &format!("revision {a} ("),
    );
    let out = p.run(&["downgrade", "base", "--database-url", &url]);
    assert!(
        out.stderr
            .contains("the upgrade SQL was edited after it was applied"),
        "{}",
        out.stderr
    );
}

#[test]
fn failing_revision_names_statement_and_where_the_database_stands() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "good"],
        "CREATE TABLE t (id INTEGER);",
        Some("DROP TABLE t;"),
    );
    let b = p.revision(
        &["-m", "bad"],
        "CREATE TABLE u (id INTEGER);\nINSERT INTO missing_table VALUES (1);",
        Some("DROP TABLE u;"),
    );
    let url = p.sqlite_url();
    let out = p.fails(
        &["upgrade", "head", "--database-url", &url],
        1,
        &format!("revision {b} failed at statement 2"),
    );
    assert!(
        out.stderr.contains("no such table: missing_table"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains(&format!("the database remains at {a}")),
        "{}",
        out.stderr
    );
    // The revision that made it was still reported on stdout.
    assert!(
        out.stdout.starts_with(&format!("Applied {a} good (")),
        "{}",
        out.stdout
    );
    assert_eq!(
        p.ok(&["current", "--database-url", &url]).stdout,
        format!("{a}\n")
    );
}

#[test]
fn database_ahead_of_directory_is_refused() {
    let (p, _, b) = two_revisions(false);
    let url = p.sqlite_url();
    p.ok(&["upgrade", "head", "--database-url", &url]);
    std::fs::remove_file(p.file_of(&b)).unwrap();
    p.fails(
        &["current", "--database-url", &url],
        1,
        &format!("Can't locate revision identified by '{b}'"),
    );
    // history and graph still show what they can, with a warning.
    let out = p.ok(&["graph", "--database-url", &url]);
    assert!(
        out.stderr.contains(&format!(
            "warning: the database has revision(s) {b} applied"
        )),
        "{}",
        out.stderr
    );
    // stamp --purge forgets it.
    p.ok(&["stamp", "--purge", "head", "--database-url", &url]);
}

#[test]
fn broken_pipe_ends_quietly() {
    let p = Project::init();
    for i in 0..30 {
        p.ok(&["revision", "-m", &format!("revision number {i}")]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_migrate"))
        .args(["history", "--verbose"])
        .current_dir(p.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Read one byte, then close the pipe, as `| head -c1` does.
    let mut stdout = child.stdout.take().unwrap();
    let mut one = [0u8; 1];
    stdout.read_exact(&mut one).unwrap();
    drop(stdout);
    let mut stderr = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut stderr)
        .unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stderr.is_empty(), "{stderr}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_errors_never_show_the_password() {
    let db = migrate_tests::fresh_pg_db().await;
    assert!(
        db.url.contains(PASSWORD),
        "the test server uses the known password"
    );
    let (p, a, _) = two_revisions(false);
    // Wrong port: the driver's error, the URL redacted.
    let host = db
        .url
        .find("@127.0.0.1:")
        .expect("the test server listens on 127.0.0.1")
        + "@127.0.0.1:".len();
    let port_end = host + db.url[host..].find('/').expect("a database path");
    let closed = format!("{}1{}", &db.url[..host], &db.url[port_end..]);
    let out = p.fails(
        &["current", "--database-url", &closed],
        1,
        "could not connect to postgres://migrate:***@127.0.0.1:1/",
    );
    assert!(out.stderr.contains("Connection refused"), "{}", out.stderr);
    // A database that does not exist.
    let missing = format!("{}_missing", db.url);
    p.fails(
        &["upgrade", "head", "--database-url", &missing],
        1,
        "does not exist",
    );
    // Verbose current prints the URL, redacted.
    p.ok(&["upgrade", "head", "--database-url", &db.url]);
    let out = p.ok(&["current", "--verbose", "--database-url", &db.url]);
    assert!(
        out.stdout
            .starts_with("Current revision(s) for postgres://migrate:***@127.0.0.1:"),
        "{}",
        out.stdout
    );
    // A failing statement on PostgreSQL.
    let bad = p.revision(
        &["-m", "bad"],
        "SELECT * FROM no_such_table;",
        Some("-- migrate:no-op"),
    );
    let out = p.fails(
        &["upgrade", "head", "--database-url", &db.url],
        1,
        &format!("revision {bad} failed at statement 1"),
    );
    assert!(
        out.stderr
            .contains("relation \"no_such_table\" does not exist"),
        "{}",
        out.stderr
    );
    // Debug logs of the runtime and sqlx.
    let out = p.run_env(
        &["downgrade", &a, "--database-url", &db.url],
        &[("MIGRATE_LOG", "trace")],
    );
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stderr.contains("DEBUG"),
        "logs were written: {}",
        out.stderr
    );
    // The password in a URL given through the environment.
    let out = p.run_env(&["current", "-v"], &[("DATABASE_URL", &closed)]);
    assert_eq!(out.code, 1);
    assert!(
        out.stderr.contains("postgres://migrate:***@"),
        "{}",
        out.stderr
    );
}

#[test]
fn check_with_a_database_url_reports_edited_applied_revisions() {
    let (p, a, b) = two_revisions(false);
    // No declared schema: only the directory and the history are checked.
    std::fs::remove_file(p.path().join("schema.sql")).unwrap();
    let url = p.sqlite_url();
    p.ok(&["upgrade", "head", "--database-url", &url]);
    let out = p.ok(&["check", "--database-url", &url]);
    assert_eq!(
        out.stdout,
        "No problems found in migrations (2 revisions)\n"
    );
    let file = p.file_of(&a);
    let original = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        original.replace("id INTEGER PRIMARY KEY", "id INTEGER PRIMARY KEY, x TEXT"),
    )
    .unwrap();
    let out = p.fails(
        &["check", "--database-url", &url],
        1,
        "error: 1 applied revision was edited after it ran\n",
    );
    let path = format!("migrations/{}", file.file_name().unwrap().to_string_lossy());
    assert!(
        out.stderr.contains(&format!(
            "error: revision {a} ({path}): the upgrade SQL was edited after it was applied; restore the applied SQL (e.g. from version control) and put the change in a new revision, or, if the database already matches the edited file, accept the edit with `migrate stamp --accept-checksum {a}`"
        )),
        "{}",
        out.stderr
    );
    // upgrade says the same two ways on.
    let out = p.fails(
        &["upgrade", "head", "--database-url", &url],
        1,
        "restore the applied SQL",
    );
    assert!(
        out.stderr
            .contains(&format!("`migrate stamp --accept-checksum {a}`")),
        "{}",
        out.stderr
    );

    // Restoring the file ends the drift.
    std::fs::write(&file, &original).unwrap();
    p.ok(&["check", "--database-url", &url]);

    // A comment and a new layout are not drift.
    std::fs::write(
        &file,
        original.replace(
            "id INTEGER PRIMARY KEY",
            "-- the key\n      id   INTEGER PRIMARY KEY /* rowid */",
        ),
    )
    .unwrap();
    p.ok(&["check", "--database-url", &url]);

    // Accepting the edit records the file's checksum; nothing else changes.
    std::fs::write(
        &file,
        original.replace("id INTEGER PRIMARY KEY", "id INTEGER PRIMARY KEY, x TEXT"),
    )
    .unwrap();
    p.fails(
        &["check", "--database-url", &url],
        1,
        "was edited after it ran",
    );
    let out = p.ok(&["stamp", "--accept-checksum", &a, "--database-url", &url]);
    assert!(
        out.stdout
            .starts_with(&format!("Accepted the edit of {a}: checksum v2:")),
        "{}",
        out.stdout
    );
    p.ok(&["check", "--database-url", &url]);
    assert_eq!(
        p.ok(&["current", "--database-url", &url]).stdout,
        format!("{b} (head)\n")
    );
    let out = p.ok(&["stamp", "--accept-checksum", &a, "--database-url", &url]);
    assert_eq!(
        out.stdout,
        format!("{a} already matches its recorded checksum; nothing to accept\n")
    );
    let out = p.ok(&["upgrade", "head", "--database-url", &url]);
    assert!(out.stdout.starts_with("Nothing to do"), "{}", out.stdout);
    // Only an applied revision's edit can be accepted.
    p.ok(&["downgrade", "-1", "--database-url", &url]);
    p.fails(
        &["stamp", "--accept-checksum", &b, "--database-url", &url],
        1,
        &format!("error: revision {b} is not applied"),
    );
    p.fails(
        &[
            "stamp",
            "--accept-checksum",
            "--purge",
            &b,
            "--database-url",
            &url,
        ],
        2,
        "cannot be used with",
    );
}

#[test]
fn other_tools_verbs_name_the_command_to_use() {
    let p = Project::init();
    for (verb, advice) in [
        ("status", "`migrate status` is `migrate current` here"),
        ("info", "`migrate info` is `migrate current` here"),
        ("run", "`migrate run` is `migrate upgrade head` here"),
        ("revert", "`migrate revert` is `migrate downgrade -1` here"),
        ("add", "`migrate add` is `migrate revision -m MESSAGE` here"),
        (
            "migrate",
            "`migrate migrate` is `migrate upgrade head` here",
        ),
        ("validate", "`migrate validate` is `migrate check` here"),
        ("baseline", "`migrate baseline` is `migrate stamp REV` here"),
    ] {
        p.fails(&[verb], 2, advice);
        // With the other tool's own arguments too.
        p.fails(&[verb, "--source", "db/migrations", "-r"], 2, advice);
    }
    let help = p.ok(&["--help"]);
    assert!(!help.stdout.contains("revert"), "{}", help.stdout);
}

#[test]
fn targets_against_the_verb_are_refused_with_the_reason() {
    let (p, a, b) = two_revisions(false);
    let url = p.sqlite_url();
    p.ok(&["upgrade", "head", "--database-url", &url]);
    for args in [&["upgrade", "-1"][..], &["upgrade", "--sql", "-1"]] {
        let mut args = args.to_vec();
        args.extend(["--database-url", &url]);
        p.fails(
            &args,
            2,
            "`upgrade -1`: a negative step goes down, and upgrade only applies revisions; run `migrate downgrade -1`",
        );
    }
    p.fails(
        &["downgrade", "+1", "--database-url", &url],
        2,
        "`downgrade +1`: a positive step goes up, and downgrade only reverts revisions; run `migrate upgrade +1`",
    );
    // Nothing moved.
    assert_eq!(
        p.ok(&["current", "--database-url", &url]).stdout,
        format!("{b} (head)\n")
    );

    // A reversed --sql range is refused instead of printing an empty script.
    let reversed = format!("{b}:{a}");
    p.fails(
        &["upgrade", "--sql", &reversed, "--database-url", &url],
        2,
        &format!(
            "`upgrade --sql {b}:{a}`: FROM `{b}` comes after TO `{a}`, and an upgrade script goes from FROM to a later TO; swap them (`migrate upgrade --sql {a}:{b}`), or write the downgrade script (`migrate downgrade --sql {b}:{a}`)"
        ),
    );
    p.fails(
        &[
            "downgrade",
            "--sql",
            &format!("{a}:{b}"),
            "--database-url",
            &url,
        ],
        2,
        &format!("FROM `{a}` comes before TO `{b}`"),
    );
    p.fails(
        &[
            "upgrade",
            "--sql",
            &format!("{b}:base"),
            "--database-url",
            &url,
        ],
        2,
        "comes after TO `base`",
    );
    let out = p.ok(&[
        "upgrade",
        "--sql",
        &format!("{a}:{b}"),
        "--database-url",
        &url,
    ]);
    assert!(out.stdout.contains(&format!("'{b}'")), "{}", out.stdout);
    p.ok(&["downgrade", "--sql", &reversed, "--database-url", &url]);
    // FROM = TO is an empty script, not a mistake.
    p.ok(&[
        "upgrade",
        "--sql",
        &format!("{b}:{b}"),
        "--database-url",
        &url,
    ]);
}

/// A new revision's downgrade section asks for a decision: left as written it
/// loads while the upgrade is empty too, and is refused, by `check` and by
/// `upgrade`, once the upgrade has SQL, until it holds the undo SQL or
/// `-- migrate:no-op`.
#[test]
fn an_upgrade_filled_in_under_the_new_downgrade_section_is_refused_until_decided() {
    let p = Project::init();
    let url = p.sqlite_url();
    let out = p.ok(&["revision", "-m", "add c"]);
    let shown = crate::common::generated_path(&out);
    let file = p.path().join(&shown);
    let id = crate::common::header_value(&file, "revision");
    p.ok(&["check"]);
    p.ok(&["upgrade", "head", "--database-url", &url]);
    p.ok(&["downgrade", "base", "--database-url", &url]);

    let text = std::fs::read_to_string(&file).unwrap();
    let filled = text.replacen(
        "-- migrate:upgrade\n",
        "-- migrate:upgrade\nCREATE TABLE t (id INTEGER);\n",
        1,
    );
    std::fs::write(&file, &filled).unwrap();
    let marker_line = filled
        .lines()
        .position(|l| l == "-- migrate:downgrade")
        .unwrap()
        + 1;
    let expected = format!(
        "{shown}:{marker_line}: revision {id}: the downgrade section is empty but the upgrade is not; write the SQL that undoes the upgrade, put `-- migrate:no-op` in it if nothing needs undoing, or remove the section to make the revision irreversible"
    );
    p.fails(&["check"], 1, &expected);
    p.fails(&["upgrade", "head", "--database-url", &url], 1, &expected);

    let no_op = filled.replacen(
        "-- this section.\n",
        "-- this section.\n-- migrate:no-op\n",
        1,
    );
    assert_ne!(no_op, filled);
    std::fs::write(&file, &no_op).unwrap();
    p.ok(&["check"]);
    p.ok(&["upgrade", "head", "--database-url", &url]);
}

/// `revision` keeps the message's letters in the file name, in any script,
/// dates the file in UTC and says so, and refuses a message with a control
/// character (line breaks and tabs become spaces).
#[test]
fn new_revision_names_keep_unicode_letters_and_dates_say_utc() {
    let p = Project::init();
    let out = p.ok(&["revision", "-m", "café straße"]);
    let shown = crate::common::generated_path(&out);
    assert!(shown.ends_with("_café_straße.sql"), "{shown}");
    let file = p.path().join(&shown);
    let date = crate::common::header_value(&file, "create_date");
    assert!(date.ends_with(" UTC") && date.len() == 23, "{date}");
    assert_eq!(crate::common::header_value(&file, "message"), "café straße");

    let out = p.ok(&["revision", "-m", "../etc/x\nnext\tline"]);
    let shown = crate::common::generated_path(&out);
    assert!(shown.ends_with("_etc_x_next_line.sql"), "{shown}");
    let file = p.path().join(&shown);
    assert_eq!(
        crate::common::header_value(&file, "message"),
        "../etc/x next line"
    );
    p.ok(&["check"]);

    let out = p.fails(
        &["revision", "-m", "title\u{1b}]0;owned\u{7}"],
        2,
        "-m `title\\u{1b}]0;owned\\u{7}` holds a control character; remove it",
    );
    assert!(!out.stderr.contains('\u{1b}'), "{}", out.stderr);
    p.fails(
        &["revision", "-m", "x", "--rev-id", "a\u{1b}b"],
        2,
        "--rev-id `a\\u{1b}b` is not a valid revision id",
    );
}

/// `max_file_size` in migrate.toml: a larger file is reported by `check`
/// with its size and the setting, next to the directory's other problems.
#[test]
fn max_file_size_in_migrate_toml_refuses_larger_files() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let size = std::fs::metadata(p.file_of(&a)).unwrap().len();
    let toml = p.path().join("migrate.toml");
    let text = std::fs::read_to_string(&toml).unwrap();
    std::fs::write(&toml, format!("{text}\nmax_file_size = {}\n", size - 1)).unwrap();
    p.fails(
        &["check"],
        1,
        &format!(
            "file is {size} bytes, over the limit of {} bytes; split it into several revisions, or raise `max_file_size` (in migrate.toml",
            size - 1
        ),
    );
    std::fs::write(&toml, format!("{text}\nmax_file_size = \"1 KiB\"\n")).unwrap();
    p.ok(&["check"]);
    std::fs::write(&toml, format!("{text}\nmax_file_size = \"1 KB\"\n")).unwrap();
    p.fails(&["check"], 2, "max_file_size `1 KB` is not a size");
}

#[test]
fn config_is_found_upward_and_c_is_short_for_config() {
    let p = Project::init();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    std::fs::create_dir_all(p.path().join("src/deep")).unwrap();
    let out = p.run_in("src/deep", &["heads"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert_eq!(out.stdout, format!("{a} (head)\n"));
    // Paths in it are relative to its own directory, and named from here.
    let out = p.run_in("src/deep", &["check"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        out.stdout
            .starts_with("No problems found in ../../migrations (1 revision)"),
        "{}",
        out.stdout
    );
    let out = p.run_in("src", &["revision", "-m", "from below"]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(
        crate::common::generated_path(&out).starts_with("../migrations/"),
        "{}",
        out.stdout
    );
    assert!(!p.path().join("src/migrations").exists());
    // A relative SQLite file in it is relative to it too.
    let toml = std::fs::read_to_string(p.path().join("migrate.toml")).unwrap();
    std::fs::write(
        p.path().join("migrate.toml"),
        toml.replace(
            "# database_url = \"sqlite://app.db\"",
            "database_url = \"sqlite://app.db\"",
        ),
    )
    .unwrap();
    let out = p.run_in("src/deep", &["upgrade", &a]);
    assert_eq!(out.code, 0, "{}", out.stderr);
    assert!(p.path().join("app.db").is_file());
    assert!(!p.path().join("src/deep/app.db").exists());

    // -c is --config.
    let q = Project::empty();
    q.ok(&["-c", "conf/app.toml", "init"]);
    q.ok(&["-c", "conf/app.toml", "revision", "-m", "x"]);
    assert_eq!(
        q.ok(&["check", "-c", "conf/app.toml"]).stdout,
        "No problems found in conf/migrations (1 revision)\n"
    );
}

#[test]
fn reading_commands_on_a_sqlite_file_never_created_say_how_to_create_it() {
    let (p, _, _) = two_revisions(false);
    let url = p.sqlite_url();
    for command in [&["check"][..], &["revision", "--autogenerate", "-m", "x"]] {
        let mut args = command.to_vec();
        args.extend(["--database-url", url.as_str()]);
        p.fails(
            &args,
            1,
            "does not exist yet; `migrate upgrade head` creates it (commands that only read",
        );
    }
    // Nothing was left behind by the attempts, and upgrade then creates it.
    let file = url.trim_start_matches("sqlite://");
    assert!(!std::path::Path::new(file).exists(), "{file} was created");
    p.ok(&["upgrade", "head", "--database-url", &url]);
    assert!(std::path::Path::new(file).exists());
}
