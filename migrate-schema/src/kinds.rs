//! Extensions, domains, composite and range types, and sequences
//! (PostgreSQL): how two schemas' versions of them are compared, the
//! [`KindChange`]s that turn one into the other, and the SQL of each.
//!
//! Where they go in the list of changes ([`crate::diff`]): extensions
//! right after schemas, then enum types, then the types here in dependency
//! order (a domain over an enum or a composite, a composite with a domain
//! attribute, a range over a domain), then sequences, all before tables;
//! a sequence's `OWNED BY` is set once its table exists and removed before
//! its table or column can go; drops run in the reverse order, after
//! tables.
//!
//! The sequence of a `serial` column (owned by that column and its
//! default, whatever its name) is part of the column and left out here, as
//! is every identity column's sequence, which introspection does not read.
//! A sequence owned by a column that does not take its values from it is a
//! sequence of its own. A sequence's current value is data and is
//! never compared.

use std::collections::{BTreeMap, BTreeSet};

use migrate_core::quote_ident;
use migrate_core::sql::Dialect;

use crate::canon::{canonical_expression, canonical_type, same_default, same_type};
use crate::diff::EnumColumn;
use crate::model::{
    Attribute, CheckConstraint, CompositeType, Domain, Extension, QualifiedName, RangeType, Schema,
    Sequence,
};
use crate::parse::truncate_identifier;

/// One operation on an extension, a domain, a composite or range type, or
/// a sequence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KindChange {
    /// `CREATE EXTENSION IF NOT EXISTS`.
    CreateExtension(Extension),
    /// `DROP EXTENSION`.
    DropExtension(Extension),
    /// `ALTER EXTENSION … SET SCHEMA` / `UPDATE TO`.
    AlterExtension {
        /// Before.
        from: Extension,
        /// After.
        to: Extension,
    },
    /// `CREATE DOMAIN`.
    CreateDomain(Domain),
    /// `DROP DOMAIN`.
    DropDomain(Domain),
    /// Base type or collation changed: the domain is dropped and created
    /// again, its columns moved to the old base type meanwhile (and their
    /// defaults dropped and set back).
    ReplaceDomain {
        /// Before.
        from: Domain,
        /// After.
        to: Domain,
        /// Columns of the domain (their `default` is set back after the
        /// conversion; `new_default` is not used).
        columns: Vec<EnumColumn>,
    },
    /// `ALTER DOMAIN … SET/DROP DEFAULT`.
    AlterDomainDefault {
        /// The domain (after the change, for its base type).
        domain: Domain,
        /// Before.
        from: Option<String>,
        /// After.
        to: Option<String>,
    },
    /// `ALTER DOMAIN … SET/DROP NOT NULL`.
    AlterDomainNotNull {
        /// The domain.
        domain: QualifiedName,
        /// After the change.
        not_null: bool,
    },
    /// `ALTER DOMAIN … ADD CONSTRAINT … CHECK`.
    AddDomainCheck {
        /// The domain.
        domain: QualifiedName,
        /// The constraint (named; an unnamed one gets `<domain>_check`).
        check: CheckConstraint,
    },
    /// `ALTER DOMAIN … DROP CONSTRAINT`.
    DropDomainCheck {
        /// The domain.
        domain: QualifiedName,
        /// The constraint.
        check: CheckConstraint,
    },
    /// `CREATE TYPE … AS (…)`.
    CreateComposite(CompositeType),
    /// `DROP TYPE` of a composite type.
    DropComposite(CompositeType),
    /// `ALTER TYPE … ADD/DROP ATTRIBUTE`, `ALTER ATTRIBUTE … TYPE`; when
    /// the new order of attributes cannot be reached that way, the type is
    /// dropped and created again.
    AlterComposite {
        /// Before.
        from: CompositeType,
        /// After.
        to: CompositeType,
    },
    /// `CREATE TYPE … AS RANGE`.
    CreateRange(RangeType),
    /// `DROP TYPE` of a range type.
    DropRange(RangeType),
    /// Any change to a range type: dropped and created again.
    ReplaceRange {
        /// Before.
        from: RangeType,
        /// After.
        to: RangeType,
    },
    /// `CREATE SEQUENCE` (its owner is set by [`KindChange::SetSequenceOwner`]).
    CreateSequence(Sequence),
    /// `DROP SEQUENCE`.
    DropSequence(Sequence),
    /// `ALTER SEQUENCE` with the options that differ.
    AlterSequence {
        /// Before.
        from: Sequence,
        /// After.
        to: Sequence,
    },
    /// `ALTER SEQUENCE … OWNED BY table.column` / `OWNED BY NONE`.
    SetSequenceOwner {
        /// The sequence.
        sequence: QualifiedName,
        /// Owner before.
        from: Option<(QualifiedName, String)>,
        /// Owner after.
        to: Option<(QualifiedName, String)>,
    },
}

