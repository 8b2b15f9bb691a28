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
use super::outcome::{Unmodelled, apply_parts, fails, missing_column, settle, shown};
use super::partition_pg::{
    attached_to, bound_conflict, check_lacking, clone_indexes, clone_to_partitions, drop_attached,
    inherited_check, partitions, sync_checks, sync_columns,
};
use super::state::{
    BoundValue, CheckState, ColumnState, DEFAULT_SCHEMA, EnumState, ExclusionState, Expr, ExprTree,
    ExtensionState, ForeignKeyState, FunctionState, IndexKeyState, IndexState, KeyState,
    PartitionBound, PartitionKey, Relation, Scope, State, StmtRef, TableId, TableState,
    TriggerState, ViewRead, ViewState,
};
use crate::model::{Deferral, FkAction, Identity, IndexKeyOptions};
use migrate_core::Rule;

/// A name that is not in the model: missing when nothing unmodelled could
/// have made it, and when it is not a name the model holds without knowing
/// what it is (a view, a temporary table).
fn missing(state: &State, schema: &str, name: &str, message: String) -> Unmodelled {
    let sure = state.absent_is_certain(schema) && state.relation(schema, name).is_none();
    fails(sure, Rule::Missing, message)
}

/// Whether the fold is sure a relation name is taken, and by what it holds.
fn relation_is_certain(state: &State, schema: &str, name: &str) -> bool {
    match state.relation(schema, name) {
        Some(
            Relation::Table(t)
            | Relation::Index(t)
            | Relation::KeyIndex(t)
            | Relation::Sequence(Some(t)),
        ) => state.is_certain(t),
        Some(Relation::Sequence(None)) => state.absent_is_certain(schema),
        Some(Relation::Other) => state
            .view(schema, name)
            .is_some_and(|v| state.object_is_certain(schema, v.established)),
        None => false,
    }
}

/// What a relation name stands for, in words.
fn relation_kind(r: Relation) -> &'static str {
    match r {
        Relation::Table(_) => "table",
        Relation::Index(_) => "index",
        Relation::KeyIndex(_) => "index of a key constraint",
        Relation::Sequence(_) => "sequence",
        Relation::Other => "relation",
    }
}

/// `relation schema.name already exists`, as a finding when the fold is sure.
fn relation_exists(state: &State, schema: &str, name: &str, fix: &str) -> Unmodelled {
    let kind = state
        .relation(schema, name)
        .map_or("relation", relation_kind);
    fails(
        relation_is_certain(state, schema, name),
        Rule::Exists,
        format!("{kind} {} already exists here; {fix}", shown(schema, name)),
    )
}

/// A type that does not exist.
fn missing_type(state: &State, key: &(String, String)) -> Unmodelled {
    fails(
        state.absent_is_certain(&key.0) && state.relation(&key.0, &key.1).is_none(),
        Rule::Missing,
        format!(
            "type {} does not exist at this point of the chain",
            shown(&key.0, &key.1)
        ),
    )
}

/// A schema that does not exist.
fn missing_schema(state: &State, schema: &str) -> Unmodelled {
    fails(
        !state.world_tainted(),
        Rule::Missing,
        format!(
            "schema {schema} does not exist at this point of the chain; create it first (CREATE SCHEMA)"
        ),
    )
}

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
    let undo = state.statement_mark();
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
        N::InsertStmt(s) => data_target(
            state,
            s.relation.as_ref(),
            s.cols.iter().filter_map(|c| match c.node.as_ref() {
                Some(N::ResTarget(t)) => Some(t.name.as_str()),
                _ => None,
            }),
        ),
        N::UpdateStmt(s) => data_target(
            state,
            s.relation.as_ref(),
            s.target_list.iter().filter_map(|c| match c.node.as_ref() {
                Some(N::ResTarget(t)) => Some(t.name.as_str()),
                _ => None,
            }),
        ),
        N::DeleteStmt(s) => data_target(state, s.relation.as_ref(), std::iter::empty()),
        // `SET search_path` changes where every unqualified name lands.
        N::VariableSetStmt(v) if v.name.eq_ignore_ascii_case("search_path") => {
            let why = "SET search_path (unqualified names may land elsewhere)".to_owned();
            state.taint(at, Scope::World, None, why.clone());
            return Err(why.into());
        }
        N::SelectStmt(s) => select(state, s, node, at),
        // Data and session statements change no schema object.
        N::VariableSetStmt(_)
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
            return Err(why.into());
        }
        N::ViewStmt(s) => match &s.view {
            Some(r) => create_view(
                state,
                r,
                s.query.as_deref(),
                &s.aliases,
                false,
                s.replace,
                false,
            ),
            None => Err("a view without a name".into()),
        },
        N::CreateTableAsStmt(s) if s.objtype() == ObjectType::ObjectMatview => {
            match s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                Some(r) => create_view(
                    state,
                    r,
                    s.query.as_deref(),
                    s.into.as_ref().map_or(&[], |i| i.col_names.as_slice()),
                    true,
                    false,
                    s.if_not_exists,
                ),
                None => Err("a materialized view without a name".into()),
            }
        }
        N::CreateTableAsStmt(s) => {
            if let Some(r) = s.into.as_ref().and_then(|i| i.rel.as_ref()) {
                let (schema, name) = range_name(r);
                state.set_relation(&schema, &name, Some(Relation::Other));
            }
            let why = "a table or view made from a query (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        N::CreateSeqStmt(s) => create_sequence(state, s),
        N::AlterSeqStmt(s) => alter_sequence(state, s),
        N::CreateFunctionStmt(f) => create_function(state, f),
        N::AlterFunctionStmt(f) => alter_function(state, f),
        N::CreateTrigStmt(t) => create_trigger(state, t),
        N::CompositeTypeStmt(t) => {
            let key = t.typevar.as_ref().map(range_name);
            return Err(type_by_name(state, at, key, "a composite type"));
        }
        N::CreateDomainStmt(d) => {
            let key = list_name(&strings(&d.domainname));
            return Err(type_by_name(state, at, key, "a domain"));
        }
        N::CreateRangeStmt(r) => {
            let key = list_name(&strings(&r.type_name));
            return Err(type_by_name(state, at, key, "a range type"));
        }
        N::DefineStmt(d) => {
            if let Some((schema, name)) = list_name(&strings(&d.defnames)) {
                state.note_other_type(&schema, &name);
            }
            let why = format!("{} (not modelled yet)", statement_kind(node));
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        // A table moved to another schema: it, and the schema it moves
        // to, become unsure.
        N::AlterObjectSchemaStmt(m) => {
            let why = "SET SCHEMA (not modelled yet)".to_owned();
            for id in named_tables(state, node) {
                state.taint_table(id, at, why.clone());
            }
            moved_out(state, m);
            // The old name stays, unsure, so nothing is reported about it.
            state.taint(at, Scope::Schema, Some(m.newschema.clone()), why.clone());
            return Err(why.into());
        }
        // Objects the model does not hold yet, made or changed without
        // touching what it does hold.
        N::CreatePolicyStmt(_)
        | N::AlterPolicyStmt(_)
        | N::CreateCastStmt(_)
        | N::CreateEventTrigStmt(_) => {
            let why = format!("{} (not modelled yet)", statement_kind(node));
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
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
        N::CreateExtensionStmt(s) => create_extension(state, s, at),
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
            return Err(why.into());
        }
    };
    // A statement on tables the model holds that it could not apply
    // leaves those tables unsure (an index with an operator class, a
    // constraint on a missing column).
    settle(state, &result, undo, at, |state| {
        if changes_no_table(node) {
            Vec::new()
        } else {
            named_tables(state, node)
        }
    });
    result
}

/// `SET SCHEMA` of a view, sequence or function: the fold no longer knows
/// it under its old name, which becomes a name known only (a relation) or
/// an overload whose signature is unknown (a function).
fn moved_out(state: &mut State, m: &protobuf::AlterObjectSchemaStmt) {
    if let Some(r) = &m.relation {
        let (schema, name) = range_name(r);
        if !matches!(
            state.relation(&schema, &name),
            Some(Relation::Table(_)) | None
        ) {
            state.set_view(&schema, &name, None);
            state.set_relation(&schema, &name, Some(Relation::Other));
        }
    }
    if let Some(N::ObjectWithArgs(o)) = m.object.as_deref().and_then(|n| n.node.as_ref())
        && let Ok(((schema, name), found, _)) = find_overload(state, o)
    {
        let mut overloads = state.functions(&schema, &name).to_vec();
        match found {
            Some(i) => overloads[i].args = None,
            None => overloads.push(FunctionState {
                args: None,
                procedure: false,
                established: state.epoch,
            }),
        }
        state.set_functions(&schema, &name, overloads);
    }
}

/// Statements that name tables but never change one: when the fold does
/// not apply one, the tables it names stay as sure as they were.
fn changes_no_table(node: &N) -> bool {
    match node {
        N::CreateTrigStmt(_)
        | N::ViewStmt(_)
        | N::CreateFunctionStmt(_)
        | N::AlterFunctionStmt(_)
        | N::CreateSeqStmt(_)
        | N::AlterSeqStmt(_) => true,
        N::CreateTableAsStmt(s) => s.objtype() == ObjectType::ObjectMatview,
        N::RenameStmt(s) => matches!(
            s.rename_type(),
            ObjectType::ObjectTrigger
                | ObjectType::ObjectFunction
                | ObjectType::ObjectProcedure
                | ObjectType::ObjectRoutine
        ),
        _ => false,
    }
}

/// A type other than an enum, made by `CREATE TYPE … AS (…)`, `CREATE
/// DOMAIN` or `CREATE TYPE … AS RANGE`: known by name only, so that
/// dropping it is not a missing type.
fn type_by_name(
    state: &mut State,
    at: &StmtRef,
    key: Option<(String, String)>,
    what: &str,
) -> Unmodelled {
    if let Some((schema, name)) = key {
        state.note_other_type(&schema, &name);
    }
    let why = format!("{what} (not modelled yet)");
    state.taint(at, Scope::Unmodelled, None, why.clone());
    why.into()
}

/// A `SELECT`: `SELECT … INTO t` makes a table known by name only; a call
/// to a function of the chain whose body runs DDL may change anything.
fn select(
    state: &mut State,
    s: &protobuf::SelectStmt,
    node: &N,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    if let Some(r) = s.into_clause.as_ref().and_then(|i| i.rel.as_ref()) {
        let (schema, name) = range_name(r);
        if !state.relation_taken(&schema, &name) {
            state.set_relation(&schema, &name, Some(Relation::Other));
        }
        return Err("SELECT … INTO (a table made from a query)".into());
    }
    let calls_ddl = node.nodes().iter().any(|(child, ..)| match child {
        NodeRef::FuncCall(f) => strings(&f.funcname)
            .last()
            .is_some_and(|n| state.is_ddl_function(n)),
        _ => false,
    });
    if calls_ddl {
        let why = "a call to a function whose body runs DDL".to_owned();
        state.taint(at, Scope::World, None, why.clone());
        return Err(why.into());
    }
    diesel_triggers(state, node)
}

/// diesel's `SELECT diesel_manage_updated_at('t')` makes the trigger
/// `set_updated_at` on t, executing `diesel_set_updated_at()`.
fn diesel_triggers(state: &mut State, node: &N) -> Result<(), Unmodelled> {
    let mut tables = Vec::new();
    for (child, ..) in node.nodes() {
        let NodeRef::FuncCall(f) = child else {
            continue;
        };
        if strings(&f.funcname).last().map(String::as_str) != Some("diesel_manage_updated_at") {
            continue;
        }
        let arg = match f.args.first().and_then(|a| a.node.as_ref()) {
            Some(N::TypeCast(c)) => c.arg.as_deref().and_then(|a| a.node.as_ref()),
            other => other,
        };
        let Some(N::AConst(protobuf::AConst {
            val: Some(protobuf::a_const::Val::Sval(name)),
            ..
        })) = arg
        else {
            return Err("diesel_manage_updated_at on a table the fold cannot read".into());
        };
        let names: Vec<String> = name.sval.split('.').map(str::to_owned).collect();
        let (schema, table) = list_name(&names).ok_or("a table name the model cannot read")?;
        match state.relation(&schema, &table) {
            Some(Relation::Table(id)) => tables.push(id),
            _ => {
                return Err(format!(
                    "diesel_manage_updated_at on {table}, not a table the model holds"
                )
                .into());
            }
        }
    }
    for id in tables {
        state.set_trigger(
            id,
            "set_updated_at",
            Some(TriggerState {
                function: (
                    DEFAULT_SCHEMA.to_owned(),
                    "diesel_set_updated_at".to_owned(),
                ),
            }),
        );
    }
    Ok(())
}

/// Whether a function's body may change the schema: it names DDL or runs
/// a string (`EXECUTE`). diesel's `diesel_manage_updated_at` only makes a
/// trigger, which the model does not hold.
fn function_body_runs_ddl(f: &protobuf::CreateFunctionStmt) -> bool {
    if strings(&f.funcname)
        .last()
        .is_some_and(|n| n == "diesel_manage_updated_at")
    {
        return false;
    }
    let body: String = f
        .options
        .iter()
        .filter_map(|o| match o.node.as_ref() {
            Some(N::DefElem(d)) if d.defname == "as" => d.arg.as_deref().map(object_names),
            _ => None,
        })
        .flatten()
        .collect::<Vec<_>>()
        .join(" ")
        .to_ascii_uppercase();
    let words: Vec<&str> = body
        .split(|c: char| !c.is_ascii_alphanumeric() && c != '_')
        .collect();
    words.windows(2).any(|w| {
        matches!(w[0], "CREATE" | "ALTER" | "DROP" | "TRUNCATE")
            && matches!(
                w[1],
                "TABLE"
                    | "INDEX"
                    | "UNIQUE"
                    | "TYPE"
                    | "SCHEMA"
                    | "SEQUENCE"
                    | "VIEW"
                    | "EXTENSION"
                    | "TEMP"
                    | "TEMPORARY"
                    | "UNLOGGED"
                    | "MATERIALIZED"
                    | "DOMAIN"
            )
    }) || words.contains(&"EXECUTE")
}

