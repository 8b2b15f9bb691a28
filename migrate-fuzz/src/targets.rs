//! The fuzz targets: each takes raw bytes, drives one part of migrate-core,
//! and panics when an invariant does not hold. The returned number is a
//! coarse signature of the outcome (which errors, how many statements); the
//! fuzzer keeps inputs that produce a signature it has not seen.

use std::collections::hash_map::DefaultHasher;
use std::hash::{Hash, Hasher};

use migrate_core::sql::{check_section, split_statements};
use migrate_core::{
    DialectCheck, Error, GraphNode, Header, HeaderLines, Plan, Revision, RevisionGraph, Section,
    Target, is_valid_revision_id, normalize_text, parse_revision,
};

/// Every target, by name.
pub const TARGETS: &[&str] = &["file", "header", "target", "graph", "sql"];

/// Separates the files of one `graph` input.
pub const FILE_SEPARATOR: &str = "-- fuzz:next-file";

/// Runs target `name` on `data`.
pub fn run(name: &str, data: &[u8]) -> u64 {
    match name {
        "file" => file(data),
        "header" => header(data),
        "target" => target(data),
        "graph" => graph(data),
        "sql" => sql(data),
        other => panic!("unknown target {other}"),
    }
}

fn hash<T: Hash>(value: T) -> u64 {
    let mut h = DefaultHasher::new();
    value.hash(&mut h);
    h.finish()
}

/// Bytes as the loader would see them: invalid UTF-8 is rejected by the
/// loader before parsing, so the parser gets the lossy text to still see
/// everything around the bad bytes.
fn text(data: &[u8]) -> String {
    String::from_utf8_lossy(data).into_owned()
}

/// A file path that contains the revision id written in `text`, so the
/// file-name check does not reject every input.
fn path_for(text: &str) -> String {
    let id = text
        .find("revision:")
        .map(|i| {
            text[i + "revision:".len()..]
                .trim_start_matches([' ', '\t'])
                .chars()
                .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
                .take(64)
                .collect::<String>()
        })
        .filter(|id| !id.is_empty())
        .unwrap_or_else(|| "x".to_owned());
    format!("migrations/2025_01_01_0000-{id}_fuzz.sql")
}

fn error_signature(errors: &[Error]) -> u64 {
    let mut kinds: Vec<u64> = errors
        .iter()
        .map(|e| hash(std::mem::discriminant(e)))
        .collect();
    kinds.sort_unstable();
    kinds.dedup();
    hash(kinds)
}

fn check_errors(path: &str, errors: &[Error]) {
    assert!(!errors.is_empty(), "{path}: Err with no error");
    for e in errors {
        let message = e.to_string();
        assert!(
            !message.trim().is_empty(),
            "{path}: empty message for {e:?}"
        );
    }
}

fn check_section_ranges(section: &Section) {
    let mut previous_end = 0;
    for s in &section.statements {
        assert!(
            s.start <= s.end && s.end <= section.sql.len(),
            "statement range {}..{} outside section of {} bytes",
            s.start,
            s.end,
            section.sql.len()
        );
        assert!(
            section.sql.is_char_boundary(s.start) && section.sql.is_char_boundary(s.end),
            "statement range {}..{} splits a character",
            s.start,
            s.end
        );
        assert!(
            s.start >= previous_end,
            "statements overlap at byte {}",
            s.start
        );
        assert!(
            s.line >= section.first_line && s.column >= 1,
            "statement at {}:{} before its section (line {})",
            s.line,
            s.column,
            section.first_line
        );
        let _ = section.statement_sql(s);
        previous_end = s.end;
    }
}

