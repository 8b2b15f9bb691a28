//! PostgreSQL statements, read from libpg_query's parse tree, applied to the
//! fold's [`State`]: tables, columns, constraints, indexes, enums, schemas
//! and comments; anything else taints the narrowest scope it names.

use pg_query::protobuf::{
    self, AlterTableType, ConstrType, DropBehavior, ObjectType, node::Node as N,
};
use pg_query::{NodeMut, NodeRef};

use super::naming::{choose, columns_part, index_column_names};
use super::state::{
    CheckState, ColumnState, DEFAULT_SCHEMA, EnumState, Expr, ExprTree, Finding, ForeignKeyState,
    IndexKeyState, IndexState, KeyState, Relation, Scope, State, StmtRef, TableId, TableState,
};
use crate::model::{FkAction, Identity};
use migrate_core::Rule;

/// Why a statement, or part of one, is not in the model: the fold could
/// not model it, or the server would refuse it.
#[derive(Debug, Clone)]
enum Unmodelled {
    /// The model has no place for it, or does not know enough.
    Unknown(String),
    /// The server refuses it, and the fold is sure of every fact used.
    Fails(Rule, String),
}

impl Unmodelled {
    fn why(&self) -> &str {
        match self {
            Unmodelled::Unknown(why) | Unmodelled::Fails(_, why) => why,
        }
    }
}

impl From<String> for Unmodelled {
    fn from(why: String) -> Unmodelled {
        Unmodelled::Unknown(why)
    }
}

impl From<&str> for Unmodelled {
    fn from(why: &str) -> Unmodelled {
        Unmodelled::Unknown(why.to_owned())
    }
}

/// `rule` broken, when `sure`; otherwise only not modelled.
fn fails(sure: bool, rule: Rule, message: String) -> Unmodelled {
    if sure {
        Unmodelled::Fails(rule, message)
    } else {
        Unmodelled::Unknown(message)
    }
}

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
        Some(Relation::Other) | None => false,
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

