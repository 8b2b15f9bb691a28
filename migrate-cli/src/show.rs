//! Listing revisions: `history`, `heads`, `branches`, `show`, in Alembic's
//! formats (`<base> -> 955bb0742a21 (head), create products table`).

use std::collections::HashSet;

use migrate_core::Error;
use migrate_runtime::HistoryEntry;

use crate::error::Usage;
use crate::output::{Style, Ui, one_line};
use crate::view::View;

/// Alembic's one-line form: `parents -> id (labels) (head) …, message`.
pub(crate) fn short_line(view: &View, i: usize, current: &HashSet<usize>, style: &Style) -> String {
    let revision = view.revision(i);
    let node = revision.node();
    let parents = match node.parents.len() {
        0 => "<base>".to_owned(),
        1 => node.parents.join(""),
        _ => format!("({})", node.parents.join(", ")),
    };
    let mut line = format!("{parents} -> {}", annotated_id(view, i, current, style));
    if let Some(message) = revision.message() {
        line.push_str(", ");
        line.push_str(message);
    }
    line
}

/// `id (labels) (head) (branchpoint) (mergepoint) (current)`.
pub(crate) fn annotated_id(
    view: &View,
    i: usize,
    current: &HashSet<usize>,
    style: &Style,
) -> String {
    let node = view.revision(i).node();
    let mut out = style.id(node.id);
    if !node.branch_labels.is_empty() {
        out.push_str(&format!(
            " ({})",
            style.label(&node.branch_labels.join(", "))
        ));
    }
    if view.is_head(i) {
        out.push_str(&format!(" {}", style.head("(head)")));
    }
    if view.is_branchpoint(i) {
        out.push_str(" (branchpoint)");
    }
    if view.is_mergepoint(i) {
        out.push_str(" (mergepoint)");
    }
    if current.contains(&i) {
        out.push_str(&format!(" {}", style.current("(current)")));
    }
    out
}

/// Alembic's verbose entry (`Rev:`, `Parent:`, `Path:`, the message and
/// the header), plus our own `Also depends on`, `Transactional` and
/// irreversibility lines.
pub(crate) fn entry(view: &View, i: usize, current: &HashSet<usize>, style: &Style) -> Vec<String> {
    let revision = view.revision(i);
    let node = revision.node();
    let mut lines = vec![format!("Rev: {}", annotated_id(view, i, current, style))];
    match node.parents.len() {
        0 => lines.push("Parent: <base>".into()),
        1 => lines.push(format!("Parent: {}", node.parents.join(""))),
        _ => lines.push(format!("Merges: {}", node.parents.join(", "))),
    }
    if !node.depends_on.is_empty() {
        lines.push(format!("Also depends on: {}", node.depends_on.join(", ")));
    }
    if view.is_branchpoint(i) {
        lines.push(format!(
            "Branches into: {}",
            view.names(view.graph.children(i))
        ));
    }
    if !node.branch_labels.is_empty() {
        lines.push(format!("Branch names: {}", node.branch_labels.join(", ")));
    }
    lines.push(format!("Path: {}", node.path));
    if !revision.is_transactional() {
        lines.push("Transactional: no (runs outside a transaction)".into());
    }
    if !node.reversible {
        lines.push("Downgrade: none (irreversible)".into());
    }
    lines.push(String::new());
    if let Some(message) = revision.message() {
        lines.push(format!("    {message}"));
        lines.push(String::new());
    }
    lines.push(format!("    Revision ID: {}", node.id));
    let revises = if node.parents.is_empty() {
        "<base>".to_owned()
    } else {
        node.parents.join(", ")
    };
    lines.push(format!("    Revises: {revises}"));
    if let Some(date) = revision.create_date() {
        lines.push(format!("    Create Date: {date}"));
    }
    lines
}

/// The database's current heads on `view`, from history rows; ids the graph
/// does not know come back separately.
pub(crate) fn current_from_rows(
    view: &View,
    rows: &[HistoryEntry],
) -> (HashSet<usize>, Vec<String>) {
    let mut applied = vec![false; view.graph.len()];
    let mut unknown = Vec::new();
    for row in rows.iter().filter(|r| r.is_complete()) {
        match view.graph.find(&row.revision) {
            Some(i) => applied[i] = true,
            None => unknown.push(row.revision.clone()),
        }
    }
    let heads = (0..view.graph.len())
        .filter(|&i| applied[i] && !view.graph.children(i).iter().any(|&c| applied[c]))
        .collect();
    (heads, unknown)
}