fn check_revision(rev: &Revision, text: &str) {
    assert!(
        is_valid_revision_id(rev.id()),
        "accepted invalid id {:?}",
        rev.id()
    );
    for id in rev
        .header
        .down_revision
        .iter()
        .chain(&rev.header.depends_on)
        .chain(&rev.header.branch_labels)
    {
        assert!(
            is_valid_revision_id(id),
            "accepted invalid list entry {id:?}"
        );
    }
    assert!(rev.header.lines.revision >= 1, "revision line not recorded");
    check_section_ranges(&rev.upgrade);
    if let Some(down) = &rev.downgrade {
        check_section_ranges(down);
    }
    // Determinism, and the same revision from the normalised text and from
    // the same text with CRLF line endings and a BOM.
    let again = parse_revision(&rev.path, text).expect("an accepted file is accepted again");
    assert_eq!(&again, rev, "re-parse differs");
    let normal = normalize_text(text);
    let again = parse_revision(&rev.path, &normal).expect("normalised text is accepted");
    assert_eq!(&again, rev, "normalised text parses differently");
    let crlf = format!("\u{feff}{}", normal.replace('\n', "\r\n"));
    let again = parse_revision(&rev.path, &crlf).expect("CRLF text is accepted");
    assert_eq!(again.checksum, rev.checksum, "CRLF changes the checksum");
    assert_eq!(again.header, rev.header, "CRLF changes the header");
}

/// (1) A whole migration file.
fn file(data: &[u8]) -> u64 {
    let text = text(data);
    let path = path_for(&text);
    match parse_revision(&path, &text) {
        Ok(rev) => {
            check_revision(&rev, &text);
            hash((
                1u8,
                rev.upgrade.statements.len().min(8),
                rev.downgrade.as_ref().map(|d| d.statements.len().min(8)),
                rev.header.down_revision.len().min(3),
                rev.header.transactional,
            ))
        }
        Err(errors) => {
            check_errors(&path, &errors);
            error_signature(&errors)
        }
    }
}

/// (2) Header lines alone, completed by a fixed upgrade section.
fn header(data: &[u8]) -> u64 {
    let mut text = text(data);
    text.push_str("\n-- migrate:upgrade\nSELECT 1;\n");
    let path = path_for(&text);
    match parse_revision(&path, &text) {
        Ok(rev) => {
            check_revision(&rev, &text);
            hash((
                2u8,
                rev.header.down_revision.len().min(4),
                rev.header.depends_on.len().min(4),
                rev.header.branch_labels.len().min(4),
                rev.header.message.is_some(),
                rev.header.transactional,
            ))
        }
        Err(errors) => {
            check_errors(&path, &errors);
            error_signature(&errors)
        }
    }
}

fn node_header(id: &str, parents: &[&str], depends: &[&str], labels: &[&str]) -> Header {
    let list = |v: &[&str]| v.iter().map(|s| (*s).to_owned()).collect();
    Header {
        revision: id.to_owned(),
        down_revision: list(parents),
        depends_on: list(depends),
        branch_labels: list(labels),
        message: None,
        create_date: None,
        transactional: true,
        lock_timeout: None,
        lock_retries: None,
        data_only: false,
        replaces: Vec::new(),
        lines: HeaderLines {
            revision: 1,
            down_revision: 2,
            depends_on: 3,
            branch_labels: 4,
            replaces: 0,
        },
    }
}

/// The small graph targets are resolved against: a main line with a
/// labelled side branch and a merge, and an independent labelled branch
/// that depends on the main line.
fn small_graph() -> RevisionGraph {
    let headers = [
        node_header("a1", &[], &[], &[]),
        node_header("b2", &["a1"], &[], &[]),
        node_header("c3", &["b2"], &[], &[]),
        node_header("d4", &["b2"], &[], &["feature"]),
        node_header("m5", &["c3", "d4"], &[], &[]),
        node_header("e6", &["m5"], &[], &[]),
        node_header("x1", &[], &[], &["core"]),
        node_header("y2", &["x1"], &[], &[]),
        node_header("z3", &["y2"], &["c3"], &[]),
    ];
    let paths: Vec<String> = headers
        .iter()
        .map(|h| format!("m/{}.sql", h.revision))
        .collect();
    RevisionGraph::build(
        headers
            .iter()
            .zip(&paths)
            .map(|(h, p)| GraphNode::from_header(h, p, h.revision != "x1")),
    )
    .expect("the fixed graph is valid")
}

