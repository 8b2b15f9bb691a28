//! The static revision table that `embed_migrations!` builds.

/// One statement of an embedded section.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedStatement {
    pub line: u32,
    pub column: u32,
    pub start: u32,
    pub end: u32,
}

/// Bytes one statement takes in [`EmbeddedSection::statements`].
const PACKED: usize = 16;

impl EmbeddedStatement {
    /// Statements as the table holds them: each as `line`, `column`,
    /// `start`, `end`, four little-endian `u32`s. The macro writes them as
    /// one byte-string literal per section, which the compiler takes in far
    /// less time than a slice of struct literals.
    pub fn pack(statements: &[EmbeddedStatement]) -> Vec<u8> {
        let mut out = Vec::with_capacity(statements.len() * PACKED);
        for s in statements {
            for v in [s.line, s.column, s.start, s.end] {
                out.extend_from_slice(&v.to_le_bytes());
            }
        }
        out
    }

    fn unpack(bytes: &[u8]) -> EmbeddedStatement {
        let at =
            |k: usize| u32::from_le_bytes([bytes[k], bytes[k + 1], bytes[k + 2], bytes[k + 3]]);
        EmbeddedStatement {
            line: at(0),
            column: at(4),
            start: at(8),
            end: at(12),
        }
    }
}

/// An upgrade or downgrade section, split into statements at compile time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedSection {
    #[doc(hidden)]
    pub sql: &'static str,
    #[doc(hidden)]
    pub first_line: u32,
    /// The statements, packed by [`EmbeddedStatement::pack`].
    #[doc(hidden)]
    pub statements: &'static [u8],
}

impl EmbeddedSection {
    /// The whole section as written (line endings normalised).
    pub fn sql(&self) -> &'static str {
        self.sql
    }

    /// Number of statements.
    pub fn len(&self) -> usize {
        self.statements.len() / PACKED
    }

    /// Statement `k`.
    #[doc(hidden)]
    pub fn statement(&self, k: usize) -> EmbeddedStatement {
        EmbeddedStatement::unpack(&self.statements[k * PACKED..(k + 1) * PACKED])
    }

    /// Does the section have no statement?
    pub fn is_empty(&self) -> bool {
        self.statements.is_empty()
    }

    /// Statements with their file line, in order.
    pub fn statements(&self) -> impl ExactSizeIterator<Item = (u32, &'static str)> + '_ {
        let sql = self.sql;
        (0..self.len()).map(move |k| {
            let s = self.statement(k);
            (s.line, &sql[s.start as usize..s.end as usize])
        })
    }

    /// File line of the first line of the section body.
    pub fn first_line(&self) -> u32 {
        self.first_line
    }
}

/// One revision of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedRevision {
    #[doc(hidden)]
    pub id: &'static str,
    #[doc(hidden)]
    pub parents: &'static [&'static str],
    #[doc(hidden)]
    pub depends_on: &'static [&'static str],
    #[doc(hidden)]
    pub branch_labels: &'static [&'static str],
    #[doc(hidden)]
    pub message: Option<&'static str>,
    #[doc(hidden)]
    pub create_date: Option<&'static str>,
    #[doc(hidden)]
    pub transactional: bool,
    #[doc(hidden)]
    pub path: &'static str,
    #[doc(hidden)]
    pub checksum: &'static str,
    #[doc(hidden)]
    pub upgrade: EmbeddedSection,
    #[doc(hidden)]
    pub downgrade: Option<EmbeddedSection>,
}

