//! The revision graph, the one home of revision links: parents,
//! dependencies, branch labels, heads and a deterministic topological order,
//! built strictly (every problem refused) or leniently (what resolves, plus
//! the problems) from nodes borrowed from a directory or an embedded table.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::sync::Arc;

use crate::error::Error;
use crate::revision::{Header, HeaderLines, Revision};

/// What the graph needs to know of one revision, borrowed from wherever the
/// revision lives: a parsed file ([`Revision::graph_node`]) or a table built
/// at compile time. Nothing is copied until the graph stores it.
#[derive(Debug, Clone, Copy)]
pub struct GraphNode<'a> {
    /// The revision's id.
    pub id: &'a str,
    /// Parent revisions (`down_revision`).
    pub parents: IdList<'a>,
    /// `depends_on` revisions.
    pub depends_on: IdList<'a>,
    /// Branch labels.
    pub branch_labels: IdList<'a>,
    /// Where the header keys are, for messages (0 when unknown).
    pub lines: HeaderLines,
    /// Its file, for messages.
    pub path: &'a str,
    /// Whether it has a downgrade section.
    pub reversible: bool,
}

impl<'a> GraphNode<'a> {
    /// The node of a parsed header (what the graph was built from before it
    /// borrowed lists of either kind).
    pub fn from_header(header: &'a Header, path: &'a str, reversible: bool) -> GraphNode<'a> {
        GraphNode {
            id: &header.revision,
            parents: IdList::from(&header.down_revision[..]),
            depends_on: IdList::from(&header.depends_on[..]),
            branch_labels: IdList::from(&header.branch_labels[..]),
            lines: header.lines,
            path,
            reversible,
        }
    }
}

// Here rather than in revision.rs: the graph reads revisions, and a
// revision need not know the graph (no import loop).
impl Revision {
    /// What the revision graph reads of this revision, borrowed.
    pub fn graph_node(&self) -> GraphNode<'_> {
        GraphNode::from_header(&self.header, &self.path, self.downgrade.is_some())
    }
}

/// A borrowed list of revision ids or labels: owned strings of a parsed
/// header, or the `&'static str` slices of an embedded table.
#[derive(Debug, Clone, Copy)]
pub enum IdList<'a> {
    /// From a parsed header.
    Strings(&'a [String]),
    /// From a compiled table.
    Strs(&'a [&'a str]),
    /// From a packed table: the ids joined by newlines (none when empty).
    /// An id never holds a newline: headers are one line each.
    Lines(&'a str),
}

impl<'a> IdList<'a> {
    /// The ids, in the order written.
    pub fn iter(&self) -> IdIter<'a> {
        IdIter {
            list: *self,
            next: 0,
        }
    }

    /// The id at `i`.
    pub fn get(&self, i: usize) -> Option<&'a str> {
        match *self {
            IdList::Strings(s) => s.get(i).map(String::as_str),
            IdList::Strs(s) => s.get(i).copied(),
            IdList::Lines("") => None,
            IdList::Lines(s) => s.split('\n').nth(i),
        }
    }

    /// Number of ids.
    pub fn len(&self) -> usize {
        match self {
            IdList::Strings(s) => s.len(),
            IdList::Strs(s) => s.len(),
            IdList::Lines("") => 0,
            IdList::Lines(s) => s.split('\n').count(),
        }
    }

    /// Is the list empty?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The ids joined by `separator`.
    pub fn join(&self, separator: &str) -> String {
        self.iter().collect::<Vec<_>>().join(separator)
    }
}

/// The ids of an [`IdList`], in order.
#[derive(Debug, Clone)]
pub struct IdIter<'a> {
    list: IdList<'a>,
    next: usize,
}

impl<'a> Iterator for IdIter<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        let id = self.list.get(self.next)?;
        self.next += 1;
        Some(id)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.list.len() - self.next;
        (left, Some(left))
    }
}

impl ExactSizeIterator for IdIter<'_> {}

impl<'a> From<&'a [String]> for IdList<'a> {
    fn from(list: &'a [String]) -> IdList<'a> {
        IdList::Strings(list)
    }
}

impl<'a> From<&'a [&'a str]> for IdList<'a> {
    fn from(list: &'a [&'a str]) -> IdList<'a> {
        IdList::Strs(list)
    }
}

