//! The schema fold: the model a chain of revisions builds, from the
//! statements' parse trees, with what it could not model and how much it did.
//!
//! PostgreSQL from libpg_query's tree (feature `postgres-exact`): tables,
//! columns, primary, unique, foreign-key and check constraints with the
//! names PostgreSQL gives unnamed ones, indexes, enums, schemas and
//! comments. SQLite from sqlparser's AST ([`lower_sqlite`]): tables,
//! columns, keys with the index names SQLite gives them, foreign keys,
//! checks, indexes and views by name. A statement it cannot model makes unsure what it may touch
//! (a table's contents, a schema, or everything for a `DO` block), and
//! [`Coverage`] counts them.

pub mod finding;
pub mod lint_pg;
pub mod lower_pg;
pub mod lower_sqlite;
pub use crate::naming;
mod outcome;
mod partition_pg;
pub mod state;

use migrate_core::exact::postgres;
use migrate_core::sql::Dialect;
use migrate_core::{DialectCheck, LintConfig, Migrations, Revision, Rule, Section};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::parser::Parser;

pub use finding::{FoldFinding, Reported, SectionKind, report};
pub use state::{Certainty, Coverage, Finding, Mark, Scope, State, StmtRef, TableId, Taint};

use crate::diff::{DiffOptions, diff};

/// The fold of a chain's upgrades.
#[derive(Debug, Clone)]
pub struct FoldResult {
    /// The model after the last revision folded.
    pub state: State,
    /// The revisions folded, as indices into `Migrations::revisions`, in order.
    pub revisions: Vec<usize>,
    /// What the server would refuse, or a downgrade fails to restore, in
    /// the order found.
    pub findings: Vec<FoldFinding>,
}

impl FoldResult {
    /// What the fold modelled.
    pub fn coverage(&self) -> &Coverage {
        self.state.coverage()
    }
}

/// Why a directory cannot be folded.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FoldError {
    /// A dialect the fold does not read (every dialect is read today; kept
    /// so that a new dialect is a new case, not a new error type).
    Unsupported(Dialect),
}

impl std::fmt::Display for FoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FoldError::Unsupported(d) => write!(
                f,
                "the schema fold does not read {d}; set `dialect` in migrate.toml to postgres or sqlite"
            ),
        }
    }
}

impl std::error::Error for FoldError {}

/// Folds one revision's upgrade into `state`, read as PostgreSQL.
pub fn fold_revision(state: &mut State, revision: &Revision) {
    let parsed = parse_section(&revision.upgrade, Dialect::Postgres, &mut NoCache);
    fold_section(state, revision, &revision.upgrade, parsed, None);
}

/// Earlier parses of PostgreSQL statements, as libpg_query's protobuf
/// bytes keyed by the statement's text: parsing costs far more than
/// reading the bytes back, so a build that folds the same statements again
/// (after an edit to one file) parses only what changed.
pub trait TreeCache: Send {
    /// The bytes of an earlier parse of `sql`.
    fn get(&mut self, sql: &str) -> Option<&[u8]>;
    /// Keeps the bytes of a parse of `sql`.
    fn put(&mut self, sql: &str, bytes: &[u8]);
}

/// The cache that keeps nothing.
pub struct NoCache;

impl TreeCache for NoCache {
    fn get(&mut self, _: &str) -> Option<&[u8]> {
        None
    }

    fn put(&mut self, _: &str, _: &[u8]) {}
}

/// A statement's tree: from the cache, else parsed (and kept).
fn postgres_tree(
    sql: &str,
    line: u32,
    column: u32,
    cache: &mut dyn TreeCache,
) -> Result<pg_query::protobuf::ParseResult, String> {
    if let Some(bytes) = cache.get(sql)
        && let Ok(tree) = postgres::decode(bytes)
    {
        return Ok(tree);
    }
    let bytes = postgres::tree_bytes(sql, line, column).map_err(|e| e.message)?;
    cache.put(sql, &bytes);
    postgres::decode(&bytes)
}

/// A statement's tree in its dialect, or why it could not be read.
enum Parsed {
    /// libpg_query's tree, or PostgreSQL's grammar's message.
    Postgres(Result<pg_query::protobuf::ParseResult, String>),
    /// sqlparser's statements, or its message.
    Sqlite(Result<Vec<sqlparser::ast::Statement>, String>),
}

