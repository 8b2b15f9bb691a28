//! A lenient view of the revisions, for the commands that must work while
//! the directory is not (yet) a valid graph.
//!
//! `migrate_core::RevisionGraph` refuses a broken directory (unknown
//! parents, cycles, duplicate ids), which is right for anything that touches
//! a database, but `heads`, `history`, `graph`, `revision --head` and `merge`
//! are exactly the commands a user runs to see and repair such a state. This
//! tree keeps whatever links it can resolve, and the loader hands back the
//! problems next to it so each command decides what it tolerates (several
//! heads are no problem for reading, as in Alembic).

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use migrate_core::{Error, Revision};
use migrate_runtime::EmbeddedRevision;

/// One revision, as the display commands need it.
#[derive(Debug, Clone)]
pub(crate) struct Node {
    pub id: String,
    pub parents: Vec<String>,
    pub depends_on: Vec<String>,
    pub labels: Vec<String>,
    pub message: Option<String>,
    pub create_date: Option<String>,
    pub path: String,
    pub transactional: bool,
    pub reversible: bool,
    pub upgrade_sql: String,
    pub downgrade_sql: Option<String>,
}

impl Node {
    fn from_core(r: &Revision) -> Node {
        Node {
            id: r.header.revision.clone(),
            parents: r.header.down_revision.clone(),
            depends_on: r.header.depends_on.clone(),
            labels: r.header.branch_labels.clone(),
            message: r.header.message.clone(),
            create_date: r.header.create_date.clone(),
            path: r.path.clone(),
            transactional: r.header.transactional,
            reversible: r.downgrade.is_some(),
            upgrade_sql: r.upgrade.sql.clone(),
            downgrade_sql: r.downgrade.as_ref().map(|d| d.sql.clone()),
        }
    }

    fn from_embedded(r: &EmbeddedRevision) -> Node {
        let list = |items: &[std::borrow::Cow<str>]| items.iter().map(|s| s.to_string()).collect();
        Node {
            id: r.id().to_owned(),
            parents: list(r.parents()),
            depends_on: list(r.depends_on()),
            labels: list(r.branch_labels()),
            message: r.message().map(str::to_owned),
            create_date: r.create_date().map(str::to_owned),
            path: r.path().to_owned(),
            transactional: r.is_transactional(),
            reversible: r.downgrade().is_some(),
            upgrade_sql: r.upgrade().sql().to_owned(),
            downgrade_sql: r.downgrade().map(|d| d.sql().to_owned()),
        }
    }
}

/// Revisions with parent/child links; unknown ids are left out of the links.
#[derive(Debug, Clone)]
pub(crate) struct Tree {
    pub nodes: Vec<Node>,
    index: HashMap<String, usize>,
    labels: HashMap<String, usize>,
    parents: Vec<Vec<usize>>,
    depends: Vec<Vec<usize>>,
    children: Vec<Vec<usize>>,
    /// Children plus revisions that depend on this one.
    dependents: Vec<Vec<usize>>,
    heads: Vec<usize>,
    /// Parents and dependencies before the revisions that need them; ties in
    /// file order. Revisions on a cycle come last, in file order.
    order: Vec<usize>,
}

/// A directory read as far as it can be, and what is wrong with it.
pub(crate) struct Loaded {
    pub tree: Tree,
    pub problems: Vec<Error>,
}

impl Loaded {
    /// Problems that make the tree untrustworthy for writing a new revision:
    /// everything except several heads (which `revision --head` and `merge`
    /// are there to handle).
    pub fn blocking_problems(&self) -> Vec<&Error> {
        self.problems
            .iter()
            .filter(|e| !matches!(e, Error::MultipleHeads { .. }))
            .collect()
    }
}