/// Whether a graph may end in several heads that are not labelled branches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeadRule {
    /// Two unlabelled heads are an error: what `embed_migrations!` and
    /// `migrate check` require, so a build never ships an unmerged branch.
    Merged,
    /// Any number of heads, as Alembic reads a directory: targets that need
    /// one head (`head`) refuse at resolution, `heads` takes them all.
    Any,
}

/// Revisions linked by `down_revision` (parents) and `depends_on` edges.
///
/// Nodes are numbered in input order (the loader sorts files by name); every
/// index a method takes or returns is such a number.
#[derive(Debug, Clone)]
pub struct RevisionGraph {
    // Per-node strings and lists live in one buffer each, not one
    // allocation per node: an application keeps this graph for its whole
    // life, and at 10,000 revisions the allocations alone were megabytes.
    pub(crate) ids: Texts,
    pub(crate) paths: Texts,
    pub(crate) reversible: Vec<bool>,
    pub(crate) labels: Lists<String>,
    pub(crate) parents: Lists,
    pub(crate) depends: Lists,
    pub(crate) children: Lists,
    /// Children plus revisions that depend on this one.
    pub(crate) dependents: Lists,
    /// Node numbers sorted by id (the first of equal ids only), for
    /// [`find`](Self::find).
    pub(crate) by_id: Vec<u32>,
    pub(crate) label_index: HashMap<String, usize>,
    pub(crate) order: Vec<usize>,
    pub(crate) rank: Vec<usize>,
    pub(crate) heads: Vec<usize>,
}

impl RevisionGraph {
    /// Builds the graph of parsed revisions, reporting every problem at once.
    pub fn from_revisions(revisions: &[Revision]) -> Result<RevisionGraph, Vec<Error>> {
        RevisionGraph::from_revisions_with(revisions, HeadRule::Merged)
    }

    /// [`from_revisions`](Self::from_revisions) with a choice of [`HeadRule`].
    pub fn from_revisions_with(
        revisions: &[Revision],
        rule: HeadRule,
    ) -> Result<RevisionGraph, Vec<Error>> {
        RevisionGraph::build_with(revisions.iter().map(Revision::graph_node), rule)
    }

    /// [`build_lenient`](Self::build_lenient) of parsed revisions.
    pub fn from_revisions_lenient(revisions: &[Revision]) -> (RevisionGraph, Vec<Error>) {
        RevisionGraph::build_lenient(revisions.iter().map(Revision::graph_node))
    }

    /// Builds a graph: unique ids, known parents and dependencies, no cycles,
    /// unique branch labels, and one head unless each extra head is an
    /// independent branch with a label of its own.
    pub fn build<'a, I>(nodes: I) -> Result<RevisionGraph, Vec<Error>>
    where
        I: IntoIterator<Item = GraphNode<'a>>,
        I::IntoIter: Clone,
    {
        RevisionGraph::build_with(nodes, HeadRule::Merged)
    }

    /// [`build`](Self::build), with several unlabelled heads allowed when
    /// `rule` is [`HeadRule::Any`]: the [lenient build](Self::build_lenient)
    /// with no problems, then, under [`HeadRule::Merged`],
    /// [`check_heads`](Self::check_heads).
    pub fn build_with<'a, I>(nodes: I, rule: HeadRule) -> Result<RevisionGraph, Vec<Error>>
    where
        I: IntoIterator<Item = GraphNode<'a>>,
        I::IntoIter: Clone,
    {
        RevisionGraph::strict(RevisionGraph::build_lenient(nodes), rule)
    }

    /// A lenient build's graph when it has no problems and, under
    /// [`HeadRule::Merged`], passes [`check_heads`](Self::check_heads).
    fn strict(
        (graph, mut errors): (RevisionGraph, Vec<Error>),
        rule: HeadRule,
    ) -> Result<RevisionGraph, Vec<Error>> {
        if errors.is_empty()
            && rule == HeadRule::Merged
            && let Err(error) = graph.check_heads()
        {
            errors.push(error);
        }
        if errors.is_empty() {
            Ok(graph)
        } else {
            Err(errors)
        }
    }

