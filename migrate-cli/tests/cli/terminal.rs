//! Text from migration files, file names and the history table reaches the
//! terminal with its control characters escaped (issue 26, "Terminals"): a
//! migration cannot set the title, move the cursor or erase lines.

use crate::common::{Out, Project};

const TITLE: &str = "\x1b]0;pwned\x07";
const ERASE: &str = "\x1b[2J";

fn assert_inert(what: &str, out: &Out) {
    for (stream, text) in [("stdout", &out.stdout), ("stderr", &out.stderr)] {
        assert!(
            !text.contains('\x1b') && !text.contains('\x07') && !text.contains('\r'),
            "{what}: raw control characters on {stream}:\n{}",
            text.escape_debug()
        );
    }
}

/// Control characters are refused in messages and file names when the
/// directory is loaded; every message that names them, from `revision -m`
/// to each command over a hand-edited file, shows them escaped.
#[test]
fn escape_sequences_in_a_message_and_a_file_name_are_refused_and_shown_escaped() {
    let p = Project::init();
    let url = p.sqlite_url();
    let message = format!("evil {TITLE}title{ERASE}\r");
    let shown = "evil \\u{1b}]0;pwned\\u{7}title\\u{1b}[2J";

    let out = p.run(&["revision", "-m", &message]);
    assert_eq!(out.code, 2, "{}", out.stderr);
    assert_inert("revision -m", &out);
    assert!(out.stderr.contains(shown), "{}", out.stderr);

    // A file edited by hand: the message and the file name hold escapes.
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    let file = p.file_of(&a);
    let text = std::fs::read_to_string(&file).unwrap();
    std::fs::write(
        &file,
        text.replace("-- message: create t", &format!("-- message: {message}")),
    )
    .unwrap();
    let hostile = file.with_file_name(format!(
        "{}{ERASE}.sql",
        file.file_stem().unwrap().to_string_lossy()
    ));
    std::fs::rename(&file, &hostile).unwrap();

    for args in [
        &["history"][..],
        &["history", "--verbose"],
        &["heads", "--verbose"],
        &["show", &a],
        &["graph"],
        &["check"],
        &["upgrade", "head", "--database-url", &url],
        &["current", "--verbose", "--database-url", &url],
    ] {
        let out = p.run(args);
        assert_inert(&format!("migrate {args:?}"), &out);
    }
    let out = p.run(&["check"]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert!(out.stderr.contains("\\u{1b}[2J.sql"), "{}", out.stderr);
}

#[tokio::test]
async fn escape_sequences_in_the_history_table_are_printed_escaped() {
    let p = Project::init();
    let url = p.sqlite_url();
    let a = p.revision(
        &["-m", "create t"],
        "CREATE TABLE t (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE t;"),
    );
    p.ok(&["upgrade", "head", "--database-url", &url]);
    // A row this directory does not know, written by someone else.
    let forged = format!("zz{TITLE}{ERASE}\nerror: forged line");
    let pool = sqlx::SqlitePool::connect(&url).await.unwrap();
    sqlx::query(
        "INSERT INTO migrate_history (revision, checksum, state, statements_done, seq, message, applied_at) \
         VALUES (?, 'v1:00', 'applied', 1, 2, ?, ?)",
    )
    .bind(&forged)
    .bind(format!("message {TITLE}"))
    .bind(format!("2026-01-01 {ERASE}"))
    .execute(&pool)
    .await
    .unwrap();
    pool.close().await;

    let out = p.ok(&[
        "history",
        "--indicate-current",
        "--verbose",
        "--database-url",
        &url,
    ]);
    assert_inert("history -i -v", &out);
    let warning = out
        .stderr
        .lines()
        .find(|l| l.starts_with("warning: the database has revision(s) zz"))
        .unwrap_or_else(|| panic!("{}", out.stderr));
    assert!(
        warning.contains("zz\\u{1b}]0;pwned\\u{7}\\u{1b}[2J\\u{a}error: forged line applied"),
        "the id stays on the warning's line:\n{warning}"
    );
    assert!(out.stdout.contains(&format!("Rev: {a}")), "{}", out.stdout);

    let out = p.run(&["upgrade", "head", "--database-url", &url]);
    assert_eq!(out.code, 1, "{}", out.stderr);
    assert_inert("upgrade over a hostile row", &out);
    assert!(out.stderr.contains("zz\\u{1b}]0;pwned"), "{}", out.stderr);
    assert!(
        out.stderr
            .lines()
            .all(|l| l.starts_with("error: ") || l.starts_with("  ")),
        "no line passes for one of ours:\n{}",
        out.stderr
    );
    let out = p.run(&["current", "--database-url", &url]);
    assert_inert("current over a hostile row", &out);
}
