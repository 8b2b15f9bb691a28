//! A generator of valid PostgreSQL migration chains: a seeded xorshift keeps
//! a toy schema and emits revisions over the statements the schema fold
//! models, each with a downgrade that restores exactly what its upgrade
//! started from, names included.
//!
//! The toy knows the names PostgreSQL gives unnamed objects (the rules of
//! `makeObjectName` and `ChooseRelationName`: 63-byte truncation, digits
//! on collision, renames that keep names), because a downgrade must drop a
//! constraint or index by the name the server chose. When the toy is wrong
//! the server says so: the downgrade fails on a name that does not exist.
//!
//! Self-contained (no `crate::` paths), so other test binaries can include
//! it with `#[path = "../schema/chains.rs"] mod chains;`.

#![allow(dead_code)] // each binary that includes the file uses part of it

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;
use std::path::Path;

/// One generated revision.
#[derive(Debug, Clone)]
pub struct GenRevision {
    /// Its id (12 hex digits).
    pub id: String,
    /// Its parent, `None` for the first.
    pub parent: Option<String>,
    /// A one-line description (the file's `-- message:`).
    pub message: String,
    /// The upgrade SQL.
    pub up: String,
    /// The downgrade SQL: undoes `up` exactly, names included.
    pub down: String,
}

/// A generated chain of revisions, each the child of the one before.
#[derive(Debug, Clone)]
pub struct Chain {
    /// The seed it was generated from.
    pub seed: u64,
    /// The revisions, oldest first.
    pub revisions: Vec<GenRevision>,
}

/// Generates `n` revisions from `seed`: the same seed always gives the
/// same chain.
pub fn generate(seed: u64, n: usize) -> Chain {
    let mut toy = Toy::new(seed);
    let mut revisions: Vec<GenRevision> = Vec::with_capacity(n);
    for k in 0..n {
        let (message, up, down) = toy.step(k);
        let id = format!("{:05x}{:07x}", seed & 0xf_ffff, k);
        let parent = revisions.last().map(|r| r.id.clone());
        revisions.push(GenRevision {
            id,
            parent,
            message,
            up,
            down,
        });
    }
    Chain { seed, revisions }
}

/// The file name of revision `k` of a chain: sorts in chain order.
pub fn file_name(k: usize, revision: &GenRevision) -> String {
    let slug: String = revision
        .message
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .take(40)
        .collect();
    format!("{k:04}-{}_{slug}.sql", revision.id)
}

/// The text of a revision's migration file.
pub fn file_text(revision: &GenRevision) -> String {
    let mut text = String::new();
    writeln!(text, "-- revision: {}", revision.id).unwrap();
    writeln!(
        text,
        "-- down_revision: {}",
        revision.parent.as_deref().unwrap_or("none")
    )
    .unwrap();
    writeln!(text, "-- message: {}", revision.message).unwrap();
    writeln!(text, "-- create_date: 2026-01-01 00:00:00").unwrap();
    text.push_str("\n-- migrate:upgrade\n");
    text.push_str(&revision.up);
    text.push_str("\n-- migrate:downgrade\n");
    text.push_str(&revision.down);
    text
}

/// Writes the chain into `dir` as migration files that
/// `migrate_core::load_directory` loads; returns the file names in order.
pub fn write_chain(chain: &Chain, dir: &Path) -> std::io::Result<Vec<String>> {
    let mut names = Vec::with_capacity(chain.revisions.len());
    for (k, revision) in chain.revisions.iter().enumerate() {
        let name = file_name(k, revision);
        std::fs::write(dir.join(&name), file_text(revision))?;
        names.push(name);
    }
    Ok(names)
}

/// xorshift64*: deterministic, no dependency.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        // splitmix64 of the seed, so that seeds 0, 1, 2 start far apart.
        let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        Rng((z ^ (z >> 31)) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// True with probability `percent` %.
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len())]
    }
}

/// The column types the generator uses.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Ty {
    Int,
    BigInt,
    SmallInt,
    Text,
    Varchar,
    Numeric10,
    Numeric12,
    Bool,
    Tstz,
    Enum(String),
}

impl Ty {
    fn sql(&self) -> String {
        match self {
            Ty::Int => "integer".into(),
            Ty::BigInt => "bigint".into(),
            Ty::SmallInt => "smallint".into(),
            Ty::Text => "text".into(),
            Ty::Varchar => "varchar(40)".into(),
            Ty::Numeric10 => "numeric(10,2)".into(),
            Ty::Numeric12 => "numeric(12,2)".into(),
            Ty::Bool => "boolean".into(),
            Ty::Tstz => "timestamptz".into(),
            Ty::Enum(e) => e.clone(),
        }
    }

    fn is_integer(&self) -> bool {
        matches!(self, Ty::Int | Ty::BigInt | Ty::SmallInt)
    }