impl KindChange {
    /// The operation that undoes this one.
    pub fn inverse(&self) -> KindChange {
        use KindChange::*;
        match self.clone() {
            CreateExtension(e) => DropExtension(e),
            DropExtension(e) => CreateExtension(e),
            AlterExtension { from, to } => AlterExtension { from: to, to: from },
            CreateDomain(d) => DropDomain(d),
            DropDomain(d) => CreateDomain(d),
            ReplaceDomain { from, to, columns } => ReplaceDomain {
                from: to,
                to: from,
                columns,
            },
            AlterDomainDefault { domain, from, to } => AlterDomainDefault {
                domain,
                from: to,
                to: from,
            },
            AlterDomainNotNull { domain, not_null } => AlterDomainNotNull {
                domain,
                not_null: !not_null,
            },
            AddDomainCheck { domain, check } => DropDomainCheck { domain, check },
            DropDomainCheck { domain, check } => AddDomainCheck { domain, check },
            CreateComposite(c) => DropComposite(c),
            DropComposite(c) => CreateComposite(c),
            AlterComposite { from, to } => AlterComposite { from: to, to: from },
            CreateRange(r) => DropRange(r),
            DropRange(r) => CreateRange(r),
            ReplaceRange { from, to } => ReplaceRange { from: to, to: from },
            CreateSequence(s) => DropSequence(s),
            DropSequence(s) => CreateSequence(s),
            AlterSequence { from, to } => AlterSequence { from: to, to: from },
            SetSequenceOwner { sequence, from, to } => SetSequenceOwner {
                sequence,
                from: to,
                to: from,
            },
        }
    }

    /// Whether the change can lose data or fail on existing values.
    pub fn is_destructive(&self) -> bool {
        use KindChange::*;
        match self {
            DropExtension(_)
            | DropDomain(_)
            | ReplaceDomain { .. }
            | DropComposite(_)
            | DropRange(_)
            | ReplaceRange { .. }
            | DropSequence(_)
            | AddDomainCheck { .. } => true,
            AlterDomainNotNull { not_null, .. } => *not_null,
            AlterComposite { from, to } => from
                .attributes
                .iter()
                .any(|a| !to.attributes.iter().any(|b| b == a)),
            _ => false,
        }
    }

    /// A short description, e.g. `create domain email`.
    pub fn summary(&self) -> String {
        use KindChange::*;
        match self {
            CreateExtension(e) => format!("create extension {}", e.name),
            DropExtension(e) => format!("drop extension {}", e.name),
            AlterExtension { to, .. } => format!("alter extension {}", to.name),
            CreateDomain(d) => format!("create domain {}", d.name),
            DropDomain(d) => format!("drop domain {}", d.name),
            ReplaceDomain { to, .. } => format!("re-create domain {}", to.name),
            AlterDomainDefault { domain, .. } => {
                format!("change default of domain {}", domain.name)
            }
            AlterDomainNotNull { domain, not_null } => format!(
                "make domain {domain} {}",
                if *not_null { "NOT NULL" } else { "nullable" }
            ),
            AddDomainCheck { domain, check } => {
                format!("add check ({}) on domain {domain}", check.expression)
            }
            DropDomainCheck { domain, check } => {
                format!("drop check ({}) of domain {domain}", check.expression)
            }
            CreateComposite(c) => format!("create type {}", c.name),
            DropComposite(c) => format!("drop type {}", c.name),
            AlterComposite { to, .. } => format!("change the attributes of type {}", to.name),
            CreateRange(r) => format!("create range type {}", r.name),
            DropRange(r) => format!("drop range type {}", r.name),
            ReplaceRange { to, .. } => format!("re-create range type {}", to.name),
            CreateSequence(s) => format!("create sequence {}", s.name),
            DropSequence(s) => format!("drop sequence {}", s.name),
            AlterSequence { to, .. } => format!("alter sequence {}", to.name),
            SetSequenceOwner { sequence, to, .. } => match to {
                Some((t, c)) => format!("set owner of sequence {sequence} to {t}.{c}"),
                None => format!("remove the owner of sequence {sequence}"),
            },
        }
    }
}