/// The table an INSERT, UPDATE or DELETE writes, and the columns it names,
/// must exist. The rows are not modelled, so nothing changes.
fn data_target<'a>(
    state: &State,
    relation: Option<&protobuf::RangeVar>,
    columns: impl Iterator<Item = &'a str>,
) -> Result<(), Unmodelled> {
    let Some(r) = relation else {
        return Ok(());
    };
    let (schema, name) = range_name(r);
    let id = match state.relation(&schema, &name) {
        Some(Relation::Table(id)) => id,
        Some(_) => return Ok(()),
        None => return Err(missing_relation(state, &schema, &name, "table")),
    };
    for c in columns {
        if !c.is_empty() && state.table(id).column(c).is_none() {
            return Err(missing_column(state, id, c));
        }
    }
    Ok(())
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

pub(super) fn string_of(node: &protobuf::Node) -> Option<String> {
    match node.node.as_ref()? {
        N::String(s) => Some(s.sval.clone()),
        _ => None,
    }
}

/// A storage option (`fillfactor = 70`; a bare name is `true`) as
/// `(name, value)`, as PostgreSQL stores it in `reloptions`.
fn storage_option(d: &protobuf::DefElem) -> (String, String) {
    let value = d
        .arg
        .as_deref()
        .and_then(option_value)
        .unwrap_or_else(|| "true".to_owned());
    (d.defname.clone(), value)
}

/// The value of a `name = value` option (`fillfactor = 70`, `fastupdate
/// = off`) as PostgreSQL stores it in `reloptions`.
fn option_value(node: &protobuf::Node) -> Option<String> {
    match node.node.as_ref()? {
        N::Integer(i) => Some(i.ival.to_string()),
        N::Float(f) => Some(f.fval.clone()),
        N::String(s) => Some(s.sval.clone()),
        N::Boolean(b) => Some(b.boolval.to_string()),
        N::TypeName(t) => strings(&t.names).pop(),
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
    match state.relation(&schema, &name) {
        Some(Relation::Table(id)) => Ok(id),
        Some(other) => Err(fails(
            relation_is_certain(state, &schema, &name),
            Rule::Missing,
            format!(
                "{} is {} {}, not a table",
                shown(&schema, &name),
                article(relation_kind(other)),
                relation_kind(other)
            ),
        )),
        None => Err(missing_relation(state, &schema, &name, "table")),
    }
}

/// The table `schema.name`, or why it is not there.
fn find_table_or_missing(state: &State, schema: &str, name: &str) -> Result<TableId, Unmodelled> {
    match state.relation(schema, name) {
        Some(Relation::Table(id)) => Ok(id),
        Some(_) => Err(format!("{schema}.{name} is not a table the model holds").into()),
        None => Err(missing_relation(state, schema, name, "table")),
    }
}

/// `a` or `an`.
fn article(word: &str) -> &'static str {
    if word.starts_with(['a', 'e', 'i', 'o', 'u']) {
        "an"
    } else {
        "a"
    }
}

/// A relation that does not exist, with the nearest name of that kind the
/// schema holds, if one is close.
fn missing_relation(state: &State, schema: &str, name: &str, kind: &str) -> Unmodelled {
    let near = state.nearest_relation(schema, name, |r| {
        relation_kind(r) == kind || (kind == "index" && matches!(r, Relation::KeyIndex(_)))
    });
    let hint = match near {
        Some(n) => format!(
            "; the nearest {kind} here is {}, check the name",
            shown(schema, &n)
        ),
        None if kind == "index" => renamed_index(state, schema, name).unwrap_or_default(),
        None => String::new(),
    };
    missing(
        state,
        schema,
        name,
        format!(
            "{kind} {} does not exist at this point of the chain{hint}",
            shown(schema, name)
        ),
    )
}

/// For an index name that starts with a table's name, the index of that
/// table named after the table's name before a rename.
fn renamed_index(state: &State, schema: &str, name: &str) -> Option<String> {
    state.tables().find_map(|(_, t)| {
        if t.schema != schema || !name.starts_with(&format!("{}_", t.name)) {
            return None;
        }
        let names = t
            .indexes
            .iter()
            .map(|i| i.name.as_str())
            .chain(t.primary_key.iter().map(|k| k.name.as_str()))
            .chain(t.uniques.iter().map(|k| k.name.as_str()));
        match nearest_name(name, &t.name, names.clone()) {
            Some(Near::Renamed(n)) => Some(format!(
                "; table {} has the index {n}: a renamed table keeps the names of its constraints and indexes, so use that name, or rename the index first",
                shown(&t.schema, &t.name)
            )),
            _ => {
                // Not a near name: what the table's indexes are called
                // (PostgreSQL names an unnamed one after its table and its
                // columns, or the function its key calls).
                let all: Vec<&str> = names.take(6).collect();
                (!all.is_empty()).then(|| {
                    format!(
                        "; the indexes of table {} here are {}",
                        shown(&t.schema, &t.name),
                        all.join(", ")
                    )
                })
            }
        }
    })
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
        .ok_or_else(|| "an expression the deparser did not give back".into())
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
    pg_query::deparse(&tree, Default::default()).map_err(|e| format!("deparse: {e}").into())
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

/// A `PARTITION BY` key: each element (a column, or an expression), and
/// every column it reads.
pub(super) fn partition_key(spec: &protobuf::PartitionSpec) -> PartitionKey {
    let mut elements = Vec::new();
    let mut columns: Vec<String> = Vec::new();
    for param in &spec.part_params {
        let Some(N::PartitionElem(e)) = param.node.as_ref() else {
            continue;
        };
        let read = if e.name.is_empty() {
            elements.push(None);
            e.expr
                .as_deref()
                .map(referenced_columns)
                .unwrap_or_default()
        } else {
            elements.push(Some(e.name.clone()));
            vec![e.name.clone()]
        };
        for c in read {
            if !columns.contains(&c) {
                columns.push(c);
            }
        }
    }
    PartitionKey { elements, columns }
}

/// A `FOR VALUES …` bound as written.
pub(super) fn partition_bound(b: &protobuf::PartitionBoundSpec) -> PartitionBound {
    if b.is_default {
        return PartitionBound::Default;
    }
    let values = |nodes: &[protobuf::Node]| nodes.iter().map(bound_value).collect();
    match b.strategy.as_str() {
        "h" => PartitionBound::Hash {
            modulus: b.modulus,
            remainder: b.remainder,
        },
        "l" => PartitionBound::List(values(&b.listdatums)),
        _ => PartitionBound::Range {
            from: values(&b.lowerdatums),
            to: values(&b.upperdatums),
        },
    }
}

/// One value of a bound, or a constant compared with in a check.
pub(super) fn bound_value(node: &protobuf::Node) -> BoundValue {
    match node.node.as_ref() {
        Some(N::ColumnRef(c)) => match c.fields.as_slice() {
            [one] => match string_of(one).as_deref() {
                Some("minvalue") => BoundValue::MinValue,
                Some("maxvalue") => BoundValue::MaxValue,
                _ => BoundValue::Other,
            },
            _ => BoundValue::Other,
        },
        Some(N::AConst(c)) if c.isnull => BoundValue::Null,
        Some(N::AConst(c)) => match &c.val {
            Some(protobuf::a_const::Val::Ival(i)) => BoundValue::Integer(i64::from(i.ival)),
            Some(protobuf::a_const::Val::Sval(t)) => BoundValue::Text(t.sval.clone()),
            _ => BoundValue::Other,
        },
        Some(N::TypeCast(t)) => {
            t.arg
                .as_deref()
                .map_or(BoundValue::Other, |a| match bound_value(a) {
                    BoundValue::Text(t) => BoundValue::Text(t),
                    _ => BoundValue::Other,
                })
        }
        _ => BoundValue::Other,
    }
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
    // A deparse costs a tree encoding and a call into libpg_query, and a
    // chain names the same few types thousands of times: a type given by
    // names and integer modifiers only is deparsed once per thread.
    thread_local! {
        static TYPES: std::cell::RefCell<std::collections::HashMap<String, String>> =
            std::cell::RefCell::new(std::collections::HashMap::new());
    }
    let key = simple_type_key(t);
    if let Some(key) = &key
        && let Some(sql) = TYPES.with(|m| m.borrow().get(key).cloned())
    {
        return Ok(sql);
    }
    let sql = deparse_type(t)?;
    if let Some(key) = key {
        TYPES.with(|m| m.borrow_mut().insert(key, sql.clone()));
    }
    Ok(sql)
}

/// A key that identifies a type written as names, integer modifiers and
/// array bounds only (`pg_catalog.numeric(10, 2)[]`); `None` for anything
/// else (`%TYPE`, `SETOF`, an interval's fields, an expression modifier).
fn simple_type_key(t: &protobuf::TypeName) -> Option<String> {
    if t.setof || t.pct_type {
        return None;
    }
    let mut key = String::new();
    for n in &t.names {
        key.push_str(&string_of(n)?);
        key.push('.');
    }
    key.push('(');
    for m in &t.typmods {
        match m.node.as_ref() {
            Some(N::AConst(c)) => match c.val.as_ref() {
                Some(protobuf::a_const::Val::Ival(i)) => key.push_str(&i.ival.to_string()),
                _ => return None,
            },
            _ => return None,
        }
        key.push(',');
    }
    key.push(')');
    for b in &t.array_bounds {
        match b.node.as_ref() {
            Some(N::Integer(i)) => key.push_str(&format!("[{}]", i.ival)),
            _ => return None,
        }
    }
    Some(key)
}

fn deparse_type(t: &protobuf::TypeName) -> Result<String, Unmodelled> {
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
        .ok_or_else(|| format!("a type the deparser wrote as {sql}").into())
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
    if r.relpersistence == "t" {
        // A temporary table lives in the session's own schema and goes at
        // its end: known by name only, so that what uses it is not missing.
        if !state.relation_taken(&schema, &name) {
            state.set_relation(&schema, &name, Some(Relation::Other));
        }
        return Err("a temporary table".into());
    }
    if state.relation_taken(&schema, &name) {
        if s.if_not_exists {
            return Ok(());
        }
        return Err(relation_exists(
            state,
            &schema,
            &name,
            "add IF NOT EXISTS, or drop it first",
        ));
    }
    if !state.has_schema(&schema) {
        return Err(missing_schema(state, &schema));
    }
    let epoch = state.epoch;
    let id = state.insert_table(TableState::empty(schema.clone(), name.clone(), epoch));
    let mut pending = Vec::new();
    let mut unsure: Option<Unmodelled> = None;
    // A partitioned table (`PARTITION BY`) is a table whose key is not
    // modelled; a partition (`PARTITION OF m`) takes its parent's columns
    // and is left out of the folded schema (see `TableState::partition_of`).
    let parent = match (s.partbound.is_some(), s.inh_relations.as_slice()) {
        (true, [one]) => match one.node.as_ref() {
            Some(N::RangeVar(p)) => {
                let (ps, pn) = range_name(p);
                match state.relation(&ps, &pn) {
                    Some(Relation::Table(pid)) => Some(pid),
                    _ => None,
                }
            }
            _ => None,
        },
        _ => None,
    };
    if let Some(pid) = parent {
        let bound = s.partbound.as_ref().map(partition_bound);
        if let Some(b) = &bound
            && let Some(why) = bound_conflict(state, pid, &name, b)
        {
            return Err(fails(state.is_certain(pid), Rule::Exists, why));
        }
        state.table_mut(id).partition_bound = bound;
        let columns = state.table(pid).columns.clone();
        let t = state.table_mut(id);
        t.columns = columns;
        t.partition_of = Some(pid);
        clone_indexes(state, pid, id, None);
        sync_checks(state, pid);
    } else if !s.inh_relations.is_empty() || s.partbound.is_some() || s.of_typename.is_some() {
        unsure = Some(
            "an inherited or typed table, or a partition of a table the fold does not hold".into(),
        );
    }
    if let Some(spec) = &s.partspec {
        state.table_mut(id).partition_key = Some(partition_key(spec));
    }
    for o in &s.options {
        match o.node.as_ref() {
            Some(N::DefElem(d)) if d.defnamespace.is_empty() => {
                state.table_mut(id).storage.push(storage_option(d));
            }
            _ => {
                unsure.get_or_insert("a storage parameter of TOAST".into());
            }
        }
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
    let applied = with_attributes(&pending);
    let pending = applied_constraints(&pending, &applied);
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
    // `NOT VALID` in CREATE TABLE: the table is empty, so PostgreSQL marks
    // the constraint valid.
    let t = state.table_mut(id);
    t.checks.iter_mut().for_each(|c| c.not_valid = false);
    t.foreign_keys.iter_mut().for_each(|f| f.not_valid = false);
    match unsure {
        Some(why) => {
            state.taint_table(id, at, why.why().to_owned());
            Err(why)
        }
        None => Ok(()),
    }
}

/// Whether a column constraint is one of the attributes (`DEFERRABLE`,
/// `INITIALLY DEFERRED`, …) that the grammar gives as separate nodes after
/// the constraint they qualify.
fn is_attribute(k: &protobuf::Constraint) -> bool {
    matches!(
        k.contype(),
        ConstrType::ConstrAttrDeferrable
            | ConstrType::ConstrAttrNotDeferrable
            | ConstrType::ConstrAttrDeferred
            | ConstrType::ConstrAttrImmediate
    )
}

/// Per pending constraint, a copy with the attributes that follow it on
/// the same column applied (PostgreSQL's `transformConstraintAttrs`), or
/// `None` when it has none or is an attribute itself.
fn with_attributes(pending: &[PendingConstraint<'_>]) -> Vec<Option<protobuf::Constraint>> {
    let mut out = vec![None; pending.len()];
    for (i, p) in pending.iter().enumerate() {
        if is_attribute(p.constraint) {
            continue;
        }
        let mut k: Option<protobuf::Constraint> = None;
        for a in pending[i + 1..]
            .iter()
            .take_while(|a| is_attribute(a.constraint) && a.column == p.column)
        {
            let k = k.get_or_insert_with(|| p.constraint.clone());
            match a.constraint.contype() {
                ConstrType::ConstrAttrDeferrable => k.deferrable = true,
                ConstrType::ConstrAttrNotDeferrable => k.deferrable = false,
                ConstrType::ConstrAttrDeferred => {
                    k.deferrable = true;
                    k.initdeferred = true;
                }
                _ => k.initdeferred = false,
            }
        }
        out[i] = k;
    }
    out
}

/// The pending constraints with their attributes applied, without the
/// attribute nodes.
fn applied_constraints<'a>(
    pending: &[PendingConstraint<'a>],
    applied: &'a [Option<protobuf::Constraint>],
) -> Vec<PendingConstraint<'a>> {
    pending
        .iter()
        .zip(applied)
        .filter(|(p, _)| !is_attribute(p.constraint))
        .map(|(p, a)| PendingConstraint {
            constraint: a.as_ref().unwrap_or(p.constraint),
            column: p.column.clone(),
        })
        .collect()
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
        return Err(column_exists(state, id, &c.colname));
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
        not_null_name: None,
        collation: c
            .coll_clause
            .as_ref()
            .and_then(|cc| strings(&cc.collname).pop()),
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
            ConstrType::ConstrNotnull => {
                column.nullable = false;
                if !k.conname.is_empty() {
                    column.not_null_name = Some(k.conname.clone());
                }
            }
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
            // Applied to the constraint before them by `with_attributes`.
            ConstrType::ConstrAttrDeferrable
            | ConstrType::ConstrAttrNotDeferrable
            | ConstrType::ConstrAttrDeferred
            | ConstrType::ConstrAttrImmediate => pending.push(PendingConstraint {
                constraint: k,
                column: Some(c.colname.clone()),
            }),
            ConstrType::ConstrAttrEnforced | ConstrType::ConstrAttrNotEnforced => {}
            _ => {
                return Err(Unmodelled::from(
                    "a column constraint the model does not hold",
                ));
            }
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
    state.set_relation(&schema, &seq, Some(Relation::Sequence(Some(id))));
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
                // Named with the keys, in the order they are written.
                ConstrType::ConstrExclusion if kind == ConstrType::ConstrPrimary => {
                    add_exclusion(state, id, k)
                }
                ConstrType::ConstrExclusion => continue,
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
                            if !k.conname.is_empty() {
                                col.not_null_name = Some(k.conname.clone());
                            }
                        }
                    }
                    Ok(())
                }
                _ if kind == ConstrType::ConstrCheck => {
                    Err(Unmodelled::from("a constraint the model does not hold"))
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
        return Err(Unmodelled::from("a key on an existing index (USING INDEX)"));
    }
    for c in &columns {
        if state.table(id).column(c).is_none() {
            return Err(missing_column(state, id, c));
        }
    }
    let name = (!k.conname.is_empty()).then(|| k.conname.clone());
    let deferral = Deferral::from_flags(k.deferrable, k.initdeferred);
    put_key(state, id, primary, name, deferral, columns).map(|_| ())
}

