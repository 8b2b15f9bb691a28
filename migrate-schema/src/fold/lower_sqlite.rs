//! SQLite statements, read from sqlparser's AST, applied to the fold's
//! [`State`]: tables, columns, constraints with the index names SQLite
//! gives keys (`sqlite_autoindex_<table>_<N>`), indexes, and views known by
//! name; anything else taints the narrowest scope it names.
//!
//! SQLite compares names without regard to ASCII case, so the relation
//! names this module registers are lower-cased keys, while tables, columns
//! and indexes keep the spelling they were created with (the one
//! introspection reads back). Constraints SQLite does not name keep an
//! empty name, which [`State::to_schema`] leaves out.

use sqlparser::ast::{
    self, AlterTableOperation, AssignmentTarget, ColumnOption, DataType, FromTable, ObjectName,
    ObjectType, RenameTableNameKind, Statement, TableConstraint, TableFactor, TableObject,
};
use sqlparser::dialect::SQLiteDialect;
use sqlparser::tokenizer::{Token, Tokenizer};

use super::outcome::{Unmodelled, apply_parts, fails, missing_column, settle};
use super::state::{
    CheckState, ColumnState, DEFAULT_SCHEMA, Expr, ExprTree, ForeignKeyState, IndexKeyState,
    IndexState, KeyState, Relation, Scope, State, StmtRef, TableId, TableState,
};
use crate::model::{FkAction, Identity};
use migrate_core::sql::Dialect;
use migrate_core::{Rule, quote_ident};

/// A relation name as SQLite compares it.
fn key(name: &str) -> String {
    name.to_ascii_lowercase()
}

/// The relation `name` stands for in `main`, compared as SQLite compares.
fn relation(state: &State, name: &str) -> Option<Relation> {
    state.relation(DEFAULT_SCHEMA, &key(name))
}

fn set_relation(state: &mut State, name: &str, to: Option<Relation>) {
    state.set_relation(DEFAULT_SCHEMA, &key(name), to);
}

/// The name SQLite gives the index of a table's `n`-th key.
pub fn autoindex_name(table: &str, n: usize) -> String {
    format!("sqlite_autoindex_{table}_{n}")
}

/// Whether the fold is sure a relation name is taken, and by what.
fn relation_is_certain(state: &State, name: &str) -> bool {
    match relation(state, name) {
        Some(Relation::Table(t) | Relation::Index(t) | Relation::KeyIndex(t)) => {
            state.is_certain(t)
        }
        Some(Relation::Sequence(_) | Relation::Other) | None => false,
    }
}

/// What a relation name stands for, in words.
fn relation_kind(r: Relation) -> &'static str {
    match r {
        Relation::Table(_) => "table",
        Relation::Index(_) => "index",
        Relation::KeyIndex(_) => "index of a key constraint",
        Relation::Sequence(_) => "sequence",
        Relation::Other => "view",
    }
}

/// A name that is not in the model: missing when nothing unmodelled could
/// have made it.
fn missing(state: &State, name: &str, kind: &str) -> Unmodelled {
    let sure = state.absent_is_certain(DEFAULT_SCHEMA) && relation(state, name).is_none();
    let near = state.nearest_relation(DEFAULT_SCHEMA, &key(name), |r| {
        relation_kind(r) == kind || (kind == "index" && matches!(r, Relation::KeyIndex(_)))
    });
    let hint = match near {
        Some(n) => format!("; the nearest {kind} here is {n}, check the name"),
        None => String::new(),
    };
    fails(
        sure,
        Rule::Missing,
        format!("{kind} {name} does not exist at this point of the chain{hint}"),
    )
}

/// `there is already a … named …`, as a finding when the fold is sure.
fn relation_exists(state: &State, name: &str, fix: &str) -> Unmodelled {
    let kind = relation(state, name).map_or("relation", relation_kind);
    fails(
        relation_is_certain(state, name),
        Rule::Exists,
        format!("{kind} {name} already exists here; {fix}"),
    )
}

/// `duplicate column name`, as a finding when the fold is sure.
fn column_exists(state: &State, id: TableId, name: &str) -> Unmodelled {
    let t = state.table(id);
    fails(
        state.is_certain(id),
        Rule::Exists,
        format!(
            "column {name} of table {} already exists here; give the column another name, or drop the old one first",
            t.name
        ),
    )
}

/// The column of `t` named `name` as SQLite compares names, spelled as
/// the table has it.
fn find_column(t: &TableState, name: &str) -> Option<String> {
    t.columns
        .iter()
        .find(|c| c.name.eq_ignore_ascii_case(name))
        .map(|c| c.name.clone())
}

/// Folds one parsed statement into `state`. Returns whether every effect of
/// it is in the model; otherwise the taint is recorded.
pub fn apply(state: &mut State, statements: &[Statement], sql: &str, at: &StmtRef) -> bool {
    state.begin_statement();
    let mut all = true;
    for s in statements {
        if statement(state, s, sql, at).is_err() {
            all = false;
        }
    }
    if all {
        state.coverage.modelled += 1;
    }
    all
}

