//! A migrator's revisions: the macro's `static` table, or a directory
//! loaded at run time and owned by the migrator, and the borrowed views
//! ([`Revisions`], [`RevisionRef`], [`SectionRef`]) that read both alike.
//!
//! The two shapes stay apart on purpose: the macro's table is struct
//! literals of `&'static` strings, which rustc checks fastest (see
//! docs/DESIGN.md, "Why does a revision have two shapes"), and a loaded
//! directory keeps core's `Revision`s as the loader returned them, freed
//! with the last migrator that holds them.

use std::sync::Arc;

use migrate_core::{Dialect, GraphNode, IdList, Revision, Section};

use crate::embedded::{EmbeddedRevision, EmbeddedSection, PackedRevision, PackedTable};

/// Where a migrator's revisions live.
#[derive(Debug, Clone)]
pub(crate) enum Table {
    /// Built by hand from struct literals.
    Static(&'static [EmbeddedRevision]),
    /// Built by `embed_migrations!`.
    Packed(PackedTable),
    /// Loaded by `Migrator::from_directory`, shared by the migrator's clones.
    Loaded(Arc<[Revision]>),
}

impl Table {
    pub(crate) fn revisions(&self) -> Revisions<'_> {
        Revisions {
            inner: match self {
                Table::Static(r) => Inner::Static(r),
                Table::Packed(t) => Inner::Packed(*t),
                Table::Loaded(r) => Inner::Loaded(r),
            },
        }
    }
}

/// The migrator's graph reads ids and paths from its table rather than
/// keeping copies (at 10,000 revisions the paths alone are half a
/// megabyte).
impl migrate_core::NodeNames for Table {
    fn id(&self, i: usize) -> &str {
        self.revisions().get(i).map_or("", RevisionRef::id)
    }

    fn path(&self, i: usize) -> &str {
        self.revisions().get(i).map_or("", RevisionRef::path)
    }
}

/// The revisions of a migrator, in file-name order (the graph's numbering),
/// borrowed from it: [`Migrator::revisions`](crate::Migrator::revisions).
///
/// A cheap `Copy` view that iterates to, and is indexed with
/// [`get`](Revisions::get) into, [`RevisionRef`]s.
#[derive(Clone, Copy)]
pub struct Revisions<'a> {
    inner: Inner<'a>,
}

#[derive(Clone, Copy)]
enum Inner<'a> {
    Static(&'a [EmbeddedRevision]),
    Packed(PackedTable),
    Loaded(&'a [Revision]),
}

impl<'a> Revisions<'a> {
    /// Number of revisions.
    pub fn len(&self) -> usize {
        match self.inner {
            Inner::Static(r) => r.len(),
            Inner::Packed(t) => t.len(),
            Inner::Loaded(r) => r.len(),
        }
    }

    /// Has the table no revision?
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Revision `i`, in file-name order (the graph's numbering).
    pub fn get(&self, i: usize) -> Option<RevisionRef<'a>> {
        match self.inner {
            Inner::Static(r) => r.get(i).map(RevisionRef::Embedded),
            Inner::Packed(t) => t.get(i).map(RevisionRef::Packed),
            Inner::Loaded(r) => r.get(i).map(RevisionRef::Loaded),
        }
    }

    /// The revisions in file-name order.
    pub fn iter(&self) -> RevisionIter<'a> {
        RevisionIter {
            revisions: *self,
            range: 0..self.len(),
        }
    }

    /// Revision `i` of the graph's numbering, which indexes this table.
    pub(crate) fn at(&self, i: usize) -> RevisionRef<'a> {
        self.get(i)
            .unwrap_or_else(|| unreachable!("graph index {i} outside the table"))
    }
}

impl<'a> IntoIterator for Revisions<'a> {
    type Item = RevisionRef<'a>;
    type IntoIter = RevisionIter<'a>;

    fn into_iter(self) -> RevisionIter<'a> {
        self.iter()
    }
}

impl PartialEq for Revisions<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.len() == other.len() && self.iter().eq(other.iter())
    }
}

impl Eq for Revisions<'_> {}

impl std::fmt::Debug for Revisions<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

/// Iterator over [`Revisions`], yielding [`RevisionRef`]s.
#[derive(Clone)]
pub struct RevisionIter<'a> {
    revisions: Revisions<'a>,
    range: std::ops::Range<usize>,
}

impl<'a> Iterator for RevisionIter<'a> {
    type Item = RevisionRef<'a>;

    fn next(&mut self) -> Option<RevisionRef<'a>> {
        self.range.next().map(|i| self.revisions.at(i))
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        self.range.size_hint()
    }
}

impl DoubleEndedIterator for RevisionIter<'_> {
    fn next_back(&mut self) -> Option<Self::Item> {
        self.range.next_back().map(|i| self.revisions.at(i))
    }
}

impl ExactSizeIterator for RevisionIter<'_> {}