    /// Builds the graph of whatever resolves, and lists the problems the
    /// strict [`build`](Self::build) would refuse, in its order and words
    /// (Alembic's `RevisionMap` reads a broken directory the same way, so
    /// `heads`, `history` and `merge` can show and repair it):
    ///
    /// - an unknown parent or dependency is left out of the links;
    /// - of several revisions with one id, the first (in input order) is the
    ///   one [`find`](Self::find) returns, and only it can be a head;
    /// - of several revisions with one branch label, the first keeps it;
    /// - links on a cycle are kept; the revisions on a cycle, and those that
    ///   come after one, end the [topological order](Self::topological_order)
    ///   in input order.
    ///
    /// Several heads are not a problem here: [`check_heads`](Self::check_heads)
    /// is the separate rule the strict build applies.
    pub fn build_lenient<'a, I>(nodes: I) -> (RevisionGraph, Vec<Error>)
    where
        I: IntoIterator<Item = GraphNode<'a>>,
        I::IntoIter: Clone,
    {
        RevisionGraph::build_lenient_named(nodes, None)
    }

    /// [`build`](Self::build), reading each node's id and path from
    /// `names` (by node number) instead of keeping a copy of them: for a
    /// table that the graph can share, such as the one a migrator embeds.
    /// `names` must name the nodes as `nodes` does, in the same order.
    pub fn build_named<'a, I>(
        nodes: I,
        names: Arc<dyn NodeNames>,
    ) -> Result<RevisionGraph, Vec<Error>>
    where
        I: IntoIterator<Item = GraphNode<'a>>,
        I::IntoIter: Clone,
    {
        RevisionGraph::strict(
            RevisionGraph::build_lenient_named(nodes, Some(names)),
            HeadRule::Merged,
        )
    }

    fn build_lenient_named<'a, I>(
        nodes: I,
        names: Option<Arc<dyn NodeNames>>,
    ) -> (RevisionGraph, Vec<Error>)
    where
        I: IntoIterator<Item = GraphNode<'a>>,
        I::IntoIter: Clone,
    {
        // Two passes over the nodes rather than a copy of them: the graph
        // is built at start-up by applications that embed thousands of
        // revisions, and every temporary here is a peak of the process.
        let nodes = nodes.into_iter();
        let mut reversible = Vec::new();
        let (ids, paths) = match names {
            Some(names) => {
                reversible.extend(nodes.clone().map(|node| node.reversible));
                let n = reversible.len();
                (
                    Texts::shared(names.clone(), false, n),
                    Texts::shared(names, true, n),
                )
            }
            None => {
                let mut ids = Texts::default();
                let mut paths = Texts::default();
                for node in nodes.clone() {
                    ids.push(node.id);
                    paths.push(node.path);
                    reversible.push(node.reversible);
                }
                ids.shrink_to_fit();
                paths.shrink_to_fit();
                (ids, paths)
            }
        };
        let n = ids.len();

        // Node numbers sorted by id, equal ids in input order: the first of
        // a run is the one `find` returns, the others are duplicates.
        let mut sorted: Vec<u32> = (0..n as u32).collect();
        sorted.sort_by(|&a, &b| ids.get(a as usize).cmp(ids.get(b as usize)));
        let mut duplicates: Vec<(u32, u32)> = Vec::new();
        let mut by_id: Vec<u32> = Vec::with_capacity(n);
        for &i in &sorted {
            match by_id.last() {
                Some(&first) if ids.get(first as usize) == ids.get(i as usize) => {
                    duplicates.push((i, first));
                }
                _ => by_id.push(i),
            }
        }
        drop(sorted);
        duplicates.sort_unstable();
        let find = |id: &str| {
            by_id
                .binary_search_by(|&i| ids.get(i as usize).cmp(id))
                .ok()
                .map(|k| by_id[k] as usize)
        };

        let mut errors = Vec::new();
        let mut link_errors = Vec::new();
        let mut label_index: HashMap<String, usize> = HashMap::new();
        let mut parents = Lists::with_capacity(n);
        let mut depends = Lists::with_capacity(n);
        let mut labels = Lists::with_capacity(n);
        let mut next_duplicate = duplicates.iter().peekable();
        for (i, node) in nodes.clone().enumerate() {
            if let Some(&(_, first)) = next_duplicate.next_if(|d| d.0 as usize == i) {
                errors.push(Error::DuplicateRevision {
                    path: paths[i].to_owned(),
                    line: node.lines.revision,
                    revision: node.id.to_owned(),
                    other: paths[first as usize].to_owned(),
                });
            }
            for parent in node.parents.iter() {
                match find(parent) {
                    Some(p) if !parents.last().contains(&p) => parents.push(p),
                    Some(_) => {}
                    None => link_errors.push(Error::UnknownParent {
                        path: paths[i].to_owned(),
                        line: node.lines.down_revision,
                        parent: parent.to_owned(),
                    }),
                }
            }
            parents.end_list();
            for dependency in node.depends_on.iter() {
                match find(dependency) {
                    Some(d) if !depends.last().contains(&d) && !parents[i].contains(&d) => {
                        depends.push(d)
                    }
                    Some(_) => {}
                    None => link_errors.push(Error::UnknownDependency {
                        path: paths[i].to_owned(),
                        line: node.lines.depends_on,
                        dependency: dependency.to_owned(),
                    }),
                }
            }
            depends.end_list();
            for label in node.branch_labels.iter() {
                if let Some(&other) = label_index.get(label) {
                    link_errors.push(Error::DuplicateBranchLabel {
                        path: paths[i].to_owned(),
                        line: node.lines.branch_labels,
                        label: label.to_owned(),
                        other: ids[other].to_owned(),
                    });
                } else {
                    label_index.insert(label.to_owned(), i);
                }
                labels.push(label.to_owned());
            }
            labels.end_list();
        }
        errors.append(&mut link_errors);
        let children = Lists::reverse(n, &[&parents]);
        let dependents = Lists::reverse(n, &[&parents, &depends]);

        // Kahn's algorithm; ties go to the earlier file so the order is stable.
        let mut pending: Vec<usize> = (0..n)
            .map(|i| parents[i].len() + depends[i].len())
            .collect();
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..n).filter(|&i| pending[i] == 0).map(Reverse).collect();
        let mut order = Vec::with_capacity(n);
        while let Some(Reverse(i)) = ready.pop() {
            order.push(i);
            for &d in &dependents[i] {
                pending[d] -= 1;
                if pending[d] == 0 {
                    ready.push(Reverse(d));
                }
            }
        }
        if order.len() < n {
            let on_cycle: Vec<usize> = (0..n).filter(|&i| pending[i] > 0).collect();
            order.extend(&on_cycle);
            let cycle = on_cycle
                .iter()
                .map(|&i| &ids[i])
                .collect::<Vec<_>>()
                .join(" -> ");
            let mut next_on_cycle = on_cycle.iter().peekable();
            for (i, node) in nodes.enumerate() {
                if next_on_cycle.next_if(|&&k| k == i).is_none() {
                    continue;
                }
                // Only report the nodes that are really on a cycle, not the ones
                // merely downstream of it.
                if reaches(|k| &dependents[k], n, i, i) {
                    errors.push(Error::Cycle {
                        path: paths[i].to_owned(),
                        line: node.lines.down_revision,
                        revision: node.id.to_owned(),
                        cycle: cycle.clone(),
                    });
                }
            }
        }
        let mut rank = vec![0; n];
        for (position, &i) in order.iter().enumerate() {
            rank[i] = position;
        }
        let heads: Vec<usize> = (0..n)
            .filter(|&i| children[i].is_empty() && find(&ids[i]) == Some(i))
            .collect();

        let graph = RevisionGraph {
            ids,
            paths,
            reversible,
            labels,
            parents,
            depends,
            children,
            dependents,
            by_id,
            label_index,
            order,
            rank,
            heads,
        };
        (graph, errors)
    }

    /// The single-unlabelled-head rule of [`HeadRule::Merged`]: several heads
    /// are fine only when every head but one has a branch label that no
    /// other head descends from (Alembic's labelled branches). Otherwise the
    /// "Multiple head revisions" error, naming every head.
    pub fn check_heads(&self) -> Result<(), Error> {
        if self.heads.len() <= 1 {
            return Ok(());
        }
        let mut exclusive = vec![false; self.ids.len()];
        for &labelled in self.label_index.values() {
            let reached: Vec<usize> = self
                .heads
                .iter()
                .copied()
                .filter(|&h| h == labelled || self.is_descendant(h, labelled))
                .collect();
            if let [only] = reached[..] {
                exclusive[only] = true;
            }
        }
        // One unlabelled head (the trunk) may sit beside labelled branches;
        // two unlabelled heads are two parallel changes that need a merge.
        let bad: Vec<usize> = self
            .heads
            .iter()
            .copied()
            .filter(|&h| !exclusive[h])
            .collect();
        if bad.len() <= 1 {
            return Ok(());
        }
        let heads = self
            .heads
            .iter()
            .map(|&h| format!("{} ({})", &self.ids[h], &self.paths[h]))
            .collect::<Vec<_>>()
            .join(", ");
        Err(Error::MultipleHeads {
            path: self.paths[bad[0]].to_owned(),
            heads,
        })
    }

    /// Number of revisions.
    pub fn len(&self) -> usize {
        self.ids.len()
    }

    /// Is the graph empty?
    pub fn is_empty(&self) -> bool {
        self.ids.len() == 0
    }

    /// The id of revision `i`.
    pub fn id(&self, i: usize) -> &str {
        &self.ids[i]
    }

    /// The file of revision `i`.
    pub fn path(&self, i: usize) -> &str {
        &self.paths[i]
    }

    /// Whether revision `i` has a downgrade section.
    pub fn is_reversible(&self, i: usize) -> bool {
        self.reversible[i]
    }

    /// The index of the revision with exactly this id.
    pub fn find(&self, id: &str) -> Option<usize> {
        self.by_id
            .binary_search_by(|&i| self.ids.get(i as usize).cmp(id))
            .ok()
            .map(|k| self.by_id[k] as usize)
    }

    /// Head revisions (no children), in file order.
    pub fn heads(&self) -> &[usize] {
        &self.heads
    }

    /// Base revisions (no parents), in file order.
    pub fn bases(&self) -> Vec<usize> {
        (0..self.len())
            .filter(|&i| self.parents[i].is_empty())
            .collect()
    }

    /// Parents of revision `i`.
    pub fn parents(&self, i: usize) -> &[usize] {
        &self.parents[i]
    }

    /// Children of revision `i`.
    pub fn children(&self, i: usize) -> &[usize] {
        &self.children[i]
    }

    /// `depends_on` revisions of `i`.
    pub fn depends_on(&self, i: usize) -> &[usize] {
        &self.depends[i]
    }

    /// Branch labels declared on revision `i`.
    pub fn branch_labels(&self, i: usize) -> &[String] {
        &self.labels[i]
    }

    /// The revision carrying `label`.
    pub fn find_label(&self, label: &str) -> Option<usize> {
        self.label_index.get(label).copied()
    }

    /// Every revision, parents and dependencies before the revisions that need them.
    pub fn topological_order(&self) -> &[usize] {
        &self.order
    }

    /// Is `a` reached from `b` by following children and dependents (a after b)?
    pub fn is_descendant(&self, a: usize, b: usize) -> bool {
        a != b && reaches(|k| &self.dependents[k], self.len(), b, a)
    }

    /// `targets` and everything they need: parents and dependencies, transitively.
    pub fn ancestors_inclusive(&self, targets: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = targets.to_vec();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(self.parents[i].iter().chain(&self.depends[i]).copied());
            }
        }
        seen
    }

    /// Everything after `targets` (not including them): children and dependents, transitively.
    pub fn descendants(&self, targets: &[usize]) -> Vec<bool> {
        let mut seen = vec![false; self.len()];
        let mut stack: Vec<usize> = targets
            .iter()
            .flat_map(|&t| self.dependents[t].iter().copied())
            .collect();
        while let Some(i) = stack.pop() {
            if !std::mem::replace(&mut seen[i], true) {
                stack.extend(self.dependents[i].iter().copied());
            }
        }
        seen
    }

    /// Sorts indices into topological order (parents first).
    pub(crate) fn sort_topological(&self, items: &mut [usize]) {
        items.sort_unstable_by_key(|&i| self.rank[i]);
    }
}

