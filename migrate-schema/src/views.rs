//! Views, materialized views, functions, procedures and triggers: reading
//! their declarations, the token forms they are compared in, and the order
//! they are dropped and created in around the table changes of a diff.
//!
//! These objects are code: the server keeps a view's query in its own form
//! (`pg_get_viewdef` qualifies columns, adds casts, reformats), so a
//! declared `SELECT` cannot be compared with the stored one as text.
//! PostgreSQL views and routines are therefore compared through the
//! server's own form of both sides: introspection reads it for what the
//! database holds, and `migrate_runtime::introspect::settle_declared`
//! creates each declared view as a temporary view (each routine in
//! `pg_temp`) inside a transaction that is rolled back, and reads the same
//! catalogue columns back into [`View::canonical`] and
//! [`Function::canonical`]. Where one side has no such form (SQLite, a
//! declaration that the server cannot create yet, two parsed files), the
//! comparison falls back to the [token form](token_form): keywords and
//! unquoted names in lower case, whitespace and comments dropped.
//!
//! PostgreSQL triggers are compared structurally, without the server: the
//! declared statement and `pg_get_triggerdef` are both put in
//! [`trigger_form`] (`OR REPLACE`, `EXECUTE PROCEDURE`, an omitted `FOR
//! EACH STATEMENT`, `public.` qualifiers, quoted arguments and the `WHEN`
//! condition through [`canonical_expression`]).

use std::collections::{BTreeMap, BTreeSet};

use migrate_core::sql::Dialect;
use sqlparser::dialect::{PostgreSqlDialect, SQLiteDialect};
use sqlparser::tokenizer::{Token, Tokenizer};

use crate::canon::{canonical_expression, canonical_type};
use crate::model::{Function, QualifiedName, Schema, Trigger, View};

/// One token of a statement with its byte range in the statement.
#[derive(Debug, Clone)]
pub(crate) struct Tok {
    pub token: Token,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    /// The keyword or unquoted name, upper case; empty for anything else.
    pub(crate) fn word(&self) -> String {
        match &self.token {
            Token::Word(w) if w.quote_style.is_none() => w.value.to_ascii_uppercase(),
            _ => String::new(),
        }
    }

    pub(crate) fn is(&self, word: &str) -> bool {
        self.word() == word
    }
}

/// The byte offset of a 1-based line and character column in `text`.
fn offset(text: &str, line: u64, column: u64) -> usize {
    let mut at = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u64 + 1 == line {
            return at
                + l.char_indices()
                    .nth(column.saturating_sub(1) as usize)
                    .map_or(l.len(), |(o, _)| o);
        }
        at += l.len();
    }
    text.len()
}

/// The statement's tokens without whitespace and comments.
pub(crate) fn tokens(sql: &str, dialect: Dialect) -> Result<Vec<Tok>, String> {
    let tokens = match dialect {
        Dialect::Postgres => Tokenizer::new(&PostgreSqlDialect {}, sql).tokenize_with_location(),
        Dialect::Sqlite => Tokenizer::new(&SQLiteDialect {}, sql).tokenize_with_location(),
    }
    .map_err(|e| e.to_string())?;
    Ok(tokens
        .into_iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_) | Token::EOF))
        .map(|t| Tok {
            start: offset(sql, t.span.start.line, t.span.start.column),
            end: offset(sql, t.span.end.line, t.span.end.column),
            token: t.token,
        })
        .collect())
}

/// One token as the token form writes it: unquoted words in lower case,
/// everything else as written.
fn token_text(t: &Token) -> String {
    match t {
        Token::Word(w) if w.quote_style.is_none() => w.value.to_lowercase(),
        other => other.to_string(),
    }
}

/// A piece of SQL as a canonical token stream: keywords and unquoted names
/// in lower case, whitespace and comments dropped, one space between
/// tokens. Text that does not tokenise is compared with its whitespace
/// squeezed.
///
/// ```
/// use migrate_core::sql::Dialect;
/// use migrate_schema::views::token_form;
/// assert_eq!(
///     token_form("SELECT  a -- note\n FROM T", Dialect::Sqlite),
///     token_form("select a from t", Dialect::Sqlite)
/// );
/// ```
pub fn token_form(sql: &str, dialect: Dialect) -> String {
    match tokens(sql, dialect) {
        Ok(toks) => toks
            .iter()
            .map(|t| token_text(&t.token))
            .collect::<Vec<_>>()
            .join(" "),
        Err(_) => sql.split_whitespace().collect::<Vec<_>>().join(" "),
    }
}

/// The names a piece of SQL mentions (unquoted ones folded as `dialect`
/// folds them), for the order of views and routines: an over-approximation
/// (a column named like a view counts) is safe, it only re-creates more.
fn mentioned(sql: &str, dialect: Dialect) -> BTreeSet<String> {
    tokens(sql, dialect)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|t| match t.token {
            Token::Word(w) if w.quote_style.is_none() => Some(w.value.to_lowercase()),
            Token::Word(w) => Some(if dialect == Dialect::Sqlite {
                w.value.to_lowercase()
            } else {
                w.value
            }),
            _ => None,
        })
        .collect()
}

fn name_key(name: &QualifiedName, dialect: Dialect) -> String {
    if dialect == Dialect::Sqlite {
        name.name.to_lowercase()
    } else {
        name.name.clone()
    }
}

/// What a declaration statement is, from its first words.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Kind {
    View,
    Function,
    Procedure,
    Trigger,
}

/// Whether the statement is `CREATE [OR REPLACE] … VIEW/FUNCTION/PROCEDURE/
/// TRIGGER`, and which.
pub(crate) fn kind_of(toks: &[Tok]) -> Option<Kind> {
    if !toks.first()?.is("CREATE") {
        return None;
    }
    for t in toks.iter().skip(1).take(6) {
        match t.word().as_str() {
            "VIEW" => return Some(Kind::View),
            "FUNCTION" => return Some(Kind::Function),
            "PROCEDURE" => return Some(Kind::Procedure),
            "TRIGGER" => return Some(Kind::Trigger),
            "OR" | "REPLACE" | "TEMP" | "TEMPORARY" | "MATERIALIZED" | "RECURSIVE"
            | "CONSTRAINT" | "UNIQUE" => {}
            _ => return None,
        }
    }
    None
}

/// A problem at a byte offset of the statement.
pub(crate) struct Problem {
    pub at: usize,
    pub message: String,
}

fn problem(at: usize, message: impl Into<String>) -> Problem {
    Problem {
        at,
        message: message.into(),
    }
}

/// A name's parts as written, each with whether it was quoted.
pub(crate) type NameParts = Vec<(String, bool)>;

