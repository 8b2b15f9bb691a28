//! The fold's working state: tables, indexes, enums and schemas keyed as
//! PostgreSQL keys them, the names each namespace holds, the taints that
//! make parts of it unsure, and the statements counted; and its conversion
//! into the shared [`Schema`] model.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;

use migrate_core::Rule;

use crate::model::{
    CheckConstraint, Column, EnumType, Exclusion, FkAction, ForeignKey, Identity, Index, IndexKey,
    PrimaryKey, QualifiedName, Schema, Table, UniqueConstraint,
};

/// The schema unqualified names land in (PostgreSQL's default `search_path`).
pub const DEFAULT_SCHEMA: &str = "public";

/// Where a statement is: its file, line and column.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StmtRef {
    /// The file as messages show it.
    pub path: String,
    /// File line of the statement's first character.
    pub line: u32,
    /// Its column.
    pub column: u32,
}

impl fmt::Display for StmtRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.path, self.line, self.column)
    }
}

/// How far a statement the fold cannot model reaches.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// One table's contents (it exists; its columns and constraints are unsure).
    Table,
    /// Everything in one schema.
    Schema,
    /// Everything.
    World,
    /// Only objects the model does not hold (a view, a function, …).
    Unmodelled,
}

/// A statement the fold could not model, and what it makes unsure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Taint {
    /// The statement's number in the fold (its epoch).
    pub epoch: u32,
    /// Where it is.
    pub at: StmtRef,
    /// What it reaches.
    pub scope: Scope,
    /// The object it names, for `Table` and `Schema` scopes.
    pub object: Option<String>,
    /// Why it was not modelled.
    pub why: String,
}

/// A statement the server would refuse, found where the fold is sure of
/// every fact it used.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Finding {
    /// The rule it breaks.
    pub rule: Rule,
    /// The statement.
    pub at: StmtRef,
    /// What is wrong and how to fix it.
    pub message: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} [{}]", self.at, self.message, self.rule)
    }
}

/// How many statements were folded, and how many of them modelled.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Coverage {
    /// Statements folded.
    pub statements: usize,
    /// Statements whose every effect is in the model.
    pub modelled: usize,
    /// The statements that were not, in order.
    pub taints: Vec<Taint>,
}

impl Coverage {
    /// `N of M statements modelled (P %)`, with the places that made parts
    /// unsure (a statement not modelled, or one whose effect is not wholly
    /// known, such as a detached partition).
    pub fn summary(&self) -> String {
        let share = if self.statements == 0 {
            100.0
        } else {
            self.modelled as f64 * 100.0 / self.statements as f64
        };
        let mut out = format!(
            "{} of {} statements modelled ({share:.1} %)",
            self.modelled, self.statements
        );
        if !self.taints.is_empty() {
            let shown: Vec<String> = self
                .taints
                .iter()
                .take(3)
                .map(|t| format!("{} ({})", t.at, t.why))
                .collect();
            let more = self.taints.len().saturating_sub(3);
            out.push_str("; unsure after: ");
            out.push_str(&shown.join(", "));
            if more > 0 {
                out.push_str(&format!(" and {more} more"));
            }
        }
        out
    }
}

/// An expression as SQL (deparsed by PostgreSQL's rules), with the columns
/// of its own table it names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Expr {
    /// The SQL text.
    pub sql: String,
    /// The distinct column names it references, in order of appearance.
    pub columns: Vec<String>,
    /// Its parse tree, to rewrite it when a column it names is renamed.
    pub(crate) tree: ExprTree,
}

/// The parse tree behind an [`Expr`]. Expressions compare by their SQL, so
/// two trees always compare equal (and the tree's own types are not `Eq`).
#[derive(Clone, Default)]
pub(crate) struct ExprTree(pub(crate) Option<Box<pg_query::protobuf::Node>>);

impl PartialEq for ExprTree {
    fn eq(&self, _: &ExprTree) -> bool {
        true
    }
}

impl Eq for ExprTree {}

impl fmt::Debug for ExprTree {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExprTree")
    }
}

/// A column in the fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColumnState {
    /// Its name.
    pub name: String,
    /// Its type as PostgreSQL's deparser writes it.
    pub data_type: String,
    /// `false` after `NOT NULL` or when in the primary key.
    pub nullable: bool,
    /// `DEFAULT`.
    pub default: Option<Expr>,
    /// `GENERATED … AS IDENTITY`.
    pub identity: Option<Identity>,
    /// `GENERATED ALWAYS AS (…) STORED`.
    pub generated: Option<Expr>,
    /// `COMMENT ON COLUMN`.
    pub comment: Option<String>,
    /// The sequence a `serial` column owns, dropped with it.
    pub sequence: Option<String>,
    /// The name of a `CONSTRAINT n NOT NULL` written for it (PostgreSQL 18
    /// names its NOT NULL constraints), which `DROP CONSTRAINT n` drops.
    pub not_null_name: Option<String>,
    /// `COLLATE name`.
    pub collation: Option<String>,
}

/// A primary key or unique constraint, with the index of the same name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyState {
    /// The constraint's (and its index's) name.
    pub name: String,
    /// `DEFERRABLE` / `INITIALLY DEFERRED`.
    pub deferral: crate::model::Deferral,
    /// Its columns.
    pub columns: Vec<String>,
}

/// A foreign key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ForeignKeyState {
    /// The constraint's name.
    pub name: String,
    /// `DEFERRABLE` / `INITIALLY DEFERRED`.
    pub deferral: crate::model::Deferral,
    /// Added `NOT VALID` and not validated since.
    pub not_valid: bool,
    /// Referencing columns.
    pub columns: Vec<String>,
    /// The referenced table.
    pub ref_table: TableId,
    /// Referenced columns.
    pub ref_columns: Vec<String>,
    /// `ON DELETE`.
    pub on_delete: FkAction,
    /// `ON UPDATE`.
    pub on_update: FkAction,
}

/// A check constraint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckState {
    /// The constraint's name.
    pub name: String,
    /// Added `NOT VALID` and not validated since.
    pub not_valid: bool,
    /// Its condition.
    pub expression: Expr,
}

/// One key of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IndexKeyState {
    /// A column.
    Column(String),
    /// An expression.
    Expression(Expr),
}

/// An index made by `CREATE INDEX`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexState {
    /// Its name.
    pub name: String,
    /// `UNIQUE`.
    pub unique: bool,
    /// Its keys.
    pub keys: Vec<IndexKeyState>,
    /// A partial index's `WHERE`.
    pub predicate: Option<Expr>,
    /// The access method when not btree.
    pub method: Option<String>,
    /// Each key's collation, operator class and order (empty: all default).
    pub key_options: Vec<crate::model::IndexKeyOptions>,
    /// `INCLUDE` columns.
    pub include: Vec<String>,
    /// `WITH (…)` storage parameters.
    pub with: Vec<(String, String)>,
}

impl IndexState {
    /// Whether the index uses `column`.
    pub fn uses(&self, column: &str) -> bool {
        self.keys.iter().any(|k| match k {
            IndexKeyState::Column(c) => c == column,
            IndexKeyState::Expression(e) => e.columns.iter().any(|c| c == column),
        }) || self
            .predicate
            .as_ref()
            .is_some_and(|p| p.columns.iter().any(|c| c == column))
    }
}

/// An exclusion constraint, with the index of the same name it builds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExclusionState {
    /// The index it builds: its name is the constraint's.
    pub index: IndexState,
    /// Each element's operator (`&&`, `OPERATOR(s.op)` when qualified by
    /// another schema than `pg_catalog`).
    pub operators: Vec<String>,
    /// `DEFERRABLE` / `INITIALLY DEFERRED`.
    pub deferral: crate::model::Deferral,
}