/// The trees of a revision's sections, parsed apart from the model.
struct ParsedRevision {
    upgrade: Vec<Parsed>,
    downgrade: Vec<Parsed>,
}

fn parse_section(section: &Section, dialect: Dialect, cache: &mut dyn TreeCache) -> Vec<Parsed> {
    section
        .statements
        .iter()
        .map(|s| {
            let sql = section.statement_sql(s);
            match dialect {
                Dialect::Postgres => Parsed::Postgres(postgres_tree(sql, s.line, s.column, cache)),
                Dialect::Sqlite => Parsed::Sqlite(
                    Parser::parse_sql(&SQLiteDialect {}, sql).map_err(|e| e.to_string()),
                ),
            }
        })
        .collect()
}

fn parse_revision(
    revision: &Revision,
    dialect: Dialect,
    cache: &mut dyn TreeCache,
) -> ParsedRevision {
    ParsedRevision {
        upgrade: parse_section(&revision.upgrade, dialect, cache),
        downgrade: revision
            .downgrade
            .as_ref()
            .map(|d| parse_section(d, dialect, cache))
            .unwrap_or_default(),
    }
}

/// Folds the statements of one section of `revision` into `state`, from
/// their trees (`parsed`, one per statement); `lint`, when given, judges
/// each PostgreSQL statement on the model before it.
fn fold_section(
    state: &mut State,
    revision: &Revision,
    section: &Section,
    parsed: Vec<Parsed>,
    mut lint: Option<&mut lint_pg::Linter>,
) {
    if revision.kind == migrate_core::RevisionKind::Rust {
        // Code the fold does not run: it may have changed anything, unless
        // it says it changes rows only.
        if revision.header.data_only {
            return;
        }
        let at = StmtRef {
            path: revision.path.clone(),
            line: 1,
            column: 1,
        };
        lower_pg::taint_world(
            state,
            &at,
            "a Rust revision: the fold does not run its code".into(),
        );
        return;
    }
    for (statement, tree) in section.statements.iter().zip(parsed) {
        let sql = section.statement_sql(statement);
        let at = StmtRef {
            path: revision.path.clone(),
            line: statement.line,
            column: statement.column,
        };
        if let (Some(lint), Parsed::Postgres(Ok(tree))) = (lint.as_deref_mut(), &tree) {
            lint.statement(state, sql, tree, &at);
        }
        match tree {
            Parsed::Sqlite(Ok(tree)) if statement.check => {
                lower_sqlite::apply(state, &tree, sql, &at);
            }
            Parsed::Sqlite(Ok(_)) => lower_sqlite::taint_named(state, sql, &at),
            Parsed::Sqlite(Err(e)) => lower_sqlite::taint_unparsed(
                state,
                sql,
                &at,
                format!("the fold cannot read it as SQLite: {e}"),
            ),
            Parsed::Postgres(Ok(tree)) if statement.check => {
                lower_pg::apply(state, &tree, &at);
            }
            Parsed::Postgres(Ok(tree)) => lower_pg::taint_named(state, &tree, &at),
            Parsed::Postgres(Err(message)) => lower_pg::taint_world(
                state,
                &at,
                format!("PostgreSQL's grammar rejects it: {message}"),
            ),
        }
    }
}

