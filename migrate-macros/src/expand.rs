//! Loading the directory through `migrate_core` and emitting the static table.

use std::path::{Path, PathBuf};

use migrate_core::{Config, DialectCheck, Migrations, Revision, Section};
use proc_macro2::{Span, TokenStream};
use quote::{ToTokens, quote};
use syn::LitStr;

use crate::parse::MacroInput;
use crate::timing::Timing;

/// Set by tests (trybuild builds cases under `target/`, where
/// `CARGO_MANIFEST_DIR` is not the directory the fixtures live in). When it is
/// set, the build-script check is off unless `require_build_script = true`.
const MANIFEST_DIR_OVERRIDE: &str = "MIGRATE_MANIFEST_DIR";

/// File the build-script helper writes into `OUT_DIR`, one watched directory per line.
const WATCH_MARKER: &str = "migrate-watch.txt";

pub fn embed(input: MacroInput, timing: &mut Timing) -> syn::Result<TokenStream> {
    let lit = &input.dir;
    let (manifest_dir, overridden) = match std::env::var_os(MANIFEST_DIR_OVERRIDE) {
        Some(dir) => (PathBuf::from(dir), true),
        None => match std::env::var_os("CARGO_MANIFEST_DIR") {
            Some(dir) => (PathBuf::from(dir), false),
            None => {
                return Err(syn::Error::new(
                    lit.span(),
                    "CARGO_MANIFEST_DIR is not set, so the migration directory cannot be found; build with cargo",
                ));
            }
        },
    };
    let display = lit.value();
    let dir = manifest_dir.join(&display);

    let config =
        load_config(&manifest_dir, &dir).map_err(|e| syn::Error::new(lit.span(), e.to_string()))?;
    let dialects = match &input.dialect {
        Some(d) => DialectCheck::from_name(&d.value()).ok_or_else(|| {
            syn::Error::new(
                d.span(),
                format!(
                    "unknown dialect `{}`; use \"postgres\", \"sqlite\", \"any\" or \"none\"",
                    d.value()
                ),
            )
        })?,
        None => config.dialects.clone(),
    };
    let version_table = match &input.version_table {
        Some(t) if !migrate_core::is_table_name(&t.value()) => {
            return Err(syn::Error::new(
                t.span(),
                "version_table must be a plain table name: letters, digits and `_`, optionally `schema.table`",
            ));
        }
        Some(t) => t.value(),
        None => config.version_table.clone(),
    };

    let mut errors: Option<syn::Error> = None;
    let mut push = |message: String| {
        let error = syn::Error::new(lit.span(), message);
        match &mut errors {
            Some(all) => all.combine(error),
            None => errors = Some(error),
        }
    };
    // Under the test override the check is off unless a case asks for it.
    let check_build_script = input.require_build_script.unwrap_or(!overridden);
    if check_build_script {
        if let Some(message) = missing_build_script(&dir, &display) {
            push(message);
        }
    }
    timing.dir = display.clone();
    let loading = std::time::Instant::now();
    let loaded = migrate_core::load_directory(&dir, &display, &dialects);
    timing.load = Some(loading.elapsed());
    let migrations = match loaded {
        Ok(m) => Some(m),
        Err(problems) => {
            for problem in problems.into_vec() {
                push(problem.to_string());
            }
            None
        }
    };
    if let Some(errors) = errors {
        return Err(errors);
    }
    let Some(migrations) = migrations else {
        unreachable!("a failed load always pushes an error")
    };
    timing.revisions = migrations.revisions.len();
    let emitting = std::time::Instant::now();
    let table = table(&dir, &migrations, &version_table);
    timing.emit = Some(emitting.elapsed());
    Ok(table)
}

/// Every error as a `compile_error!` statement, followed by an empty table so
/// the expression still has type `Migrator` and the compiler reports nothing
/// but our messages (several `compile_error!`s alone are not an expression).
pub fn errors(error: syn::Error) -> TokenStream {
    // Each invocation ends with `;`: without it the next `::core::…` path
    // would be parsed as a continuation of the previous one.
    let errors = error.into_iter().map(|e| e.to_compile_error());
    quote! {
        {
            #(#errors;)*
            ::migrate_runtime::__private::Migrator::__from_table(&[], "")
        }
    }
}

