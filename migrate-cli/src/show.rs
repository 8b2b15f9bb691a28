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
    let node = revision.graph_node();
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
    let node = view.revision(i).graph_node();
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
    let node = revision.graph_node();
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
        Some(range) => {
            let mut current: Vec<usize> = current.iter().copied().collect();
            current.sort_unstable();
            view.graph
                .select_range(&migrate_core::Range::parse(range)?, &current)?
        }
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
        _ => vec![view.graph.lookup_at_head(spec)?],
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
        if revision.is_rust() {
            // Its sections are code, in its file.
            ui.line(ui.out.dim(&format!(
                "-- written in Rust: `upgrade`{} in {}",
                if revision.downgrade().is_some() {
                    " and `downgrade`"
                } else {
                    " (no `downgrade`: irreversible)"
                },
                migrate_core::escape_control(revision.path())
            )))?;
            continue;
        }
        ui.line(ui.out.dim(migrate_core::UPGRADE_MARKER))?;
        ui.text(&with_newline(revision.upgrade().sql().trim_matches('\n')))?;
        match revision.downgrade().map(|d| d.sql()) {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ColorChoice;
    use crate::view::tests::view;

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
}
