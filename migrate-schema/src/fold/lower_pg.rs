//! PostgreSQL statements, read from libpg_query's parse tree, applied to the
//! fold's [`State`]: tables, columns, constraints, indexes, enums, schemas
//! and comments; anything else taints the narrowest scope it names.

use migrate_core::quote_ident;
use migrate_core::sql::Dialect;
use pg_query::protobuf::{
    self, AlterTableType, ConstrType, DropBehavior, ObjectType, node::Node as N,
};
use pg_query::{NodeMut, NodeRef};

use super::naming::{choose, columns_part, index_column_names};
use super::state::{
    CheckState, ColumnState, DEFAULT_SCHEMA, EnumState, Expr, ExprTree, ForeignKeyState,
    IndexKeyState, IndexState, KeyState, Relation, Scope, State, StmtRef, TableId, TableState,
};
use crate::model::{FkAction, Identity};

/// Why a statement, or part of one, is not in the model.
type Unmodelled = String;

/// Folds one parsed statement into `state`. Returns whether every effect of
/// it is in the model; otherwise the taint is recorded.
pub fn apply(state: &mut State, tree: &protobuf::ParseResult, at: &StmtRef) -> bool {
    state.begin_statement();
    let mut all = true;
    for raw in &tree.stmts {
        let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) else {
            continue;
        };
        if statement(state, node, at).is_err() {
            all = false;
        }
    }
    if all {
        state.coverage.modelled += 1;
    }
    all
}

/// Records a statement that libpg_query could not parse, or one the
/// project keeps from the checks (`-- migrate:no-check`) whose tree names
/// nothing the model holds: the whole model becomes unsure.
pub fn taint_world(state: &mut State, at: &StmtRef, why: String) {
    state.begin_statement();
    state.taint(at, Scope::World, None, why);
}

/// A `-- migrate:no-check` statement that parses: the tables its tree
/// names become unsure, or the whole model when it names none.
pub fn taint_named(state: &mut State, tree: &protobuf::ParseResult, at: &StmtRef) {
    state.begin_statement();
    let mut named = Vec::new();
    for raw in &tree.stmts {
        if let Some(node) = raw.stmt.as_ref().and_then(|n| n.node.as_ref()) {
            named.extend(named_tables(state, node));
        }
    }
    if named.is_empty() {
        state.taint(
            at,
            Scope::World,
            None,
            "a statement under `-- migrate:no-check`".into(),
        );
    }
    for id in named {
        state.taint_table(id, at, "a statement under `-- migrate:no-check`".into());
    }
}

fn statement(state: &mut State, node: &N, at: &StmtRef) -> Result<(), Unmodelled> {
    let result = match node {
        N::CreateStmt(s) => create_table(state, s, at),
        N::AlterTableStmt(s) => alter_table(state, s, at),
        N::DropStmt(s) => drop(state, s, at),
        N::RenameStmt(s) => rename(state, s),
        N::IndexStmt(s) => create_index(state, s),
        N::CreateEnumStmt(s) => create_enum(state, s),
        N::AlterEnumStmt(s) => alter_enum(state, s),
        N::CreateSchemaStmt(s) => create_schema(state, s, at),
        N::CommentStmt(s) => comment(state, s),
        // Data and session statements change no schema object.
        N::InsertStmt(_)
        | N::UpdateStmt(_)
        | N::DeleteStmt(_)
        | N::SelectStmt(_)
        | N::VariableSetStmt(_)
        | N::GrantStmt(_)
        | N::GrantRoleStmt(_)
        | N::VacuumStmt(_)
        | N::ReindexStmt(_)
        | N::TruncateStmt(_)
        | N::CreateStatsStmt(_)
        | N::LockStmt(_)
        | N::NotifyStmt(_)
        | N::ListenStmt(_)
        | N::UnlistenStmt(_)
        | N::MergeStmt(_)
        | N::CopyStmt(_)
        | N::ConstraintsSetStmt(_)
        | N::CheckPointStmt(_)
        | N::DiscardStmt(_)
        | N::TransactionStmt(_) => Ok(()),
        N::DoStmt(_) => {
            let why = "a DO block".to_owned();
            state.taint(at, Scope::World, None, why.clone());
            return Err(why);
        }
        N::ViewStmt(s) => {
            if let Some(r) = &s.view {
                let (schema, name) = range_name(r);
                state.relations.insert((schema, name), Relation::Other);
            }
            // The tables its query reads do not change.
            let why = "a view (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why);
        }
        N::CreateTableAsStmt(s) => {
            if let Some(r) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let (schema, name) = range_name(r);
                state.relations.insert((schema, name), Relation::Other);
            }
            let why = "a table or view made from a query (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why);
        }
        N::CreateSeqStmt(s) => {
            if let Some(r) = &s.sequence {
                let (schema, name) = range_name(r);
                state
                    .relations
                    .insert((schema, name), Relation::Sequence(None));
            }
            Ok(())
        }
        // Objects the model does not hold yet, made or changed without
        // touching what it does hold.
        N::CreateFunctionStmt(_)
        | N::AlterFunctionStmt(_)
        | N::CreateTrigStmt(_)
        | N::AlterSeqStmt(_)
        | N::CreateDomainStmt(_)
        | N::CompositeTypeStmt(_)
        | N::CreateRangeStmt(_)
        | N::DefineStmt(_)
        | N::CreatePolicyStmt(_)
        | N::AlterPolicyStmt(_)
        | N::CreateCastStmt(_)
        | N::CreateEventTrigStmt(_) => {
            let why = format!("{} (not modelled yet)", statement_kind(node));
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why);
        }
        // Owners, privileges, roles and refreshes change no shape.
        N::AlterOwnerStmt(_)
        | N::AlterDefaultPrivilegesStmt(_)
        | N::CreateRoleStmt(_)
        | N::AlterRoleStmt(_)
        | N::DropRoleStmt(_)
        | N::RefreshMatViewStmt(_)
        | N::ClusterStmt(_)
        | N::SecLabelStmt(_) => Ok(()),
        N::CreateExtensionStmt(s) => {
            let schema = s
                .options
                .iter()
                .find_map(|o| match o.node.as_ref() {
                    Some(N::DefElem(d)) if d.defname == "schema" => {
                        d.arg.as_ref().and_then(|a| string_of(a))
                    }
                    _ => None,
                })
                .unwrap_or_else(|| DEFAULT_SCHEMA.to_owned());
            let why = "an extension".to_owned();
            state.taint(at, Scope::Schema, Some(schema), why.clone());
            return Err(why);
        }
        // Anything else may change what it names: those tables become
        // unsure, or everything when it names none.
        other => {
            let why = format!("{} (not modelled yet)", statement_kind(other));
            let named = named_tables(state, other);
            if named.is_empty() {
                state.taint(at, Scope::World, None, why.clone());
            }
            for id in named {
                state.taint_table(id, at, why.clone());
            }
            return Err(why);
        }
    };
    let tainted = state
        .coverage
        .taints
        .last()
        .is_some_and(|t| t.epoch == state.epoch);
    // A statement on tables the model holds that it could not apply
    // leaves those tables unsure (an index with an operator class, a
    // constraint on a missing column).
    if let Err(why) = &result
        && !tainted
    {
        let named = named_tables(state, node);
        if named.is_empty() {
            state.taint(at, Scope::Unmodelled, None, why.clone());
        }
        for id in named {
            state.taint_table(id, at, why.clone());
        }
    }
    result
}