/// Can `to` be reached from `from` by one or more steps along `edges`?
fn reaches<'e>(edges: impl Fn(usize) -> &'e [usize], n: usize, from: usize, to: usize) -> bool {
    let mut seen = vec![false; n];
    let mut stack: Vec<usize> = edges(from).to_vec();
    while let Some(i) = stack.pop() {
        if i == to {
            return true;
        }
        if !std::mem::replace(&mut seen[i], true) {
            stack.extend(edges(i).iter().copied());
        }
    }
    false
}

/// One list of node numbers per node, in one buffer: node `i`'s list is
/// `items[starts[i]..starts[i + 1]]`.
#[derive(Debug, Clone)]
pub(crate) struct Lists<T = usize> {
    starts: Vec<u32>,
    items: Vec<T>,
}

impl<T> Lists<T> {
    /// No lists yet, room for `n`; fill with [`push`](Self::push) and
    /// [`end_list`](Self::end_list).
    fn with_capacity(n: usize) -> Lists<T> {
        let mut starts = Vec::with_capacity(n + 1);
        starts.push(0);
        Lists {
            starts,
            items: Vec::new(),
        }
    }

    /// Adds an item to the list being filled.
    fn push(&mut self, item: T) {
        self.items.push(item);
    }

    /// The list being filled, so far.
    fn last(&self) -> &[T] {
        &self.items[*self.starts.last().unwrap_or(&0) as usize..]
    }

