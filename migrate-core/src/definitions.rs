//! Repeatable definitions: the files under `definitions/` of a migration
//! directory (views, functions, procedures and triggers written as
//! `CREATE OR REPLACE …`), applied after the revisions whenever their text
//! changes, in the order of what they reference (Flyway's `R__` files,
//! alembic_utils' replaceable entities).
//!
//! This module reads and judges them; the runtime applies them. What a file
//! may hold:
//!
//! - `CREATE OR REPLACE [RECURSIVE] VIEW`, `CREATE OR REPLACE FUNCTION`,
//!   `CREATE OR REPLACE PROCEDURE`, `CREATE OR REPLACE [CONSTRAINT] TRIGGER`
//!   (PostgreSQL 14 and later for triggers): run as written;
//! - `CREATE VIEW` and `CREATE TRIGGER` without `OR REPLACE` (SQLite has no
//!   `OR REPLACE`; on PostgreSQL, the way to change a view's columns): the
//!   runtime first drops the named object (`DROP VIEW IF EXISTS`,
//!   `DROP TRIGGER IF EXISTS`), then runs the statement;
//! - `COMMENT ON …` (of an object the file defines, usually).
//!
//! Anything else is refused with the file and line: a table, an index, a
//! materialized view (PostgreSQL has no `CREATE OR REPLACE MATERIALIZED
//! VIEW`, and re-creating one rebuilds its data), data (`INSERT`), a `DROP`.
//! Those belong in a revision.
//!
//! Order: a file whose statements name an object another file defines comes
//! after it (a view on another definition's view, a trigger executing a
//! definition's function); ties by path. The names are found by the
//! statements' tokens, not by a database's grammar, so that the build, the
//! runtime and the CLI order the files the same way with or without the
//! `postgres-exact` feature: a word outside quotes that is the name of an
//! object another file defines is a reference to it (and so is one inside
//! the body of a `LANGUAGE sql` function, which PostgreSQL checks when it
//! creates the function). A cycle is an error naming the files.

use std::collections::{BTreeMap, HashMap};
use std::path::Path;

use crate::error::{Error, Errors};
use crate::sql::{
    Dialect, DialectCheck, Section, check_section, skip_block_comment, skip_quoted,
    split_statements,
};

/// The subdirectory of a migration directory that holds the definitions.
pub const DEFINITIONS_DIR: &str = "definitions";

/// What a definition statement creates.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DefinitionKind {
    /// `CREATE [OR REPLACE] VIEW`.
    View,
    /// `CREATE OR REPLACE FUNCTION`.
    Function,
    /// `CREATE OR REPLACE PROCEDURE`.
    Procedure,
    /// `CREATE [OR REPLACE] TRIGGER`.
    Trigger,
}

impl DefinitionKind {
    /// `view`, `function`, `procedure` or `trigger`.
    pub fn as_str(self) -> &'static str {
        match self {
            DefinitionKind::View => "view",
            DefinitionKind::Function => "function",
            DefinitionKind::Procedure => "procedure",
            DefinitionKind::Trigger => "trigger",
        }
    }

    /// Reads [`as_str`](DefinitionKind::as_str) back.
    pub fn from_name(name: &str) -> Option<DefinitionKind> {
        Some(match name {
            "view" => DefinitionKind::View,
            "function" => DefinitionKind::Function,
            "procedure" => DefinitionKind::Procedure,
            "trigger" => DefinitionKind::Trigger,
            _ => return None,
        })
    }
}

impl std::fmt::Display for DefinitionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One object a definition file creates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinedObject {
    /// What it is.
    pub kind: DefinitionKind,
    /// Its schema when the statement names one, as the database stores it
    /// (an unquoted name folded to lower case, a quoted one as written).
    pub schema: Option<String>,
    /// Its name, folded the same way.
    pub name: String,
    /// A trigger's table, `(schema, name)`, folded the same way.
    pub table: Option<(Option<String>, String)>,
    /// A function's or procedure's argument list as `DROP FUNCTION` takes
    /// it (defaults left out), without the parentheses.
    pub args: Option<String>,
    /// Written with `OR REPLACE`; `false` means the runtime drops the
    /// object before running the statement.
    pub or_replace: bool,
    /// Index of the statement that creates it in [`Definition::section`].
    pub statement: usize,
}