/// Applies `plan` to `state`, checking that it runs each revision once and
/// never before (upgrade) or after (downgrade) what it is ordered against.
fn apply_plan(g: &RevisionGraph, state: &mut [bool], plan: &Plan, upgrade: bool, what: &str) {
    for &i in &plan.steps {
        assert!(i < g.len(), "{what}: plan names unknown index {i}");
        let needs = g.parents(i).iter().chain(g.depends_on(i));
        if upgrade {
            assert!(!state[i], "{what}: {} applied twice", g.id(i));
            for &p in needs {
                assert!(state[p], "{what}: {} runs before {}", g.id(i), g.id(p));
            }
            state[i] = true;
        } else {
            assert!(state[i], "{what}: {} undone while not applied", g.id(i));
            for (c, &applied) in state.iter().enumerate() {
                let needs_i = g.parents(c).contains(&i) || g.depends_on(c).contains(&i);
                assert!(
                    !(applied && needs_i),
                    "{what}: {} undone before {}",
                    g.id(i),
                    g.id(c)
                );
            }
            state[i] = false;
        }
    }
}

/// Resolves and plans `target` from each applied set; checks every plan.
fn exercise_target(g: &RevisionGraph, target: &Target, applied_sets: &[Vec<bool>]) -> u64 {
    let mut outcome = Vec::new();
    for applied in applied_sets {
        let resolved = g.resolve(target, applied);
        if let Ok(heads) = &resolved {
            assert!(heads.iter().all(|&i| i < g.len()), "resolve: bad index");
        }
        let up = g.plan_upgrade(target, applied);
        if let Ok(plan) = &up {
            let mut state = applied.clone();
            apply_plan(g, &mut state, plan, true, &format!("upgrade to {target}"));
        }
        let down = g.plan_downgrade(target, applied);
        if let Ok(plan) = &down {
            let mut state = applied.clone();
            apply_plan(
                g,
                &mut state,
                plan,
                false,
                &format!("downgrade to {target}"),
            );
        }
        let stamp = g.plan_stamp(std::slice::from_ref(target), applied, false);
        if let Ok(stamp) = &stamp {
            assert!(
                stamp.add.iter().chain(&stamp.remove).all(|&i| i < g.len()),
                "stamp: bad index"
            );
            for &i in &stamp.add {
                assert!(!applied[i], "stamp adds applied {}", g.id(i));
            }
            for &i in &stamp.remove {
                assert!(applied[i], "stamp removes unapplied {}", g.id(i));
            }
        }
        for e in [
            resolved.err(),
            up.as_ref().err().cloned(),
            down.as_ref().err().cloned(),
            stamp.err(),
        ]
        .into_iter()
        .flatten()
        {
            assert!(!e.to_string().is_empty(), "empty message for {e:?}");
            outcome.push(hash(std::mem::discriminant(&e)));
        }
        outcome.push(up.map_or(99, |p| p.steps.len()) as u64);
        outcome.push(down.map_or(99, |p| p.steps.len()) as u64);
    }
    hash(outcome)
}

/// (3) The target grammar, then resolution and plans against a small graph.
fn target(data: &[u8]) -> u64 {
    let text = text(data);
    let parsed = Target::parse(&text);
    let Ok(target) = parsed else {
        return 0;
    };
    let shown = target.to_string();
    assert_eq!(
        Target::parse(&shown).as_ref(),
        Ok(&target),
        "{text:?} displays as {shown:?}, which parses differently"
    );
    let g = small_graph();
    let sets = vec![
        vec![false; g.len()],
        g.ancestors_inclusive(&[g.find("b2").unwrap()]),
        g.ancestors_inclusive(&[g.find("c3").unwrap(), g.find("y2").unwrap()]),
        g.ancestors_inclusive(&[g.find("d4").unwrap()]),
        vec![true; g.len()],
    ];
    exercise_target(&g, &target, &sets) ^ hash(std::mem::discriminant(&target))
}

