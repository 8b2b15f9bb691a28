//! The schema fold: the model a chain of revisions builds, from the
//! statements' parse trees, with what it could not model and how much it did.
//!
//! PostgreSQL only, for now (libpg_query's tree, feature `postgres-exact`):
//! tables, columns, primary, unique, foreign-key and check constraints with
//! the names PostgreSQL gives unnamed ones, indexes, enums, schemas and
//! comments. A statement it cannot model makes unsure what it may touch
//! (a table's contents, a schema, or everything for a `DO` block), and
//! [`Coverage`] counts them.

pub mod lower_pg;
pub mod naming;
pub mod state;

use migrate_core::exact::postgres;
use migrate_core::sql::Dialect;
use migrate_core::{Migrations, Revision};

pub use state::{Certainty, Coverage, Scope, State, StmtRef, TableId, Taint};

/// The fold of a chain's upgrades.
#[derive(Debug, Clone)]
pub struct FoldResult {
    /// The model after the last revision folded.
    pub state: State,
    /// The revisions folded, as indices into `Migrations::revisions`, in order.
    pub revisions: Vec<usize>,
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
    /// Only PostgreSQL is folded so far.
    Unsupported(Dialect),
}

impl std::fmt::Display for FoldError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            FoldError::Unsupported(d) => write!(
                f,
                "the schema fold reads PostgreSQL only, not {d}; set `dialect = \"postgres\"` (or list it in `dialects`) in migrate.toml if the project runs on PostgreSQL"
            ),
        }
    }
}

impl std::error::Error for FoldError {}

/// Folds one revision's upgrade into `state`.
pub fn fold_revision(state: &mut State, revision: &Revision) {
    let section = &revision.upgrade;
    for statement in &section.statements {
        let sql = section.statement_sql(statement);
        let at = StmtRef {
            path: revision.path.clone(),
            line: statement.line,
            column: statement.column,
        };
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
    if dialect != Dialect::Postgres {
        return Err(FoldError::Unsupported(dialect));
    }
    let wanted = at.map(|i| migrations.graph.ancestors_inclusive(&[i]));
    let mut state = State::new();
    let mut revisions = Vec::new();
    for &i in migrations.graph.topological_order() {
        if wanted.as_ref().is_some_and(|w| !w[i]) {
            continue;
        }
        fold_revision(&mut state, &migrations.revisions[i]);
        after(i, &state);
        revisions.push(i);
    }
    Ok(FoldResult { state, revisions })
}

#[cfg(test)]
mod tests;