    /// Ends the list being filled: the next item starts the next list.
    fn end_list(&mut self) {
        self.starts.push(self.items.len() as u32);
    }
}

impl Lists {
    /// The reverse of `lists` (all of them over the same `n` nodes): node
    /// `j`'s list holds every `i` whose list in any of them holds `j`, in
    /// increasing order, each `i` once per list it appears in.
    fn reverse(n: usize, lists: &[&Lists]) -> Lists {
        let mut starts = vec![0u32; n + 1];
        for list in lists {
            for &j in &list.items {
                starts[j + 1] += 1;
            }
        }
        for j in 0..n {
            starts[j + 1] += starts[j];
        }
        let mut fill: Vec<u32> = starts[..n].to_vec();
        let mut items = vec![0; starts[n] as usize];
        for i in 0..n {
            for list in lists {
                for &j in &list[i] {
                    items[fill[j] as usize] = i;
                    fill[j] += 1;
                }
            }
        }
        Lists { starts, items }
    }
}

impl<T> std::ops::Index<usize> for Lists<T> {
    type Output = [T];
    fn index(&self, i: usize) -> &[T] {
        &self.items[self.starts[i] as usize..self.starts[i + 1] as usize]
    }
}

/// Where a graph built by [`RevisionGraph::build_named`] reads its nodes'
/// ids and paths, by node number.
pub trait NodeNames: Send + Sync {
    /// Node `i`'s revision id.
    fn id(&self, i: usize) -> &str;
    /// Node `i`'s file path.
    fn path(&self, i: usize) -> &str;
}