/// A table in the fold.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TableState {
    /// Its schema.
    pub schema: String,
    /// Its name.
    pub name: String,
    /// Columns in order.
    pub columns: Vec<ColumnState>,
    /// The primary key.
    pub primary_key: Option<KeyState>,
    /// Unique constraints.
    pub uniques: Vec<KeyState>,
    /// Foreign keys.
    pub foreign_keys: Vec<ForeignKeyState>,
    /// Check constraints.
    pub checks: Vec<CheckState>,
    /// Indexes made by `CREATE INDEX`.
    pub indexes: Vec<IndexState>,
    /// Exclusion constraints.
    pub exclusions: Vec<ExclusionState>,
    /// `COMMENT ON TABLE`.
    pub comment: Option<String>,
    /// `WITH (…)` storage parameters, set by `CREATE TABLE` and `ALTER
    /// TABLE … SET/RESET (…)`.
    pub storage: Vec<(String, String)>,
    /// The epoch of the statement that last gave the fold its full shape.
    pub established: u32,
    /// A statement after which its contents are unsure.
    pub shape: Option<Taint>,
    /// PostgreSQL: the partitioned table this one is a partition of
    /// (`PARTITION OF`, `ATTACH PARTITION`). A partition's columns are its
    /// parent's; it is left out of [`State::to_schema`], and partition keys
    /// and bounds are not modelled, so an offline comparison leaves
    /// partitioning out on both sides.
    pub partition_of: Option<TableId>,
    /// PostgreSQL: a partitioned table's key (`PARTITION BY`); `None` for a
    /// table that is not partitioned. Not compared.
    pub partition_key: Option<PartitionKey>,
    /// PostgreSQL: a partition's bound (`FOR VALUES …`), as written.
    pub partition_bound: Option<PartitionBound>,
}

/// A partitioned table's key (its strategy is its partitions' bounds').
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionKey {
    /// Each element: the column it is, or `None` for an expression.
    pub elements: Vec<Option<String>>,
    /// Every column the key reads, an expression's included.
    pub columns: Vec<String>,
}

/// A partition's bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PartitionBound {
    /// `DEFAULT`.
    Default,
    /// `FROM (…) TO (…)`.
    Range {
        /// The lower bound, included.
        from: Vec<BoundValue>,
        /// The upper bound, excluded.
        to: Vec<BoundValue>,
    },
    /// `IN (…)`.
    List(Vec<BoundValue>),
    /// `WITH (MODULUS m, REMAINDER r)`.
    Hash {
        /// The modulus.
        modulus: i32,
        /// The remainder.
        remainder: i32,
    },
}

/// One value of a partition bound, as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum BoundValue {
    /// `MINVALUE`.
    MinValue,
    /// `MAXVALUE`.
    MaxValue,
    /// `NULL`.
    Null,
    /// An integer constant.
    Integer(i64),
    /// A string constant (with or without a cast).
    Text(String),
    /// Anything else (an expression, a float): not compared.
    Other,
}

impl TableState {
    /// The column named `name`.
    pub fn column(&self, name: &str) -> Option<&ColumnState> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Renames column `old` to `new` in the lists that name it (keys,
    /// foreign keys, index keys), and returns the expressions that may name
    /// it (index keys and predicates, checks, generated columns, defaults),
    /// for the caller to rewrite as its dialect writes them. The column
    /// itself keeps its name: the caller renames it.
    pub(crate) fn rename_in_lists(&mut self, old: &str, new: &str) -> Vec<&mut Expr> {
        let rename = |cols: &mut Vec<String>| {
            for c in cols.iter_mut() {
                if c == old {
                    *c = new.to_owned();
                }
            }
        };
        if let Some(k) = &mut self.primary_key {
            rename(&mut k.columns);
        }
        for k in &mut self.uniques {
            rename(&mut k.columns);
        }
        for f in &mut self.foreign_keys {
            rename(&mut f.columns);
        }
        if let Some(key) = &mut self.partition_key {
            rename(&mut key.columns);
            for c in key.elements.iter_mut().flatten() {
                if c == old {
                    *c = new.to_owned();
                }
            }
        }
        let mut exprs: Vec<&mut Expr> = Vec::new();
        for x in &mut self.exclusions {
            rename(&mut x.index.include);
        }
        for i in self
            .indexes
            .iter_mut()
            .chain(self.exclusions.iter_mut().map(|x| &mut x.index))
        {
            for k in &mut i.keys {
                match k {
                    IndexKeyState::Column(c) if c == old => *c = new.to_owned(),
                    IndexKeyState::Expression(e) => exprs.push(e),
                    IndexKeyState::Column(_) => {}
                }
            }
            exprs.extend(i.predicate.as_mut());
        }
        exprs.extend(self.checks.iter_mut().map(|c| &mut c.expression));
        for c in &mut self.columns {
            exprs.extend(c.generated.as_mut());
            exprs.extend(c.default.as_mut());
        }
        exprs
    }

    /// A table with no column yet, made at `epoch`.
    pub(crate) fn empty(schema: String, name: String, epoch: u32) -> TableState {
        TableState {
            schema,
            name,
            columns: Vec::new(),
            primary_key: None,
            uniques: Vec::new(),
            foreign_keys: Vec::new(),
            checks: Vec::new(),
            indexes: Vec::new(),
            exclusions: Vec::new(),
            comment: None,
            storage: Vec::new(),
            established: epoch,
            shape: None,
            partition_of: None,
            partition_key: None,
            partition_bound: None,
        }
    }

    /// The column named `name`, to change.
    pub fn column_mut(&mut self, name: &str) -> Option<&mut ColumnState> {
        self.columns.iter_mut().find(|c| c.name == name)
    }
}

/// A table's place in the fold's arena; it survives renames.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct TableId(pub(crate) usize);

/// What a relation name (PostgreSQL's `pg_class` namespace) stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Relation {
    /// A table.
    Table(TableId),
    /// An index made by `CREATE INDEX` on a table.
    Index(TableId),
    /// The index of a primary key or unique constraint.
    KeyIndex(TableId),
    /// A sequence, owned by a table's column or free.
    Sequence(Option<TableId>),
    /// A view, or anything else the model does not hold.
    Other,
}

/// An enum type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnumState {
    /// Its labels in order.
    pub values: Vec<String>,
    /// `COMMENT ON TYPE`.
    pub comment: Option<String>,
}

/// A function or procedure, one overload of its name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionState {
    /// Its input argument types as the deparser writes them (OUT and TABLE
    /// arguments left out, type modifiers dropped); `None` when one of
    /// them could not be read, so the signature is not known.
    pub args: Option<Vec<String>>,
    /// `CREATE PROCEDURE`.
    pub procedure: bool,
    /// The epoch of the statement that made (or replaced) it.
    pub established: u32,
}

/// A trigger on a table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TriggerState {
    /// The function it executes, `(schema, name)`; it takes no arguments.
    pub function: (String, String),
}

/// A table a view reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewRead {
    /// The table.
    pub table: TableId,
    /// The columns of it the view uses; `None` when the fold could not
    /// tell which (a subquery, a CTE, an alias with column names).
    pub columns: Option<Vec<String>>,
}

/// A view or a materialized view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ViewState {
    /// `CREATE MATERIALIZED VIEW`.
    pub materialized: bool,
    /// Its output columns in order, when the fold could name them all.
    pub columns: Option<Vec<String>>,
    /// The tables it reads.
    pub reads: Vec<ViewRead>,
    /// The views it reads, `(schema, name)`.
    pub views: Vec<(String, String)>,
    /// The functions it calls, by name.
    pub calls: Vec<String>,
    /// The epoch of the statement that made (or replaced) it.
    pub established: u32,
}