impl DefinedObject {
    /// `schema.name` or `name`, as stored (unquoted): what autogenerate
    /// compares by.
    pub fn qualified_name(&self) -> String {
        match &self.schema {
            Some(s) => format!("{s}.{}", self.name),
            None => self.name.clone(),
        }
    }

    /// The statement that drops the object if it exists, every name quoted:
    /// what the runtime runs before a statement written without
    /// `OR REPLACE`, and what a downgrade runs (see the guide's
    /// "Repeatable definitions").
    ///
    /// ```
    /// use migrate_core::{Dialect, definitions::parse_definition};
    /// let d = parse_definition(
    ///     "migrations/definitions/t.sql",
    ///     "t.sql",
    ///     "CREATE TRIGGER Touch AFTER UPDATE ON public.users FOR EACH ROW EXECUTE FUNCTION touch();",
    /// )
    /// .unwrap();
    /// let t = &d.objects[0];
    /// assert_eq!(t.drop_sql(Dialect::Postgres), r#"DROP TRIGGER IF EXISTS "touch" ON "public"."users""#);
    /// assert_eq!(t.drop_sql(Dialect::Sqlite), r#"DROP TRIGGER IF EXISTS "touch""#);
    /// ```
    pub fn drop_sql(&self, dialect: Dialect) -> String {
        let q = crate::quote_ident_always;
        let qualified = |schema: &Option<String>, name: &str| match schema {
            Some(s) => format!("{}.{}", q(s), q(name)),
            None => q(name),
        };
        match self.kind {
            DefinitionKind::View => {
                format!(
                    "DROP VIEW IF EXISTS {}",
                    qualified(&self.schema, &self.name)
                )
            }
            DefinitionKind::Function | DefinitionKind::Procedure => format!(
                "DROP {} IF EXISTS {}({})",
                if self.kind == DefinitionKind::Function {
                    "FUNCTION"
                } else {
                    "PROCEDURE"
                },
                qualified(&self.schema, &self.name),
                self.args.as_deref().unwrap_or("")
            ),
            DefinitionKind::Trigger => match (dialect, &self.table) {
                (Dialect::Postgres, Some((schema, table))) => format!(
                    "DROP TRIGGER IF EXISTS {} ON {}",
                    q(&self.name),
                    qualified(schema, table)
                ),
                _ => format!(
                    "DROP TRIGGER IF EXISTS {}",
                    qualified(&self.schema, &self.name)
                ),
            },
        }
    }
}

/// One file under `definitions/`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Definition {
    /// The file as messages name it (`migrations/definitions/views.sql`).
    pub path: String,
    /// Its path under `definitions/` (`views.sql`, `reports/daily.sql`):
    /// what the history records it by.
    pub name: String,
    /// Its statements (the whole file is one section).
    pub section: Section,
    /// The checksum of its text (the revisions' algorithm: comments and
    /// layout do not count).
    pub checksum: String,
    /// What its statements create, in statement order.
    pub objects: Vec<DefinedObject>,
    /// The names its statements mention (lower-cased last parts with the
    /// schema when written), which order it after the files defining them.
    pub references: Vec<(Option<String>, String)>,
}

impl Definition {
    /// `(kind, qualified name)` of each object the file creates.
    pub fn defines(&self) -> impl Iterator<Item = (DefinitionKind, String)> + '_ {
        self.objects.iter().map(|o| (o.kind, o.qualified_name()))
    }

    /// What the runtime runs on `dialect` to apply the file: `(file line,
    /// statement)` for each statement, a statement written without
    /// `OR REPLACE` preceded by the `DROP … IF EXISTS` of its object.
    pub fn apply_sql(&self, dialect: Dialect) -> Vec<(u32, String)> {
        let mut apply = Vec::new();
        for (i, statement) in self.section.statements.iter().enumerate() {
            for o in self
                .objects
                .iter()
                .filter(|o| o.statement == i && !o.or_replace)
            {
                apply.push((statement.line, o.drop_sql(dialect)));
            }
            apply.push((
                statement.line,
                self.section.statement_sql(statement).to_owned(),
            ));
        }
        apply
    }

    /// The statements that drop what the file creates, the last object
    /// first, joined by `;\n`: what a downgrade runs (recorded with the
    /// definition when it is applied).
    pub fn drop_all_sql(&self, dialect: Dialect) -> String {
        self.objects
            .iter()
            .rev()
            .map(|o| o.drop_sql(dialect))
            .collect::<Vec<_>>()
            .join(";\n")
    }
}