/// Gives table `id` a primary or unique key on `columns`, named `name` or,
/// unnamed, as PostgreSQL names it; returns the name.
pub(super) fn put_key(
    state: &mut State,
    id: TableId,
    primary: bool,
    name: Option<String>,
    deferral: Deferral,
    columns: Vec<String>,
) -> Result<String, Unmodelled> {
    let (schema, table) = table_names(state, id);
    // A key's index name avoids the schema's constraint names too
    // (`ChooseRelationName` with `isconstraint`): a CHECK named t_c_key
    // sends an unnamed UNIQUE (c) to t_c_key1.
    let taken = |n: &str| state.relation_taken(&schema, n) || state.constraint_taken(&schema, n);
    let name = match name {
        Some(name) => name,
        None if primary => choose(&table, None, "pkey", taken),
        None => {
            let names = index_column_names(&columns);
            choose(&table, Some(&columns_part(&names)), "key", taken)
        }
    };
    if state.relation_taken(&schema, &name) {
        return Err(relation_exists(
            state,
            &schema,
            &name,
            "a key constraint's index takes the constraint's name, so give the constraint another one",
        ));
    }
    if primary && state.table(id).primary_key.is_some() {
        return Err(fails(
            state.is_certain(id),
            Rule::Exists,
            format!(
                "table {} already has a primary key; drop it first (ALTER TABLE … DROP CONSTRAINT {})",
                shown(&schema, &table),
                state
                    .table(id)
                    .primary_key
                    .as_ref()
                    .map_or("", |k| k.name.as_str())
            ),
        ));
    }
    state.set_relation(&schema, &name, Some(Relation::KeyIndex(id)));
    state.add_constraint_name(&schema, &name);
    let t = state.table_mut(id);
    let key = KeyState {
        name: name.clone(),
        deferral,
        columns,
    };
    if primary {
        for c in &key.columns {
            if let Some(col) = t.column_mut(c) {
                col.nullable = false;
            }
        }
        t.primary_key = Some(key);
    } else {
        t.uniques.push(key);
    }
    Ok(name)
}

/// The name PostgreSQL gives an unnamed index on `table` whose keys give
/// its columns `key_names` (`<table>_<columns>_idx`, a digit when taken).
pub(super) fn unnamed_index(
    state: &State,
    schema: &str,
    table: &str,
    key_names: &[String],
) -> String {
    let names = index_column_names(key_names);
    choose(table, Some(&columns_part(&names)), "idx", |n| {
        state.relation_taken(schema, n)
    })
}

fn add_check(state: &mut State, id: TableId, k: &protobuf::Constraint) -> Result<(), Unmodelled> {
    let raw = k.raw_expr.as_ref().ok_or("a CHECK without a condition")?;
    let expression = expr(raw)?;
    for c in &expression.columns {
        if state.table(id).column(c).is_none() {
            return Err(missing_column(state, id, c));
        }
    }
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
    state.table_mut(id).checks.push(CheckState {
        name,
        not_valid: k.skip_validation,
        expression,
    });
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
    for c in &columns {
        if state.table(id).column(c).is_none() {
            return Err(missing_column(state, id, c));
        }
    }
    let pk = k.pktable.as_ref().ok_or("a foreign key without a table")?;
    let ref_table = table_of(state, pk)?;
    let mut ref_columns = strings(&k.pk_attrs);
    if ref_columns.is_empty() {
        let r = state.table(ref_table);
        ref_columns = match &r.primary_key {
            Some(key) => key.columns.clone(),
            None => {
                return Err(fails(
                    state.is_certain(ref_table),
                    Rule::Missing,
                    format!(
                        "table {} has no primary key for this foreign key to reference; name the referenced columns, which need a unique constraint",
                        shown(&r.schema, &r.name)
                    ),
                ));
            }
        };
    }
    for c in &ref_columns {
        if state.table(ref_table).column(c).is_none() {
            return Err(missing_column(state, ref_table, c));
        }
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
        deferral: Deferral::from_flags(k.deferrable, k.initdeferred),
        not_valid: k.skip_validation,
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
        None if s.objtype() == ObjectType::ObjectTable => {
            return Err(missing_relation(state, &schema, &name, "table"));
        }
        _ => {
            return Err(format!("ALTER of {schema}.{name}, not a table in the model").into());
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
    let detached: Vec<(String, String)> = cmds
        .iter()
        .filter(|cmd| cmd.subtype() == AlterTableType::AtDetachPartition)
        .filter_map(
            |cmd| match cmd.def.as_deref().and_then(|d| d.node.as_ref()) {
                Some(N::PartitionCmd(p)) => p.name.as_ref().map(range_name),
                _ => None,
            },
        )
        .collect();
    // A partitioned table's columns and keys before: what changes reaches
    // its partitions.
    let before = state
        .table(id)
        .partition_key
        .is_some()
        .then(|| (state.table(id).columns.clone(), key_names(state, id)));
    let result = apply_parts(state, id, at, cmds, |state, cmd| {
        alter_command(state, id, cmd)
    });
    if let Some((columns, keys)) = before {
        sync_columns(state, id, &columns);
        sync_checks(state, id);
        // `ALTER TABLE ONLY` (pg_dump's form) makes a key on the parent
        // alone: each partition's is made and attached after.
        if r.inh {
            let new: Vec<String> = key_names(state, id)
                .into_iter()
                .filter(|k| !keys.contains(k))
                .collect();
            clone_to_partitions(state, id, &new);
        }
    }
    for (ps, pn) in detached {
        if let Some(Relation::Table(pid)) = state.relation(&ps, &pn) {
            state.taint_table(
                pid,
                at,
                "a detached partition (the indexes and constraints PostgreSQL cloned onto it from its parent are not modelled)".to_owned(),
            );
        }
    }
    result
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
                return Err(Unmodelled::from("ADD COLUMN without a definition"));
            };
            if cmd.missing_ok && state.table(id).column(&c.colname).is_some() {
                return Ok(());
            }
            let mut pending = Vec::new();
            add_column(state, id, c, &mut pending)?;
            let applied = with_attributes(&pending);
            let pending = applied_constraints(&pending, &applied);
            add_constraints(state, id, &pending)
        }
        AlterTableType::AtAttachPartition | AlterTableType::AtDetachPartition => {
            let Some(N::PartitionCmd(p)) = def else {
                return Err(Unmodelled::from(
                    "ATTACH/DETACH PARTITION without a partition",
                ));
            };
            let r = p
                .name
                .as_ref()
                .ok_or("ATTACH/DETACH PARTITION without a name")?;
            let (ps, pn) = range_name(r);
            let Some(Relation::Table(pid)) = state.relation(&ps, &pn) else {
                return Err(missing_relation(state, &ps, &pn, "table"));
            };
            if cmd.subtype() == AlterTableType::AtAttachPartition {
                let bound = p.bound.as_ref().map(partition_bound);
                if let Some(b) = &bound
                    && let Some(why) = bound_conflict(state, id, &pn, b)
                {
                    return Err(fails(state.is_certain(id), Rule::Exists, why));
                }
                if let Some(why) = check_lacking(state, id, pid) {
                    let sure = state.is_certain(id) && state.is_certain(pid);
                    return Err(fails(sure, Rule::Missing, why));
                }
                state.table_mut(pid).partition_bound = bound;
                let t = state.table_mut(pid);
                t.partition_of = Some(id);
                clone_indexes(state, id, pid, None);
                sync_checks(state, id);
                Ok(())
            } else {
                // A detached partition keeps the parent's columns, and the
                // indexes and constraints PostgreSQL cloned onto it under
                // names the fold does not know.
                // `alter_table` marks it unsure.
                let columns = state.table(id).columns.clone();
                let t = state.table_mut(pid);
                t.partition_of = None;
                t.partition_bound = None;
                t.columns = columns;
                Ok(())
            }
        }
        AlterTableType::AtDropColumn => {
            if state.table(id).column(&cmd.name).is_none() {
                return if cmd.missing_ok {
                    Ok(())
                } else {
                    Err(missing_column(state, id, &cmd.name))
                };
            }
            // With CASCADE the views that read it go with it (drop_column).
            if cmd.behavior() != DropBehavior::DropCascade {
                let t = state.table(id);
                let what = format!("column {} of table {}", cmd.name, shown(&t.schema, &t.name));
                view_dependency(state, id, Some(&cmd.name), what)?;
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
                return Err(Unmodelled::from("ALTER COLUMN TYPE without a type"));
            };
            let t = c
                .type_name
                .as_ref()
                .ok_or("ALTER COLUMN TYPE without a type")?;
            let data_type = type_sql(t)?;
            let collation = c
                .coll_clause
                .as_ref()
                .and_then(|cc| strings(&cc.collname).pop());
            let column = column_mut(state, id, &cmd.name)?;
            column.data_type = data_type;
            // Without COLLATE, the new type's default collation.
            column.collation = collation;
            Ok(())
        }
        AlterTableType::AtAddConstraint => {
            let Some(N::Constraint(k)) = def else {
                return Err(Unmodelled::from("ADD CONSTRAINT without a constraint"));
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
                return Err(Unmodelled::from(
                    "ADD GENERATED … AS IDENTITY without its definition",
                ));
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
        AlterTableType::AtSetRelOptions | AlterTableType::AtResetRelOptions => {
            let reset = cmd.subtype() == AlterTableType::AtResetRelOptions;
            let Some(N::List(list)) = def else {
                return Err(Unmodelled::from("SET/RESET without options"));
            };
            let mut storage = state.table(id).storage.clone();
            for item in &list.items {
                let Some(N::DefElem(d)) = item.node.as_ref() else {
                    return Err(Unmodelled::from("a storage parameter"));
                };
                if !d.defnamespace.is_empty() {
                    return Err(Unmodelled::from("a storage parameter of TOAST"));
                }
                storage.retain(|(k, _)| k != &d.defname);
                if !reset {
                    storage.push(storage_option(d));
                }
            }
            state.table_mut(id).storage = storage;
            Ok(())
        }
        AlterTableType::AtValidateConstraint => {
            let t = state.table(id);
            let known = t.checks.iter().any(|c| c.name == cmd.name)
                || t.foreign_keys.iter().any(|f| f.name == cmd.name)
                || key_names(state, id).contains(&cmd.name)
                || t.exclusions.iter().any(|x| x.index.name == cmd.name);
            if !known {
                let sure = state.is_certain(id);
                let table = shown(&t.schema, &t.name);
                return Err(missing_constraint(sure, &table, t, &cmd.name));
            }
            let t = state.table_mut(id);
            for c in t.checks.iter_mut().filter(|c| c.name == cmd.name) {
                c.not_valid = false;
            }
            for f in t.foreign_keys.iter_mut().filter(|f| f.name == cmd.name) {
                f.not_valid = false;
            }
            Ok(())
        }
        AlterTableType::AtSetStatistics
        | AlterTableType::AtSetStorage
        | AlterTableType::AtSetCompression
        | AlterTableType::AtChangeOwner
        | AlterTableType::AtClusterOn
        | AlterTableType::AtDropCluster
        | AlterTableType::AtReplicaIdentity
        | AlterTableType::AtEnableRowSecurity
        | AlterTableType::AtDisableRowSecurity
        | AlterTableType::AtForceRowSecurity
        | AlterTableType::AtNoForceRowSecurity
        | AlterTableType::AtSetTableSpace
        | AlterTableType::AtEnableTrig
        | AlterTableType::AtEnableAlwaysTrig
        | AlterTableType::AtEnableReplicaTrig
        | AlterTableType::AtDisableTrig
        | AlterTableType::AtEnableTrigAll
        | AlterTableType::AtDisableTrigAll
        | AlterTableType::AtEnableTrigUser
        | AlterTableType::AtDisableTrigUser
        | AlterTableType::AtEnableRule
        | AlterTableType::AtEnableAlwaysRule
        | AlterTableType::AtEnableReplicaRule
        | AlterTableType::AtDisableRule
        | AlterTableType::AtSetLogged
        | AlterTableType::AtSetUnLogged => Ok(()),
        other => {
            let kind = format!("{other:?}");
            Err(format!(
                "ALTER TABLE {} (not modelled yet)",
                kind.strip_prefix("At").unwrap_or(&kind)
            )
            .into())
        }
    }
}

fn column_mut<'a>(
    state: &'a mut State,
    id: TableId,
    name: &str,
) -> Result<&'a mut ColumnState, Unmodelled> {
    if state.table(id).column(name).is_none() {
        return Err(missing_column(state, id, name));
    }
    Ok(state
        .table_mut(id)
        .column_mut(name)
        .expect("the column was just found"))
}