impl ViewState {
    /// Whether the view uses `column` of table `id`: `Some(true)` or
    /// `Some(false)` when the fold knows, `None` when it cannot tell.
    pub fn uses_column(&self, id: TableId, column: &str) -> Option<bool> {
        let mut answer = Some(false);
        for r in self.reads.iter().filter(|r| r.table == id) {
            match &r.columns {
                Some(cols) if cols.iter().any(|c| c == column) => return Some(true),
                Some(_) => {}
                None => answer = None,
            }
        }
        answer
    }
}

/// An extension made by `CREATE EXTENSION`; what it creates is a taint of
/// its schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExtensionState {
    /// The schema its objects went into.
    pub schema: String,
    /// The epoch of the statement that made it.
    pub established: u32,
    /// Made with CASCADE (the extensions it requires came too).
    pub cascade: bool,
}

/// What a lookup knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Certainty<'a> {
    /// The fold knows the object and all of its contents.
    Certain,
    /// The fold holds the object, but a statement it could not model may
    /// have changed it.
    Unsure(&'a Taint),
}

/// What a change to the model replaced, so that it can be put back.
#[derive(Debug, Clone)]
enum Undo {
    /// A table's slot held this.
    Table(usize, Option<Box<TableState>>),
    /// The arena had this many slots.
    TableCount(usize),
    /// A relation name stood for this.
    Relation((String, String), Option<Relation>),
    /// A schema's constraint names were these.
    Constraints(String, Option<HashMap<String, u32>>),
    /// So many constraints of a schema had this name.
    ConstraintName(String, String, u32),
    /// An enum type was this.
    Enum((String, String), Option<EnumState>),
    /// A schema was there (with its taint), or not.
    Schema(String, Option<Option<Taint>>),
    /// The world's taint was this.
    World(Option<Taint>),
    /// A table's referencing tables were these.
    ReferencedBy(TableId, Option<Vec<TableId>>),
    /// The overloads of a function name were these.
    Functions((String, String), Option<Vec<FunctionState>>),
    /// A trigger was this.
    Trigger((TableId, String), Option<TriggerState>),
    /// A view was this.
    View((String, String), Option<ViewState>),
    /// An extension was there (in this schema, made at this epoch), or not.
    Extension(String, Option<ExtensionState>),
}

/// The changes since a mark, newest last: a downgrade is folded on the
/// model its upgrade produced and then taken back, at the cost of what it
/// touched rather than of the whole model.
#[derive(Debug, Clone, Default)]
struct Journal {
    entries: Vec<Undo>,
    /// The table slots saved since the last mark (a slot is saved once).
    saved: std::collections::HashSet<usize>,
}

/// A point in the journal to compare with or go back to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mark(usize);

/// The fold's working model.
#[derive(Debug, Clone, Default)]
pub struct State {
    pub(crate) epoch: u32,
    world: Option<Taint>,
    schemas: BTreeMap<String, Option<Taint>>,
    tables: Vec<Option<TableState>>,
    relations: HashMap<(String, String), Relation>,
    /// Constraint names per schema, counted: an explicit CHECK name may repeat.
    constraints: HashMap<String, HashMap<String, u32>>,
    enums: BTreeMap<(String, String), EnumState>,
    /// The tables that have (or had) a foreign key to a table.
    referenced_by: HashMap<TableId, Vec<TableId>>,
    journal: Option<Journal>,
    /// Functions of the chain whose body may run DDL (by name): calling
    /// one makes everything unsure.
    ddl_functions: std::collections::HashSet<String>,
    /// Types other than enums, known by name only (composite, domain,
    /// range, base): dropping one is not a missing type.
    other_types: std::collections::HashSet<(String, String)>,
    /// Functions and procedures by `(schema, name)`, each overload with
    /// its signature.
    functions: HashMap<(String, String), Vec<FunctionState>>,
    /// Triggers by table and name.
    triggers: BTreeMap<(TableId, String), TriggerState>,
    /// Views and materialized views by `(schema, name)`; their relation
    /// name stands for [`Relation::Other`].
    views: HashMap<(String, String), ViewState>,
    /// Extensions by name: the schema they went into, and when.
    extensions: HashMap<String, ExtensionState>,
    pub(crate) coverage: Coverage,
    /// What the server would refuse, in the order found.
    pub(crate) findings: Vec<Finding>,
}

impl State {
    /// An empty database: only the default schema.
    pub fn new() -> State {
        State::default()
    }

    /// What the fold has counted so far.
    pub fn coverage(&self) -> &Coverage {
        &self.coverage
    }

    /// What the server would refuse, in the order found.
    pub fn findings(&self) -> &[Finding] {
        &self.findings
    }

    /// Whether a name the model does not hold in `schema` is surely absent
    /// from the database: nothing the fold could not model may have made it.
    pub fn absent_is_certain(&self, schema: &str) -> bool {
        self.world.is_none() && self.schemas.get(schema).is_none_or(Option::is_none)
    }

    /// Whether the fold knows all of a table.
    pub fn is_certain(&self, id: TableId) -> bool {
        matches!(self.certainty(id), Certainty::Certain)
    }

    /// The live tables, with their ids.
    pub fn tables(&self) -> impl Iterator<Item = (TableId, &TableState)> {
        self.tables
            .iter()
            .enumerate()
            .filter_map(|(i, t)| t.as_ref().map(|t| (TableId(i), t)))
    }

    /// The table with this id.
    pub fn table(&self, id: TableId) -> &TableState {
        self.tables[id.0].as_ref().expect("live table id")
    }

    pub(crate) fn table_mut(&mut self, id: TableId) -> &mut TableState {
        if let Some(j) = &mut self.journal
            && j.saved.insert(id.0)
        {
            j.entries
                .push(Undo::Table(id.0, self.tables[id.0].clone().map(Box::new)));
        }
        self.tables[id.0].as_mut().expect("live table id")
    }

    fn save(&mut self, undo: impl FnOnce(&State) -> Undo) {
        if self.journal.is_some() {
            let entry = undo(self);
            if let Some(j) = &mut self.journal {
                j.entries.push(entry);
            }
        }
    }

    /// Sets what a relation name stands for (`None` frees it).
    pub(crate) fn set_relation(&mut self, schema: &str, name: &str, to: Option<Relation>) {
        let key = (schema.to_owned(), name.to_owned());
        self.save(|s| Undo::Relation(key.clone(), s.relations.get(&key).copied()));
        match to {
            Some(r) => self.relations.insert(key, r),
            None => self.relations.remove(&key),
        };
    }

    /// Notes a function whose body may run DDL. Kept for the rest of the
    /// chain, also when made by a downgrade: it only makes more unsure.
    pub(crate) fn note_ddl_function(&mut self, name: &str) {
        self.ddl_functions.insert(name.to_owned());
    }

    /// Whether `name` is a function of the chain whose body may run DDL.
    pub(crate) fn is_ddl_function(&self, name: &str) -> bool {
        self.ddl_functions.contains(name)
    }

    /// Notes a type other than an enum, known by name only.
    pub(crate) fn note_other_type(&mut self, schema: &str, name: &str) {
        self.other_types
            .insert((schema.to_owned(), name.to_owned()));
    }

    /// Whether `schema.name` was made as a type other than an enum.
    pub(crate) fn has_other_type(&self, schema: &str, name: &str) -> bool {
        self.other_types
            .contains(&(schema.to_owned(), name.to_owned()))
    }

    /// Whether the enum type `schema.name` is in the model.
    pub(crate) fn has_enum(&self, key: &(String, String)) -> bool {
        self.enums.contains_key(key)
    }