/// Every `(kind, qualified name)` the files under `dir/definitions/`
/// create, in the order they apply, for autogenerate and `migrate check`
/// to leave out of the comparison when `schema.sql` does not declare them
/// (the objects are the definitions', not the declared schema's).
///
/// Names are as the database stores them (unquoted names folded to lower
/// case), `schema.name` when the file names a schema. A directory without
/// `definitions/` gives an empty list.
///
/// ```
/// use migrate_core::definitions::{DefinitionKind, defined_objects};
/// let dir = tempfile::tempdir().unwrap();
/// std::fs::create_dir(dir.path().join("definitions")).unwrap();
/// std::fs::write(
///     dir.path().join("definitions/active.sql"),
///     "CREATE OR REPLACE VIEW Active_Users AS SELECT 1 AS x;",
/// )
/// .unwrap();
/// let objects = defined_objects(dir.path(), "m", &migrate_core::DialectCheck::Off).unwrap();
/// assert_eq!(objects, [(DefinitionKind::View, "active_users".to_owned())]);
/// ```
pub fn defined_objects(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
) -> Result<Vec<(DefinitionKind, String)>, Errors> {
    let defs = load_definitions(dir, display, dialects, crate::DEFAULT_MAX_FILE_SIZE)?;
    Ok(defs.iter().flat_map(Definition::defines).collect())
}

/// Reads, checks and orders the files under `dir/definitions/` (at any
/// depth; hidden files and directories are skipped, files not ending in
/// `.sql` are ignored). Every problem is reported: a statement that is not
/// a definition, a syntax error in the configured dialects, two files
/// defining one object, a cycle. The result is in the order they apply.
pub fn load_definitions(
    dir: &Path,
    display: &str,
    dialects: &DialectCheck,
    max_file_size: u64,
) -> Result<Vec<Definition>, Errors> {
    let root = dir.join(DEFINITIONS_DIR);
    if !root.is_dir() {
        return Ok(Vec::new());
    }
    let shown_root = format!("{}/{DEFINITIONS_DIR}", display.trim_end_matches('/'));
    let listed = match crate::load::list_files(&root, &shown_root, false) {
        Ok(listed) => listed,
        Err(e) => return Err(Errors::from_vec(vec![e]).unwrap_or_else(|| unreachable!())),
    };
    let mut errors = listed.problems;
    let mut defs = Vec::new();
    for name in listed.names.iter().filter(|n| n.ends_with(".sql")) {
        let path = format!("{shown_root}/{name}");
        let text = match crate::load::read_migration_file(&root.join(name), &path, max_file_size) {
            Ok(text) => text,
            Err(e) => {
                errors.push(e);
                continue;
            }
        };
        match parse_definition(&path, name, &text) {
            Ok(def) => {
                errors.extend(check_section(&path, "definition", &def.section, dialects));
                defs.push(def);
            }
            Err(e) => errors.extend(e),
        }
    }
    if errors.is_empty() {
        match order(defs) {
            Ok(ordered) => return Ok(ordered),
            Err(e) => errors.extend(e),
        }
    }
    Err(Errors::from_vec(errors).unwrap_or_else(|| unreachable!("checked non-empty")))
}

