//! `migrate graph`: the revision graph as a `git log --graph`-like drawing,
//! as Graphviz DOT and as a Mermaid flowchart.
//!
//! The drawing walks the revisions newest first (reverse topological order,
//! so heads come first) and keeps one *lane* per line of descent it is
//! waiting to reach, exactly like git: a revision is drawn as `*` in the
//! lane that expects it; lanes that expect the same revision (a branch
//! point seen from above) are joined with `/` before it; a merge revision
//! opens one lane per extra parent with `\` after it.

use std::collections::HashSet;

use crate::output::Style;
use crate::view::View;

/// The text drawing, one line per element; `current` marks revisions.
pub(crate) fn text(view: &View, current: &HashSet<usize>, style: &Style) -> Vec<String> {
    let mut lines = Vec::new();
    // Each lane holds the revision it is waiting for.
    let mut lanes: Vec<usize> = Vec::new();
    for &node in view.graph.topological_order().iter().rev() {
        let hits: Vec<usize> = (0..lanes.len()).filter(|&l| lanes[l] == node).collect();
        let col = match hits.first() {
            Some(&c) => c,
            None => {
                lanes.push(node);
                lanes.len() - 1
            }
        };
        // Join the other lanes that wait for this revision, rightmost first,
        // each into its left neighbour among them.
        for k in (1..hits.len()).rev() {
            lines.push(style.dim(&collapse_row(lanes.len(), hits[k - 1], hits[k])));
            lanes.remove(hits[k]);
        }
        let mut row = String::new();
        for l in 0..lanes.len() {
            if l == col {
                row.push_str("* ");
            } else {
                row.push_str(&style.dim("|"));
                row.push(' ');
            }
        }
        lines.push(format!("{row}{}", describe(view, node, current, style)));

        let parents = view.graph.parents(node);
        match parents.split_first() {
            None => {
                // A base: its lane ends here.
                if col + 1 < lanes.len() {
                    lines.push(style.dim(&shift_left_row(lanes.len(), col)));
                }
                lanes.remove(col);
                // An independent branch (another base) starts below: keep
                // the two drawings apart.
                if lanes.is_empty()
                    && node != *view.graph.topological_order().first().unwrap_or(&node)
                {
                    lines.push(String::new());
                }
            }
            Some((&first, rest)) => {
                lanes[col] = first;
                for (k, &extra) in rest.iter().enumerate() {
                    lines.push(style.dim(&fork_row(lanes.len(), col + k)));
                    lanes.insert(col + k + 1, extra);
                }
            }
        }
    }
    lines
}

/// Lane `from` joins lane `into` (`into < from`); lanes right of `from`
/// shift one to the left.
fn collapse_row(width: usize, into: usize, from: usize) -> String {
    let mut cells = vec![' '; 2 * width];
    for l in 0..from {
        cells[2 * l] = '|';
    }
    for l in into + 1..from {
        // Lanes crossed on the way: `|_|_|/`.
        cells[2 * l - 1] = '_';
    }
    cells[2 * from - 1] = '/';
    for l in from + 1..width {
        cells[2 * l - 1] = '/';
    }
    trim(cells)
}

/// Lane `col` ends; lanes right of it shift one to the left.
fn shift_left_row(width: usize, col: usize) -> String {
    let mut cells = vec![' '; 2 * width];
    for l in 0..col {
        cells[2 * l] = '|';
    }
    for l in col + 1..width {
        cells[2 * l - 1] = '/';
    }
    trim(cells)
}

/// A new lane opens right of `col`; lanes right of it shift one to the right.
fn fork_row(width: usize, col: usize) -> String {
    let mut cells = vec![' '; 2 * width + 2];
    for l in 0..=col {
        cells[2 * l] = '|';
    }
    cells[2 * col + 1] = '\\';
    for l in col + 1..width {
        cells[2 * l + 1] = '\\';
    }
    trim(cells)
}

fn trim(cells: Vec<char>) -> String {
    cells.into_iter().collect::<String>().trim_end().to_owned()
}

/// `id (decorations) message`.
fn describe(view: &View, i: usize, current: &HashSet<usize>, style: &Style) -> String {
    let revision = view.revision(i);
    let node = revision.graph_node();
    let mut tags = Vec::new();
    if view.is_head(i) {
        tags.push(style.head("head"));
    }
    if current.contains(&i) {
        tags.push(style.current("current"));
    }
    for label in node.branch_labels.iter() {
        tags.push(style.label(&format!("label: {label}")));
    }
    if !view.depends_on(i).is_empty() {
        tags.push(format!("depends on {}", view.names(&view.depends_on(i))));
    }
    let mut out = style.id(node.id);
    if !tags.is_empty() {
        out.push_str(&format!(" ({})", tags.join(", ")));
    }
    if let Some(message) = revision.message() {
        out.push(' ');
        out.push_str(message);
    }
    out
}

/// Graphviz DOT: edges point from parent to child (upgrade direction),
/// drawn bottom-up so heads are on top; `depends_on` edges are dashed.
pub(crate) fn dot(view: &View, current: &HashSet<usize>) -> String {
    let mut out = String::from(
        "digraph revisions {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n",
    );
    for &i in view.graph.topological_order() {
        let revision = view.revision(i);
        let node = revision.graph_node();
        let mut label = node.id.to_owned();
        for l in node.branch_labels.iter() {
            label.push_str(&format!(" ({l})"));
        }
        if let Some(m) = revision.message() {
            label.push_str("\\n");
            label.push_str(&dot_escape(m));
        }
        let mut attrs = vec![format!("label=\"{label}\"")];
        if view.is_head(i) {
            attrs.push("peripheries=2".into());
        }
        if current.contains(&i) {
            attrs.push("style=filled".into());
            attrs.push("fillcolor=\"#cfe8ff\"".into());
            attrs.push("xlabel=\"current\"".into());
        }
        out.push_str(&format!("  \"{}\" [{}];\n", node.id, attrs.join(", ")));
    }
    for &i in view.graph.topological_order() {
        for &p in view.graph.parents(i) {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\";\n",
                view.graph.id(p),
                view.graph.id(i)
            ));
        }
        for d in view.depends_on(i) {
            out.push_str(&format!(
                "  \"{}\" -> \"{}\" [style=dashed, label=\"depends_on\"];\n",
                view.graph.id(d),
                view.graph.id(i)
            ));
        }
    }
    out.push_str("}\n");
    out
}

