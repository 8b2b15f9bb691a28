//! What the reading commands show: core's lenient revision graph over the
//! revisions of a directory or of an application's embedded table, with
//! each revision's display data read where it lives (nothing copied).
//!
//! A strict `RevisionGraph` refuses a broken directory (unknown parents,
//! cycles, duplicate ids), which is right for anything that touches a
//! database, but `heads`, `history`, `graph`, `revision --head` and `merge`
//! are exactly the commands a user runs to see and repair such a state. The
//! lenient build keeps whatever links resolve, and the problems come back
//! beside it so each command decides what it tolerates (several heads are
//! no problem for reading, as in Alembic).

use std::path::Path;

use migrate_core::{Error, IdList, Revision, RevisionGraph};
use migrate_runtime::{Migrator, RevisionRef};

/// Where the revisions live.
#[derive(Debug)]
enum Revisions {
    Directory(Vec<Revision>),
    /// A mounted table: the migrator (a cheap clone sharing its table).
    Embedded(Box<Migrator>),
}

/// The lenient graph and the revisions it was built from, numbered alike.
#[derive(Debug)]
pub(crate) struct View {
    pub graph: RevisionGraph,
    revisions: Revisions,
}

/// A directory read as far as it can be, and what is wrong with it.
pub(crate) struct Loaded {
    pub view: View,
    pub problems: Vec<Error>,
}

impl Loaded {
    /// Problems that make the view untrustworthy for writing a new revision:
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
        match migrate_core::parse_revision_file(&path, &text) {
            Ok(rev) => revisions.push(rev),
            Err(errors) => problems.extend(errors),
        }
    }
    // What a checkpoint replaces is not on the graph: a database goes
    // through the checkpoint.
    let replaced: Vec<String> = revisions
        .iter()
        .flat_map(|r| r.header.replaces.iter().cloned())
        .collect();
    revisions.retain(|r| !replaced.iter().any(|id| id == r.id()));
    let (graph, graph_problems) = RevisionGraph::from_revisions_lenient(&revisions);
    if graph_problems.is_empty() {
        problems.extend(graph.check_heads().err());
    } else {
        problems.extend(graph_problems);
    }
    Ok(Loaded {
        view: View {
            graph,
            revisions: Revisions::Directory(revisions),
        },
        problems,
    })
}

impl View {
    /// The view of an embedded (or directory-loaded) revision table, which
    /// its loader already checked.
    pub fn from_embedded(migrator: &Migrator) -> View {
        let (graph, _) =
            RevisionGraph::build_lenient(migrator.revisions().iter().map(RevisionRef::graph_node));
        View {
            graph,
            revisions: Revisions::Embedded(Box::new(migrator.clone())),
        }
    }

    /// The revisions of a directory, read leniently (problems dropped).
    #[cfg(test)]
    pub fn from_revisions(revisions: Vec<Revision>) -> View {
        let (graph, _) = RevisionGraph::from_revisions_lenient(&revisions);
        View {
            graph,
            revisions: Revisions::Directory(revisions),
        }
    }

    /// Revision `i` (the graph's numbering).
    pub fn revision(&self, i: usize) -> RevisionRef<'_> {
        match &self.revisions {
            Revisions::Directory(r) => RevisionRef::Loaded(&r[i]),
            Revisions::Embedded(m) => m.revisions().get(i).unwrap_or_else(|| {
                unreachable!("graph index {i} outside the table it was built from")
            }),
        }
    }

    /// Has `i` no children? A repeated id counts here, though it is not one
    /// of the graph's heads.
    pub fn is_head(&self, i: usize) -> bool {
        self.graph.children(i).is_empty()
    }

    pub fn is_branchpoint(&self, i: usize) -> bool {
        self.graph.children(i).len() > 1
    }

    pub fn is_mergepoint(&self, i: usize) -> bool {
        self.graph.parents(i).len() > 1
    }

    /// The `depends_on` revisions of `i` that resolve, in the order written,
    /// including any that is also a parent.
    pub fn depends_on(&self, i: usize) -> Vec<usize> {
        resolved(&self.graph, self.revision(i).graph_node().depends_on)
    }

    /// The heads above `i` (itself if it is a head).
    pub fn heads_above(&self, i: usize) -> Vec<usize> {
        let below = self.graph.descendants(&[i]);
        self.graph
            .heads()
            .iter()
            .copied()
            .filter(|&h| h == i || below[h])
            .collect()
    }

    /// Ids of `items`, joined by `, `.
    pub fn names(&self, items: &[usize]) -> String {
        items
            .iter()
            .map(|&i| self.graph.id(i))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

fn resolved(graph: &RevisionGraph, ids: IdList<'_>) -> Vec<usize> {
    let mut out: Vec<usize> = Vec::new();
    for id in ids.iter() {
        if let Some(i) = graph.find(id)
            && !out.contains(&i)
        {
            out.push(i);
        }
    }
    out
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use migrate_core::{Header, HeaderLines, Section};

    /// `id:parent,parent[:label]` entries separated by spaces; each revision
    /// has the message `msg ID` and the file `m/ID.sql`.
    pub(crate) fn view(spec: &str) -> View {
        let section = || Section {
            sql: String::new(),
            first_line: 1,
            statements: Vec::new(),
        };
        View::from_revisions(
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
                    let down_revision = list(parts.next());
                    let branch_labels = list(parts.next());
                    Revision {
                        path: format!("m/{id}.sql"),
                        file_name: format!("{id}.sql"),
                        header: Header {
                            message: Some(format!("msg {id}")),
                            revision: id,
                            down_revision,
                            depends_on: Vec::new(),
                            branch_labels,
                            create_date: None,
                            transactional: true,
                            lock_timeout: None,
                            lock_retries: None,
                            data_only: false,
                            replaces: Vec::new(),
                            lines: HeaderLines::default(),
                        },
                        upgrade: section(),
                        downgrade: Some(section()),
                        checksum: String::new(),
                        kind: migrate_core::RevisionKind::Sql,
                    }
                })
                .collect(),
        )
    }

    #[test]
    fn two_heads_are_kept_with_their_links() {
        let v = view("a: b:a c:a");
        assert_eq!(v.graph.heads(), &[1, 2]);
        assert!(v.is_branchpoint(0));
        assert_eq!(v.heads_above(0), vec![1, 2]);
        assert_eq!(v.graph.topological_order(), &[0, 1, 2]);
    }

    #[test]
    fn lookup_by_id_label_and_prefix() {
        let v = view("ab1: ab2:ab1:core");
        assert_eq!(v.graph.lookup("ab1").unwrap(), 0);
        assert_eq!(v.graph.lookup("core").unwrap(), 1);
        assert!(
            v.graph
                .lookup("ab")
                .unwrap_err()
                .to_string()
                .starts_with("Multiple revisions start with 'ab'")
        );
        assert!(
            v.graph
                .lookup("zz")
                .unwrap_err()
                .to_string()
                .starts_with("Can't locate revision identified by 'zz'")
        );
    }

    #[test]
    fn cycles_do_not_lose_revisions() {
        let v = view("a: b:a,c c:b");
        assert_eq!(v.graph.topological_order().len(), 3);
    }
}