/// One string per node: in one buffer, or read from shared [`NodeNames`].
#[derive(Clone)]
pub(crate) enum Texts {
    Copied {
        text: String,
        ends: Vec<u32>,
    },
    Shared {
        names: Arc<dyn NodeNames>,
        paths: bool,
        len: usize,
    },
}

impl Default for Texts {
    fn default() -> Texts {
        Texts::Copied {
            text: String::new(),
            ends: Vec::new(),
        }
    }
}

impl std::fmt::Debug for Texts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list()
            .entries((0..self.len()).map(|i| self.get(i)))
            .finish()
    }
}

impl Texts {
    fn shared(names: Arc<dyn NodeNames>, paths: bool, len: usize) -> Texts {
        Texts::Shared { names, paths, len }
    }

    /// Adds a string (to a copied list; a shared one has its strings).
    fn push(&mut self, s: &str) {
        if let Texts::Copied { text, ends } = self {
            text.push_str(s);
            ends.push(text.len() as u32);
        }
    }

    fn shrink_to_fit(&mut self) {
        if let Texts::Copied { text, .. } = self {
            text.shrink_to_fit();
        }
    }

    fn get(&self, i: usize) -> &str {
        match self {
            Texts::Copied { text, ends } => {
                let start = if i == 0 { 0 } else { ends[i - 1] as usize };
                &text[start..ends[i] as usize]
            }
            Texts::Shared { names, paths, .. } if *paths => names.path(i),
            Texts::Shared { names, .. } => names.id(i),
        }
    }

    fn len(&self) -> usize {
        match self {
            Texts::Copied { ends, .. } => ends.len(),
            Texts::Shared { len, .. } => *len,
        }
    }
}