/// The changes of this module, grouped by where they run.
#[derive(Debug, Default)]
pub(crate) struct KindPlan {
    /// Extensions created or altered: after schemas.
    pub extensions: Vec<KindChange>,
    /// Types created or altered, in dependency order: after enum types.
    pub types: Vec<KindChange>,
    /// Sequences created or altered: before tables.
    pub sequences: Vec<KindChange>,
    /// Owners removed: before columns and tables are dropped.
    pub drop_owners: Vec<KindChange>,
    /// Owners set: after tables and columns exist.
    pub owners: Vec<KindChange>,
    /// Sequences dropped: after tables.
    pub drop_sequences: Vec<KindChange>,
    /// Types dropped, dependents first: before enum types are dropped.
    pub drop_types: Vec<KindChange>,
    /// Extensions dropped: before schemas are dropped.
    pub drop_extensions: Vec<KindChange>,
}

/// The kinds of `schema` into `out` (already holding `schema`'s tables,
/// normalised): names in the default schema made unqualified, objects out
/// of scope left out, and serial columns' sequences left to their column.
pub(crate) fn normalise(
    schema: &Schema,
    out: &mut Schema,
    default: &str,
    include_schemas: bool,
    dialect: Dialect,
) {
    if dialect != Dialect::Postgres {
        return;
    }
    let norm = |q: &QualifiedName| match &q.schema {
        Some(s) if s == default => QualifiedName::new(q.name.clone()),
        _ => q.clone(),
    };
    let keep = |q: &QualifiedName| include_schemas || q.schema.is_none();
    for e in schema.extensions.values() {
        if e.name == "plpgsql" {
            continue;
        }
        let mut e = e.clone();
        e.schema = e.schema.filter(|s| s != default);
        out.extensions.insert(e.name.clone(), e);
    }
    for d in schema.domains.values() {
        let mut d = d.clone();
        d.name = norm(&d.name);
        if keep(&d.name) {
            out.domains.insert(d.name.clone(), d);
        }
    }
    for c in schema.composites.values() {
        let mut c = c.clone();
        c.name = norm(&c.name);
        if keep(&c.name) {
            out.composites.insert(c.name.clone(), c);
        }
    }
    for r in schema.ranges.values() {
        let mut r = r.clone();
        r.name = norm(&r.name);
        if keep(&r.name) {
            out.ranges.insert(r.name.clone(), r);
        }
    }
    for s in schema.sequences.values() {
        let mut s = s.clone();
        s.name = norm(&s.name);
        s.data_type = canonical_type(&s.data_type, dialect);
        if let Some((t, _)) = &mut s.owned_by {
            *t = norm(t);
        }
        if keep(&s.name) && !is_serial_sequence(&s, out) {
            out.sequences.insert(s.name.clone(), s);
        }
    }
}

/// `schema` without the sequences of its `serial` columns, which belong
/// to their column: what `schema.sql` and introspection both do before
/// handing a schema over, so that [`Schema::sequences`] holds only the
/// sequences of their own.
pub fn without_serial_sequences(schema: &mut Schema) {
    let serial: Vec<QualifiedName> = schema
        .sequences
        .values()
        .filter(|s| is_serial_sequence(s, schema))
        .map(|s| s.name.clone())
        .collect();
    for name in serial {
        schema.sequences.remove(&name);
    }
}

/// Whether `s` is a column's own sequence, as `serial` makes it: owned by
/// that column and its default. The name does not count: a table renamed
/// after its `serial` column was made keeps the old sequence name.
fn is_serial_sequence(s: &Sequence, schema: &Schema) -> bool {
    let Some((table, column)) = &s.owned_by else {
        return false;
    };
    let Some(default) = schema
        .tables
        .get(table)
        .and_then(|t| t.column(column))
        .and_then(|c| c.default.as_deref())
    else {
        return false;
    };
    let literal = s.name.to_string().replace('\'', "''");
    canonical_expression(default, Dialect::Postgres)
        == canonical_expression(
            &format!("nextval('{literal}'::regclass)"),
            Dialect::Postgres,
        )
}