/// Records a statement that sqlparser could not read: the whole model
/// becomes unsure, save what SQLite only knows by name (a trigger).
pub fn taint_unparsed(state: &mut State, sql: &str, at: &StmtRef, why: String) {
    state.begin_statement();
    let words: Vec<String> = sql
        .split_whitespace()
        .take(4)
        .map(str::to_ascii_uppercase)
        .collect();
    let is = |w: &[&str]| words.iter().zip(w).all(|(a, b)| a == b) && words.len() >= w.len();
    if is(&["CREATE", "TRIGGER"]) || is(&["CREATE", "TEMP", "TRIGGER"]) || is(&["DROP", "TRIGGER"])
    {
        // A trigger's body runs rows through DML only; it changes no shape.
        state.taint(at, Scope::Unmodelled, None, why);
        return;
    }
    state.taint(at, Scope::World, None, why);
}

/// A `-- migrate:no-check` statement: the tables it names become unsure,
/// or the whole model when it names none.
pub fn taint_named(state: &mut State, sql: &str, at: &StmtRef) {
    state.begin_statement();
    let why = "a statement under `-- migrate:no-check`".to_owned();
    let named = named_tables(state, sql);
    if named.is_empty() {
        state.taint(at, Scope::World, None, why.clone());
    }
    for id in named {
        state.taint_table(id, at, why.clone());
    }
}

/// The tables in the model whose names appear as words in `sql`.
fn named_tables(state: &State, sql: &str) -> Vec<TableId> {
    let mut out = Vec::new();
    let Ok(tokens) = Tokenizer::new(&SQLiteDialect {}, sql).tokenize() else {
        return out;
    };
    for t in tokens {
        if let Token::Word(w) = t
            && let Some(Relation::Table(id)) = relation(state, &w.value)
            && !out.contains(&id)
        {
            out.push(id);
        }
    }
    out
}