impl EmbeddedRevision {
    /// Revision id.
    pub fn id(&self) -> &'static str {
        self.id
    }
    /// Parent revisions (`down_revision`).
    pub fn parents(&self) -> &'static [&'static str] {
        self.parents
    }
    /// `depends_on` revisions.
    pub fn depends_on(&self) -> &'static [&'static str] {
        self.depends_on
    }
    /// Branch labels.
    pub fn branch_labels(&self) -> &'static [&'static str] {
        self.branch_labels
    }
    /// The `message` header.
    pub fn message(&self) -> Option<&'static str> {
        self.message
    }
    /// The `create_date` header.
    pub fn create_date(&self) -> Option<&'static str> {
        self.create_date
    }
    /// `false` when the revision runs outside a transaction.
    pub fn is_transactional(&self) -> bool {
        self.transactional
    }
    /// The file, relative to the crate that embedded it.
    pub fn path(&self) -> &'static str {
        self.path
    }
    /// Versioned checksum of the upgrade SQL.
    pub fn checksum(&self) -> &'static str {
        self.checksum
    }
    /// Upgrade section.
    pub fn upgrade(&self) -> &EmbeddedSection {
        &self.upgrade
    }
    /// Downgrade section; `None` when the revision is irreversible.
    pub fn downgrade(&self) -> Option<&EmbeddedSection> {
        self.downgrade.as_ref()
    }

    /// What the revision graph reads of this entry, borrowed from the
    /// table: no header is rebuilt. Header lines are unknown (0); the
    /// macro checked the table with them.
    pub fn graph_node(&self) -> migrate_core::GraphNode<'static> {
        migrate_core::GraphNode {
            id: self.id,
            parents: migrate_core::IdList::from(self.parents),
            depends_on: migrate_core::IdList::from(self.depends_on),
            branch_labels: migrate_core::IdList::from(self.branch_labels),
            lines: migrate_core::HeaderLines::default(),
            path: self.path,
            reversible: self.downgrade.is_some(),
        }
    }
}

/// What the start-up check compares with the history table, computed with
/// the table (by the macro, at compile time): see [`migrate_core::StartUp`].
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EmbeddedStartUp {
    /// `revision checksum` and a newline per revision, in upgrade order.
    pub in_order: &'static str,
    /// `revision checksum` pairs joined by `,`, in byte order of the ids.
    pub by_id: &'static str,
    /// The heads, in the order the migrator reports them.
    pub heads: &'static [&'static str],
}

impl EmbeddedStartUp {
    /// No revisions.
    pub const EMPTY: EmbeddedStartUp = EmbeddedStartUp {
        in_order: "",
        by_id: "",
        heads: &[],
    };
}

/// The whole table as `embed_migrations!` writes it: every text of every
/// revision in one string literal, and where each piece starts and ends in
/// one byte-string literal. The compiler takes two literals in a moment at
/// any size, where one item per revision cost it about half a second per
/// thousand revisions.
///
/// `index` starts with the revision count, then holds [`FIELDS`]
/// little-endian `u32`s per revision:
///
/// | word | field |
/// |---:|---|
/// | 0, 1 | id (start and length in `text`) |
/// | 2, 3 | parents, joined by newlines |
/// | 4, 5 | `depends_on`, joined by newlines |
/// | 6, 7 | branch labels, joined by newlines |
/// | 8, 9 | message (length [`NONE`] when absent) |
/// | 10, 11 | `create_date` (length [`NONE`] when absent) |
/// | 12 | bit 0: transactional; bit 1: a Rust revision |
/// | 13, 14 | path |
/// | 15, 16 | checksum |
/// | 17 to 21 | upgrade: SQL start and length, first line, statements' start in `statements` and count |
/// | 22 to 26 | downgrade, the same (SQL length [`NONE`] when irreversible) |
/// | 27 | `lock_timeout` in milliseconds, 0 for none ([`NONE`] when not set) |
/// | 28 | `lock_retries` ([`NONE`] when not set) |
///
/// `statements` holds each section's statements as
/// [`EmbeddedStatement::pack`] writes them. Offsets are checked on reading:
/// a table that does not hold together reads as empty texts, never a panic.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedTable {
    text: &'static str,
    index: &'static [u8],
    statements: &'static [u8],
}

/// `u32`s per revision in [`PackedTable`]'s index.
pub const FIELDS: usize = 29;

/// The length that marks an absent text.
pub const NONE: u32 = u32::MAX;

impl PackedTable {
    /// The table from the macro's three literals.
    pub const fn new(
        text: &'static str,
        index: &'static [u8],
        statements: &'static [u8],
    ) -> PackedTable {
        PackedTable {
            text,
            index,
            statements,
        }
    }

