//! The schema fold's findings at build time, as compile errors and
//! warnings. Which dialect is folded and what is reported are
//! `migrate_schema::fold`'s, shared with `migrate check`.

use migrate_core::{DialectCheck, LintConfig, Migrations};

/// The findings of the fold, split by level: errors fail the build,
/// warnings are printed by the compiler.
#[derive(Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// What the cache key of a clean fold covers besides the directory.
#[cfg(feature = "postgres-exact")]
pub fn settings(dialects: &DialectCheck, lint: &LintConfig) -> String {
    format!(
        "fold=1 dialect={:?} lint={lint:?}",
        migrate_schema::fold::checked_dialect(dialects)
    )
}

/// Without libpg_query there is no fold: nothing to key.
#[cfg(not(feature = "postgres-exact"))]
pub fn settings(_: &DialectCheck, _: &LintConfig) -> String {
    "fold=off".into()
}

/// Without libpg_query (the `postgres-exact` feature) nothing is folded.
#[cfg(not(feature = "postgres-exact"))]
pub fn check(_: &std::path::Path, _: &Migrations, _: &DialectCheck, _: &LintConfig) -> Findings {
    Findings::default()
}

/// Folds the directory and splits what `lint` says to report. The trees
/// of earlier expansions are read back from the directory's tree store.
#[cfg(feature = "postgres-exact")]
pub fn check(
    dir: &std::path::Path,
    migrations: &Migrations,
    dialects: &DialectCheck,
    lint: &LintConfig,
) -> Findings {
    let mut out = Findings::default();
    let reported = match crate::cache::TreeStore::open(dir, dialects) {
        Some(mut store) => {
            let reported =
                migrate_schema::fold::check_cached(migrations, dialects, lint, &mut store);
            store.save();
            reported
        }
        None => migrate_schema::fold::check(migrations, dialects, lint),
    };
    // A checkpoint that does not give its range's schema fails the build
    // whatever the lint says.
    for e in migrate_schema::fold::check_checkpoints(migrations, dialects) {
        out.errors.push(e.to_string());
    }
    for r in reported {
        match r.level {
            migrate_core::Level::Error => out.errors.push(r.text),
            migrate_core::Level::Warning => out.warnings.push(r.text),
            migrate_core::Level::Off => {}
        }
    }
    out
}

/// Each warning as a deprecated function and a call to it, which the
/// compiler reports as a warning at the macro's call site (a proc macro has
/// no warning of its own on stable Rust).
pub fn warning_items(warnings: &[String]) -> String {
    let mut code = String::new();
    for (i, w) in warnings.iter().enumerate() {
        // `const`, so that the call is allowed in a `static`'s initializer.
        code.push_str(&format!(
            "#[deprecated(note = {w:?})] const fn migration_warning_{i}() {{}} migration_warning_{i}();"
        ));
    }
    code
}
