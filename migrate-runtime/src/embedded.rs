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