/// Reads every `*.sql` file of `dir` (without the SQL syntax check).
///
/// Only a missing or unreadable directory is an error; problems in files or
/// links come back in [`Loaded::problems`].
pub(crate) fn load(dir: &Path, display: &str, max_file_size: u64) -> Result<Loaded, Error> {
    let listed = migrate_core::list_sql_files(dir, display)?;
    let mut problems = listed.problems;
    let mut revisions = Vec::new();
    for name in listed.names {
        let path = format!("{}/{}", display.trim_end_matches('/'), name);
        let text = match migrate_core::read_migration_file(&dir.join(&name), &path, max_file_size) {
            Ok(text) => text,
            Err(e) => {
                problems.push(e);
                continue;
            }
        };
        match migrate_core::parse_revision(&path, &text) {
            Ok(rev) => revisions.push(rev),
            Err(errors) => problems.extend(errors),
        }
    }
    if let Err(errors) = migrate_core::RevisionGraph::from_revisions(&revisions) {
        problems.extend(errors);
    }
    let tree = Tree::new(revisions.iter().map(Node::from_core).collect());
    Ok(Loaded { tree, problems })
}

impl Tree {
    /// The tree of an embedded (or directory-loaded) revision table.
    pub fn from_embedded(revisions: &[EmbeddedRevision]) -> Tree {
        Tree::new(revisions.iter().map(Node::from_embedded).collect())
    }

    pub fn new(nodes: Vec<Node>) -> Tree {
        let n = nodes.len();
        let mut index = HashMap::with_capacity(n);
        let mut labels = HashMap::new();
        for (i, node) in nodes.iter().enumerate() {
            index.entry(node.id.clone()).or_insert(i);
            for label in &node.labels {
                labels.entry(label.clone()).or_insert(i);
            }
        }
        let resolve = |ids: &[String]| -> Vec<usize> {
            let mut out: Vec<usize> = Vec::new();
            for id in ids {
                if let Some(&i) = index.get(id)
                    && !out.contains(&i)
                {
                    out.push(i);
                }
            }
            out
        };
        let parents: Vec<Vec<usize>> = nodes.iter().map(|n| resolve(&n.parents)).collect();
        let depends: Vec<Vec<usize>> = nodes.iter().map(|n| resolve(&n.depends_on)).collect();
        let mut children = vec![Vec::new(); n];
        for (i, ps) in parents.iter().enumerate() {
            for &p in ps {
                children[p].push(i);
            }
        }
        // A duplicate id is not a separate head: only first occurrences count.
        let heads = (0..n)
            .filter(|&i| children[i].is_empty() && index.get(&nodes[i].id) == Some(&i))
            .collect();

        let mut pending: Vec<usize> = (0..n)
            .map(|i| parents[i].len() + depends[i].len())
            .collect();
        let mut dependents = vec![Vec::new(); n];
        for i in 0..n {
            for &p in parents[i].iter().chain(&depends[i]) {
                dependents[p].push(i);
            }
        }
        let mut ready: BTreeSet<usize> = (0..n).filter(|&i| pending[i] == 0).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(i) = ready.pop_first() {
            order.push(i);
            for &d in &dependents[i] {
                pending[d] -= 1;
                if pending[d] == 0 {
                    ready.insert(d);
                }
            }
        }
        let placed: Vec<bool> = {
            let mut v = vec![false; n];
            for &i in &order {
                v[i] = true;
            }
            v
        };
        order.extend((0..n).filter(|&i| !placed[i]));

        Tree {
            nodes,
            index,
            labels,
            parents,
            depends,
            children,
            dependents,
            heads,
            order,
        }
    }

    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn node(&self, i: usize) -> &Node {
        &self.nodes[i]
    }

    pub fn id(&self, i: usize) -> &str {
        &self.nodes[i].id
    }

    pub fn find(&self, id: &str) -> Option<usize> {
        self.index.get(id).copied()
    }

    pub fn heads(&self) -> &[usize] {
        &self.heads
    }

    pub fn is_head(&self, i: usize) -> bool {
        self.children[i].is_empty()
    }

    pub fn parents(&self, i: usize) -> &[usize] {
        &self.parents[i]
    }

    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    pub fn depends_on(&self, i: usize) -> &[usize] {
        &self.depends[i]
    }

