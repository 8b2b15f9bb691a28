//! Memory a process keeps after loading a directory: a migrator built by
//! `Migrator::from_directory` owns its revisions and frees them when
//! dropped, so loading again and again does not grow the heap.
//!
//! A test binary of its own, since it counts allocations with a global
//! allocator.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;
use std::path::PathBuf;

use migrate_runtime::Migrator;

/// The system allocator, counting the bytes each thread holds, so the test
/// sees what its own thread allocated and did not free.
struct Counting;

thread_local! {
    static LIVE: Cell<isize> = const { Cell::new(0) };
}

fn count(delta: isize) {
    // A const-initialised thread local without drop glue allocates nothing
    // itself; `try_with` only fails while the thread is torn down.
    let _ = LIVE.try_with(|live| live.set(live.get() + delta));
}

// SAFETY: every call is passed on to `System` unchanged; the counter only
// adds numbers.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        count(layout.size() as isize);
        // SAFETY: the caller's contract, passed on.
        unsafe { System.alloc_zeroed(layout) }
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

/// The example application's directory, loaded without SQL checks (what is
/// measured is the migrator, not the SQL parsers).
fn load() -> Migrator {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../migrations");
    let config = migrate_core::Config {
        dialects: migrate_core::DialectCheck::Off,
        ..Default::default()
    };
    Migrator::from_directory(&dir, "migrations", &config).expect("the example migrations load")
}

#[test]
fn loading_a_directory_a_thousand_times_does_not_grow_memory() {
    // One load first: whatever is built once per process is not a cost of
    // each load.
    let first = load();
    let table: usize = first
        .revisions()
        .iter()
        .map(|r| r.id().len() + r.path().len() + r.checksum().len() + r.upgrade().sql().len())
        .sum();
    assert_eq!(first.revisions().len(), 9);
    drop(first);

    let before = live();
    // The counter sees a table while a migrator holds it.
    let held = load();
    assert!(
        live() - before >= table as isize,
        "a held migrator counts {} bytes, less than its text ({table} bytes)",
        live() - before
    );
    drop(held);
    for _ in 0..1_000 {
        let migrator = load()
            .with_version_table("other_history")
            .expect("a plain table name");
        assert_eq!(migrator.revisions().len(), 9);
        assert_eq!(migrator.heads().expect("one head").len(), 1);
        drop(migrator);
    }
    let grown = live() - before;
    // A leaked table keeps at least its text once per load: 1,000 times
    // this bound.
    assert!(
        grown < table as isize,
        "1,000 loads kept {grown} bytes (one table's text is {table} bytes)"
    );
}
