//! Refusals that say what to type instead: several heads behind `head`,
//! a target that goes against its verb, another tool's verb.

use migrate_core::{Direction, Target};
use migrate_runtime::Migrator;

use crate::error::Usage;

/// `upgrade head` refused because there are several heads (labelled
/// branches, or a directory read before its merge): say which heads there
/// are and that `upgrade heads` takes them all, above Alembic's words.
pub(crate) fn heads_advice(
    err: anyhow::Error,
    migrator: &Migrator,
    direction: Direction,
    target: &str,
) -> anyhow::Error {
    let asked_head =
        target == "head" || target.rsplit_once(':').is_some_and(|(_, to)| to == "head");
    let refused = err.chain().any(|c| {
        let core = c.downcast_ref::<migrate_core::Error>().or_else(|| {
            match c.downcast_ref::<migrate_runtime::Error>() {
                Some(migrate_runtime::Error::Core(e)) => Some(e),
                _ => None,
            }
        });
        matches!(core, Some(migrate_core::Error::MultipleHeadsTarget { argument }) if argument == "head")
    });
    if direction != Direction::Upgrade || !asked_head || !refused {
        return err;
    }
    let Ok(graph) = migrator.graph() else {
        return err;
    };
    let heads: Vec<String> = graph
        .heads()
        .iter()
        .map(|&h| match graph.branch_labels(h) {
            [] => graph.id(h).to_owned(),
            labels => format!("{} ({})", graph.id(h), labels.join(", ")),
        })
        .collect();
    // A label whose `LABEL@head` names exactly one of the heads.
    let label = (0..graph.len()).find_map(|i| {
        let label = graph.branch_labels(i).first()?;
        let reached = graph
            .heads()
            .iter()
            .filter(|&&h| h == i || graph.is_descendant(h, i))
            .count();
        (reached == 1).then(|| label.clone())
    });
    let one = match label {
        Some(label) => format!("`migrate upgrade {label}@head` for one branch"),
        None => "`migrate merge heads -m MSG` to join them".to_owned(),
    };
    err.context(format!(
        "`head` is one of {} heads ({}); run `migrate upgrade heads` to upgrade every branch, or {one}",
        heads.len(),
        heads.join(", ")
    ))
}

/// Another tool's verb: exit 2 naming the command to use here.
pub(crate) fn other_tool(verb: &str, ours: &str, more: &str) -> anyhow::Result<()> {
    let more = if more.is_empty() {
        String::new()
    } else {
        format!(" {more}")
    };
    Err(Usage(format!(
        "`migrate {verb}` is `migrate {ours}` here{more}; `migrate --help` lists the commands"
    ))
    .into())
}

/// Refuses a target that goes the other way than the verb: `upgrade -1`,
/// `downgrade +1`, and a `--sql` range whose FROM is past its TO (which
/// would otherwise print an empty upgrade script).
pub(crate) fn check_direction(
    migrator: &Migrator,
    direction: Direction,
    spec: &str,
    sql: bool,
) -> anyhow::Result<()> {
    let (from, to) = match spec.split_once(':') {
        Some((from, to)) => (Some(from).filter(|f| !f.is_empty()), to),
        None => (None, spec),
    };
    if let Ok(Target::Relative { from: None, steps }) = Target::parse(to) {
        match direction {
            Direction::Upgrade if steps < 0 => {
                return Err(Usage(format!(
                    "`upgrade {to}`: a negative step goes down, and upgrade only applies revisions; run `migrate downgrade {to}`"
                ))
                .into());
            }
            Direction::Downgrade if steps > 0 => {
                return Err(Usage(format!(
                    "`downgrade {to}`: a positive step goes up, and downgrade only reverts revisions; run `migrate upgrade {to}`"
                ))
                .into());
            }
            _ => {}
        }
    }
    let Some(from) = from.filter(|_| sql) else {
        return Ok(());
    };
    // Anything that does not resolve is left to the run, which says why.
    let Ok(graph) = migrator.graph() else {
        return Ok(());
    };
    let nothing = vec![false; graph.len()];
    let resolve = |text: &str| {
        Target::parse(text)
            .ok()
            .and_then(|t| graph.resolve(&t, &nothing).ok())
            .map(|set| graph.ancestors_inclusive(&set))
    };
    let (Some(below_from), Some(below_to)) = (resolve(from), resolve(to)) else {
        return Ok(());
    };
    // `a` strictly below `b`: everything `a` needs, `b` needs too, and more.
    let strictly_below = |a: &[bool], b: &[bool]| a.iter().zip(b).all(|(&x, &y)| !x || y) && a != b;
    let (verb, other, reversed) = match direction {
        Direction::Upgrade => (
            "upgrade",
            "downgrade",
            strictly_below(&below_to, &below_from),
        ),
        Direction::Downgrade => (
            "downgrade",
            "upgrade",
            strictly_below(&below_from, &below_to),
        ),
    };
    if reversed {
        let (past, script) = match direction {
            Direction::Upgrade => ("after", "an upgrade script goes from FROM to a later TO"),
            Direction::Downgrade => (
                "before",
                "a downgrade script goes from FROM to an earlier TO",
            ),
        };
        return Err(Usage(format!(
            "`{verb} --sql {spec}`: FROM `{from}` comes {past} TO `{to}`, and {script}; swap them (`migrate {verb} --sql {to}:{from}`), or write the {other} script (`migrate {other} --sql {spec}`)"
        ))
        .into());
    }
    Ok(())
}