/// The statement's node name, for messages (`CreateDomain`, `AlterObjectSchema`).
fn statement_kind(node: &N) -> String {
    let debug = format!("{:?}", node.to_ref());
    let name = debug.split('(').next().unwrap_or("statement");
    name.trim_end_matches("Stmt").to_owned()
}

/// The tables in the model that a statement's tree names. pg_query's walk
/// does not enter every statement kind, so the relation of those that name
/// one directly is added; a caller that finds none taints everything.
fn named_tables(state: &State, node: &N) -> Vec<TableId> {
    let mut ranges: Vec<&protobuf::RangeVar> = match node {
        N::AlterObjectSchemaStmt(s) => s.relation.iter().collect(),
        N::RuleStmt(s) => s.relation.iter().collect(),
        N::CreateTrigStmt(s) => s.relation.iter().collect(),
        N::CreatePolicyStmt(s) => s.table.iter().collect(),
        N::AlterPolicyStmt(s) => s.table.iter().collect(),
        _ => Vec::new(),
    };
    let walked = node.nodes();
    ranges.extend(walked.iter().filter_map(|(child, ..)| match child {
        NodeRef::RangeVar(r) => Some(*r),
        _ => None,
    }));
    let mut out = Vec::new();
    for r in ranges {
        let (schema, name) = range_name(r);
        if let Some(id) = state.find_table(&schema, &name)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

// ---------------------------------------------------------------- names

fn range_name(r: &protobuf::RangeVar) -> (String, String) {
    let schema = if r.schemaname.is_empty() {
        DEFAULT_SCHEMA.to_owned()
    } else {
        r.schemaname.clone()
    };
    (schema, r.relname.clone())
}

fn string_of(node: &protobuf::Node) -> Option<String> {
    match node.node.as_ref()? {
        N::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

fn strings(nodes: &[protobuf::Node]) -> Vec<String> {
    nodes.iter().filter_map(string_of).collect()
}

/// `[schema.]name` from a list of names.
fn list_name(names: &[String]) -> Option<(String, String)> {
    match names {
        [name] => Some((DEFAULT_SCHEMA.to_owned(), name.clone())),
        [schema, name] => Some((schema.clone(), name.clone())),
        [_catalog, schema, name] => Some((schema.clone(), name.clone())),
        _ => None,
    }
}

fn object_names(node: &protobuf::Node) -> Vec<String> {
    match node.node.as_ref() {
        Some(N::List(l)) => strings(&l.items),
        Some(N::TypeName(t)) => strings(&t.names),
        Some(N::String(s)) => vec![s.sval.clone()],
        _ => Vec::new(),
    }
}

fn table_of(state: &State, r: &protobuf::RangeVar) -> Result<TableId, Unmodelled> {
    let (schema, name) = range_name(r);
    state
        .find_table(&schema, &name)
        .ok_or_else(|| format!("table {schema}.{name} is not in the model"))
}

// ---------------------------------------------------------- expressions

/// Deparses an expression by wrapping it in `SELECT <expr>`.
fn deparse_expr(node: &protobuf::Node) -> Result<String, Unmodelled> {
    let target = protobuf::Node {
        node: Some(N::ResTarget(Box::new(protobuf::ResTarget {
            val: Some(Box::new(node.clone())),
            ..Default::default()
        }))),
    };
    let select = protobuf::SelectStmt {
        target_list: vec![target],
        op: protobuf::SetOperation::SetopNone as i32,
        limit_option: protobuf::LimitOption::Default as i32,
        ..Default::default()
    };
    let sql = deparse_statement(N::SelectStmt(Box::new(select)))?;
    sql.strip_prefix("SELECT ")
        .map(str::to_owned)
        .ok_or_else(|| "an expression the deparser did not give back".to_owned())
}

fn deparse_statement(node: N) -> Result<String, Unmodelled> {
    let tree = protobuf::ParseResult {
        version: 180000,
        stmts: vec![protobuf::RawStmt {
            stmt: Some(Box::new(protobuf::Node { node: Some(node) })),
            stmt_location: 0,
            stmt_len: 0,
        }],
    };
    pg_query::deparse(&tree, Default::default()).map_err(|e| format!("deparse: {e}"))
}

/// The columns an expression names (the last part of each column reference).
fn referenced_columns(node: &protobuf::Node) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut visit = |fields: &[protobuf::Node]| {
        if let Some(name) = fields.last().and_then(string_of)
            && !out.contains(&name)
        {
            out.push(name);
        }
    };
    if let Some(N::ColumnRef(c)) = node.node.as_ref() {
        visit(&c.fields);
    } else if let Some(n) = node.node.as_ref() {
        for (child, ..) in n.nodes() {
            if let NodeRef::ColumnRef(c) = child {
                visit(&c.fields);
            }
        }
    }
    out
}

fn expr(node: &protobuf::Node) -> Result<Expr, Unmodelled> {
    Ok(Expr {
        sql: deparse_expr(node)?,
        columns: referenced_columns(node),
        tree: ExprTree(Some(Box::new(node.clone()))),
    })
}

/// Renames column `old` to `new` inside an expression that names it: its
/// tree's column references, then its SQL, deparsed again.
fn rename_in_expr(e: &mut Expr, old: &str, new: &str) -> Result<(), Unmodelled> {
    if !e.columns.iter().any(|c| c == old) {
        return Ok(());
    }
    let tree = e
        .tree
        .0
        .as_mut()
        .ok_or_else(|| format!("column {old} renamed inside an expression kept as text"))?;
    if let Some(node) = tree.node.as_mut() {
        // SAFETY: `nodes_mut` returns pointers into `node`, which is
        // borrowed mutably for the whole loop and not otherwise touched;
        // each pointer is dereferenced once, and only its `fields` list is
        // changed, which moves no other node.
        unsafe {
            for (child, ..) in node.nodes_mut() {
                if let NodeMut::ColumnRef(c) = child
                    && let Some(c) = c.as_mut()
                    && let Some(last) = c.fields.last_mut()
                    && let Some(N::String(name)) = last.node.as_mut()
                    && name.sval == old
                {
                    name.sval = new.to_owned();
                }
            }
        }
    }
    e.sql = deparse_expr(tree)?;
    for c in &mut e.columns {
        if c == old {
            *c = new.to_owned();
        }
    }
    Ok(())
}

/// A type as PostgreSQL's deparser writes it (`int`, `numeric(10, 2)`,
/// `varchar(20)[]`), through `NULL::type`.
fn type_sql(t: &protobuf::TypeName) -> Result<String, Unmodelled> {
    let cast = protobuf::Node {
        node: Some(N::TypeCast(Box::new(protobuf::TypeCast {
            arg: Some(Box::new(protobuf::Node {
                node: Some(N::AConst(protobuf::AConst {
                    isnull: true,
                    ..Default::default()
                })),
            })),
            type_name: Some(t.clone()),
            location: -1,
        }))),
    };
    let sql = deparse_expr(&cast)?;
    sql.strip_prefix("NULL::")
        .map(str::to_owned)
        .ok_or_else(|| format!("a type the deparser wrote as {sql}"))
}

/// `serial` and friends: the integer type they stand for.
fn serial_type(t: &protobuf::TypeName) -> Option<&'static str> {
    let names = strings(&t.names);
    if names.len() != 1 || !t.array_bounds.is_empty() {
        return None;
    }
    match names[0].as_str() {
        "smallserial" | "serial2" => Some("smallint"),
        "serial" | "serial4" => Some("integer"),
        "bigserial" | "serial8" => Some("bigint"),
        _ => None,
    }
}

// --------------------------------------------------------------- tables

/// A constraint read from the tree, before it is named.
struct PendingConstraint<'a> {
    constraint: &'a protobuf::Constraint,
    /// The column it is written on, for column constraints.
    column: Option<String>,
}

fn create_table(
    state: &mut State,
    s: &protobuf::CreateStmt,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    let r = s.relation.as_ref().ok_or("a table without a name")?;
    let (schema, name) = range_name(r);
    if state.relation_taken(&schema, &name) {
        if s.if_not_exists {
            return Ok(());
        }
        return Err(format!("relation {schema}.{name} already exists"));
    }
    if !state.has_schema(&schema) {
        return Err(format!("schema {schema} is not in the model"));
    }
    let id = state.insert_table(TableState {
        schema: schema.clone(),
        name: name.clone(),
        columns: Vec::new(),
        primary_key: None,
        uniques: Vec::new(),
        foreign_keys: Vec::new(),
        checks: Vec::new(),
        indexes: Vec::new(),
        comment: None,
        established: state.epoch,
        shape: None,
    });
    let mut pending = Vec::new();
    let mut unsure: Option<Unmodelled> = None;
    if !s.inh_relations.is_empty()
        || s.partbound.is_some()
        || s.partspec.is_some()
        || s.of_typename.is_some()
    {
        unsure = Some("a partitioned, inherited or typed table".into());
    }
    for elt in &s.table_elts {
        match elt.node.as_ref() {
            Some(N::ColumnDef(c)) => {
                if let Err(why) = add_column(state, id, c, &mut pending) {
                    unsure.get_or_insert(why);
                }
            }
            Some(N::Constraint(c)) => pending.push(PendingConstraint {
                constraint: c,
                column: None,
            }),
            _ => {
                unsure.get_or_insert("a LIKE clause".into());
            }
        }
    }
    for c in &s.constraints {
        if let Some(N::Constraint(c)) = c.node.as_ref() {
            pending.push(PendingConstraint {
                constraint: c,
                column: None,
            });
        }
    }
    let (keep, names) = merge_redundant_keys(&pending);
    let renamed: Vec<Option<protobuf::Constraint>> = pending
        .iter()
        .zip(&names)
        .map(|(p, name)| {
            name.as_ref().map(|name| protobuf::Constraint {
                conname: name.clone(),
                ..p.constraint.clone()
            })
        })
        .collect();
    let pending: Vec<PendingConstraint<'_>> = pending
        .iter()
        .zip(keep)
        .zip(&renamed)
        .filter(|((_, keep), _)| *keep)
        .map(|((p, _), renamed)| PendingConstraint {
            constraint: renamed.as_ref().unwrap_or(p.constraint),
            column: p.column.clone(),
        })
        .collect();
    if let Err(why) = add_constraints(state, id, &pending) {
        unsure.get_or_insert(why);
    }
    match unsure {
        Some(why) => {
            state.taint_table(id, at, why.clone());
            Err(why)
        }
        None => Ok(()),
    }
}

/// The keys of a `CREATE TABLE` that PostgreSQL merges into an earlier one
/// on the same columns (`transformIndexConstraints`: `UNIQUE PRIMARY KEY`,
/// a column's UNIQUE written again as a table constraint; an `ALTER TABLE`
/// merges none). The primary key comes first, then the others in order;
/// a merged key is dropped, and gives its name to the one it merges into
/// when that one has none. Returns, per pending constraint, whether it
/// stays and the name it takes.
fn merge_redundant_keys(pending: &[PendingConstraint<'_>]) -> (Vec<bool>, Vec<Option<String>>) {
    let is_key = |p: &PendingConstraint<'_>| {
        matches!(
            p.constraint.contype(),
            ConstrType::ConstrPrimary | ConstrType::ConstrUnique
        )
    };
    let columns = |p: &PendingConstraint<'_>| match &p.column {
        Some(c) => vec![c.clone()],
        None => strings(&p.constraint.keys),
    };
    let same = |a: &PendingConstraint<'_>, b: &PendingConstraint<'_>| {
        let (x, y) = (a.constraint, b.constraint);
        columns(a) == columns(b)
            && x.deferrable == y.deferrable
            && x.initdeferred == y.initdeferred
            && x.nulls_not_distinct == y.nulls_not_distinct
            && x.including == y.including
            && x.indexname.is_empty()
            && y.indexname.is_empty()
    };
    let mut keep = vec![true; pending.len()];
    let mut names: Vec<Option<String>> = vec![None; pending.len()];
    let primary = pending
        .iter()
        .position(|p| p.constraint.contype() == ConstrType::ConstrPrimary);
    let mut kept: Vec<usize> = primary.into_iter().collect();
    for (i, p) in pending.iter().enumerate() {
        if !is_key(p) || Some(i) == primary {
            continue;
        }
        match kept.iter().copied().find(|&j| same(&pending[j], p)) {
            Some(j) => {
                keep[i] = false;
                let unnamed = pending[j].constraint.conname.is_empty() && names[j].is_none();
                if unnamed && !p.constraint.conname.is_empty() {
                    names[j] = Some(p.constraint.conname.clone());
                }
            }
            None => kept.push(i),
        }
    }
    (keep, names)
}