/// `migrate.toml` next to `Cargo.toml`, else next to the migration directory.
fn load_config(manifest_dir: &Path, dir: &Path) -> migrate_core::Result<Config> {
    if let Some(config) = Config::load(manifest_dir)? {
        return Ok(config);
    }
    if let Some(parent) = dir.parent() {
        if let Some(config) = Config::load(parent)? {
            return Ok(config);
        }
    }
    Ok(Config::default())
}

/// A proc macro cannot watch a directory on stable Rust; without the
/// consumer's build script, a *new* migration file would not rebuild the
/// crate and the binary would silently keep the old table.
fn missing_build_script(dir: &Path, display: &str) -> Option<String> {
    let watched = std::env::var_os("OUT_DIR")
        .and_then(|out| std::fs::read_to_string(Path::new(&out).join(WATCH_MARKER)).ok())
        .is_some_and(|marker| {
            let wanted = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            marker.lines().any(|line| Path::new(line) == wanted)
        });
    (!watched).then(|| {
        format!(
            "{display}: no build script watches this directory, so adding a migration file would not rebuild the crate \
             and the binary would silently keep the old set; add `build.rs` with \
             `fn main() {{ migrate_runtime::build::watch(\"{display}\"); }}` and \
             `[build-dependencies] migrate-runtime = {{ version = \"0.1\", default-features = false }}`, \
             or pass `require_build_script = false` to rebuild by hand"
        )
    })
}

fn table(dir: &Path, migrations: &Migrations, version_table: &str) -> TokenStream {
    let includes = migrations.revisions.iter().map(|r| {
        let file = dir.join(&r.file_name);
        let file = file.canonicalize().unwrap_or(file);
        let file = file.to_string_lossy().into_owned();
        quote!(
            const _: &str = ::core::include_str!(#file);
        )
    });
    let revisions = migrations.revisions.iter().map(QuoteRevision);
    let count = migrations.revisions.len();
    quote! {
        {
            #(#includes)*
            static REVISIONS: [::migrate_runtime::__private::EmbeddedRevision; #count] = [#(#revisions),*];
            ::migrate_runtime::__private::Migrator::__from_table(&REVISIONS, #version_table)
        }
    }
}

struct QuoteRevision<'a>(&'a Revision);

impl ToTokens for QuoteRevision<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let r = self.0;
        let h = &r.header;
        let id = &h.revision;
        let parents = &h.down_revision;
        let depends = &h.depends_on;
        let labels = &h.branch_labels;
        let message = option(h.message.as_deref());
        let create_date = option(h.create_date.as_deref());
        let transactional = h.transactional;
        let path = &r.path;
        let checksum = &r.checksum;
        let upgrade = QuoteSection(&r.upgrade);
        let downgrade = match &r.downgrade {
            Some(d) => {
                let d = QuoteSection(d);
                quote!(::core::option::Option::Some(#d))
            }
            None => quote!(::core::option::Option::None),
        };
        tokens.extend(quote! {
            ::migrate_runtime::__private::EmbeddedRevision {
                id: #id,
                parents: &[#(#parents),*],
                depends_on: &[#(#depends),*],
                branch_labels: &[#(#labels),*],
                message: #message,
                create_date: #create_date,
                transactional: #transactional,
                path: #path,
                checksum: #checksum,
                upgrade: #upgrade,
                downgrade: #downgrade,
            }
        });
    }
}

struct QuoteSection<'a>(&'a Section);

impl ToTokens for QuoteSection<'_> {
    fn to_tokens(&self, tokens: &mut TokenStream) {
        let s = self.0;
        let sql = LitStr::new(&s.sql, Span::call_site());
        let first_line = s.first_line;
        let statements = s.statements.iter().map(|st| {
            let (line, column, start, end) = (st.line, st.column, st.start as u32, st.end as u32);
            quote!(::migrate_runtime::__private::EmbeddedStatement { line: #line, column: #column, start: #start, end: #end })
        });
        tokens.extend(quote! {
            ::migrate_runtime::__private::EmbeddedSection {
                sql: #sql,
                first_line: #first_line,
                statements: &[#(#statements),*],
            }
        });
    }
}

fn option(value: Option<&str>) -> TokenStream {
    match value {
        Some(v) => quote!(::core::option::Option::Some(#v)),
        None => quote!(::core::option::Option::None),
    }
}