    /// Sets an enum type (`None` drops it); returns what was there.
    pub(crate) fn set_enum(
        &mut self,
        key: &(String, String),
        to: Option<EnumState>,
    ) -> Option<EnumState> {
        self.save(|s| Undo::Enum(key.clone(), s.enums.get(key).cloned()));
        match to {
            Some(e) => self.enums.insert(key.clone(), e),
            None => self.enums.remove(key),
        }
    }

    /// The enum type `schema.name`, to change.
    pub(crate) fn enum_mut(&mut self, key: &(String, String)) -> Option<&mut EnumState> {
        self.save(|s| Undo::Enum(key.clone(), s.enums.get(key).cloned()));
        self.enums.get_mut(key)
    }

    /// Adds a schema.
    pub(crate) fn add_schema(&mut self, schema: &str) {
        self.save(|s| Undo::Schema(schema.to_owned(), s.schemas.get(schema).cloned()));
        self.schemas.insert(schema.to_owned(), None);
    }

    /// Whether a schema other than the default one is in the model.
    pub(crate) fn has_own_schema(&self, schema: &str) -> bool {
        self.schemas.contains_key(schema)
    }

    /// Whether a statement the fold could not model may have changed anything.
    pub(crate) fn world_tainted(&self) -> bool {
        self.world.is_some()
    }

    /// Removes a schema with its enums, relation names, constraint names,
    /// views, functions and extensions (its tables are dropped by the
    /// caller first).
    pub(crate) fn remove_schema(&mut self, schema: &str) {
        let enums: Vec<(String, String)> = self
            .enums
            .keys()
            .filter(|(s, _)| s == schema)
            .cloned()
            .collect();
        for key in enums {
            self.set_enum(&key, None);
        }
        let names: Vec<(String, String)> = self
            .relations
            .keys()
            .filter(|(s, _)| s == schema)
            .cloned()
            .collect();
        for (s, n) in names {
            self.set_relation(&s, &n, None);
        }
        let views: Vec<(String, String)> = self
            .views
            .keys()
            .filter(|(s, _)| s == schema)
            .cloned()
            .collect();
        for key in views {
            self.drop_view(&key);
        }
        let functions: Vec<(String, String)> = self
            .functions
            .keys()
            .filter(|(s, _)| s == schema)
            .cloned()
            .collect();
        for (s, n) in functions {
            self.set_functions(&s, &n, Vec::new());
        }
        let extensions: Vec<String> = self
            .extensions
            .iter()
            .filter(|(_, e)| e.schema == schema)
            .map(|(n, _)| n.clone())
            .collect();
        for name in extensions {
            self.set_extension(&name, None);
        }
        self.save(|s| Undo::Constraints(schema.to_owned(), s.constraints.get(schema).cloned()));
        self.constraints.remove(schema);
        self.save(|s| Undo::Schema(schema.to_owned(), s.schemas.get(schema).cloned()));
        self.schemas.remove(schema);
    }

    /// Starts, or goes on with, recording changes; what follows the mark
    /// can be compared with what was there and taken back.
    pub fn mark(&mut self) -> Mark {
        let j = self.journal.get_or_insert_with(Journal::default);
        j.saved.clear();
        Mark(j.entries.len())
    }

    /// A mark before one statement, when changes are being recorded (a
    /// revision is being folded): a statement the server would refuse is
    /// then taken back whole.
    pub(crate) fn statement_mark(&mut self) -> Option<Mark> {
        self.journal.is_some().then(|| self.mark())
    }

    /// Puts back everything changed since `mark`.
    pub fn undo_to(&mut self, mark: Mark) {
        let Some(mut j) = self.journal.take() else {
            return;
        };
        while j.entries.len() > mark.0 {
            match j.entries.pop().expect("an entry past the mark") {
                Undo::Table(slot, t) => self.tables[slot] = t.map(|t| *t),
                Undo::TableCount(n) => self.tables.truncate(n),
                Undo::Relation(key, r) => {
                    match r {
                        Some(r) => self.relations.insert(key, r),
                        None => self.relations.remove(&key),
                    };
                }
                Undo::ConstraintName(schema, name, n) => {
                    let m = self.constraints.entry(schema).or_default();
                    if n == 0 {
                        m.remove(&name);
                    } else {
                        m.insert(name, n);
                    }
                }
                Undo::Constraints(schema, m) => {
                    match m {
                        Some(m) => self.constraints.insert(schema, m),
                        None => self.constraints.remove(&schema),
                    };
                }
                Undo::Enum(key, e) => {
                    match e {
                        Some(e) => self.enums.insert(key, e),
                        None => self.enums.remove(&key),
                    };
                }
                Undo::Schema(schema, t) => {
                    match t {
                        Some(t) => self.schemas.insert(schema, t),
                        None => self.schemas.remove(&schema),
                    };
                }
                Undo::World(w) => self.world = w,
                Undo::ReferencedBy(id, v) => {
                    match v {
                        Some(v) => self.referenced_by.insert(id, v),
                        None => self.referenced_by.remove(&id),
                    };
                }
                Undo::Functions(key, v) => {
                    match v {
                        Some(v) => self.functions.insert(key, v),
                        None => self.functions.remove(&key),
                    };
                }
                Undo::Trigger(key, t) => {
                    match t {
                        Some(t) => self.triggers.insert(key, t),
                        None => self.triggers.remove(&key),
                    };
                }
                Undo::View(key, v) => {
                    match v {
                        Some(v) => self.views.insert(key, v),
                        None => self.views.remove(&key),
                    };
                }
                Undo::Extension(name, e) => {
                    match e {
                        Some(e) => self.extensions.insert(name, e),
                        None => self.extensions.remove(&name),
                    };
                }
            }
        }
        j.saved.clear();
        self.journal = Some(j);
    }

    /// The coverage counts, to put back with [`State::restore_coverage`]:
    /// a downgrade folded and taken back leaves the head's model and its
    /// coverage as they were.
    pub(crate) fn coverage_counts(&self) -> (usize, usize, usize) {
        (
            self.coverage.statements,
            self.coverage.modelled,
            self.coverage.taints.len(),
        )
    }

    /// Puts back counts from [`State::coverage_counts`].
    pub(crate) fn restore_coverage(
        &mut self,
        (statements, modelled, taints): (usize, usize, usize),
    ) {
        self.coverage.statements = statements;
        self.coverage.modelled = modelled;
        self.coverage.taints.truncate(taints);
    }

    /// Whether table `id` was created after `mark` (tables are only ever
    /// appended: the first slot count recorded since the mark is where the
    /// new ones start).
    pub fn created_since(&self, mark: Mark, id: TableId) -> bool {
        let Some(j) = &self.journal else {
            return false;
        };
        j.entries[mark.0.min(j.entries.len())..]
            .iter()
            .find_map(|e| match e {
                Undo::TableCount(n) => Some(id.0 >= *n),
                _ => None,
            })
            .unwrap_or(false)
    }

    /// Stops recording and forgets what was recorded.
    pub fn end_journal(&mut self) {
        self.journal = None;
    }