fn statement(state: &mut State, s: &Statement, sql: &str, at: &StmtRef) -> Result<(), Unmodelled> {
    let undo = state.statement_mark();
    let result = match s {
        Statement::CreateTable(c) => create_table(state, c, at),
        Statement::AlterTable(a) => alter_table(state, a, at),
        Statement::CreateIndex(c) => create_index(state, c),
        Statement::Drop {
            object_type,
            if_exists,
            names,
            ..
        } => drop(state, *object_type, *if_exists, names, at),
        Statement::CreateView(v) => {
            let name = table_name(&v.name)?;
            if relation(state, &name).is_some() {
                if v.if_not_exists {
                    return Ok(());
                }
                Err(relation_exists(
                    state,
                    &name,
                    "add IF NOT EXISTS, or drop it first",
                ))
            } else {
                set_relation(state, &name, Some(Relation::Other));
                // The tables its query reads do not change.
                let why = "a view (known by name only)".to_owned();
                state.taint(at, Scope::Unmodelled, None, why.clone());
                return Err(why.into());
            }
        }
        Statement::CreateVirtualTable {
            name,
            if_not_exists,
            ..
        } => {
            let name = table_name(name)?;
            if relation(state, &name).is_some() {
                if *if_not_exists {
                    return Ok(());
                }
                Err(relation_exists(
                    state,
                    &name,
                    "add IF NOT EXISTS, or drop it first",
                ))
            } else {
                // Its module's shadow tables are SQLite's, not the schema's.
                set_relation(state, &name, Some(Relation::Other));
                let why = "a virtual table (known by name only)".to_owned();
                state.taint(at, Scope::Unmodelled, None, why.clone());
                return Err(why.into());
            }
        }
        Statement::CreateTrigger(_) | Statement::DropTrigger(_) => {
            // A trigger's body runs DML only; it changes no shape.
            let why = "a trigger (not modelled yet)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        Statement::Insert(i) => match &i.table {
            TableObject::TableName(name) => {
                let columns: Vec<String> = i
                    .columns
                    .iter()
                    .filter_map(|c| c.0.last().and_then(|p| p.as_ident()))
                    .map(|c| c.value.clone())
                    .collect();
                data_target(state, name, &columns)
            }
            _ => Ok(()),
        },
        Statement::Update(u) => match &u.table.relation {
            TableFactor::Table { name, .. } => {
                let columns: Vec<String> = u
                    .assignments
                    .iter()
                    .filter_map(|a| match &a.target {
                        AssignmentTarget::ColumnName(c) => {
                            c.0.last()
                                .and_then(|p| p.as_ident())
                                .map(|c| c.value.clone())
                        }
                        AssignmentTarget::Tuple(_) => None,
                    })
                    .collect();
                data_target(state, name, &columns)
            }
            _ => Ok(()),
        },
        Statement::Delete(d) => {
            let from = match &d.from {
                FromTable::WithFromKeyword(t) | FromTable::WithoutKeyword(t) => t,
            };
            match from.first().map(|t| &t.relation) {
                Some(TableFactor::Table { name, .. }) => data_target(state, name, &[]),
                _ => Ok(()),
            }
        }
        Statement::Pragma { name, .. } => {
            let pragma = name.to_string().to_ascii_lowercase();
            if pragma.ends_with("writable_schema") || pragma.ends_with("legacy_alter_table") {
                // Edits of sqlite_schema itself, or renames by SQLite's
                // old rules: anything may change.
                let why = format!("PRAGMA {pragma}");
                state.taint(at, Scope::World, None, why.clone());
                return Err(why.into());
            }
            Ok(())
        }
        // Data and session statements change no schema object.
        Statement::Query(_)
        | Statement::StartTransaction { .. }
        | Statement::Commit { .. }
        | Statement::Rollback { .. }
        | Statement::Savepoint { .. }
        | Statement::ReleaseSavepoint { .. }
        | Statement::Analyze(_)
        | Statement::Vacuum(_) => Ok(()),
        Statement::AttachDatabase { .. } | Statement::DetachDuckDBDatabase { .. } => {
            // Another database's objects are not `main`'s.
            let why = "ATTACH (another database is not modelled)".to_owned();
            state.taint(at, Scope::Unmodelled, None, why.clone());
            return Err(why.into());
        }
        // Anything else may change what it names: those tables become
        // unsure, or everything when it names none.
        other => {
            let kind: String = other
                .to_string()
                .split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ");
            let why = format!("{kind} (not modelled yet)");
            let named = named_tables(state, sql);
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
    // leaves those tables unsure.
    settle(state, &result, undo, at, |state| named_tables(state, sql));
    result
}

/// A table name in `main`: `name` or `main.name`. Another schema (`temp`,
/// an attached database) is not modelled.
fn table_name(name: &ObjectName) -> Result<String, Unmodelled> {
    let parts: Vec<&ast::Ident> = name.0.iter().filter_map(|p| p.as_ident()).collect();
    if parts.len() != name.0.len() {
        return Err(format!("a name the model cannot read ({name})").into());
    }
    match parts.as_slice() {
        [n] => Ok(n.value.clone()),
        [s, n] if s.value.eq_ignore_ascii_case("main") => Ok(n.value.clone()),
        _ => Err(format!("{name}: an object outside the main database (not modelled)").into()),
    }
}

/// The table `name`, or why it is not one.
fn table_of(state: &State, name: &str) -> Result<TableId, Unmodelled> {
    match relation(state, name) {
        Some(Relation::Table(id)) => Ok(id),
        Some(Relation::Other) => Err(format!("{name} is a view, not a table").into()),
        Some(other) => Err(fails(
            relation_is_certain(state, name),
            Rule::Missing,
            format!(
                "{name} is an {}, not a table; name the table",
                relation_kind(other)
            ),
        )),
        None => Err(missing(state, name, "table")),
    }
}

/// The table an INSERT, UPDATE or DELETE writes, and the columns it names,
/// must exist. The rows are not modelled, so nothing changes.
fn data_target(state: &State, name: &ObjectName, columns: &[String]) -> Result<(), Unmodelled> {
    let name = table_name(name)?;
    let id = match relation(state, &name) {
        Some(Relation::Table(id)) => id,
        Some(_) => return Ok(()),
        None => return Err(missing(state, &name, "table")),
    };
    for c in columns {
        if find_column(state.table(id), c).is_none() {
            return Err(missing_column(state, id, c));
        }
    }
    Ok(())
}

// ---------------------------------------------------------- expressions

/// An expression's SQL as sqlparser writes it, with the columns of table
/// `t` it names.
fn expr(t: &TableState, e: &ast::Expr) -> Expr {
    let sql = e.to_string();
    Expr {
        columns: referenced_columns(t, &sql),
        sql,
        tree: ExprTree::default(),
    }
}

/// A default as SQLite keeps it: `DEFAULT (x)` without its parentheses.
fn default_expr(t: &TableState, e: &ast::Expr) -> Expr {
    match e {
        ast::Expr::Nested(inner) => expr(t, inner),
        other => expr(t, other),
    }
}

/// The words of `sql` that name a column of `t` (not a function), in
/// order of appearance, spelled as the table has them.
fn referenced_columns(t: &TableState, sql: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let Ok(tokens) = Tokenizer::new(&SQLiteDialect {}, sql).tokenize() else {
        return out;
    };
    for (i, token) in tokens.iter().enumerate() {
        if let Token::Word(w) = token
            && !is_call(&tokens, i)
            && let Some(c) = find_column(t, &w.value)
            && !out.contains(&c)
        {
            out.push(c);
        }
    }
    out
}

/// Whether the word at `i` is a function's name (followed by `(`).
fn is_call(tokens: &[Token], i: usize) -> bool {
    tokens[i + 1..]
        .iter()
        .find(|t| !matches!(t, Token::Whitespace(_)))
        .is_some_and(|t| matches!(t, Token::LParen))
}

/// Renames column `old` to `new` inside an expression that names it, as
/// SQLite rewrites the `CREATE` texts.
fn rename_in_expr(e: &mut Expr, old: &str, new: &str) -> Result<(), Unmodelled> {
    if !e.columns.iter().any(|c| c.eq_ignore_ascii_case(old)) {
        return Ok(());
    }
    let tokens = Tokenizer::new(&SQLiteDialect {}, &e.sql)
        .tokenize()
        .map_err(|_| format!("column {old} renamed inside an expression the fold cannot read"))?;
    let mut sql = String::new();
    for (i, token) in tokens.iter().enumerate() {
        match token {
            Token::Word(w) if w.value.eq_ignore_ascii_case(old) && !is_call(&tokens, i) => {
                sql.push_str(&quote_ident(new, Dialect::Sqlite));
            }
            other => sql.push_str(&other.to_string()),
        }
    }
    e.sql = sql;
    for c in &mut e.columns {
        if c.eq_ignore_ascii_case(old) {
            *c = new.to_owned();
        }
    }
    Ok(())
}

// --------------------------------------------------------------- tables

/// A key constraint read from the statement, before it is numbered.
struct PendingKey {
    primary: bool,
    name: String,
    columns: Vec<String>,
    /// A column constraint `PRIMARY KEY` on a column typed `INTEGER`
    /// (without `DESC`), or a table one naming such a column: the rowid.
    rowid: bool,
}

/// A constraint read from the statement, in the order SQLite reads it.
enum Pending<'a> {
    Key(PendingKey),
    Check(Option<&'a ast::Ident>, &'a ast::Expr),
    Foreign(
        Option<&'a ast::Ident>,
        Vec<String>,
        &'a ast::ForeignKeyConstraint,
    ),
}

fn create_table(state: &mut State, c: &ast::CreateTable, at: &StmtRef) -> Result<(), Unmodelled> {
    let name = table_name(&c.name)?;
    if c.temporary {
        // A temporary table lives in `temp` and goes at the session's end:
        // known by name only, so that what uses it is not missing.
        if relation(state, &name).is_none() {
            set_relation(state, &name, Some(Relation::Other));
        }
        return Err("a temporary table".into());
    }
    if relation(state, &name).is_some() {
        if c.if_not_exists {
            return Ok(());
        }
        return Err(relation_exists(
            state,
            &name,
            "add IF NOT EXISTS, or drop it first",
        ));
    }
    if key(&name).starts_with("sqlite_") {
        return Err("a name SQLite reserves for itself".into());
    }
    if c.query.is_some() || c.like.is_some() || c.clone.is_some() {
        set_relation(state, &name, Some(Relation::Other));
        let why = "a table made from a query (not modelled yet)".to_owned();
        state.taint(at, Scope::Unmodelled, None, why.clone());
        return Err(why.into());
    }
    let epoch = state.epoch;
    let id = state.insert_table(TableState::empty(
        DEFAULT_SCHEMA.to_owned(),
        name.clone(),
        epoch,
    ));
    // `insert_table` registers the name as spelled; SQLite's key is the
    // lower-cased one.
    if key(&name) != name {
        state.set_relation(DEFAULT_SCHEMA, &name, None);
        set_relation(state, &name, Some(Relation::Table(id)));
    }
    let mut unsure: Option<Unmodelled> = None;
    let mut pending = Vec::new();
    for def in &c.columns {
        if let Err(why) = add_column(state, id, def, &mut pending, c.without_rowid) {
            unsure.get_or_insert(why);
        }
    }
    for k in &c.constraints {
        if let Err(why) = table_constraint(state, id, k, &mut pending, c.without_rowid) {
            unsure.get_or_insert(why);
        }
    }
    if let Err(why) = add_constraints(state, id, pending, c.without_rowid) {
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

/// Whether a declared type makes a lone primary key column the rowid.
fn is_integer(t: &DataType) -> bool {
    match t {
        DataType::Integer(None) => true,
        DataType::Custom(name, args) => {
            args.is_empty()
                && name.0.len() == 1
                && name.0[0]
                    .as_ident()
                    .is_some_and(|i| i.value.eq_ignore_ascii_case("integer"))
        }
        _ => false,
    }
}

/// Adds a column from its definition; its key, check and foreign-key
/// constraints go to `pending`, in the order written.
fn add_column<'a>(
    state: &mut State,
    id: TableId,
    def: &'a ast::ColumnDef,
    pending: &mut Vec<Pending<'a>>,
    without_rowid: bool,
) -> Result<(), Unmodelled> {
    let name = def.name.value.clone();
    if find_column(state.table(id), &name).is_some() {
        return Err(column_exists(state, id, &name));
    }
    let mut column = ColumnState {
        name: name.clone(),
        data_type: def.data_type.to_string(),
        nullable: true,
        default: None,
        identity: None,
        generated: None,
        comment: None,
        sequence: None,
        not_null_name: None,
        collation: None,
    };
    // SQLite's `PRIMARY KEY DESC` (sqlparser gives the order as a
    // separate option) keeps a lone INTEGER key from being the rowid.
    let desc = def.options.iter().any(|o| {
        matches!(&o.option, ColumnOption::DialectSpecific(tokens)
            if tokens.iter().any(|t| matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("DESC"))))
    });
    let mut unsure: Option<Unmodelled> = None;
    for option in &def.options {
        let constraint_name = option.name.as_ref();
        match &option.option {
            ColumnOption::Null => column.nullable = true,
            ColumnOption::NotNull => column.nullable = false,
            ColumnOption::Default(e) => {
                column.default = Some(default_expr(state.table(id), e));
            }
            ColumnOption::PrimaryKey(pk) => {
                column.nullable = false;
                pending.push(Pending::Key(PendingKey {
                    primary: true,
                    name: constraint_name
                        .or(pk.name.as_ref())
                        .map_or(String::new(), |n| n.value.clone()),
                    columns: vec![name.clone()],
                    rowid: !without_rowid && !desc && is_integer(&def.data_type),
                }));
            }
            ColumnOption::Unique(u) => pending.push(Pending::Key(PendingKey {
                primary: false,
                name: constraint_name
                    .or(u.name.as_ref())
                    .map_or(String::new(), |n| n.value.clone()),
                columns: vec![name.clone()],
                rowid: false,
            })),
            ColumnOption::ForeignKey(fk) => pending.push(Pending::Foreign(
                constraint_name.or(fk.name.as_ref()),
                vec![name.clone()],
                fk,
            )),
            ColumnOption::Check(k) => {
                pending.push(Pending::Check(constraint_name.or(k.name.as_ref()), &k.expr))
            }
            ColumnOption::Generated {
                generation_expr: Some(e),
                ..
            } => column.generated = Some(expr(state.table(id), e)),
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().any(|t| {
                    matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("AUTOINCREMENT"))
                }) =>
            {
                column.identity = Some(Identity::ByDefault);
            }
            ColumnOption::Identity(ast::IdentityPropertyKind::Autoincrement(_)) => {
                column.identity = Some(Identity::ByDefault);
            }
            ColumnOption::DialectSpecific(tokens)
                if tokens.iter().all(|t| {
                    matches!(t, Token::Word(w) if w.value.eq_ignore_ascii_case("ASC") || w.value.eq_ignore_ascii_case("DESC"))
                }) => {}
            ColumnOption::Collation(c) => {
                column.collation = c.0.last().and_then(|p| p.as_ident()).map(|i| i.value.clone());
            }
            ColumnOption::OnConflict(_) => {}
            other => {
                unsure.get_or_insert(
                    format!("a column option the model does not hold ({other})").into(),
                );
            }
        }
    }
    state.table_mut(id).columns.push(column);
    unsure.map_or(Ok(()), Err)
}