fn dot_escape(text: &str) -> String {
    text.replace('\\', "\\\\").replace('"', "\\\"")
}

/// A Mermaid flowchart, bottom-up like the DOT output.
pub(crate) fn mermaid(view: &View, current: &HashSet<usize>) -> String {
    let mut out = String::from("flowchart BT\n");
    // Node names get a prefix: Mermaid reserves words such as `end`.
    let name = |i: usize| format!("r_{}", view.graph.id(i));
    for &i in view.graph.topological_order() {
        let revision = view.revision(i);
        let node = revision.graph_node();
        let mut label = node.id.to_owned();
        for l in node.branch_labels.iter() {
            label.push_str(&format!(" ({l})"));
        }
        if let Some(m) = revision.message() {
            label.push_str("<br/>");
            label.push_str(&mermaid_escape(m));
        }
        out.push_str(&format!("  {}[\"{label}\"]\n", name(i)));
    }
    for &i in view.graph.topological_order() {
        for &p in view.graph.parents(i) {
            out.push_str(&format!("  {} --> {}\n", name(p), name(i)));
        }
        for d in view.depends_on(i) {
            out.push_str(&format!("  {} -.->|depends_on| {}\n", name(d), name(i)));
        }
    }
    let heads: Vec<String> = view.graph.heads().iter().map(|&h| name(h)).collect();
    if !heads.is_empty() {
        out.push_str("  classDef head stroke-width:3px\n");
        out.push_str(&format!("  class {} head\n", heads.join(",")));
    }
    let mut cur: Vec<usize> = current.iter().copied().collect();
    cur.sort_unstable();
    if !cur.is_empty() {
        let names: Vec<String> = cur.iter().map(|&i| name(i)).collect();
        out.push_str("  classDef current fill:#cfe8ff\n");
        out.push_str(&format!("  class {} current\n", names.join(",")));
    }
    out
}

fn mermaid_escape(text: &str) -> String {
    text.replace('"', "#quot;")
        .replace('<', "#lt;")
        .replace('>', "#gt;")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::args::ColorChoice;
    use crate::view::tests::view;

    fn draw(spec: &str, current: &[usize]) -> String {
        let style = Style::decide(ColorChoice::Never, false);
        text(&view(spec), &current.iter().copied().collect(), &style).join("\n")
    }

    #[test]
    fn linear_chain_is_one_lane() {
        assert_eq!(
            draw("a: b:a c:b", &[1]),
            "* c (head) msg c\n* b (current) msg b\n* a msg a"
        );
    }

    #[test]
    fn branch_and_merge_look_like_git() {
        assert_eq!(
            draw("a: b:a c:a m:b,c d:m", &[]),
            "\
* d (head) msg d
* m msg m
|\\
| * c msg c
* | b msg b
|/
* a msg a"
        );
    }

    #[test]
    fn two_heads_join_at_the_branch_point() {
        assert_eq!(
            draw("a: b:a c:a", &[]),
            "* c (head) msg c\n| * b (head) msg b\n|/\n* a msg a"
        );
    }

    #[test]
    fn three_lanes_collapse_rightmost_first() {
        let out = draw("a: b:a c:a d:a", &[]);
        assert_eq!(
            out,
            "\
* d (head) msg d
| * c (head) msg c
| | * b (head) msg b
| |/
|/
* a msg a"
        );
    }

    #[test]
    fn labelled_independent_branches_and_dependencies() {
        let out = draw("a::core b:a x::extra y:x", &[]);
        assert_eq!(
            out,
            "* y (head) msg y\n* x (label: extra) msg x\n\n* b (head) msg b\n* a (label: core) msg a"
        );
    }

    #[test]
    fn collapse_across_a_lane_uses_underscores() {
        assert_eq!(collapse_row(3, 0, 2), "|_|/");
        assert_eq!(collapse_row(4, 0, 2), "|_|/ /");
        assert_eq!(collapse_row(4, 0, 3), "|_|_|/");
        assert_eq!(fork_row(2, 0), "|\\ \\");
        assert_eq!(shift_left_row(3, 0), " / /");
    }

    #[test]
    fn dot_and_mermaid_name_every_edge() {
        let t = view("a: b:a c:a m:b,c");
        let current: HashSet<usize> = [3].into_iter().collect();
        let d = dot(&t, &current);
        assert!(d.starts_with("digraph revisions {"), "{d}");
        for edge in [
            "\"a\" -> \"b\"",
            "\"a\" -> \"c\"",
            "\"b\" -> \"m\"",
            "\"c\" -> \"m\"",
        ] {
            assert!(d.contains(edge), "{edge} in {d}");
        }
        assert!(d.contains("xlabel=\"current\""));
        let m = mermaid(&t, &current);
        assert!(m.starts_with("flowchart BT\n"), "{m}");
        assert!(m.contains("r_b --> r_m"), "{m}");
        assert!(m.contains("class r_m head"), "{m}");
        assert!(m.contains("class r_m current"), "{m}");
    }
}