/// The changes that turn `current`'s kinds into `target`'s (both
/// normalised).
pub(crate) fn diff(current: &Schema, target: &Schema, dialect: Dialect) -> KindPlan {
    let mut out = KindPlan::default();
    if dialect != Dialect::Postgres {
        return out;
    }

    // Extensions.
    for (name, to) in &target.extensions {
        match current.extensions.get(name) {
            None => out.extensions.push(KindChange::CreateExtension(to.clone())),
            Some(from) => {
                let version_differs =
                    matches!((&from.version, &to.version), (Some(a), Some(b)) if a != b);
                if from.schema != to.schema || version_differs {
                    let mut to = to.clone();
                    if !version_differs {
                        to.version = from.version.clone();
                    }
                    out.extensions.push(KindChange::AlterExtension {
                        from: from.clone(),
                        to,
                    });
                }
            }
        }
    }
    for (name, from) in &current.extensions {
        if !target.extensions.contains_key(name) {
            out.drop_extensions
                .push(KindChange::DropExtension(from.clone()));
        }
    }

    // Types: created ones in dependency order, changed ones, dropped ones
    // in reverse dependency order.
    let mut created: Vec<(QualifiedName, Vec<String>, KindChange)> = Vec::new();
    let mut dropped: Vec<(QualifiedName, Vec<String>, KindChange)> = Vec::new();
    let mut changed: Vec<(QualifiedName, Vec<String>, KindChange)> = Vec::new();
    for (name, to) in &target.domains {
        let deps = vec![to.data_type.clone()];
        match current.domains.get(name) {
            None => created.push((name.clone(), deps, KindChange::CreateDomain(to.clone()))),
            Some(from) => {
                if !same_type(&from.data_type, &to.data_type, dialect)
                    || from.collation != to.collation
                {
                    changed.push((
                        name.clone(),
                        deps,
                        KindChange::ReplaceDomain {
                            from: from.clone(),
                            to: to.clone(),
                            columns: crate::diff::columns_of_type(current, name, dialect),
                        },
                    ));
                } else {
                    for c in domain_changes(from, to, dialect) {
                        changed.push((name.clone(), deps.clone(), c));
                    }
                }
            }
        }
    }
    for (name, from) in &current.domains {
        if !target.domains.contains_key(name) {
            dropped.push((
                name.clone(),
                vec![from.data_type.clone()],
                KindChange::DropDomain(from.clone()),
            ));
        }
    }
    for (name, to) in &target.composites {
        let deps = to.attributes.iter().map(|a| a.data_type.clone()).collect();
        match current.composites.get(name) {
            None => created.push((name.clone(), deps, KindChange::CreateComposite(to.clone()))),
            Some(from) => {
                let same = from.attributes.len() == to.attributes.len()
                    && from.attributes.iter().zip(&to.attributes).all(|(a, b)| {
                        a.name == b.name && same_type(&a.data_type, &b.data_type, dialect)
                    });
                if !same {
                    changed.push((
                        name.clone(),
                        deps,
                        KindChange::AlterComposite {
                            from: from.clone(),
                            to: to.clone(),
                        },
                    ));
                }
            }
        }
    }
    for (name, from) in &current.composites {
        if !target.composites.contains_key(name) {
            let deps = from
                .attributes
                .iter()
                .map(|a| a.data_type.clone())
                .collect();
            dropped.push((name.clone(), deps, KindChange::DropComposite(from.clone())));
        }
    }
    for (name, to) in &target.ranges {
        let deps = vec![to.subtype.clone()];
        match current.ranges.get(name) {
            None => created.push((name.clone(), deps, KindChange::CreateRange(to.clone()))),
            Some(from) => {
                if !same_range(from, to, dialect) {
                    changed.push((
                        name.clone(),
                        deps,
                        KindChange::ReplaceRange {
                            from: from.clone(),
                            to: to.clone(),
                        },
                    ));
                }
            }
        }
    }
    for (name, from) in &current.ranges {
        if !target.ranges.contains_key(name) {
            dropped.push((
                name.clone(),
                vec![from.subtype.clone()],
                KindChange::DropRange(from.clone()),
            ));
        }
    }
    out.types.extend(dependency_order(created, dialect));
    out.types.extend(dependency_order(changed, dialect));
    let mut drops = dependency_order(dropped, dialect);
    drops.reverse();
    out.drop_types = drops;

    // Sequences.
    for (name, to) in &target.sequences {
        match current.sequences.get(name) {
            None => {
                let mut s = to.clone();
                s.owned_by = None;
                out.sequences.push(KindChange::CreateSequence(s));
                if to.owned_by.is_some() {
                    out.owners.push(KindChange::SetSequenceOwner {
                        sequence: name.clone(),
                        from: None,
                        to: to.owned_by.clone(),
                    });
                }
            }
            Some(from) => {
                let (mut a, mut b) = (from.clone(), to.clone());
                a.owned_by = None;
                b.owned_by = None;
                if a != b {
                    out.sequences
                        .push(KindChange::AlterSequence { from: a, to: b });
                }
                if from.owned_by != to.owned_by {
                    if from.owned_by.is_some() {
                        out.drop_owners.push(KindChange::SetSequenceOwner {
                            sequence: name.clone(),
                            from: from.owned_by.clone(),
                            to: None,
                        });
                    }
                    if to.owned_by.is_some() {
                        out.owners.push(KindChange::SetSequenceOwner {
                            sequence: name.clone(),
                            from: None,
                            to: to.owned_by.clone(),
                        });
                    }
                }
            }
        }
    }
    for (name, from) in &current.sequences {
        if !target.sequences.contains_key(name) {
            let mut s = from.clone();
            if from.owned_by.is_some() {
                out.drop_owners.push(KindChange::SetSequenceOwner {
                    sequence: name.clone(),
                    from: from.owned_by.clone(),
                    to: None,
                });
                s.owned_by = None;
            }
            out.drop_sequences.push(KindChange::DropSequence(s));
        }
    }
    out
}