/// Folds a revision's upgrade, then its downgrade on the model the upgrade
/// produced, and compares what the downgrade leaves with what the upgrade
/// started from; the model goes back to the upgrade's, and what was found
/// (with what `lint` finds in the upgrade) goes to `findings`.
fn fold_both(
    state: &mut State,
    index: usize,
    revision: &Revision,
    dialect: Dialect,
    parsed: ParsedRevision,
    findings: &mut Vec<FoldFinding>,
    mut lint: Option<&mut lint_pg::Linter>,
) {
    let before = state.mark();
    let found = state.findings.len();
    if let Some(lint) = lint.as_deref_mut() {
        lint.begin(
            before,
            revision.header.transactional,
            revision.header.lock_timeout,
        );
    }
    fold_section(
        state,
        revision,
        &revision.upgrade,
        parsed.upgrade,
        lint.as_deref_mut(),
    );
    if let Some(lint) = lint {
        findings.extend(lint.take().into_iter().map(|f| FoldFinding {
            revision: index,
            section: SectionKind::Upgrade,
            finding: f,
        }));
    }
    let mut take = |state: &State, from: usize, section: SectionKind| {
        findings.extend(state.findings[from..].iter().map(|f| FoldFinding {
            revision: index,
            section,
            finding: f.clone(),
        }));
    };
    take(state, found, SectionKind::Upgrade);
    let down = revision
        .downgrade
        .as_ref()
        .filter(|d| !d.statements.is_empty());
    // After a failed upgrade the model is not what the downgrade would
    // start from: its findings would only repeat the failure.
    let upgrade_failed = state.findings.len() > found;
    if let Some(down) = down.filter(|_| !upgrade_failed) {
        let after_upgrade = state.mark();
        // The coverage is the upgrades': what the downgrade counted goes
        // back with it.
        let counts = state.coverage_counts();
        let from = state.findings.len();
        fold_section(state, revision, down, parsed.downgrade, None);
        take(state, from, SectionKind::Downgrade);
        // A comparison after a failed statement, or over what the fold is
        // not sure of, would only repeat the failure or guess.
        if state.findings.len() == found && state.changed_since_is_certain(before) {
            let mut phrases = Vec::new();
            if state.differs_since(before) {
                let (start, end) = state.changed_since(before);
                // Names count: a downgrade that re-creates a key under
                // another name leaves a schema a later downgrade cannot
                // drop by name.
                let options = DiffOptions {
                    include_schemas: true,
                    compare_names: true,
                    ..DiffOptions::default()
                };
                let changes = diff(&end, &start, dialect, &options);
                phrases = finding::mismatch_phrases(&changes);
            }
            phrases.extend(state.objects_changed_since(before));
            if !phrases.is_empty() {
                let first = &down.statements[0];
                let finding = Finding {
                    rule: Rule::DowngradeMismatch,
                    at: StmtRef {
                        path: revision.path.clone(),
                        line: first.line,
                        column: first.column,
                    },
                    message: format!(
                        "the downgrade does not restore the schema its upgrade started from: it {}; make the downgrade undo every change of the upgrade",
                        phrases.join("; it ")
                    ),
                };
                state.findings.push(finding);
                take(state, found, SectionKind::Downgrade);
            }
        }
        state.undo_to(after_upgrade);
        state.restore_coverage(counts);
    }
    state.end_journal();
}

/// The dialect whose fold checks a directory at build time and in
/// `migrate check`: PostgreSQL when the directory is checked as PostgreSQL,
/// else SQLite when it is checked as SQLite; none when it is checked as "any
/// dialect" (which one the statements are meant for is unknown) or not at
/// all.
pub fn checked_dialect(dialects: &DialectCheck) -> Option<Dialect> {
    match dialects {
        DialectCheck::All(list) if list.contains(&Dialect::Postgres) => Some(Dialect::Postgres),
        DialectCheck::All(list) if list.contains(&Dialect::Sqlite) => Some(Dialect::Sqlite),
        _ => None,
    }
}

/// Folds a directory in the dialect [`checked_dialect`] picks and returns
/// what `lint` reports, in the order found: what `embed_migrations!` and
/// `migrate check` report.
pub fn check(migrations: &Migrations, dialects: &DialectCheck, lint: &LintConfig) -> Vec<Reported> {
    check_cached(migrations, dialects, lint, &mut NoCache)
}

/// [`check`], reading PostgreSQL trees through `cache`.
pub fn check_cached(
    migrations: &Migrations,
    dialects: &DialectCheck,
    lint: &LintConfig,
    cache: &mut dyn TreeCache,
) -> Vec<Reported> {
    let Some(dialect) = checked_dialect(dialects) else {
        return Vec::new();
    };
    if !lint.any_on() {
        return Vec::new();
    }
    let options = lint_pg::Options {
        postgres_version: lint.postgres_version(),
        identifier_length: lint.level(Rule::IdentifierLength) != migrate_core::Level::Off,
        sqlite: matches!(dialects, DialectCheck::All(list) if list.contains(&Dialect::Sqlite)),
        default_lock_timeout: lint.default_lock_timeout(),
    };
    let Ok(folded) = fold_chain(migrations, dialect, None, cache, Some(options), |_, _| {}) else {
        return Vec::new();
    };
    // On SQLite, SQLite itself judges what exists: the replay of the chain
    // runs every statement in memory before the fold. The fold adds what the
    // replay cannot see, a downgrade that restores less than it should.
    let findings: Vec<FoldFinding> = folded
        .findings
        .into_iter()
        .filter(|f| dialect == Dialect::Postgres || f.finding.rule == Rule::DowngradeMismatch)
        .collect();
    report(migrations, lint, &findings)
}