/// One revision of a migrator, borrowed from where it lives: the macro's
/// table or a directory loaded at run time. Both read the same through the
/// methods; the variants are there for code that wants the shape itself.
#[derive(Debug, Clone, Copy)]
pub enum RevisionRef<'a> {
    /// An entry of a table built from struct literals.
    Embedded(&'a EmbeddedRevision),
    /// An entry of the table `embed_migrations!` built.
    Packed(PackedRevision),
    /// A revision [`Migrator::from_directory`](crate::Migrator::from_directory)
    /// loaded, as core's loader parsed it.
    Loaded(&'a Revision),
}

impl<'a> RevisionRef<'a> {
    /// Revision id.
    pub fn id(self) -> &'a str {
        match self {
            RevisionRef::Embedded(r) => r.id,
            RevisionRef::Packed(r) => r.id(),
            RevisionRef::Loaded(r) => &r.header.revision,
        }
    }

    /// Parent revisions (`down_revision`).
    pub fn parents(self) -> IdList<'a> {
        match self {
            RevisionRef::Embedded(r) => IdList::from(r.parents),
            RevisionRef::Packed(r) => r.parents(),
            RevisionRef::Loaded(r) => IdList::from(&r.header.down_revision[..]),
        }
    }

    /// `depends_on` revisions.
    pub fn depends_on(self) -> IdList<'a> {
        match self {
            RevisionRef::Embedded(r) => IdList::from(r.depends_on),
            RevisionRef::Packed(r) => r.depends_on(),
            RevisionRef::Loaded(r) => IdList::from(&r.header.depends_on[..]),
        }
    }

    /// Branch labels.
    pub fn branch_labels(self) -> IdList<'a> {
        match self {
            RevisionRef::Embedded(r) => IdList::from(r.branch_labels),
            RevisionRef::Packed(r) => r.branch_labels(),
            RevisionRef::Loaded(r) => IdList::from(&r.header.branch_labels[..]),
        }
    }

    /// The `message` header.
    pub fn message(self) -> Option<&'a str> {
        match self {
            RevisionRef::Embedded(r) => r.message,
            RevisionRef::Packed(r) => r.message(),
            RevisionRef::Loaded(r) => r.header.message.as_deref(),
        }
    }

    /// The `create_date` header.
    pub fn create_date(self) -> Option<&'a str> {
        match self {
            RevisionRef::Embedded(r) => r.create_date,
            RevisionRef::Packed(r) => r.create_date(),
            RevisionRef::Loaded(r) => r.header.create_date.as_deref(),
        }
    }

    /// `false` when the revision runs outside a transaction.
    pub fn is_transactional(self) -> bool {
        match self {
            RevisionRef::Embedded(r) => r.transactional,
            RevisionRef::Packed(r) => r.is_transactional(),
            RevisionRef::Loaded(r) => r.header.transactional,
        }
    }

    /// A revision written in Rust: its sections hold no SQL, and it runs
    /// only in a migrator compiled with it (`embed_migrations!`).
    pub fn is_rust(self) -> bool {
        match self {
            RevisionRef::Embedded(_) => false,
            RevisionRef::Packed(r) => r.is_rust(),
            RevisionRef::Loaded(r) => r.kind == migrate_core::RevisionKind::Rust,
        }
    }

    /// The file, as messages name it (relative to the crate that embedded
    /// it, or under the directory's display name).
    pub fn path(self) -> &'a str {
        match self {
            RevisionRef::Embedded(r) => r.path,
            RevisionRef::Packed(r) => r.path(),
            RevisionRef::Loaded(r) => &r.path,
        }
    }

    /// Versioned checksum of the upgrade SQL.
    pub fn checksum(self) -> &'a str {
        match self {
            RevisionRef::Embedded(r) => r.checksum,
            RevisionRef::Packed(r) => r.checksum(),
            RevisionRef::Loaded(r) => &r.checksum,
        }
    }

    /// PostgreSQL: the `lock_timeout` each attempt of the revision runs
    /// with (its header, else `migrate.toml`'s default); `None` when none.
    pub fn lock_timeout(self) -> Option<std::time::Duration> {
        match self {
            RevisionRef::Embedded(_) => None,
            RevisionRef::Packed(r) => r.lock_timeout(),
            RevisionRef::Loaded(r) => r.header.lock_timeout.filter(|d| !d.is_zero()),
        }
    }

    /// How many times the revision is tried again after failing to get a
    /// lock in time (its header, else `migrate.toml`'s default; 0 when
    /// neither says).
    pub fn lock_retries(self) -> u32 {
        match self {
            RevisionRef::Embedded(_) => 0,
            RevisionRef::Packed(r) => r.lock_retries(),
            RevisionRef::Loaded(r) => r.header.lock_retries.unwrap_or(0),
        }
    }

    /// Upgrade section.
    pub fn upgrade(self) -> SectionRef<'a> {
        match self {
            RevisionRef::Embedded(r) => SectionRef::Embedded(r.upgrade),
            RevisionRef::Packed(r) => SectionRef::Embedded(r.upgrade()),
            RevisionRef::Loaded(r) => SectionRef::Loaded(&r.upgrade),
        }
    }

    /// Downgrade section; `None` when the revision is irreversible.
    pub fn downgrade(self) -> Option<SectionRef<'a>> {
        match self {
            RevisionRef::Embedded(r) => r.downgrade.map(SectionRef::Embedded),
            RevisionRef::Packed(r) => r.downgrade().map(SectionRef::Embedded),
            RevisionRef::Loaded(r) => r.downgrade.as_ref().map(SectionRef::Loaded),
        }
    }

    /// The section a run in `direction` executes; a downgrade of a
    /// revision without a downgrade section is refused, naming its file.
    pub(crate) fn section(
        self,
        direction: migrate_core::Direction,
    ) -> Result<SectionRef<'a>, migrate_core::Error> {
        match direction {
            migrate_core::Direction::Upgrade => Ok(self.upgrade()),
            migrate_core::Direction::Downgrade => {
                self.downgrade()
                    .ok_or_else(|| migrate_core::Error::Irreversible {
                        revision: self.id().to_owned(),
                        path: self.path().to_owned(),
                    })
            }
        }
    }

    /// What the revision graph reads of this revision, borrowed.
    pub fn graph_node(self) -> GraphNode<'a> {
        match self {
            RevisionRef::Embedded(r) => r.graph_node(),
            RevisionRef::Packed(r) => r.graph_node(),
            RevisionRef::Loaded(r) => r.graph_node(),
        }
    }

    /// [`graph_node`](Self::graph_node) without the path, for a graph
    /// built with [`RevisionGraph::build_named`](migrate_core::RevisionGraph::build_named),
    /// which reads paths from the table.
    pub(crate) fn graph_links(self) -> GraphNode<'a> {
        match self {
            RevisionRef::Packed(r) => r.graph_links(),
            _ => GraphNode {
                path: "",
                ..self.graph_node()
            },
        }
    }
}