    /// The part of the model changed since `mark`, as it was at the mark
    /// and as it is now: tables (by name), and enum types.
    pub fn changed_since(&self, mark: Mark) -> (Schema, Schema) {
        let Some(j) = &self.journal else {
            return (Schema::default(), Schema::default());
        };
        let entries = &j.entries[mark.0..];
        let mut before_tables: BTreeMap<usize, Option<TableState>> = BTreeMap::new();
        let mut count_at_mark: Option<usize> = None;
        let mut enum_keys: BTreeMap<(String, String), Option<EnumState>> = BTreeMap::new();
        for e in entries {
            match e {
                Undo::Table(slot, t) => {
                    before_tables
                        .entry(*slot)
                        .or_insert_with(|| t.as_deref().cloned());
                }
                Undo::TableCount(n) => {
                    count_at_mark.get_or_insert(*n);
                }
                Undo::Enum(key, e) => {
                    enum_keys.entry(key.clone()).or_insert_with(|| e.clone());
                }
                _ => {}
            }
        }
        let count_at_mark = count_at_mark.unwrap_or(self.tables.len());
        for slot in count_at_mark..self.tables.len() {
            before_tables.insert(slot, None);
        }
        // A table's name as it was at the mark, for foreign keys.
        let name_before = |id: TableId| -> Option<QualifiedName> {
            match before_tables.get(&id.0) {
                Some(Some(t)) => Some(qualified(&t.schema, &t.name)),
                Some(None) => None,
                None => self.tables[id.0]
                    .as_ref()
                    .map(|t| qualified(&t.schema, &t.name)),
            }
        };
        let name_now = |id: TableId| -> Option<QualifiedName> {
            self.tables
                .get(id.0)
                .and_then(Option::as_ref)
                .map(|t| qualified(&t.schema, &t.name))
        };
        let mut before = Schema::default();
        let mut after = Schema::default();
        for (slot, old) in &before_tables {
            if let Some(t) = old {
                let table = table_model(t, &name_before);
                before.tables.insert(table.name.clone(), table);
            }
            if let Some(t) = self.tables.get(*slot).and_then(Option::as_ref) {
                let table = table_model(t, &name_now);
                after.tables.insert(table.name.clone(), table);
            }
        }
        for (key, old) in enum_keys {
            let qn = qualified(&key.0, &key.1);
            if let Some(e) = old {
                before.enums.insert(qn.clone(), enum_model(&qn, &e));
            }
            if let Some(e) = self.enums.get(&key) {
                after.enums.insert(qn.clone(), enum_model(&qn, e));
            }
        }
        (before, after)
    }

    /// Whether anything the model compares differs from what it was at
    /// `mark`: tables (their shape, not the fold's bookkeeping), tables made
    /// since, and enum types. Cheap, so that the comparison through `diff`
    /// runs only for a downgrade that leaves something different.
    pub fn differs_since(&self, mark: Mark) -> bool {
        let Some(j) = &self.journal else {
            return false;
        };
        let entries = &j.entries[mark.0..];
        // Slots made since the mark were empty at it, whatever their first
        // saved state (a table is saved once made, on its first change).
        let count_at_mark = entries
            .iter()
            .find_map(|e| match e {
                Undo::TableCount(n) => Some(*n),
                _ => None,
            })
            .unwrap_or(self.tables.len());
        let mut seen = std::collections::HashSet::new();
        for e in entries {
            match e {
                Undo::Table(slot, old) if seen.insert(*slot) => {
                    let now = self.tables.get(*slot).and_then(Option::as_ref);
                    let old = if *slot >= count_at_mark {
                        None
                    } else {
                        old.as_deref()
                    };
                    let same = match (old, now) {
                        (None, None) => true,
                        (Some(a), Some(b)) => same_shape(a, b),
                        _ => false,
                    };
                    if !same {
                        return true;
                    }
                }
                Undo::TableCount(n) if self.tables[*n..].iter().any(Option::is_some) => {
                    return true;
                }
                Undo::Enum(key, old) if self.enums.get(key) != old.as_ref() => return true,
                _ => {}
            }
        }
        false
    }

    /// What differs since `mark` among the objects the shared `Schema` does
    /// not hold, one phrase each (`leaves view active_users`, `does not
    /// re-create function touch(int)`): views, functions by signature,
    /// triggers, extensions and free sequences, by name. A function name
    /// with an overload whose signature is unknown is left out.
    pub fn objects_changed_since(&self, mark: Mark) -> Vec<String> {
        let Some(j) = &self.journal else {
            return Vec::new();
        };
        let show = |(schema, name): &(String, String)| qualified(schema, name).to_string();
        let mut seen_views = std::collections::HashSet::new();
        let mut seen_functions = std::collections::HashSet::new();
        let mut seen_triggers = std::collections::HashSet::new();
        let mut seen_extensions = std::collections::HashSet::new();
        let mut seen_sequences = std::collections::HashSet::new();
        let mut out = Vec::new();
        let mut gone = |was: bool, is: bool, what: String| match (was, is) {
            (true, false) => out.push(format!("does not re-create {what}")),
            (false, true) => out.push(format!("leaves {what}")),
            _ => {}
        };
        for e in &j.entries[mark.0..] {
            match e {
                Undo::View(key, old) if seen_views.insert(key.clone()) => {
                    gone(
                        old.is_some(),
                        self.views.contains_key(key),
                        format!("view {}", show(key)),
                    );
                }
                Undo::Functions(key, old) if seen_functions.insert(key.clone()) => {
                    let before = old.as_deref().unwrap_or(&[]);
                    let now = self.functions.get(key).map_or(&[][..], Vec::as_slice);
                    if before.iter().chain(now).any(|f| f.args.is_none()) {
                        continue;
                    }
                    let sig = |f: &FunctionState| f.args.clone().unwrap_or_default();
                    for f in before {
                        if !now.iter().any(|g| sig(g) == sig(f)) {
                            gone(
                                true,
                                false,
                                format!("function {}({})", show(key), sig(f).join(", ")),
                            );
                        }
                    }
                    for f in now {
                        if !before.iter().any(|g| sig(g) == sig(f)) {
                            gone(
                                false,
                                true,
                                format!("function {}({})", show(key), sig(f).join(", ")),
                            );
                        }
                    }
                }
                Undo::Trigger(key, old) if seen_triggers.insert(key.clone()) => {
                    let Some(table) = self.tables.get(key.0.0).and_then(Option::as_ref) else {
                        continue;
                    };
                    gone(
                        old.is_some(),
                        self.triggers.contains_key(key),
                        format!(
                            "trigger {} on {}",
                            key.1,
                            qualified(&table.schema, &table.name)
                        ),
                    );
                }
                Undo::Extension(name, old) if seen_extensions.insert(name.clone()) => {
                    gone(
                        old.is_some(),
                        self.extensions.contains_key(name),
                        format!("extension {name}"),
                    );
                }
                Undo::Relation(key, old) if seen_sequences.insert(key.clone()) => {
                    let free = |r: Option<&Relation>| matches!(r, Some(Relation::Sequence(None)));
                    let (was, is) = (free(old.as_ref()), free(self.relations.get(key)));
                    if was || is {
                        gone(was, is, format!("sequence {}", show(key)));
                    }
                }
                _ => {}
            }
        }
        out
    }

    /// Whether every table changed since `mark` was, and is, fully known:
    /// only then can a comparison be trusted.
    pub fn changed_since_is_certain(&self, mark: Mark) -> bool {
        let Some(j) = &self.journal else {
            return true;
        };
        j.entries[mark.0..].iter().all(|e| match e {
            Undo::Table(slot, old) => {
                old.as_ref()
                    .is_none_or(|t| self.table_certainty(t).is_none())
                    && self.tables[*slot]
                        .as_ref()
                        .is_none_or(|t| self.table_certainty(t).is_none())
            }
            Undo::World(_) | Undo::Schema(..) => self.world.is_none(),
            _ => true,
        })
    }

    /// The table named `schema.name`.
    pub fn find_table(&self, schema: &str, name: &str) -> Option<TableId> {
        match self.relations.get(&(schema.to_owned(), name.to_owned())) {
            Some(Relation::Table(id)) => Some(*id),
            _ => None,
        }
    }