    /// A type this one converts to and back without losing the toy's data.
    fn other(&self) -> Option<Ty> {
        Some(match self {
            Ty::Int => Ty::BigInt,
            Ty::BigInt => Ty::Int,
            Ty::SmallInt => Ty::Int,
            Ty::Text => Ty::Varchar,
            Ty::Varchar => Ty::Text,
            Ty::Numeric10 => Ty::Numeric12,
            Ty::Numeric12 => Ty::Numeric10,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Auto {
    None,
    Serial,
    IdentityAlways,
    IdentityByDefault,
}

#[derive(Debug, Clone)]
struct Col {
    name: String,
    ty: Ty,
    nullable: bool,
    default: Option<String>,
    auto: Auto,
    /// The sequence a serial or identity column owns.
    sequence: Option<String>,
    comment: Option<String>,
    /// The table's row (when it has one) holds a value here, not NULL.
    filled: bool,
}

#[derive(Debug, Clone)]
struct Key {
    name: String,
    cols: Vec<String>,
}

#[derive(Debug, Clone)]
struct Check {
    name: String,
    col: String,
    /// A second integer column: `CHECK (col + col2 > 0)`.
    col2: Option<String>,
}

impl Check {
    fn sql(&self, t: &Tab) -> String {
        match &self.col2 {
            Some(b) => format!("CHECK ({} + {} > 0)", q(&self.col), q(b)),
            None => Toy::check_sql(&self.col, &t.col(&self.col).ty),
        }
    }
}

#[derive(Debug, Clone)]
struct Fk {
    name: String,
    col: String,
    /// The referenced table's slot.
    ref_table: usize,
    ref_col: String,
    on_delete: &'static str,
}

#[derive(Debug, Clone)]
struct Idx {
    name: String,
    /// Columns; a key `lower(col)` on a text column when `lower`.
    cols: Vec<String>,
    lower: bool,
    unique: bool,
    /// A partial index: `WHERE col IS NOT NULL`.
    predicate: Option<String>,
}

impl Idx {
    /// `CREATE INDEX` of this index, under its name.
    fn sql(&self, table: &str) -> String {
        format!(
            "CREATE {}INDEX {} ON {} {};\n",
            if self.unique { "UNIQUE " } else { "" },
            q(&self.name),
            q(table),
            self.body()
        )
    }

    /// `(keys) [WHERE …]`.
    fn body(&self) -> String {
        let keys = if self.lower {
            format!("(lower({}))", q(&self.cols[0]))
        } else {
            format!("({})", qs(&self.cols))
        };
        match &self.predicate {
            Some(p) => format!("{keys} WHERE {} IS NOT NULL", q(p)),
            None => keys,
        }
    }
}

#[derive(Debug, Clone)]
struct Tab {
    name: String,
    cols: Vec<Col>,
    pk: Option<Key>,
    uniques: Vec<Key>,
    checks: Vec<Check>,
    fks: Vec<Fk>,
    indexes: Vec<Idx>,
    comment: Option<String>,
    /// Holds one row (the toy never holds more, so a new UNIQUE always fits).
    has_row: bool,
}

impl Tab {
    fn col(&self, name: &str) -> &Col {
        self.cols
            .iter()
            .find(|c| c.name == name)
            .expect("toy column")
    }

    fn col_mut(&mut self, name: &str) -> &mut Col {
        self.cols
            .iter_mut()
            .find(|c| c.name == name)
            .expect("toy column")
    }

    /// Whether a constraint or index of the table uses the column.
    fn uses(&self, col: &str) -> bool {
        let c = |v: &Vec<String>| v.iter().any(|x| x == col);
        self.pk.as_ref().is_some_and(|k| c(&k.cols))
            || self.uniques.iter().any(|k| c(&k.cols))
            || self
                .checks
                .iter()
                .any(|k| k.col == col || k.col2.as_deref() == Some(col))
            || self.fks.iter().any(|k| k.col == col)
            || self
                .indexes
                .iter()
                .any(|i| c(&i.cols) || i.predicate.as_deref() == Some(col))
    }

    /// The column holds NULL in the table's row.
    fn has_null(&self, col: &Col) -> bool {
        self.has_row && !col.filled
    }
}

const ACTIONS: &[&str] = &["NO ACTION", "CASCADE", "SET NULL", "RESTRICT"];

/// The longest identifier PostgreSQL keeps (NAMEDATALEN - 1).
const MAX_IDENT: usize = 63;

/// PostgreSQL's `makeObjectName`: `name1_name2_label`, the label never
/// cut; while too long, a byte comes off the longer of the two names.
fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let mut overhead = label.len() + 1;
    if name2.is_some() {
        overhead += 1;
    }
    let avail = MAX_IDENT - overhead;
    let (mut n1, mut n2) = (name1.len(), name2.map_or(0, str::len));
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    // The toy's names are ASCII: every byte is a character boundary.
    let mut out = name1[..n1].to_owned();
    if let Some(name2) = name2 {
        out.push('_');
        out.push_str(&name2[..n2]);
    }
    out.push('_');
    out.push_str(label);
    out
}

/// The messages of the changes of an existing column, before `table.column`.
const COLUMN_CHANGES: &[&str] = &[
    "alter default of ",
    "set not null on ",
    "drop not null on ",
    "alter type of ",
];

/// Two column changes of one table as one `ALTER TABLE` with two
/// subcommands, when that means the same: both change an existing column's
/// type, default or `NOT NULL`, on different columns (PostgreSQL runs
/// subcommands by kind, not in the order written, so changes of one column
/// could swap), and neither names anything.
fn merge_alters(m1: &str, up1: &str, m2: &str, up2: &str) -> Option<String> {
    let column = |m: &str| {
        COLUMN_CHANGES
            .iter()
            .find_map(|p| m.strip_prefix(p))
            .map(str::to_owned)
    };
    let (c1, c2) = (column(m1)?, column(m2)?);
    if c1 == c2 {
        return None;
    }
    let split = |up: &str| {
        let line = up.strip_suffix(";\n").filter(|l| !l.contains('\n'))?;
        let at = line.find(" ALTER COLUMN ")?;
        Some((line[..at].to_owned(), line[at + 1..].to_owned()))
    };
    let ((t1, cmd1), (t2, cmd2)) = (split(up1)?, split(up2)?);
    (t1 == t2).then(|| format!("{t1} {cmd1}, {cmd2};\n"))
}

/// An identifier as SQL: quoted unless PostgreSQL folds it to itself.
fn q(name: &str) -> String {
    let plain = name
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_lowercase() || c == '_')
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if plain {
        name.to_owned()
    } else {
        format!("\"{}\"", name.replace('"', "\"\""))
    }
}

/// A list of identifiers as SQL.
fn qs(names: &[String]) -> String {
    names.iter().map(|n| q(n)).collect::<Vec<_>>().join(", ")
}

/// The toy schema (all in `public`) and the names its namespaces hold.
struct Toy {
    rng: Rng,
    tables: Vec<Option<Tab>>,
    /// Enum types: name → labels, comment.
    enums: BTreeMap<String, (Vec<String>, Option<String>)>,
    /// Relation names (`pg_class`): tables, indexes, sequences.
    relations: BTreeSet<String>,
    /// Constraint names of the schema, counted.
    constraints: BTreeMap<String, usize>,
    /// Table names freed by a rename, to create again.
    reusable: Vec<String>,
    counter: usize,
    /// The table the last operation picked, and the one the next must.
    last_table: Option<usize>,
    sticky: Option<usize>,
}

/// Which namespace an automatic name must avoid.
#[derive(Clone, Copy)]
enum Space {
    /// An index of a primary key or unique constraint: relations and constraints.
    Key,
    /// A plain index or a sequence: relations.
    Relation,
    /// A check or foreign key: constraints.
    Constraint,
}

impl Toy {
    fn new(seed: u64) -> Toy {
        Toy {
            rng: Rng::new(seed),
            tables: Vec::new(),
            enums: BTreeMap::new(),
            relations: BTreeSet::new(),
            constraints: BTreeMap::new(),
            reusable: Vec::new(),
            counter: 0,
            last_table: None,
            sticky: None,
        }
    }

    fn fresh(&mut self) -> usize {
        self.counter += 1;
        self.counter
    }

    fn live(&self) -> Vec<usize> {
        (0..self.tables.len())
            .filter(|&i| self.tables[i].is_some())
            .collect()
    }

    fn tab(&self, i: usize) -> &Tab {
        self.tables[i].as_ref().expect("live toy table")
    }

    fn tab_mut(&mut self, i: usize) -> &mut Tab {
        self.tables[i].as_mut().expect("live toy table")
    }

    fn constraint_taken(&self, name: &str) -> bool {
        self.constraints.get(name).is_some_and(|&n| n > 0)
    }

    fn take_constraint(&mut self, name: &str) {
        *self.constraints.entry(name.to_owned()).or_insert(0) += 1;
    }

    fn free_constraint(&mut self, name: &str) {
        if let Some(n) = self.constraints.get_mut(name) {
            *n -= 1;
            if *n == 0 {
                self.constraints.remove(name);
            }
        }
    }

    /// `ChooseRelationName` / `ChooseConstraintName`: the first free name
    /// of `base_label`, `base_label1`, …, taken in its namespaces.
    fn choose(&mut self, name1: &str, name2: Option<&str>, label: &str, space: Space) -> String {
        let mut pass = 0;
        loop {
            let modlabel = if pass == 0 {
                label.to_owned()
            } else {
                format!("{label}{pass}")
            };
            let name = object_name(name1, name2, &modlabel);
            let free = match space {
                Space::Key => !self.relations.contains(&name) && !self.constraint_taken(&name),
                Space::Relation => !self.relations.contains(&name),
                Space::Constraint => !self.constraint_taken(&name),
            };
            if free {
                match space {
                    Space::Key => {
                        self.relations.insert(name.clone());
                        self.take_constraint(&name);
                    }
                    Space::Relation => {
                        self.relations.insert(name.clone());
                    }
                    Space::Constraint => self.take_constraint(&name),
                }
                return name;
            }
            pass += 1;
        }
    }

    /// A relation name nothing holds: short, or near 63 bytes.
    fn fresh_relation(&mut self, prefix: &str) -> String {
        loop {
            let n = self.fresh();
            let name = if self.rng.chance(8) {
                format!("{}{n} Mixed", prefix.to_uppercase())
            } else if self.rng.chance(20) {
                let long = format!(
                    "{prefix}{n}_a_very_long_name_that_goes_on_and_on_and_on_for_ever_and_ever_more"
                );
                let len = MAX_IDENT - self.rng.below(6);
                long[..len.min(long.len())].to_owned()
            } else {
                format!("{prefix}{n}")
            };
            if !self.relations.contains(&name) {
                return name;
            }
        }
    }

    fn fresh_column(&mut self, table: &Tab) -> String {
        loop {
            let n = self.fresh();
            let name = if self.rng.chance(6) {
                format!("Col{n}")
            } else if self.rng.chance(12) {
                format!("c{n}_a_rather_long_column_name_to_force_cuts")
            } else {
                format!("c{n}")
            };
            if !table.cols.iter().any(|c| c.name == name) {
                return name;
            }
        }
    }

    /// A constraint name nothing holds.
    fn fresh_constraint(&mut self, table: &str, what: &str) -> String {
        loop {
            let n = self.fresh();
            let name = object_name(table, None, &format!("{what}{n}"));
            if !self.constraint_taken(&name) && !self.relations.contains(&name) {
                return name;
            }
        }
    }

    /// A name for a CHECK: sometimes the name an unnamed key on the same
    /// column would take, which sends that key to the next digit.
    fn check_name(&mut self, table: &str, col: &str) -> String {
        let label = *self.rng.pick(&["key", "pkey"]);
        let squat = if label == "key" {
            object_name(table, Some(col), label)
        } else {
            object_name(table, None, label)
        };
        if self.rng.chance(30) && !self.constraint_taken(&squat) && !self.relations.contains(&squat)
        {
            squat
        } else {
            self.fresh_constraint(table, "ck")
        }
    }

    fn random_type(&mut self) -> Ty {
        let enums: Vec<String> = self.enums.keys().cloned().collect();
        match self.rng.below(10) {
            0 => Ty::Int,
            1 => Ty::BigInt,
            2 => Ty::SmallInt,
            3 => Ty::Text,
            4 => Ty::Varchar,
            5 => Ty::Numeric10,
            6 => Ty::Bool,
            7 => Ty::Tstz,
            8 if !enums.is_empty() => Ty::Enum(self.rng.pick(&enums).clone()),
            _ => Ty::Text,
        }
    }

    fn default_for(&mut self, ty: &Ty) -> String {
        match ty {
            Ty::Int | Ty::BigInt | Ty::SmallInt => self.rng.pick(&["1", "42", "7"]).to_string(),
            Ty::Text => self.rng.pick(&["'x'", "'it''s'"]).to_string(),
            Ty::Varchar => "'v'".into(),
            Ty::Numeric10 | Ty::Numeric12 => "0".into(),
            Ty::Bool => self.rng.pick(&["true", "false"]).to_string(),
            Ty::Tstz => self.rng.pick(&["now()", "CURRENT_TIMESTAMP"]).to_string(),
            Ty::Enum(_) => self.rng.pick(&["'sad'", "'ok'"]).to_string(),
        }
    }

    /// A value for the table's row (satisfies every check the toy writes).
    fn value_for(&self, ty: &Ty) -> String {
        match ty {
            Ty::Int | Ty::BigInt | Ty::SmallInt => "3".into(),
            Ty::Text | Ty::Varchar => "'r'".into(),
            Ty::Numeric10 | Ty::Numeric12 => "2.50".into(),
            Ty::Bool => "true".into(),
            Ty::Tstz => "'2024-01-01 00:00:00+00'".into(),
            // A label every version of the type has (never one added in
            // the same transaction, which PostgreSQL refuses to use).
            Ty::Enum(_) => "'sad'".into(),
        }
    }

    fn check_sql(col: &str, ty: &Ty) -> String {
        let col = q(col);
        if matches!(ty, Ty::Text | Ty::Varchar) {
            format!("CHECK ({col} <> '')")
        } else if matches!(ty, Ty::Numeric10 | Ty::Numeric12) {
            format!("CHECK ({col} >= 0)")
        } else {
            format!("CHECK ({col} > 0)")
        }
    }

    fn checkable(ty: &Ty) -> bool {
        ty.is_integer() || matches!(ty, Ty::Text | Ty::Varchar | Ty::Numeric10 | Ty::Numeric12)
    }

    /// A foreign key's definition, as `ADD CONSTRAINT` writes it.
    fn fk_sql(&self, k: &Fk) -> String {
        format!(
            "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {}",
            q(&k.col),
            q(&self.tab(k.ref_table).name),
            q(&k.ref_col),
            k.on_delete
        )
    }

    /// `(table slot, column, type)` of single-column primary keys a
    /// foreign key may reference.
    fn referable(&self) -> Vec<(usize, String, Ty)> {
        let mut out = Vec::new();
        for i in self.live() {
            let t = self.tab(i);
            if let Some(k) = &t.pk
                && k.cols.len() == 1
            {
                let c = t.col(&k.cols[0]);
                if c.ty.is_integer() {
                    out.push((i, c.name.clone(), c.ty.clone()));
                }
            }
        }
        out
    }

    /// Whether a foreign key references the table (its own too, unless
    /// `other_only`).
    fn referenced(&self, table: usize, other_only: bool) -> bool {
        self.live().into_iter().any(|i| {
            !(other_only && i == table) && self.tab(i).fks.iter().any(|f| f.ref_table == table)
        })
    }

    fn column_referenced(&self, table: usize, col: &str) -> bool {
        self.live().into_iter().any(|i| {
            self.tab(i)
                .fks
                .iter()
                .any(|f| f.ref_table == table && f.ref_col == col)
        })
    }

    /// One revision: `(message, up, down)`; a quarter of them make two
    /// changes, undone in the reverse order.
    fn step(&mut self, k: usize) -> (String, String, String) {
        // The first revisions build tables to work on.
        if k < 3 || self.live().len() < 2 {
            return self.create_table();
        }
        let (message, up, down) = self.operation();
        if self.rng.chance(25) {
            // After a column change, often another on the same table, so
            // that the two can become one ALTER TABLE.
            let column_change = COLUMN_CHANGES.iter().any(|p| message.starts_with(p));
            let (m2, u2, d2) = if column_change && self.rng.chance(70) {
                self.sticky = self.last_table;
                match self.column_change() {
                    Some(made) => made,
                    None => self.operation(),
                }
            } else {
                self.operation()
            };
            self.sticky = None;
            let up = match merge_alters(&message, &up, &m2, &u2) {
                Some(merged) => merged,
                None => up + &u2,
            };
            return (format!("{message}, {m2}"), up, d2 + &down);
        }
        (message, up, down)
    }

    /// A change of a column's type, default or `NOT NULL`.
    fn column_change(&mut self) -> Option<(String, String, String)> {
        let sticky = self.sticky;
        for _ in 0..5 {
            self.sticky = sticky;
            let made = match self.rng.below(3) {
                0 => self.alter_default(),
                1 => self.alter_not_null(),
                _ => self.alter_type(),
            };
            if made.is_some() {
                return made;
            }
        }
        None
    }

    /// One change of the schema: `(message, up, down)`.
    fn operation(&mut self) -> (String, String, String) {
        for _ in 0..50 {
            let made = match self.rng.below(100) {
                0..=11 => Some(self.create_table()),
                12..=19 => self.add_column(),
                20..=23 => self.drop_column(),
                24..=28 => self.alter_type(),
                29..=33 => self.alter_default(),
                34..=38 => self.alter_not_null(),
                39..=46 => self.add_constraint(),
                47..=51 => self.drop_constraint(),
                52..=58 => self.create_index(),
                59..=61 => self.drop_index(),
                62..=66 => self.rename_table(),
                67..=70 => self.rename_column(),
                71..=74 => self.rename_constraint(),
                75..=77 => self.rename_index(),
                78..=80 => Some(self.create_enum()),
                81..=84 => self.add_enum_value(),
                85..=89 => self.comment(),
                90..=93 => self.drop_table(),
                94..=95 => self.add_identity(),
                _ => self.data(),
            };
            if let Some(made) = made {
                return made;
            }
        }
        self.create_table()
    }

    fn create_table(&mut self) -> (String, String, String) {
        let name = if !self.reusable.is_empty() && self.rng.chance(80) {
            let i = self.rng.below(self.reusable.len());
            let name = self.reusable.swap_remove(i);
            if self.relations.contains(&name) {
                self.fresh_relation("t")
            } else {
                name
            }
        } else {
            self.fresh_relation("t")
        };
        let mut t = Tab {
            name: name.clone(),
            cols: Vec::new(),
            pk: None,
            uniques: Vec::new(),
            checks: Vec::new(),
            fks: Vec::new(),
            indexes: Vec::new(),
            comment: None,
            has_row: false,
        };
        let mut lines: Vec<String> = Vec::new();
        let mut table_constraints: Vec<String> = Vec::new();
        // Pending names, chosen in PostgreSQL's order once the text is
        // known: sequences, then checks, then key indexes, then foreign keys.
        let mut seqs: Vec<String> = Vec::new();
        let mut checks: Vec<(Option<String>, String)> = Vec::new();
        let mut keys: Vec<(bool, Option<String>, Vec<String>)> = Vec::new();
        let mut fks: Vec<(Option<String>, String, usize, String, &'static str)> = Vec::new();

        // The id column.
        let (auto, ty) = match self.rng.below(5) {
            0 | 1 => (Auto::Serial, Ty::Int),
            2 => (Auto::IdentityAlways, Ty::BigInt),
            3 => (Auto::IdentityByDefault, Ty::Int),
            _ => (Auto::None, Ty::Int),
        };
        let pk_style = self.rng.below(4); // 0, 1: inline unnamed; 2: named; 3: none
        let mut line = match auto {
            Auto::Serial => "id serial".to_owned(),
            Auto::IdentityAlways => "id bigint GENERATED ALWAYS AS IDENTITY".to_owned(),
            Auto::IdentityByDefault => "id integer GENERATED BY DEFAULT AS IDENTITY".to_owned(),
            Auto::None => "id integer NOT NULL".to_owned(),
        };
        if auto != Auto::None {
            seqs.push("id".into());
        }
        match pk_style {
            0 | 1 => {
                line.push_str(" PRIMARY KEY");
                // Written twice, the key is made once.
                if self.rng.chance(15) {
                    line.push_str(" UNIQUE");
                }
                keys.push((true, None, vec!["id".into()]));
            }
            2 => {
                let pk = self.fresh_constraint(&name, "pk");
                table_constraints.push(format!("CONSTRAINT {} PRIMARY KEY (id)", q(&pk)));
                keys.push((true, Some(pk), vec!["id".into()]));
            }
            _ => {}
        }
        lines.push(line);
        t.cols.push(Col {
            name: "id".into(),
            ty,
            nullable: false,
            default: None,
            auto,
            sequence: None,
            comment: None,
            filled: true,
        });

        for _ in 0..1 + self.rng.below(4) {
            let col = self.fresh_column(&t);
            let ty = self.random_type();
            let mut line = format!("{} {}", q(&col), ty.sql());
            let mut c = Col {
                name: col.clone(),
                ty: ty.clone(),
                nullable: true,
                default: None,
                auto: Auto::None,
                sequence: None,
                comment: None,
                filled: true,
            };
            if self.rng.chance(30) {
                c.nullable = false;
                line.push_str(" NOT NULL");
            }
            if self.rng.chance(35) {
                let d = self.default_for(&ty);
                write!(line, " DEFAULT {d}").unwrap();
                c.default = Some(d);
            }
            if !matches!(ty, Ty::Enum(_) | Ty::Bool | Ty::Tstz) && self.rng.chance(20) {
                if self.rng.chance(50) {
                    line.push_str(" UNIQUE");
                    keys.push((false, None, vec![col.clone()]));
                } else {
                    let u = self.fresh_constraint(&name, "uq");
                    write!(line, " CONSTRAINT {} UNIQUE", q(&u)).unwrap();
                    keys.push((false, Some(u), vec![col.clone()]));
                }
            }
            if Toy::checkable(&ty) && self.rng.chance(25) {
                if self.rng.chance(50) {
                    write!(line, " {}", Toy::check_sql(&col, &ty)).unwrap();
                    checks.push((None, col.clone()));
                } else {
                    // Taken now: a second named check of this table must
                    // not pick it again.
                    let ck = self.check_name(&name, &col);
                    self.take_constraint(&ck);
                    table_constraints.push(format!(
                        "CONSTRAINT {} {}",
                        q(&ck),
                        Toy::check_sql(&col, &ty)
                    ));
                    checks.push((Some(ck), col.clone()));
                }
            }
            lines.push(line);
            t.cols.push(c);
        }
        // A foreign key to an existing table.
        let targets = self.referable();
        if !targets.is_empty() && self.rng.chance(50) {
            let (rt, rc, rty) = self.rng.pick(&targets).clone();
            let col = self.fresh_column(&t);
            let action = *self.rng.pick(ACTIONS);
            let rname = self.tab(rt).name.clone();
            let target = if self.rng.chance(50) {
                format!("{} ({})", self.qt(&rname), q(&rc))
            } else {
                self.qt(&rname)
            };
            let qc = q(&col);
            let fk_name = if self.rng.chance(50) {
                lines.push(format!(
                    "{qc} {} REFERENCES {target} ON DELETE {action}",
                    rty.sql()
                ));
                None
            } else {
                lines.push(format!("{qc} {}", rty.sql()));
                let f = self.fresh_constraint(&name, "fk");
                table_constraints.push(format!(
                    "CONSTRAINT {} FOREIGN KEY ({qc}) REFERENCES {target} ON DELETE {action}",
                    q(&f)
                ));
                Some(f)
            };
            fks.push((fk_name, col.clone(), rt, rc, action));
            t.cols.push(Col {
                name: col,
                ty: rty,
                nullable: true,
                default: None,
                auto: Auto::None,
                sequence: None,
                comment: None,
                filled: false,
            });
        }
        // A table-level unnamed unique over two columns.
        let plain: Vec<String> = t
            .cols
            .iter()
            .filter(|c| c.auto == Auto::None && (c.ty.is_integer() || c.ty == Ty::Text))
            .map(|c| c.name.clone())
            .collect();
        if plain.len() >= 2 && self.rng.chance(20) {
            let cols = vec![plain[0].clone(), plain[1].clone()];
            table_constraints.push(format!("UNIQUE ({})", qs(&cols)));
            keys.push((false, None, cols));
        }

        // Names, in the order PostgreSQL takes them.
        self.relations.insert(name.clone());
        for col in seqs {
            let s = self.choose(&name, Some(&col), "seq", Space::Relation);
            let c = t.col_mut(&col);
            c.sequence = Some(s.clone());
            if c.auto == Auto::Serial {
                c.default = Some(format!("nextval('{s}'::regclass)"));
            }
        }
        for (given, col) in checks {
            let n = match given {
                Some(n) => n,
                None => self.choose(&name, Some(&col), "check", Space::Constraint),
            };
            t.checks.push(Check {
                name: n,
                col,
                col2: None,
            });
        }
        for (primary, given, cols) in keys {
            let n = match given {
                Some(n) => {
                    self.relations.insert(n.clone());
                    self.take_constraint(&n);
                    n
                }
                None if primary => self.choose(&name, None, "pkey", Space::Key),
                None => {
                    let joined = cols.join("_");
                    self.choose(&name, Some(&joined), "key", Space::Key)
                }
            };
            if primary {
                t.pk = Some(Key { name: n, cols });
            } else {
                t.uniques.push(Key { name: n, cols });
            }
        }
        for (given, col, rt, rc, action) in fks {
            let n = match given {
                Some(n) => {
                    self.take_constraint(&n);
                    n
                }
                None => self.choose(&name, Some(&col), "fkey", Space::Constraint),
            };
            t.fks.push(Fk {
                name: n,
                col,
                ref_table: rt,
                ref_col: rc,
                on_delete: action,
            });
        }

        lines.extend(table_constraints);
        let qn = self.qt(&name);
        let mut up = format!("CREATE TABLE {qn} (\n    {}\n);\n", lines.join(",\n    "));
        if self.rng.chance(30) {
            let text = "A table comment, it''s quoted";
            writeln!(up, "COMMENT ON TABLE {qn} IS '{text}';").unwrap();
            t.comment = Some(text.replace("''", "'"));
        }
        if self.rng.chance(50) {
            up.push_str(&self.insert_row(&mut t));
        }
        self.tables.push(Some(t));
        (
            format!("create table {name}"),
            up,
            format!("DROP TABLE {};\n", q(&name)),
        )
    }

    /// `INSERT` of the table's one row: a value in every column but the
    /// identity, serial and foreign-key ones.
    fn insert_row(&self, t: &mut Tab) -> String {
        let fk_cols: Vec<String> = t.fks.iter().map(|f| f.col.clone()).collect();
        let mut cols = Vec::new();
        let mut values = Vec::new();
        for c in &mut t.cols {
            if c.auto != Auto::None {
                c.filled = true;
                continue;
            }
            if fk_cols.contains(&c.name) {
                cols.push(c.name.clone());
                values.push("NULL".to_owned());
                c.filled = false;
                continue;
            }
            cols.push(c.name.clone());
            values.push(self.value_for(&c.ty));
            c.filled = true;
        }
        t.has_row = true;
        if cols.is_empty() {
            format!("INSERT INTO {} DEFAULT VALUES;\n", q(&t.name))
        } else {
            format!(
                "INSERT INTO {} ({}) VALUES ({});\n",
                q(&t.name),
                qs(&cols),
                values.join(", ")
            )
        }
    }

    /// A table's name as a statement writes it: sometimes qualified.
    fn qt(&mut self, name: &str) -> String {
        if self.rng.chance(15) {
            format!("public.{}", q(name))
        } else {
            q(name)
        }
    }

    fn pick_table(&mut self) -> usize {
        let live = self.live();
        let ti = match self.sticky.take().filter(|t| live.contains(t)) {
            Some(t) => t,
            None => *self.rng.pick(&live),
        };
        self.last_table = Some(ti);
        ti
    }

    fn add_column(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let col = self.fresh_column(&t);
        let tn = t.name.clone();
        let (qtn, qc) = (self.qt(&tn), q(&col));
        let mut c = Col {
            name: col.clone(),
            ty: Ty::Text,
            nullable: true,
            default: None,
            auto: Auto::None,
            sequence: None,
            comment: None,
            filled: false,
        };
        let mut up;
        let mut extra = String::new();
        match self.rng.below(8) {
            0 => {
                c.auto = Auto::Serial;
                c.ty = Ty::Int;
                c.nullable = false;
                c.filled = true;
                up = format!("ALTER TABLE {qtn} ADD COLUMN {qc} serial;\n");
                let s = self.choose(&tn, Some(&col), "seq", Space::Relation);
                c.default = Some(format!("nextval('{s}'::regclass)"));
                c.sequence = Some(s);
            }
            1 => {
                c.auto = Auto::IdentityByDefault;
                c.ty = Ty::BigInt;
                c.nullable = false;
                c.filled = true;
                up = format!(
                    "ALTER TABLE {qtn} ADD COLUMN {qc} bigint GENERATED BY DEFAULT AS IDENTITY;\n"
                );
                c.sequence = Some(self.choose(&tn, Some(&col), "seq", Space::Relation));
            }
            2 => {
                let targets = self.referable();
                if targets.is_empty() {
                    return None;
                }
                let (rt, rc, rty) = self.rng.pick(&targets).clone();
                let rname = self.tab(rt).name.clone();
                c.ty = rty;
                let action = *self.rng.pick(ACTIONS);
                let named = self.rng.chance(40);
                let f = if named {
                    let f = self.fresh_constraint(&tn, "fk");
                    self.take_constraint(&f);
                    f
                } else {
                    self.choose(&tn, Some(&col), "fkey", Space::Constraint)
                };
                let target = format!("{} ({})", self.qt(&rname), q(&rc));
                up = format!(
                    "ALTER TABLE {qtn} ADD COLUMN {qc} {}{} REFERENCES {target} ON DELETE {action};\n",
                    c.ty.sql(),
                    if named {
                        format!(" CONSTRAINT {}", q(&f))
                    } else {
                        String::new()
                    }
                );
                self.tab_mut(ti).fks.push(Fk {
                    name: f,
                    col: col.clone(),
                    ref_table: rt,
                    ref_col: rc,
                    on_delete: action,
                });
            }
            _ => {
                let ty = self.random_type();
                c.ty = ty.clone();
                up = format!("ALTER TABLE {qtn} ADD COLUMN {qc} {}", ty.sql());
                let not_null = self.rng.chance(30);
                if not_null || self.rng.chance(30) {
                    let d = self.default_for(&ty);
                    write!(up, " DEFAULT {d}").unwrap();
                    c.default = Some(d);
                    c.filled = true;
                }
                if not_null {
                    up.push_str(" NOT NULL");
                    c.nullable = false;
                }
                if !matches!(ty, Ty::Enum(_) | Ty::Bool | Ty::Tstz) && self.rng.chance(20) {
                    up.push_str(" UNIQUE");
                    let n = self.choose(&tn, Some(&col), "key", Space::Key);
                    self.tab_mut(ti).uniques.push(Key {
                        name: n,
                        cols: vec![col.clone()],
                    });
                }
                if Toy::checkable(&ty) && self.rng.chance(20) {
                    write!(up, " {}", Toy::check_sql(&col, &ty)).unwrap();
                    let n = self.choose(&tn, Some(&col), "check", Space::Constraint);
                    self.tab_mut(ti).checks.push(Check {
                        name: n,
                        col: col.clone(),
                        col2: None,
                    });
                }
                up.push_str(";\n");
                // A data migration fills the new column's NULLs.
                if t.has_row && !c.filled && self.rng.chance(60) {
                    writeln!(
                        extra,
                        "UPDATE {qtn} SET {qc} = {} WHERE {qc} IS NULL;",
                        self.value_for(&ty)
                    )
                    .unwrap();
                    c.filled = true;
                }
            }
        }
        if !t.has_row {
            c.filled = c.auto != Auto::None || c.default.is_some();
        }
        up.push_str(&extra);
        self.tab_mut(ti).cols.push(c);
        Some((
            format!("add column {tn}.{col}"),
            up,
            format!("ALTER TABLE {} DROP COLUMN {qc};\n", q(&tn)),
        ))
    }

    /// `ADD COLUMN` that puts back a dropped column as it was.
    fn column_definition(c: &Col) -> String {
        let mut s = format!("{} {}", q(&c.name), c.ty.sql());
        if let Some(d) = &c.default {
            write!(s, " DEFAULT {d}").unwrap();
        }
        if !c.nullable {
            s.push_str(" NOT NULL");
        }
        s
    }

    fn comment_sql(target: &str, comment: &Option<String>) -> String {
        match comment {
            Some(c) => format!("COMMENT ON {target} IS '{}';\n", c.replace('\'', "''")),
            None => format!("COMMENT ON {target} IS NULL;\n"),
        }
    }

    fn drop_column(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let candidates: Vec<&Col> = t
            .cols
            .iter()
            .filter(|c| {
                c.auto == Auto::None
                    && !t.uses(&c.name)
                    && (c.nullable || c.default.is_some())
                    && t.cols.len() > 1
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let c = (*self.rng.pick(&candidates)).clone();
        let tn = &self.qt(&t.name);
        let up = format!("ALTER TABLE {tn} DROP COLUMN {};\n", q(&c.name));
        let mut down = format!(
            "ALTER TABLE {tn} ADD COLUMN {};\n",
            Toy::column_definition(&c)
        );
        if c.comment.is_some() {
            down.push_str(&Toy::comment_sql(
                &format!("COLUMN {tn}.{}", q(&c.name)),
                &c.comment,
            ));
        }
        self.tab_mut(ti).cols.retain(|x| x.name != c.name);
        Some((format!("drop column {tn}.{}", c.name), up, down))
    }

    fn alter_type(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let candidates: Vec<&Col> = t
            .cols
            .iter()
            .filter(|c| {
                c.auto == Auto::None
                    && c.ty.other().is_some()
                    && !t.fks.iter().any(|f| f.col == c.name)
                    && !self.column_referenced(ti, &c.name)
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let c = (*self.rng.pick(&candidates)).clone();
        let to = c.ty.other()?;
        let tn = &self.qt(&t.name);
        let up = format!(
            "ALTER TABLE {tn} ALTER COLUMN {} TYPE {};\n",
            q(&c.name),
            to.sql()
        );
        let down = format!(
            "ALTER TABLE {tn} ALTER COLUMN {} TYPE {};\n",
            q(&c.name),
            c.ty.sql()
        );
        self.tab_mut(ti).col_mut(&c.name).ty = to;
        Some((format!("alter type of {tn}.{}", c.name), up, down))
    }

    fn alter_default(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let candidates: Vec<&Col> = t.cols.iter().filter(|c| c.auto == Auto::None).collect();
        if candidates.is_empty() {
            return None;
        }
        let c = (*self.rng.pick(&candidates)).clone();
        let tn = &self.qt(&t.name);
        let col = &c.name;
        let qc = q(col);
        let set = |d: &Option<String>| match d {
            Some(d) => format!("ALTER TABLE {tn} ALTER COLUMN {qc} SET DEFAULT {d};\n"),
            None => format!("ALTER TABLE {tn} ALTER COLUMN {qc} DROP DEFAULT;\n"),
        };
        let new = if c.default.is_some() && self.rng.chance(50) {
            None
        } else {
            Some(self.default_for(&c.ty))
        };
        let (up, down) = (set(&new), set(&c.default));
        self.tab_mut(ti).col_mut(col).default = new;
        Some((format!("alter default of {tn}.{col}"), up, down))
    }

    fn alter_not_null(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let in_pk = |c: &Col| t.pk.as_ref().is_some_and(|k| k.cols.contains(&c.name));
        let candidates: Vec<&Col> = t
            .cols
            .iter()
            .filter(|c| {
                c.auto == Auto::None
                    && !in_pk(c)
                    && !t.fks.iter().any(|f| f.col == c.name)
                    && (!c.nullable || !t.has_null(c))
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let c = (*self.rng.pick(&candidates)).clone();
        let (tn, col) = (&self.qt(&t.name), &c.name);
        let qc = q(col);
        let (up, down) = if c.nullable {
            ("SET", "DROP")
        } else {
            ("DROP", "SET")
        };
        self.tab_mut(ti).col_mut(col).nullable = !c.nullable;
        Some((
            format!("{} not null on {tn}.{col}", up.to_lowercase()),
            format!("ALTER TABLE {tn} ALTER COLUMN {qc} {up} NOT NULL;\n"),
            format!("ALTER TABLE {tn} ALTER COLUMN {qc} {down} NOT NULL;\n"),
        ))
    }

    fn add_constraint(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let tn = t.name.clone();
        let qtn = self.qt(&tn);
        let named = self.rng.chance(40);
        let (what, body, name, mut down_extra) = match self.rng.below(4) {
            0 => {
                // UNIQUE: the table holds at most one row, so it always fits.
                let mut cols: Vec<&Col> = t
                    .cols
                    .iter()
                    .filter(|c| !matches!(c.ty, Ty::Enum(_) | Ty::Bool | Ty::Tstz))
                    .collect();
                // Half the time a column that already has a key, so that
                // the automatic name takes a digit.
                let keyed: Vec<&Col> = cols
                    .iter()
                    .copied()
                    .filter(|c| {
                        t.uniques.iter().any(|k| k.cols == [c.name.clone()])
                            || t.pk.as_ref().is_some_and(|k| k.cols == [c.name.clone()])
                    })
                    .collect();
                if !keyed.is_empty() && self.rng.chance(50) {
                    cols = keyed;
                }
                if cols.is_empty() {
                    return None;
                }
                let col = self.rng.pick(&cols).name.clone();
                let n = if named {
                    let n = self.fresh_constraint(&tn, "uq");
                    self.relations.insert(n.clone());
                    self.take_constraint(&n);
                    n
                } else {
                    self.choose(&tn, Some(&col), "key", Space::Key)
                };
                self.tab_mut(ti).uniques.push(Key {
                    name: n.clone(),
                    cols: vec![col.clone()],
                });
                ("unique", format!("UNIQUE ({})", q(&col)), n, String::new())
            }
            1 => {
                let cols: Vec<&Col> = t.cols.iter().filter(|c| Toy::checkable(&c.ty)).collect();
                if cols.is_empty() {
                    return None;
                }
                let c = (*self.rng.pick(&cols)).clone();
                // Sometimes over two integer columns: PostgreSQL then
                // names it <table>_check, with no column.
                let second = t
                    .cols
                    .iter()
                    .find(|d| d.name != c.name && d.ty.is_integer() && c.ty.is_integer())
                    .filter(|_| self.rng.chance(40))
                    .map(|d| d.name.clone());
                let n = if named {
                    let n = self.check_name(&tn, &c.name);
                    self.take_constraint(&n);
                    n
                } else if second.is_some() {
                    self.choose(&tn, None, "check", Space::Constraint)
                } else {
                    self.choose(&tn, Some(&c.name), "check", Space::Constraint)
                };
                let check = Check {
                    name: n.clone(),
                    col: c.name.clone(),
                    col2: second,
                };
                let body = check.sql(&t);
                self.tab_mut(ti).checks.push(check);
                ("check", body, n, String::new())
            }
            2 => {
                // A foreign key on an integer column holding only NULLs.
                let targets = self.referable();
                let cols: Vec<&Col> = t
                    .cols
                    .iter()
                    .filter(|c| {
                        c.auto == Auto::None
                            && c.ty.is_integer()
                            && c.nullable
                            && (!t.has_row || !c.filled)
                            && !t.fks.iter().any(|f| f.col == c.name)
                    })
                    .collect();
                if cols.is_empty() || targets.is_empty() {
                    return None;
                }
                let col = self.rng.pick(&cols).name.clone();
                let (rt, rc, _) = self.rng.pick(&targets).clone();
                let rname = self.tab(rt).name.clone();
                let action = *self.rng.pick(ACTIONS);
                let n = if named {
                    let n = self.fresh_constraint(&tn, "fk");
                    self.take_constraint(&n);
                    n
                } else {
                    self.choose(&tn, Some(&col), "fkey", Space::Constraint)
                };
                self.tab_mut(ti).fks.push(Fk {
                    name: n.clone(),
                    col: col.clone(),
                    ref_table: rt,
                    ref_col: rc.clone(),
                    on_delete: action,
                });
                (
                    "foreign key",
                    format!(
                        "FOREIGN KEY ({}) REFERENCES {} ({}) ON DELETE {action}",
                        q(&col),
                        self.qt(&rname),
                        q(&rc)
                    ),
                    n,
                    String::new(),
                )
            }
            _ => {
                if t.pk.is_some() {
                    return None;
                }
                let cols: Vec<&Col> = t
                    .cols
                    .iter()
                    .filter(|c| {
                        c.ty.is_integer()
                            && !t.has_null(c)
                            && !t.fks.iter().any(|f| f.col == c.name)
                    })
                    .collect();
                if cols.is_empty() {
                    return None;
                }
                let c = (*self.rng.pick(&cols)).clone();
                let n = if named {
                    let n = self.fresh_constraint(&tn, "pk");
                    self.relations.insert(n.clone());
                    self.take_constraint(&n);
                    n
                } else {
                    self.choose(&tn, None, "pkey", Space::Key)
                };
                // The key makes its column NOT NULL, and dropping the key
                // leaves it so: the downgrade puts back what was.
                let extra = if c.nullable {
                    format!(
                        "ALTER TABLE {qtn} ALTER COLUMN {} DROP NOT NULL;\n",
                        q(&c.name)
                    )
                } else {
                    String::new()
                };
                let tab = self.tab_mut(ti);
                tab.col_mut(&c.name).nullable = false;
                tab.pk = Some(Key {
                    name: n.clone(),
                    cols: vec![c.name.clone()],
                });
                (
                    "primary key",
                    format!("PRIMARY KEY ({})", q(&c.name)),
                    n,
                    extra,
                )
            }
        };
        let up = if named {
            format!("ALTER TABLE {qtn} ADD CONSTRAINT {} {body};\n", q(&name))
        } else {
            format!("ALTER TABLE {qtn} ADD {body};\n")
        };
        let mut down = format!("ALTER TABLE {qtn} DROP CONSTRAINT {};\n", q(&name));
        down.push_str(&std::mem::take(&mut down_extra));
        Some((format!("add {what} {name}"), up, down))
    }

    fn drop_constraint(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let tn = &self.qt(&t.name);
        let mut options: Vec<(String, String)> = Vec::new();
        if let Some(k) = &t.pk
            && !self.referenced(ti, false)
        {
            options.push((k.name.clone(), format!("PRIMARY KEY ({})", qs(&k.cols))));
        }
        for k in &t.uniques {
            options.push((k.name.clone(), format!("UNIQUE ({})", qs(&k.cols))));
        }
        for k in &t.checks {
            options.push((k.name.clone(), k.sql(&t)));
        }
        for k in &t.fks {
            options.push((k.name.clone(), self.fk_sql(k)));
        }
        if options.is_empty() {
            return None;
        }
        let (name, body) = self.rng.pick(&options).clone();
        let tab = self.tab_mut(ti);
        let is_key = tab.pk.as_ref().is_some_and(|k| k.name == name)
            || tab.uniques.iter().any(|k| k.name == name);
        if tab.pk.as_ref().is_some_and(|k| k.name == name) {
            tab.pk = None;
        }
        tab.uniques.retain(|k| k.name != name);
        tab.checks.retain(|k| k.name != name);
        tab.fks.retain(|k| k.name != name);
        self.free_constraint(&name);
        if is_key {
            self.relations.remove(&name);
        }
        Some((
            format!("drop constraint {name}"),
            format!("ALTER TABLE {tn} DROP CONSTRAINT {};\n", q(&name)),
            format!("ALTER TABLE {tn} ADD CONSTRAINT {} {body};\n", q(&name)),
        ))
    }

    fn create_index(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let tn = t.name.clone();
        let cols: Vec<String> = t
            .cols
            .iter()
            .filter(|c| !matches!(c.ty, Ty::Bool))
            .map(|c| c.name.clone())
            .collect();
        if cols.is_empty() {
            return None;
        }
        let mut keys = vec![self.rng.pick(&cols).clone()];
        // `lower(col)` on a text column: PostgreSQL names it after the
        // function, <table>_lower_idx.
        let lower = t.col(&keys[0]).ty == Ty::Text && self.rng.chance(30);
        if !lower && cols.len() > 1 && self.rng.chance(25) {
            let second = self.rng.pick(&cols).clone();
            if second != keys[0] {
                keys.push(second);
            }
        }
        let unique = self.rng.chance(25);
        let predicate = self
            .rng
            .chance(20)
            .then(|| self.rng.pick(&t.cols).name.clone());
        let joined = if lower {
            "lower".to_owned()
        } else {
            keys.join("_")
        };
        let name = match self.rng.below(4) {
            // Unnamed: PostgreSQL picks <table>_<cols>_idx, with a digit
            // when that is taken.
            0 | 1 => None,
            // Named like another column's automatic name, so that a later
            // unnamed index on that column takes a digit.
            2 => {
                let other = self.rng.pick(&cols).clone();
                let n = object_name(&tn, Some(&other), "idx");
                (!self.relations.contains(&n)).then_some(n)
            }
            _ => {
                let n = self.fresh();
                let n = object_name(&tn, None, &format!("ix{n}"));
                (!self.relations.contains(&n)).then_some(n)
            }
        };
        let mut index = Idx {
            name: String::new(),
            cols: keys,
            lower,
            unique,
            predicate,
        };
        let qtn = self.qt(&tn);
        let unique_sql = if unique { "UNIQUE " } else { "" };
        let up = match name {
            Some(n) => {
                self.relations.insert(n.clone());
                index.name = n;
                format!(
                    "CREATE {unique_sql}INDEX {} ON {qtn} {};\n",
                    q(&index.name),
                    index.body()
                )
            }
            None => {
                index.name = self.choose(&tn, Some(&joined), "idx", Space::Relation);
                format!("CREATE {unique_sql}INDEX ON {qtn} {};\n", index.body())
            }
        };
        let name = index.name.clone();
        self.tab_mut(ti).indexes.push(index);
        let if_exists = if self.rng.chance(30) {
            "IF EXISTS "
        } else {
            ""
        };
        Some((
            format!("create index {name}"),
            up,
            format!("DROP INDEX {if_exists}{};\n", q(&name)),
        ))
    }

    fn drop_index(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        if t.indexes.is_empty() {
            return None;
        }
        let i = self.rng.pick(&t.indexes).clone();
        self.tab_mut(ti).indexes.retain(|x| x.name != i.name);
        self.relations.remove(&i.name);
        let qualified = if self.rng.chance(30) { "public." } else { "" };
        Some((
            format!("drop index {}", i.name),
            format!("DROP INDEX {qualified}{};\n", q(&i.name)),
            i.sql(&t.name),
        ))
    }

    fn rename_table(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let old = self.tab(ti).name.clone();
        let new = self.fresh_relation("r");
        self.relations.remove(&old);
        self.relations.insert(new.clone());
        self.tab_mut(ti).name = new.clone();
        // The old name is free for a new table, whose automatic names then
        // take digits: the renamed table keeps its constraints', indexes'
        // and sequences' names.
        self.reusable.push(old.clone());
        Some((
            format!("rename table {old} to {new}"),
            format!("ALTER TABLE {} RENAME TO {};\n", self.qt(&old), q(&new)),
            format!("ALTER TABLE {} RENAME TO {};\n", q(&new), q(&old)),
        ))
    }

    fn rename_column(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let c = self.rng.pick(&t.cols).clone();
        let new = self.fresh_column(&t);
        let old = c.name.clone();
        let tab = self.tab_mut(ti);
        tab.col_mut(&old).name = new.clone();
        let ren = |v: &mut Vec<String>| {
            for x in v.iter_mut() {
                if *x == old {
                    *x = new.clone();
                }
            }
        };
        if let Some(k) = &mut tab.pk {
            ren(&mut k.cols);
        }
        for k in &mut tab.uniques {
            ren(&mut k.cols);
        }
        for i in &mut tab.indexes {
            ren(&mut i.cols);
            if i.predicate.as_ref() == Some(&old) {
                i.predicate = Some(new.clone());
            }
        }
        for k in &mut tab.checks {
            if k.col == old {
                k.col = new.clone();
            }
            if k.col2.as_ref() == Some(&old) {
                k.col2 = Some(new.clone());
            }
        }
        for k in &mut tab.fks {
            if k.col == old {
                k.col = new.clone();
            }
        }
        for i in self.live() {
            for f in &mut self.tab_mut(i).fks {
                if f.ref_table == ti && f.ref_col == old {
                    f.ref_col = new.clone();
                }
            }
        }
        let tn = &self.qt(&t.name);
        let (qo, qn) = (q(&old), q(&new));
        Some((
            format!("rename column {tn}.{old} to {new}"),
            format!("ALTER TABLE {tn} RENAME COLUMN {qo} TO {qn};\n"),
            format!("ALTER TABLE {tn} RENAME {qn} TO {qo};\n"),
        ))
    }

    fn rename_constraint(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let mut names: Vec<(String, bool)> = Vec::new();
        names.extend(t.pk.iter().map(|k| (k.name.clone(), true)));
        names.extend(t.uniques.iter().map(|k| (k.name.clone(), true)));
        names.extend(t.checks.iter().map(|k| (k.name.clone(), false)));
        names.extend(t.fks.iter().map(|k| (k.name.clone(), false)));
        if names.is_empty() {
            return None;
        }
        let (old, is_key) = self.rng.pick(&names).clone();
        let new = self.fresh_constraint(&t.name, "rn");
        let tab = self.tab_mut(ti);
        for k in tab.pk.iter_mut().chain(tab.uniques.iter_mut()) {
            if k.name == old {
                k.name = new.clone();
            }
        }
        for k in &mut tab.checks {
            if k.name == old {
                k.name = new.clone();
            }
        }
        for k in &mut tab.fks {
            if k.name == old {
                k.name = new.clone();
            }
        }
        self.free_constraint(&old);
        self.take_constraint(&new);
        if is_key {
            self.relations.remove(&old);
            self.relations.insert(new.clone());
        }
        let tn = &self.qt(&t.name);
        let (qo, qn) = (q(&old), q(&new));
        // A key's index is renamed with it; ALTER INDEX renames both too.
        let (up, down) = if is_key && self.rng.chance(40) {
            (
                format!("ALTER INDEX {qo} RENAME TO {qn};\n"),
                format!("ALTER INDEX {qn} RENAME TO {qo};\n"),
            )
        } else {
            (
                format!("ALTER TABLE {tn} RENAME CONSTRAINT {qo} TO {qn};\n"),
                format!("ALTER TABLE {tn} RENAME CONSTRAINT {qn} TO {qo};\n"),
            )
        };
        Some((format!("rename constraint {old} to {new}"), up, down))
    }

    fn rename_index(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        if t.indexes.is_empty() {
            return None;
        }
        let old = self.rng.pick(&t.indexes).name.clone();
        let n = self.fresh();
        let new = object_name(&t.name, None, &format!("rx{n}"));
        if self.relations.contains(&new) {
            return None;
        }
        for i in &mut self.tab_mut(ti).indexes {
            if i.name == old {
                i.name = new.clone();
            }
        }
        self.relations.remove(&old);
        self.relations.insert(new.clone());
        Some((
            format!("rename index {old} to {new}"),
            format!("ALTER INDEX {} RENAME TO {};\n", q(&old), q(&new)),
            format!("ALTER INDEX IF EXISTS {} RENAME TO {};\n", q(&new), q(&old)),
        ))
    }

    fn create_enum(&mut self) -> (String, String, String) {
        let n = self.fresh();
        let name = format!("mood{n}");
        let values = vec!["sad".to_owned(), "ok".to_owned()];
        self.enums.insert(name.clone(), (values, None));
        (
            format!("create type {name}"),
            format!("CREATE TYPE {name} AS ENUM ('sad', 'ok');\n"),
            format!("DROP TYPE {name};\n"),
        )
    }

    /// `ADD VALUE` cannot be undone in place: the downgrade converts the
    /// type's columns to text, creates the type again with its old labels
    /// (and comment), and converts them back, their defaults around it.
    fn add_enum_value(&mut self) -> Option<(String, String, String)> {
        let names: Vec<String> = self.enums.keys().cloned().collect();
        if names.is_empty() {
            return None;
        }
        let e = self.rng.pick(&names).clone();
        let (values, comment) = self.enums[&e].clone();
        let label = format!("v{}", self.fresh());
        let mut new_values = values.clone();
        let up = if self.rng.chance(40) {
            let neighbour = self.rng.pick(&values).clone();
            let at = new_values.iter().position(|v| *v == neighbour)?;
            if self.rng.chance(50) {
                new_values.insert(at, label.clone());
                format!("ALTER TYPE {e} ADD VALUE '{label}' BEFORE '{neighbour}';\n")
            } else {
                new_values.insert(at + 1, label.clone());
                format!("ALTER TYPE {e} ADD VALUE IF NOT EXISTS '{label}' AFTER '{neighbour}';\n")
            }
        } else {
            new_values.push(label.clone());
            format!("ALTER TYPE {e} ADD VALUE '{label}';\n")
        };
        let mut columns: Vec<(String, String, Option<String>)> = Vec::new();
        for i in self.live() {
            let t = self.tab(i);
            for c in &t.cols {
                if c.ty == Ty::Enum(e.clone()) {
                    columns.push((q(&t.name), q(&c.name), c.default.clone()));
                }
            }
        }
        let mut down = String::new();
        for (t, c, d) in &columns {
            if d.is_some() {
                writeln!(down, "ALTER TABLE {t} ALTER COLUMN {c} DROP DEFAULT;").unwrap();
            }
            writeln!(down, "ALTER TABLE {t} ALTER COLUMN {c} TYPE text;").unwrap();
        }
        writeln!(down, "DROP TYPE {e};").unwrap();
        let quoted: Vec<String> = values.iter().map(|v| format!("'{v}'")).collect();
        writeln!(down, "CREATE TYPE {e} AS ENUM ({});", quoted.join(", ")).unwrap();
        if comment.is_some() {
            down.push_str(&Toy::comment_sql(&format!("TYPE {e}"), &comment));
        }
        for (t, c, d) in &columns {
            writeln!(
                down,
                "ALTER TABLE {t} ALTER COLUMN {c} TYPE {e} USING {c}::{e};"
            )
            .unwrap();
            if let Some(d) = d {
                writeln!(down, "ALTER TABLE {t} ALTER COLUMN {c} SET DEFAULT {d};").unwrap();
            }
        }
        self.enums.get_mut(&e).expect("toy enum").0 = new_values;
        Some((format!("add value {label} to {e}"), up, down))
    }

    fn comment(&mut self) -> Option<(String, String, String)> {
        let n = self.fresh();
        let text = Some(format!("note {n}, with a quote: it's"));
        let (target, old) = match self.rng.below(3) {
            0 => {
                let ti = self.pick_table();
                let t = self.tab_mut(ti);
                let old = std::mem::replace(&mut t.comment, text.clone());
                (format!("TABLE {}", q(&t.name)), old)
            }
            1 => {
                let ti = self.pick_table();
                let i = self.rng.below(self.tab(ti).cols.len());
                let t = self.tab_mut(ti);
                let old = std::mem::replace(&mut t.cols[i].comment, text.clone());
                (format!("COLUMN {}.{}", q(&t.name), q(&t.cols[i].name)), old)
            }
            _ => {
                let names: Vec<String> = self.enums.keys().cloned().collect();
                if names.is_empty() {
                    return None;
                }
                let e = self.rng.pick(&names).clone();
                let entry = self.enums.get_mut(&e).expect("toy enum");
                let old = std::mem::replace(&mut entry.1, text.clone());
                (format!("TYPE {e}"), old)
            }
        };
        Some((
            format!("comment on {}", target.to_lowercase()),
            Toy::comment_sql(&target, &text),
            Toy::comment_sql(&target, &old),
        ))
    }

    /// Drops a table that owns no sequence, with CASCADE when other tables
    /// reference it (their foreign keys go); the downgrade creates it again
    /// with every name spelled out, and their foreign keys.
    fn drop_table(&mut self) -> Option<(String, String, String)> {
        let candidates: Vec<usize> = self
            .live()
            .into_iter()
            .filter(|&i| self.tab(i).cols.iter().all(|c| c.auto == Auto::None))
            .collect();
        if candidates.is_empty() || self.live().len() < 3 {
            return None;
        }
        let ti = *self.rng.pick(&candidates);
        let t = self.tab(ti).clone();
        let tn = &q(&t.name);
        let mut lines: Vec<String> = t.cols.iter().map(Toy::column_definition).collect();
        if let Some(k) = &t.pk {
            lines.push(format!(
                "CONSTRAINT {} PRIMARY KEY ({})",
                q(&k.name),
                qs(&k.cols)
            ));
        }
        // A key on the columns of an earlier one is merged into it by
        // CREATE TABLE: those are added after.
        let mut later = String::new();
        let mut seen: Vec<&Vec<String>> = t.pk.iter().map(|k| &k.cols).collect();
        for k in &t.uniques {
            let add = format!("CONSTRAINT {} UNIQUE ({})", q(&k.name), qs(&k.cols));
            if seen.contains(&&k.cols) {
                writeln!(later, "ALTER TABLE {tn} ADD {add};").unwrap();
            } else {
                seen.push(&k.cols);
                lines.push(add);
            }
        }
        for k in &t.checks {
            lines.push(format!("CONSTRAINT {} {}", q(&k.name), k.sql(&t)));
        }
        for k in &t.fks {
            lines.push(format!("CONSTRAINT {} {}", q(&k.name), self.fk_sql(k)));
        }
        let mut down = format!("CREATE TABLE {tn} (\n    {}\n);\n", lines.join(",\n    "));
        down.push_str(&later);
        for i in &t.indexes {
            down.push_str(&i.sql(&t.name));
        }
        if t.comment.is_some() {
            down.push_str(&Toy::comment_sql(&format!("TABLE {tn}"), &t.comment));
        }
        for c in &t.cols {
            if c.comment.is_some() {
                down.push_str(&Toy::comment_sql(
                    &format!("COLUMN {tn}.{}", q(&c.name)),
                    &c.comment,
                ));
            }
        }
        // Free the table's names.
        self.relations.remove(&t.name);
        for k in t.pk.iter().chain(&t.uniques) {
            self.relations.remove(&k.name);
            self.free_constraint(&k.name);
        }
        for k in &t.checks {
            self.free_constraint(&k.name);
        }
        for k in &t.fks {
            self.free_constraint(&k.name);
        }
        for i in &t.indexes {
            self.relations.remove(&i.name);
        }
        // Other tables' foreign keys to it: CASCADE drops them, the
        // downgrade adds them back under their names.
        let mut cascade = false;
        for other in self.live() {
            if other == ti {
                continue;
            }
            let gone: Vec<Fk> = self
                .tab(other)
                .fks
                .iter()
                .filter(|f| f.ref_table == ti)
                .cloned()
                .collect();
            for f in gone {
                cascade = true;
                writeln!(
                    down,
                    "ALTER TABLE {} ADD CONSTRAINT {} {};",
                    q(&self.tab(other).name),
                    q(&f.name),
                    self.fk_sql(&f)
                )
                .unwrap();
                self.tab_mut(other).fks.retain(|k| k.name != f.name);
                self.free_constraint(&f.name);
            }
        }
        self.tables[ti] = None;
        let if_exists = if self.rng.chance(30) {
            "IF EXISTS "
        } else {
            ""
        };
        Some((
            format!("drop table {}", t.name),
            format!(
                "DROP TABLE {if_exists}{}{};\n",
                self.qt(&t.name),
                if cascade { " CASCADE" } else { "" }
            ),
            down,
        ))
    }

    /// `ALTER COLUMN … ADD GENERATED BY DEFAULT AS IDENTITY` on a NOT NULL
    /// integer column without a default; its sequence takes the serial's
    /// name, and `DROP IDENTITY` takes it away again.
    fn add_identity(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        let candidates: Vec<&Col> = t
            .cols
            .iter()
            .filter(|c| {
                c.auto == Auto::None
                    && matches!(c.ty, Ty::Int | Ty::BigInt)
                    && !c.nullable
                    && c.default.is_none()
                    && !t.fks.iter().any(|f| f.col == c.name)
            })
            .collect();
        if candidates.is_empty() {
            return None;
        }
        let c = (*self.rng.pick(&candidates)).clone();
        let sequence = self.choose(&t.name, Some(&c.name), "seq", Space::Relation);
        let col = self.tab_mut(ti).col_mut(&c.name);
        col.auto = Auto::IdentityByDefault;
        col.sequence = Some(sequence.clone());
        let (tn, qc) = (self.qt(&t.name), q(&c.name));
        Some((
            format!("add identity to {}.{}", t.name, c.name),
            format!("ALTER TABLE {tn} ALTER COLUMN {qc} ADD GENERATED BY DEFAULT AS IDENTITY;\n"),
            format!("ALTER TABLE {tn} ALTER COLUMN {qc} DROP IDENTITY;\n"),
        ))
    }

    /// A data migration: the row of an empty table, or a column of NULLs
    /// filled; the downgrade takes it back out.
    fn data(&mut self) -> Option<(String, String, String)> {
        let ti = self.pick_table();
        let t = self.tab(ti).clone();
        if !t.has_row {
            let mut tab = t.clone();
            let up = self.insert_row(&mut tab);
            *self.tab_mut(ti) = tab;
            return Some((
                format!("insert into {}", t.name),
                up,
                format!("DELETE FROM {};\n", q(&t.name)),
            ));
        }
        let cols: Vec<&Col> = t
            .cols
            .iter()
            .filter(|c| !c.filled && !t.fks.iter().any(|f| f.col == c.name))
            .collect();
        if cols.is_empty() {
            return None;
        }
        let c = (*self.rng.pick(&cols)).clone();
        let value = self.value_for(&c.ty);
        self.tab_mut(ti).col_mut(&c.name).filled = true;
        let (tn, col) = (&self.qt(&t.name), &q(&c.name));
        Some((
            format!("fill {tn}.{col}"),
            format!("UPDATE {tn} SET {col} = {value};\n"),
            format!("UPDATE {tn} SET {col} = NULL;\n"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_names_are_cut_like_postgres() {
        // Measured on PostgreSQL 15 (docs/schema-fold.md, naming).
        let t = "a_very_long_table_name_that_goes_on_and_on_and_on_for_ever";
        let c = "a_very_long_column_name_that_goes_on_and_on";
        assert_eq!(
            object_name(t, Some(c), "key"),
            "a_very_long_table_name_that_g_a_very_long_column_name_that__key"
        );
        assert_eq!(
            object_name("users", Some("email"), "key1"),
            "users_email_key1"
        );
        assert_eq!(object_name("users", None, "pkey"), "users_pkey");
    }
}