/// Parses one definition file's text: its statements and what each
/// creates. `path` names it in messages, `name` is its path under
/// `definitions/`.
pub fn parse_definition(path: &str, name: &str, text: &str) -> Result<Definition, Vec<Error>> {
    let sql = crate::normalize_text(text);
    let statements = split_statements(&sql, 1);
    let section = Section {
        sql,
        first_line: 1,
        statements,
    };
    let mut errors = Vec::new();
    let mut objects = Vec::new();
    let mut references = Vec::new();
    for (i, statement) in section.statements.iter().enumerate() {
        let text = section.statement_sql(statement);
        let tokens = lex(text);
        let problem = |problem: String| Error::Definition {
            path: path.to_owned(),
            line: statement.line,
            problem,
        };
        match classify(text, &tokens) {
            Ok(Some(mut object)) => {
                object.statement = i;
                objects.push(object);
            }
            Ok(None) => {}
            Err(p) => errors.push(problem(p)),
        }
        references.extend(mentioned(&tokens));
    }
    if section.statements.is_empty() {
        errors.push(Error::Definition {
            path: path.to_owned(),
            line: 1,
            problem: "the file holds no statement; write the definition (`CREATE OR REPLACE VIEW …`) or delete the file".into(),
        });
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    references.sort();
    references.dedup();
    Ok(Definition {
        path: path.to_owned(),
        name: name.to_owned(),
        checksum: crate::checksum::checksum(&section.sql),
        section,
        objects,
        references,
    })
}

/// Orders the files: each after the files defining what it mentions, ties
/// by path. Two files defining one object, or a cycle, are errors.
fn order(defs: Vec<Definition>) -> Result<Vec<Definition>, Vec<Error>> {
    let mut errors = Vec::new();
    // (kind-less) name -> defining files: a reference is by name.
    let mut by_name: HashMap<String, Vec<(usize, Option<String>)>> = HashMap::new();
    let mut owner: BTreeMap<(DefinitionKind, String, String), usize> = BTreeMap::new();
    for (i, d) in defs.iter().enumerate() {
        for o in &d.objects {
            by_name
                .entry(o.name.clone())
                .or_default()
                .push((i, o.schema.clone()));
            // A function is known by name and arguments; a trigger by
            // table and name.
            let extra = match o.kind {
                DefinitionKind::Trigger => format!("{:?}", o.table),
                _ => o.args.clone().unwrap_or_default().to_lowercase(),
            };
            let key = (o.kind, o.qualified_name(), extra);
            if let Some(&first) = owner.get(&key) {
                if first != i {
                    errors.push(Error::Definition {
                        path: d.path.clone(),
                        line: d.section.statements[o.statement].line,
                        problem: format!(
                            "{} {} is already defined in {}; keep one definition of it (a definition file replaces its objects whole)",
                            o.kind,
                            o.qualified_name(),
                            defs[first].path
                        ),
                    });
                }
            } else {
                owner.insert(key, i);
            }
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    // after[i]: the files i must come after.
    let after: Vec<Vec<usize>> =
        defs.iter()
            .enumerate()
            .map(|(i, d)| {
                let mut deps: Vec<usize> =
                    d.references
                        .iter()
                        .flat_map(|(schema, name)| {
                            by_name.get(name).into_iter().flatten().filter_map(
                                move |(j, s)| match (schema, s) {
                                    (Some(a), Some(b)) if a != b => None,
                                    _ => Some(*j),
                                },
                            )
                        })
                        .filter(|&j| j != i)
                        .collect();
                deps.sort_unstable();
                deps.dedup();
                deps
            })
            .collect();
    // Kahn's algorithm, always taking the ready file with the smallest path
    // (the files come sorted by path).
    let n = defs.len();
    let mut waiting: Vec<usize> = after.iter().map(Vec::len).collect();
    let mut dependents = vec![Vec::new(); n];
    for (i, deps) in after.iter().enumerate() {
        for &j in deps {
            dependents[j].push(i);
        }
    }
    let mut ready: std::collections::BTreeSet<usize> =
        (0..n).filter(|&i| waiting[i] == 0).collect();
    let mut sequence = Vec::with_capacity(n);
    while let Some(i) = ready.pop_first() {
        sequence.push(i);
        for &k in &dependents[i] {
            waiting[k] -= 1;
            if waiting[k] == 0 {
                ready.insert(k);
            }
        }
    }
    if sequence.len() < n {
        // Walk back from a file left over until a file repeats: the cycle.
        let left: Vec<bool> = (0..n).map(|i| waiting[i] > 0).collect();
        let start = (0..n).find(|&i| left[i]).unwrap_or(0);
        let mut path = vec![start];
        let mut at = start;
        while let Some(&next) = after[at].iter().find(|&&j| left[j]) {
            if let Some(pos) = path.iter().position(|&p| p == next) {
                path.drain(..pos);
                path.push(next);
                break;
            }
            path.push(next);
            at = next;
        }
        let cycle = path
            .iter()
            .map(|&i| defs[i].path.as_str())
            .collect::<Vec<_>>()
            .join(" needs ");
        let first = &defs[path[0]];
        return Err(vec![Error::Definition {
            path: first.path.clone(),
            line: 1,
            problem: format!(
                "definitions depend on each other in a cycle: {cycle}; no order can apply them, so move one of the objects into a revision or stop one file from naming the other's object"
            ),
        }]);
    }
    let mut slots: Vec<Option<Definition>> = defs.into_iter().map(Some).collect();
    Ok(sequence
        .into_iter()
        .filter_map(|i| slots[i].take())
        .collect())
}

/// A token of a statement, for classifying it and finding the names it
/// mentions.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    /// An unquoted word, as written.
    Word(String),
    /// A quoted identifier, its quotes removed.
    Quoted(String),
    /// A string literal (its text is not needed).
    Str,
    /// A dollar-quoted body.
    Dollar(String),
    /// Any other character (numbers count as `0`).
    Punct(char),
}

impl Tok {
    fn is_word(&self, word: &str) -> bool {
        matches!(self, Tok::Word(w) if w.eq_ignore_ascii_case(word))
    }

    /// An identifier (a word or a quoted name), folded as the database
    /// stores it.
    fn ident(&self) -> Option<String> {
        match self {
            Tok::Word(w) => Some(w.to_lowercase()),
            Tok::Quoted(q) => Some(q.clone()),
            _ => None,
        }
    }
}

/// Lexes a statement: comments dropped, quoted forms kept whole (the
/// splitter's own skipping of comments and quoted forms).
fn lex(sql: &str) -> Vec<Tok> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    let word_byte = |b: u8| b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80;
    while i < bytes.len() {
        let b = bytes[i];
        if b.is_ascii_whitespace() {
            i += 1;
        } else if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i = skip_block_comment(bytes, i);
        } else if b == b'\'' {
            i = skip_quoted(bytes, i, b'\'', false);
            out.push(Tok::Str);
        } else if (b == b'e' || b == b'E') && bytes.get(i + 1) == Some(&b'\'') {
            i = skip_quoted(bytes, i + 1, b'\'', true);
            out.push(Tok::Str);
        } else if b == b'"' || b == b'`' {
            let end = skip_quoted(bytes, i, b, false);
            let inner = &sql[i + 1..end.saturating_sub(1).max(i + 1)];
            let q = if b == b'"' { "\"\"" } else { "``" };
            out.push(Tok::Quoted(inner.replace(q, &q[..1])));
            i = end;
        } else if b == b'$'
            && let Some(after) = crate::syntax::dollar_tag(bytes, i)
        {
            let tag = &sql[i..after];
            let end = sql[after..].find(tag).map_or(sql.len(), |k| after + k);
            out.push(Tok::Dollar(sql[after..end].to_owned()));
            i = (end + tag.len()).min(sql.len());
        } else if b.is_ascii_digit() {
            while i < bytes.len() && (bytes[i].is_ascii_alphanumeric() || bytes[i] == b'.') {
                i += 1;
            }
            out.push(Tok::Punct('0'));
        } else if word_byte(b) {
            let start = i;
            while i < bytes.len() && word_byte(bytes[i]) {
                i += 1;
            }
            out.push(Tok::Word(sql[start..i].to_owned()));
        } else {
            let c = sql[i..].chars().next().unwrap_or(' ');
            out.push(Tok::Punct(c));
            i += c.len_utf8();
        }
    }
    out
}