/// The name of the `what` (view, routine) whose name starts at token
/// `i`: `(name, the token after it, its start, its end)`, or where and why
/// it cannot be read.
fn object_name(
    toks: &[Tok],
    i: usize,
    dialect: Dialect,
    what: &str,
) -> Result<(QualifiedName, usize, usize, usize), Problem> {
    let Some((parts, next, end)) = name_at(toks, i) else {
        return Err(problem(
            toks.get(i).map_or(0, |t| t.start),
            format!("expected the {what}'s name"),
        ));
    };
    let start = toks[i].start;
    let Some(name) = qualify(&parts, dialect) else {
        return Err(problem(
            start,
            format!("write the {what}'s name as `schema.name` or `name`"),
        ));
    };
    Ok((name, next, start, end))
}

/// A name read from the tokens at `i`: its parts (`schema.name` or
/// `name`), as written, with quote marks, and the index after it.
pub(crate) fn name_at(toks: &[Tok], mut i: usize) -> Option<(NameParts, usize, usize)> {
    let mut parts = Vec::new();
    loop {
        match &toks.get(i)?.token {
            Token::Word(w) => parts.push((w.value.clone(), w.quote_style.is_some())),
            _ => return None,
        }
        i += 1;
        if matches!(toks.get(i).map(|t| &t.token), Some(Token::Period)) {
            i += 1;
        } else {
            break;
        }
    }
    Some((parts, i, toks[i - 1].end))
}

/// The index of the token closing the parenthesis opened at `open`.
pub(crate) fn closing(toks: &[Tok], open: usize) -> Option<usize> {
    let mut depth = 0;
    for (i, t) in toks.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Folds name parts as `dialect` does into a qualified name (`public`/
/// `main` dropped).
pub(crate) fn qualify(parts: &[(String, bool)], dialect: Dialect) -> Option<QualifiedName> {
    let fold = |(v, quoted): &(String, bool)| {
        if *quoted || dialect == Dialect::Sqlite {
            v.clone()
        } else {
            v.to_lowercase()
        }
    };
    let default = match dialect {
        Dialect::Postgres => "public",
        Dialect::Sqlite => "main",
    };
    match parts {
        [n] => Some(QualifiedName::new(fold(n))),
        [s, n] => {
            let s = fold(s);
            Some(if s == default {
                QualifiedName::new(fold(n))
            } else {
                QualifiedName::in_schema(s, fold(n))
            })
        }
        _ => None,
    }
}

/// Reads `CREATE [OR REPLACE] [MATERIALIZED] VIEW name [(cols)] [WITH
/// (options)] AS query [WITH [NO] DATA | WITH [CASCADED|LOCAL] CHECK
/// OPTION]`.
pub(crate) fn read_view(sql: &str, toks: &[Tok], dialect: Dialect) -> Result<View, Problem> {
    let mut i = 1;
    let mut materialized = false;
    loop {
        match toks.get(i).map(Tok::word).as_deref() {
            Some("OR") | Some("REPLACE") => {}
            Some("MATERIALIZED") => materialized = true,
            Some("TEMP") | Some("TEMPORARY") => {
                return Err(problem(
                    toks[i].start,
                    "a temporary view is not part of a schema; declare it without TEMP, or create it in the application's session",
                ));
            }
            Some("RECURSIVE") => {
                return Err(problem(
                    toks[i].start,
                    "CREATE RECURSIVE VIEW is not compared yet; write it as CREATE VIEW … AS WITH RECURSIVE …",
                ));
            }
            Some("VIEW") => break,
            _ => return Err(problem(toks[0].start, "could not read this view")),
        }
        i += 1;
    }
    i += 1;
    if toks.get(i).is_some_and(|t| t.is("IF")) {
        i += 3;
    }
    let (name, next, _, _) = object_name(toks, i, dialect, "view")?;
    i = next;
    let mut column_list = Vec::new();
    if matches!(toks.get(i).map(|t| &t.token), Some(Token::LParen)) {
        let close =
            closing(toks, i).ok_or_else(|| problem(toks[i].start, "unclosed column list"))?;
        for t in &toks[i + 1..close] {
            match &t.token {
                Token::Word(w) => {
                    column_list.push(if w.quote_style.is_some() || dialect == Dialect::Sqlite {
                        w.value.clone()
                    } else {
                        w.value.to_lowercase()
                    })
                }
                Token::Comma => {}
                _ => {
                    return Err(problem(
                        t.start,
                        "the view's column list holds plain names only",
                    ));
                }
            }
        }
        i = close + 1;
    }
    let mut options = Vec::new();
    if toks.get(i).is_some_and(|t| t.is("WITH")) {
        let open = i + 1;
        if !matches!(toks.get(open).map(|t| &t.token), Some(Token::LParen)) {
            return Err(problem(toks[i].start, "expected WITH (option, …)"));
        }
        let close =
            closing(toks, open).ok_or_else(|| problem(toks[open].start, "unclosed options"))?;
        options = sql[toks[open].end..toks[close].start]
            .split(',')
            .map(|o| {
                o.split_whitespace()
                    .collect::<Vec<_>>()
                    .join("")
                    .to_lowercase()
            })
            .filter(|o| !o.is_empty())
            .collect();
        i = close + 1;
    }
    if !toks.get(i).is_some_and(|t| t.is("AS")) {
        return Err(problem(
            toks.get(i).map_or(sql.len(), |t| t.start),
            "expected AS and the view's query",
        ));
    }
    let query_start = toks.get(i + 1).map_or(sql.len(), |t| t.start);
    let mut end = toks.len();
    let mut with_no_data = false;
    // Trailing `WITH [NO] DATA` / `WITH [CASCADED | LOCAL] CHECK OPTION`.
    let words: Vec<String> = toks.iter().map(Tok::word).collect();
    let tail = |n: usize, want: &[&str]| end >= n && words[end - n..end] == *want;
    if materialized && tail(3, &["WITH", "NO", "DATA"]) {
        with_no_data = true;
        end -= 3;
    } else if materialized && tail(2, &["WITH", "DATA"]) {
        end -= 2;
    } else if !materialized {
        for (n, want, option) in [
            (
                4,
                &["WITH", "CASCADED", "CHECK", "OPTION"][..],
                "check_option=cascaded",
            ),
            (
                4,
                &["WITH", "LOCAL", "CHECK", "OPTION"][..],
                "check_option=local",
            ),
            (3, &["WITH", "CHECK", "OPTION"][..], "check_option=cascaded"),
        ] {
            if tail(n, want) {
                end -= n;
                options.push(option.to_owned());
                break;
            }
        }
    }
    if end <= i + 1 {
        return Err(problem(query_start, "the view has no query"));
    }
    let query = sql[query_start..toks[end - 1].end].trim().to_owned();
    Ok(View {
        name,
        materialized,
        column_list,
        options,
        query,
        with_no_data,
        sql: (dialect == Dialect::Sqlite).then(|| sql.trim().to_owned()),
        canonical: None,
        columns: Vec::new(),
        comment: None,
        indexes: Vec::new(),
    })
}

/// Words that start a type of several words, so an argument starting with
/// one has no name.
const MULTI_WORD_TYPES: &[&str] = &[
    "DOUBLE",
    "CHARACTER",
    "CHAR",
    "BIT",
    "TIMESTAMP",
    "TIME",
    "INTERVAL",
    "NATIONAL",
];

/// Reads `CREATE [OR REPLACE] FUNCTION|PROCEDURE name (args) …`: the name,
/// its byte range in the statement, and the input argument types (a
/// fallback key; the server's, read when the declaration is settled,
/// replaces it).
pub(crate) fn read_function(
    sql: &str,
    toks: &[Tok],
    dialect: Dialect,
) -> Result<(Function, (usize, usize)), Problem> {
    let mut i = 1;
    let procedure;
    loop {
        match toks.get(i).map(Tok::word).as_deref() {
            Some("OR") | Some("REPLACE") => {}
            Some("FUNCTION") => {
                procedure = false;
                break;
            }
            Some("PROCEDURE") => {
                procedure = true;
                break;
            }
            _ => return Err(problem(toks[0].start, "could not read this function")),
        }
        i += 1;
    }
    i += 1;
    let (name, next, name_start, name_end) = object_name(toks, i, dialect, "routine")?;
    i = next;
    if !matches!(toks.get(i).map(|t| &t.token), Some(Token::LParen)) {
        return Err(problem(name_end, "expected the argument list `(…)`"));
    }
    let close = closing(toks, i).ok_or_else(|| problem(toks[i].start, "unclosed argument list"))?;
    let mut types = Vec::new();
    let mut arg: Vec<&Tok> = Vec::new();
    let mut depth = 0;
    let mut args: Vec<Vec<&Tok>> = Vec::new();
    for t in &toks[i + 1..close] {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                args.push(std::mem::take(&mut arg));
                continue;
            }
            _ => {}
        }
        arg.push(t);
    }
    if !arg.is_empty() {
        args.push(arg);
    }
    for mut a in args {
        let mut out = false;
        if let Some(first) = a.first() {
            match first.word().as_str() {
                "IN" | "VARIADIC" => {
                    a.remove(0);
                }
                "OUT" => {
                    out = true;
                    a.remove(0);
                }
                "INOUT" => {
                    a.remove(0);
                }
                _ => {}
            }
        }
        if out && !procedure {
            continue;
        }
        if let Some(cut) = a
            .iter()
            .position(|t| t.is("DEFAULT") || matches!(t.token, Token::Eq))
        {
            a.truncate(cut);
        }
        if a.len() > 1 && !MULTI_WORD_TYPES.contains(&a[0].word().as_str()) {
            a.remove(0);
        }
        if let (Some(f), Some(l)) = (a.first(), a.last()) {
            types.push(canonical_type(&sql[f.start..l.end], dialect));
        }
    }
    Ok((
        Function {
            name,
            procedure,
            arg_types: types.join(", "),
            sql: sql.trim().to_owned(),
            signature: None,
            canonical: None,
        },
        (name_start, name_end),
    ))
}

