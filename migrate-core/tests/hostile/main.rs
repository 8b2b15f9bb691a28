//! Hostile and odd migration directories: each gets a clear error or is
//! accepted; none panics or hangs.

mod fuzz_regressions;
mod named;
mod plans;

use std::path::Path;
use std::time::Instant;

use migrate_core::{DialectCheck, Errors, Migrations, Target, load_directory};

fn load(dir: &Path, check: DialectCheck) -> Result<Migrations, Errors> {
    load_directory(dir, "migrations", &check)
}

fn rev(id: &str, parent: &str, up: &str) -> String {
    format!(
        "-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\n{up}\n-- migrate:downgrade\nSELECT 1;\n"
    )
}

#[test]
fn empty_file_names_what_is_missing() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("2025_01_01_0000-a1_empty.sql"), "").unwrap();
    let errors = load(dir.path(), DialectCheck::Any).unwrap_err().to_string();
    assert!(
        errors.contains("header has no `revision:` line"),
        "{errors}"
    );
    assert!(
        errors.contains("no `-- migrate:upgrade` section"),
        "{errors}"
    );
}

#[test]
fn binary_garbage_is_reported_not_panicked_on() {
    let dir = tempfile::tempdir().unwrap();
    let mut bytes: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    bytes.extend_from_slice(b"\n-- revision: x\n");
    std::fs::write(dir.path().join("2025_01_01_0000-x_garbage.sql"), &bytes).unwrap();
    let errors = load(dir.path(), DialectCheck::Any).unwrap_err().to_string();
    assert!(errors.contains("file is not valid UTF-8"), "{errors}");
}

#[test]
fn fifo_named_like_a_migration_is_refused_without_blocking() {
    let dir = tempfile::tempdir().unwrap();
    let fifo = dir.path().join("2025_01_01_0000-f1_pipe.sql");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    let errors = load(dir.path(), DialectCheck::Any).unwrap_err().to_string();
    assert!(
        errors.contains(
            "migrations/2025_01_01_0000-f1_pipe.sql: a FIFO, not a regular file; remove it from the migration directory"
        ),
        "{errors}"
    );
}

/// A FIFO, a file over the size limit, a name with a newline and a broken
/// file in one directory: one load reports all four, and opens neither the
/// FIFO nor the large file.
#[test]
fn every_refused_entry_is_reported_in_one_run() {
    let dir = tempfile::tempdir().unwrap();
    let made = std::process::Command::new("mkfifo")
        .arg(dir.path().join("2025_01_01_0000-f1_pipe.sql"))
        .status()
        .expect("mkfifo runs");
    assert!(made.success());
    std::fs::write(
        dir.path().join("2025_01_02_0000-big1_big.sql"),
        rev("big1", "none", &"-- pad\n".repeat(200)),
    )
    .unwrap();
    std::fs::write(
        dir.path()
            .join("2025_01_03_0000-n1_x\n\\! touch pwned\n.sql"),
        rev("n1", "none", "SELECT 1;"),
    )
    .unwrap();
    std::fs::write(dir.path().join("2025_01_04_0000-e1_empty.sql"), "").unwrap();
    let big = std::fs::metadata(dir.path().join("2025_01_02_0000-big1_big.sql"))
        .unwrap()
        .len();
    let started = Instant::now();
    let errors = migrate_core::load_directory_with(
        dir.path(),
        "migrations",
        &DialectCheck::Any,
        migrate_core::HeadRule::Merged,
        1000,
    )
    .unwrap_err()
    .to_string();
    assert!(started.elapsed().as_secs() < 10, "the FIFO was opened");
    let too_large = format!(
        "migrations/2025_01_02_0000-big1_big.sql: file is {big} bytes (1.4 KiB), over the limit of 1000 bytes; split it into several revisions, or raise `max_file_size` (in migrate.toml, or the option of embed_migrations!)"
    );
    for needle in [
        "migrations/2025_01_01_0000-f1_pipe.sql: a FIFO, not a regular file",
        &too_large,
        "migrations/2025_01_03_0000-n1_x\\n\\! touch pwned\\n.sql: file name holds a control character; rename the file",
        "migrations/2025_01_04_0000-e1_empty.sql:1: header has no `revision:` line",
    ] {
        assert!(errors.contains(needle), "{needle}\n{errors}");
    }
    // No raw newline of the name reaches the messages: each line is one.
    assert!(
        errors.lines().all(|l| l.starts_with("migrations/")),
        "{errors}"
    );
}