    /// Number of revisions (0 when the index is too short for its count).
    pub const fn len(&self) -> usize {
        if self.index.len() < 4 {
            return 0;
        }
        let count = u32::from_le_bytes([self.index[0], self.index[1], self.index[2], self.index[3]])
            as usize;
        if (self.index.len() - 4) / (FIELDS * 4) < count {
            return 0;
        }
        count
    }

    /// Has the table no revision?
    pub const fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Revision `i`.
    pub fn get(self, i: usize) -> Option<PackedRevision> {
        (i < self.len()).then_some(PackedRevision { table: self, i })
    }

    fn word(&self, i: usize, field: usize) -> u32 {
        let at = 4 + (i * FIELDS + field) * 4;
        match self.index.get(at..at + 4) {
            Some(b) => u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
            None => 0,
        }
    }

    fn text(&self, i: usize, field: usize) -> Option<&'static str> {
        let start = self.word(i, field) as usize;
        let len = self.word(i, field + 1);
        if len == NONE {
            return None;
        }
        let end = start.checked_add(len as usize);
        Some(end.and_then(|end| self.text.get(start..end)).unwrap_or(""))
    }

    fn section(&self, i: usize, field: usize) -> Option<EmbeddedSection> {
        let sql = self.text(i, field)?;
        let first_line = self.word(i, field + 2);
        let start = self.word(i, field + 3) as usize;
        let count = self.word(i, field + 4) as usize;
        let end = count.checked_mul(PACKED).and_then(|n| n.checked_add(start));
        let statements = end
            .and_then(|end| self.statements.get(start..end))
            .unwrap_or(&[]);
        Some(EmbeddedSection {
            sql,
            first_line,
            statements,
        })
    }
}

/// One revision of a [`PackedTable`], read field by field from it.
#[doc(hidden)]
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PackedRevision {
    table: PackedTable,
    i: usize,
}