/// What the history table says of one revision, for `history --verbose`:
/// how it got there (applied or stamped), when, and how long it took.
fn database_line(id: &str, rows: &[HistoryEntry]) -> String {
    let Some(row) = rows.iter().find(|r| r.revision == id) else {
        return "Applied: no".into();
    };
    // The database's text: a hostile row stays on its line.
    let when = one_line(&timestamp(&row.applied_at)).into_owned();
    match row.state.as_str() {
        "applied" => format!("Applied: {when} ({} ms)", row.duration_ms),
        "stamped" => format!("Stamped: {when} (recorded without running its SQL)"),
        state => format!(
            "State: {} since {when}, {} statement{} done",
            one_line(state),
            row.statements_done,
            if row.statements_done == 1 { "" } else { "s" }
        ),
    }
}

/// A history timestamp as the database gave it; SQLite's default
/// (`strftime('%Y-%m-%d %H:%M:%f', 'now')`) is UTC without saying so.
fn timestamp(text: &str) -> String {
    let time = text.get(10..).unwrap_or("");
    if time.contains(['+', '-', 'Z']) {
        text.to_owned()
    } else {
        format!("{text} UTC")
    }
}

/// `history [-r RANGE] [--verbose]`, newest first. With the history
/// table's `rows`, each verbose entry says how and when it was applied.
pub(crate) fn history(
    ui: &Ui,
    view: &View,
    range: Option<&str>,
    current: &HashSet<usize>,
    verbose: bool,
    rows: Option<&[HistoryEntry]>,
) -> anyhow::Result<()> {
    let selected = match range {
        None => vec![true; view.graph.len()],
        Some(range) => select_range(view, range, current)?,
    };
    let mut first = true;
    for &i in view.graph.topological_order().iter().rev() {
        if !selected[i] {
            continue;
        }
        if verbose {
            if !first {
                ui.line("")?;
            }
            let mut lines = entry(view, i, current, &ui.out);
            if let Some(rows) = rows {
                // After `Path:` and its notes, before the message block.
                let at = lines
                    .iter()
                    .position(String::is_empty)
                    .unwrap_or(lines.len());
                lines.insert(at, database_line(view.graph.id(i), rows));
            }
            for line in lines {
                ui.line(line)?;
            }
        } else {
            ui.line(short_line(view, i, current, &ui.out))?;
        }
        first = false;
    }
    Ok(())
}

/// `heads [--verbose]`.
pub(crate) fn heads(
    ui: &Ui,
    view: &View,
    current: &HashSet<usize>,
    verbose: bool,
) -> anyhow::Result<()> {
    for (k, &h) in view.graph.heads().iter().enumerate() {
        if verbose {
            if k > 0 {
                ui.line("")?;
            }
            for line in entry(view, h, current, &ui.out) {
                ui.line(line)?;
            }
        } else {
            ui.line(annotated_id(view, h, current, &ui.out))?;
        }
    }
    Ok(())
}

/// `branches [--verbose]`: each branch point and the revisions it forks into.
pub(crate) fn branches(ui: &Ui, view: &View, verbose: bool) -> anyhow::Result<()> {
    let none = HashSet::new();
    let mut first = true;
    for &i in view.graph.topological_order() {
        if !view.is_branchpoint(i) {
            continue;
        }
        if !first && verbose {
            ui.line("")?;
        }
        first = false;
        if verbose {
            for line in entry(view, i, &none, &ui.out) {
                ui.line(line)?;
            }
        } else {
            let mut line = annotated_id(view, i, &none, &ui.out);
            if let Some(m) = view.revision(i).message() {
                line.push_str(&format!(", {m}"));
            }
            ui.line(line)?;
        }
        let pad = " ".repeat(view.graph.id(i).len());
        for &c in view.graph.children(i) {
            let mut line = format!("{pad} -> {}", annotated_id(view, c, &none, &ui.out));
            if let Some(m) = view.revision(c).message() {
                line.push_str(&format!(", {m}"));
            }
            ui.line(line)?;
        }
    }
    Ok(())
}