#[test]
fn a_file_over_max_file_size_is_refused_by_size() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("2025_01_01_0000-a1_a.sql");
    std::fs::write(&file, rev("a1", "none", "SELECT 1;")).unwrap();
    let size = std::fs::metadata(&file).unwrap().len();
    assert!(
        migrate_core::load_directory_with(
            dir.path(),
            "m",
            &DialectCheck::Any,
            migrate_core::HeadRule::Merged,
            size
        )
        .is_ok()
    );
    let errors = migrate_core::load_directory_with(
        dir.path(),
        "m",
        &DialectCheck::Any,
        migrate_core::HeadRule::Merged,
        size - 1,
    )
    .unwrap_err()
    .to_string();
    assert_eq!(
        errors,
        format!(
            "m/2025_01_01_0000-a1_a.sql: file is {size} bytes, over the limit of {} bytes; split it into several revisions, or raise `max_file_size` (in migrate.toml, or the option of embed_migrations!)",
            size - 1
        )
    );
}

#[test]
fn symlinks_are_followed_and_dangling_ones_reported() {
    let dir = tempfile::tempdir().unwrap();
    let elsewhere = tempfile::tempdir().unwrap();
    let target = elsewhere.path().join("real.sql");
    std::fs::write(&target, rev("a1", "none", "CREATE TABLE t (id INT);")).unwrap();
    std::os::unix::fs::symlink(&target, dir.path().join("2025_01_01_0000-a1_link.sql")).unwrap();
    let loaded = load(dir.path(), DialectCheck::Any).unwrap();
    assert_eq!(loaded.revisions.len(), 1);

    std::os::unix::fs::symlink(
        elsewhere.path().join("gone.sql"),
        dir.path().join("2025_01_02_0000-b2_dangling.sql"),
    )
    .unwrap();
    let errors = load(dir.path(), DialectCheck::Any).unwrap_err().to_string();
    assert!(
        errors.contains("2025_01_02_0000-b2_dangling.sql: cannot read"),
        "{errors}"
    );
}

#[test]
fn fifty_megabyte_file_loads_under_a_raised_limit() {
    let dir = tempfile::tempdir().unwrap();
    let mut up = String::with_capacity(52 * 1024 * 1024);
    let line = "-- a long comment line that pads the file to fifty megabytes of text\n";
    while up.len() < 50 * 1024 * 1024 {
        up.push_str(line);
    }
    up.push_str("CREATE TABLE big (id INT);\n");
    std::fs::write(
        dir.path().join("2025_01_01_0000-big1_big.sql"),
        rev("big1", "none", &up),
    )
    .unwrap();
    // Over the default limit of 16 MiB: refused without being read.
    let errors = load(dir.path(), DialectCheck::Any).unwrap_err().to_string();
    assert!(
        errors.contains("over the limit of 16777216 bytes (16 MiB)"),
        "{errors}"
    );
    let started = Instant::now();
    let loaded = migrate_core::load_directory_with(
        dir.path(),
        "migrations",
        &DialectCheck::Any,
        migrate_core::HeadRule::Merged,
        64 << 20,
    )
    .unwrap();
    eprintln!("50 MB file loaded and checked in {:?}", started.elapsed());
    assert_eq!(loaded.revisions[0].upgrade.statements.len(), 1);
}

#[test]
fn ten_thousand_revisions_load_and_plan() {
    let dir = tempfile::tempdir().unwrap();
    for i in 0..10_000 {
        let parent = if i == 0 {
            "none".to_owned()
        } else {
            format!("r{:05}", i - 1)
        };
        let text = rev(
            &format!("r{i:05}"),
            &parent,
            &format!("CREATE TABLE t{i} (id INT);"),
        );
        std::fs::write(
            dir.path().join(format!("2025_01_01_0000-r{i:05}_t.sql")),
            text,
        )
        .unwrap();
    }
    let started = Instant::now();
    let loaded = load(dir.path(), DialectCheck::Off).unwrap();
    let applied = loaded.graph.applied_set::<&str>(&[]).unwrap();
    let plan = loaded.graph.plan_upgrade(&Target::Head, &applied).unwrap();
    eprintln!(
        "10,000 revisions loaded and planned in {:?}",
        started.elapsed()
    );
    assert_eq!(plan.steps.len(), 10_000);
    assert_eq!(loaded.graph.heads().len(), 1);
}

#[test]
fn odd_but_valid_shapes_are_accepted() {
    let dir = tempfile::tempdir().unwrap();
    // No trailing newline, tabs, a comment-only upgrade, a statement without `;`.
    std::fs::write(
        dir.path().join("2025_01_01_0000-a1_odd.sql"),
        "-- revision:\ta1\n-- down_revision:none\n-- migrate:upgrade\n-- nothing yet\n",
    )
    .unwrap();
    std::fs::write(
        dir.path().join("2025_01_02_0000-b2_odd.sql"),
        "-- revision: b2\n-- down_revision: a1\n-- migrate:upgrade\nSELECT 1",
    )
    .unwrap();
    let loaded = load(dir.path(), DialectCheck::Any).unwrap();
    assert!(loaded.revisions[0].upgrade.statements.is_empty());
    assert_eq!(loaded.revisions[1].upgrade.statements.len(), 1);
}