/// Reads `CREATE [OR REPLACE] [CONSTRAINT] TRIGGER [IF NOT EXISTS] name …
/// ON table …`, and on PostgreSQL the function after `EXECUTE FUNCTION`.
pub(crate) fn read_trigger(sql: &str, toks: &[Tok], dialect: Dialect) -> Result<Trigger, Problem> {
    let Some(mut i) = toks.iter().position(|t| t.is("TRIGGER")) else {
        return Err(problem(0, "could not read this trigger"));
    };
    i += 1;
    if toks.get(i).is_some_and(|t| t.is("IF")) {
        i += 3;
    }
    let Some((parts, next, _)) = name_at(toks, i) else {
        return Err(problem(
            toks.get(i).map_or(0, |t| t.start),
            "expected the trigger's name",
        ));
    };
    let name_at_ = toks[i].start;
    let name = match qualify(&parts, dialect) {
        Some(q) if q.schema.is_none() => q.name,
        _ => {
            return Err(problem(
                name_at_,
                "a trigger's name is not qualified; write its table's schema in ON schema.table",
            ));
        }
    };
    let Some(on) = toks[next..]
        .iter()
        .position(|t| t.is("ON"))
        .map(|p| p + next)
    else {
        return Err(problem(name_at_, "expected ON table"));
    };
    let Some((parts, after, _)) = name_at(toks, on + 1) else {
        return Err(problem(
            toks[on].end,
            "expected the trigger's table after ON",
        ));
    };
    let Some(table) = qualify(&parts, dialect) else {
        return Err(problem(
            toks[on].end,
            "write the table as `schema.table` or `table`",
        ));
    };
    let mut function = None;
    if dialect == Dialect::Postgres {
        let exec = toks[after..]
            .iter()
            .position(|t| t.is("EXECUTE"))
            .map(|p| p + after);
        let Some(exec) = exec else {
            return Err(problem(toks[on].start, "expected EXECUTE FUNCTION name(…)"));
        };
        if let Some((parts, _, _)) = name_at(toks, exec + 2) {
            function = qualify(&parts, dialect);
        }
    }
    Ok(Trigger {
        table,
        name,
        sql: sql.trim().to_owned(),
        function,
    })
}