/// `show REV`: the verbose entry, then the SQL sections.
pub(crate) fn show(
    ui: &Ui,
    view: &View,
    spec: &str,
    current: &HashSet<usize>,
) -> anyhow::Result<()> {
    let revisions = match spec {
        "heads" => view.graph.heads().to_vec(),
        "head" => match view.graph.heads() {
            [one] => vec![*one],
            [] => Vec::new(),
            _ => {
                return Err(Error::MultipleHeadsTarget {
                    argument: "head".into(),
                }
                .into());
            }
        },
        "base" => {
            return Err(Usage(
                "`base` is the state before any revision, not a revision; name a revision to show"
                    .into(),
            )
            .into());
        }
        _ => vec![resolve_label_head(view, spec)?],
    };
    for (k, &i) in revisions.iter().enumerate() {
        if k > 0 {
            ui.line("")?;
        }
        for line in entry(view, i, current, &ui.out) {
            ui.line(line)?;
        }
        let revision = view.revision(i);
        ui.line("")?;
        ui.line(ui.out.dim(migrate_core::UPGRADE_MARKER))?;
        ui.text(&with_newline(revision.upgrade_sql().trim_matches('\n')))?;
        match revision.downgrade_sql() {
            Some(sql) => {
                ui.line(ui.out.dim(migrate_core::DOWNGRADE_MARKER))?;
                ui.text(&with_newline(sql.trim_matches('\n')))?;
            }
            None => ui.line(ui.out.dim("-- (no downgrade section: irreversible)"))?,
        }
    }
    Ok(())
}

fn with_newline(text: &str) -> String {
    if text.is_empty() {
        String::new()
    } else {
        format!("{text}\n")
    }
}

/// A revision by id, prefix or label, or `LABEL@head`.
pub(crate) fn resolve_label_head(view: &View, spec: &str) -> Result<usize, Error> {
    if let Some(label) = spec.strip_suffix("@head") {
        let start = view.graph.lookup(label)?;
        return match view.heads_above(start)[..] {
            [one] => Ok(one),
            _ => Err(Error::MultipleHeadsTarget {
                argument: spec.to_owned(),
            }),
        };
    }
    view.graph.lookup(spec)
}

/// One end of a `-r` range: open, or a set of revisions (empty: base).
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    Open,
    At(Vec<usize>),
}

/// The revisions in `START:END`, both ends included.
pub(crate) fn select_range(
    view: &View,
    range: &str,
    current: &HashSet<usize>,
) -> anyhow::Result<Vec<bool>> {
    let Some((start, end)) = range.split_once(':') else {
        return Err(Usage(format!(
            "history range `{range}` has no `:`; write START:END, e.g. `-r base:head`, `-r -3:current`, `-r ae10:`"
        ))
        .into());
    };
    let (start_rel, end_rel) = (relative(start), relative(end));
    let mut start_end = if start_rel.is_some_and(|(base, _)| base.is_empty()) {
        None
    } else {
        Some(endpoint(view, start, current)?)
    };
    let end_end = if end_rel.is_some_and(|(base, _)| base.is_empty()) {
        let from = start_end.clone().unwrap_or(End::Open);
        walk(view, &from, end_rel.map_or(0, |(_, n)| n), end)?
    } else {
        endpoint(view, end, current)?
    };
    if start_end.is_none() {
        start_end = Some(walk(
            view,
            &end_end,
            start_rel.map_or(0, |(_, n)| n),
            start,
        )?);
    }
    let start_end = start_end.unwrap_or(End::Open);
    let upper = match &end_end {
        End::Open => vec![true; view.graph.len()],
        End::At(set) => view.graph.ancestors_inclusive(set),
    };
    let lower = match &start_end {
        End::Open => vec![true; view.graph.len()],
        End::At(set) if set.is_empty() => vec![true; view.graph.len()],
        End::At(set) => {
            let mut after = view.graph.descendants(set);
            for &i in set {
                after[i] = true;
            }
            after
        }
    };
    Ok((0..view.graph.len())
        .map(|i| upper[i] && lower[i])
        .collect())
}