fn same_range(a: &RangeType, b: &RangeType, dialect: Dialect) -> bool {
    same_type(&a.subtype, &b.subtype, dialect)
        && a.subtype_opclass == b.subtype_opclass
        && a.collation == b.collation
        && a.canonical == b.canonical
        && a.subtype_diff == b.subtype_diff
        && a.multirange_type_name == b.multirange_type_name
}

fn domain_changes(from: &Domain, to: &Domain, dialect: Dialect) -> Vec<KindChange> {
    let mut out = Vec::new();
    if !same_default(
        from.default.as_deref(),
        to.default.as_deref(),
        &to.data_type,
        dialect,
    ) {
        out.push(KindChange::AlterDomainDefault {
            domain: to.clone(),
            from: from.default.clone(),
            to: to.default.clone(),
        });
    }
    if from.not_null != to.not_null {
        out.push(KindChange::AlterDomainNotNull {
            domain: to.name.clone(),
            not_null: to.not_null,
        });
    }
    let same = |a: &CheckConstraint, b: &CheckConstraint| {
        let names = match (&a.name, &b.name) {
            (Some(x), Some(y)) => x == y,
            _ => true,
        };
        names
            && canonical_expression(&a.expression, dialect)
                == canonical_expression(&b.expression, dialect)
    };
    let mut used = vec![false; to.checks.len()];
    for c in &from.checks {
        match (0..to.checks.len()).find(|&i| !used[i] && same(c, &to.checks[i])) {
            Some(i) => used[i] = true,
            None => out.push(KindChange::DropDomainCheck {
                domain: to.name.clone(),
                check: c.clone(),
            }),
        }
    }
    let mut taken: BTreeSet<String> = from.checks.iter().filter_map(|c| c.name.clone()).collect();
    for (c, used) in to.checks.iter().zip(used) {
        if !used {
            let mut check = c.clone();
            if check.name.is_none() {
                check.name = Some(check_name(&to.name.name, &mut taken));
            }
            out.push(KindChange::AddDomainCheck {
                domain: to.name.clone(),
                check,
            });
        }
    }
    out
}

/// The name PostgreSQL gives an unnamed check of a domain: `<domain>_check`,
/// then `<domain>_check1`, … when taken.
fn check_name(domain: &str, taken: &mut BTreeSet<String>) -> String {
    let mut n = 0;
    loop {
        let mut name = if n == 0 {
            format!("{domain}_check")
        } else {
            format!("{domain}_check{n}")
        };
        truncate_identifier(&mut name);
        if taken.insert(name.clone()) {
            return name;
        }
        n += 1;
    }
}

/// The type a column, attribute or domain names, without array brackets,
/// for dependency order.
fn base_type(t: &str, dialect: Dialect) -> String {
    let c = canonical_type(t, dialect);
    c.trim_end_matches("[]").to_owned()
}

/// Orders `items` so that a type comes after the types it names.
fn dependency_order(
    items: Vec<(QualifiedName, Vec<String>, KindChange)>,
    dialect: Dialect,
) -> Vec<KindChange> {
    let names: BTreeMap<String, QualifiedName> = items
        .iter()
        .map(|(n, _, _)| (canonical_type(&n.to_string(), dialect), n.clone()))
        .collect();
    let mut pending: Vec<(QualifiedName, Vec<QualifiedName>, KindChange)> = items
        .into_iter()
        .map(|(n, deps, c)| {
            let deps = deps
                .iter()
                .filter_map(|d| names.get(&base_type(d, dialect)))
                .filter(|d| **d != n)
                .cloned()
                .collect();
            (n, deps, c)
        })
        .collect();
    let mut placed: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut out = Vec::new();
    while !pending.is_empty() {
        // Every change of a type is placed once all changes of the types
        // it names are; a cycle (which PostgreSQL refuses anyway) keeps
        // the declared order.
        let remaining: BTreeSet<QualifiedName> =
            pending.iter().map(|(n, _, _)| n.clone()).collect();
        let ready = pending
            .iter()
            .position(|(_, deps, _)| {
                deps.iter()
                    .all(|d| !remaining.contains(d) || placed.contains(d))
            })
            .unwrap_or(0);
        let (name, _, change) = pending.remove(ready);
        if !pending.iter().any(|(n, _, _)| *n == name) {
            placed.insert(name);
        }
        out.push(change);
    }
    out
}

