//! Plan properties over random graphs, through the public API: an upgrade
//! A→B followed by the downgrade B→A restores the applied set (exactly when
//! everything B needed beyond A comes after A; otherwise what is left is
//! precisely what is not after A), and every plan runs each revision after
//! its parents and `depends_on` revisions (upgrade) or before them
//! (downgrade).

use migrate_core::{GraphNode, Header, HeaderLines, RevisionGraph, Target};

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

fn header(id: String, parents: Vec<String>, depends: Vec<String>) -> Header {
    Header {
        revision: id,
        down_revision: parents,
        depends_on: depends,
        branch_labels: Vec::new(),
        message: None,
        create_date: None,
        transactional: true,
        lock_timeout: None,
        lock_retries: None,
        data_only: false,
        replaces: Vec::new(),
        lines: HeaderLines::default(),
    }
}

/// A random DAG of `n` revisions with merges and `depends_on` edges, closed
/// by a merge of every head.
fn random_graph(rng: &mut Rng, n: usize) -> RevisionGraph {
    let id = |i: usize| format!("r{i}");
    let mut headers = Vec::new();
    let mut has_child = vec![false; n];
    for i in 0..n {
        let mut parents = Vec::new();
        if i > 0 && rng.below(6) != 0 {
            parents.push(rng.below(i));
            if i > 1 && rng.below(3) == 0 {
                let q = rng.below(i);
                if !parents.contains(&q) {
                    parents.push(q);
                }
            }
        }
        let mut depends = Vec::new();
        if i > 2 && rng.below(4) == 0 {
            let d = rng.below(i);
            if !parents.contains(&d) {
                depends.push(d);
            }
        }
        for &p in &parents {
            has_child[p] = true;
        }
        headers.push(header(
            id(i),
            parents.into_iter().map(id).collect(),
            depends.into_iter().map(id).collect(),
        ));
    }
    let heads: Vec<String> = (0..n).filter(|&i| !has_child[i]).map(id).collect();
    if heads.len() > 1 {
        headers.push(header("merge".into(), heads, Vec::new()));
    }
    let paths: Vec<String> = headers
        .iter()
        .map(|h| format!("m/{}.sql", h.revision))
        .collect();
    RevisionGraph::build(
        headers
            .iter()
            .zip(&paths)
            .map(|(h, p)| GraphNode::from_header(h, p, true)),
    )
    .unwrap_or_else(|e| panic!("{e:?}"))
}

/// Applies `steps`, asserting the order a plan promises.
fn apply(g: &RevisionGraph, state: &mut [bool], steps: &[usize], upgrade: bool, what: &str) {
    for &i in steps {
        if upgrade {
            assert!(!state[i], "{what}: {} applied twice", g.id(i));
            for &p in g.parents(i).iter().chain(g.depends_on(i)) {
                assert!(state[p], "{what}: {} runs before {}", g.id(i), g.id(p));
            }
            state[i] = true;
        } else {
            assert!(state[i], "{what}: {} undone while not applied", g.id(i));
            for (c, &applied) in state.iter().enumerate() {
                let needs = g.parents(c).contains(&i) || g.depends_on(c).contains(&i);
                assert!(
                    !(applied && needs),
                    "{what}: {} undone while {} still needs it",
                    g.id(i),
                    g.id(c)
                );
            }
            state[i] = false;
        }
    }
}

#[test]
fn upgrade_then_downgrade_restores_the_applied_set_and_plans_are_ordered() {
    let mut rng = Rng(0x0dd_ba11_5eed);
    let mut restored_exactly = 0;
    for case in 0..400 {
        let n = 2 + rng.below(30);
        let g = random_graph(&mut rng, n);
        let a = rng.below(g.len());
        let b = rng.below(g.len());
        let what = format!("case {case}: {} -> {}", g.id(a), g.id(b));

        // At A: A and everything it needs.
        let start = g.ancestors_inclusive(&[a]);
        let to_b = Target::Revision(g.id(b).to_owned());
        let Ok(up) = g.plan_upgrade(&to_b, &start) else {
            // B behind A: nothing to upgrade to; the downgrade side is
            // covered from head below.
            continue;
        };
        let mut at_b = start.clone();
        apply(&g, &mut at_b, &up.steps, true, &what);
        assert!(at_b[b], "{what}: B applied");
        let need_b = g.ancestors_inclusive(&[b]);
        for i in 0..g.len() {
            assert_eq!(
                at_b[i],
                start[i] || need_b[i],
                "{what}: {} after upgrade",
                g.id(i)
            );
        }

        let to_a = Target::Revision(g.id(a).to_owned());
        let down = g
            .plan_downgrade(&to_a, &at_b)
            .unwrap_or_else(|e| panic!("{what}: {e}"));
        let mut back = at_b.clone();
        apply(&g, &mut back, &down.steps, false, &what);
        let after_a = g.descendants(&[a]);
        for i in 0..g.len() {
            assert_eq!(
                back[i],
                at_b[i] && !after_a[i],
                "{what}: {} after downgrade",
                g.id(i)
            );
        }
        let added_all_after_a = (0..g.len()).all(|i| !at_b[i] || start[i] || after_a[i]);
        if added_all_after_a {
            assert_eq!(back, start, "{what}: A→B→A restores the applied set");
            restored_exactly += 1;
        }

        // From nothing: base → B → base restores the empty set.
        let none = vec![false; g.len()];
        let up = g.plan_upgrade(&to_b, &none).unwrap();
        let mut state = none.clone();
        apply(&g, &mut state, &up.steps, true, &what);
        assert_eq!(
            state, need_b,
            "{what}: base → B applies exactly what B needs"
        );
        let down = g.plan_downgrade(&Target::Base, &state).unwrap();
        apply(&g, &mut state, &down.steps, false, &what);
        assert_eq!(state, none, "{what}: B → base empties the set");

        // Head and back to A.
        let up = g.plan_upgrade(&Target::Head, &start).unwrap();
        let mut state = start.clone();
        apply(&g, &mut state, &up.steps, true, &what);
        assert!(state.iter().all(|&x| x), "{what}: head applies everything");
        let down = g.plan_downgrade(&to_a, &state).unwrap();
        apply(&g, &mut state, &down.steps, false, &what);
        for i in 0..g.len() {
            assert_eq!(state[i], !after_a[i], "{what}: {} after head → A", g.id(i));
        }
    }
    assert!(
        restored_exactly >= 100,
        "only {restored_exactly} exact round trips"
    );
}
