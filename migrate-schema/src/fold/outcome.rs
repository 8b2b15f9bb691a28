//! What became of one statement the fold lowered, for both dialects: why
//! it is not in the model (not modelled, or refused by the server where
//! the fold is sure), and what that leaves in the state.

use migrate_core::Rule;

use super::state::{DEFAULT_SCHEMA, Finding, Mark, Scope, State, StmtRef, TableId};

/// Why a statement, or part of one, is not in the model: the fold could
/// not model it, or the database would refuse it.
#[derive(Debug, Clone)]
pub(super) enum Unmodelled {
    /// The model has no place for it, or does not know enough.
    Unknown(String),
    /// The database refuses it, and the fold is sure of every fact used.
    Fails(Rule, String),
}

impl Unmodelled {
    pub(super) fn why(&self) -> &str {
        match self {
            Unmodelled::Unknown(why) | Unmodelled::Fails(_, why) => why,
        }
    }
}

impl From<String> for Unmodelled {
    fn from(why: String) -> Unmodelled {
        Unmodelled::Unknown(why)
    }
}

impl From<&str> for Unmodelled {
    fn from(why: &str) -> Unmodelled {
        Unmodelled::Unknown(why.to_owned())
    }
}

/// `rule` broken, when `sure`; otherwise only not modelled.
pub(super) fn fails(sure: bool, rule: Rule, message: String) -> Unmodelled {
    if sure {
        Unmodelled::Fails(rule, message)
    } else {
        Unmodelled::Unknown(message)
    }
}

/// Settles a lowered statement. Refused by the database: a finding, and
/// (when `undo` marks the state before it) whatever part of it the fold
/// applied goes back, since the database refuses all of it, so the model
/// stays sure. Not modelled, and nothing tainted for it yet: the tables
/// `named` returns become unsure, or, when it names none, the statement
/// counts as not modelled.
pub(super) fn settle(
    state: &mut State,
    result: &Result<(), Unmodelled>,
    undo: Option<Mark>,
    at: &StmtRef,
    named: impl FnOnce(&State) -> Vec<TableId>,
) {
    if let Err(Unmodelled::Fails(rule, message)) = result {
        state.findings.push(Finding {
            rule: *rule,
            at: at.clone(),
            message: message.clone(),
        });
        if let Some(mark) = undo {
            state.undo_to(mark);
            return;
        }
    }
    let tainted = state
        .coverage
        .taints
        .last()
        .is_some_and(|t| t.epoch == state.epoch);
    if let Err(e) = result
        && !tainted
    {
        let why = e.why().to_owned();
        let named = named(state);
        if named.is_empty() {
            state.taint(at, Scope::Unmodelled, None, why.clone());
        }
        for id in named {
            state.taint_table(id, at, why.clone());
        }
    }
}

/// `name`, or `schema.name` outside the default schema.
pub(super) fn shown(schema: &str, name: &str) -> String {
    if schema == DEFAULT_SCHEMA {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
}

/// A column that is not in a table.
pub(super) fn missing_column(state: &State, id: TableId, name: &str) -> Unmodelled {
    let t = state.table(id);
    let near = t
        .columns
        .iter()
        .map(|c| (super::state::edit_distance(&c.name, name), &c.name))
        .filter(|(d, _)| *d <= (name.chars().count() / 4).max(2))
        .min()
        .map_or(String::new(), |(_, n)| {
            format!("; the nearest column is {n}, check the name")
        });
    fails(
        state.is_certain(id),
        Rule::Missing,
        format!(
            "column {name} of table {} does not exist at this point of the chain{near}",
            shown(&t.schema, &t.name)
        ),
    )
}

/// Applies every part of one statement on table `id` (the subcommands of an
/// `ALTER TABLE`): the first part that fails is the statement's outcome,
/// and the table becomes unsure (a refused statement is then taken back
/// whole by [`settle`]).
pub(super) fn apply_parts<T>(
    state: &mut State,
    id: TableId,
    at: &StmtRef,
    parts: impl IntoIterator<Item = T>,
    mut apply: impl FnMut(&mut State, T) -> Result<(), Unmodelled>,
) -> Result<(), Unmodelled> {
    let mut first_error = None;
    for part in parts {
        if let Err(why) = apply(state, part) {
            first_error.get_or_insert(why);
        }
    }
    match first_error {
        Some(why) => {
            state.taint_table(id, at, why.why().to_owned());
            Err(why)
        }
        None => Ok(()),
    }
}