/// Checks each checkpoint (a revision with `replaces:`, written by `migrate
/// squash`) whose replaced revisions are still in the directory: folded
/// after the checkpoint's ancestors, its upgrade must give the schema that
/// the revisions it replaces give, in the dialect [`checked_dialect`] picks
/// (PostgreSQL when none is). Tables, columns, keys, indexes, enums and
/// schemas are compared as [`diff`](crate::diff::diff) compares them, and
/// views, functions, triggers and the other objects the fold knows by name.
/// Each difference is an [`Error::Checkpoint`](migrate_core::Error) at the
/// checkpoint's `replaces:` line.
pub fn check_checkpoints(
    migrations: &Migrations,
    dialects: &DialectCheck,
) -> Vec<migrate_core::Error> {
    let dialect = checked_dialect(dialects).unwrap_or(Dialect::Postgres);
    let mut errors = Vec::new();
    for c in migrations.checkpoints() {
        let replaced = migrations.replaced_by(c);
        if replaced.is_empty() {
            continue;
        }
        let checkpoint = &migrations.revisions[c];
        let wanted = migrations.graph.ancestors_inclusive(&[c]);
        let mut base = State::new();
        let mut findings = Vec::new();
        let mut fold = |state: &mut State, i: usize, revision: &Revision| {
            let parsed = parse_revision(revision, dialect, &mut NoCache);
            fold_both(state, i, revision, dialect, parsed, &mut findings, None);
        };
        for &i in migrations.graph.topological_order() {
            if wanted[i] && i != c {
                fold(&mut base, i, &migrations.revisions[i]);
            }
        }
        let mut old = base.clone();
        for &k in &replaced {
            fold(&mut old, c, &migrations.replaced[k]);
        }
        let mut new = base;
        fold(&mut new, c, checkpoint);
        let mut differences: Vec<String> = diff(
            &old.to_schema(),
            &new.to_schema(),
            dialect,
            &DiffOptions::default(),
        )
        .iter()
        .map(|change| change.summary())
        .collect();
        let (old_objects, new_objects) = (old.other_objects(), new.other_objects());
        for o in new_objects.iter().filter(|o| !old_objects.contains(o)) {
            differences.push(format!("add {o}"));
        }
        for o in old_objects.iter().filter(|o| !new_objects.contains(o)) {
            differences.push(format!("drop {o}"));
        }
        #[cfg(feature = "sqlite-exact")]
        if matches!(dialects, DialectCheck::All(list) if list.contains(&Dialect::Sqlite)) {
            differences.extend(sqlite_differences(migrations, c, &replaced, &wanted));
        }
        if differences.is_empty() {
            continue;
        }
        let ids: Vec<&str> = replaced
            .iter()
            .map(|&k| migrations.replaced[k].id())
            .collect();
        errors.push(migrate_core::Error::Checkpoint {
            path: checkpoint.path.clone(),
            line: checkpoint.header.lines.replaces,
            problem: format!(
                "checkpoint {} does not give the schema of the revisions it replaces ({}); what turns their schema into the checkpoint's: {}; fix the checkpoint's SQL, or write it again with `migrate squash {}:{}`",
                checkpoint.id(),
                ids.join(", "),
                differences.join("; "),
                ids[0],
                ids[ids.len() - 1],
            ),
        });
    }
    errors
}

