//! What a migrator loaded from a directory owns: its revisions are shared
//! by its clones and freed with the last of them.

use std::path::PathBuf;
use std::sync::Arc;

use super::Migrator;
use crate::table::Table;

/// The example application's directory, loaded without SQL checks.
fn load() -> Migrator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let config = migrate_core::Config {
        dialects: migrate_core::DialectCheck::Off,
        ..Default::default()
    };
    Migrator::from_directory(&dir, "migrations", &config).expect("the example migrations load")
}

#[test]
fn dropping_a_migrator_from_a_directory_frees_its_revisions() {
    let migrator = load();
    let Table::Loaded(revisions) = &migrator.revisions else {
        panic!("a migrator from a directory owns its revisions");
    };
    let revisions = Arc::downgrade(revisions);
    let clone = migrator
        .clone()
        .with_version_table("other_history")
        .expect("a plain table name");
    let fresh = clone.__fresh();
    drop(migrator);
    drop(clone);
    assert!(revisions.upgrade().is_some(), "a clone keeps the revisions");
    drop(fresh);
    assert!(revisions.upgrade().is_none(), "the last clone frees them");
}

#[test]
fn a_loaded_directory_reads_like_its_files() {
    let migrator = load();
    let revisions = migrator.revisions();
    assert_eq!(revisions.len(), 9);
    let first = revisions.get(0).expect("seven revisions");
    assert!(first.parents().is_empty());
    assert!(first.path().starts_with("migrations/"), "{}", first.path());
    assert_eq!(
        first.upgrade().statements().len(),
        first.upgrade().len(),
        "one line and text per statement"
    );
    for r in revisions.iter().skip(1) {
        assert!(!r.parents().is_empty(), "{}", r.id());
        for parent in r.parents().iter() {
            assert!(revisions.iter().any(|p| p.id() == parent), "{parent}");
        }
    }
    assert!(revisions.get(9).is_none());
    assert_eq!(migrator.heads().unwrap().len(), 1);
}