/// Adds a column from its definition; its constraints other than NULL,
/// NOT NULL, DEFAULT, identity and generated go to `pending`.
fn add_column<'a>(
    state: &mut State,
    id: TableId,
    c: &'a protobuf::ColumnDef,
    pending: &mut Vec<PendingConstraint<'a>>,
) -> Result<(), Unmodelled> {
    if state.table(id).column(&c.colname).is_some() {
        return Err(format!("column {} already exists", c.colname));
    }
    let t = c.type_name.as_ref().ok_or("a column without a type")?;
    let mut column = ColumnState {
        name: c.colname.clone(),
        data_type: String::new(),
        nullable: !c.is_not_null,
        default: None,
        identity: None,
        generated: None,
        comment: None,
        sequence: None,
    };
    if let Some(int) = serial_type(t) {
        let (schema, seq) = owned_sequence(state, id, &c.colname);
        column.data_type = int.to_owned();
        column.nullable = false;
        // As regclass prints it: quoted where the name needs it.
        let quoted = quote_ident(&seq, Dialect::Postgres);
        let qualified = if schema == DEFAULT_SCHEMA {
            quoted
        } else {
            format!("{}.{quoted}", quote_ident(&schema, Dialect::Postgres))
        };
        column.default = Some(Expr {
            sql: format!("nextval('{}'::regclass)", qualified.replace('\'', "''")),
            columns: Vec::new(),
            tree: ExprTree::default(),
        });
        column.sequence = Some(seq);
    } else {
        column.data_type = type_sql(t)?;
    }
    if let Some(d) = &c.raw_default {
        column.default = Some(expr(d)?);
    }
    for node in &c.constraints {
        let Some(N::Constraint(k)) = node.node.as_ref() else {
            continue;
        };
        match k.contype() {
            ConstrType::ConstrNull => column.nullable = true,
            ConstrType::ConstrNotnull => column.nullable = false,
            ConstrType::ConstrDefault => {
                if let Some(d) = &k.raw_expr {
                    column.default = Some(expr(d)?);
                }
            }
            ConstrType::ConstrIdentity => {
                column.identity = Some(if k.generated_when == "a" {
                    Identity::Always
                } else {
                    Identity::ByDefault
                });
                column.nullable = false;
                column.sequence = Some(owned_sequence(state, id, &c.colname).1);
            }
            ConstrType::ConstrGenerated => {
                if let Some(d) = &k.raw_expr {
                    column.generated = Some(expr(d)?);
                }
            }
            ConstrType::ConstrPrimary => {
                column.nullable = false;
                pending.push(PendingConstraint {
                    constraint: k,
                    column: Some(c.colname.clone()),
                });
            }
            ConstrType::ConstrCheck | ConstrType::ConstrUnique | ConstrType::ConstrForeign => {
                pending.push(PendingConstraint {
                    constraint: k,
                    column: Some(c.colname.clone()),
                })
            }
            ConstrType::ConstrAttrDeferrable
            | ConstrType::ConstrAttrNotDeferrable
            | ConstrType::ConstrAttrDeferred
            | ConstrType::ConstrAttrImmediate
            | ConstrType::ConstrAttrEnforced
            | ConstrType::ConstrAttrNotEnforced => {}
            _ => return Err("a column constraint the model does not hold".into()),
        }
    }
    state.table_mut(id).columns.push(column);
    Ok(())
}