/// A dotted name starting at `tokens[i]`: its parts (folded) and the index
/// past it.
fn dotted(tokens: &[Tok], mut i: usize) -> Option<(Vec<String>, usize)> {
    let mut parts = vec![tokens.get(i)?.ident()?];
    i += 1;
    while tokens.get(i) == Some(&Tok::Punct('.')) {
        let Some(part) = tokens.get(i + 1).and_then(Tok::ident) else {
            break;
        };
        parts.push(part);
        i += 2;
    }
    Some((parts, i))
}

/// What a statement creates (`None` for `COMMENT ON`), or why it does not
/// belong in a definition file.
fn classify(text: &str, tokens: &[Tok]) -> Result<Option<DefinedObject>, String> {
    let lead = || {
        let line = text.trim_start().lines().next().unwrap_or("").trim_end();
        match line.char_indices().nth(48) {
            Some((cut, _)) => format!("{}…", &line[..cut]),
            None => line.to_owned(),
        }
    };
    let refuse = |what: String| {
        Err(format!(
            "`{what}` does not belong in a definition file, which holds only CREATE OR REPLACE VIEW, FUNCTION, PROCEDURE or TRIGGER (CREATE VIEW or CREATE TRIGGER, which are dropped and created again) and COMMENT ON; put it in a revision (`migrate revision -m \"…\"`)"
        ))
    };
    let first = tokens.first();
    if first.is_some_and(|t| t.is_word("COMMENT")) && tokens.get(1).is_some_and(|t| t.is_word("ON"))
    {
        return Ok(None);
    }
    if !first.is_some_and(|t| t.is_word("CREATE")) {
        return refuse(lead());
    }
    let mut i = 1;
    let or_replace = tokens.get(1).is_some_and(|t| t.is_word("OR"))
        && tokens.get(2).is_some_and(|t| t.is_word("REPLACE"));
    if or_replace {
        i = 3;
    }
    let at = |i: usize, w: &str| tokens.get(i).is_some_and(|t| t.is_word(w));
    if at(i, "TEMP") || at(i, "TEMPORARY") {
        return Err(
            "a temporary object lasts only for the session that applies it; create it where it is used instead of in a definition file".into(),
        );
    }
    if at(i, "MATERIALIZED") {
        return Err(
            "a materialized view cannot be a definition: PostgreSQL has no CREATE OR REPLACE MATERIALIZED VIEW, and re-creating one rebuilds its data; create it (and later drop and re-create it) in a revision".into(),
        );
    }
    if at(i, "RECURSIVE") {
        i += 1;
    }
    if at(i, "CONSTRAINT") && at(i + 1, "TRIGGER") {
        i += 1;
    }
    let kind = if at(i, "VIEW") {
        DefinitionKind::View
    } else if at(i, "FUNCTION") {
        DefinitionKind::Function
    } else if at(i, "PROCEDURE") {
        DefinitionKind::Procedure
    } else if at(i, "TRIGGER") {
        DefinitionKind::Trigger
    } else {
        return refuse(lead());
    };
    i += 1;
    if at(i, "IF") {
        return Err(format!(
            "`IF NOT EXISTS` would keep the {kind} as it was when the file changes; remove it (the runtime drops the {kind} before creating it again)"
        ));
    }
    if !or_replace && matches!(kind, DefinitionKind::Function | DefinitionKind::Procedure) {
        return Err(format!(
            "a {kind} in a definition file must be written CREATE OR REPLACE {}, so that applying a changed file replaces it",
            kind.as_str().to_uppercase()
        ));
    }
    let Some((mut parts, mut next)) = dotted(tokens, i) else {
        return Err(format!(
            "cannot read the name of the {kind}; write `CREATE OR REPLACE {} name …`",
            kind.as_str().to_uppercase()
        ));
    };
    let name = parts.pop().unwrap_or_default();
    let schema = parts.pop();
    let mut object = DefinedObject {
        kind,
        schema,
        name,
        table: None,
        args: None,
        or_replace,
        statement: 0,
    };
    match kind {
        DefinitionKind::Function | DefinitionKind::Procedure => {
            object.args = Some(drop_args(tokens, next));
        }
        DefinitionKind::Trigger => {
            while next < tokens.len() && !tokens[next].is_word("ON") {
                next += 1;
            }
            if let Some((mut parts, _)) = dotted(tokens, next + 1) {
                let table = parts.pop().unwrap_or_default();
                object.table = Some((parts.pop(), table));
            }
        }
        DefinitionKind::View => {}
    }
    Ok(Some(object))
}