/// `name`, or `schema.name` outside the default schema.
fn shown(schema: &str, name: &str) -> String {
    if schema == DEFAULT_SCHEMA {
        name.to_owned()
    } else {
        format!("{schema}.{name}")
    }
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
        N::ViewStmt(s) => {
            if let Some(r) = &s.view {
                let (schema, name) = range_name(r);
                state.set_relation(&schema, &name, Some(Relation::Other));
            }
            // The tables its query reads do not change.
            let why = "a view (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
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
        N::CreateSeqStmt(s) => {
            if let Some(r) = &s.sequence {
                let (schema, name) = range_name(r);
                state.set_relation(&schema, &name, Some(Relation::Sequence(None)));
            }
            Ok(())
        }
        N::CreateFunctionStmt(f) => {
            if function_body_runs_ddl(f)
                && let Some(name) = strings(&f.funcname).pop()
            {
                state.note_ddl_function(&name);
            }
            let why = "a function (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        N::CompositeTypeStmt(t) => {
            if let Some(r) = &t.typevar {
                let (schema, name) = range_name(r);
                state.note_other_type(&schema, &name);
            }
            let why = "a composite type (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        N::CreateDomainStmt(d) => {
            if let Some((schema, name)) = list_name(&strings(&d.domainname)) {
                state.note_other_type(&schema, &name);
            }
            let why = "a domain (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        N::CreateRangeStmt(r) => {
            if let Some((schema, name)) = list_name(&strings(&r.type_name)) {
                state.note_other_type(&schema, &name);
            }
            let why = "a range type (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
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
            // The old name stays, unsure, so nothing is reported about it.
            state.taint(at, Scope::Schema, Some(m.newschema.clone()), why.clone());
            return Err(why.into());
        }
        // Objects the model does not hold yet, made or changed without
        // touching what it does hold.
        N::AlterFunctionStmt(_)
        | N::CreateTrigStmt(_)
        | N::AlterSeqStmt(_)
        | N::CreatePolicyStmt(_)
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
            return Err(why.into());
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
            return Err(why.into());
        }
    };
    if let Err(Unmodelled::Fails(rule, message)) = &result {
        state.findings.push(Finding {
            rule: *rule,
            at: at.clone(),
            message: message.clone(),
        });
        // The server refuses the whole statement, so it changes nothing:
        // what the fold applied of it goes back, and the model stays sure.
        if let Some(mark) = undo {
            state.undo_to(mark);
            return result;
        }
    }
    let tainted = state
        .coverage
        .taints
        .last()
        .is_some_and(|t| t.epoch == state.epoch);
    // A statement on tables the model holds that it could not apply
    // leaves those tables unsure (an index with an operator class, a
    // constraint on a missing column).
    if let Err(e) = &result
        && !tainted
    {
        let why = e.why().to_owned();
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
        match nearest_name(name, &t.name, names) {
            Some(Near::Renamed(n)) => Some(format!(
                "; table {} has the index {n}: a renamed table keeps the names of its constraints and indexes, so use that name, or rename the index first",
                shown(&t.schema, &t.name)
            )),
            _ => None,
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
    if let Err(why) = add_constraints(state, id, &pending) {
        unsure.get_or_insert(why);
    }
    match unsure {
        Some(why) => {
            state.taint_table(id, at, why.why().to_owned());
            Err(why)
        }
        None => Ok(()),
    }
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
    };
    if let Some(int) = serial_type(t) {
        let (schema, seq) = owned_sequence(state, id, &c.colname);
        column.data_type = int.to_owned();
        column.nullable = false;
        let qualified = if schema == DEFAULT_SCHEMA {
            seq.clone()
        } else {
            format!("{schema}.{seq}")
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
            ConstrType::ConstrAttrDeferrable
            | ConstrType::ConstrAttrNotDeferrable
            | ConstrType::ConstrAttrDeferred
            | ConstrType::ConstrAttrImmediate
            | ConstrType::ConstrAttrEnforced
            | ConstrType::ConstrAttrNotEnforced => {}
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
                _ if kind == ConstrType::ConstrCheck => Err(Unmodelled::from(
                    "a constraint the model does not hold (exclusion or other)",
                )),
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
    let (schema, table) = table_names(state, id);
    for c in &columns {
        if state.table(id).column(c).is_none() {
            return Err(missing_column(state, id, c));
        }
    }
    let name = if !k.conname.is_empty() {
        k.conname.clone()
    } else if primary {
        choose(&table, None, "pkey", |n| state.relation_taken(&schema, n))
    } else {
        let names = index_column_names(&columns);
        choose(&table, Some(&columns_part(&names)), "key", |n| {
            state.relation_taken(&schema, n)
        })
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
    if primary {
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
    let mut first_error = None;
    for cmd in &s.cmds {
        let Some(N::AlterTableCmd(cmd)) = cmd.node.as_ref() else {
            continue;
        };
        if let Err(why) = alter_command(state, id, cmd) {
            first_error.get_or_insert(why);
        }
    }
    match first_error {
        Some(why) => {
            state.taint_table(id, at, why.why().to_owned());
            Err(why)
        }
        None => Ok(()),
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
            add_constraints(state, id, &pending)
        }
        AlterTableType::AtDropColumn => {
            if state.table(id).column(&cmd.name).is_none() {
                return if cmd.missing_ok {
                    Ok(())
                } else {
                    Err(missing_column(state, id, &cmd.name))
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
                return Err(Unmodelled::from("ALTER COLUMN TYPE without a type"));
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

/// A column that is not in a table.
fn missing_column(state: &State, id: TableId, name: &str) -> Unmodelled {
    let t = state.table(id);
    let near = t
        .columns
        .iter()
        .map(|c| (super::state::edit_distance(&c.name, name), &c.name))
        .filter(|(d, _)| *d <= (name.chars().count() / 4).max(2))
        .min()
        .map_or(String::new(), |(_, n)| {
            format!("; the nearest column is {n}, check the name")
        });
    fails(
        state.is_certain(id),
        Rule::Missing,
        format!(
            "column {name} of table {} does not exist at this point of the chain{near}",
            shown(&t.schema, &t.name)
        ),
    )
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
    let mut first_error = None;
    for object in &s.objects {
        let names = object_names(object);
        let result = match s.remove_type() {
            ObjectType::ObjectTable => drop_relation(state, &names, s.missing_ok, "table"),
            ObjectType::ObjectIndex => drop_relation(state, &names, s.missing_ok, "index"),
            ObjectType::ObjectSequence => drop_relation(state, &names, s.missing_ok, "sequence"),
            ObjectType::ObjectView | ObjectType::ObjectMatview => {
                drop_relation(state, &names, s.missing_ok, "view")
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
                Err(why.into())
            }
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
            state.drop_table(id);
            Ok(())
        }
        Some(Relation::Index(id)) => {
            state.set_relation(&schema, &name, None);
            state.table_mut(id).indexes.retain(|i| i.name != name);
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
        | ObjectType::ObjectView => {
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
            if state.table(id).column(&e.name).is_none() {
                return Err(missing_column(state, id, &e.name));
            }
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
            return Err(Unmodelled::from(
                "an index key with a collation, operator class or order",
            ));
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
    if !s.index_including_params.is_empty() {
        return Err(Unmodelled::from("an index with INCLUDE columns"));
    }
    state.set_relation(&schema, &name, Some(Relation::Index(id)));
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
