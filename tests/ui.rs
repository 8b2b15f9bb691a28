//! Compile-time diagnostics of `embed_migrations!`.
//!
//! Each case is `ui/<topic>/<case>.rs` with its expected `<case>.stderr`, and
//! embeds the fixture directory next to it, `ui/<topic>/<case>/`. Cases under
//! `ui/pass/` must compile; every other topic holds one mistake per case.
//! Regenerate the `.stderr` files with
//! `TRYBUILD=overwrite cargo test -p migrate-tests --test ui`, then read them.

// Only the generator is used here; its other items serve tests/sql.
#[allow(dead_code)]
#[path = "sql/history.rs"]
mod history;

#[test]
fn ui() {
    // The generated 300-file history the `ui/generated` pass case embeds.
    let generated =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("ui/generated/postgres-300");
    let _ = std::fs::remove_dir_all(&generated);
    std::fs::create_dir_all(&generated).expect("create ui/generated/postgres-300");
    history::write_history(&generated, true, &[]);

    // trybuild compiles each case in a project under `target/`, so the
    // macro's CARGO_MANIFEST_DIR would not be this package; point it here so
    // `embed_migrations!("ui/...")` finds the fixtures. trybuild passes the
    // environment on to the cargo it runs.
    //
    // SAFETY: set before any thread is spawned by the test (trybuild has not
    // started yet), and this is the only test in this binary, so nothing reads
    // or writes the environment concurrently.
    unsafe { std::env::set_var("MIGRATE_MANIFEST_DIR", env!("CARGO_MANIFEST_DIR")) };

    let t = trybuild::TestCases::new();
    t.pass("ui/pass/*.rs");
    t.compile_fail("ui/graph/*.rs");
    t.compile_fail("ui/header/*.rs");
    t.compile_fail("ui/sections/*.rs");
    t.compile_fail("ui/sql/*.rs");
    t.compile_fail("ui/layout/*.rs");
    t.compile_fail("ui/options/*.rs");
    t.pass("ui/sql-exact-pass/*.rs");
    t.compile_fail("ui/sql-exact/*.rs");
    t.compile_fail("ui/fold/*.rs");
    t.pass("ui/fold-pass/*.rs");
    t.compile_fail("ui/lint/*.rs");
    t.compile_fail("ui/test-attr/*.rs");
    t.compile_fail("ui/rust/*.rs");
    t.compile_fail("ui/definitions/*.rs");
    t.pass("ui/generated/*.rs");
}