/// (4) Several files, parsed and built into a graph; plans to targets named
/// after the graph's own revisions and labels.
fn graph(data: &[u8]) -> u64 {
    let text = text(data);
    let mut revisions: Vec<Revision> = Vec::new();
    let mut parse_errors = 0usize;
    for (n, chunk) in text.split(FILE_SEPARATOR).take(64).enumerate() {
        let path = path_for(chunk).replace("0000-", &format!("{n:04}-"));
        match parse_revision(&path, chunk) {
            Ok(rev) => revisions.push(rev),
            Err(e) => {
                check_errors(&path, &e);
                parse_errors += 1;
            }
        }
    }
    let g = match RevisionGraph::from_revisions(&revisions) {
        Ok(g) => g,
        Err(errors) => {
            check_errors("graph", &errors);
            return error_signature(&errors) ^ hash(parse_errors.min(4));
        }
    };
    let n = g.len();
    assert_eq!(n, revisions.len());
    // The topological order is a permutation with parents and dependencies first.
    let order = g.topological_order();
    let mut rank = vec![usize::MAX; n];
    for (r, &i) in order.iter().enumerate() {
        assert!(i < n && rank[i] == usize::MAX, "order repeats {i}");
        rank[i] = r;
    }
    assert!(rank.iter().all(|&r| r != usize::MAX), "order misses a node");
    for i in 0..n {
        for &p in g.parents(i).iter().chain(g.depends_on(i)) {
            assert!(rank[p] < rank[i], "{} ordered before {}", g.id(i), g.id(p));
        }
        assert_eq!(g.find(g.id(i)), Some(i));
    }
    for &h in g.heads() {
        assert!(g.children(h).is_empty(), "head {} has children", g.id(h));
    }

    let mut targets = vec![Target::Head, Target::Heads, Target::Base];
    for step in [1, 2, -1, -2] {
        targets.push(Target::Relative {
            from: None,
            steps: step,
        });
    }
    for i in 0..n.min(6) {
        let id = g.id(i).to_owned();
        targets.push(Target::Revision(id[..id.len().min(3)].to_owned()));
        targets.push(Target::Relative {
            from: Some(Box::new(Target::Revision(id.clone()))),
            steps: 1,
        });
        targets.push(Target::Revision(id));
        for label in g.branch_labels(i) {
            targets.push(Target::LabelHead(label.clone()));
            targets.push(Target::LabelBase(label.clone()));
        }
    }
    let mut sets = vec![vec![false; n], vec![true; n]];
    for i in (0..n).step_by((n / 3).max(1)) {
        sets.push(g.ancestors_inclusive(&[i]));
    }
    let mut signature = hash((n.min(8), g.heads().len().min(4), parse_errors.min(4)));
    for t in &targets {
        signature = signature.rotate_left(5) ^ exercise_target(&g, t, &sets);
    }
    signature
}

/// (5) The statement splitter and the per-statement syntax check.
fn sql(data: &[u8]) -> u64 {
    let text = text(data);
    let statements = split_statements(&text, 7);
    let section = Section {
        sql: text.clone(),
        first_line: 7,
        statements,
    };
    check_section_ranges(&section);
    for s in &section.statements {
        let body = section.statement_sql(s);
        assert!(
            // Whitespace as the splitter and SQL see it: space, tab, line
            // feed, carriage return, form feed and vertical tab.
            !body
                .trim_matches(|c: char| c.is_ascii_whitespace() || c == '\x0b')
                .is_empty()
                || !s.check,
            "empty statement at {}:{}",
            s.line,
            s.column
        );
    }
    // The checkers are the slow part: bound the work per input.
    let limited = Section {
        statements: section.statements.iter().take(16).copied().collect(),
        ..section.clone()
    };
    let errors = check_section("m/fuzz.sql", "upgrade", &limited, &DialectCheck::Any);
    for e in &errors {
        let Error::Sql { line, .. } = e else {
            panic!("check_section returned a non-SQL error: {e:?}");
        };
        assert!(*line >= 7, "SQL error line {line} before the section");
    }
    hash((
        section.statements.len().min(16),
        errors.len().min(16),
        errors
            .first()
            .map(|e| e.to_string().split(':').nth(3).unwrap_or("").len() / 8),
    ))
}