impl PackedRevision {
    /// Revision id.
    pub fn id(self) -> &'static str {
        self.table.text(self.i, 0).unwrap_or("")
    }

    /// Parent revisions, joined by newlines.
    pub fn parents(self) -> migrate_core::IdList<'static> {
        migrate_core::IdList::Lines(self.table.text(self.i, 2).unwrap_or(""))
    }

    /// `depends_on` revisions, joined by newlines.
    pub fn depends_on(self) -> migrate_core::IdList<'static> {
        migrate_core::IdList::Lines(self.table.text(self.i, 4).unwrap_or(""))
    }

    /// Branch labels, joined by newlines.
    pub fn branch_labels(self) -> migrate_core::IdList<'static> {
        migrate_core::IdList::Lines(self.table.text(self.i, 6).unwrap_or(""))
    }

    /// The `message` header.
    pub fn message(self) -> Option<&'static str> {
        self.table.text(self.i, 8)
    }

    /// The `create_date` header.
    pub fn create_date(self) -> Option<&'static str> {
        self.table.text(self.i, 10)
    }

    /// `false` when the revision runs outside a transaction.
    pub fn is_transactional(self) -> bool {
        self.table.word(self.i, 12) & 1 == 1
    }

    /// A revision written in Rust (its sections hold no SQL).
    pub fn is_rust(self) -> bool {
        self.table.word(self.i, 12) & 2 == 2
    }

    /// The file, as messages name it.
    pub fn path(self) -> &'static str {
        self.table.text(self.i, 13).unwrap_or("")
    }

    /// Versioned checksum of the upgrade SQL.
    pub fn checksum(self) -> &'static str {
        self.table.text(self.i, 15).unwrap_or("")
    }

    /// Upgrade section.
    pub fn upgrade(self) -> EmbeddedSection {
        self.table.section(self.i, 17).unwrap_or(EmbeddedSection {
            sql: "",
            first_line: 0,
            statements: &[],
        })
    }

    /// Downgrade section; `None` when the revision is irreversible.
    pub fn downgrade(self) -> Option<EmbeddedSection> {
        self.table.section(self.i, 22)
    }

    /// The `lock_timeout` it runs with (`migrate.toml`'s default applied);
    /// `None` when none is set or it is set to none.
    pub fn lock_timeout(self) -> Option<std::time::Duration> {
        match self.table.word(self.i, 27) {
            0 | NONE => None,
            ms => Some(std::time::Duration::from_millis(u64::from(ms))),
        }
    }

    /// Attempts after a lock timeout (`migrate.toml`'s default applied).
    pub fn lock_retries(self) -> u32 {
        match self.table.word(self.i, 28) {
            NONE => 0,
            n => n,
        }
    }

    /// What the revision graph reads of this revision.
    pub fn graph_node(self) -> migrate_core::GraphNode<'static> {
        migrate_core::GraphNode {
            path: self.path(),
            ..self.graph_links()
        }
    }

    /// [`graph_node`](Self::graph_node) without the path, for a graph
    /// that reads paths from the table when it needs one: the table keeps
    /// paths apart from what a run reads, and a run then never pages them
    /// in.
    pub fn graph_links(self) -> migrate_core::GraphNode<'static> {
        migrate_core::GraphNode {
            id: self.id(),
            parents: self.parents(),
            depends_on: self.depends_on(),
            branch_labels: self.branch_labels(),
            lines: migrate_core::HeaderLines::default(),
            path: "",
            reversible: self.downgrade().is_some(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn index(words: &[u32]) -> &'static [u8] {
        let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
        Box::leak(bytes.into_boxed_slice())
    }

    const TEXT: &str = "ap\nqm/a.sqlsha:1SELECT 1;";

    fn table(words: &[u32]) -> PackedTable {
        let statement = EmbeddedStatement::pack(&[EmbeddedStatement {
            line: 4,
            column: 1,
            start: 0,
            end: 8,
        }]);
        PackedTable::new(TEXT, index(words), Box::leak(statement.into_boxed_slice()))
    }

    /// One revision `a` (after `p` and `q`, no labels, no message) with a
    /// one-statement upgrade and no downgrade, laid out by hand.
    const GOOD: [u32; 30] = [
        1, // count
        0, 1, // id
        1, 3, // parents
        0, 0, // depends_on
        0, 0, // labels
        0, NONE, // message
        0, NONE, // create_date
        1,    // transactional
        4, 7, // path
        11, 5, // checksum
        16, 9, 4, 0, 1, // upgrade
        0, NONE, 0, 0, 0,    // downgrade
        2000, // lock_timeout
        NONE, // lock_retries
    ];

    #[test]
    fn reads_every_field() {
        let t = table(&GOOD);
        assert_eq!(t.len(), 1);
        let r = t.get(0).expect("one revision");
        assert_eq!(r.id(), "a");
        assert_eq!(r.parents().iter().collect::<Vec<_>>(), ["p", "q"]);
        assert!(r.depends_on().is_empty() && r.branch_labels().is_empty());
        assert_eq!((r.message(), r.create_date()), (None, None));
        assert!(r.is_transactional());
        assert_eq!((r.path(), r.checksum()), ("m/a.sql", "sha:1"));
        let up = r.upgrade();
        assert_eq!(up.statements().collect::<Vec<_>>(), [(4, "SELECT 1")]);
        assert_eq!(up.first_line(), 4);
        assert_eq!(r.downgrade(), None);
        assert_eq!(r.lock_timeout(), Some(std::time::Duration::from_secs(2)));
        assert_eq!(r.lock_retries(), 0);
        assert!(!r.graph_node().reversible);
        assert!(t.get(1).is_none());
    }

    #[test]
    fn a_table_that_does_not_hold_together_reads_empty() {
        // A count larger than the index holds: no revision.
        let mut words = GOOD;
        words[0] = 2;
        assert_eq!(table(&words).len(), 0);
        // Offsets past the text, or inside a character: empty texts.
        let mut words = GOOD;
        words[1] = 400;
        words[14] = 60;
        words[21] = 9;
        let r = table(&words).get(0).expect("one revision");
        assert_eq!((r.id(), r.path()), ("", ""));
        assert!(r.upgrade().statements().next().is_none());
    }
}