/// What SQLite itself says differs between the range of checkpoint `c`
/// and the checkpoint, each applied after the checkpoint's ancestors in an
/// in-memory database.
#[cfg(feature = "sqlite-exact")]
fn sqlite_differences(
    migrations: &Migrations,
    c: usize,
    replaced: &[usize],
    wanted: &[bool],
) -> Vec<String> {
    use migrate_core::exact::replay::schema_after;
    let base: Vec<&Revision> = migrations
        .graph
        .topological_order()
        .iter()
        .filter(|&&i| wanted[i] && i != c)
        .map(|&i| &migrations.revisions[i])
        .collect();
    let mut old = base.clone();
    old.extend(replaced.iter().map(|&k| &migrations.replaced[k]));
    let mut new = base;
    new.push(&migrations.revisions[c]);
    match (schema_after(&old), schema_after(&new)) {
        (Ok(Some(old)), Ok(Some(new))) => {
            let mut out: Vec<String> = old
                .iter()
                .filter(|l| !new.contains(l))
                .map(|l| format!("SQLite: the range gives `{l}`, the checkpoint does not"))
                .collect();
            out.extend(
                new.iter()
                    .filter(|l| !old.contains(l))
                    .map(|l| format!("SQLite: the checkpoint gives `{l}`, the range does not")),
            );
            out
        }
        (_, Err(e)) => vec![format!(
            "SQLite refuses the checkpoint after its ancestors: {e}"
        )],
        _ => Vec::new(),
    }
}

/// Folds every upgrade of a directory in topological order.
pub fn fold_upgrades(migrations: &Migrations, dialect: Dialect) -> Result<FoldResult, FoldError> {
    fold_with(migrations, dialect, None, |_, _| {})
}

/// Folds the upgrades up to and including revision `at` (an index into
/// `Migrations::revisions`): its ancestors, in topological order.
pub fn fold_to(
    migrations: &Migrations,
    dialect: Dialect,
    at: usize,
) -> Result<FoldResult, FoldError> {
    fold_with(migrations, dialect, Some(at), |_, _| {})
}

/// Folds the upgrades (all, or the ancestors of `at`) in topological order
/// and calls `after` with each revision and the state after it.
pub fn fold_with(
    migrations: &Migrations,
    dialect: Dialect,
    at: Option<usize>,
    after: impl FnMut(usize, &State),
) -> Result<FoldResult, FoldError> {
    fold_chain(migrations, dialect, at, &mut NoCache, None, after)
}

/// [`fold_with`], reading PostgreSQL trees through `cache`.
pub fn fold_with_cache(
    migrations: &Migrations,
    dialect: Dialect,
    at: Option<usize>,
    cache: &mut dyn TreeCache,
    after: impl FnMut(usize, &State),
) -> Result<FoldResult, FoldError> {
    fold_chain(migrations, dialect, at, cache, None, after)
}

/// [`fold_with_cache`], with the safety lint on the PostgreSQL upgrades
/// when `lint` is given: its findings join the fold's.
fn fold_chain(
    migrations: &Migrations,
    dialect: Dialect,
    at: Option<usize>,
    cache: &mut dyn TreeCache,
    lint: Option<lint_pg::Options>,
    mut after: impl FnMut(usize, &State),
) -> Result<FoldResult, FoldError> {
    let mut linter = lint
        .filter(|_| dialect == Dialect::Postgres)
        .map(lint_pg::Linter::new);
    let wanted = at.map(|i| migrations.graph.ancestors_inclusive(&[i]));
    let order: Vec<usize> = migrations
        .graph
        .topological_order()
        .iter()
        .copied()
        .filter(|&i| wanted.as_ref().is_none_or(|w| w[i]))
        .collect();
    let mut state = State::new();
    let mut revisions = Vec::new();
    let mut findings = Vec::new();
    // Parsing a statement needs nothing from the model, and costs about as
    // much as applying it: one thread parses, in order, ahead of the one
    // that folds (a bounded queue keeps only a window of trees alive).
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, ParsedRevision)>(64);
        let order = &order;
        scope.spawn(move || {
            for &i in order {
                if tx
                    .send((i, parse_revision(&migrations.revisions[i], dialect, cache)))
                    .is_err()
                {
                    break;
                }
            }
        });
        for (i, parsed) in rx {
            fold_both(
                &mut state,
                i,
                &migrations.revisions[i],
                dialect,
                parsed,
                &mut findings,
                linter.as_mut(),
            );
            after(i, &state);
            revisions.push(i);
        }
    });
    Ok(FoldResult {
        state,
        revisions,
        findings,
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_exclusion;
#[cfg(test)]
mod tests_sqlite;
