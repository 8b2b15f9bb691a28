//! Named hostile inputs: each gets a clear error (file and line) or is
//! accepted, never a panic or a hang.

use std::path::Path;

use migrate_core::DialectCheck;

use crate::{load, rev};

fn write(dir: &Path, name: &str, text: impl AsRef<[u8]>) {
    std::fs::write(dir.join(name), text).unwrap();
}

fn errors_of(dir: &Path) -> String {
    load(dir, DialectCheck::Any).unwrap_err().to_string()
}

#[test]
fn a_non_utf8_byte_names_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes = rev("a1", "none", "CREATE TABLE t (id INT);").into_bytes();
    // Latin-1 `é` in a comment on line 4, and an overlong encoding later.
    let at = bytes.iter().position(|&b| b == b'C').unwrap();
    bytes.splice(at..at, b"-- caf\xe9\n".iter().copied());
    bytes.extend_from_slice(b"-- \xc0\xaf\n");
    write(dir.path(), "2025_01_01_0000-a1_latin1.sql", &bytes);
    let errors = errors_of(dir.path());
    assert_eq!(
        errors.trim(),
        "migrations/2025_01_01_0000-a1_latin1.sql:4: file is not valid UTF-8; save it as UTF-8"
    );
}

#[test]
fn a_bom_and_crlf_line_endings_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    let text = format!(
        "\u{feff}{}",
        rev("a1", "none", "CREATE TABLE t (id INT);").replace('\n', "\r\n")
    );
    write(dir.path(), "2025_01_01_0000-a1_crlf.sql", text);
    let loaded = load(dir.path(), DialectCheck::Any).unwrap();
    assert_eq!(loaded.revisions[0].id(), "a1");
}

#[test]
fn duplicated_header_keys_point_at_both_lines() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2025_01_01_0000-a1_dup.sql",
        "-- revision: a1\n-- down_revision: none\n-- revision: a1\n-- message: one\n-- message: two\n-- migrate:upgrade\nSELECT 1;\n",
    );
    let errors = errors_of(dir.path());
    assert!(
        errors.contains(
            "a1_dup.sql:3: header key `revision` appears twice (first on line 1); keep one"
        ),
        "{errors}"
    );
    assert!(
        errors.contains(
            "a1_dup.sql:5: header key `message` appears twice (first on line 4); keep one"
        ),
        "{errors}"
    );
}

#[test]
fn unknown_header_keys_are_typos_or_comments() {
    let dir = tempfile::tempdir().unwrap();
    // A near miss of a known key is an error with the right spelling…
    write(
        dir.path(),
        "2025_01_01_0000-a1_typo.sql",
        "-- revision: a1\n-- down_revison: none\n-- migrate:upgrade\nSELECT 1;\n",
    );
    let errors = errors_of(dir.path());
    assert!(
        errors.contains(
            "a1_typo.sql:2: unknown header key `down_revison`; did you mean `down_revision`?"
        ),
        "{errors}"
    );
    // …and is not also reported as a missing `down_revision`.
    assert!(!errors.contains("no `down_revision:` line"), "{errors}");

    // Anything else is an ordinary comment.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2025_01_01_0000-a1_note.sql",
        "-- revision: a1\n-- down_revision: none\n-- author: someone\n-- ticket: OPS-1\n-- migrate:upgrade\nSELECT 1;\n",
    );
    let loaded = load(dir.path(), DialectCheck::Any).unwrap();
    assert_eq!(loaded.revisions[0].id(), "a1");
}

#[test]
fn header_lines_after_the_first_section_are_refused() {
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2025_01_01_0000-a1_late.sql",
        "-- revision: a1\n-- migrate:upgrade\n-- down_revision: none\nSELECT 1;\n-- migrate:downgrade\n-- depends_on: b2\nSELECT 1;\n",
    );
    let errors = errors_of(dir.path());
    assert!(
        errors.contains("a1_late.sql:3: header line `down_revision:` after the first section marker; move it above `-- migrate:upgrade`"),
        "{errors}"
    );
    assert!(
        errors.contains("a1_late.sql:6: header line `depends_on:`"),
        "{errors}"
    );
    // A `message:` comment inside SQL is just a comment.
    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2025_01_01_0000-a1_msg.sql",
        "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n-- message: a note in the SQL\nSELECT 1;\n",
    );
    load(dir.path(), DialectCheck::Any).unwrap();
}

#[test]
fn ids_with_forbidden_characters_are_refused() {
    let long = "a".repeat(65);
    let cases: Vec<(String, String, &str)> = vec![
        ("a-1".into(), "none".into(), "invalid revision `a-1`"),
        ("a 1".into(), "none".into(), "invalid revision `a 1`"),
        ("aé1".into(), "none".into(), "invalid revision `aé1`"),
        (
            "a1;DROP".into(),
            "none".into(),
            "invalid revision `a1;DROP`",
        ),
        (long.clone(), "none".into(), "invalid revision `aaaa"),
        ("a1".into(), "b-2".into(), "invalid down_revision `b-2`"),
        (
            "a1".into(),
            "b2; c3".into(),
            "invalid down_revision `b2; c3`",
        ),
        ("a1".into(), "../b2".into(), "invalid down_revision `../b2`"),
    ];
    for (id, parent, needle) in cases {
        let dir = tempfile::tempdir().unwrap();
        // The file name carries the id, as the name check wants.
        let name = format!("2025_01_01_0000-{}_x.sql", id.replace(['/', ' '], "_"));
        write(
            dir.path(),
            &name,
            format!(
                "-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\nSELECT 1;\n"
            ),
        );
        let errors = errors_of(dir.path());
        assert!(errors.contains(needle), "{id} / {parent}: {errors}");
        assert!(
            errors.contains(":1: ") || errors.contains(":2: "),
            "{errors}"
        );
    }
}