/// A PostgreSQL trigger in a form that equal triggers share, whether
/// declared or printed by `pg_get_triggerdef`.
pub fn trigger_form(sql: &str) -> String {
    let Ok(toks) = tokens(sql, Dialect::Postgres) else {
        return token_form(sql, Dialect::Postgres);
    };
    let mut out: Vec<String> = Vec::new();
    let mut i = 0;
    let mut saw_each = false;
    while i < toks.len() {
        let t = &toks[i];
        let w = t.word();
        // `OR REPLACE`
        if w == "OR" && toks.get(i + 1).is_some_and(|n| n.is("REPLACE")) && i < 3 {
            i += 2;
            continue;
        }
        // `public.` qualifiers
        if w == "PUBLIC" && matches!(toks.get(i + 1).map(|n| &n.token), Some(Token::Period)) {
            i += 2;
            continue;
        }
        // The events, in the order PostgreSQL prints them.
        if matches!(w.as_str(), "BEFORE" | "AFTER" | "OF")
            && (w != "OF" || out.last().is_some_and(|l| l == "instead"))
            && let Some(on) = toks[i..].iter().position(|t| t.is("ON")).map(|p| p + i)
        {
            out.push(w.to_lowercase());
            let mut events: Vec<Vec<String>> = vec![Vec::new()];
            for t in &toks[i + 1..on] {
                if t.is("OR") {
                    events.push(Vec::new());
                } else if let Some(last) = events.last_mut() {
                    last.push(token_text(&t.token));
                }
            }
            let rank = |e: &Vec<String>| match e.first().map(String::as_str) {
                Some("insert") => 0,
                Some("delete") => 1,
                Some("update") => 2,
                _ => 3,
            };
            events.sort_by_key(rank);
            let events: Vec<String> = events.into_iter().map(|e| e.join(" ")).collect();
            out.push(events.join(" or "));
            i = on;
            continue;
        }
        if w == "FOR" {
            saw_each = true;
            out.push("for".into());
            if !toks.get(i + 1).is_some_and(|n| n.is("EACH")) {
                out.push("each".into());
            }
            i += 1;
            continue;
        }
        if w == "WHEN"
            && matches!(toks.get(i + 1).map(|n| &n.token), Some(Token::LParen))
            && let Some(close) = closing(&toks, i + 1)
        {
            let inner = &sql[toks[i + 1].end..toks[close].start];
            out.push("when".into());
            out.push(format!(
                "({})",
                canonical_expression(inner, Dialect::Postgres)
            ));
            i = close + 1;
            continue;
        }
        if w == "EXECUTE" {
            if !saw_each {
                out.extend(["for", "each", "statement"].map(String::from));
            }
            out.push("execute".into());
            out.push("function".into());
            i += 2;
            // The function's name, then its arguments as plain strings.
            while i < toks.len() && !matches!(toks[i].token, Token::LParen) {
                let t = &toks[i];
                if t.is("PUBLIC")
                    && matches!(toks.get(i + 1).map(|n| &n.token), Some(Token::Period))
                {
                    i += 2;
                    continue;
                }
                out.push(token_text(&t.token));
                i += 1;
            }
            for t in &toks[i..] {
                out.push(match &t.token {
                    Token::SingleQuotedString(s) => s.clone(),
                    Token::Number(n, _) => n.clone(),
                    Token::Word(word) => word.value.clone(),
                    other => other.to_string(),
                });
            }
            break;
        }
        // A constraint trigger's default deferrability.
        if w == "NOT" && toks.get(i + 1).is_some_and(|n| n.is("DEFERRABLE")) {
            i += 2;
            if toks.get(i).is_some_and(|n| n.is("INITIALLY"))
                && toks.get(i + 1).is_some_and(|n| n.is("IMMEDIATE"))
            {
                i += 2;
            }
            continue;
        }
        if w == "INITIALLY" && toks.get(i + 1).is_some_and(|n| n.is("IMMEDIATE")) {
            i += 2;
            continue;
        }
        out.push(token_text(&t.token));
        i += 1;
    }
    out.join(" ")
}

/// Whether two views are the same.
pub(crate) fn same_view(a: &View, b: &View, dialect: Dialect) -> bool {
    if a.materialized != b.materialized {
        return false;
    }
    match (&a.canonical, &b.canonical) {
        (Some(x), Some(y)) => x == y,
        _ => {
            let mut oa = a.options.clone();
            let mut ob = b.options.clone();
            oa.sort();
            ob.sort();
            token_form(&a.query, dialect) == token_form(&b.query, dialect)
                && a.column_list == b.column_list
                && oa == ob
        }
    }
}

/// Whether two routines are the same.
pub(crate) fn same_function(a: &Function, b: &Function, dialect: Dialect) -> bool {
    a.procedure == b.procedure
        && match (&a.canonical, &b.canonical) {
            (Some(x), Some(y)) => x == y,
            _ => token_form(&a.sql, dialect) == token_form(&b.sql, dialect),
        }
}

/// Whether two triggers are the same.
pub(crate) fn same_trigger(a: &Trigger, b: &Trigger, dialect: Dialect) -> bool {
    match dialect {
        Dialect::Postgres => trigger_form(&a.sql) == trigger_form(&b.sql),
        Dialect::Sqlite => token_form(&a.sql, dialect) == token_form(&b.sql, dialect),
    }
}

/// The tables a list of table changes rewrites in a way that a view on
/// them (or, on SQLite, a trigger on them) must be dropped before and
/// created after: a column dropped or given another type (PostgreSQL
/// refuses both under a view), an enum type re-created under a column, a
/// table rebuilt (SQLite) or dropped. Adding a column, or changing a
/// default or nullability, leaves the views alone (re-creating a view
/// would lose its grants).
pub(crate) fn touched_tables(changes: &[crate::diff::Change]) -> BTreeSet<QualifiedName> {
    use crate::diff::Change::*;
    let mut out = BTreeSet::new();
    for c in changes {
        match c {
            DropColumn { table, .. } | AlterColumnType { table, .. } => {
                out.insert(table.clone());
            }
            RebuildTable { to, .. } => {
                out.insert(to.name.clone());
            }
            DropTable { table, .. } => {
                out.insert(table.name.clone());
            }
            AddEnumValue { columns, .. } | ReplaceEnum { columns, .. } => {
                out.extend(columns.iter().map(|c| c.table.clone()));
            }
            _ => {}
        }
    }
    out
}