/// Equal when everything a run reads is equal: the headers, the path, the
/// checksum and both sections statement by statement (header lines and
/// columns, which only messages use, are not compared).
impl PartialEq for RevisionRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        let a = *self;
        let b = *other;
        a.id() == b.id()
            && a.parents().iter().eq(b.parents().iter())
            && a.depends_on().iter().eq(b.depends_on().iter())
            && a.branch_labels().iter().eq(b.branch_labels().iter())
            && a.message() == b.message()
            && a.create_date() == b.create_date()
            && a.is_transactional() == b.is_transactional()
            && a.path() == b.path()
            && a.checksum() == b.checksum()
            && a.upgrade() == b.upgrade()
            && a.downgrade() == b.downgrade()
    }
}

impl Eq for RevisionRef<'_> {}

/// An upgrade or downgrade section of a [`RevisionRef`], split into
/// statements by the loader (at compile time for the macro's table).
#[derive(Debug, Clone, Copy)]
pub enum SectionRef<'a> {
    /// A section of the macro's table.
    Embedded(EmbeddedSection),
    /// A section of a directory loaded at run time.
    Loaded(&'a Section),
}

impl<'a> SectionRef<'a> {
    /// The whole section as written (line endings normalised).
    pub fn sql(self) -> &'a str {
        match self {
            SectionRef::Embedded(s) => s.sql,
            SectionRef::Loaded(s) => &s.sql,
        }
    }

    /// Number of statements.
    pub fn len(self) -> usize {
        match self {
            SectionRef::Embedded(s) => s.len(),
            SectionRef::Loaded(s) => s.statements.len(),
        }
    }

    /// Does the section have no statement?
    pub fn is_empty(self) -> bool {
        self.len() == 0
    }

    /// File line of the first line of the section body.
    pub fn first_line(self) -> u32 {
        match self {
            SectionRef::Embedded(s) => s.first_line,
            SectionRef::Loaded(s) => s.first_line,
        }
    }

    /// Statement `k` with its file line.
    fn statement(self, k: usize) -> (u32, &'a str) {
        match self {
            SectionRef::Embedded(s) => {
                let st = s.statement(k);
                (st.line, &s.sql[st.start as usize..st.end as usize])
            }
            SectionRef::Loaded(s) => {
                let st = &s.statements[k];
                (st.line, &s.sql[st.start..st.end])
            }
        }
    }

    /// Statements with their file line, in order.
    pub fn statements(
        self,
    ) -> impl ExactSizeIterator<Item = (u32, &'a str)> + DoubleEndedIterator + Clone + 'a {
        (0..self.len()).map(move |k| self.statement(k))
    }

    /// Must a run on `dialect` commit after this section, before the next
    /// revision runs? On PostgreSQL, when it adds an enum value: the value
    /// cannot be used before the transaction that added it commits ("unsafe
    /// use of new value"), and a run must not fail where the same revisions
    /// applied one by one succeed. Online runs and offline scripts ask this
    /// same question.
    pub(crate) fn needs_commit_after(self, dialect: Dialect) -> bool {
        dialect == Dialect::Postgres
            && self
                .statements()
                .any(|(_, sql)| migrate_core::sql::adds_enum_value(sql))
    }
}

impl PartialEq for SectionRef<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.sql() == other.sql()
            && self.first_line() == other.first_line()
            && self.statements().eq(other.statements())
    }
}

impl Eq for SectionRef<'_> {}
