//! What a migrator loaded from a directory owns: it is freed with the
//! migrator, so a process may load a directory any number of times.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;
use std::sync::Arc;

use super::{Migrator, Table};

/// The system allocator, counting the bytes each thread holds, so a test
/// sees what its own thread allocated and did not free (tests run in
/// parallel on other threads).
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call goes to `System` unchanged; the counter only adds.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        count(-(layout.size() as isize));
        // SAFETY: the caller's contract, passed on.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        count(new_size as isize - layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

fn live() -> isize {
    LIVE.with(Cell::get)
}

/// The example application's directory, loaded without SQL checks (what
/// is measured is the migrator, not the parsers).
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
        panic!("a loaded migrator owns its revisions");
    };
    let revisions = Arc::downgrade(revisions);
    let clone = migrator
        .clone()
        .with_version_table("other_history")
        .expect("a plain table name");
    drop(migrator);
    assert!(revisions.upgrade().is_some(), "a clone keeps the revisions");
    drop(clone);
    assert!(revisions.upgrade().is_none(), "the last clone frees them");
}

#[test]
fn loading_a_directory_again_and_again_does_not_grow_memory() {
    // One load first: anything built once per process (parsers' tables)
    // is not a per-load cost.
    let first = load();
    let table: usize = first
        .revisions()
        .iter()
        .map(|r| r.id().len() + r.path().len() + r.upgrade().sql().len())
        .sum();
    drop(first);
    let before = live();
    for _ in 0..1_000 {
        let migrator = load()
            .with_version_table("other_history")
            .expect("a plain table name");
        assert_eq!(migrator.revisions().len(), 7);
        drop(migrator);
    }
    let grown = live() - before;
    // A leaked table would hold at least its text once per load.
    assert!(
        grown < table as isize,
        "1,000 loads kept {grown} bytes (one table's text is {table} bytes)"
    );
}
