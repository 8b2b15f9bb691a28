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
pub mod lower_pg;
pub mod lower_sqlite;
pub mod naming;
pub mod state;

use migrate_core::exact::postgres;
use migrate_core::sql::Dialect;
use migrate_core::{Migrations, Revision, Rule, Section};
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
    fold_section(state, revision, &revision.upgrade, Dialect::Postgres);
}

/// Folds the statements of one section of `revision` into `state`, read in
/// `dialect`.
fn fold_section(state: &mut State, revision: &Revision, section: &Section, dialect: Dialect) {
    for statement in &section.statements {
        let sql = section.statement_sql(statement);
        let at = StmtRef {
            path: revision.path.clone(),
            line: statement.line,
            column: statement.column,
        };
        if dialect == Dialect::Sqlite {
            match Parser::parse_sql(&SQLiteDialect {}, sql) {
                Ok(tree) if statement.check => {
                    lower_sqlite::apply(state, &tree, sql, &at);
                }
                Ok(_) => lower_sqlite::taint_named(state, sql, &at),
                Err(e) => lower_sqlite::taint_unparsed(
                    state,
                    sql,
                    &at,
                    format!("the fold cannot read it as SQLite: {e}"),
                ),
            }
            continue;
        }
        match postgres::parse(sql, statement.line, statement.column) {
            Ok(tree) if statement.check => {
                lower_pg::apply(state, &tree, &at);
            }
            Ok(tree) => lower_pg::taint_named(state, &tree, &at),
            Err(e) => lower_pg::taint_world(
                state,
                &at,
                format!("PostgreSQL's grammar rejects it: {}", e.message),
            ),
        }
    }
}

/// Folds a revision's upgrade, then its downgrade on the model the upgrade
/// produced, and compares what the downgrade leaves with what the upgrade
/// started from; the model goes back to the upgrade's, and what was found
/// goes to `findings`.
fn fold_both(
    state: &mut State,
    index: usize,
    revision: &Revision,
    dialect: Dialect,
    findings: &mut Vec<FoldFinding>,
) {
    let before = state.mark();
    let found = state.findings.len();
    fold_section(state, revision, &revision.upgrade, dialect);
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
    if let Some(down) = down {
        let after_upgrade = state.mark();
        // The coverage is the upgrades': what the downgrade counted goes
        // back with it.
        let counted = (
            state.coverage.statements,
            state.coverage.modelled,
            state.coverage.taints.len(),
        );
        let from = state.findings.len();
        fold_section(state, revision, down, dialect);
        take(state, from, SectionKind::Downgrade);
        // A comparison after a failed statement, or over what the fold is
        // not sure of, would only repeat the failure or guess.
        if state.findings.len() == found && state.changed_since_is_certain(before) {
            let (start, end) = state.changed_since(before);
            let options = DiffOptions {
                include_schemas: true,
                ..DiffOptions::default()
            };
            let changes = diff(&end, &start, dialect, &options);
            if !changes.is_empty() {
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
                        finding::mismatch_phrases(&changes).join("; it ")
                    ),
                };
                state.findings.push(finding);
                take(state, found, SectionKind::Downgrade);
            }
        }
        state.undo_to(after_upgrade);
        state.coverage.statements = counted.0;
        state.coverage.modelled = counted.1;
        state.coverage.taints.truncate(counted.2);
    }
    state.end_journal();
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
    mut after: impl FnMut(usize, &State),
) -> Result<FoldResult, FoldError> {
    let wanted = at.map(|i| migrations.graph.ancestors_inclusive(&[i]));
    let mut state = State::new();
    let mut revisions = Vec::new();
    let mut findings = Vec::new();
    for &i in migrations.graph.topological_order() {
        if wanted.as_ref().is_some_and(|w| !w[i]) {
            continue;
        }
        fold_both(
            &mut state,
            i,
            &migrations.revisions[i],
            dialect,
            &mut findings,
        );
        after(i, &state);
        revisions.push(i);
    }
    Ok(FoldResult {
        state,
        revisions,
        findings,
    })
}

#[cfg(test)]
mod tests;
#[cfg(test)]
mod tests_sqlite;
