//! The schema fold at build time: which dialect's fold runs for the
//! directory's dialect setting, and its findings as compile errors and
//! warnings. The rules themselves are `migrate_schema::fold`'s.

use migrate_core::{Dialect, DialectCheck, Level, LintConfig, Migrations};

/// The findings of the fold, split by level: errors fail the build,
/// warnings are printed by the compiler.
#[derive(Default)]
pub struct Findings {
    pub errors: Vec<String>,
    pub warnings: Vec<String>,
}

/// The dialect whose fold runs: PostgreSQL when the directory is checked
/// as PostgreSQL; nothing when it is checked as SQLite only, as "any
/// dialect" (which one the statements are meant for is unknown) or not at
/// all.
pub fn dialect(dialects: &DialectCheck) -> Option<Dialect> {
    match dialects {
        DialectCheck::All(list) if list.contains(&Dialect::Postgres) => Some(Dialect::Postgres),
        _ => None,
    }
}

/// What the cache key of a clean fold covers besides the directory.
pub fn settings(dialects: &DialectCheck, lint: &LintConfig) -> String {
    format!("fold=1 dialect={:?} lint={lint:?}", dialect(dialects))
}

/// Folds the directory and reports what `lint` says to report.
pub fn check(migrations: &Migrations, dialects: &DialectCheck, lint: &LintConfig) -> Findings {
    let mut out = Findings::default();
    let Some(dialect) = dialect(dialects) else {
        return out;
    };
    if !lint.any_on() {
        return out;
    }
    let Ok(folded) = migrate_schema::fold::fold_upgrades(migrations, dialect) else {
        return out;
    };
    for r in migrate_schema::fold::report(migrations, lint, &folded.findings) {
        match r.level {
            Level::Error => out.errors.push(r.text),
            Level::Warning => out.warnings.push(r.text),
            Level::Off => {}
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
            "#[deprecated(note = {:?})] const fn migration_warning_{i}() {{}} migration_warning_{i}();",
            w
        ));
    }
    code
}