    /// What a relation name stands for.
    pub fn relation(&self, schema: &str, name: &str) -> Option<Relation> {
        self.relations
            .get(&(schema.to_owned(), name.to_owned()))
            .copied()
    }

    /// The enum type `schema.name`.
    pub fn find_enum(&self, schema: &str, name: &str) -> Option<&EnumState> {
        self.enums.get(&(schema.to_owned(), name.to_owned()))
    }

    /// Whether the fold knows all of a table, or what made it unsure.
    pub fn certainty(&self, id: TableId) -> Certainty<'_> {
        match self.table_certainty(self.table(id)) {
            Some(t) => Certainty::Unsure(t),
            None => Certainty::Certain,
        }
    }

    /// What makes a table unsure, if anything.
    fn table_certainty<'a>(&'a self, table: &'a TableState) -> Option<&'a Taint> {
        if let Some(t) = &table.shape {
            return Some(t);
        }
        let established = table.established;
        if let Some(t) = self.world.as_ref().filter(|t| t.epoch >= established) {
            return Some(t);
        }
        self.schemas
            .get(&table.schema)
            .and_then(Option::as_ref)
            .filter(|t| t.epoch >= established)
    }

    /// Whether a schema name is taken.
    pub fn has_schema(&self, schema: &str) -> bool {
        schema == DEFAULT_SCHEMA || self.schemas.contains_key(schema)
    }

    /// The relation name in `schema`, of a kind `wanted` accepts, nearest
    /// to `name` by edit distance, when it is close enough to be a typo or a
    /// guess at a name PostgreSQL chose. Runs only when a finding is made.
    pub(crate) fn nearest_relation(
        &self,
        schema: &str,
        name: &str,
        wanted: impl Fn(Relation) -> bool,
    ) -> Option<String> {
        let limit = (name.chars().count() / 4).max(3);
        self.relations
            .iter()
            .filter(|((s, _), r)| s == schema && wanted(**r))
            .map(|((_, n), _)| (edit_distance(n, name), n))
            .filter(|(d, _)| *d <= limit)
            .min()
            .map(|(_, n)| n.clone())
    }

    pub(crate) fn relation_taken(&self, schema: &str, name: &str) -> bool {
        self.relations
            .contains_key(&(schema.to_owned(), name.to_owned()))
    }

    pub(crate) fn constraint_taken(&self, schema: &str, name: &str) -> bool {
        self.constraints
            .get(schema)
            .is_some_and(|m| m.get(name).is_some_and(|&n| n > 0))
    }

    /// How many constraints of `schema` are named `name`.
    fn constraint_count(&self, schema: &str, name: &str) -> u32 {
        self.constraints
            .get(schema)
            .and_then(|m| m.get(name))
            .copied()
            .unwrap_or(0)
    }

    pub(crate) fn add_constraint_name(&mut self, schema: &str, name: &str) {
        self.save(|s| {
            Undo::ConstraintName(
                schema.to_owned(),
                name.to_owned(),
                s.constraint_count(schema, name),
            )
        });
        *self
            .constraints
            .entry(schema.to_owned())
            .or_default()
            .entry(name.to_owned())
            .or_insert(0) += 1;
    }

    pub(crate) fn remove_constraint_name(&mut self, schema: &str, name: &str) {
        self.save(|s| {
            Undo::ConstraintName(
                schema.to_owned(),
                name.to_owned(),
                s.constraint_count(schema, name),
            )
        });
        if let Some(m) = self.constraints.get_mut(schema)
            && let Some(n) = m.get_mut(name)
        {
            *n = n.saturating_sub(1);
            if *n == 0 {
                m.remove(name);
            }
        }
    }

    /// Adds a table under its name; the caller has checked the name is free.
    pub(crate) fn insert_table(&mut self, table: TableState) -> TableId {
        let id = TableId(self.tables.len());
        self.set_relation(&table.schema, &table.name, Some(Relation::Table(id)));
        self.save(|s| Undo::TableCount(s.tables.len()));
        self.tables.push(Some(table));
        id
    }

    /// Removes a table, its indexes, its constraints' names, its owned
    /// sequences, and the foreign keys of other tables that reference it
    /// (what `DROP TABLE … CASCADE` removes; without CASCADE PostgreSQL
    /// refuses when there are any).
    pub(crate) fn drop_table(&mut self, id: TableId) {
        if self.tables[id.0].is_none() {
            return;
        }
        self.table_mut(id);
        let Some(table) = self.tables[id.0].take() else {
            return;
        };
        let schema = table.schema.clone();
        // The table's own relation names, found from the table: dropping it
        // costs what it holds, not what the schema holds.
        let mut own: Vec<&String> = vec![&table.name];
        own.extend(table.primary_key.iter().map(|k| &k.name));
        own.extend(table.uniques.iter().map(|k| &k.name));
        own.extend(table.indexes.iter().map(|i| &i.name));
        own.extend(table.exclusions.iter().map(|x| &x.index.name));
        own.extend(table.columns.iter().filter_map(|c| c.sequence.as_ref()));
        for name in own {
            let key = (schema.clone(), name.clone());
            if self.relations.get(&key).is_some_and(|r| {
                matches!(r, Relation::Table(t) | Relation::Index(t) | Relation::KeyIndex(t)
                    | Relation::Sequence(Some(t)) if *t == id)
            }) {
                self.set_relation(&key.0, &key.1, None);
            }
        }
        for name in constraint_names(&table) {
            self.remove_constraint_name(&schema, &name);
        }
        let triggers: Vec<String> = self.triggers_on(id).map(|(n, _)| n.to_owned()).collect();
        for name in triggers {
            self.set_trigger(id, &name, None);
        }
        for view in self.views_reading_table(id, None) {
            self.drop_view(&view);
        }
        for other in self.referencing(id) {
            let dropped: Vec<String> = self
                .table(other)
                .foreign_keys
                .iter()
                .filter(|f| f.ref_table == id)
                .map(|f| f.name.clone())
                .collect();
            let other_schema = self.table(other).schema.clone();
            for name in dropped {
                self.remove_constraint_name(&other_schema, &name);
            }
            self.table_mut(other)
                .foreign_keys
                .retain(|f| f.ref_table != id);
        }
    }

    /// Notes that `from` has a foreign key to `to`.
    pub(crate) fn note_reference(&mut self, from: TableId, to: TableId) {
        self.save(|s| Undo::ReferencedBy(to, s.referenced_by.get(&to).cloned()));
        let list = self.referenced_by.entry(to).or_default();
        if !list.contains(&from) {
            list.push(from);
        }
    }

    /// The live tables other than `to` with a foreign key to `to`. The
    /// reverse index may hold tables whose key has gone since; they are
    /// left out here.
    pub(crate) fn referencing(&self, to: TableId) -> Vec<TableId> {
        self.referenced_by
            .get(&to)
            .into_iter()
            .flatten()
            .copied()
            .filter(|&from| {
                from != to
                    && self.tables[from.0]
                        .as_ref()
                        .is_some_and(|t| t.foreign_keys.iter().any(|f| f.ref_table == to))
            })
            .collect()
    }

    /// Records a statement: bumps the epoch and the count.
    pub(crate) fn begin_statement(&mut self) -> u32 {
        self.epoch += 1;
        self.coverage.statements += 1;
        self.epoch
    }

    /// Records a taint of `scope`.
    pub(crate) fn taint(
        &mut self,
        at: &StmtRef,
        scope: Scope,
        object: Option<String>,
        why: String,
    ) {
        let taint = Taint {
            epoch: self.epoch,
            at: at.clone(),
            scope,
            object: object.clone(),
            why,
        };
        match scope {
            Scope::World => {
                self.save(|s| Undo::World(s.world.clone()));
                self.world = Some(taint.clone());
            }
            Scope::Schema => {
                if let Some(schema) = &object {
                    self.save(|s| Undo::Schema(schema.clone(), s.schemas.get(schema).cloned()));
                    self.schemas.insert(schema.clone(), Some(taint.clone()));
                }
            }
            Scope::Table | Scope::Unmodelled => {}
        }
        self.coverage.taints.push(taint);
    }

    /// Marks a table's contents unsure.
    pub(crate) fn taint_table(&mut self, id: TableId, at: &StmtRef, why: String) {
        let name = {
            let t = self.table(id);
            format!("{}.{}", t.schema, t.name)
        };
        self.taint(at, Scope::Table, Some(name), why);
        let taint = self.coverage.taints.last().cloned();
        self.table_mut(id).shape = taint;
    }

    /// The tables whose contents the fold is not sure of, with why.
    pub fn unsure_tables(&self) -> Vec<(QualifiedName, &Taint)> {
        self.tables()
            .filter_map(|(id, t)| match self.certainty(id) {
                Certainty::Certain => None,
                Certainty::Unsure(why) => Some((qualified(&t.schema, &t.name), why)),
            })
            .collect()
    }

    /// What the model holds besides [`State::to_schema`]'s tables and
    /// enums, by name, sorted: views, materialized views, functions and
    /// procedures with their argument types, triggers, free sequences,
    /// other types and extensions, each as `kind name` (`view
    /// public.active_users`, `function public.f(integer)`, `trigger audit
    /// on public.users`). The fold keeps their names and what they depend
    /// on, not their definitions.
    pub fn other_objects(&self) -> Vec<String> {
        let name = |s: &str, n: &str| qualified(s, n).to_string();
        let mut out = Vec::new();
        for ((s, n), v) in &self.views {
            let kind = if v.materialized {
                "materialized view"
            } else {
                "view"
            };
            out.push(format!("{kind} {}", name(s, n)));
        }
        for ((s, n), overloads) in &self.functions {
            for f in overloads {
                let kind = if f.procedure { "procedure" } else { "function" };
                let args = f
                    .args
                    .as_ref()
                    .map_or_else(|| "…".to_owned(), |a| a.join(", "));
                out.push(format!("{kind} {}({args})", name(s, n)));
            }
        }
        for (table, trigger) in self.triggers.keys() {
            let t = self.table(*table);
            out.push(format!("trigger {trigger} on {}", name(&t.schema, &t.name)));
        }
        for ((s, n), r) in &self.relations {
            if let Relation::Sequence(None) = r {
                out.push(format!("sequence {}", name(s, n)));
            }
        }
        for (s, n) in &self.other_types {
            out.push(format!("type {}", name(s, n)));
        }
        for (n, e) in &self.extensions {
            out.push(format!("extension {n} (schema {})", e.schema));
        }
        out.sort();
        out
    }

    /// The model as the shared [`Schema`], names always given.
    pub fn to_schema(&self) -> Schema {
        let mut schema = Schema {
            schemas: self.schemas.keys().cloned().collect::<BTreeSet<_>>(),
            ..Schema::default()
        };
        for ((s, name), e) in &self.enums {
            let qn = qualified(s, name);
            schema.enums.insert(qn.clone(), enum_model(&qn, e));
        }
        let name_of = |id: TableId| {
            let r = self.table(id);
            Some(qualified(&r.schema, &r.name))
        };
        for (_, t) in self.tables().filter(|(_, t)| t.partition_of.is_none()) {
            let table = table_model(t, &name_of);
            schema.tables.insert(table.name.clone(), table);
        }
        schema
    }
}