/// One statement of a kind's change, with what to say before it.
pub(crate) struct Step {
    /// A `-- REVIEW:` line.
    pub review: Option<String>,
    /// A plain `--` comment.
    pub note: Option<String>,
    /// The statement, without `;`.
    pub sql: String,
}

fn step(sql: String) -> Step {
    Step {
        review: None,
        note: None,
        sql,
    }
}

fn reviewed(review: String, sql: String) -> Step {
    Step {
        review: Some(review),
        note: None,
        sql,
    }
}

fn qn(name: &QualifiedName) -> String {
    match &name.schema {
        Some(s) => format!(
            "{}.{}",
            quote_ident(s, Dialect::Postgres),
            quote_ident(&name.name, Dialect::Postgres)
        ),
        None => quote_ident(&name.name, Dialect::Postgres),
    }
}

fn q(name: &str) -> String {
    quote_ident(name, Dialect::Postgres)
}

/// A collation, operator class or function name as kept by the parser
/// (`C`, `other.f`), quoted part by part.
fn object_ref(name: &str) -> String {
    name.split('.').map(q).collect::<Vec<_>>().join(".")
}

fn string_literal(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

fn create_domain(d: &Domain) -> String {
    let mut sql = format!("CREATE DOMAIN {} AS {}", qn(&d.name), d.data_type);
    if let Some(c) = &d.collation {
        sql.push_str(&format!(" COLLATE {}", object_ref(c)));
    }
    if let Some(e) = &d.default {
        sql.push_str(&format!(" DEFAULT {e}"));
    }
    if d.not_null {
        sql.push_str(" NOT NULL");
    }
    let mut taken: BTreeSet<String> = d.checks.iter().filter_map(|c| c.name.clone()).collect();
    for c in &d.checks {
        let name = c
            .name
            .clone()
            .unwrap_or_else(|| check_name(&d.name.name, &mut taken));
        sql.push_str(&format!(
            " CONSTRAINT {} CHECK ({})",
            q(&name),
            c.expression
        ));
    }
    sql
}

fn create_composite(c: &CompositeType) -> String {
    let attributes: Vec<String> = c
        .attributes
        .iter()
        .map(|a| format!("{} {}", q(&a.name), a.data_type))
        .collect();
    format!("CREATE TYPE {} AS ({})", qn(&c.name), attributes.join(", "))
}

fn create_range(r: &RangeType) -> String {
    let mut options = vec![format!("subtype = {}", r.subtype)];
    let mut option = |key: &str, value: &Option<String>| {
        if let Some(v) = value {
            options.push(format!("{key} = {}", object_ref(v)));
        }
    };
    option("subtype_opclass", &r.subtype_opclass);
    option("collation", &r.collation);
    option("canonical", &r.canonical);
    option("subtype_diff", &r.subtype_diff);
    if let Some(m) = &r.multirange_type_name {
        let m = QualifiedName {
            schema: r.name.schema.clone(),
            name: m.clone(),
        };
        options.push(format!("multirange_type_name = {}", qn(&m)));
    }
    format!(
        "CREATE TYPE {} AS RANGE ({})",
        qn(&r.name),
        options.join(", ")
    )
}

/// The options of `s` that differ from `base` (`CREATE SEQUENCE` writes
/// those that differ from PostgreSQL's defaults).
fn sequence_options(s: &Sequence, base: &Sequence) -> String {
    let mut out = String::new();
    if s.data_type != base.data_type {
        out.push_str(&format!(" AS {}", s.data_type));
    }
    if s.increment != base.increment {
        out.push_str(&format!(" INCREMENT BY {}", s.increment));
    }
    // A new type changes the bounds that were the old type's: state them.
    let retyped = s.data_type != base.data_type;
    if s.min_value != base.min_value || retyped {
        out.push_str(&format!(" MINVALUE {}", s.min_value));
    }
    if s.max_value != base.max_value || retyped {
        out.push_str(&format!(" MAXVALUE {}", s.max_value));
    }
    if s.start != base.start {
        out.push_str(&format!(" START WITH {}", s.start));
    }
    if s.cache != base.cache {
        out.push_str(&format!(" CACHE {}", s.cache));
    }
    if s.cycle != base.cycle {
        out.push_str(if s.cycle { " CYCLE" } else { " NO CYCLE" });
    }
    out
}

/// The statements of `change`.
pub(crate) fn render(change: &KindChange) -> Vec<Step> {
    use KindChange::*;
    match change {
        CreateExtension(e) => {
            let mut sql = format!("CREATE EXTENSION IF NOT EXISTS {}", q(&e.name));
            if let Some(s) = &e.schema {
                sql.push_str(&format!(" SCHEMA {}", q(s)));
            }
            if let Some(v) = &e.version {
                sql.push_str(&format!(" VERSION {}", string_literal(v)));
            }
            vec![step(sql)]
        }
        DropExtension(e) => vec![reviewed(
            format!(
                "drops extension {} and its objects; other databases' or tools' use of it is not checked",
                q(&e.name)
            ),
            format!("DROP EXTENSION {}", q(&e.name)),
        )],
        AlterExtension { from, to } => {
            let mut out = Vec::new();
            if from.schema != to.schema {
                out.push(step(format!(
                    "ALTER EXTENSION {} SET SCHEMA {}",
                    q(&to.name),
                    q(to.schema.as_deref().unwrap_or("public"))
                )));
            }
            if from.version != to.version
                && let Some(v) = &to.version
            {
                out.push(reviewed(
                    format!(
                        "updates extension {} from version {} to {v}; the extension must ship an update path between them",
                        q(&to.name),
                        from.version.as_deref().unwrap_or("?")
                    ),
                    format!("ALTER EXTENSION {} UPDATE TO {}", q(&to.name), string_literal(v)),
                ));
            }
            out
        }
        CreateDomain(d) => vec![step(create_domain(d))],
        DropDomain(d) => vec![reviewed(
            format!("drops domain {}", qn(&d.name)),
            format!("DROP DOMAIN {}", qn(&d.name)),
        )],
        ReplaceDomain { from, to, columns } => replace_domain(from, to, columns),
        AlterDomainDefault { domain, to, .. } => vec![step(match to {
            Some(e) => format!("ALTER DOMAIN {} SET DEFAULT {e}", qn(&domain.name)),
            None => format!("ALTER DOMAIN {} DROP DEFAULT", qn(&domain.name)),
        })],
        AlterDomainNotNull { domain, not_null } => {
            if *not_null {
                vec![reviewed(
                    format!("fails if a column of domain {} holds NULL", qn(domain)),
                    format!("ALTER DOMAIN {} SET NOT NULL", qn(domain)),
                )]
            } else {
                vec![step(format!("ALTER DOMAIN {} DROP NOT NULL", qn(domain)))]
            }
        }
        AddDomainCheck { domain, check } => {
            let name = check
                .name
                .clone()
                .unwrap_or_else(|| format!("{}_check", domain.name));
            vec![reviewed(
                format!(
                    "fails if a value of domain {} in a column breaks the new check",
                    qn(domain)
                ),
                format!(
                    "ALTER DOMAIN {} ADD CONSTRAINT {} CHECK ({})",
                    qn(domain),
                    q(&name),
                    check.expression
                ),
            )]
        }
        DropDomainCheck { domain, check } => {
            let name = check
                .name
                .clone()
                .unwrap_or_else(|| format!("{}_check", domain.name));
            vec![step(format!(
                "ALTER DOMAIN {} DROP CONSTRAINT {}",
                qn(domain),
                q(&name)
            ))]
        }
        CreateComposite(c) => vec![step(create_composite(c))],
        DropComposite(c) => vec![reviewed(
            format!("drops type {}", qn(&c.name)),
            format!("DROP TYPE {}", qn(&c.name)),
        )],
        AlterComposite { from, to } => alter_composite(from, to),
        CreateRange(r) => vec![step(create_range(r))],
        DropRange(r) => vec![reviewed(
            format!("drops range type {}", qn(&r.name)),
            format!("DROP TYPE {}", qn(&r.name)),
        )],
        ReplaceRange { from, to } => vec![
            reviewed(
                format!(
                    "re-creates range type {} with new options; columns of this type must be converted to another type first, or the DROP fails",
                    qn(&to.name)
                ),
                format!("DROP TYPE {}", qn(&from.name)),
            ),
            step(create_range(to)),
        ],
        CreateSequence(s) => {
            // Options that differ from the defaults of the sequence's type.
            let base = Sequence::new(s.name.clone(), &s.data_type, s.increment);
            let mut options = String::new();
            if s.data_type != "bigint" {
                options.push_str(&format!(" AS {}", s.data_type));
            }
            if s.increment != 1 {
                options.push_str(&format!(" INCREMENT BY {}", s.increment));
            }
            options.push_str(&sequence_options(s, &base));
            vec![step(format!("CREATE SEQUENCE {}{options}", qn(&s.name)))]
        }
        DropSequence(s) => vec![reviewed(
            format!("drops sequence {} and its current value", qn(&s.name)),
            format!("DROP SEQUENCE {}", qn(&s.name)),
        )],
        AlterSequence { from, to } => {
            vec![step(format!(
                "ALTER SEQUENCE {}{}",
                qn(&to.name),
                sequence_options(to, from)
            ))]
        }
        SetSequenceOwner { sequence, to, .. } => vec![step(match to {
            Some((t, c)) => format!(
                "ALTER SEQUENCE {} OWNED BY {}.{}",
                qn(sequence),
                qn(t),
                q(c)
            ),
            None => format!("ALTER SEQUENCE {} OWNED BY NONE", qn(sequence)),
        })],
    }
}

/// A domain dropped and created again: its columns are moved to the old
/// base type (defaults dropped first: PostgreSQL cannot drop a type a
/// default uses), then converted to the new domain through the new base
/// type, and their defaults set back.
fn replace_domain(from: &Domain, to: &Domain, columns: &[EnumColumn]) -> Vec<Step> {
    let name = qn(&to.name);
    let col = |c: &EnumColumn| format!("{}.{}", qn(&c.table), q(&c.column));
    let listed: Vec<String> = columns.iter().map(col).collect();
    let mut out = Vec::new();
    let mut review = Some(format!(
        "re-creates domain {name} (base type {} → {}, collation {} → {}){}; every value must convert to the new base type and pass its checks",
        from.data_type,
        to.data_type,
        from.collation.as_deref().unwrap_or("default"),
        to.collation.as_deref().unwrap_or("default"),
        if listed.is_empty() {
            String::new()
        } else {
            format!(", converting {}", listed.join(", "))
        }
    ));
    let mut push = |sql: String, out: &mut Vec<Step>| {
        out.push(Step {
            review: review.take(),
            note: None,
            sql,
        });
    };
    for c in columns {
        let alter = format!("ALTER TABLE {} ALTER COLUMN {}", qn(&c.table), q(&c.column));
        if c.default.is_some() {
            push(format!("{alter} DROP DEFAULT"), &mut out);
        }
        push(format!("{alter} TYPE {}", from.data_type), &mut out);
    }
    push(format!("DROP DOMAIN {}", qn(&from.name)), &mut out);
    out.push(step(create_domain(to)));
    for c in columns {
        let alter = format!("ALTER TABLE {} ALTER COLUMN {}", qn(&c.table), q(&c.column));
        out.push(step(format!(
            "{alter} TYPE {name} USING {}::{}::{name}",
            q(&c.column),
            to.data_type
        )));
        if let Some(d) = &c.default {
            out.push(step(format!("{alter} SET DEFAULT {d}")));
        }
    }
    out
}

/// `ALTER TYPE` statements from `from` to `to`, or a re-create when the
/// new order of attributes cannot be reached by dropping and appending.
fn alter_composite(from: &CompositeType, to: &CompositeType) -> Vec<Step> {
    let kept: Vec<&Attribute> = from
        .attributes
        .iter()
        .filter(|a| to.attributes.iter().any(|b| b.name == a.name))
        .collect();
    let added: Vec<&Attribute> = to
        .attributes
        .iter()
        .filter(|b| !from.attributes.iter().any(|a| a.name == b.name))
        .collect();
    let reachable = kept
        .iter()
        .map(|a| a.name.as_str())
        .chain(added.iter().map(|a| a.name.as_str()))
        .eq(to.attributes.iter().map(|a| a.name.as_str()));
    let name = qn(&to.name);
    if !reachable {
        return vec![
            reviewed(
                format!(
                    "re-creates type {name} to change the order of its attributes; columns of this type must be converted first, or the DROP fails"
                ),
                format!("DROP TYPE {}", qn(&from.name)),
            ),
            step(create_composite(to)),
        ];
    }
    let mut out = Vec::new();
    for a in &from.attributes {
        if !to.attributes.iter().any(|b| b.name == a.name) {
            out.push(reviewed(
                format!(
                    "drops attribute {} of type {name} and its values",
                    q(&a.name)
                ),
                format!("ALTER TYPE {name} DROP ATTRIBUTE {}", q(&a.name)),
            ));
        }
    }
    for a in &kept {
        let b = to.attributes.iter().find(|b| b.name == a.name).unwrap();
        if !same_type(&a.data_type, &b.data_type, Dialect::Postgres) {
            out.push(step(format!(
                "ALTER TYPE {name} ALTER ATTRIBUTE {} TYPE {}",
                q(&a.name),
                b.data_type
            )));
        }
    }
    for a in added {
        out.push(step(format!(
            "ALTER TYPE {name} ADD ATTRIBUTE {} {}",
            q(&a.name),
            a.data_type
        )));
    }
    out
}

#[cfg(test)]
#[path = "kinds_tests.rs"]
mod tests;