/// Names and registers the sequence a serial or identity column owns:
/// `<table>_<column>_seq`, with a digit when the name is taken.
fn owned_sequence(state: &mut State, id: TableId, column: &str) -> (String, String) {
    let (schema, table) = table_names(state, id);
    let seq = choose(&table, Some(column), "seq", |n| {
        state.relation_taken(&schema, n)
    });
    state
        .relations
        .insert((schema.clone(), seq.clone()), Relation::Sequence(Some(id)));
    (schema, seq)
}

/// Names and adds constraints in PostgreSQL's order: checks when the table
/// is made, then the primary key and unique constraints (their indexes),
/// then foreign keys.
fn add_constraints(
    state: &mut State,
    id: TableId,
    pending: &[PendingConstraint<'_>],
) -> Result<(), Unmodelled> {
    let mut first_error = None;
    let order = [
        ConstrType::ConstrCheck,
        ConstrType::ConstrPrimary,
        ConstrType::ConstrUnique,
        ConstrType::ConstrForeign,
    ];
    for kind in order {
        for p in pending {
            let k = p.constraint;
            let ok = match k.contype() {
                ConstrType::ConstrPrimary | ConstrType::ConstrUnique
                    if kind == ConstrType::ConstrPrimary =>
                {
                    // Keys are named in the order they are written.
                    add_key(state, id, k, p.column.as_deref())
                }
                ConstrType::ConstrPrimary | ConstrType::ConstrUnique => continue,
                ConstrType::ConstrCheck if kind == ConstrType::ConstrCheck => {
                    add_check(state, id, k)
                }
                ConstrType::ConstrForeign if kind == ConstrType::ConstrForeign => {
                    add_foreign_key(state, id, k, p.column.as_deref())
                }
                ConstrType::ConstrCheck | ConstrType::ConstrForeign => continue,
                ConstrType::ConstrAttrDeferrable
                | ConstrType::ConstrAttrNotDeferrable
                | ConstrType::ConstrAttrDeferred
                | ConstrType::ConstrAttrImmediate => continue,
                ConstrType::ConstrNotnull if kind == ConstrType::ConstrCheck => {
                    // `ALTER TABLE … ADD CONSTRAINT n NOT NULL c` (PostgreSQL 18)
                    let cols = strings(&k.keys);
                    for c in cols {
                        if let Some(col) = state.table_mut(id).column_mut(&c) {
                            col.nullable = false;
                        }
                    }
                    Ok(())
                }
                _ if kind == ConstrType::ConstrCheck => {
                    Err("a constraint the model does not hold (exclusion or other)".into())
                }
                _ => continue,
            };
            if let Err(e) = ok {
                first_error.get_or_insert(e);
            }
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn table_names(state: &State, id: TableId) -> (String, String) {
    let t = state.table(id);
    (t.schema.clone(), t.name.clone())
}

fn add_key(
    state: &mut State,
    id: TableId,
    k: &protobuf::Constraint,
    column: Option<&str>,
) -> Result<(), Unmodelled> {
    let primary = k.contype() == ConstrType::ConstrPrimary;
    let columns = match column {
        Some(c) => vec![c.to_owned()],
        None => strings(&k.keys),
    };
    if !k.indexname.is_empty() {
        return Err("a key on an existing index (USING INDEX)".into());
    }
    let (schema, table) = table_names(state, id);
    for c in &columns {
        if state.table(id).column(c).is_none() {
            return Err(format!("column {c} is not in table {table}"));
        }
    }
    // A key's index name avoids the schema's constraint names too
    // (`ChooseRelationName` with `isconstraint`): a CHECK named t_c_key
    // sends an unnamed UNIQUE (c) to t_c_key1.
    let taken = |n: &str| state.relation_taken(&schema, n) || state.constraint_taken(&schema, n);
    let name = if !k.conname.is_empty() {
        k.conname.clone()
    } else if primary {
        choose(&table, None, "pkey", taken)
    } else {
        let names = index_column_names(&columns);
        choose(&table, Some(&columns_part(&names)), "key", taken)
    };
    if state.relation_taken(&schema, &name) {
        return Err(format!("relation {schema}.{name} already exists"));
    }
    state
        .relations
        .insert((schema.clone(), name.clone()), Relation::KeyIndex(id));
    state.add_constraint_name(&schema, &name);
    let t = state.table_mut(id);
    if primary {
        if t.primary_key.is_some() {
            return Err(format!("table {table} already has a primary key"));
        }
        for c in &columns {
            if let Some(col) = t.column_mut(c) {
                col.nullable = false;
            }
        }
        t.primary_key = Some(KeyState { name, columns });
    } else {
        t.uniques.push(KeyState { name, columns });
    }
    Ok(())
}

fn add_check(state: &mut State, id: TableId, k: &protobuf::Constraint) -> Result<(), Unmodelled> {
    let raw = k.raw_expr.as_ref().ok_or("a CHECK without a condition")?;
    let expression = expr(raw)?;
    let (schema, table) = table_names(state, id);
    let name = if !k.conname.is_empty() {
        k.conname.clone()
    } else {
        let column = match expression.columns.as_slice() {
            [one] => Some(one.as_str()),
            _ => None,
        };
        choose(&table, column, "check", |n| {
            state.constraint_taken(&schema, n)
        })
    };
    state.add_constraint_name(&schema, &name);
    state
        .table_mut(id)
        .checks
        .push(CheckState { name, expression });
    Ok(())
}

fn add_foreign_key(
    state: &mut State,
    id: TableId,
    k: &protobuf::Constraint,
    column: Option<&str>,
) -> Result<(), Unmodelled> {
    let columns = match column {
        Some(c) => vec![c.to_owned()],
        None => strings(&k.fk_attrs),
    };
    let pk = k.pktable.as_ref().ok_or("a foreign key without a table")?;
    let ref_table = table_of(state, pk)?;
    let mut ref_columns = strings(&k.pk_attrs);
    if ref_columns.is_empty() {
        ref_columns = state
            .table(ref_table)
            .primary_key
            .as_ref()
            .map(|k| k.columns.clone())
            .ok_or("a foreign key to a table without a primary key")?;
    }
    let (schema, table) = table_names(state, id);
    let name = if !k.conname.is_empty() {
        k.conname.clone()
    } else {
        choose(&table, Some(&columns_part(&columns)), "fkey", |n| {
            state.constraint_taken(&schema, n)
        })
    };
    state.add_constraint_name(&schema, &name);
    state.note_reference(id, ref_table);
    state.table_mut(id).foreign_keys.push(ForeignKeyState {
        name,
        columns,
        ref_table,
        ref_columns,
        on_delete: FkAction::from_pg_code(&k.fk_del_action),
        on_update: FkAction::from_pg_code(&k.fk_upd_action),
    });
    Ok(())
}

// ---------------------------------------------------------- ALTER TABLE

fn alter_table(
    state: &mut State,
    s: &protobuf::AlterTableStmt,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    let r = s.relation.as_ref().ok_or("ALTER without a name")?;
    let (schema, name) = range_name(r);
    let id = match state.relation(&schema, &name) {
        Some(Relation::Table(id)) if s.objtype() == ObjectType::ObjectTable => id,
        Some(Relation::Index(id) | Relation::KeyIndex(id)) => {
            // ALTER INDEX … SET (…), SET TABLESPACE: nothing the model holds.
            let _ = id;
            return Ok(());
        }
        None if s.missing_ok => return Ok(()),
        _ => {
            return Err(format!(
                "ALTER of {schema}.{name}, not a table in the model"
            ));
        }
    };
    // PostgreSQL runs the subcommands in passes, every kind of DROP first
    // (`AT_PASS_DROP`): `ADD UNIQUE (a), DROP CONSTRAINT t_a_key` names the
    // new key t_a_key, and `SET NOT NULL, DROP NOT NULL` leaves NOT NULL.
    // The other passes only reorder subcommands that would fail or not
    // interact, so those keep the order written.
    let mut cmds: Vec<&protobuf::AlterTableCmd> = s
        .cmds
        .iter()
        .filter_map(|c| match c.node.as_ref() {
            Some(N::AlterTableCmd(cmd)) => Some(cmd.as_ref()),
            _ => None,
        })
        .collect();
    cmds.sort_by_key(|cmd| !is_drop_pass(cmd));
    let mut first_error = None;
    for cmd in cmds {
        if let Err(why) = alter_command(state, id, cmd) {
            first_error.get_or_insert(why);
        }
    }
    match first_error {
        Some(why) => {
            state.taint_table(id, at, why.clone());
            Err(why)
        }
        None => Ok(()),
    }
}

/// Whether PostgreSQL runs an `ALTER TABLE` subcommand in its first pass,
/// with the drops (`AT_PASS_DROP` in `ATPrepCmd`).
fn is_drop_pass(cmd: &protobuf::AlterTableCmd) -> bool {
    match cmd.subtype() {
        AlterTableType::AtDropColumn
        | AlterTableType::AtDropConstraint
        | AlterTableType::AtDropNotNull
        | AlterTableType::AtDropIdentity => true,
        AlterTableType::AtColumnDefault => cmd.def.is_none(),
        _ => false,
    }
}

fn alter_command(
    state: &mut State,
    id: TableId,
    cmd: &protobuf::AlterTableCmd,
) -> Result<(), Unmodelled> {
    let def = cmd.def.as_deref().and_then(|d| d.node.as_ref());
    match cmd.subtype() {
        AlterTableType::AtAddColumn => {
            let Some(N::ColumnDef(c)) = def else {
                return Err("ADD COLUMN without a definition".into());
            };
            if cmd.missing_ok && state.table(id).column(&c.colname).is_some() {
                return Ok(());
            }
            let mut pending = Vec::new();
            add_column(state, id, c, &mut pending)?;
            add_constraints(state, id, &pending)
        }
        AlterTableType::AtDropColumn => {
            if state.table(id).column(&cmd.name).is_none() {
                return if cmd.missing_ok {
                    Ok(())
                } else {
                    Err(format!("column {} is not in the model", cmd.name))
                };
            }
            drop_column(state, id, &cmd.name);
            Ok(())
        }
        AlterTableType::AtColumnDefault => {
            let default = cmd.def.as_deref().map(expr).transpose()?;
            let col = column_mut(state, id, &cmd.name)?;
            col.default = default;
            Ok(())
        }
        AlterTableType::AtSetNotNull => {
            column_mut(state, id, &cmd.name)?.nullable = false;
            Ok(())
        }
        AlterTableType::AtDropNotNull => {
            column_mut(state, id, &cmd.name)?.nullable = true;
            Ok(())
        }
        AlterTableType::AtAlterColumnType => {
            let Some(N::ColumnDef(c)) = def else {
                return Err("ALTER COLUMN TYPE without a type".into());
            };
            let t = c
                .type_name
                .as_ref()
                .ok_or("ALTER COLUMN TYPE without a type")?;
            let data_type = type_sql(t)?;
            column_mut(state, id, &cmd.name)?.data_type = data_type;
            Ok(())
        }
        AlterTableType::AtAddConstraint => {
            let Some(N::Constraint(k)) = def else {
                return Err("ADD CONSTRAINT without a constraint".into());
            };
            add_constraints(
                state,
                id,
                &[PendingConstraint {
                    constraint: k,
                    column: None,
                }],
            )
        }
        AlterTableType::AtDropConstraint => drop_constraint(state, id, &cmd.name, cmd.missing_ok),
        AlterTableType::AtAddIdentity => {
            let Some(N::Constraint(k)) = def else {
                return Err("ADD GENERATED … AS IDENTITY without its definition".into());
            };
            column_mut(state, id, &cmd.name)?;
            let (_, seq) = owned_sequence(state, id, &cmd.name);
            let col = column_mut(state, id, &cmd.name)?;
            col.sequence = Some(seq);
            col.identity = Some(if k.generated_when == "a" {
                Identity::Always
            } else {
                Identity::ByDefault
            });
            col.nullable = false;
            Ok(())
        }
        AlterTableType::AtDropIdentity => {
            column_mut(state, id, &cmd.name)?.identity = None;
            Ok(())
        }
        AlterTableType::AtValidateConstraint
        | AlterTableType::AtSetStatistics
        | AlterTableType::AtSetStorage
        | AlterTableType::AtSetCompression
        | AlterTableType::AtChangeOwner
        | AlterTableType::AtClusterOn
        | AlterTableType::AtDropCluster
        | AlterTableType::AtSetRelOptions
        | AlterTableType::AtResetRelOptions
        | AlterTableType::AtReplicaIdentity
        | AlterTableType::AtEnableRowSecurity
        | AlterTableType::AtDisableRowSecurity
        | AlterTableType::AtForceRowSecurity
        | AlterTableType::AtNoForceRowSecurity
        | AlterTableType::AtSetTableSpace => Ok(()),
        other => {
            let kind = format!("{other:?}");
            Err(format!(
                "ALTER TABLE {} (not modelled yet)",
                kind.strip_prefix("At").unwrap_or(&kind)
            ))
        }
    }
}

fn column_mut<'a>(
    state: &'a mut State,
    id: TableId,
    name: &str,
) -> Result<&'a mut ColumnState, Unmodelled> {
    let table = state.table(id).name.clone();
    state
        .table_mut(id)
        .column_mut(name)
        .ok_or_else(|| format!("column {table}.{name} is not in the model"))
}

/// Drops a column with what PostgreSQL drops with it: the constraints and
/// indexes that use it, and foreign keys elsewhere that reference it.
fn drop_column(state: &mut State, id: TableId, column: &str) {
    let schema = state.table(id).schema.clone();
    let mut gone_names = Vec::new();
    let mut gone_relations = Vec::new();
    {
        let t = state.table_mut(id);
        if let Some(seq) = t.column(column).and_then(|c| c.sequence.clone()) {
            gone_relations.push(seq);
        }
        t.columns.retain(|c| c.name != column);
        if let Some(k) = &t.primary_key
            && k.columns.iter().any(|c| c == column)
        {
            gone_names.push(k.name.clone());
            gone_relations.push(k.name.clone());
            t.primary_key = None;
        }
        t.uniques.retain(|k| {
            let keep = !k.columns.iter().any(|c| c == column);
            if !keep {
                gone_names.push(k.name.clone());
                gone_relations.push(k.name.clone());
            }
            keep
        });
        t.foreign_keys.retain(|f| {
            let keep = !f.columns.iter().any(|c| c == column);
            if !keep {
                gone_names.push(f.name.clone());
            }
            keep
        });
        t.checks.retain(|k| {
            let keep = !k.expression.columns.iter().any(|c| c == column);
            if !keep {
                gone_names.push(k.name.clone());
            }
            keep
        });
        t.indexes.retain(|i| {
            let keep = !i.uses(column);
            if !keep {
                gone_relations.push(i.name.clone());
            }
            keep
        });
    }
    for n in gone_names {
        state.remove_constraint_name(&schema, &n);
    }
    for n in gone_relations {
        state.relations.remove(&(schema.clone(), n));
    }
    let mut others = state.referencing(id);
    if state
        .table(id)
        .foreign_keys
        .iter()
        .any(|f| f.ref_table == id)
    {
        others.push(id);
    }
    for other in others {
        let other_schema = state.table(other).schema.clone();
        let mut gone = Vec::new();
        state.table_mut(other).foreign_keys.retain(|f| {
            let keep = !(f.ref_table == id && f.ref_columns.iter().any(|c| c == column));
            if !keep {
                gone.push(f.name.clone());
            }
            keep
        });
        for n in gone {
            state.remove_constraint_name(&other_schema, &n);
        }
    }
}

fn drop_constraint(
    state: &mut State,
    id: TableId,
    name: &str,
    missing_ok: bool,
) -> Result<(), Unmodelled> {
    let schema = state.table(id).schema.clone();
    let t = state.table_mut(id);
    let mut relation = false;
    let found = if t.primary_key.as_ref().is_some_and(|k| k.name == name) {
        t.primary_key = None;
        relation = true;
        true
    } else if let Some(i) = t.uniques.iter().position(|k| k.name == name) {
        t.uniques.remove(i);
        relation = true;
        true
    } else if let Some(i) = t.foreign_keys.iter().position(|k| k.name == name) {
        t.foreign_keys.remove(i);
        true
    } else if let Some(i) = t.checks.iter().position(|k| k.name == name) {
        t.checks.remove(i);
        true
    } else {
        false
    };
    if !found {
        return if missing_ok {
            Ok(())
        } else {
            Err(format!("constraint {name} is not in the model"))
        };
    }
    state.remove_constraint_name(&schema, name);
    if relation {
        state.relations.remove(&(schema, name.to_owned()));
    }
    Ok(())
}

// ---------------------------------------------------------------- DROP

fn drop(state: &mut State, s: &protobuf::DropStmt, at: &StmtRef) -> Result<(), Unmodelled> {
    let cascade = s.behavior() == DropBehavior::DropCascade;
    let mut first_error = None;
    for object in &s.objects {
        let names = object_names(object);
        let result = match s.remove_type() {
            ObjectType::ObjectTable => drop_relation(state, &names, s.missing_ok, |r| {
                matches!(r, Relation::Table(_))
            }),
            ObjectType::ObjectIndex => drop_relation(state, &names, s.missing_ok, |r| {
                matches!(r, Relation::Index(_))
            }),
            ObjectType::ObjectSequence => drop_relation(state, &names, s.missing_ok, |r| {
                matches!(r, Relation::Sequence(_))
            }),
            ObjectType::ObjectView | ObjectType::ObjectMatview => {
                drop_relation(state, &names, s.missing_ok, |r| {
                    matches!(r, Relation::Other)
                })
            }
            ObjectType::ObjectType => drop_enum(state, &names, s.missing_ok, cascade),
            ObjectType::ObjectSchema => drop_schema(state, &names, s.missing_ok, cascade),
            ObjectType::ObjectFunction
            | ObjectType::ObjectProcedure
            | ObjectType::ObjectTrigger
            | ObjectType::ObjectExtension => {
                let why = "a function, trigger or extension (not modelled yet)".to_owned();
                if cascade {
                    // CASCADE may drop columns and tables that use it.
                    state.taint(
                        at,
                        Scope::World,
                        None,
                        format!("{why}, dropped with CASCADE"),
                    );
                }
                Err(why)
            }
            other => Err(format!("DROP {other:?} (not modelled yet)")),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn drop_relation(
    state: &mut State,
    names: &[String],
    missing_ok: bool,
    kind: impl Fn(Relation) -> bool,
) -> Result<(), Unmodelled> {
    let (schema, name) = list_name(names).ok_or("a name the model cannot read")?;
    match state.relation(&schema, &name) {
        None if missing_ok => Ok(()),
        None => Err(format!("{schema}.{name} is not in the model")),
        Some(r) if !kind(r) => Err(format!("{schema}.{name} is another kind of object")),
        Some(Relation::Table(id)) => {
            state.drop_table(id);
            Ok(())
        }
        Some(Relation::Index(id)) => {
            state.relations.remove(&(schema, name.clone()));
            state.table_mut(id).indexes.retain(|i| i.name != name);
            Ok(())
        }
        Some(_) => {
            state.relations.remove(&(schema, name));
            Ok(())
        }
    }
}

fn drop_enum(
    state: &mut State,
    names: &[String],
    missing_ok: bool,
    cascade: bool,
) -> Result<(), Unmodelled> {
    let key = list_name(names).ok_or("a name the model cannot read")?;
    if !state.enums.contains_key(&key) {
        return if missing_ok {
            Ok(())
        } else {
            Err(format!("type {}.{} is not in the model", key.0, key.1))
        };
    }
    // The columns of that type (or arrays of it) go with it under CASCADE;
    // without it PostgreSQL refuses to drop a type in use.
    let users: Vec<(TableId, String)> = state
        .tables()
        .flat_map(|(id, t)| {
            t.columns
                .iter()
                .filter(|c| names_type(&c.data_type, &key.0, &key.1))
                .map(move |c| (id, c.name.clone()))
        })
        .collect();
    if !users.is_empty() && !cascade {
        return Err(format!(
            "type {}.{} is used by column {}",
            key.0, key.1, users[0].1
        ));
    }
    for (id, column) in users {
        drop_column(state, id, &column);
    }
    state.enums.remove(&key);
    Ok(())
}

/// Whether a deparsed column type is `schema.name`, or an array of it.
fn names_type(data_type: &str, schema: &str, name: &str) -> bool {
    let base = data_type.trim_end_matches("[]").replace('"', "");
    base == format!("{schema}.{name}") || (schema == DEFAULT_SCHEMA && base == name)
}

fn drop_schema(
    state: &mut State,
    names: &[String],
    missing_ok: bool,
    cascade: bool,
) -> Result<(), Unmodelled> {
    let [schema] = names else {
        return Err("a schema name the model cannot read".into());
    };
    if !state.schemas.contains_key(schema) {
        return if missing_ok {
            Ok(())
        } else {
            Err(format!("schema {schema} is not in the model"))
        };
    }
    let tables: Vec<TableId> = state
        .tables()
        .filter(|(_, t)| &t.schema == schema)
        .map(|(i, _)| i)
        .collect();
    if !tables.is_empty() && !cascade {
        return Err(format!("schema {schema} is not empty"));
    }
    for id in tables {
        state.drop_table(id);
    }
    state.enums.retain(|(s, _), _| s != schema);
    state.relations.retain(|(s, _), _| s != schema);
    state.constraints.remove(schema);
    state.schemas.remove(schema);
    Ok(())
}

// -------------------------------------------------------------- RENAME

fn rename(state: &mut State, s: &protobuf::RenameStmt) -> Result<(), Unmodelled> {
    match s.rename_type() {
        ObjectType::ObjectTable
        | ObjectType::ObjectIndex
        | ObjectType::ObjectSequence
        | ObjectType::ObjectView => {
            let r = s.relation.as_ref().ok_or("RENAME without a name")?;
            let (schema, name) = range_name(r);
            let Some(rel) = state.relation(&schema, &name) else {
                return if s.missing_ok {
                    Ok(())
                } else {
                    Err(format!("{schema}.{name} is not in the model"))
                };
            };
            if state.relation_taken(&schema, &s.newname) {
                return Err(format!("relation {schema}.{} already exists", s.newname));
            }
            state.relations.remove(&(schema.clone(), name.clone()));
            state
                .relations
                .insert((schema.clone(), s.newname.clone()), rel);
            match rel {
                Relation::Table(id) => state.table_mut(id).name = s.newname.clone(),
                Relation::Index(id) => {
                    if let Some(i) = state
                        .table_mut(id)
                        .indexes
                        .iter_mut()
                        .find(|i| i.name == name)
                    {
                        i.name = s.newname.clone();
                    }
                }
                Relation::KeyIndex(id) => {
                    // Renaming a key's index renames the constraint too.
                    rename_key(state.table_mut(id), &name, &s.newname);
                    state.remove_constraint_name(&schema, &name);
                    state.add_constraint_name(&schema, &s.newname);
                }
                _ => {}
            }
            Ok(())
        }
        ObjectType::ObjectColumn => {
            let r = s.relation.as_ref().ok_or("RENAME without a table")?;
            let id = table_of(state, r)?;
            rename_column(state, id, &s.subname, &s.newname)
        }
        ObjectType::ObjectTabconstraint => {
            let r = s.relation.as_ref().ok_or("RENAME without a table")?;
            let id = table_of(state, r)?;
            let schema = state.table(id).schema.clone();
            let (old, new) = (s.subname.clone(), s.newname.clone());
            let t = state.table_mut(id);
            let is_key = rename_key(t, &old, &new);
            let mut found = is_key;
            for f in &mut t.foreign_keys {
                if f.name == old {
                    f.name = new.clone();
                    found = true;
                }
            }
            for c in &mut t.checks {
                if c.name == old {
                    c.name = new.clone();
                    found = true;
                }
            }
            if !found {
                return Err(format!("constraint {old} is not in the model"));
            }
            state.remove_constraint_name(&schema, &old);
            state.add_constraint_name(&schema, &new);
            if is_key {
                state.relations.remove(&(schema.clone(), old));
                state
                    .relations
                    .insert((schema, new), Relation::KeyIndex(id));
            }
            Ok(())
        }
        ObjectType::ObjectType => {
            let names = s.object.as_deref().map(object_names).unwrap_or_default();
            let key = list_name(&names).ok_or("a type name the model cannot read")?;
            let e = state
                .enums
                .remove(&key)
                .ok_or_else(|| format!("type {}.{} is not in the model", key.0, key.1))?;
            state.enums.insert((key.0, s.newname.clone()), e);
            Ok(())
        }
        other => Err(format!("RENAME of {other:?} (not modelled yet)")),
    }
}

fn rename_key(t: &mut TableState, old: &str, new: &str) -> bool {
    if let Some(k) = t.primary_key.as_mut().filter(|k| k.name == old) {
        k.name = new.to_owned();
        return true;
    }
    if let Some(k) = t.uniques.iter_mut().find(|k| k.name == old) {
        k.name = new.to_owned();
        return true;
    }
    false
}

/// Renames a column everywhere the model names it: key and foreign-key
/// column lists (here and in the foreign keys that reference it), and the
/// expressions of checks, generated columns and indexes.
fn rename_column(state: &mut State, id: TableId, old: &str, new: &str) -> Result<(), Unmodelled> {
    if state.table(id).column(new).is_some() {
        return Err(format!("column {new} already exists"));
    }
    let mut result = Ok(());
    {
        let t = state.table_mut(id);
        let col = t
            .column_mut(old)
            .ok_or_else(|| format!("column {old} is not in the model"))?;
        col.name = new.to_owned();
        let rename = |cols: &mut Vec<String>| {
            for c in cols.iter_mut() {
                if c == old {
                    *c = new.to_owned();
                }
            }
        };
        if let Some(k) = &mut t.primary_key {
            rename(&mut k.columns);
        }
        for k in &mut t.uniques {
            rename(&mut k.columns);
        }
        for f in &mut t.foreign_keys {
            rename(&mut f.columns);
        }
        let mut exprs: Vec<&mut Expr> = Vec::new();
        for i in &mut t.indexes {
            for k in &mut i.keys {
                match k {
                    IndexKeyState::Column(c) if c == old => *c = new.to_owned(),
                    IndexKeyState::Expression(e) => exprs.push(e),
                    IndexKeyState::Column(_) => {}
                }
            }
            exprs.extend(i.predicate.as_mut());
        }
        exprs.extend(t.checks.iter_mut().map(|c| &mut c.expression));
        exprs.extend(t.columns.iter_mut().filter_map(|c| c.generated.as_mut()));
        for e in exprs {
            if let Err(why) = rename_in_expr(e, old, new) {
                result = Err(why);
            }
        }
    }
    let mut others = state.referencing(id);
    if state
        .table(id)
        .foreign_keys
        .iter()
        .any(|f| f.ref_table == id)
    {
        others.push(id);
    }
    for other in others {
        for f in &mut state.table_mut(other).foreign_keys {
            if f.ref_table == id {
                for c in &mut f.ref_columns {
                    if c == old {
                        *c = new.to_owned();
                    }
                }
            }
        }
    }
    result
}

// --------------------------------------------------------------- INDEX

fn create_index(state: &mut State, s: &protobuf::IndexStmt) -> Result<(), Unmodelled> {
    let r = s.relation.as_ref().ok_or("an index without a table")?;
    let id = table_of(state, r)?;
    let (schema, table) = table_names(state, id);
    let mut keys = Vec::new();
    let mut key_names = Vec::new();
    for p in &s.index_params {
        let Some(N::IndexElem(e)) = p.node.as_ref() else {
            continue;
        };
        if !e.name.is_empty() {
            key_names.push(e.name.clone());
            keys.push(IndexKeyState::Column(e.name.clone()));
        } else if let Some(x) = &e.expr {
            key_names.push(if e.indexcolname.is_empty() {
                expression_column_name(x)
            } else {
                e.indexcolname.clone()
            });
            keys.push(IndexKeyState::Expression(expr(x)?));
        }
        if !e.collation.is_empty() || !e.opclass.is_empty() || e.ordering != 1 && e.ordering != 0 {
            return Err("an index key with a collation, operator class or order".into());
        }
    }
    let name = if s.idxname.is_empty() {
        let names = index_column_names(&key_names);
        choose(&table, Some(&columns_part(&names)), "idx", |n| {
            state.relation_taken(&schema, n)
        })
    } else {
        s.idxname.clone()
    };
    if state.relation_taken(&schema, &name) {
        return if s.if_not_exists {
            Ok(())
        } else {
            Err(format!("relation {schema}.{name} already exists"))
        };
    }
    let predicate = s.where_clause.as_deref().map(expr).transpose()?;
    let method = match s.access_method.as_str() {
        "" | "btree" => None,
        m => Some(m.to_owned()),
    };
    if !s.index_including_params.is_empty() {
        return Err("an index with INCLUDE columns".into());
    }
    state
        .relations
        .insert((schema, name.clone()), Relation::Index(id));
    state.table_mut(id).indexes.push(IndexState {
        name,
        unique: s.unique,
        keys,
        predicate,
        method,
    });
    Ok(())
}

/// `FigureIndexColname`: a function call gives its name, a column its own,
/// a cast what its argument gives (else the type's name), anything else
/// `expr`.
fn expression_column_name(node: &protobuf::Node) -> String {
    match node.node.as_ref() {
        Some(N::FuncCall(f)) => strings(&f.funcname).pop().unwrap_or_else(|| "expr".into()),
        Some(N::ColumnRef(c)) => c
            .fields
            .last()
            .and_then(string_of)
            .unwrap_or_else(|| "expr".into()),
        Some(N::TypeCast(c)) => {
            let inner = c.arg.as_deref().map(expression_column_name);
            match inner {
                Some(n) if n != "expr" => n,
                _ => c
                    .type_name
                    .as_ref()
                    .and_then(|t| strings(&t.names).pop())
                    .unwrap_or_else(|| "expr".into()),
            }
        }
        Some(N::CaseExpr(_)) => "case".into(),
        _ => "expr".into(),
    }
}

// ----------------------------------------------------- enums, schemas

fn create_enum(state: &mut State, s: &protobuf::CreateEnumStmt) -> Result<(), Unmodelled> {
    let key = list_name(&strings(&s.type_name)).ok_or("a type name the model cannot read")?;
    if state.enums.contains_key(&key) || state.relation_taken(&key.0, &key.1) {
        return Err(format!("type {}.{} already exists", key.0, key.1));
    }
    state.enums.insert(
        key,
        EnumState {
            values: strings(&s.vals),
            comment: None,
        },
    );
    Ok(())
}

fn alter_enum(state: &mut State, s: &protobuf::AlterEnumStmt) -> Result<(), Unmodelled> {
    let key = list_name(&strings(&s.type_name)).ok_or("a type name the model cannot read")?;
    let e = state
        .enums
        .get_mut(&key)
        .ok_or_else(|| format!("type {}.{} is not in the model", key.0, key.1))?;
    if !s.old_val.is_empty() {
        let v = e
            .values
            .iter_mut()
            .find(|v| **v == s.old_val)
            .ok_or_else(|| format!("label {} is not in the model", s.old_val))?;
        *v = s.new_val.clone();
        return Ok(());
    }
    if e.values.contains(&s.new_val) {
        return if s.skip_if_new_val_exists {
            Ok(())
        } else {
            Err(format!("label {} already exists", s.new_val))
        };
    }
    let at = if s.new_val_neighbor.is_empty() {
        e.values.len()
    } else {
        let i = e
            .values
            .iter()
            .position(|v| *v == s.new_val_neighbor)
            .ok_or_else(|| format!("label {} is not in the model", s.new_val_neighbor))?;
        if s.new_val_is_after { i + 1 } else { i }
    };
    e.values.insert(at, s.new_val.clone());
    Ok(())
}

fn create_schema(
    state: &mut State,
    s: &protobuf::CreateSchemaStmt,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    if s.schemaname.is_empty() {
        return Err("a schema named after its owner".into());
    }
    if state.has_schema(&s.schemaname) {
        return if s.if_not_exists {
            Ok(())
        } else {
            Err(format!("schema {} already exists", s.schemaname))
        };
    }
    state.schemas.insert(s.schemaname.clone(), None);
    if !s.schema_elts.is_empty() {
        let why = "CREATE SCHEMA with elements".to_owned();
        state.taint(at, Scope::Schema, Some(s.schemaname.clone()), why.clone());
        return Err(why);
    }
    Ok(())
}

fn comment(state: &mut State, s: &protobuf::CommentStmt) -> Result<(), Unmodelled> {
    let names = s.object.as_deref().map(object_names).unwrap_or_default();
    let text = (!s.comment.is_empty()).then(|| s.comment.clone());
    match s.objtype() {
        ObjectType::ObjectTable => {
            let (schema, name) = list_name(&names).ok_or("a name the model cannot read")?;
            let id = state
                .find_table(&schema, &name)
                .ok_or_else(|| format!("table {schema}.{name} is not in the model"))?;
            state.table_mut(id).comment = text;
            Ok(())
        }
        ObjectType::ObjectColumn => {
            let (column, table) = names
                .split_last()
                .ok_or("a column name the model cannot read")?;
            let (schema, name) = list_name(table).ok_or("a name the model cannot read")?;
            let id = state
                .find_table(&schema, &name)
                .ok_or_else(|| format!("table {schema}.{name} is not in the model"))?;
            column_mut(state, id, column)?.comment = text;
            Ok(())
        }
        ObjectType::ObjectType => {
            let key = list_name(&names).ok_or("a type name the model cannot read")?;
            let e = state
                .enums
                .get_mut(&key)
                .ok_or_else(|| format!("type {}.{} is not in the model", key.0, key.1))?;
            e.comment = text;
            Ok(())
        }
        // Comments the model has no place for change no shape.
        ObjectType::ObjectIndex
        | ObjectType::ObjectTabconstraint
        | ObjectType::ObjectSchema
        | ObjectType::ObjectSequence
        | ObjectType::ObjectView
        | ObjectType::ObjectFunction
        | ObjectType::ObjectTrigger
        | ObjectType::ObjectExtension => Ok(()),
        other => Err(format!("COMMENT ON {other:?} (not modelled yet)")),
    }
}