/// Views, functions, triggers and extensions: known by name and by what
/// depends on what, not (yet) part of the shared [`Schema`].
impl State {
    /// Whether an object of `schema` made at epoch `established` is still
    /// surely as the fold made it: nothing unmodelled reached it since.
    pub(crate) fn object_is_certain(&self, schema: &str, established: u32) -> bool {
        self.world.as_ref().is_none_or(|t| t.epoch < established)
            && self
                .schemas
                .get(schema)
                .and_then(Option::as_ref)
                .is_none_or(|t| t.epoch < established)
    }

    /// Whether nothing that could change anything happened since epoch
    /// `established` (a world taint).
    pub(crate) fn world_certain_since(&self, established: u32) -> bool {
        self.world.as_ref().is_none_or(|t| t.epoch < established)
    }

    /// Whether some extension was made with CASCADE: the extensions it
    /// required are there under names the fold does not know.
    pub(crate) fn extensions_cascaded(&self) -> bool {
        self.extensions.values().any(|e| e.cascade)
    }

    /// The overloads of the function (or procedure) `schema.name`.
    pub fn functions(&self, schema: &str, name: &str) -> &[FunctionState] {
        self.functions
            .get(&(schema.to_owned(), name.to_owned()))
            .map_or(&[], Vec::as_slice)
    }

    /// Sets the overloads of `schema.name` (an empty list drops the name).
    pub(crate) fn set_functions(&mut self, schema: &str, name: &str, to: Vec<FunctionState>) {
        let key = (schema.to_owned(), name.to_owned());
        self.save(|s| Undo::Functions(key.clone(), s.functions.get(&key).cloned()));
        if to.is_empty() {
            self.functions.remove(&key);
        } else {
            self.functions.insert(key, to);
        }
    }

    /// The trigger `name` on table `id`.
    pub fn trigger(&self, id: TableId, name: &str) -> Option<&TriggerState> {
        self.triggers.get(&(id, name.to_owned()))
    }

    /// Sets a trigger (`None` drops it).
    pub(crate) fn set_trigger(&mut self, id: TableId, name: &str, to: Option<TriggerState>) {
        let key = (id, name.to_owned());
        self.save(|s| Undo::Trigger(key.clone(), s.triggers.get(&key).cloned()));
        match to {
            Some(t) => self.triggers.insert(key, t),
            None => self.triggers.remove(&key),
        };
    }

    /// The triggers on table `id`, by name.
    pub fn triggers_on(&self, id: TableId) -> impl Iterator<Item = (&str, &TriggerState)> {
        self.triggers
            .range((id, String::new())..)
            .take_while(move |((t, _), _)| *t == id)
            .map(|((_, n), t)| (n.as_str(), t))
    }

    /// The triggers that execute the function `schema.name`.
    pub fn triggers_executing(&self, schema: &str, name: &str) -> Vec<(TableId, String)> {
        self.triggers
            .iter()
            .filter(|(_, t)| t.function.0 == schema && t.function.1 == name)
            .map(|((id, n), _)| (*id, n.clone()))
            .collect()
    }

    /// The view `schema.name`.
    pub fn view(&self, schema: &str, name: &str) -> Option<&ViewState> {
        self.views.get(&(schema.to_owned(), name.to_owned()))
    }

    /// Sets a view under its relation name (`None` drops both).
    pub(crate) fn set_view(&mut self, schema: &str, name: &str, to: Option<ViewState>) {
        let key = (schema.to_owned(), name.to_owned());
        self.save(|s| Undo::View(key.clone(), s.views.get(&key).cloned()));
        let relation = to.as_ref().map(|_| Relation::Other);
        match to {
            Some(v) => self.views.insert(key, v),
            None => self.views.remove(&key),
        };
        self.set_relation(schema, name, relation);
    }