/// The drops that go before the table changes and the creates and
/// replacements that go after them, for views, routines and triggers.
pub(crate) fn plan(
    current: &Schema,
    target: &Schema,
    table_changes: &[crate::diff::Change],
    dialect: Dialect,
) -> (Vec<crate::diff::Change>, Vec<crate::diff::Change>) {
    use crate::diff::Change;
    let touched = touched_tables(table_changes);
    let touched_names: BTreeSet<String> = touched.iter().map(|n| name_key(n, dialect)).collect();

    // Routines: dropped (gone, or changed in a way CREATE OR REPLACE
    // cannot make), created, replaced.
    let mut drop_functions: Vec<&Function> = Vec::new();
    let mut create_functions: Vec<&Function> = Vec::new();
    let mut replace_functions: Vec<(&Function, &Function)> = Vec::new();
    for (key, from) in &current.functions {
        match target.functions.get(key) {
            None => drop_functions.push(from),
            Some(to) if !same_function(from, to, dialect) => {
                if from.procedure == to.procedure
                    && from.signature.is_some()
                    && from.signature == to.signature
                {
                    replace_functions.push((from, to));
                } else {
                    drop_functions.push(from);
                    create_functions.push(to);
                }
            }
            Some(_) => {}
        }
    }
    for (key, to) in &target.functions {
        if !current.functions.contains_key(key) {
            create_functions.push(to);
        }
    }
    let recreated_functions: BTreeSet<String> = drop_functions
        .iter()
        .filter(|f| {
            target
                .functions
                .contains_key(&(f.name.clone(), f.arg_types.clone()))
        })
        .map(|f| f.name.name.clone())
        .collect();

    // Views: dropped before when gone, changed beyond CREATE OR REPLACE,
    // on a touched table, on a re-created routine, or on a view dropped
    // before; replaced in place otherwise.
    let mentions: BTreeMap<&QualifiedName, BTreeSet<String>> = current
        .views
        .iter()
        .map(|(n, v)| (n, mentioned(&v.query, dialect)))
        .collect();
    let mut dropped: BTreeSet<QualifiedName> = BTreeSet::new();
    let mut replace_views: Vec<(&View, &View)> = Vec::new();
    for (name, from) in &current.views {
        let m = &mentions[name];
        let forced = m
            .iter()
            .any(|w| touched_names.contains(w) || recreated_functions.contains(w));
        match target.views.get(name) {
            None => {
                dropped.insert(name.clone());
            }
            Some(_) if forced => {
                dropped.insert(name.clone());
            }
            Some(to) if !same_view(from, to, dialect) => {
                let replaceable = dialect == Dialect::Postgres
                    && !from.materialized
                    && !from.columns.is_empty()
                    && from.columns == to.columns;
                if replaceable {
                    replace_views.push((from, to));
                } else {
                    dropped.insert(name.clone());
                }
            }
            Some(_) => {}
        }
    }
    // Views on dropped views go too (to a fixed point).
    loop {
        let before = dropped.len();
        let names: BTreeSet<String> = dropped.iter().map(|n| name_key(n, dialect)).collect();
        for (name, m) in &mentions {
            if !dropped.contains(*name) && m.iter().any(|w| names.contains(w)) {
                dropped.insert((*name).clone());
            }
        }
        if dropped.len() == before {
            break;
        }
    }
    replace_views.retain(|(from, _)| !dropped.contains(&from.name));
    let created: BTreeSet<QualifiedName> = target
        .views
        .keys()
        .filter(|n| !current.views.contains_key(*n) || dropped.contains(*n))
        .cloned()
        .collect();

    // Triggers: dropped before when gone, changed, on a rebuilt SQLite
    // table, or on a re-created routine.
    let mut drop_triggers: Vec<&Trigger> = Vec::new();
    let mut create_triggers: Vec<&Trigger> = Vec::new();
    for (key, from) in &current.triggers {
        let forced = (dialect == Dialect::Sqlite && touched.contains(&from.table))
            || dropped.contains(&from.table)
            || from
                .function
                .as_ref()
                .is_some_and(|f| recreated_functions.contains(&f.name));
        match target.triggers.get(key) {
            Some(to) if !forced && same_trigger(from, to, dialect) => {}
            Some(to) => {
                drop_triggers.push(from);
                create_triggers.push(to);
            }
            None => drop_triggers.push(from),
        }
    }
    for (key, to) in &target.triggers {
        if !current.triggers.contains_key(key) {
            create_triggers.push(to);
        }
    }

    // Indexes of materialized views: those of a dropped view are dropped
    // first (so that the downgrade, which creates the view again, creates
    // them again too), a created view's are created after it; on a view
    // kept, a changed index is dropped and created again.
    let drop_indexes = unmatched_indexes(&current.views, &target.views, &dropped, dialect)
        .map(|(table, index)| Change::DropIndex { table, index })
        .collect::<Vec<_>>();
    let create_indexes = unmatched_indexes(&target.views, &current.views, &created, dialect)
        .map(|(table, index)| Change::CreateIndex { table, index });

    let mut before = Vec::new();
    for t in drop_triggers {
        before.push(Change::DropTrigger(t.clone()));
    }
    before.extend(drop_indexes);
    for name in view_order(&current.views, &dropped, dialect)
        .into_iter()
        .rev()
    {
        before.push(Change::DropView(current.views[&name].clone()));
    }
    for f in drop_functions {
        before.push(Change::DropFunction(f.clone()));
    }
    let mut after = Vec::new();
    for f in create_functions {
        after.push(Change::CreateFunction(f.clone()));
    }
    for (from, to) in replace_functions {
        after.push(Change::ReplaceFunction {
            from: from.clone(),
            to: to.clone(),
        });
    }
    for name in view_order(&target.views, &created, dialect) {
        after.push(Change::CreateView(target.views[&name].clone()));
    }
    // After the creates: a replaced view may now read a new one (it keeps
    // its columns, so what reads it is not disturbed).
    for (from, to) in replace_views {
        after.push(Change::ReplaceView {
            from: from.clone(),
            to: to.clone(),
        });
    }
    after.extend(create_indexes);
    for t in create_triggers {
        after.push(Change::CreateTrigger(t.clone()));
    }
    // Comments on views: a created view's from nothing.
    for (name, to) in &target.views {
        let was = match current.views.get(name) {
            Some(from) if !created.contains(name) => from.comment.clone(),
            _ => None,
        };
        if was != to.comment {
            after.push(Change::SetComment {
                target: crate::diff::CommentTarget::View(name.clone(), to.materialized),
                from: was,
                to: to.comment.clone(),
            });
        }
    }
    (before, after)
}

/// The views of `subset`, each after the views of `subset` it mentions.
/// Each index of a view of `views` that the same view in `other` (unless
/// it is in `redone`, dropped or created again) has no equal of under its
/// name, with the view's name: on the way down the indexes to drop, on the
/// way up those to create.
fn unmatched_indexes<'a>(
    views: &'a BTreeMap<QualifiedName, View>,
    other: &'a BTreeMap<QualifiedName, View>,
    redone: &'a BTreeSet<QualifiedName>,
    dialect: Dialect,
) -> impl Iterator<Item = (QualifiedName, crate::model::Index)> + 'a {
    views.iter().flat_map(move |(name, view)| {
        let counterpart = other.get(name).filter(|_| !redone.contains(name));
        view.indexes
            .iter()
            .filter(move |i| {
                !counterpart.is_some_and(|c| {
                    c.indexes.iter().any(|j| {
                        j.name == i.name && crate::diff::same_index_in(i, j, None, dialect)
                    })
                })
            })
            .map(move |i| (name.clone(), i.clone()))
    })
}