/// A constraint that is not on a table, with the table's constraint
/// nearest by name.
fn missing_constraint(sure: bool, table: &str, t: &TableState, name: &str) -> Unmodelled {
    let names = super::state::constraint_names(t);
    let near = match nearest_name(name, &t.name, names.iter().map(String::as_str)) {
        Some(Near::Typo(n)) => {
            format!("; the nearest constraint of the table is {n}, check the name")
        }
        Some(Near::Renamed(n)) => format!(
            "; the table has {n}: a renamed table keeps the names of its constraints and indexes, so drop {n}, or rename it first"
        ),
        None => String::new(),
    };
    fails(
        sure,
        Rule::Missing,
        format!(
            "constraint {name} of table {table} does not exist at this point of the chain{near}"
        ),
    )
}

/// A name close to one that is not there.
enum Near {
    /// Close in spelling.
    Typo(String),
    /// The same but for the table part: named after the table's name
    /// before a rename (`accounts_email_key` for `users_email_key`).
    Renamed(String),
}

/// The name among `names` nearest to `name`: by spelling, else one with the
/// same part after the table's name (`users_email_key` against
/// `accounts_email_key` on table `users`).
fn nearest_name<'a>(
    name: &str,
    table: &str,
    names: impl Iterator<Item = &'a str> + Clone,
) -> Option<Near> {
    let limit = (name.chars().count() / 4).max(3);
    if let Some((_, n)) = names
        .clone()
        .map(|n| (super::state::edit_distance(n, name), n))
        .filter(|(d, _)| *d <= limit)
        .min()
    {
        return Some(Near::Typo(n.to_owned()));
    }
    let rest = name.strip_prefix(table).filter(|r| r.starts_with('_'))?;
    names
        .filter(|n| n.len() > rest.len() && n.ends_with(rest))
        .min()
        .map(|n| Near::Renamed(n.to_owned()))
}

/// `column … already exists`, as a finding when the fold is sure.
fn column_exists(state: &State, id: TableId, name: &str) -> Unmodelled {
    let t = state.table(id);
    fails(
        state.is_certain(id),
        Rule::Exists,
        format!(
            "column {name} of table {} already exists here; add IF NOT EXISTS, or give the column another name",
            shown(&t.schema, &t.name)
        ),
    )
}

/// Drops a column with what PostgreSQL drops with it: the constraints and
/// indexes that use it, and foreign keys elsewhere that reference it.
pub(super) fn drop_column(state: &mut State, id: TableId, column: &str) {
    for view in state.views_reading_table(id, Some(column)) {
        state.drop_view(&view);
    }
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
        t.exclusions.retain(|x| {
            let keep = !x.index.uses(column) && !x.index.include.iter().any(|c| c == column);
            if !keep {
                gone_names.push(x.index.name.clone());
                gone_relations.push(x.index.name.clone());
            }
            keep
        });
    }
    for n in gone_names {
        state.remove_constraint_name(&schema, &n);
    }
    for n in gone_relations {
        state.set_relation(&schema, &n, None);
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
    let sure = state.is_certain(id);
    let table = shown(&schema, &state.table(id).name);
    if key_names(state, id).iter().any(|k| k == name) {
        drop_attached(state, id, name);
    }
    if state.table(id).checks.iter().any(|c| c.name == name) {
        inherited_check(state, id, name, None);
    }
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
    } else if let Some(i) = t.exclusions.iter().position(|x| x.index.name == name) {
        t.exclusions.remove(i);
        relation = true;
        true
    } else if let Some(c) = t
        .columns
        .iter_mut()
        .find(|c| c.not_null_name.as_deref() == Some(name))
    {
        c.nullable = true;
        c.not_null_name = None;
        return Ok(());
    } else {
        false
    };
    if !found {
        return if missing_ok {
            Ok(())
        } else if name.ends_with("_not_null") {
            // PostgreSQL 18 names each NOT NULL `<table>_<column>_not_null`;
            // which server runs the chain is not known here.
            Err(
                format!("constraint {name}: a NOT NULL constraint of PostgreSQL 18 (not modelled)")
                    .into(),
            )
        } else {
            Err(missing_constraint(sure, &table, state.table(id), name))
        };
    }
    state.remove_constraint_name(&schema, name);
    if relation {
        state.set_relation(&schema, name, None);
    }
    Ok(())
}

// ---------------------------------------------------------------- DROP