impl std::ops::Index<usize> for Texts {
    type Output = str;
    fn index(&self, i: usize) -> &str {
        self.get(i)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `spec` is `id:parent,parent[:dep,dep][:label]` entries separated by spaces.
    pub(crate) fn headers(spec: &str) -> Vec<Header> {
        spec.split_whitespace()
            .map(|entry| {
                let mut parts = entry.split(':');
                let list = |s: Option<&str>| -> Vec<String> {
                    s.unwrap_or("")
                        .split(',')
                        .filter(|x| !x.is_empty())
                        .map(str::to_owned)
                        .collect()
                };
                let revision = parts.next().unwrap().to_owned();
                Header {
                    revision,
                    down_revision: list(parts.next()),
                    depends_on: list(parts.next()),
                    branch_labels: list(parts.next()),
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
            })
            .collect()
    }

    pub(crate) fn graph(spec: &str) -> Result<RevisionGraph, Vec<Error>> {
        let headers = headers(spec);
        let paths: Vec<String> = headers
            .iter()
            .map(|h| format!("m/{}.sql", h.revision))
            .collect();
        RevisionGraph::build(headers.iter().zip(&paths).map(|(header, path)| {
            GraphNode::from_header(header, path, !header.revision.starts_with('x'))
        }))
    }

    /// A graph that reads its names from a shared table answers as one
    /// that copied them, and reports the same problems.
    #[test]
    fn a_named_graph_reads_ids_and_paths_from_its_names() {
        struct Names(Vec<(String, String)>);
        impl NodeNames for Names {
            fn id(&self, i: usize) -> &str {
                &self.0[i].0
            }
            fn path(&self, i: usize) -> &str {
                &self.0[i].1
            }
        }
        let named = |spec: &str| {
            let headers = headers(spec);
            let names: Vec<(String, String)> = headers
                .iter()
                .map(|h| (h.revision.clone(), format!("m/{}.sql", h.revision)))
                .collect();
            let nodes: Vec<GraphNode<'_>> = headers
                .iter()
                .zip(&names)
                .map(|(h, (_, path))| GraphNode::from_header(h, path, true))
                .collect();
            RevisionGraph::build_named(nodes, Arc::new(Names(names.clone())))
        };
        let spec = "a: b:a c:b d:b:a:feature";
        let (copied, shared) = (graph(spec).unwrap(), named(spec).unwrap());
        assert_eq!(shared.len(), 4);
        for i in 0..4 {
            assert_eq!(shared.id(i), copied.id(i));
            assert_eq!(shared.path(i), copied.path(i));
            assert_eq!(shared.find(copied.id(i)), Some(i));
        }
        assert_eq!(shared.heads(), copied.heads());
        assert_eq!(shared.topological_order(), copied.topological_order());
        assert_eq!(shared.find("zz"), None);
        let error = |g: Result<RevisionGraph, Vec<Error>>| g.unwrap_err()[0].to_string();
        assert_eq!(error(named("a: b:a c:a")), error(graph("a: b:a c:a")));
    }

    fn messages(spec: &str) -> Vec<String> {
        graph(spec)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn linear_chain_has_one_head() {
        let g = graph("a: b:a c:b").unwrap();
        assert_eq!(g.heads(), &[2]);
        assert_eq!(g.topological_order(), &[0, 1, 2]);
    }

    #[test]
    fn topological_order_follows_parents_not_files() {
        let g = graph("c:b a: b:a").unwrap();
        assert_eq!(g.topological_order(), &[1, 2, 0]);
    }

    #[test]
    fn duplicate_revision_is_rejected() {
        let m = messages("a: a:");
        assert_eq!(
            m,
            vec!["m/a.sql:1: revision `a` is also declared by m/a.sql; give one of them a new id"]
        );
    }

    #[test]
    fn unknown_parent_and_dependency_are_rejected() {
        let m = messages("a:zz b:a:yy");
        assert!(m[0].starts_with("m/a.sql:2: down_revision `zz` is not a revision"));
        assert!(m[1].starts_with("m/b.sql:3: depends_on `yy` is not a revision"));
    }

    #[test]
    fn cycle_is_rejected_with_its_members() {
        let m = messages("a: b:a,c c:b d:c");
        assert_eq!(m.len(), 2, "{m:?}");
        assert!(
            m[0].contains("revision `b` is part of a cycle (b -> c -> d)"),
            "{m:?}"
        );
    }

    #[test]
    fn two_unmerged_heads_are_rejected_and_named() {
        let m = messages("a: b:a c:a");
        assert_eq!(m.len(), 1);
        assert!(
            m[0].contains("Multiple head revisions are present: b (m/b.sql), c (m/c.sql)"),
            "{m:?}"
        );
        assert!(m[0].contains("migrate merge heads"));
    }

    #[test]
    fn two_unmerged_heads_are_read_under_the_lenient_rule() {
        let headers = headers("a: b:a c:a");
        let paths: Vec<String> = headers
            .iter()
            .map(|h| format!("m/{}.sql", h.revision))
            .collect();
        let g = RevisionGraph::build_with(
            headers
                .iter()
                .zip(&paths)
                .map(|(header, path)| GraphNode::from_header(header, path, true)),
            HeadRule::Any,
        )
        .unwrap();
        assert_eq!(g.heads(), &[1, 2]);
    }

    fn lenient(spec: &str) -> (RevisionGraph, Vec<String>) {
        let headers = headers(spec);
        let paths: Vec<String> = headers
            .iter()
            .map(|h| format!("m/{}.sql", h.revision))
            .collect();
        let (g, problems) = RevisionGraph::build_lenient(
            headers
                .iter()
                .zip(&paths)
                .map(|(header, path)| GraphNode::from_header(header, path, true)),
        );
        (g, problems.iter().map(ToString::to_string).collect())
    }

    #[test]
    fn lenient_build_leaves_unknown_parents_out_of_the_links() {
        let (g, problems) = lenient("a: b:a,zz c:b:yy");
        assert_eq!(g.parents(1), &[0]);
        assert!(g.depends_on(2).is_empty());
        assert_eq!(g.heads(), &[2]);
        assert_eq!(g.topological_order(), &[0, 1, 2]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].starts_with("m/b.sql:2: down_revision `zz` is not a revision"));
        assert!(problems[1].starts_with("m/c.sql:3: depends_on `yy` is not a revision"));
    }

    #[test]
    fn lenient_build_keeps_the_first_of_duplicate_ids() {
        let (g, problems) = lenient("a: b:a b:a");
        assert_eq!(g.len(), 3);
        assert_eq!(g.find("b"), Some(1));
        // The second `b` hangs off `a` but is not a head of its own.
        assert_eq!(g.heads(), &[1]);
        assert_eq!(g.lookup("b").unwrap(), 1);
        assert_eq!(
            problems,
            vec!["m/b.sql:1: revision `b` is also declared by m/b.sql; give one of them a new id"]
        );
    }

    #[test]
    fn lenient_build_puts_cycles_last_in_file_order() {
        let (g, problems) = lenient("c:b a: b:a,c d:c");
        assert_eq!(g.topological_order(), &[1, 0, 2, 3]);
        assert_eq!(g.parents(2), &[1, 0]);
        assert_eq!(problems.len(), 2, "{problems:?}");
        assert!(problems[0].contains("revision `c` is part of a cycle (c -> b -> d)"));
        assert!(problems[1].contains("revision `b` is part of a cycle"));
    }

    #[test]
    fn lenient_build_keeps_two_heads_without_a_problem() {
        let (g, problems) = lenient("a: b:a c:a");
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(g.heads(), &[1, 2]);
        let error = g.check_heads().unwrap_err().to_string();
        assert!(error.contains("Multiple head revisions are present: b (m/b.sql), c (m/c.sql)"));
    }

    #[test]
    fn strict_build_reports_what_the_lenient_build_lists() {
        for spec in [
            "a: a:",
            "a:zz b:a:yy",
            "a: b:a,c c:b d:c",
            "a:::x b:a::x",
            "a: b:a",
        ] {
            let (_, problems) = lenient(spec);
            let strict = match graph(spec) {
                Ok(_) => Vec::new(),
                Err(errors) => errors.iter().map(ToString::to_string).collect(),
            };
            assert_eq!(strict, problems, "{spec}");
        }
    }

    #[test]
    fn merge_joins_heads() {
        let g = graph("a: b:a c:a m:b,c").unwrap();
        assert_eq!(g.heads(), &[3]);
    }

    #[test]
    fn labelled_independent_branches_are_allowed() {
        let g = graph("a:::core b:a x1:::extra x2:x1").unwrap();
        assert_eq!(g.heads(), &[1, 3]);
    }

    #[test]
    fn label_shared_by_two_heads_does_not_excuse_them() {
        let m = messages("a:::core b:a c:a");
        assert_eq!(m.len(), 1);
        assert!(m[0].contains("Multiple head revisions"));
    }

    #[test]
    fn duplicate_branch_label_is_rejected() {
        let m = messages("a:::x b:a::x");
        assert!(m[0].starts_with("m/b.sql:4: branch label `x` is already used by revision `a`"));
    }

    #[test]
    fn depends_on_orders_across_branches() {
        let g = graph("a:::one b:a:d:: c:::two d:c").unwrap();
        let order = g.topological_order();
        let pos = |i| order.iter().position(|&x| x == i).unwrap();
        assert!(pos(3) < pos(1));
    }
}