fn view_order(
    views: &BTreeMap<QualifiedName, View>,
    subset: &BTreeSet<QualifiedName>,
    dialect: Dialect,
) -> Vec<QualifiedName> {
    let mut out: Vec<QualifiedName> = Vec::new();
    let mut left: Vec<&QualifiedName> = subset.iter().filter(|n| views.contains_key(*n)).collect();
    while !left.is_empty() {
        let placed: BTreeSet<String> = out.iter().map(|n| name_key(n, dialect)).collect();
        let pending: BTreeSet<String> = left.iter().map(|n| name_key(n, dialect)).collect();
        let ready = left.iter().position(|n| {
            let m = mentioned(&views[*n].query, dialect);
            let own = name_key(n, dialect);
            m.iter()
                .all(|w| *w == own || !pending.contains(w) || placed.contains(w))
        });
        // A cycle of mentions (a column named like another view): keep the
        // name order.
        let at = ready.unwrap_or(0);
        out.push(left.remove(at).clone());
    }
    out
}

/// The statement with `OR REPLACE` after its `CREATE`, unless it has it.
pub(crate) fn or_replace(sql: &str, dialect: Dialect) -> String {
    let sql = sql.trim_end();
    match tokens(sql, dialect) {
        Ok(toks) if toks.first().is_some_and(|t| t.is("CREATE")) => {
            if toks.get(1).is_some_and(|t| t.is("OR")) {
                sql.to_owned()
            } else {
                format!("{} OR REPLACE{}", &sql[..toks[0].end], &sql[toks[0].end..])
            }
        }
        _ => sql.to_owned(),
    }
}

/// Reads a `CREATE [MATERIALIZED] VIEW` statement (SQLite's stored text,
/// for one), or `None` when it is not one this module reads.
pub fn parse_view(sql: &str, dialect: Dialect) -> Option<View> {
    let toks = tokens(sql, dialect).ok()?;
    (kind_of(&toks)? == Kind::View)
        .then(|| read_view(sql, &toks, dialect).ok())
        .flatten()
}

/// Reads a `CREATE TRIGGER` statement (SQLite's stored text, or
/// `pg_get_triggerdef`), or `None` when it is not one this module reads.
pub fn parse_trigger(sql: &str, dialect: Dialect) -> Option<Trigger> {
    let toks = tokens(sql, dialect).ok()?;
    (kind_of(&toks)? == Kind::Trigger)
        .then(|| read_trigger(sql, &toks, dialect).ok())
        .flatten()
}

/// A PostgreSQL `CREATE FUNCTION`/`PROCEDURE` statement with its name
/// replaced by `schema.name` (the routine's own name, quoted), to create it
/// elsewhere (`pg_temp`) without touching the real one.
///
/// ```
/// use migrate_schema::views::routine_in_schema;
/// assert_eq!(
///     routine_in_schema("CREATE FUNCTION public.f(a int) RETURNS int AS 'select a' LANGUAGE sql", "pg_temp").unwrap(),
///     "CREATE FUNCTION pg_temp.f(a int) RETURNS int AS 'select a' LANGUAGE sql"
/// );
/// ```
pub fn routine_in_schema(sql: &str, schema: &str) -> Option<String> {
    let toks = tokens(sql, Dialect::Postgres).ok()?;
    let (f, (start, end)) = read_function(sql, &toks, Dialect::Postgres).ok()?;
    Some(format!(
        "{}{}.{}{}",
        &sql[..start],
        migrate_core::quote_ident(schema, Dialect::Postgres),
        migrate_core::quote_ident(&f.name.name, Dialect::Postgres),
        &sql[end..]
    ))
}

