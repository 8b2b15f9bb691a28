//! Compiles the SQLite that the build-time checks run (see
//! `src/exact/sqlite_ffi.rs`), with the `sqlite-exact` feature.

fn main() {
    println!("cargo:rerun-if-changed=csrc/sqlite_replay.c");
    if std::env::var_os("CARGO_FEATURE_SQLITE_EXACT").is_none() {
        return;
    }
    // libsqlite3-sys (`links = "sqlite3"`) names the directory of the
    // amalgamation it bundles.
    let Some(amalgamation) = std::env::var_os("DEP_SQLITE3_INCLUDE") else {
        panic!("libsqlite3-sys did not say where its bundled SQLite is (DEP_SQLITE3_INCLUDE)");
    };
    println!(
        "cargo:rerun-if-changed={}",
        std::path::Path::new(&amalgamation)
            .join("sqlite3.c")
            .display()
    );
    let mut build = cc::Build::new();
    build
        .file("csrc/sqlite_replay.c")
        .include(&amalgamation)
        // Optimised in every profile: the checks run inside the compiler on
        // every build. -O1 compiles in half the time of -O2 for most of
        // the speed.
        .opt_level(1)
        .debug(false)
        .warnings(false);
    // The options that change what SQLite accepts or how it behaves are
    // those of libsqlite3-sys's bundled build (foreign keys on by
    // default, the same extensions), so the checks judge as the
    // application's SQLite runs; loading extensions is left out.
    for define in [
        "SQLITE_CORE",
        "SQLITE_DEFAULT_FOREIGN_KEYS=1",
        "SQLITE_ENABLE_API_ARMOR",
        "SQLITE_ENABLE_COLUMN_METADATA",
        "SQLITE_ENABLE_DBSTAT_VTAB",
        "SQLITE_ENABLE_FTS3",
        "SQLITE_ENABLE_FTS3_PARENTHESIS",
        "SQLITE_ENABLE_FTS5",
        "SQLITE_ENABLE_JSON1",
        "SQLITE_ENABLE_RTREE",
        "SQLITE_ENABLE_STAT4",
        "SQLITE_SOUNDEX",
        "SQLITE_THREADSAFE=1",
        "SQLITE_OMIT_LOAD_EXTENSION",
        "HAVE_USLEEP=1",
        "HAVE_ISNAN",
    ] {
        match define.split_once('=') {
            Some((name, value)) => build.define(name, value),
            None => build.define(define, None),
        };
    }
    build.compile("migrate_sqlite_checks");
}
