//! Loading the directory through `migrate_core` and emitting the static table.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use migrate_core::{Config, DialectCheck, Migrations, Section};
use proc_macro2::TokenStream;
use quote::quote;

use crate::parse::MacroInput;
use crate::timing::Timing;

/// Set by tests (trybuild builds cases under `target/`, where
/// `CARGO_MANIFEST_DIR` is not the directory the fixtures live in). When it is
/// set, the build-script check is off unless `require_build_script = true`.
const MANIFEST_DIR_OVERRIDE: &str = "MIGRATE_MANIFEST_DIR";

/// File the build-script helper writes into `OUT_DIR`, one watched directory per line.
const WATCH_MARKER: &str = "migrate-watch.txt";

/// The expansion as Rust source (see [`table`]), or every problem found.
pub fn embed(input: MacroInput, timing: &mut Timing) -> syn::Result<String> {
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
    let watched = watched_by_build_script(&dir);
    if check_build_script && !watched {
        push(missing_build_script(&display));
    }
    timing.dir = display.clone();
    let loading = std::time::Instant::now();
    let max_file_size = input
        .max_file_size
        .as_ref()
        .map_or(config.max_file_size, |(size, _)| *size);
    let fold_settings = crate::fold::settings(&dialects, &config.lint);
    // The schema fold runs while the SQLite replay does, when the
    // directory is replayed (it changed, so the fold has not run on it).
    let loaded = crate::cache::load(
        &dir,
        &display,
        &dialects,
        max_file_size,
        &fold_settings,
        |migrations| crate::fold::check(&dir, migrations, &dialects, &config.lint),
    );
    timing.load = Some(loading.elapsed());
    timing.cache = loaded.cache;
    let migrations = match loaded.result {
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
    // The schema fold: what the chain does to the database. It ran during
    // the SQLite replay if there was one; otherwise it runs now, unless it
    // reported no error on the same directory and settings before (its
    // warnings then come from the cache).
    let folding = std::time::Instant::now();
    let cached = loaded.pending.as_ref().and_then(|p| p.fold_warnings());
    let findings = match (loaded.during_replay, cached) {
        (Some(findings), _) => findings,
        (None, Some(warnings)) => crate::fold::Findings {
            errors: Vec::new(),
            warnings: warnings.to_vec(),
        },
        (None, None) => crate::fold::check(&dir, &migrations, &dialects, &config.lint),
    };
    timing.fold = Some(folding.elapsed());
    if let Some(pending) = loaded.pending {
        pending.write(
            findings
                .errors
                .is_empty()
                .then_some(findings.warnings.as_slice()),
        );
    }
    if !findings.errors.is_empty() {
        let mut all: Option<syn::Error> = None;
        for message in findings.errors {
            let error = syn::Error::new(lit.span(), message);
            match &mut all {
                Some(a) => a.combine(error),
                None => all = Some(error),
            }
        }
        return Err(all.expect("at least one error"));
    }
    timing.revisions = migrations.revisions.len();
    let mut migrations = migrations;
    for r in migrations
        .revisions
        .iter_mut()
        .chain(migrations.replaced.iter_mut())
    {
        config.apply_lock_defaults(&mut r.header);
    }
    let code = table(&dir, &display, &migrations, &version_table, !watched);
    let code = if findings.warnings.is_empty() {
        code
    } else {
        format!(
            "{{ {} {code} }}",
            crate::fold::warning_items(&findings.warnings)
        )
    };
    // `lock_key` in migrate.toml, so that the application and the CLI
    // reading the same file take the same PostgreSQL lock.
    Ok(match config.lock_key {
        Some(key) => format!("{code}.__with_lock_key({key}i64)"),
        None => code,
    })
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
    if let Some(parent) = dir.parent()
        && let Some(config) = Config::load(parent)?
    {
        return Ok(config);
    }
    Ok(Config::default())
}

/// A proc macro cannot watch a directory on stable Rust; without the
/// consumer's build script, a *new* migration file would not rebuild the
/// crate and the binary would silently keep the old table.
fn watched_by_build_script(dir: &Path) -> bool {
    std::env::var_os("OUT_DIR")
        .and_then(|out| std::fs::read_to_string(Path::new(&out).join(WATCH_MARKER)).ok())
        .is_some_and(|marker| {
            let wanted = dir.canonicalize().unwrap_or_else(|_| dir.to_path_buf());
            marker.lines().any(|line| Path::new(line) == wanted)
        })
}

fn missing_build_script(display: &str) -> String {
    format!(
        "{display}: no build script watches this directory, so adding a migration file would not rebuild the crate \
             and the binary would silently keep the old set; add `build.rs` with \
             `fn main() {{ migrate_runtime::build::watch(\"{display}\"); }}` and \
             the same `migrate-runtime` as under `[dependencies]` to `[build-dependencies]`, with `default-features = false`, \
             or pass `require_build_script = false` to rebuild by hand"
    )
}

/// The expression: a `static` array of every revision and the `Migrator`.
///
/// It is written as Rust source, which the caller hands to the compiler's
/// lexer in one call: building it token by token with `quote!` cost about as
/// much as parsing and validating every file (tens of thousands of tokens,
/// each a call across the proc-macro bridge, in a macro built without
/// optimisation). Every token gets the call-site span either way.
///
/// `include_files` adds an `include_str!` of every file, so that cargo
/// rebuilds the crate when one is edited. The build script's
/// `cargo:rerun-if-changed` on the directory already does that for every
/// file in it (a rerun of a build script recompiles its crate), so the
/// includes are only written when no build script watches the directory
/// (`require_build_script = false`): a thousand of them cost the compiler
/// a measurable part of every rebuild.
fn table(
    dir: &Path,
    display: &str,
    migrations: &Migrations,
    version_table: &str,
    include_files: bool,
) -> String {
    let mut code = String::with_capacity(
        migrations
            .revisions
            .iter()
            .map(|r| 600 + r.upgrade.sql.len() + r.downgrade.as_ref().map_or(0, |d| d.sql.len()))
            .sum(),
    );
    code.push('{');
    let prefix = format!("{}/", display.trim_end_matches('/'));
    for r in migrations
        .revisions
        .iter()
        .chain(&migrations.replaced)
        .filter(|_| include_files)
    {
        // The path under the directory (`sub/name.sql` in a subdirectory).
        let file = dir.join(r.path.strip_prefix(&prefix).unwrap_or(&r.file_name));
        let file = file.canonicalize().unwrap_or(file);
        let _ = write!(
            code,
            "const _: &str = ::core::include_str!({});",
            lit(&file.to_string_lossy())
        );
    }
    // Rust revisions: each file a module of the embedding crate (so rustc
    // checks it and points at its lines), its functions wrapped into the
    // runtime's `Step` shape.
    let mut rust = String::new();
    for (k, r) in migrations
        .revisions
        .iter()
        .filter(|r| r.kind == migrate_core::RevisionKind::Rust)
        .enumerate()
    {
        let file = dir.join(r.path.strip_prefix(&prefix).unwrap_or(&r.file_name));
        let file = file.canonicalize().unwrap_or(file);
        let _ = write!(
            code,
            "#[path = {}] #[allow(clippy::all)] mod __migrate_rust_{k};",
            lit(&file.to_string_lossy())
        );
        let mut step = |name: &str| {
            let _ = write!(
                code,
                "fn __migrate_rust_{name}_{k}<'a, 'c>(db: &'a mut ::migrate_runtime::__private::Db<'c>) \
                 -> ::core::pin::Pin<::std::boxed::Box<dyn ::core::future::Future<Output = \
                 ::migrate_runtime::__private::RevisionResult> + ::core::marker::Send + 'a>> \
                 {{ ::std::boxed::Box::pin(__migrate_rust_{k}::{name}(db)) }}"
            );
            format!("__migrate_rust_{name}_{k}")
        };
        let upgrade = step("upgrade");
        let downgrade = match r.downgrade {
            Some(_) => format!("::core::option::Option::Some({})", step("downgrade")),
            None => "::core::option::Option::None".to_owned(),
        };
        let _ = write!(
            rust,
            "::migrate_runtime::__private::RustRevision {{ id: {}, upgrade: {upgrade}, downgrade: {downgrade} }},",
            lit(r.id())
        );
    }
    // The whole table is three literals (see `PackedTable` in the runtime):
    // one `const` per revision, the previous shape, cost the compiler about
    // half a second per thousand revisions; literals cost it next to
    // nothing at any size.
    let packed = Packed::of(&migrations.revisions);
    let _ = write!(
        code,
        "static TABLE: ::migrate_runtime::__private::PackedTable = \
         ::migrate_runtime::__private::PackedTable::new({}, ",
        lit(&packed.text)
    );
    bytes(&mut code, &packed.index);
    code.push_str(", ");
    bytes(&mut code, &packed.statements);
    code.push_str(");");
    // What a starting application compares with the history table, so
    // that it neither builds the graph nor sorts anything at run time.
    let start_up = migrations.start_up();
    let _ = write!(
        code,
        "::migrate_runtime::__private::Migrator::__from_packed(TABLE, {}, \
         ::migrate_runtime::__private::EmbeddedStartUp {{ in_order: {}, by_id: {}, heads: &[",
        lit(version_table),
        lit(&start_up.in_order),
        lit(&start_up.by_id),
    );
    for head in &start_up.heads {
        let _ = write!(code, "{},", lit(head));
    }
    code.push_str("] })");
    // Checkpoints: the revisions they replace, as a table of their own
    // (their parents outside it left out by the loader), and which
    // checkpoint replaces which ids.
    let checkpoints: Vec<&migrate_core::Revision> = migrations
        .checkpoints()
        .map(|i| &migrations.revisions[i])
        .collect();
    if !checkpoints.is_empty() {
        let replaced = Packed::of(&migrations.replaced);
        let mut table = format!(
            "{{ static REPLACED: ::migrate_runtime::__private::Migrator = \
             ::migrate_runtime::__private::Migrator::__from_packed(\
             ::migrate_runtime::__private::PackedTable::new({}, ",
            lit(&replaced.text)
        );
        bytes(&mut table, &replaced.index);
        table.push_str(", ");
        bytes(&mut table, &replaced.statements);
        let _ = write!(
            table,
            "), {}, ::migrate_runtime::__private::EmbeddedStartUp::EMPTY); &REPLACED }}",
            lit(version_table)
        );
        let _ = write!(code, ".__with_replaced({table}, &[");
        for c in checkpoints {
            let _ = write!(code, "({}, &[", lit(c.id()));
            for id in &c.header.replaces {
                let _ = write!(code, "{},", lit(id));
            }
            code.push_str("]),");
        }
        code.push_str("])");
    }
    if !rust.is_empty() {
        let _ = write!(code, ".__with_rust(&[{rust}])");
    }
    if !migrations.definitions.is_empty() {
        code.push_str(".__with_definitions(&[");
        for d in &migrations.definitions {
            definition(&mut code, d);
        }
        code.push_str("])");
    }
    code.push_str(" }");
    // The definitions' files, included so that an edit rebuilds the crate
    // when no build script watches the directory (which covers
    // `definitions/` too: cargo scans a watched directory whole).
    if include_files && !migrations.definitions.is_empty() {
        let mut includes = String::from("{");
        for d in &migrations.definitions {
            let file = dir
                .join(migrate_core::definitions::DEFINITIONS_DIR)
                .join(&d.name);
            let file = file.canonicalize().unwrap_or(file);
            let _ = write!(
                includes,
                "const _: &str = ::core::include_str!({});",
                lit(&file.to_string_lossy())
            );
        }
        code.insert_str(1, &includes[1..]);
    }
    code
}

/// One repeatable definition as the runtime's `Definition`, its SQL for
/// each database worked out here (see `migrate_runtime::Definition`).
fn definition(code: &mut String, d: &migrate_core::definitions::Definition) {
    let cow = |value: &str| format!("::std::borrow::Cow::Borrowed({})", lit(value));
    let _ = write!(
        code,
        "::migrate_runtime::__private::Definition {{ name: {}, path: {}, checksum: {}, ",
        cow(&d.name),
        cow(&d.path),
        cow(&d.checksum)
    );
    for (field, dialect) in [
        ("postgres", migrate_core::Dialect::Postgres),
        ("sqlite", migrate_core::Dialect::Sqlite),
    ] {
        let sql = (d.apply_sql(dialect), d.drop_all_sql(dialect));
        let _ = write!(
            code,
            "{field}: ::migrate_runtime::__private::DefinitionSql {{ apply: ::std::borrow::Cow::Borrowed(&["
        );
        for (line, statement) in &sql.0 {
            let _ = write!(code, "({line}u32, {}),", cow(statement));
        }
        let _ = write!(code, "]), drop: {} }}, ", cow(&sql.1));
    }
    code.push_str("},");
}

/// A byte-string literal.
fn bytes(code: &mut String, bytes: &[u8]) {
    code.push_str("b\"");
    for b in bytes {
        let _ = write!(code, "\\x{b:02x}");
    }
    code.push('"');
}

/// The texts, index and statements of the runtime's `PackedTable`, laid
/// out as its documentation describes.
///
/// The texts a run does not read (each revision's path and date, which
/// only messages and `history` show) follow all the others: a process
/// pages in the table by the page, and paths amid the SQL would be paged
/// in with it.
struct Packed {
    text: String,
    index: Vec<u8>,
    statements: Vec<u8>,
    /// The paths and dates, appended to `text` at the end.
    cold: String,
    /// Each cold text's place in `index` (where its start goes) and its
    /// start in `cold`, written once `text` is complete.
    cold_starts: Vec<(usize, usize)>,
}

/// `u32`s per revision in the index (the runtime's `FIELDS`).
const FIELDS: usize = 29;

/// The length that marks an absent text (the runtime's `NONE`).
const NONE: u32 = u32::MAX;

impl Packed {
    fn of(revisions: &[migrate_core::Revision]) -> Packed {
        let mut p = Packed {
            text: String::with_capacity(
                revisions
                    .iter()
                    .map(|r| {
                        200 + r.upgrade.sql.len() + r.downgrade.as_ref().map_or(0, |d| d.sql.len())
                    })
                    .sum(),
            ),
            index: Vec::with_capacity(4 + revisions.len() * FIELDS * 4),
            statements: Vec::new(),
            cold: String::new(),
            cold_starts: Vec::new(),
        };
        p.word(revisions.len());
        for r in revisions {
            let h = &r.header;
            p.text(Some(&h.revision));
            p.text(Some(&h.down_revision.join("\n")));
            p.text(Some(&h.depends_on.join("\n")));
            p.text(Some(&h.branch_labels.join("\n")));
            p.text(h.message.as_deref());
            p.cold_text(h.create_date.as_deref());
            // Bit 0: transactional; bit 1: written in Rust.
            p.word(
                usize::from(h.transactional)
                    | usize::from(r.kind == migrate_core::RevisionKind::Rust) << 1,
            );
            p.cold_text(Some(&r.path));
            p.text(Some(&r.checksum));
            p.section(Some(&r.upgrade));
            p.section(r.downgrade.as_ref());
            p.word(h.lock_timeout.map_or(NONE as usize, |d| {
                usize::try_from(d.as_millis()).unwrap_or(NONE as usize)
            }));
            p.word(h.lock_retries.map_or(NONE as usize, |n| n as usize));
        }
        let hot = p.text.len();
        p.text.push_str(&p.cold);
        for &(at, start) in &p.cold_starts {
            let start = u32::try_from(hot + start).unwrap_or(NONE);
            p.index[at..at + 4].copy_from_slice(&start.to_le_bytes());
        }
        p
    }

    /// [`text`](Self::text) of a text that goes after all the others.
    fn cold_text(&mut self, value: Option<&str>) {
        match value {
            Some(v) => {
                self.cold_starts.push((self.index.len(), self.cold.len()));
                self.word(0);
                self.word(v.len());
                self.cold.push_str(v);
            }
            None => self.text(None),
        }
    }

    fn word(&mut self, value: usize) {
        let value = u32::try_from(value).unwrap_or(NONE);
        self.index.extend_from_slice(&value.to_le_bytes());
    }

    fn text(&mut self, value: Option<&str>) {
        match value {
            Some(v) => {
                self.word(self.text.len());
                self.word(v.len());
                self.text.push_str(v);
            }
            None => {
                self.word(0);
                self.index.extend_from_slice(&NONE.to_le_bytes());
            }
        }
    }

    fn section(&mut self, section: Option<&Section>) {
        self.text(section.map(|s| s.sql.as_str()));
        let Some(s) = section else {
            self.word(0);
            self.word(0);
            self.word(0);
            return;
        };
        self.word(s.first_line as usize);
        self.word(self.statements.len());
        self.word(s.statements.len());
        // Four little-endian `u32`s per statement, as the runtime's
        // `EmbeddedStatement::pack` writes them.
        for st in &s.statements {
            for v in [st.line, st.column, st.start as u32, st.end as u32] {
                self.statements.extend_from_slice(&v.to_le_bytes());
            }
        }
    }
}

/// A string literal: `str`'s `Debug` writes Rust escapes.
fn lit(value: &str) -> String {
    format!("{value:?}")
}