/// Plain column names of a key, or why the key is not modelled.
fn key_columns(columns: &[ast::IndexColumn]) -> Result<Vec<String>, Unmodelled> {
    columns
        .iter()
        .map(|c| match &c.column.expr {
            ast::Expr::Identifier(i) if c.operator_class.is_none() => Ok(i.value.clone()),
            _ => Err(Unmodelled::from(
                "a key on an expression or with a collation (not modelled yet)",
            )),
        })
        .collect()
}

fn table_constraint<'a>(
    state: &State,
    id: TableId,
    k: &'a TableConstraint,
    pending: &mut Vec<Pending<'a>>,
    without_rowid: bool,
) -> Result<(), Unmodelled> {
    match k {
        TableConstraint::PrimaryKey(pk) => {
            let columns = key_columns(&pk.columns)?;
            let rowid = !without_rowid
                && columns.len() == 1
                && state
                    .table(id)
                    .columns
                    .iter()
                    .find(|c| c.name.eq_ignore_ascii_case(&columns[0]))
                    .is_some_and(|c| c.data_type.eq_ignore_ascii_case("integer"));
            pending.push(Pending::Key(PendingKey {
                primary: true,
                name: pk.name.as_ref().map_or(String::new(), |n| n.value.clone()),
                columns,
                rowid,
            }));
        }
        TableConstraint::Unique(u) => {
            let columns = key_columns(&u.columns)?;
            pending.push(Pending::Key(PendingKey {
                primary: false,
                name: u.name.as_ref().map_or(String::new(), |n| n.value.clone()),
                columns,
                rowid: false,
            }));
        }
        TableConstraint::ForeignKey(fk) => pending.push(Pending::Foreign(
            fk.name.as_ref(),
            fk.columns.iter().map(|c| c.value.clone()).collect(),
            fk,
        )),
        TableConstraint::Check(c) => pending.push(Pending::Check(c.name.as_ref(), &c.expr)),
        other => return Err(format!("a constraint the model does not hold ({other})").into()),
    }
    Ok(())
}