/// A function's argument list at `tokens[i]` (`(`), as `DROP FUNCTION`
/// takes it: each argument's tokens up to its `DEFAULT` or `=`.
fn drop_args(tokens: &[Tok], i: usize) -> String {
    if tokens.get(i) != Some(&Tok::Punct('(')) {
        return String::new();
    }
    let mut args: Vec<String> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let mut cut = false;
    let mut depth = 0;
    for t in &tokens[i + 1..] {
        match t {
            Tok::Punct('(') | Tok::Punct('[') => depth += 1,
            Tok::Punct(')') | Tok::Punct(']') if depth == 0 => break,
            Tok::Punct(')') | Tok::Punct(']') => depth -= 1,
            Tok::Punct(',') if depth == 0 => {
                args.push(current.join(" "));
                current.clear();
                cut = false;
                continue;
            }
            _ => {}
        }
        if depth == 0 && (t.is_word("DEFAULT") || *t == Tok::Punct('=')) {
            cut = true;
        }
        if cut {
            continue;
        }
        current.push(match t {
            Tok::Word(w) => w.clone(),
            Tok::Quoted(q) => crate::quote_ident_always(q),
            Tok::Punct(c) => c.to_string(),
            Tok::Str | Tok::Dollar(_) => String::new(),
        });
    }
    if !current.is_empty() {
        args.push(current.join(" "));
    }
    args.join(", ")
        .replace(" ( ", "(")
        .replace(" )", ")")
        .replace(" [ ]", "[]")
        .replace(" , ", ", ")
}