fn drop(state: &mut State, s: &protobuf::DropStmt, at: &StmtRef) -> Result<(), Unmodelled> {
    let cascade = s.behavior() == DropBehavior::DropCascade;
    if s.remove_type() == ObjectType::ObjectTable && !cascade {
        dependents_of_dropped_tables(state, s)?;
    }
    let procedure = match s.remove_type() {
        ObjectType::ObjectProcedure => "procedure",
        ObjectType::ObjectRoutine => "routine",
        _ => "function",
    };
    let mut first_error = None;
    for object in &s.objects {
        let names = object_names(object);
        let result = match s.remove_type() {
            ObjectType::ObjectTable => drop_relation(state, &names, s.missing_ok, "table"),
            ObjectType::ObjectIndex => drop_relation(state, &names, s.missing_ok, "index"),
            ObjectType::ObjectSequence => drop_relation(state, &names, s.missing_ok, "sequence"),
            ObjectType::ObjectView | ObjectType::ObjectMatview => {
                // Views dropped by the same statement do not hold it back.
                let together: Vec<(String, String)> = s
                    .objects
                    .iter()
                    .filter_map(|o| list_name(&object_names(o)))
                    .collect();
                let materialized = s.remove_type() == ObjectType::ObjectMatview;
                let how = DropHow {
                    missing_ok: s.missing_ok,
                    cascade,
                    materialized,
                };
                drop_view(state, &names, &how, &together)
            }
            ObjectType::ObjectFunction
            | ObjectType::ObjectProcedure
            | ObjectType::ObjectRoutine => {
                drop_function(state, object, s.missing_ok, cascade, procedure)
            }
            ObjectType::ObjectTrigger => drop_trigger(state, object, s.missing_ok),
            ObjectType::ObjectExtension => drop_extension(state, object, s.missing_ok, cascade, at),
            ObjectType::ObjectType => drop_enum(state, &names, s.missing_ok, cascade),
            ObjectType::ObjectSchema => drop_schema(state, &names, s.missing_ok, cascade),
            other => Err(format!("DROP {other:?} (not modelled yet)").into()),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `DROP TABLE` without CASCADE: PostgreSQL refuses while a table the
/// statement does not drop has a foreign key to one it drops.
fn dependents_of_dropped_tables(state: &State, s: &protobuf::DropStmt) -> Result<(), Unmodelled> {
    let dropped: Vec<TableId> = s
        .objects
        .iter()
        .filter_map(|o| list_name(&object_names(o)))
        .filter_map(|(schema, name)| state.find_table(&schema, &name))
        .collect();
    for &id in &dropped {
        for other in state.referencing(id) {
            if dropped.contains(&other) {
                continue;
            }
            let t = state.table(id);
            let o = state.table(other);
            let key = o
                .foreign_keys
                .iter()
                .find(|f| f.ref_table == id)
                .map_or("", |f| f.name.as_str());
            return Err(fails(
                state.is_certain(id) && state.is_certain(other),
                Rule::DropDependency,
                format!(
                    "table {} cannot be dropped: foreign key {key} of table {} still references it; drop that table or constraint first (in a downgrade, in the reverse order of the upgrade), or add CASCADE",
                    shown(&t.schema, &t.name),
                    shown(&o.schema, &o.name)
                ),
            ));
        }
        let t = state.table(id);
        view_dependency(
            state,
            id,
            None,
            format!("table {}", shown(&t.schema, &t.name)),
        )?;
    }
    Ok(())
}

fn drop_relation(
    state: &mut State,
    names: &[String],
    missing_ok: bool,
    kind: &str,
) -> Result<(), Unmodelled> {
    let (schema, name) = list_name(names).ok_or("a name the model cannot read")?;
    let found = state.relation(&schema, &name);
    match found {
        None if missing_ok => Ok(()),
        None => Err(missing_relation(state, &schema, &name, kind)),
        Some(Relation::KeyIndex(id)) if kind == "index" => {
            let t = state.table(id);
            Err(fails(
                state.is_certain(id),
                Rule::DropDependency,
                format!(
                    "index {} cannot be dropped: constraint {name} of table {} requires it; write `ALTER TABLE {} DROP CONSTRAINT {name}`",
                    shown(&schema, &name),
                    shown(&t.schema, &t.name),
                    shown(&t.schema, &t.name),
                ),
            ))
        }
        Some(Relation::Other) => {
            // A view or a table made from a query: known by name only.
            state.set_relation(&schema, &name, None);
            Ok(())
        }
        Some(r) if relation_kind(r) != kind => Err(fails(
            relation_is_certain(state, &schema, &name),
            Rule::Missing,
            format!(
                "{} is {} {}, not {} {kind}; use DROP {}",
                shown(&schema, &name),
                article(relation_kind(r)),
                relation_kind(r),
                article(kind),
                relation_kind(r).to_uppercase()
            ),
        )),
        Some(Relation::Table(id)) => {
            // A partitioned table's partitions go with it.
            let mut gone = vec![id];
            while let Some(parent) = gone.pop() {
                let children: Vec<TableId> = state
                    .tables()
                    .filter(|(_, t)| t.partition_of == Some(parent))
                    .map(|(c, _)| c)
                    .collect();
                gone.extend(children);
                state.drop_table(parent);
            }
            Ok(())
        }
        Some(Relation::Index(id)) => {
            if let Some(parent_index) = attached_to(state, id, &name) {
                let t = state.table(id);
                return Err(fails(
                    state.is_certain(id),
                    Rule::DropDependency,
                    format!(
                        "index {} cannot be dropped: it is partition {}'s part of index {parent_index} of the partitioned table; drop {parent_index} instead",
                        shown(&schema, &name),
                        shown(&t.schema, &t.name),
                    ),
                ));
            }
            drop_attached(state, id, &name);
            state.set_relation(&schema, &name, None);
            state.table_mut(id).indexes.retain(|i| i.name != name);
            Ok(())
        }
        Some(Relation::Sequence(Some(_))) => {
            own_sequence(state, &schema, &name, None)?;
            state.set_relation(&schema, &name, None);
            Ok(())
        }
        Some(_) => {
            state.set_relation(&schema, &name, None);
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
    if !state.has_enum(&key) {
        return if missing_ok || state.has_other_type(&key.0, &key.1) {
            Ok(())
        } else {
            Err(missing_type(state, &key))
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
        let (table, column) = &users[0];
        let t = state.table(*table);
        return Err(fails(
            state.is_certain(*table),
            Rule::DropDependency,
            format!(
                "type {} cannot be dropped: column {column} of table {} still uses it; drop or convert that column first, or add CASCADE",
                shown(&key.0, &key.1),
                shown(&t.schema, &t.name)
            ),
        ));
    }
    for (id, column) in users {
        drop_column(state, id, &column);
    }
    state.set_enum(&key, None);
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
        return Err(Unmodelled::from("a schema name the model cannot read"));
    };
    if !state.has_own_schema(schema) {
        return if missing_ok {
            Ok(())
        } else {
            Err(missing_schema(state, schema))
        };
    }
    let tables: Vec<TableId> = state
        .tables()
        .filter(|(_, t)| &t.schema == schema)
        .map(|(i, _)| i)
        .collect();
    if !tables.is_empty() && !cascade {
        let t = state.table(tables[0]);
        return Err(fails(
            state.is_certain(tables[0]),
            Rule::DropDependency,
            format!(
                "schema {schema} cannot be dropped: it still holds table {}; drop what it holds first, or add CASCADE",
                shown(&t.schema, &t.name)
            ),
        ));
    }
    for id in tables {
        state.drop_table(id);
    }
    state.remove_schema(schema);
    Ok(())
}

// -------------------------------------------------------------- RENAME

fn rename(state: &mut State, s: &protobuf::RenameStmt) -> Result<(), Unmodelled> {
    match s.rename_type() {
        ObjectType::ObjectTable
        | ObjectType::ObjectIndex
        | ObjectType::ObjectSequence
        | ObjectType::ObjectView
        | ObjectType::ObjectMatview => {
            let r = s.relation.as_ref().ok_or("RENAME without a name")?;
            let (schema, name) = range_name(r);
            let Some(rel) = state.relation(&schema, &name) else {
                return if s.missing_ok {
                    Ok(())
                } else {
                    let kind = match s.rename_type() {
                        ObjectType::ObjectTable => "table",
                        ObjectType::ObjectIndex => "index",
                        ObjectType::ObjectSequence => "sequence",
                        _ => "view",
                    };
                    Err(missing_relation(state, &schema, &name, kind))
                };
            };
            if state.relation_taken(&schema, &s.newname) {
                return Err(relation_exists(
                    state,
                    &schema,
                    &s.newname,
                    "rename to a name that is free, or drop that one first",
                ));
            }
            state.set_relation(&schema, &name, None);
            state.set_relation(&schema, &s.newname, Some(rel));
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
                Relation::Other => state.rename_view(&schema, &name, &s.newname),
                Relation::Sequence(Some(id)) => {
                    for c in &mut state.table_mut(id).columns {
                        if c.sequence.as_deref() == Some(name.as_str()) {
                            c.sequence = Some(s.newname.clone());
                        }
                    }
                }
                _ => {}
            }
            Ok(())
        }
        ObjectType::ObjectColumn => {
            let r = s.relation.as_ref().ok_or("RENAME without a table")?;
            let (schema, name) = range_name(r);
            if state.view(&schema, &name).is_some() {
                return rename_view_column(state, &schema, &name, &s.subname, &s.newname);
            }
            let id = table_of(state, r)?;
            let result = rename_column(state, id, &s.subname, &s.newname);
            if result.is_ok() {
                // PostgreSQL renames it in every partition too: their own
                // indexes and checks name it.
                for p in partitions(state, id) {
                    let _ = rename_column(state, p, &s.subname, &s.newname);
                }
            }
            let t = state.table(id);
            if t.column(&s.newname).is_some() && t.column(&s.subname).is_none() {
                state.rename_view_column(id, &s.subname, &s.newname);
            }
            result
        }
        ObjectType::ObjectFunction => rename_function(state, s, "function"),
        ObjectType::ObjectProcedure => rename_function(state, s, "procedure"),
        ObjectType::ObjectRoutine => rename_function(state, s, "routine"),
        ObjectType::ObjectTrigger => rename_trigger(state, s),
        ObjectType::ObjectTabconstraint => {
            let r = s.relation.as_ref().ok_or("RENAME without a table")?;
            let id = table_of(state, r)?;
            let schema = state.table(id).schema.clone();
            let (old, new) = (s.subname.clone(), s.newname.clone());
            if state.table(id).checks.iter().any(|c| c.name == old) {
                inherited_check(state, id, &old, Some(&new));
            }
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
                let sure = state.is_certain(id);
                let table = shown(&schema, &state.table(id).name);
                return Err(missing_constraint(sure, &table, state.table(id), &old));
            }
            state.remove_constraint_name(&schema, &old);
            state.add_constraint_name(&schema, &new);
            if is_key {
                state.set_relation(&schema, &old, None);
                state.set_relation(&schema, &new, Some(Relation::KeyIndex(id)));
            }
            Ok(())
        }
        ObjectType::ObjectType => {
            let names = s.object.as_deref().map(object_names).unwrap_or_default();
            let key = list_name(&names).ok_or("a type name the model cannot read")?;
            let Some(e) = state.set_enum(&key, None) else {
                return Err(missing_type(state, &key));
            };
            state.set_enum(&(key.0, s.newname.clone()), Some(e));
            Ok(())
        }
        other => Err(format!("RENAME of {other:?} (not modelled yet)").into()),
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
    if let Some(x) = t.exclusions.iter_mut().find(|x| x.index.name == old) {
        x.index.name = new.to_owned();
        return true;
    }
    false
}

/// Renames a column everywhere the model names it: key and foreign-key
/// column lists (here and in the foreign keys that reference it), and the
/// expressions of checks, generated columns and indexes.
fn rename_column(state: &mut State, id: TableId, old: &str, new: &str) -> Result<(), Unmodelled> {
    if state.table(id).column(new).is_some() {
        return Err(column_exists(state, id, new));
    }
    if state.table(id).column(old).is_none() {
        return Err(missing_column(state, id, old));
    }
    let mut result = Ok(());
    {
        let t = state.table_mut(id);
        let col = t.column_mut(old).expect("the column was just found");
        col.name = new.to_owned();
        let exprs = t.rename_in_lists(old, new);
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
    let (schema, relation) = range_name(r);
    if state.view(&schema, &relation).is_some() {
        return index_on_view(state, s, &schema, &relation);
    }
    let id = table_of(state, r)?;
    let (schema, table) = table_names(state, id);
    let mut keys = Vec::new();
    let mut key_names = Vec::new();
    let mut key_options = Vec::new();
    for p in &s.index_params {
        let Some(N::IndexElem(e)) = p.node.as_ref() else {
            continue;
        };
        let (key, name, options) = index_elem(state, id, e)?;
        keys.extend(key);
        key_names.push(name);
        key_options.push(options);
    }
    if key_options.iter().all(IndexKeyOptions::is_default) {
        key_options.clear();
    }
    let name = if s.idxname.is_empty() {
        unnamed_index(state, &schema, &table, &key_names)
    } else {
        s.idxname.clone()
    };
    if state.relation_taken(&schema, &name) {
        return if s.if_not_exists {
            Ok(())
        } else {
            Err(relation_exists(
                state,
                &schema,
                &name,
                "give the index another name, add IF NOT EXISTS, or drop the old one first",
            ))
        };
    }
    let predicate = s.where_clause.as_deref().map(expr).transpose()?;
    let method = match s.access_method.as_str() {
        "" | "btree" => None,
        m => Some(m.to_owned()),
    };
    let mut include = Vec::new();
    for p in &s.index_including_params {
        match p.node.as_ref() {
            Some(N::IndexElem(e)) if !e.name.is_empty() => {
                if state.table(id).column(&e.name).is_none() {
                    return Err(missing_column(state, id, &e.name));
                }
                include.push(e.name.clone());
            }
            _ => return Err(Unmodelled::from("an INCLUDE entry that is not a column")),
        }
    }
    let mut with = Vec::new();
    for o in &s.options {
        match o.node.as_ref() {
            Some(N::DefElem(d)) if d.defnamespace.is_empty() => {
                with.push(storage_option(d));
            }
            _ => return Err(Unmodelled::from("an index storage parameter")),
        }
    }
    state.set_relation(&schema, &name, Some(Relation::Index(id)));
    state.table_mut(id).indexes.push(IndexState {
        name: name.clone(),
        unique: s.unique,
        keys,
        predicate,
        method,
        key_options,
        include,
        with,
    });
    // Without ONLY, a partitioned table's partitions get it too.
    if r.inh {
        clone_to_partitions(state, id, &[name]);
    }
    Ok(())
}

/// One key of an index or element of an exclusion constraint: the key,
/// the name it gives the index's column (`FigureIndexColname`), and its
/// options.
fn index_elem(
    state: &State,
    id: TableId,
    e: &protobuf::IndexElem,
) -> Result<(Option<IndexKeyState>, String, IndexKeyOptions), Unmodelled> {
    let mut key = None;
    let mut name = String::new();
    if !e.name.is_empty() {
        if state.table(id).column(&e.name).is_none() {
            return Err(missing_column(state, id, &e.name));
        }
        name = e.name.clone();
        key = Some(IndexKeyState::Column(e.name.clone()));
    } else if let Some(x) = &e.expr {
        name = if e.indexcolname.is_empty() {
            expression_column_name(x)
        } else {
            e.indexcolname.clone()
        };
        key = Some(IndexKeyState::Expression(expr(x)?));
    }
    if !e.opclassopts.is_empty() || e.ordering == protobuf::SortByDir::SortbyUsing as i32 {
        return Err(Unmodelled::from(
            "an index key with operator class parameters or USING order",
        ));
    }
    let options = IndexKeyOptions {
        collation: strings(&e.collation).pop(),
        opclass: strings(&e.opclass).pop(),
        descending: e.ordering == protobuf::SortByDir::SortbyDesc as i32,
        nulls_first: match e.nulls_ordering {
            n if n == protobuf::SortByNulls::SortbyNullsFirst as i32 => Some(true),
            n if n == protobuf::SortByNulls::SortbyNullsLast as i32 => Some(false),
            _ => None,
        },
    };
    Ok((key, name, options))
}

/// `EXCLUDE [USING m] (element WITH op, …) [INCLUDE (…)] [WITH (…)]
/// [WHERE (…)]`: the constraint and its index, named as PostgreSQL names
/// an unnamed one (`<table>_<element names>_excl`).
fn add_exclusion(
    state: &mut State,
    id: TableId,
    k: &protobuf::Constraint,
) -> Result<(), Unmodelled> {
    let (schema, table) = table_names(state, id);
    let mut keys = Vec::new();
    let mut key_names = Vec::new();
    let mut key_options = Vec::new();
    let mut operators = Vec::new();
    for pair in &k.exclusions {
        let Some(N::List(pair)) = pair.node.as_ref() else {
            return Err(Unmodelled::from(
                "an exclusion element the model cannot read",
            ));
        };
        let (Some(N::IndexElem(e)), Some(N::List(op))) = (
            pair.items.first().and_then(|n| n.node.as_ref()),
            pair.items.get(1).and_then(|n| n.node.as_ref()),
        ) else {
            return Err(Unmodelled::from(
                "an exclusion element the model cannot read",
            ));
        };
        let (key, name, options) = index_elem(state, id, e)?;
        keys.extend(key);
        key_names.push(name);
        key_options.push(options);
        let op = strings(&op.items);
        operators.push(match op.as_slice() {
            [op] => op.clone(),
            [schema, op] if schema == "pg_catalog" => op.clone(),
            [schema, op] => format!("OPERATOR({schema}.{op})"),
            _ => {
                return Err(Unmodelled::from(
                    "an exclusion operator the model cannot read",
                ));
            }
        });
    }
    if key_options.iter().all(IndexKeyOptions::is_default) {
        key_options.clear();
    }
    let mut include = Vec::new();
    for c in strings(&k.including) {
        if state.table(id).column(&c).is_none() {
            return Err(missing_column(state, id, &c));
        }
        include.push(c);
    }
    let mut with = Vec::new();
    for o in &k.options {
        match o.node.as_ref() {
            Some(N::DefElem(d)) if d.defnamespace.is_empty() => with.push(storage_option(d)),
            _ => return Err(Unmodelled::from("an index storage parameter")),
        }
    }
    let predicate = k.where_clause.as_deref().map(expr).transpose()?;
    let taken = |n: &str| state.relation_taken(&schema, n) || state.constraint_taken(&schema, n);
    let name = if k.conname.is_empty() {
        let names = index_column_names(&key_names);
        choose(&table, Some(&columns_part(&names)), "excl", taken)
    } else {
        k.conname.clone()
    };
    if state.relation_taken(&schema, &name) {
        return Err(relation_exists(
            state,
            &schema,
            &name,
            "an exclusion constraint's index takes the constraint's name, so give the constraint another one",
        ));
    }
    let method = match k.access_method.as_str() {
        "" | "btree" => None,
        m => Some(m.to_owned()),
    };
    state.set_relation(&schema, &name, Some(Relation::KeyIndex(id)));
    state.add_constraint_name(&schema, &name);
    state.table_mut(id).exclusions.push(ExclusionState {
        index: IndexState {
            name,
            unique: false,
            keys,
            predicate,
            method,
            key_options,
            include,
            with,
        },
        operators,
        deferral: Deferral::from_flags(k.deferrable, k.initdeferred),
    });
    Ok(())
}

/// An index on a materialized view: the model holds its name only, so
/// that no other relation takes it and `DROP INDEX` finds it.
fn index_on_view(
    state: &mut State,
    s: &protobuf::IndexStmt,
    schema: &str,
    view: &str,
) -> Result<(), Unmodelled> {
    if state.view(schema, view).is_some_and(|v| !v.materialized) {
        return Err("an index on a view (not modelled)".into());
    }
    let name = if s.idxname.is_empty() {
        let mut key_names = Vec::new();
        for p in &s.index_params {
            if let Some(N::IndexElem(e)) = p.node.as_ref() {
                key_names.push(if !e.name.is_empty() {
                    e.name.clone()
                } else if !e.indexcolname.is_empty() {
                    e.indexcolname.clone()
                } else {
                    e.expr
                        .as_deref()
                        .map_or("expr".to_owned(), expression_column_name)
                });
            }
        }
        let names = index_column_names(&key_names);
        choose(view, Some(&columns_part(&names)), "idx", |n| {
            state.relation_taken(schema, n)
        })
    } else {
        s.idxname.clone()
    };
    if state.relation_taken(schema, &name) {
        return if s.if_not_exists {
            Ok(())
        } else {
            Err(relation_exists(
                state,
                schema,
                &name,
                "give the index another name, add IF NOT EXISTS, or drop the old one first",
            ))
        };
    }
    state.set_relation(schema, &name, Some(Relation::Other));
    Ok(())
}

/// `ALTER VIEW v RENAME COLUMN a TO b` (or `ALTER TABLE v …`): the view's
/// own column, when the fold knows its columns.
fn rename_view_column(
    state: &mut State,
    schema: &str,
    name: &str,
    old: &str,
    new: &str,
) -> Result<(), Unmodelled> {
    let Some(mut view) = state.view(schema, name).cloned() else {
        return Err("a relation the model knows by name only".into());
    };
    let sure = state.object_is_certain(schema, view.established);
    let Some(columns) = view.columns.as_mut() else {
        return Err(
            format!("a column of view {name}, whose columns the fold does not know").into(),
        );
    };
    if columns.iter().any(|c| c == new) {
        return Err(fails(
            sure,
            Rule::Exists,
            format!(
                "column {new} of view {} already exists here; give the column another name",
                shown(schema, name)
            ),
        ));
    }
    let Some(c) = columns.iter_mut().find(|c| *c == old) else {
        return Err(fails(
            sure,
            Rule::Missing,
            format!(
                "column {old} of view {} does not exist at this point of the chain; the view has {}",
                shown(schema, name),
                columns.join(", ")
            ),
        ));
    };
    *c = new.to_owned();
    state.set_view(schema, name, Some(view));
    Ok(())
}

/// `FigureIndexColname`: a function call gives its name, a column its own,
/// a cast what its argument gives (else the type's name), anything else
/// `expr`.
/// The name an expression key gives its index's column, as when the index
/// was made.
pub(super) fn key_column_name(e: &Expr) -> String {
    e.tree
        .0
        .as_deref()
        .map_or_else(|| "expr".to_owned(), expression_column_name)
}

/// The names of `id`'s primary and unique keys.
fn key_names(state: &State, id: TableId) -> Vec<String> {
    let t = state.table(id);
    t.primary_key
        .iter()
        .chain(&t.uniques)
        .map(|k| k.name.clone())
        .collect()
}

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
    if state.has_enum(&key) || state.relation_taken(&key.0, &key.1) {
        let sure = if state.has_enum(&key) {
            state.absent_is_certain(&key.0)
        } else {
            relation_is_certain(state, &key.0, &key.1)
        };
        return Err(fails(
            sure,
            Rule::Exists,
            format!(
                "type {} already exists here (a table's row type has the table's name); give the type another name, or drop the old one first",
                shown(&key.0, &key.1)
            ),
        ));
    }
    state.set_enum(
        &key,
        Some(EnumState {
            values: strings(&s.vals),
            comment: None,
        }),
    );
    Ok(())
}

fn alter_enum(state: &mut State, s: &protobuf::AlterEnumStmt) -> Result<(), Unmodelled> {
    let key = list_name(&strings(&s.type_name)).ok_or("a type name the model cannot read")?;
    if !state.has_enum(&key) {
        return Err(missing_type(state, &key));
    }
    let sure = state.absent_is_certain(&key.0);
    let type_name = shown(&key.0, &key.1);
    let e = state.enum_mut(&key).expect("the type was just found");
    let missing_label = |label: &str| {
        fails(
            sure,
            Rule::Missing,
            format!("type {type_name} has no label '{label}' at this point of the chain"),
        )
    };
    if !s.old_val.is_empty() {
        let Some(v) = e.values.iter_mut().find(|v| **v == s.old_val) else {
            return Err(missing_label(&s.old_val));
        };
        *v = s.new_val.clone();
        return Ok(());
    }
    if e.values.contains(&s.new_val) {
        return if s.skip_if_new_val_exists {
            Ok(())
        } else {
            Err(fails(
                sure,
                Rule::Exists,
                format!(
                    "type {type_name} already has the label '{}'; add IF NOT EXISTS",
                    s.new_val
                ),
            ))
        };
    }
    let at = if s.new_val_neighbor.is_empty() {
        e.values.len()
    } else {
        let Some(i) = e.values.iter().position(|v| *v == s.new_val_neighbor) else {
            return Err(missing_label(&s.new_val_neighbor));
        };
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
        return Err(Unmodelled::from("a schema named after its owner"));
    }
    if state.has_schema(&s.schemaname) {
        return if s.if_not_exists {
            Ok(())
        } else {
            Err(fails(
                !state.world_tainted() && s.schemaname != DEFAULT_SCHEMA,
                Rule::Exists,
                format!(
                    "schema {} already exists here; add IF NOT EXISTS",
                    s.schemaname
                ),
            ))
        };
    }
    state.add_schema(&s.schemaname);
    if !s.schema_elts.is_empty() {
        let why = "CREATE SCHEMA with elements".to_owned();
        state.taint(at, Scope::Schema, Some(s.schemaname.clone()), why.clone());
        return Err(why.into());
    }
    Ok(())
}

fn comment(state: &mut State, s: &protobuf::CommentStmt) -> Result<(), Unmodelled> {
    let names = s.object.as_deref().map(object_names).unwrap_or_default();
    let text = (!s.comment.is_empty()).then(|| s.comment.clone());
    match s.objtype() {
        ObjectType::ObjectTable => {
            let (schema, name) = list_name(&names).ok_or("a name the model cannot read")?;
            let id = find_table_or_missing(state, &schema, &name)?;
            state.table_mut(id).comment = text;
            Ok(())
        }
        ObjectType::ObjectColumn => {
            let (column, table) = names
                .split_last()
                .ok_or("a column name the model cannot read")?;
            let (schema, name) = list_name(table).ok_or("a name the model cannot read")?;
            let id = find_table_or_missing(state, &schema, &name)?;
            column_mut(state, id, column)?.comment = text;
            Ok(())
        }
        ObjectType::ObjectType => {
            let key = list_name(&names).ok_or("a type name the model cannot read")?;
            if !state.has_enum(&key) {
                return Err(missing_type(state, &key));
            }
            state
                .enum_mut(&key)
                .expect("the type was just found")
                .comment = text;
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
        other => Err(format!("COMMENT ON {other:?} (not modelled yet)").into()),
    }
}

// ------------------------------------- functions, triggers, views, sequences

/// An argument type as a signature holds it, in the comparison's canonical
/// spelling (`integer`, `character varying`): type modifiers and array
/// bounds do not count (`f(varchar(20))` is `f(varchar)`).
fn argument_type(t: &protobuf::TypeName) -> Result<String, Unmodelled> {
    if t.pct_type {
        return Err("an argument type given as %TYPE".into());
    }
    let mut t = t.clone();
    t.typmods.clear();
    t.typemod = -1;
    for b in &mut t.array_bounds {
        *b = protobuf::Node {
            node: Some(N::Integer(protobuf::Integer { ival: -1 })),
        };
    }
    // `int4` arrives as written, `int` as `pg_catalog.int4`: one spelling.
    Ok(crate::canon::canonical_type(
        &type_sql(&t)?,
        migrate_core::sql::Dialect::Postgres,
    ))
}

/// The argument types of a signature from its parameters: OUT and TABLE
/// arguments are not part of it. (A procedure's OUT arguments are, since
/// PostgreSQL 14, but `DROP PROCEDURE p(int)` still finds `p(int, OUT
/// int)`: a procedure not found is never reported while its name has
/// overloads.)
fn signature(params: &[protobuf::Node]) -> Result<Vec<String>, Unmodelled> {
    use protobuf::FunctionParameterMode as M;
    let mut out = Vec::new();
    for p in params {
        let Some(N::FunctionParameter(p)) = p.node.as_ref() else {
            return Err("a function parameter the model cannot read".into());
        };
        match p.mode() {
            M::FuncParamTable => continue,
            M::FuncParamOut => continue,
            _ => {}
        }
        let t = p.arg_type.as_ref().ok_or("a parameter without a type")?;
        out.push(argument_type(t)?);
    }
    Ok(out)
}

/// `name(int, text)`, or `schema.name(…)` outside the default schema.
fn shown_signature(schema: &str, name: &str, args: &[String]) -> String {
    format!("{}({})", shown(schema, name), args.join(", "))
}

/// The known signatures of `schema.name`, for a hint.
fn overloads_hint(state: &State, schema: &str, name: &str) -> String {
    let known: Vec<String> = state
        .functions(schema, name)
        .iter()
        .filter_map(|f| f.args.as_ref())
        .map(|a| shown_signature(schema, name, a))
        .collect();
    if known.is_empty() {
        String::new()
    } else {
        format!(
            "; what exists here is {}: give the argument types of one of them",
            known.join(", ")
        )
    }
}

fn create_function(state: &mut State, f: &protobuf::CreateFunctionStmt) -> Result<(), Unmodelled> {
    let (schema, name) =
        list_name(&strings(&f.funcname)).ok_or("a function name the model cannot read")?;
    if function_body_runs_ddl(f) {
        state.note_ddl_function(&name);
    }
    let kind = if f.is_procedure {
        "procedure"
    } else {
        "function"
    };
    let args = signature(&f.parameters);
    let mut overloads = state.functions(&schema, &name).to_vec();
    let made = FunctionState {
        args: args.as_ref().ok().cloned(),
        procedure: f.is_procedure,
        established: state.epoch,
    };
    match &args {
        Ok(a) => match overloads.iter().position(|o| o.args.as_ref() == Some(a)) {
            Some(i) if !f.replace => {
                return Err(fails(
                    state.object_is_certain(&schema, overloads[i].established),
                    Rule::Exists,
                    format!(
                        "{kind} {} already exists here with the same argument types; write CREATE OR REPLACE {}, or drop it first",
                        shown_signature(&schema, &name, a),
                        kind.to_uppercase()
                    ),
                ));
            }
            Some(i) => overloads[i] = made,
            None => overloads.push(made),
        },
        Err(_) => overloads.push(made),
    }
    state.set_functions(&schema, &name, overloads);
    args.map(|_| ())
}

/// A function's `(schema, name)`, which of its overloads a statement
/// names (if any), and the argument types it gave.
type Overload = ((String, String), Option<usize>, Vec<String>);

/// Which overload of a function a statement names (`DROP FUNCTION`,
/// `ALTER FUNCTION`): `Ok(Some(i))`, `Ok(None)` when it is not there, or
/// why the fold cannot tell.
fn find_overload(state: &State, o: &protobuf::ObjectWithArgs) -> Result<Overload, Unmodelled> {
    let (schema, name) =
        list_name(&strings(&o.objname)).ok_or("a function name the model cannot read")?;
    let overloads = state.functions(&schema, &name);
    if o.args_unspecified {
        return match overloads {
            [] => Ok(((schema, name), None, Vec::new())),
            [one] => {
                let args = one
                    .args
                    .clone()
                    .ok_or("a function whose signature is unknown")?;
                Ok(((schema, name), Some(0), args))
            }
            _ => Err(format!("function name {name} is not unique (not modelled)").into()),
        };
    }
    let args = if o.objfuncargs.is_empty() {
        o.objargs
            .iter()
            .map(|n| match n.node.as_ref() {
                Some(N::TypeName(t)) => argument_type(t),
                _ => Err("an argument type the model cannot read".into()),
            })
            .collect::<Result<Vec<_>, _>>()?
    } else {
        signature(&o.objfuncargs)?
    };
    let found = overloads
        .iter()
        .position(|f| f.args.as_ref() == Some(&args));
    Ok(((schema, name), found, args))
}

/// A function (of any signature) that is not there: sure when nothing
/// unmodelled could have made it, every overload's signature is known,
/// and it is not one of PostgreSQL's own.
fn missing_function(state: &State, schema: &str, name: &str, message: String) -> Unmodelled {
    let sure = state.absent_is_certain(schema)
        && state
            .functions(schema, name)
            .iter()
            .all(|f| f.args.is_some())
        && !builtin_function(name);
    fails(sure, Rule::Missing, message)
}

/// Functions of `pg_catalog` a migration may name unqualified (trigger
/// functions and the like), which the fold never reports missing.
fn builtin_function(name: &str) -> bool {
    matches!(
        name,
        "suppress_redundant_updates_trigger"
            | "tsvector_update_trigger"
            | "tsvector_update_trigger_column"
    ) || name.starts_with("RI_FKey_")
        || name.starts_with("pg_")
}

fn drop_function(
    state: &mut State,
    object: &protobuf::Node,
    missing_ok: bool,
    cascade: bool,
    kind: &str,
) -> Result<(), Unmodelled> {
    let Some(N::ObjectWithArgs(o)) = object.node.as_ref() else {
        return Err("a function name the model cannot read".into());
    };
    let ((schema, name), found, args) = find_overload(state, o)?;
    let Some(i) = found else {
        if missing_ok {
            return Ok(());
        }
        if kind != "function" && !state.functions(&schema, &name).is_empty() {
            return Err(format!(
                "{kind} {name}: an overload matched by its OUT arguments (not modelled)"
            )
            .into());
        }
        let hint = overloads_hint(state, &schema, &name);
        let what = if o.args_unspecified {
            shown(&schema, &name)
        } else {
            shown_signature(&schema, &name, &args)
        };
        return Err(missing_function(
            state,
            &schema,
            &name,
            format!("{kind} {what} does not exist at this point of the chain{hint}"),
        ));
    };
    let mut overloads = state.functions(&schema, &name).to_vec();
    let function = overloads.remove(i);
    // Triggers execute a function without arguments.
    let triggers = if args.is_empty() {
        state.triggers_executing(&schema, &name)
    } else {
        Vec::new()
    };
    if let Some((table, trigger)) = triggers.first()
        && !cascade
    {
        let t = state.table(*table);
        return Err(fails(
            state.object_is_certain(&schema, function.established) && state.is_certain(*table),
            Rule::DropDependency,
            format!(
                "{kind} {} cannot be dropped: trigger {trigger} on table {} executes it; drop the trigger first (in a downgrade, in the reverse order of the upgrade), or add CASCADE",
                shown_signature(&schema, &name, &args),
                shown(&t.schema, &t.name)
            ),
        ));
    }
    if cascade {
        for (table, trigger) in triggers {
            state.set_trigger(table, &trigger, None);
        }
        for view in state.views_calling(&name) {
            state.drop_view(&view);
        }
    }
    state.set_functions(&schema, &name, overloads);
    Ok(())
}

/// `ALTER FUNCTION f(…) RENAME TO g`: the triggers that execute it follow.
fn rename_function(
    state: &mut State,
    s: &protobuf::RenameStmt,
    kind: &str,
) -> Result<(), Unmodelled> {
    let Some(N::ObjectWithArgs(o)) = s.object.as_deref().and_then(|n| n.node.as_ref()) else {
        return Err("a function name the model cannot read".into());
    };
    let ((schema, name), found, args) = find_overload(state, o)?;
    let Some(i) = found else {
        let hint = overloads_hint(state, &schema, &name);
        return Err(missing_function(
            state,
            &schema,
            &name,
            format!(
                "{kind} {} does not exist at this point of the chain{hint}",
                shown_signature(&schema, &name, &args)
            ),
        ));
    };
    let mut targets = state.functions(&schema, &s.newname).to_vec();
    if let Some(other) = targets.iter().find(|f| f.args.as_ref() == Some(&args)) {
        return Err(fails(
            state.object_is_certain(&schema, other.established),
            Rule::Exists,
            format!(
                "{kind} {} already exists here; rename to a name that is free, or drop that one first",
                shown_signature(&schema, &s.newname, &args)
            ),
        ));
    }
    let mut overloads = state.functions(&schema, &name).to_vec();
    targets.push(overloads.remove(i));
    state.set_functions(&schema, &name, overloads);
    state.set_functions(&schema, &s.newname, targets);
    if args.is_empty() {
        for (table, trigger) in state.triggers_executing(&schema, &name) {
            state.set_trigger(
                table,
                &trigger,
                Some(TriggerState {
                    function: (schema.clone(), s.newname.clone()),
                }),
            );
        }
    }
    Ok(())
}

/// `ALTER FUNCTION`/`ALTER PROCEDURE` of anything but its name changes no
/// shape; the function must exist.
fn alter_function(state: &State, s: &protobuf::AlterFunctionStmt) -> Result<(), Unmodelled> {
    let o = s.func.as_ref().ok_or("ALTER FUNCTION without a name")?;
    let procedure = s.objtype() == ObjectType::ObjectProcedure;
    let ((schema, name), found, args) = find_overload(state, o)?;
    if found.is_some() {
        return Ok(());
    }
    let kind = if procedure { "procedure" } else { "function" };
    let hint = overloads_hint(state, &schema, &name);
    Err(missing_function(
        state,
        &schema,
        &name,
        format!(
            "{kind} {} does not exist at this point of the chain{hint}",
            shown_signature(&schema, &name, &args)
        ),
    ))
}

fn create_trigger(state: &mut State, t: &protobuf::CreateTrigStmt) -> Result<(), Unmodelled> {
    let r = t.relation.as_ref().ok_or("a trigger without a table")?;
    let (schema, table) = range_name(r);
    let id = match state.relation(&schema, &table) {
        Some(Relation::Table(id)) => id,
        Some(_) => return Err("a trigger on a view or another relation (not modelled)".into()),
        None => return Err(missing_relation(state, &schema, &table, "table")),
    };
    let (fschema, fname) =
        list_name(&strings(&t.funcname)).ok_or("a function name the model cannot read")?;
    let executes = state
        .functions(&fschema, &fname)
        .iter()
        .any(|f| f.args.as_ref().is_some_and(Vec::is_empty));
    let mut unsure = None;
    if !executes {
        let missing = missing_function(
            state,
            &fschema,
            &fname,
            format!(
                "trigger {} on table {} executes function {}(), which does not exist at this point of the chain; create the function first (CREATE FUNCTION {}() RETURNS trigger …)",
                t.trigname,
                shown(&schema, &table),
                shown(&fschema, &fname),
                shown(&fschema, &fname)
            ),
        );
        match missing {
            Unmodelled::Fails(..) => return Err(missing),
            // One of PostgreSQL's own, or a function the fold cannot see
            // (made by an extension, a DO block): the trigger is made.
            _ if builtin_function(&fname) => {}
            other => unsure = Some(other),
        }
    }
    if state.trigger(id, &t.trigname).is_some() && !t.replace {
        return Err(fails(
            state.is_certain(id),
            Rule::Exists,
            format!(
                "trigger {} on table {} already exists here; write CREATE OR REPLACE TRIGGER, or drop it first",
                t.trigname,
                shown(&schema, &table)
            ),
        ));
    }
    state.set_trigger(
        id,
        &t.trigname,
        Some(TriggerState {
            function: (fschema, fname),
        }),
    );
    unsure.map_or(Ok(()), Err)
}

/// The table of `DROP TRIGGER name ON table` / `ALTER TRIGGER … ON table`:
/// `Ok(None)` when it is not there and that is allowed.
fn trigger_table(
    state: &State,
    schema: &str,
    table: &str,
    missing_ok: bool,
) -> Result<Option<TableId>, Unmodelled> {
    match state.relation(schema, table) {
        Some(Relation::Table(id)) => Ok(Some(id)),
        Some(_) => Err("a trigger on a view or another relation (not modelled)".into()),
        None if missing_ok => Ok(None),
        None => Err(missing_relation(state, schema, table, "table")),
    }
}

/// A trigger that is not on its table, with the table's triggers.
fn missing_trigger(state: &State, id: TableId, name: &str) -> Unmodelled {
    let t = state.table(id);
    let names: Vec<&str> = state.triggers_on(id).map(|(n, _)| n).collect();
    let hint = if names.is_empty() {
        "; the table has no trigger".to_owned()
    } else {
        format!("; the table has {}", names.join(", "))
    };
    fails(
        state.is_certain(id),
        Rule::Missing,
        format!(
            "trigger {name} on table {} does not exist at this point of the chain{hint}",
            shown(&t.schema, &t.name)
        ),
    )
}

fn drop_trigger(
    state: &mut State,
    object: &protobuf::Node,
    missing_ok: bool,
) -> Result<(), Unmodelled> {
    let names = object_names(object);
    let (trigger, table) = names
        .split_last()
        .ok_or("a trigger name the model cannot read")?;
    let (schema, table) = list_name(table).ok_or("a table name the model cannot read")?;
    let Some(id) = trigger_table(state, &schema, &table, missing_ok)? else {
        return Ok(());
    };
    if state.trigger(id, trigger).is_none() {
        return if missing_ok {
            Ok(())
        } else {
            Err(missing_trigger(state, id, trigger))
        };
    }
    state.set_trigger(id, trigger, None);
    Ok(())
}

fn rename_trigger(state: &mut State, s: &protobuf::RenameStmt) -> Result<(), Unmodelled> {
    let r = s.relation.as_ref().ok_or("ALTER TRIGGER without a table")?;
    let (schema, table) = range_name(r);
    let Some(id) = trigger_table(state, &schema, &table, false)? else {
        return Ok(());
    };
    let Some(trigger) = state.trigger(id, &s.subname).cloned() else {
        return Err(missing_trigger(state, id, &s.subname));
    };
    if state.trigger(id, &s.newname).is_some() {
        return Err(fails(
            state.is_certain(id),
            Rule::Exists,
            format!(
                "trigger {} on table {} already exists here; rename to a name that is free, or drop that one first",
                s.newname,
                shown(&schema, &table)
            ),
        ));
    }
    state.set_trigger(id, &s.subname, None);
    state.set_trigger(id, &s.newname, Some(trigger));
    Ok(())
}

/// What a view's query reads.
struct QueryReads {
    reads: Vec<ViewRead>,
    views: Vec<(String, String)>,
    calls: Vec<String>,
    /// The output columns, when every one can be named.
    columns: Option<Vec<String>>,
}

/// System columns every table has.
fn system_column(name: &str) -> bool {
    matches!(
        name,
        "ctid" | "xmin" | "xmax" | "cmin" | "cmax" | "tableoid" | "oid"
    )
}

/// Reads a view's query: the tables and views it names must exist (a name
/// of a CTE is not a table), and, for a plain query over tables the fold
/// is sure of (no subquery, CTE, set operation, function in FROM or alias
/// with column names), every column it names must too; the columns each
/// table gives are its dependencies.
fn query_reads(
    state: &State,
    view: &str,
    query: &protobuf::Node,
) -> Result<QueryReads, Unmodelled> {
    let Some(root) = query.node.as_ref() else {
        return Err("a view without a query".into());
    };
    let walked = root.nodes();
    let mut ctes = std::collections::HashSet::new();
    let mut ranges = Vec::new();
    let mut calls = Vec::new();
    let mut selects = 0;
    let mut plain = true;
    let mut merged = std::collections::HashSet::new();
    let mut natural = false;
    for (child, ..) in &walked {
        match child {
            NodeRef::CommonTableExpr(c) => {
                ctes.insert(c.ctename.clone());
                plain = false;
            }
            NodeRef::RangeVar(r) => ranges.push(*r),
            NodeRef::FuncCall(f) => {
                if let Some(n) = strings(&f.funcname).pop() {
                    calls.push(n);
                }
            }
            NodeRef::SelectStmt(_) => selects += 1,
            NodeRef::JoinExpr(j) => {
                if j.alias.is_some() {
                    plain = false;
                }
                natural |= j.is_natural;
                merged.extend(strings(&j.using_clause));
            }
            NodeRef::RangeSubselect(_) | NodeRef::RangeFunction(_) | NodeRef::SubLink(_) => {
                plain = false;
            }
            _ => {}
        }
    }
    if selects != 1 {
        plain = false;
    }
    let mut reads: Vec<ViewRead> = Vec::new();
    let mut views = Vec::new();
    // FROM items over tables: (table, the name it goes by).
    let mut from: Vec<(TableId, String)> = Vec::new();
    for r in ranges {
        let (schema, name) = range_name(r);
        if r.schemaname.is_empty() && ctes.contains(&name) {
            continue;
        }
        let alias = r.alias.as_ref();
        if alias.is_some_and(|a| !a.colnames.is_empty()) {
            plain = false;
        }
        match state.relation(&schema, &name) {
            Some(Relation::Table(id)) => {
                if !state.is_certain(id) {
                    plain = false;
                }
                if !reads.iter().any(|r| r.table == id) {
                    reads.push(ViewRead {
                        table: id,
                        columns: Some(Vec::new()),
                    });
                }
                from.push((id, alias.map_or(name, |a| a.aliasname.clone())));
            }
            Some(Relation::Other) => {
                plain = false;
                if state.view(&schema, &name).is_some()
                    && !views.contains(&(schema.clone(), name.clone()))
                {
                    views.push((schema, name));
                }
            }
            Some(other) => {
                return Err(fails(
                    relation_is_certain(state, &schema, &name),
                    Rule::Missing,
                    format!(
                        "view {view} reads {}, which is {} {}, not a table or view",
                        shown(&schema, &name),
                        article(relation_kind(other)),
                        relation_kind(other)
                    ),
                ));
            }
            // PostgreSQL's own catalogs and views, found through the
            // search path's pg_catalog.
            None if matches!(schema.as_str(), "pg_catalog" | "information_schema")
                || r.schemaname.is_empty() && name.starts_with("pg_") =>
            {
                plain = false;
            }
            None => {
                return Err(missing(
                    state,
                    &schema,
                    &name,
                    format!(
                        "view {view} reads {}, which does not exist at this point of the chain; create it first, or check the name",
                        shown(&schema, &name)
                    ),
                ));
            }
        }
    }
    let targets: Vec<&protobuf::ResTarget> = match root {
        N::SelectStmt(s) => s
            .target_list
            .iter()
            .filter_map(|t| match t.node.as_ref() {
                Some(N::ResTarget(t)) => Some(t.as_ref()),
                _ => None,
            })
            .collect(),
        _ => Vec::new(),
    };
    let aliases: Vec<&str> = targets
        .iter()
        .filter(|t| !t.name.is_empty())
        .map(|t| t.name.as_str())
        .collect();
    if plain && !from.is_empty() {
        let all = |state: &State, id: TableId| -> Vec<String> {
            state
                .table(id)
                .columns
                .iter()
                .map(|c| c.name.clone())
                .collect()
        };
        let mut used: Vec<(TableId, String)> = Vec::new();
        'refs: for (child, ..) in &walked {
            let NodeRef::ColumnRef(c) = child else {
                continue;
            };
            let fields: Vec<Option<String>> = c.fields.iter().map(string_of).collect();
            match fields.as_slice() {
                [None] => {
                    for (id, _) in &from {
                        used.extend(all(state, *id).into_iter().map(|c| (*id, c)));
                    }
                }
                [Some(q), None] => match from.iter().find(|(_, n)| n == q) {
                    Some((id, _)) => used.extend(all(state, *id).into_iter().map(|c| (*id, c))),
                    None => {
                        plain = false;
                        break 'refs;
                    }
                },
                [Some(col)] => {
                    let owners: Vec<TableId> = from
                        .iter()
                        .map(|(id, _)| *id)
                        .filter(|id| state.table(*id).column(col).is_some())
                        .collect();
                    match owners.as_slice() {
                        [id] => used.push((*id, col.clone())),
                        [] => {
                            if let Some((id, _)) = from.iter().find(|(_, n)| n == col) {
                                used.extend(all(state, *id).into_iter().map(|c| (*id, c)));
                            } else if !aliases.contains(&col.as_str()) && !system_column(col) {
                                let tables: Vec<String> = from
                                    .iter()
                                    .map(|(id, _)| {
                                        let t = state.table(*id);
                                        shown(&t.schema, &t.name)
                                    })
                                    .collect();
                                return Err(fails(
                                    true,
                                    Rule::Missing,
                                    format!(
                                        "view {view} reads column {col}, which no table it reads has at this point of the chain ({}); check the name",
                                        tables.join(", ")
                                    ),
                                ));
                            }
                        }
                        _ if natural || merged.contains(col) => {
                            used.extend(owners.iter().map(|id| (*id, col.clone())));
                        }
                        _ => {
                            plain = false;
                            break 'refs;
                        }
                    }
                }
                [Some(q), Some(col)] => {
                    let Some((id, _)) = from.iter().find(|(_, n)| n == q) else {
                        plain = false;
                        break 'refs;
                    };
                    if state.table(*id).column(col).is_some() {
                        used.push((*id, col.clone()));
                    } else if !system_column(col) {
                        let t = state.table(*id);
                        return Err(fails(
                            true,
                            Rule::Missing,
                            format!(
                                "view {view} reads column {col} of table {}, which does not exist at this point of the chain; check the name",
                                shown(&t.schema, &t.name)
                            ),
                        ));
                    }
                }
                _ => {
                    plain = false;
                    break 'refs;
                }
            }
        }
        for col in &merged {
            for (id, _) in &from {
                if state.table(*id).column(col).is_some() {
                    used.push((*id, col.clone()));
                }
            }
        }
        if plain {
            for r in &mut reads {
                let cols = r.columns.get_or_insert_with(Vec::new);
                for (id, c) in &used {
                    if *id == r.table && !cols.contains(c) {
                        cols.push(c.clone());
                    }
                }
            }
        }
    }
    if !plain || from.is_empty() {
        for r in &mut reads {
            r.columns = None;
        }
    }
    // The output columns: a name given, a column's, or a function's.
    let mut columns = Some(Vec::new());
    for t in &targets {
        let name = if !t.name.is_empty() {
            Some(vec![t.name.clone()])
        } else {
            match t.val.as_deref().and_then(|v| v.node.as_ref()) {
                Some(N::ColumnRef(c)) => match c.fields.last().and_then(string_of) {
                    Some(n) => Some(vec![n]),
                    // `*` or `t.*`, over one table the fold is sure of.
                    None if plain && from.len() == 1 => Some(
                        state
                            .table(from[0].0)
                            .columns
                            .iter()
                            .map(|c| c.name.clone())
                            .collect(),
                    ),
                    None => None,
                },
                Some(N::FuncCall(f)) => strings(&f.funcname).pop().map(|n| vec![n]),
                _ => None,
            }
        };
        match (name, columns.as_mut()) {
            (Some(n), Some(cols)) => cols.extend(n),
            _ => columns = None,
        }
    }
    if !matches!(root, N::SelectStmt(s) if s.larg.is_none() && !s.target_list.is_empty()) {
        columns = None;
    }
    Ok(QueryReads {
        reads,
        views,
        calls,
        columns,
    })
}

/// `CREATE [OR REPLACE] VIEW` and `CREATE MATERIALIZED VIEW`.
fn create_view(
    state: &mut State,
    r: &protobuf::RangeVar,
    query: Option<&protobuf::Node>,
    aliases: &[protobuf::Node],
    materialized: bool,
    replace: bool,
    if_not_exists: bool,
) -> Result<(), Unmodelled> {
    let (schema, name) = range_name(r);
    let query = query.ok_or("a view without a query")?;
    if r.relpersistence == "t" {
        // A temporary view lasts the session: known by name only.
        state.set_relation(&schema, &name, Some(Relation::Other));
        return Ok(());
    }
    let kind = if materialized {
        "materialized view"
    } else {
        "view"
    };
    let shown_name = shown(&schema, &name);
    let old = state.view(&schema, &name).cloned();
    match (state.relation(&schema, &name), &old) {
        (None, _) => {}
        (Some(Relation::Other), Some(_)) if if_not_exists => return Ok(()),
        (Some(Relation::Other), Some(v)) if !replace || v.materialized => {
            return Err(fails(
                state.object_is_certain(&schema, v.established),
                Rule::Exists,
                format!(
                    "{kind} {shown_name} already exists here; {}",
                    if materialized {
                        "add IF NOT EXISTS, or drop it first"
                    } else {
                        "write CREATE OR REPLACE VIEW, or drop it first"
                    }
                ),
            ));
        }
        (Some(Relation::Other), Some(_)) => {}
        (Some(Relation::Other), None) => {
            return Err(format!("{shown_name} is a relation the model knows by name only").into());
        }
        (Some(_), _) if if_not_exists => return Ok(()),
        (Some(_), _) => {
            return Err(relation_exists(
                state,
                &schema,
                &name,
                "give the view another name, or drop that one first",
            ));
        }
    }
    let mut q = query_reads(state, &shown_name, query)?;
    if !aliases.is_empty() {
        let given = strings(aliases);
        q.columns = match q.columns {
            Some(mut cols) if cols.len() >= given.len() => {
                cols.splice(..given.len(), given);
                Some(cols)
            }
            _ => None,
        };
    }
    if let Some(old) = &old
        && let (Some(before), Some(after)) = (&old.columns, &q.columns)
    {
        let sure = state.object_is_certain(&schema, old.established);
        if let Some((a, b)) = before.iter().zip(after).find(|(a, b)| a != b) {
            return Err(fails(
                sure,
                Rule::Exists,
                format!(
                    "view {shown_name} cannot be replaced: its column {a} would become {b}, and PostgreSQL keeps a view's columns in place; rename it first (ALTER VIEW {shown_name} RENAME COLUMN {a} TO {b}), add new columns at the end only, or drop the view and create it again"
                ),
            ));
        }
        if after.len() < before.len() {
            return Err(fails(
                sure,
                Rule::Exists,
                format!(
                    "view {shown_name} cannot be replaced: it would drop column {}, and PostgreSQL cannot drop columns from a view; drop the view and create it again",
                    before[after.len()]
                ),
            ));
        }
    }
    state.set_view(
        &schema,
        &name,
        Some(ViewState {
            materialized,
            columns: q.columns,
            reads: q.reads,
            views: q.views,
            calls: q.calls,
            established: state.epoch,
        }),
    );
    Ok(())
}

/// How a `DROP VIEW` statement drops.
struct DropHow {
    missing_ok: bool,
    cascade: bool,
    materialized: bool,
}

fn drop_view(
    state: &mut State,
    names: &[String],
    how: &DropHow,
    together: &[(String, String)],
) -> Result<(), Unmodelled> {
    let DropHow {
        missing_ok,
        cascade,
        materialized,
    } = *how;
    let key = list_name(names).ok_or("a name the model cannot read")?;
    let Some(view) = state.view(&key.0, &key.1).cloned() else {
        let kind = if materialized {
            "materialized view"
        } else {
            "view"
        };
        return match state.relation(&key.0, &key.1) {
            None if !missing_ok => Err(missing_relation(state, &key.0, &key.1, kind)),
            _ => drop_relation(state, names, missing_ok, "view"),
        };
    };
    let sure = state.object_is_certain(&key.0, view.established);
    if view.materialized != materialized {
        let (is, use_) = if view.materialized {
            ("a materialized view", "DROP MATERIALIZED VIEW")
        } else {
            ("a view", "DROP VIEW")
        };
        return Err(fails(
            sure,
            Rule::Missing,
            format!("{} is {is}; use {use_}", shown(&key.0, &key.1)),
        ));
    }
    let readers: Vec<(String, String)> = state
        .views_reading_view(&key)
        .into_iter()
        .filter(|k| *k != key && !together.contains(k))
        .collect();
    if let Some(other) = readers.first()
        && !cascade
    {
        let other_sure = state
            .view(&other.0, &other.1)
            .is_some_and(|v| state.object_is_certain(&other.0, v.established));
        let failure = fails(
            sure && other_sure,
            Rule::DropDependency,
            format!(
                "view {} cannot be dropped: view {} reads it; drop that view first (in a downgrade, in the reverse order of the upgrade), or add CASCADE",
                shown(&key.0, &key.1),
                shown(&other.0, &other.1)
            ),
        );
        if let Unmodelled::Fails(..) = failure {
            return Err(failure);
        }
        // Not sure it fails: if it does not, the view is gone.
        state.drop_view(&key);
        return Err(failure);
    }
    if cascade {
        state.drop_view(&key);
    } else {
        // The views that read it, if any, go in their own turn.
        state.set_view(&key.0, &key.1, None);
    }
    Ok(())
}

/// A view that reads table `id` (column `column`, when given), for a
/// `drop-dependency` finding: dropping it without CASCADE fails.
fn view_dependency(
    state: &State,
    id: TableId,
    column: Option<&str>,
    what: String,
) -> Result<(), Unmodelled> {
    let Some(key) = state.views_reading_table(id, column).into_iter().next() else {
        return Ok(());
    };
    let sure = state.is_certain(id)
        && state
            .view(&key.0, &key.1)
            .is_some_and(|v| state.object_is_certain(&key.0, v.established));
    Err(fails(
        sure,
        Rule::DropDependency,
        format!(
            "{what} cannot be dropped: view {} reads it; drop or replace the view first (in a downgrade, in the reverse order of the upgrade), or add CASCADE",
            shown(&key.0, &key.1)
        ),
    ))
}

/// `OWNED BY table.column` (`Some(Some(…))`), `OWNED BY NONE`
/// (`Some(None)`), or no such option (`None`).
fn sequence_owner(
    state: &State,
    options: &[protobuf::Node],
) -> Result<Option<Option<(TableId, String)>>, Unmodelled> {
    let Some(names) = options.iter().find_map(|o| match o.node.as_ref() {
        Some(N::DefElem(d)) if d.defname == "owned_by" => d.arg.as_deref().map(object_names),
        _ => None,
    }) else {
        return Ok(None);
    };
    if names.len() == 1 && names[0].eq_ignore_ascii_case("none") {
        return Ok(Some(None));
    }
    let (column, table) = names.split_last().ok_or("OWNED BY without a column")?;
    let (schema, table) = list_name(table).ok_or("OWNED BY a name the model cannot read")?;
    let id = find_table_or_missing(state, &schema, &table)?;
    if state.table(id).column(column).is_none() {
        return Err(missing_column(state, id, column));
    }
    Ok(Some(Some((id, column.clone()))))
}

/// Gives a sequence its owner: the column it goes with.
fn own_sequence(
    state: &mut State,
    schema: &str,
    name: &str,
    owner: Option<(TableId, String)>,
) -> Result<(), Unmodelled> {
    if let Some(Relation::Sequence(Some(old))) = state.relation(schema, name) {
        let t = state.table_mut(old);
        for c in &mut t.columns {
            if c.sequence.as_deref() == Some(name) {
                c.sequence = None;
            }
        }
    }
    let table = owner.as_ref().map(|(id, _)| *id);
    if let Some((id, column)) = owner {
        let c = column_mut(state, id, &column)?;
        if c.sequence.as_deref().is_some_and(|s| s != name) {
            return Err("a column that owns two sequences (not modelled)".into());
        }
        c.sequence = Some(name.to_owned());
    }
    state.set_relation(schema, name, Some(Relation::Sequence(table)));
    Ok(())
}

fn create_sequence(state: &mut State, s: &protobuf::CreateSeqStmt) -> Result<(), Unmodelled> {
    let r = s.sequence.as_ref().ok_or("a sequence without a name")?;
    let (schema, name) = range_name(r);
    if state.relation_taken(&schema, &name) {
        return if s.if_not_exists {
            Ok(())
        } else {
            Err(relation_exists(
                state,
                &schema,
                &name,
                "add IF NOT EXISTS, or give the sequence another name",
            ))
        };
    }
    let owner = sequence_owner(state, &s.options)?;
    state.set_relation(&schema, &name, Some(Relation::Sequence(None)));
    own_sequence(state, &schema, &name, owner.flatten())
}

fn alter_sequence(state: &mut State, s: &protobuf::AlterSeqStmt) -> Result<(), Unmodelled> {
    let r = s.sequence.as_ref().ok_or("a sequence without a name")?;
    let (schema, name) = range_name(r);
    match state.relation(&schema, &name) {
        None if s.missing_ok => Ok(()),
        None => Err(missing_relation(state, &schema, &name, "sequence")),
        Some(Relation::Sequence(_)) => match sequence_owner(state, &s.options)? {
            Some(owner) => own_sequence(state, &schema, &name, owner),
            None => Ok(()),
        },
        Some(Relation::Other) => {
            Err(format!("{name}, a relation the model knows by name only").into())
        }
        Some(other) => Err(fails(
            relation_is_certain(state, &schema, &name),
            Rule::Missing,
            format!(
                "{} is {} {}, not a sequence",
                shown(&schema, &name),
                article(relation_kind(other)),
                relation_kind(other)
            ),
        )),
    }
}

/// `CREATE EXTENSION`: known by name; what it creates makes its schema
/// unsure.
fn create_extension(
    state: &mut State,
    s: &protobuf::CreateExtensionStmt,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    let option = |name: &str| {
        s.options.iter().find_map(|o| match o.node.as_ref() {
            Some(N::DefElem(d)) if d.defname == name => Some(d.arg.as_deref()),
            _ => None,
        })
    };
    let schema = option("schema")
        .flatten()
        .and_then(string_of)
        .unwrap_or_else(|| DEFAULT_SCHEMA.to_owned());
    if let Some(e) = state.extension(&s.extname) {
        if s.if_not_exists {
            return Ok(());
        }
        return Err(fails(
            state.world_certain_since(e.established),
            Rule::Exists,
            format!(
                "extension {} already exists here; add IF NOT EXISTS",
                s.extname
            ),
        ));
    }
    let known = known_extension(&s.extname);
    if let Some((relations, types)) = known {
        // What it makes, by name, so that nothing is reported missing or
        // taken for it; nothing else in its schema becomes unsure.
        for name in relations {
            if !state.relation_taken(&schema, name) {
                state.set_relation(&schema, name, Some(Relation::Other));
            }
        }
        for name in types {
            state.note_other_type(&schema, name);
        }
    } else {
        state.taint(
            at,
            Scope::Schema,
            Some(schema.clone()),
            "an extension".to_owned(),
        );
    }
    state.set_extension(
        &s.extname,
        Some(ExtensionState {
            schema,
            established: state.epoch,
            cascade: option("cascade").is_some(),
        }),
    );
    match known {
        Some(_) => Ok(()),
        None => Err("an extension".into()),
    }
}

/// The relations and types a well-known extension makes in the schema it is
/// installed in (its functions and operators are not modelled). An
/// extension not listed may make anything there, so its schema becomes
/// unsure.
fn known_extension(name: &str) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match name {
        "plpgsql" | "uuid-ossp" | "pgcrypto" | "pg_trgm" | "btree_gin" | "btree_gist"
        | "unaccent" | "intarray" | "fuzzystrmatch" | "tablefunc" | "pgstattuple" | "amcheck"
        | "dblink" | "postgres_fdw" | "tsm_system_rows" | "tsm_system_time" | "pg_prewarm"
        | "pgrowlocks" | "pg_visibility" | "pg_freespacemap" => (&[], &[]),
        "citext" => (&[], &["citext"]),
        "hstore" => (&[], &["hstore"]),
        "ltree" => (&[], &["ltree", "lquery", "ltxtquery"]),
        "cube" => (&[], &["cube"]),
        "earthdistance" => (&[], &["earth"]),
        "isn" => (
            &[],
            &[
                "ean13", "isbn13", "ismn13", "issn13", "isbn", "ismn", "issn", "upc",
            ],
        ),
        "lo" => (&[], &["lo"]),
        "seg" => (&[], &["seg"]),
        "vector" => (&[], &["vector", "halfvec", "sparsevec"]),
        "pg_stat_statements" => (&["pg_stat_statements", "pg_stat_statements_info"], &[]),
        "pg_buffercache" => (&["pg_buffercache"], &[]),
        "postgis" => (
            &[
                "spatial_ref_sys",
                "spatial_ref_sys_pkey",
                "geometry_columns",
                "geography_columns",
            ],
            &[
                "geometry",
                "geography",
                "box2d",
                "box3d",
                "geometry_dump",
                "valid_detail",
            ],
        ),
        _ => return None,
    })
}

fn drop_extension(
    state: &mut State,
    object: &protobuf::Node,
    missing_ok: bool,
    cascade: bool,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    let name = string_of(object).ok_or("an extension name the model cannot read")?;
    if state.extension(&name).is_none() {
        if missing_ok {
            return Ok(());
        }
        // plpgsql is in every database; CASCADE brings extensions the
        // fold does not name.
        let sure = !state.world_tainted() && !state.extensions_cascaded() && name != "plpgsql";
        return Err(fails(
            sure,
            Rule::Missing,
            format!(
                "extension {name} does not exist at this point of the chain; add IF EXISTS, or check the name"
            ),
        ));
    }
    state.set_extension(&name, None);
    if cascade {
        // CASCADE drops whatever uses what it made.
        let why = "an extension dropped with CASCADE".to_owned();
        state.taint(at, Scope::World, None, why.clone());
        return Err(why.into());
    }
    Ok(())
}