#[test]
fn unreadable_files_and_directories_are_reported_or_read_by_a_privileged_user() {
    use std::os::unix::fs::PermissionsExt;

    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("2025_01_01_0000-a1_locked.sql");
    write(
        dir.path(),
        "2025_01_01_0000-a1_locked.sql",
        rev("a1", "none", "SELECT 1;"),
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o000)).unwrap();
    // Root (or CAP_DAC_OVERRIDE) reads a mode-000 file anyway: then the
    // honest outcome is that it loads. Anyone else gets the clear error.
    let privileged = std::fs::read(&file).is_ok();
    let result = load(dir.path(), DialectCheck::Any);
    if privileged {
        assert_eq!(result.unwrap().revisions.len(), 1);
    } else {
        let errors = result.unwrap_err().to_string();
        assert!(
            errors.contains(
                "migrations/2025_01_01_0000-a1_locked.sql: cannot read: Permission denied (os error 13); check that it exists and is readable"
            ),
            "{errors}"
        );
    }
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();

    // The directory itself.
    let locked = dir.path().join("locked");
    std::fs::create_dir(&locked).unwrap();
    write(
        &locked,
        "2025_01_01_0000-a1_x.sql",
        rev("a1", "none", "SELECT 1;"),
    );
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o000)).unwrap();
    let privileged = std::fs::read_dir(&locked).is_ok();
    let result = load(&locked, DialectCheck::Any);
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o755)).unwrap();
    if privileged {
        assert_eq!(result.unwrap().revisions.len(), 1);
    } else {
        let errors = result.unwrap_err().to_string();
        assert!(
            errors.contains("migrations: cannot read: Permission denied"),
            "{errors}"
        );
    }
}

#[test]
fn many_small_oddities_at_once_are_all_reported() {
    let dir = tempfile::tempdir().unwrap();
    write(dir.path(), "2025_01_01_0000-e1_empty.sql", "");
    write(
        dir.path(),
        "2025_01_01_0001-n1_bin.sql",
        b"\xff\xfe\x00\x01",
    );
    write(
        dir.path(),
        "2025_01_01_0002-d1_dup.sql",
        "-- revision: d1\n-- revision: d1\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n",
    );
    let errors = errors_of(dir.path());
    for needle in [
        "e1_empty.sql:1: header has no `revision:` line",
        "n1_bin.sql:1: file is not valid UTF-8",
        "d1_dup.sql:2: header key `revision` appears twice",
    ] {
        assert!(errors.contains(needle), "{needle}: {errors}");
    }
}

#[test]
fn a_migration_file_name_that_is_not_utf8_is_refused_by_name() {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2025_01_01_0000-a1_first.sql",
        rev("a1", "none", "SELECT 1;"),
    );
    // Latin-1 `é`: a name no editor on a UTF-8 system would have produced.
    let name = OsStr::from_bytes(b"2025_01_02_0000-b2_caf\xe9.sql");
    std::fs::write(dir.path().join(name), rev("b2", "a1", "SELECT 2;")).unwrap();
    // Other files with such names are not migrations and stay ignored.
    std::fs::write(dir.path().join(OsStr::from_bytes(b"notes_\xe9.txt")), "x").unwrap();
    std::fs::write(dir.path().join(OsStr::from_bytes(b".\xe9.sql")), "x").unwrap();

    let errors = errors_of(dir.path());
    assert_eq!(
        errors,
        "migrations/2025_01_02_0000-b2_caf\u{fffd}.sql: file name is not valid UTF-8; \
         rename it to a UTF-8 name such as `YYYY_MM_DD_HHMM-<revision>_<slug>.sql`"
    );
    let listed = migrate_core::list_sql_files(dir.path(), "migrations").unwrap();
    assert_eq!(listed.names, ["2025_01_01_0000-a1_first.sql"]);
    assert_eq!(listed.problems.len(), 1);
    assert_eq!(listed.problems[0].to_string(), errors);

    std::fs::remove_file(dir.path().join(name)).unwrap();
    assert_eq!(
        load(dir.path(), DialectCheck::Any).unwrap().revisions.len(),
        1
    );
}

#[test]
fn vertical_tab_and_form_feed_are_whitespace_between_statements() {
    use migrate_core::sql::split_statements;

    // PostgreSQL's and SQLite's scanners skip space, \t, \n, \r, \f and \v
    // alike: none of them makes a statement on its own.
    for blank in ["\x0b", "\x0c", "\x0b\x0c \t\r\n", "\n\x0b;\x0c;"] {
        assert!(split_statements(blank, 1).is_empty(), "{blank:?}");
    }
    let statements = split_statements("SELECT 1;\x0b;\x0c\x0bSELECT 2;\x0b", 3);
    assert_eq!(statements.len(), 2);
    assert_eq!((statements[1].line, statements[1].column), (3, 14));

    let dir = tempfile::tempdir().unwrap();
    write(
        dir.path(),
        "2025_01_01_0000-a1_vt.sql",
        rev("a1", "none", "CREATE TABLE t (id INT);\x0b\n\x0c"),
    );
    let loaded = load(dir.path(), DialectCheck::Any).unwrap();
    assert_eq!(loaded.revisions[0].upgrade.statements.len(), 1);
}