/// `(base, steps)` of `base+N` / `base-N`; `base` may be empty.
fn relative(text: &str) -> Option<(&str, i64)> {
    let at = text.rfind(['+', '-'])?;
    let digits = &text[at + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some((
        &text[..at],
        if text.as_bytes()[at] == b'-' { -n } else { n },
    ))
}

fn endpoint(view: &View, text: &str, current: &HashSet<usize>) -> anyhow::Result<End> {
    if let Some((base, steps)) = relative(text) {
        let from = endpoint(view, base, current)?;
        return walk(view, &from, steps, text);
    }
    Ok(match text {
        "" => End::Open,
        "base" => End::At(Vec::new()),
        "head" | "heads" => End::At(view.graph.heads().to_vec()),
        "current" => {
            let mut set: Vec<usize> = current.iter().copied().collect();
            set.sort_unstable();
            End::At(set)
        }
        spec => End::At(vec![resolve_label_head(view, spec)?]),
    })
}

/// `steps` revisions up (positive) or down from a single revision.
fn walk(view: &View, from: &End, steps: i64, text: &str) -> anyhow::Result<End> {
    let mut at: Option<usize> = match from {
        End::Open | End::At(_) if steps == 0 => return Ok(from.clone()),
        End::At(set) if set.is_empty() => None,
        End::At(set) if set.len() == 1 => Some(set[0]),
        _ => {
            return Err(Usage(format!(
                "relative range end `{text}` needs a single revision to count from; name one"
            ))
            .into());
        }
    };
    let out_of_range = || Error::RelativeOutOfRange {
        target: text.to_owned(),
        steps: steps.unsigned_abs(),
    };
    for _ in 0..steps.unsigned_abs() {
        let next: Vec<usize> = match (at, steps > 0) {
            (Some(i), true) => view.graph.children(i).to_vec(),
            (Some(i), false) => view.graph.parents(i).to_vec(),
            (None, true) => (0..view.graph.len())
                .filter(|&i| view.graph.parents(i).is_empty())
                .collect(),
            (None, false) => return Err(out_of_range().into()),
        };
        at = match next[..] {
            [] if steps < 0 => None,
            [] => return Err(out_of_range().into()),
            [one] => Some(one),
            _ => {
                return Err(Error::AmbiguousWalk {
                    target: text.to_owned(),
                    revision: at.map_or("base".into(), |i| view.graph.id(i).to_owned()),
                    direction: if steps > 0 { "children" } else { "parents" },
                    candidates: view.names(&next),
                }
                .into());
            }
        };
    }
    Ok(End::At(at.into_iter().collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ColorChoice;
    use crate::view::tests::view;

    fn ids(t: &View, sel: &[bool]) -> String {
        t.graph.topological_order()
            .iter()
            .filter(|&&i| sel[i])
            .map(|&i| t.graph.id(i))
            .collect::<Vec<_>>()
            .join(" ")
    }

    #[test]
    fn short_lines_use_alembic_annotations() {
        let t = view("a: b:a c:a m:b,c");
        let style = Style::decide(ColorChoice::Never, false);
        let current: HashSet<usize> = [3].into_iter().collect();
        assert_eq!(
            short_line(&t, 0, &current, &style),
            "<base> -> a (branchpoint), msg a"
        );
        assert_eq!(
            short_line(&t, 3, &current, &style),
            "(b, c) -> m (head) (mergepoint) (current), msg m"
        );
    }

    #[test]
    fn ranges_include_both_ends() {
        let t = view("a: b:a c:b d:c");
        let none = HashSet::new();
        assert_eq!(ids(&t, &select_range(&t, "b:c", &none).unwrap()), "b c");
        assert_eq!(ids(&t, &select_range(&t, "c:", &none).unwrap()), "c d");
        assert_eq!(ids(&t, &select_range(&t, ":b", &none).unwrap()), "a b");
        assert_eq!(
            ids(&t, &select_range(&t, "base:head", &none).unwrap()),
            "a b c d"
        );
        let current: HashSet<usize> = [2].into_iter().collect();
        assert_eq!(
            ids(&t, &select_range(&t, "-1:current", &current).unwrap()),
            "b c"
        );
        assert_eq!(
            ids(&t, &select_range(&t, "current:", &current).unwrap()),
            "c d"
        );
        assert_eq!(ids(&t, &select_range(&t, "a:+2", &none).unwrap()), "a b c");
        assert!(select_range(&t, "a", &none).is_err());
        assert!(select_range(&t, "zz:", &none).is_err());
    }
}