    /// The views that read table `id` (any of its columns, or surely
    /// `column`), sorted.
    pub fn views_reading_table(&self, id: TableId, column: Option<&str>) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .views
            .iter()
            .filter(|(_, v)| match column {
                None => v.reads.iter().any(|r| r.table == id),
                Some(c) => v.uses_column(id, c) == Some(true),
            })
            .map(|(k, _)| k.clone())
            .collect();
        out.sort();
        out
    }

    /// The views that read the view `key`, sorted.
    pub fn views_reading_view(&self, key: &(String, String)) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .views
            .iter()
            .filter(|(_, v)| v.views.contains(key))
            .map(|(k, _)| k.clone())
            .collect();
        out.sort();
        out
    }

    /// The views that call a function named `name`, sorted.
    pub fn views_calling(&self, name: &str) -> Vec<(String, String)> {
        let mut out: Vec<(String, String)> = self
            .views
            .iter()
            .filter(|(_, v)| v.calls.iter().any(|c| c == name))
            .map(|(k, _)| k.clone())
            .collect();
        out.sort();
        out
    }

    /// Drops a view and, first, the views that read it (what `DROP VIEW …
    /// CASCADE` drops).
    pub(crate) fn drop_view(&mut self, key: &(String, String)) {
        if !self.views.contains_key(key) {
            return;
        }
        for other in self.views_reading_view(key) {
            if &other != key {
                self.drop_view(&other);
            }
        }
        self.set_view(&key.0, &key.1, None);
    }

    /// Renames a view in its schema; the views that read it follow.
    pub(crate) fn rename_view(&mut self, schema: &str, old: &str, new: &str) {
        let key = (schema.to_owned(), old.to_owned());
        let Some(view) = self.views.get(&key).cloned() else {
            return;
        };
        let new_key = (schema.to_owned(), new.to_owned());
        for other in self.views_reading_view(&key) {
            let mut v = self.views[&other].clone();
            for r in &mut v.views {
                if *r == key {
                    *r = new_key.clone();
                }
            }
            self.set_view(&other.0, &other.1, Some(v));
        }
        self.set_view(schema, old, None);
        self.set_view(schema, new, Some(view));
    }

    /// A column of table `id` renamed: the views that use it follow
    /// (PostgreSQL keeps a view's columns by number, not by name).
    pub(crate) fn rename_view_column(&mut self, id: TableId, old: &str, new: &str) {
        for key in self.views_reading_table(id, Some(old)) {
            let mut v = self.views[&key].clone();
            for r in v.reads.iter_mut().filter(|r| r.table == id) {
                for c in r.columns.iter_mut().flatten() {
                    if c == old {
                        *c = new.to_owned();
                    }
                }
            }
            self.set_view(&key.0, &key.1, Some(v));
        }
    }

    /// The extension `name`.
    pub fn extension(&self, name: &str) -> Option<&ExtensionState> {
        self.extensions.get(name)
    }

    /// Sets an extension (`None` drops it).
    pub(crate) fn set_extension(&mut self, name: &str, to: Option<ExtensionState>) {
        self.save(|s| Undo::Extension(name.to_owned(), s.extensions.get(name).cloned()));
        match to {
            Some(e) => self.extensions.insert(name.to_owned(), e),
            None => self.extensions.remove(name),
        };
    }
}

fn enum_model(name: &QualifiedName, e: &EnumState) -> EnumType {
    EnumType {
        name: name.clone(),
        values: e.values.clone(),
        comment: e.comment.clone(),
    }
}

/// A table of the fold as the shared model's table; `name_of` names the
/// tables its foreign keys reference (a key to a table it cannot name is
/// left out).
fn table_model(t: &TableState, name_of: &dyn Fn(TableId) -> Option<QualifiedName>) -> Table {
    let mut table = Table::new(qualified(&t.schema, &t.name));
    table.columns = t
        .columns
        .iter()
        .map(|c| Column {
            name: c.name.clone(),
            data_type: c.data_type.clone(),
            nullable: c.nullable,
            default: c.default.as_ref().map(|e| e.sql.clone()),
            identity: c.identity,
            generated: c.generated.as_ref().map(|e| e.sql.clone()),
            comment: c.comment.clone(),
            collation: c.collation.clone(),
        })
        .collect();
    table.primary_key = t.primary_key.as_ref().map(|k| PrimaryKey {
        name: given(&k.name),
        columns: k.columns.clone(),
        deferral: k.deferral,
    });
    table.uniques = t
        .uniques
        .iter()
        .map(|k| UniqueConstraint {
            name: given(&k.name),
            columns: k.columns.clone(),
            deferral: k.deferral,
        })
        .collect();
    table.foreign_keys = t
        .foreign_keys
        .iter()
        .filter_map(|f| {
            Some(ForeignKey {
                name: given(&f.name),
                columns: f.columns.clone(),
                ref_table: name_of(f.ref_table)?,
                ref_columns: f.ref_columns.clone(),
                on_delete: f.on_delete,
                on_update: f.on_update,
                deferral: f.deferral,
                not_valid: f.not_valid,
            })
        })
        .collect();
    table.checks = t
        .checks
        .iter()
        .map(|c| CheckConstraint {
            name: given(&c.name),
            expression: c.expression.sql.clone(),
            not_valid: c.not_valid,
        })
        .collect();
    table.indexes = t.indexes.iter().map(index_model).collect();
    table.exclusions = t
        .exclusions
        .iter()
        .map(|x| Exclusion {
            name: x.index.name.clone(),
            index: index_model(&x.index),
            operators: x.operators.clone(),
            deferral: x.deferral,
        })
        .collect();
    table.comment = t.comment.clone();
    table.storage = t.storage.clone();
    table
}

/// An index of the fold as the shared model's index.
fn index_model(i: &IndexState) -> Index {
    Index {
        name: i.name.clone(),
        unique: i.unique,
        keys: i
            .keys
            .iter()
            .map(|k| match k {
                IndexKeyState::Column(c) => IndexKey::Column(c.clone()),
                IndexKeyState::Expression(e) => IndexKey::Expression(e.sql.clone()),
            })
            .collect(),
        predicate: i.predicate.as_ref().map(|e| e.sql.clone()),
        method: i.method.clone(),
        key_options: i.key_options.clone(),
        include: i.include.clone(),
        with: i.with.clone(),
    }
}

/// A constraint's name, when the database gave it one: SQLite names only
/// the constraints written with `CONSTRAINT name`, and the fold keeps the
/// others' names empty.
fn given(name: &str) -> Option<String> {
    (!name.is_empty()).then(|| name.to_owned())
}

/// The model's name for `schema.name`: the default schema is left out.
pub fn qualified(schema: &str, name: &str) -> QualifiedName {
    if schema == DEFAULT_SCHEMA {
        QualifiedName::new(name)
    } else {
        QualifiedName::in_schema(schema, name)
    }
}

/// Two states of a table alike in everything the model compares (not in
/// when the fold last knew it whole).
fn same_shape(a: &TableState, b: &TableState) -> bool {
    a.schema == b.schema
        && a.name == b.name
        && a.columns == b.columns
        && a.primary_key == b.primary_key
        && a.uniques == b.uniques
        && a.foreign_keys == b.foreign_keys
        && a.checks == b.checks
        && a.indexes == b.indexes
        && a.exclusions == b.exclusions
        && a.comment == b.comment
}

/// Levenshtein distance over characters.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut previous = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (previous + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            previous = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Every constraint name a table holds.
pub(crate) fn constraint_names(table: &TableState) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    out.extend(table.primary_key.iter().map(|k| k.name.clone()));
    out.extend(table.uniques.iter().map(|k| k.name.clone()));
    out.extend(table.foreign_keys.iter().map(|f| f.name.clone()));
    out.extend(table.checks.iter().map(|c| c.name.clone()));
    out.extend(table.exclusions.iter().map(|x| x.index.name.clone()));
    out
}