/// The form a PostgreSQL view is compared in, from what the server prints
/// of it: its options (`reloptions`, sorted), its columns (`name type`) and
/// `pg_get_viewdef`. Introspection and the settling of declared views both
/// build it with this function.
pub fn view_canonical(options: &[String], columns: &[String], definition: &str) -> String {
    let mut options = options.to_vec();
    options.sort();
    format!(
        "options: {}\ncolumns: {}\n{}",
        options.join(", "),
        columns.join(", "),
        definition.trim()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{Change, DiffOptions, diff};
    use crate::parse_schema;
    use crate::render::render;

    fn pg(sql: &str) -> Schema {
        parse_schema(sql, Dialect::Postgres).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn summaries(a: &Schema, b: &Schema, dialect: Dialect) -> Vec<String> {
        diff(a, b, dialect, &DiffOptions::default())
            .iter()
            .map(Change::summary)
            .collect()
    }

    const T: &str = "CREATE TABLE t (id int PRIMARY KEY, name varchar(20));\n";

    #[test]
    fn views_are_read_with_their_parts() {
        let s = pg(&format!(
            "{T}CREATE OR REPLACE VIEW Public.V (a, \"B\") WITH (security_barrier) AS\n  SELECT id, name FROM t -- note\n  WITH LOCAL CHECK OPTION;\nCREATE MATERIALIZED VIEW m AS SELECT id FROM t WITH NO DATA;"
        ));
        let v = &s.views[&QualifiedName::new("v")];
        assert_eq!(v.column_list, ["a", "B"]);
        assert_eq!(v.options, ["security_barrier", "check_option=local"]);
        assert_eq!(v.query, "SELECT id, name FROM t");
        assert!(!v.materialized);
        let m = &s.views[&QualifiedName::new("m")];
        assert!(m.materialized && m.with_no_data);
        assert_eq!(m.query, "SELECT id FROM t");
    }

    #[test]
    fn errors_name_their_line() {
        let e = parse_schema(
            &format!("{T}\nCREATE VIEW v AS\n  SELECT id FROM t WHERE;"),
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!(e[0].line, 4, "{e:?}");
        assert!(e[0].message.contains("fix the view's query"), "{e:?}");
        let e = parse_schema(
            &format!("{T}CREATE TRIGGER x AFTER INSERT ON nope FOR EACH ROW EXECUTE FUNCTION f();"),
            Dialect::Postgres,
        )
        .unwrap_err();
        assert_eq!(e.len(), 2, "{e:?}");
        assert!(
            e[0].to_string()
                .starts_with("line 2:1: trigger x is on nope"),
            "{e:?}"
        );
        assert!(e[1].message.contains("executes f()"), "{e:?}");
        let e = parse_schema(
            "CREATE FUNCTION f() RETURNS int AS 'select 1' LANGUAGE sql;",
            Dialect::Sqlite,
        )
        .unwrap_err();
        assert!(
            e[0].message.contains("SQLite has no stored functions"),
            "{e:?}"
        );
    }

    #[test]
    fn overloads_are_keyed_by_argument_types() {
        let s = pg("CREATE FUNCTION f(a int, b character varying DEFAULT 'x') RETURNS int LANGUAGE sql AS 'select 1';
CREATE FUNCTION f(double precision, OUT r int) RETURNS int LANGUAGE sql AS 'select 1';
CREATE PROCEDURE p(IN a int4, INOUT b text) LANGUAGE sql AS 'select 1';");
        let keys: Vec<String> = s
            .functions
            .keys()
            .map(|(n, a)| format!("{n}({a})"))
            .collect();
        assert_eq!(
            keys,
            [
                "f(double precision)",
                "f(integer, character varying)",
                "p(integer, text)"
            ]
        );
        assert!(s.functions.values().any(|f| f.procedure));
    }

    #[test]
    fn token_form_ignores_case_whitespace_and_comments() {
        let a = "CREATE TRIGGER t AFTER INSERT ON x BEGIN\n  UPDATE y SET n = 1; -- why\nEND";
        let b = "create trigger t after insert on X begin update Y set n = 1; end";
        assert_eq!(
            token_form(a, Dialect::Sqlite),
            token_form(b, Dialect::Sqlite)
        );
        assert_ne!(
            token_form("select 'A'", Dialect::Sqlite),
            token_form("select 'a'", Dialect::Sqlite)
        );
    }

    #[test]
    fn trigger_form_matches_what_postgres_prints() {
        let declared = "CREATE OR REPLACE TRIGGER a BEFORE UPDATE OF name OR INSERT ON t FOR ROW WHEN (OLD.name IS DISTINCT FROM NEW.name) EXECUTE PROCEDURE public.trg('x', 1)";
        let printed = "CREATE TRIGGER a BEFORE INSERT OR UPDATE OF name ON public.t FOR EACH ROW WHEN (((old.name)::text IS DISTINCT FROM (new.name)::text)) EXECUTE FUNCTION trg('x', '1')";
        assert_eq!(trigger_form(declared), trigger_form(printed));
        assert_eq!(
            trigger_form("CREATE TRIGGER b AFTER INSERT ON t EXECUTE FUNCTION f()"),
            trigger_form(
                "CREATE TRIGGER b AFTER INSERT ON public.t FOR EACH STATEMENT EXECUTE FUNCTION f()"
            )
        );
        assert_eq!(
            trigger_form(
                "CREATE CONSTRAINT TRIGGER c AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"
            ),
            trigger_form(
                "CREATE CONSTRAINT TRIGGER c AFTER INSERT ON public.t NOT DEFERRABLE INITIALLY IMMEDIATE FOR EACH ROW EXECUTE FUNCTION f()"
            )
        );
        assert_ne!(
            trigger_form("CREATE TRIGGER b AFTER INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()"),
            trigger_form("CREATE TRIGGER b BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION f()")
        );
    }

    #[test]
    fn views_follow_what_they_read_and_table_changes_recreate_them() {
        let a = pg(&format!(
            "{T}CREATE VIEW v1 AS SELECT id, name FROM t;\nCREATE VIEW v2 AS SELECT name FROM v1;"
        ));
        // Created in dependency order, dropped in reverse.
        let empty = pg(T);
        assert_eq!(
            summaries(&empty, &a, Dialect::Postgres),
            ["create view v1", "create view v2"]
        );
        assert_eq!(
            summaries(&a, &empty, Dialect::Postgres),
            ["drop view v2", "drop view v1"]
        );
        // A column type change under v1 drops both before and re-creates
        // them after, both ways.
        let b = pg(
            "CREATE TABLE t (id int PRIMARY KEY, name varchar(50));\nCREATE VIEW v1 AS SELECT id, name FROM t;\nCREATE VIEW v2 AS SELECT name FROM v1;",
        );
        let changes = diff(&a, &b, Dialect::Postgres, &DiffOptions::default());
        let list: Vec<String> = changes.iter().map(Change::summary).collect();
        assert_eq!(
            list,
            [
                "drop view v2",
                "drop view v1",
                "change type of t.name from VARCHAR(20) to VARCHAR(50)",
                "create view v1",
                "create view v2"
            ]
        );
        let sql = render(&changes, Dialect::Postgres);
        assert!(
            sql.upgrade
                .starts_with("DROP VIEW v2;\n\nDROP VIEW v1;\n\nALTER TABLE t"),
            "{}",
            sql.upgrade
        );
        assert!(
            sql.downgrade
                .starts_with("DROP VIEW v2;\n\nDROP VIEW v1;\n\n-- REVIEW"),
            "{}",
            sql.downgrade
        );
        assert!(
            sql.downgrade
                .ends_with("CREATE VIEW v2 AS\nSELECT name FROM v1;\n\n"),
            "{}",
            sql.downgrade
        );
    }

    #[test]
    fn a_view_keeping_its_columns_is_replaced() {
        let mut a = pg(&format!(
            "{T}CREATE VIEW v AS SELECT id FROM t WHERE id > 0;"
        ));
        let mut b = pg(&format!(
            "{T}CREATE VIEW v AS SELECT id FROM t WHERE id > 1;"
        ));
        let columns = vec!["id integer".to_owned()];
        a.views
            .values_mut()
            .for_each(|v| v.columns = columns.clone());
        b.views
            .values_mut()
            .for_each(|v| v.columns = columns.clone());
        let changes = diff(&a, &b, Dialect::Postgres, &DiffOptions::default());
        let sql = render(&changes, Dialect::Postgres);
        assert_eq!(
            sql.upgrade,
            "CREATE OR REPLACE VIEW v AS\nSELECT id FROM t WHERE id > 1;\n\n"
        );
        assert_eq!(
            sql.downgrade,
            "CREATE OR REPLACE VIEW v AS\nSELECT id FROM t WHERE id > 0;\n\n"
        );
        // Another column list: drop and create.
        b.views
            .values_mut()
            .for_each(|v| v.columns = vec!["id bigint".into()]);
        let list = summaries(&a, &b, Dialect::Postgres);
        assert_eq!(list, ["drop view v", "create view v"]);
    }

    #[test]
    fn routines_and_their_triggers() {
        let a = pg(&format!(
            "{T}CREATE FUNCTION trg() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RETURN NEW; END $$;
CREATE TRIGGER x BEFORE INSERT ON t FOR EACH ROW EXECUTE FUNCTION trg();"
        ));
        let empty = pg(T);
        assert_eq!(
            summaries(&empty, &a, Dialect::Postgres),
            ["create function trg()", "create trigger x on t"]
        );
        let changes = diff(&a, &empty, Dialect::Postgres, &DiffOptions::default());
        let sql = render(&changes, Dialect::Postgres);
        assert_eq!(
            sql.upgrade,
            "DROP TRIGGER x ON t;\n\nDROP FUNCTION trg();\n\n"
        );
        assert!(
            sql.downgrade.starts_with("CREATE FUNCTION trg()"),
            "{}",
            sql.downgrade
        );
        // A routine whose signature is known and kept is replaced in place.
        let mut b = a.clone();
        for f in a.clone().functions.values() {
            let mut f = f.clone();
            f.sql = f.sql.replace("RETURN NEW", "RETURN NULL");
            b.functions.insert((f.name.clone(), f.arg_types.clone()), f);
        }
        let mut a = a;
        for s in [&mut a, &mut b] {
            for f in s.functions.values_mut() {
                f.signature = Some(" -> trigger".into());
            }
        }
        let changes = diff(&a, &b, Dialect::Postgres, &DiffOptions::default());
        let sql = render(&changes, Dialect::Postgres);
        assert!(
            sql.upgrade.starts_with("CREATE OR REPLACE FUNCTION trg()"),
            "{}",
            sql.upgrade
        );
        assert!(sql.upgrade.contains("RETURN NULL"), "{}", sql.upgrade);
        assert!(sql.downgrade.contains("RETURN NEW"), "{}", sql.downgrade);
    }

    #[test]
    fn sqlite_rebuild_recreates_views_and_triggers_on_the_table() {
        let sqlite = |s: &str| parse_schema(s, Dialect::Sqlite).unwrap_or_else(|e| panic!("{e:?}"));
        let tail = "CREATE VIEW v AS SELECT id FROM t;\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n  UPDATE t SET name = 'a';\nEND;";
        let a = sqlite(&format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\n{tail}"
        ));
        let b = sqlite(&format!(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL);\n{tail}"
        ));
        assert_eq!(
            summaries(&a, &b, Dialect::Sqlite),
            [
                "drop trigger x on t",
                "drop view v",
                "rebuild table t",
                "create view v",
                "create trigger x on t"
            ]
        );
        let sql = render(
            &diff(&a, &b, Dialect::Sqlite, &DiffOptions::default()),
            Dialect::Sqlite,
        );
        assert!(sql.upgrade.ends_with("CREATE VIEW v AS SELECT id FROM t;\n\nCREATE TRIGGER x AFTER INSERT ON t BEGIN\n  UPDATE t SET name = 'a';\nEND;\n\n"), "{}", sql.upgrade);
        // The same text, written otherwise, is no change.
        let c = sqlite(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT);\ncreate view v as select ID from T;\ncreate trigger x after insert on t begin update t set name = 'a'; end;",
        );
        assert_eq!(summaries(&a, &c, Dialect::Sqlite), Vec::<String>::new());
    }

    const MV: &str = "CREATE TABLE sales (id int PRIMARY KEY, region text NOT NULL, amount numeric NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS SELECT region, sum(amount) AS total FROM sales GROUP BY region;
";

    #[test]
    fn indexes_on_a_materialized_view_are_read_and_compared() {
        let plain = pg(MV);
        let indexed = pg(&format!(
            "{MV}CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);"
        ));
        let v = &indexed.views[&QualifiedName::new("sales_by_region")];
        assert_eq!(v.indexes.len(), 1);
        assert!(v.indexes[0].unique);
        // pg_dump's spelling is the same index.
        let dumped = pg(&format!(
            "{MV}CREATE UNIQUE INDEX sales_by_region_key ON public.sales_by_region USING btree (region);"
        ));
        assert_eq!(
            summaries(&indexed, &dumped, Dialect::Postgres),
            Vec::<String>::new()
        );
        assert_eq!(
            summaries(&plain, &indexed, Dialect::Postgres),
            ["create index sales_by_region_key"]
        );
        assert_eq!(
            summaries(&indexed, &plain, Dialect::Postgres),
            ["drop index sales_by_region_key"]
        );
        let sql = crate::render(
            &diff(&plain, &indexed, Dialect::Postgres, &DiffOptions::default()),
            Dialect::Postgres,
        );
        assert!(
            sql.upgrade
                .contains("CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);"),
            "{}",
            sql.upgrade
        );
        assert!(
            sql.downgrade.contains("DROP INDEX sales_by_region_key;"),
            "{}",
            sql.downgrade
        );
        // A changed index is dropped and created again.
        let changed = pg(&format!(
            "{MV}CREATE INDEX sales_by_region_key ON sales_by_region (region);"
        ));
        assert_eq!(
            summaries(&indexed, &changed, Dialect::Postgres),
            [
                "drop index sales_by_region_key",
                "create index sales_by_region_key"
            ]
        );
    }

    #[test]
    fn a_recreated_materialized_view_gets_its_indexes_again() {
        let a = pg(&format!(
            "{MV}CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);"
        ));
        let b = pg(&format!(
            "{}CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);",
            MV.replace(
                "sum(amount) AS total",
                "sum(amount) AS total, count(*) AS n"
            )
        ));
        assert_eq!(
            summaries(&a, &b, Dialect::Postgres),
            [
                "drop index sales_by_region_key",
                "drop materialized view sales_by_region",
                "create materialized view sales_by_region",
                "create index sales_by_region_key"
            ]
        );
        // Dropped with its view: the downgrade creates both again.
        let gone = pg(
            "CREATE TABLE sales (id int PRIMARY KEY, region text NOT NULL, amount numeric NOT NULL);",
        );
        let sql = crate::render(
            &diff(&a, &gone, Dialect::Postgres, &DiffOptions::default()),
            Dialect::Postgres,
        );
        let create_view = sql.downgrade.find("CREATE MATERIALIZED VIEW").unwrap();
        let create_index = sql
            .downgrade
            .find("CREATE UNIQUE INDEX sales_by_region_key")
            .unwrap();
        assert!(create_view < create_index, "{}", sql.downgrade);
    }

    #[test]
    fn an_index_on_a_plain_view_or_an_unknown_column_is_refused() {
        let e = parse_schema(
            &format!("{T}CREATE VIEW v AS SELECT id FROM t;\nCREATE INDEX v_id ON v (id);"),
            Dialect::Postgres,
        )
        .unwrap_err();
        assert!(
            e[0].to_string()
                .starts_with("line 3:1: index v_id is on view v, which is not materialized"),
            "{e:?}"
        );
        let e = parse_schema(
            &format!("{T}CREATE MATERIALIZED VIEW m (a, b) AS SELECT id, name FROM t;\nCREATE INDEX m_c ON m (c);"),
            Dialect::Postgres,
        )
        .unwrap_err();
        assert!(
            e[0].message.contains("index m_c names unknown column m.c"),
            "{e:?}"
        );
        let e = parse_schema(
            &format!("{MV}CREATE INDEX sales_key ON sales (region);\nCREATE INDEX sales_key ON sales_by_region (region);"),
            Dialect::Postgres,
        )
        .unwrap_err();
        assert!(
            e[0].message.contains("index sales_key is declared twice"),
            "{e:?}"
        );
    }
}