/// Every dotted name a statement mentions, as `(schema, name)`, including
/// those in the body of a `LANGUAGE sql` function.
fn mentioned(tokens: &[Tok]) -> Vec<(Option<String>, String)> {
    let sql_body = tokens.windows(2).any(|w| {
        w[0].is_word("LANGUAGE")
            && (w[1].is_word("sql")
                || matches!(&w[1], Tok::Quoted(q) if q.eq_ignore_ascii_case("sql")))
    });
    let mut out = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if let Tok::Dollar(body) = &tokens[i] {
            if sql_body {
                out.extend(mentioned(&lex(body)));
            }
            i += 1;
            continue;
        }
        match dotted(tokens, i) {
            Some((mut parts, next)) => {
                let name = parts.pop().unwrap_or_default();
                out.push((parts.pop(), name));
                i = next;
            }
            None => i += 1,
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, text: &str) -> Definition {
        parse_definition(&format!("m/definitions/{name}"), name, text).expect("a definition")
    }

    fn problems(text: &str) -> Vec<String> {
        parse_definition("m/definitions/x.sql", "x.sql", text)
            .expect_err("refused")
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn definitions_are_read_with_their_objects() {
        let d = def(
            "f.sql",
            "-- the function\nCREATE OR REPLACE FUNCTION app.add(a integer, b integer DEFAULT 1)\nRETURNS integer LANGUAGE sql AS $$ SELECT a + b $$;\nCOMMENT ON FUNCTION app.add(integer, integer) IS 'adds';\nCREATE VIEW \"Totals\" AS SELECT app.add(1, 2) AS x;",
        );
        assert_eq!(d.objects.len(), 2);
        let f = &d.objects[0];
        assert_eq!(f.kind, DefinitionKind::Function);
        assert_eq!(f.qualified_name(), "app.add");
        assert_eq!(
            f.drop_sql(Dialect::Postgres),
            r#"DROP FUNCTION IF EXISTS "app"."add"(a integer, b integer)"#
        );
        assert!(f.or_replace);
        let v = &d.objects[1];
        assert_eq!(
            (v.kind, v.name.as_str(), v.or_replace),
            (DefinitionKind::View, "Totals", false)
        );
        assert_eq!(v.statement, 2);
        assert_eq!(
            v.drop_sql(Dialect::Sqlite),
            r#"DROP VIEW IF EXISTS "Totals""#
        );
    }

    #[test]
    fn what_is_not_a_definition_is_refused_at_its_line() {
        let p = problems(
            "CREATE OR REPLACE VIEW v AS SELECT 1;\n\nCREATE TABLE t (id int);\nINSERT INTO t VALUES (1);",
        );
        assert_eq!(p.len(), 2, "{p:?}");
        assert!(
            p[0].starts_with("m/definitions/x.sql:3: `CREATE TABLE t (id int)` does not belong"),
            "{p:?}"
        );
        assert!(p[0].contains("put it in a revision"), "{p:?}");
        assert!(
            p[1].starts_with("m/definitions/x.sql:4: `INSERT INTO"),
            "{p:?}"
        );
        let p = problems("CREATE MATERIALIZED VIEW m AS SELECT 1;");
        assert!(
            p[0].contains("a materialized view cannot be a definition"),
            "{p:?}"
        );
        let p = problems("CREATE FUNCTION f() RETURNS int LANGUAGE sql AS 'SELECT 1';");
        assert!(
            p[0].contains("must be written CREATE OR REPLACE FUNCTION"),
            "{p:?}"
        );
        let p = problems("CREATE VIEW IF NOT EXISTS v AS SELECT 1;");
        assert!(p[0].contains("remove it"), "{p:?}");
        let p = problems("-- nothing\n");
        assert!(p[0].contains("holds no statement"), "{p:?}");
    }

    #[test]
    fn files_are_ordered_by_what_they_name_then_by_path() {
        let a = def(
            "a_report.sql",
            "CREATE OR REPLACE VIEW report AS SELECT * FROM active_users;",
        );
        let b = def(
            "b_active.sql",
            "CREATE OR REPLACE VIEW active_users AS SELECT * FROM users WHERE active;",
        );
        let c = def(
            "c_touch.sql",
            "CREATE OR REPLACE TRIGGER t BEFORE UPDATE ON users FOR EACH ROW EXECUTE FUNCTION touch();",
        );
        let d = def(
            "d_fn.sql",
            "CREATE OR REPLACE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.at = now(); RETURN NEW; END $$;",
        );
        let e = def(
            "e_free.sql",
            "CREATE OR REPLACE VIEW free AS SELECT 1 AS report_count;",
        );
        let ordered = order(vec![a, b, c, d, e]).unwrap();
        let names: Vec<&str> = ordered.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(
            names,
            [
                "b_active.sql",
                "a_report.sql",
                "d_fn.sql",
                "c_touch.sql",
                "e_free.sql"
            ]
        );
    }

    #[test]
    fn a_cycle_names_the_files() {
        let a = def("a.sql", "CREATE OR REPLACE VIEW x AS SELECT * FROM y;");
        let b = def("b.sql", "CREATE OR REPLACE VIEW y AS SELECT * FROM x;");
        let e = order(vec![a, b]).unwrap_err();
        let shown = e[0].to_string();
        assert!(
            shown.starts_with("m/definitions/a.sql:1: definitions depend on each other in a cycle: m/definitions/a.sql needs m/definitions/b.sql needs m/definitions/a.sql"),
            "{shown}"
        );
    }

    #[test]
    fn an_object_defined_twice_is_refused() {
        let a = def("a.sql", "CREATE OR REPLACE VIEW x AS SELECT 1;");
        let b = def("b.sql", "CREATE VIEW X AS SELECT 2;");
        let e = order(vec![a, b]).unwrap_err();
        assert!(
            e[0].to_string()
                .contains("view x is already defined in m/definitions/a.sql"),
            "{}",
            e[0]
        );
    }

    #[test]
    fn the_revision_loader_leaves_definitions_alone() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("1_a.sql"),
            "-- revision: a\n-- down_revision: none\n-- migrate:upgrade\nCREATE TABLE users (id int, active bool);\n-- migrate:downgrade\nDROP TABLE users;\n",
        )
        .unwrap();
        std::fs::create_dir_all(dir.path().join("definitions/reports")).unwrap();
        std::fs::write(
            dir.path().join("definitions/reports/daily.sql"),
            "CREATE VIEW daily AS SELECT * FROM active;",
        )
        .unwrap();
        std::fs::write(
            dir.path().join("definitions/active.sql"),
            "CREATE VIEW active AS SELECT * FROM users WHERE active;",
        )
        .unwrap();
        let m = crate::load_directory(dir.path(), "m", &DialectCheck::Any).unwrap();
        assert_eq!(m.revisions.len(), 1);
        let names: Vec<&str> = m.definitions.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(names, ["active.sql", "reports/daily.sql"]);
        std::fs::write(
            dir.path().join("definitions/bad.sql"),
            "CREATE VIEW broken AS SELEC 1;",
        )
        .unwrap();
        let e = crate::load_directory(dir.path(), "m", &DialectCheck::Any).unwrap_err();
        let shown: Vec<String> = e.as_slice().iter().map(ToString::to_string).collect();
        assert!(
            shown[0].starts_with("m/definitions/bad.sql:1:"),
            "{shown:?}"
        );
    }
}