/// Adds the constraints in the order SQLite reads them, numbering the
/// indexes of keys: `sqlite_autoindex_<table>_<N>`, N from 1. A UNIQUE on
/// the columns of an earlier key is merged into it (no number); a primary
/// key on the columns of an earlier UNIQUE takes over its index; the rowid
/// takes no number; a WITHOUT ROWID table's primary key takes one but is
/// the table itself, with no index of its own.
fn add_constraints(
    state: &mut State,
    id: TableId,
    pending: Vec<Pending<'_>>,
    without_rowid: bool,
) -> Result<(), Unmodelled> {
    let mut first_error = None;
    let table = state.table(id).name.clone();
    let mut n = state.table(id).uniques.len() + usize::from(state.table(id).primary_key.is_some());
    for p in pending {
        let result = match p {
            Pending::Key(k) => add_key(state, id, &table, k, &mut n, without_rowid),
            Pending::Check(name, e) => add_check(state, id, name, e),
            Pending::Foreign(name, columns, fk) => add_foreign_key(state, id, name, columns, fk),
        };
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

fn same_columns(a: &[String], b: &[String]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| x.eq_ignore_ascii_case(y))
}

fn add_key(
    state: &mut State,
    id: TableId,
    table: &str,
    k: PendingKey,
    n: &mut usize,
    without_rowid: bool,
) -> Result<(), Unmodelled> {
    let mut columns = Vec::new();
    for c in &k.columns {
        match find_column(state.table(id), c) {
            Some(c) => columns.push(c),
            None => return Err(missing_column(state, id, c)),
        }
    }
    let t = state.table(id);
    if k.primary {
        if t.primary_key.is_some() {
            return Err(format!("table {table} has more than one primary key").into());
        }
        let merged = if k.rowid {
            None
        } else {
            t.uniques
                .iter()
                .position(|u| same_columns(&u.columns, &columns))
        };
        let t = state.table_mut(id);
        for c in &columns {
            if let Some(col) = t.column_mut(c) {
                col.nullable = false;
            }
        }
        if let Some(i) = merged {
            // The UNIQUE's index becomes the primary key's.
            t.uniques.remove(i);
        } else if !k.rowid {
            *n += 1;
            if !without_rowid {
                set_relation(
                    state,
                    &autoindex_name(table, *n),
                    Some(Relation::KeyIndex(id)),
                );
            }
        }
        state.table_mut(id).primary_key = Some(KeyState {
            name: k.name,
            deferral: Default::default(),
            columns,
        });
        return Ok(());
    }
    let pk_index = t
        .primary_key
        .as_ref()
        .filter(|pk| {
            // The rowid has no index to merge into.
            !(pk.columns.len() == 1
                && !without_rowid
                && t.column(&pk.columns[0])
                    .is_some_and(|c| c.data_type.eq_ignore_ascii_case("integer")))
        })
        .is_some_and(|pk| same_columns(&pk.columns, &columns));
    if pk_index || t.uniques.iter().any(|u| same_columns(&u.columns, &columns)) {
        return Ok(());
    }
    *n += 1;
    set_relation(
        state,
        &autoindex_name(table, *n),
        Some(Relation::KeyIndex(id)),
    );
    state.table_mut(id).uniques.push(KeyState {
        name: k.name,
        deferral: Default::default(),
        columns,
    });
    Ok(())
}

fn add_check(
    state: &mut State,
    id: TableId,
    name: Option<&ast::Ident>,
    e: &ast::Expr,
) -> Result<(), Unmodelled> {
    let expression = expr(state.table(id), e);
    state.table_mut(id).checks.push(CheckState {
        name: name.map_or(String::new(), |n| n.value.clone()),
        not_valid: false,
        expression,
    });
    Ok(())
}

fn fk_action(a: Option<ast::ReferentialAction>) -> FkAction {
    match a {
        Some(ast::ReferentialAction::Cascade) => FkAction::Cascade,
        Some(ast::ReferentialAction::Restrict) => FkAction::Restrict,
        Some(ast::ReferentialAction::SetNull) => FkAction::SetNull,
        Some(ast::ReferentialAction::SetDefault) => FkAction::SetDefault,
        Some(ast::ReferentialAction::NoAction) | None => FkAction::NoAction,
    }
}

/// A foreign key. SQLite does not look at the referenced table until a row
/// is written, so one to a table the model does not hold is not an error:
/// only not modelled.
fn add_foreign_key(
    state: &mut State,
    id: TableId,
    name: Option<&ast::Ident>,
    columns: Vec<String>,
    fk: &ast::ForeignKeyConstraint,
) -> Result<(), Unmodelled> {
    let mut own = Vec::new();
    for c in &columns {
        match find_column(state.table(id), c) {
            Some(c) => own.push(c),
            None => return Err(missing_column(state, id, c)),
        }
    }
    let target = table_name(&fk.foreign_table)?;
    let Some(Relation::Table(ref_table)) = relation(state, &target) else {
        return Err(format!(
            "a foreign key to {target}, a table the model does not hold (not modelled)"
        )
        .into());
    };
    let mut ref_columns: Vec<String> = fk
        .referred_columns
        .iter()
        .map(|c| c.value.clone())
        .collect();
    if ref_columns.is_empty() {
        ref_columns = state
            .table(ref_table)
            .primary_key
            .as_ref()
            .map(|k| k.columns.clone())
            .unwrap_or_default();
    }
    state.note_reference(id, ref_table);
    state.table_mut(id).foreign_keys.push(ForeignKeyState {
        name: name.map_or(String::new(), |n| n.value.clone()),
        deferral: Default::default(),
        not_valid: false,
        columns: own,
        ref_table,
        ref_columns,
        on_delete: fk_action(fk.on_delete),
        on_update: fk_action(fk.on_update),
    });
    Ok(())
}

// ---------------------------------------------------------- ALTER TABLE

fn alter_table(state: &mut State, a: &ast::AlterTable, at: &StmtRef) -> Result<(), Unmodelled> {
    let name = table_name(&a.name)?;
    let id = match relation(state, &name) {
        Some(Relation::Table(id)) => id,
        None if a.if_exists => return Ok(()),
        None => return Err(missing(state, &name, "table")),
        Some(_) => {
            return Err(table_of(state, &name)
                .err()
                .unwrap_or_else(|| "ALTER".into()));
        }
    };
    apply_parts(state, id, at, &a.operations, |state, op| {
        alter_operation(state, id, op)
    })
}

fn alter_operation(
    state: &mut State,
    id: TableId,
    op: &AlterTableOperation,
) -> Result<(), Unmodelled> {
    match op {
        AlterTableOperation::AddColumn {
            if_not_exists,
            column_def,
            ..
        } => {
            if *if_not_exists && find_column(state.table(id), &column_def.name.value).is_some() {
                return Ok(());
            }
            let mut pending = Vec::new();
            add_column(state, id, column_def, &mut pending, false)?;
            if pending.iter().any(|p| matches!(p, Pending::Key(_))) {
                // SQLite refuses it ("Cannot add a PRIMARY KEY column",
                // "Cannot add a UNIQUE column"); its own check says so.
                return Err("ADD COLUMN with PRIMARY KEY or UNIQUE, which SQLite refuses".into());
            }
            add_constraints(state, id, pending, false)
        }
        AlterTableOperation::DropColumn {
            column_names,
            if_exists,
            ..
        } => {
            for c in column_names {
                match find_column(state.table(id), &c.value) {
                    Some(c) => drop_column(state, id, &c)?,
                    None if *if_exists => {}
                    None => return Err(missing_column(state, id, &c.value)),
                }
            }
            Ok(())
        }
        AlterTableOperation::RenameColumn {
            old_column_name,
            new_column_name,
        } => rename_column(state, id, &old_column_name.value, &new_column_name.value),
        AlterTableOperation::RenameTable { table_name: to } => {
            let to = match to {
                RenameTableNameKind::To(n) | RenameTableNameKind::As(n) => table_name(n)?,
            };
            rename_table(state, id, &to)
        }
        other => Err(format!("ALTER TABLE {other} (not modelled yet)").into()),
    }
}

/// Drops a column, unless SQLite refuses to: a column in a key, an index,
/// a foreign key, a generated column or a check stays, and the table is
/// left unsure (SQLite's own check names the refusal).
fn drop_column(state: &mut State, id: TableId, column: &str) -> Result<(), Unmodelled> {
    let t = state.table(id);
    let in_key = t
        .primary_key
        .iter()
        .chain(&t.uniques)
        .any(|k| k.columns.iter().any(|c| c == column));
    let used = t.indexes.iter().any(|i| i.uses(column))
        || t.foreign_keys
            .iter()
            .any(|f| f.columns.iter().any(|c| c == column))
        || t.checks
            .iter()
            .any(|k| k.expression.columns.iter().any(|c| c == column))
        || t.columns
            .iter()
            .filter_map(|c| c.generated.as_ref())
            .any(|g| g.columns.iter().any(|c| c == column));
    if in_key || used {
        return Err(format!(
            "DROP COLUMN {column}, which a key, index, foreign key, check or generated column uses (SQLite refuses, or drops a check with it)"
        )
        .into());
    }
    // Foreign keys of other tables would keep naming the column: SQLite
    // does not look at them until a row is written.
    for other in state.referencing(id) {
        let names = state.table(other).foreign_keys.iter().any(|f| {
            f.ref_table == id && f.ref_columns.iter().any(|c| c.eq_ignore_ascii_case(column))
        });
        if names {
            return Err(format!(
                "DROP COLUMN {column}, which a foreign key of table {} references",
                state.table(other).name
            )
            .into());
        }
    }
    state.table_mut(id).columns.retain(|c| c.name != column);
    Ok(())
}

/// Renames a column everywhere SQLite rewrites it: keys, indexes, checks,
/// generated columns, and foreign keys here and in tables that reference it.
fn rename_column(state: &mut State, id: TableId, old: &str, new: &str) -> Result<(), Unmodelled> {
    let Some(old) = find_column(state.table(id), old) else {
        return Err(missing_column(state, id, old));
    };
    if !old.eq_ignore_ascii_case(new) && find_column(state.table(id), new).is_some() {
        return Err(column_exists(state, id, new));
    }
    let old = old.as_str();
    let mut result = Ok(());
    {
        let t = state.table_mut(id);
        let exprs = t.rename_in_lists(old, new);
        for e in exprs {
            if let Err(why) = rename_in_expr(e, old, new) {
                result = Err(why);
            }
        }
        if let Some(c) = t.column_mut(old) {
            c.name = new.to_owned();
        }
    }
    let mut others = state.referencing(id);
    others.push(id);
    for other in others {
        if !state
            .table(other)
            .foreign_keys
            .iter()
            .any(|f| f.ref_table == id && f.ref_columns.iter().any(|c| c.eq_ignore_ascii_case(old)))
        {
            continue;
        }
        for f in &mut state.table_mut(other).foreign_keys {
            if f.ref_table == id {
                for c in &mut f.ref_columns {
                    if c.eq_ignore_ascii_case(old) {
                        *c = new.to_owned();
                    }
                }
            }
        }
    }
    result
}

/// How many `sqlite_autoindex_<table>_<N>` numbers a table may hold: one
/// per key at most, since SQLite never drops a key.
fn autoindex_count(t: &TableState) -> usize {
    t.uniques.len() + usize::from(t.primary_key.is_some())
}

/// `ALTER TABLE … RENAME TO`: the table and its key indexes take the new
/// name; indexes made by CREATE INDEX keep theirs, and foreign keys that
/// reference it follow it (SQLite rewrites them).
fn rename_table(state: &mut State, id: TableId, to: &str) -> Result<(), Unmodelled> {
    let old = state.table(id).name.clone();
    if key(&old) != key(to) && relation(state, to).is_some() {
        return Err(relation_exists(
            state,
            to,
            "rename to a name that is free, or drop that one first",
        ));
    }
    if key(to).starts_with("sqlite_") {
        return Err("a name SQLite reserves for itself".into());
    }
    let mut moved = Vec::new();
    for n in 1..=autoindex_count(state.table(id)) {
        let from = autoindex_name(&old, n);
        if relation(state, &from) == Some(Relation::KeyIndex(id)) {
            set_relation(state, &from, None);
            moved.push(n);
        }
    }
    set_relation(state, &old, None);
    set_relation(state, to, Some(Relation::Table(id)));
    for n in moved {
        set_relation(state, &autoindex_name(to, n), Some(Relation::KeyIndex(id)));
    }
    state.table_mut(id).name = to.to_owned();
    Ok(())
}

// --------------------------------------------------------------- INDEX

fn create_index(state: &mut State, c: &ast::CreateIndex) -> Result<(), Unmodelled> {
    let table = table_name(&c.table_name)?;
    let name = c
        .name
        .as_ref()
        .ok_or("an index without a name")
        .map_err(Unmodelled::from)
        .and_then(table_name)?;
    let id = table_of(state, &table)?;
    if relation(state, &name).is_some() {
        return if c.if_not_exists {
            Ok(())
        } else {
            Err(relation_exists(
                state,
                &name,
                "give the index another name, add IF NOT EXISTS, or drop the old one first",
            ))
        };
    }
    let mut keys = Vec::new();
    let mut key_options = Vec::new();
    for k in &c.columns {
        if k.operator_class.is_some() {
            return Err("an index key with an operator class".into());
        }
        let mut options = crate::model::IndexKeyOptions {
            descending: matches!(k.column.options.sort, Some(ast::OrderBySort::Desc)),
            nulls_first: k.column.options.nulls_first,
            ..Default::default()
        };
        let e = match &k.column.expr {
            ast::Expr::Collate { expr, collation } => {
                options.collation = collation
                    .0
                    .last()
                    .and_then(|p| p.as_ident())
                    .map(|i| i.value.clone());
                expr.as_ref()
            }
            e => e,
        };
        key_options.push(options);
        match e {
            ast::Expr::Identifier(i) => match find_column(state.table(id), &i.value) {
                Some(col) => keys.push(IndexKeyState::Column(col)),
                None => return Err(missing_column(state, id, &i.value)),
            },
            ast::Expr::Nested(inner) => {
                keys.push(IndexKeyState::Expression(expr(state.table(id), inner)))
            }
            other => keys.push(IndexKeyState::Expression(expr(state.table(id), other))),
        }
    }
    let predicate = c.predicate.as_ref().map(|p| expr(state.table(id), p));
    set_relation(state, &name, Some(Relation::Index(id)));
    state.table_mut(id).indexes.push(IndexState {
        name,
        unique: c.unique,
        keys,
        predicate,
        method: None,
        key_options: if key_options
            .iter()
            .all(crate::model::IndexKeyOptions::is_default)
        {
            Vec::new()
        } else {
            key_options
        },
        include: Vec::new(),
        with: Vec::new(),
    });
    Ok(())
}

// ---------------------------------------------------------------- DROP

fn drop(
    state: &mut State,
    object_type: ObjectType,
    if_exists: bool,
    names: &[ObjectName],
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    let mut first_error = None;
    for n in names {
        let result = table_name(n).and_then(|name| match object_type {
            ObjectType::Table => drop_table(state, &name, if_exists, at),
            ObjectType::Index => drop_index(state, &name, if_exists),
            ObjectType::View => match relation(state, &name) {
                Some(Relation::Other) => {
                    set_relation(state, &name, None);
                    Ok(())
                }
                None if if_exists => Ok(()),
                None => Err(missing(state, &name, "view")),
                Some(r) => Err(fails(
                    relation_is_certain(state, &name),
                    Rule::Missing,
                    format!(
                        "{name} is a {}, not a view; use DROP {}",
                        relation_kind(r),
                        relation_kind(r).to_uppercase()
                    ),
                )),
            },
            other => Err(format!("DROP {other} (not modelled yet)").into()),
        });
        if let Err(e) = result {
            first_error.get_or_insert(e);
        }
    }
    first_error.map_or(Ok(()), Err)
}

/// `DROP TABLE`: the table with its indexes. SQLite keeps the foreign keys
/// of other tables that reference it, by name, so those tables become
/// unsure (a table created later under that name is what they reference).
fn drop_table(
    state: &mut State,
    name: &str,
    if_exists: bool,
    at: &StmtRef,
) -> Result<(), Unmodelled> {
    let id = match relation(state, name) {
        Some(Relation::Table(id)) => id,
        None if if_exists => return Ok(()),
        None => return Err(missing(state, name, "table")),
        Some(Relation::Other) => {
            // A table made from a query, or a virtual table: known by name
            // only (SQLite refuses DROP TABLE of a view, which the syntax
            // check's replay reports).
            set_relation(state, name, None);
            return Ok(());
        }
        Some(r) => {
            return Err(fails(
                relation_is_certain(state, name),
                Rule::Missing,
                format!(
                    "{name} is an {}, not a table; use DROP INDEX",
                    relation_kind(r)
                ),
            ));
        }
    };
    for other in state.referencing(id) {
        let why = format!("a foreign key to dropped table {name} (SQLite keeps it, by name)");
        state.taint_table(other, at, why);
    }
    let t = state.table(id);
    let mut names: Vec<String> = vec![t.name.clone()];
    names.extend(t.indexes.iter().map(|i| i.name.clone()));
    names.extend((1..=autoindex_count(t)).map(|n| autoindex_name(&t.name, n)));
    for n in names {
        let ours = matches!(
            relation(state, &n),
            Some(Relation::Table(t) | Relation::Index(t) | Relation::KeyIndex(t)) if t == id
        );
        if ours {
            set_relation(state, &n, None);
        }
    }
    state.drop_table(id);
    Ok(())
}

fn drop_index(state: &mut State, name: &str, if_exists: bool) -> Result<(), Unmodelled> {
    match relation(state, name) {
        Some(Relation::Index(id)) => {
            set_relation(state, name, None);
            state
                .table_mut(id)
                .indexes
                .retain(|i| !i.name.eq_ignore_ascii_case(name));
            Ok(())
        }
        None if if_exists => Ok(()),
        None => Err(missing(state, name, "index")),
        Some(Relation::KeyIndex(id)) => Err(fails(
            state.is_certain(id),
            Rule::DropDependency,
            format!(
                "index {name} cannot be dropped: it belongs to a UNIQUE or PRIMARY KEY constraint of table {}; SQLite drops it only with the table (rebuild the table without the constraint)",
                state.table(id).name
            ),
        )),
        Some(r) => Err(fails(
            relation_is_certain(state, name),
            Rule::Missing,
            format!(
                "{name} is a {}, not an index; use DROP {}",
                relation_kind(r),
                relation_kind(r).to_uppercase()
            ),
        )),
    }
}