    pub fn is_branchpoint(&self, i: usize) -> bool {
        self.children[i].len() > 1
    }

    pub fn is_mergepoint(&self, i: usize) -> bool {
        self.parents[i].len() > 1
    }

    /// Topological order, parents first.
    pub fn order(&self) -> &[usize] {
        &self.order
    }

    /// A revision by full id, branch label or unambiguous id prefix, with
    /// the core's (Alembic's) messages.
    pub fn lookup(&self, text: &str) -> Result<usize, Error> {
        if let Some(i) = self.find(text).or_else(|| self.labels.get(text).copied()) {
            return Ok(i);
        }
        let matches: Vec<usize> = (0..self.len())
            .filter(|&i| {
                self.nodes[i].id.starts_with(text) && self.find(&self.nodes[i].id) == Some(i)
            })
            .collect();
        match matches[..] {
            [one] => Ok(one),
            [] => Err(Error::UnknownRevision {
                revision: text.to_owned(),
            }),
            _ => Err(Error::AmbiguousRevision {
                prefix: text.to_owned(),
                candidates: self.names(&matches),
            }),
        }
    }

    /// The heads above `i` (itself if it is a head).
    pub fn heads_above(&self, i: usize) -> Vec<usize> {
        let below = self.descendants_inclusive(&[i]);
        self.heads.iter().copied().filter(|&h| below[h]).collect()
    }

    /// `targets` and everything after them (children and dependents).
    pub fn descendants_inclusive(&self, targets: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack = targets.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(self.dependents[i].iter().copied());
            }
        }
        seen
    }

    /// `targets` and everything they need (parents and dependencies).
    pub fn ancestors_inclusive(&self, targets: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack = targets.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(self.parents[i].iter().chain(&self.depends[i]).copied());
            }
        }
        seen
    }

    pub fn names(&self, items: &[usize]) -> String {
        items
            .iter()
            .map(|&i| self.nodes[i].id.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `id:parent,parent[:label]` entries separated by spaces.
    pub(crate) fn tree(spec: &str) -> Tree {
        Tree::new(
            spec.split_whitespace()
                .map(|entry| {
                    let mut parts = entry.split(':');
                    let id = parts.next().unwrap().to_owned();
                    let list = |s: Option<&str>| -> Vec<String> {
                        s.unwrap_or("")
                            .split(',')
                            .filter(|x| !x.is_empty())
                            .map(str::to_owned)
                            .collect()
                    };
                    let parents = list(parts.next());
                    let labels = list(parts.next());
                    Node {
                        message: Some(format!("msg {id}")),
                        path: format!("m/{id}.sql"),
                        id,
                        parents,
                        depends_on: Vec::new(),
                        labels,
                        create_date: None,
                        transactional: true,
                        reversible: true,
                        upgrade_sql: String::new(),
                        downgrade_sql: None,
                    }
                })
                .collect(),
        )
    }

    #[test]
    fn two_heads_are_kept_with_their_links() {
        let t = tree("a: b:a c:a");
        assert_eq!(t.heads(), &[1, 2]);
        assert!(t.is_branchpoint(0));
        assert_eq!(t.heads_above(0), vec![1, 2]);
        assert_eq!(t.order(), &[0, 1, 2]);
    }

    #[test]
    fn lookup_by_id_label_and_prefix() {
        let t = tree("ab1: ab2:ab1:core");
        assert_eq!(t.lookup("ab1").unwrap(), 0);
        assert_eq!(t.lookup("core").unwrap(), 1);
        assert!(
            t.lookup("ab")
                .unwrap_err()
                .to_string()
                .starts_with("Multiple revisions start with 'ab'")
        );
        assert!(
            t.lookup("zz")
                .unwrap_err()
                .to_string()
                .starts_with("Can't locate revision identified by 'zz'")
        );
    }

    #[test]
    fn cycles_do_not_lose_revisions() {
        let t = tree("a: b:a,c c:b");
        assert_eq!(t.order().len(), 3);
    }
}
