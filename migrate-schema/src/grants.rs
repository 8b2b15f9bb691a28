//! Privileges on tables, views, materialized views, sequences, functions
//! and procedures (PostgreSQL), compared when `compare_grants` is on (migrate.toml; off by
//! default, and then `GRANT` and `REVOKE` in schema.sql are skipped and
//! nothing here runs).
//!
//! The declared privileges of an object are the fold of the file's `GRANT`
//! and `REVOKE` statements, in file order, over its default privileges:
//! nothing for anyone but the owner (see [`fold`]); for a routine,
//! `EXECUTE` for `PUBLIC` too ([`routine_default`]). That is how pg_dump
//! writes them, so a dump reads back as its database. The owner's own
//! privileges are never compared.
//!
//! The comparison makes two [`Change::Grants`] per object that
//! differs: the revokes, first of all changes (the object still has its
//! old name and its columns), and the grants, last (every object and
//! column exists by then). An object dropped and created again (a view
//! re-created around a column change) has lost its privileges: its
//! revokes take it to none before the drop and its grants give it the
//! declared ones after the create, so the downgrade re-grants what the
//! database held.

use std::collections::{BTreeMap, BTreeSet};

use migrate_core::quote_ident;
use migrate_core::sql::Dialect;

use crate::diff::Change;
use crate::kinds::KindChange;
use crate::model::{Grantee, ObjectGrants, Privilege, QualifiedName, Schema};

/// The privileges of `GRANT ALL` on a table, view or materialized view
/// (PostgreSQL 15).
pub const TABLE_PRIVILEGES: [&str; 7] = [
    "SELECT",
    "INSERT",
    "UPDATE",
    "DELETE",
    "TRUNCATE",
    "REFERENCES",
    "TRIGGER",
];

/// The privileges of `GRANT ALL` on a sequence.
pub const SEQUENCE_PRIVILEGES: [&str; 3] = ["USAGE", "SELECT", "UPDATE"];

/// What a [`Change::Grants`] is on: how `GRANT … ON` names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum GrantOn {
    /// A table, view or materialized view: `ON TABLE name`.
    Table,
    /// A sequence: `ON SEQUENCE name`.
    Sequence,
    /// A function or procedure, with its argument types (as
    /// [`Function::arg_types`](crate::Function::arg_types)): `ON ROUTINE
    /// name(types)`.
    Routine(String),
}

impl GrantOn {
    /// The object as a summary names it: `t`, `f(integer)`.
    pub fn describe(&self, object: &QualifiedName) -> String {
        match self {
            GrantOn::Routine(args) => format!("{object}({args})"),
            _ => object.to_string(),
        }
    }
}

/// The privileges a routine has when nothing was granted or revoked:
/// `EXECUTE` for `PUBLIC`.
pub fn routine_default() -> BTreeMap<Privilege, bool> {
    BTreeMap::from([(
        Privilege {
            grantee: Grantee::Public,
            privilege: "EXECUTE".to_owned(),
            column: None,
        },
        false,
    )])
}

/// The privileges of `GRANT ALL (columns)`.
pub const COLUMN_PRIVILEGES: [&str; 4] = ["SELECT", "INSERT", "UPDATE", "REFERENCES"];

/// What one `GRANT` or `REVOKE` does to an object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// `GRANT … [WITH GRANT OPTION]`.
    Grant {
        /// `WITH GRANT OPTION`.
        with_grant_option: bool,
    },
    /// `REVOKE [GRANT OPTION FOR] …`.
    Revoke {
        /// `GRANT OPTION FOR`: only the right to grant goes.
        grant_option_only: bool,
    },
}

/// Applies one statement to an object's privileges: each of `privileges`
/// (`(privilege, columns)`; no columns for the whole object) for each of
/// `grantees`. Revoking a privilege on the object revokes it on its
/// columns too, as PostgreSQL does.
pub fn fold(
    grants: &mut ObjectGrants,
    privileges: &[(String, Vec<String>)],
    grantees: &[Grantee],
    operation: Operation,
) {
    for grantee in grantees {
        for (privilege, columns) in privileges {
            let keys: Vec<Privilege> = if columns.is_empty() {
                vec![Privilege {
                    grantee: grantee.clone(),
                    privilege: privilege.clone(),
                    column: None,
                }]
            } else {
                columns
                    .iter()
                    .map(|c| Privilege {
                        grantee: grantee.clone(),
                        privilege: privilege.clone(),
                        column: Some(c.clone()),
                    })
                    .collect()
            };
            match operation {
                Operation::Grant { with_grant_option } => {
                    for key in keys {
                        let held = grants.privileges.entry(key).or_insert(false);
                        *held |= with_grant_option;
                    }
                }
                Operation::Revoke { grant_option_only } => {
                    let whole = columns.is_empty();
                    let hit = |p: &Privilege| {
                        keys.contains(p)
                            || (whole
                                && p.grantee == *grantee
                                && p.privilege == *privilege
                                && p.column.is_some())
                    };
                    if grant_option_only {
                        for (p, grantable) in grants.privileges.iter_mut() {
                            if hit(p) {
                                *grantable = false;
                            }
                        }
                    } else {
                        grants.privileges.retain(|p, _| !hit(p));
                    }
                }
            }
        }
    }
}

/// `privileges` without those of `owner`.
fn without_owner(
    privileges: &BTreeMap<Privilege, bool>,
    owner: Option<&str>,
) -> BTreeMap<Privilege, bool> {
    privileges
        .iter()
        .filter(|(p, _)| !matches!((&p.grantee, owner), (Grantee::Role(r), Some(o)) if r == o))
        .map(|(p, g)| (p.clone(), *g))
        .collect()
}

/// What both sides hold: each privilege of `from` that `to` also has,
/// grantable only when both say so.
fn common(
    from: &BTreeMap<Privilege, bool>,
    to: &BTreeMap<Privilege, bool>,
) -> BTreeMap<Privilege, bool> {
    from.iter()
        .filter_map(|(p, g)| to.get(p).map(|h| (p.clone(), *g && *h)))
        .collect()
}

/// The changes that give each object its declared privileges, around the
/// `list` of other changes: `(before, after)`. `current` is keyed by the
/// names before the list's renames, `target` by the declared names.
pub(crate) fn plan(
    current: &BTreeMap<QualifiedName, ObjectGrants>,
    target: &BTreeMap<QualifiedName, ObjectGrants>,
    list: &[Change],
) -> (Vec<Change>, Vec<Change>) {
    let mut renamed: BTreeMap<&QualifiedName, &QualifiedName> = BTreeMap::new();
    let mut created: BTreeSet<&QualifiedName> = BTreeSet::new();
    let mut dropped: BTreeSet<&QualifiedName> = BTreeSet::new();
    for change in list {
        match change {
            Change::RenameTable { from, to } => {
                renamed.insert(from, to);
            }
            Change::CreateTable(t) => {
                created.insert(&t.name);
            }
            Change::CreateView(v) => {
                created.insert(&v.name);
            }
            Change::Kind(KindChange::CreateSequence(s)) => {
                created.insert(&s.name);
            }
            Change::DropTable { table, .. } => {
                dropped.insert(&table.name);
            }
            Change::DropView(v) => {
                dropped.insert(&v.name);
            }
            Change::Kind(KindChange::DropSequence(s)) => {
                dropped.insert(&s.name);
            }
            _ => {}
        }
    }
    // Columns dropped and added again (a changed generation expression)
    // lose their privileges like a re-created object.
    let added: BTreeSet<(&QualifiedName, &str)> = list
        .iter()
        .filter_map(|c| match c {
            Change::AddColumn { table, column } => Some((table, column.name.as_str())),
            _ => None,
        })
        .collect();
    let recreated_columns: BTreeSet<(&QualifiedName, &str)> = list
        .iter()
        .filter_map(|c| match c {
            Change::DropColumn { table, column, .. } => Some((table, column.name.as_str())),
            _ => None,
        })
        .filter(|k| added.contains(k))
        .collect();
    let none = BTreeMap::new();
    let mut before = Vec::new();
    let mut after = Vec::new();
    let mut seen: BTreeSet<&QualifiedName> = BTreeSet::new();
    for (old, held) in current {
        let name = renamed.get(old).copied().unwrap_or(old);
        seen.insert(name);
        let owner = held.owner.as_deref();
        let from = without_owner(&held.privileges, owner);
        let declared = target.get(name);
        let on = if held.sequence || declared.is_some_and(|d| d.sequence) {
            GrantOn::Sequence
        } else {
            GrantOn::Table
        };
        let to = declared.map_or_else(BTreeMap::new, |d| without_owner(&d.privileges, owner));
        let gone = dropped.contains(old) && !renamed.contains_key(old);
        let mut middle = if gone {
            none.clone()
        } else {
            common(&from, &to)
        };
        middle.retain(|p, _| {
            p.column
                .as_deref()
                .is_none_or(|c| !recreated_columns.contains(&(name, c)))
        });
        if from != middle {
            before.push(Change::Grants {
                object: old.clone(),
                on: on.clone(),
                from,
                to: middle.clone(),
            });
        }
        if (!gone || created.contains(name)) && middle != to {
            after.push(Change::Grants {
                object: name.clone(),
                on,
                from: middle,
                to,
            });
        }
    }
    for (name, declared) in target {
        if seen.contains(name) || declared.privileges.is_empty() {
            continue;
        }
        after.push(Change::Grants {
            object: name.clone(),
            on: if declared.sequence {
                GrantOn::Sequence
            } else {
                GrantOn::Table
            },
            from: BTreeMap::new(),
            to: declared.privileges.clone(),
        });
    }
    (before, after)
}

/// [`plan`] for functions and procedures: each routine of either side,
/// whose privileges are its entry in [`Schema::routine_grants`] or the
/// default ([`routine_default`]). A created routine starts with the
/// default; a dropped one (also one dropped and created again) is taken
/// back to it before the drop.
pub(crate) fn plan_routines(
    current: &Schema,
    target: &Schema,
    list: &[Change],
) -> (Vec<Change>, Vec<Change>) {
    let dropped: BTreeSet<(QualifiedName, String)> = list
        .iter()
        .filter_map(|c| match c {
            Change::DropFunction(f) => Some((f.name.clone(), f.arg_types.clone())),
            _ => None,
        })
        .collect();
    let default = routine_default();
    let mut before = Vec::new();
    let mut after = Vec::new();
    let keys: BTreeSet<&(QualifiedName, String)> = current
        .functions
        .keys()
        .chain(target.functions.keys())
        .collect();
    for k in keys {
        let held = current.routine_grants.get(k);
        let owner = held.and_then(|g| g.owner.as_deref());
        let of = |g: Option<&ObjectGrants>| {
            g.map_or_else(|| default.clone(), |g| without_owner(&g.privileges, owner))
        };
        let on = GrantOn::Routine(k.1.clone());
        let exists_now = current.functions.contains_key(k);
        let exists_then = target.functions.contains_key(k);
        let from = if exists_now {
            of(held)
        } else {
            default.clone()
        };
        let to = if exists_then {
            of(target.routine_grants.get(k))
        } else {
            default.clone()
        };
        let middle = if !exists_now || dropped.contains(k) {
            default.clone()
        } else {
            common(&from, &to)
        };
        if exists_now && from != middle {
            before.push(Change::Grants {
                object: k.0.clone(),
                on: on.clone(),
                from: from.clone(),
                to: middle.clone(),
            });
        }
        if exists_then && middle != to {
            // A routine kept: only grants are left. A created one: its
            // default may be revoked too, after it exists.
            after.push(Change::Grants {
                object: k.0.clone(),
                on,
                from: middle,
                to,
            });
        }
    }
    (before, after)
}

/// A grantee as SQL: `PUBLIC`, or the role's name quoted where needed.
fn grantee_sql(grantee: &Grantee) -> String {
    match grantee {
        Grantee::Public => "PUBLIC".to_owned(),
        Grantee::Role(name) => quote_ident(name, Dialect::Postgres),
    }
}

/// The statements that take `object` from `from` to `to`: revokes first
/// (a lost grant option before a lost privilege), then grants.
pub(crate) fn render(
    object: &str,
    on: &GrantOn,
    from: &BTreeMap<Privilege, bool>,
    to: &BTreeMap<Privilege, bool>,
) -> Vec<String> {
    let (on, object) = match on {
        GrantOn::Table => ("TABLE", object.to_owned()),
        GrantOn::Sequence => ("SEQUENCE", object.to_owned()),
        GrantOn::Routine(args) => ("ROUTINE", format!("{object}({args})")),
    };
    let what = |p: &Privilege| match &p.column {
        Some(c) => format!("{} ({})", p.privilege, quote_ident(c, Dialect::Postgres)),
        None => p.privilege.clone(),
    };
    changes(from, to)
        .into_iter()
        .map(|change| match change {
            PrivilegeStep::Revoke(p) => format!(
                "REVOKE {} ON {on} {object} FROM {}",
                what(p),
                grantee_sql(&p.grantee)
            ),
            PrivilegeStep::RevokeOption(p) => format!(
                "REVOKE GRANT OPTION FOR {} ON {on} {object} FROM {}",
                what(p),
                grantee_sql(&p.grantee)
            ),
            PrivilegeStep::Grant(p, grantable) => format!(
                "GRANT {} ON {on} {object} TO {}{}",
                what(p),
                grantee_sql(&p.grantee),
                if grantable { " WITH GRANT OPTION" } else { "" }
            ),
        })
        .collect()
}

/// One step between two sets of privileges.
enum PrivilegeStep<'a> {
    /// The privilege goes.
    Revoke(&'a Privilege),
    /// The privilege stays, its grant option goes.
    RevokeOption(&'a Privilege),
    /// The privilege comes, or gains its grant option (`true`).
    Grant(&'a Privilege, bool),
}

/// The steps that take `from` to `to`: revokes first (a lost grant option
/// before a lost privilege, in the privileges' order), then grants.
fn changes<'a>(
    from: &'a BTreeMap<Privilege, bool>,
    to: &'a BTreeMap<Privilege, bool>,
) -> Vec<PrivilegeStep<'a>> {
    let mut out = Vec::new();
    for (p, &grantable) in from {
        match to.get(p) {
            None => out.push(PrivilegeStep::Revoke(p)),
            Some(false) if grantable => out.push(PrivilegeStep::RevokeOption(p)),
            Some(_) => {}
        }
    }
    for (p, &grantable) in to {
        let before = from.get(p);
        if before.is_none() || (grantable && before == Some(&false)) {
            out.push(PrivilegeStep::Grant(p, grantable));
        }
    }
    out
}

/// A short description of a change of privileges, e.g. `grant SELECT on
/// t to reader`, `revoke INSERT on t from PUBLIC`.
pub(crate) fn summary(
    object: &str,
    from: &BTreeMap<Privilege, bool>,
    to: &BTreeMap<Privilege, bool>,
) -> String {
    let what = |p: &Privilege| match &p.column {
        Some(c) => format!("{} ({c})", p.privilege),
        None => p.privilege.clone(),
    };
    let parts: Vec<String> = changes(from, to)
        .into_iter()
        .map(|change| match change {
            PrivilegeStep::Revoke(p) => {
                format!("revoke {} on {object} from {}", what(p), p.grantee)
            }
            PrivilegeStep::RevokeOption(p) => format!(
                "revoke grant option for {} on {object} from {}",
                what(p),
                p.grantee
            ),
            PrivilegeStep::Grant(p, grantable) => format!(
                "grant {} on {object} to {}{}",
                what(p),
                p.grantee,
                if grantable { " with grant option" } else { "" }
            ),
        })
        .collect();
    parts.join(", ")
}

/// Whether a statement is a `GRANT` or `REVOKE` on functions,
/// procedures or routines by name (`ON FUNCTION f(integer)`).
pub(crate) fn on_routine(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .filter(|w| !w.is_empty())
        .take(64)
        .map(str::to_ascii_lowercase)
        .collect();
    matches!(words.first().map(String::as_str), Some("grant" | "revoke"))
        && words
            .iter()
            .position(|w| w == "on")
            .and_then(|on| words.get(on + 1))
            .is_some_and(|w| matches!(w.as_str(), "function" | "procedure" | "routine"))
}

/// A `GRANT` or `REVOKE` on routines, read from its tokens.
pub(crate) struct RoutineGrant {
    /// Each routine, by the key of [`Schema::functions`].
    pub routines: Vec<(QualifiedName, String)>,
    /// `EXECUTE` (also for `ALL`).
    pub privileges: Vec<(String, Vec<String>)>,
    /// Who.
    pub grantees: Vec<Grantee>,
    /// Grant or revoke.
    pub operation: Operation,
}

/// Reads `GRANT {EXECUTE | ALL [PRIVILEGES]} ON {FUNCTION | PROCEDURE |
/// ROUTINE} name(args)[, …] TO grantee[, …] [WITH GRANT OPTION]` and the
/// matching `REVOKE [GRANT OPTION FOR] … FROM …`; the argument list is read
/// as [`crate::views`] reads a `CREATE FUNCTION`'s, so that pg_dump's
/// `f(n integer)` and a hand-written `f(int)` name the same routine.
pub(crate) fn read_routine_grant(sql: &str) -> Result<RoutineGrant, String> {
    use sqlparser::tokenizer::Token;
    let toks = crate::views::tokens(sql, Dialect::Postgres)?;
    let word = |i: usize| toks.get(i).map(|t| t.word()).unwrap_or_default();
    let grant = word(0) == "GRANT";
    let mut i = 1;
    let mut grant_option_only = false;
    if !grant && word(1) == "GRANT" && word(2) == "OPTION" && word(3) == "FOR" {
        grant_option_only = true;
        i = 4;
    }
    let mut privileges = Vec::new();
    while i < toks.len() && word(i) != "ON" {
        match word(i).as_str() {
            "EXECUTE" | "ALL" => privileges.push(("EXECUTE".to_owned(), Vec::new())),
            "PRIVILEGES" => {}
            _ if matches!(toks[i].token, Token::Comma) => {}
            _ => {
                return Err(format!(
                    "privilege {} is not one PostgreSQL grants on a routine; use EXECUTE or ALL",
                    &sql[toks[i].start..toks[i].end]
                ));
            }
        }
        i += 1;
    }
    let kind = word(i + 1);
    i += 2;
    let mut routines = Vec::new();
    loop {
        let Some(start) = toks.get(i).map(|t| t.start) else {
            return Err("expected a routine's name".into());
        };
        let open = (i..toks.len()).find(|&j| {
            matches!(toks[j].token, Token::LParen | Token::Comma)
                || matches!(word(j).as_str(), "TO" | "FROM")
        });
        let Some(open) = open.filter(|&j| matches!(toks[j].token, Token::LParen)) else {
            return Err(format!(
                "name the routine with its argument types, e.g. `{}()` or `f(integer, text)`",
                &sql[start..toks[i].end]
            ));
        };
        let Some(close) = crate::views::closing(&toks, open) else {
            return Err("unclosed argument list".into());
        };
        let word = if kind == "PROCEDURE" {
            "PROCEDURE"
        } else {
            "FUNCTION"
        };
        let declaration = format!("CREATE {word} {}", &sql[start..toks[close].end]);
        let dtoks = crate::views::tokens(&declaration, Dialect::Postgres)?;
        let (f, _) = crate::views::read_function(&declaration, &dtoks, Dialect::Postgres)
            .map_err(|p| p.message)?;
        routines.push((f.name, f.arg_types));
        i = close + 1;
        if matches!(toks.get(i).map(|t| &t.token), Some(Token::Comma)) {
            i += 1;
        } else {
            break;
        }
    }
    if word(i) != if grant { "TO" } else { "FROM" } {
        return Err(format!(
            "expected {} after the routines",
            if grant { "TO" } else { "FROM" }
        ));
    }
    i += 1;
    let mut grantees = Vec::new();
    loop {
        if word(i) == "GROUP" {
            i += 1;
        }
        let Some(Token::Word(w)) = toks.get(i).map(|t| &t.token) else {
            return Err("expected a role name or PUBLIC".into());
        };
        if w.quote_style.is_some() {
            grantees.push(Grantee::Role(w.value.clone()));
        } else {
            match w.value.to_ascii_lowercase().as_str() {
                "public" => grantees.push(Grantee::Public),
                "current_user" | "session_user" | "current_role" => {
                    return Err(format!(
                        "grantee {} depends on who runs the comparison; name the role",
                        w.value
                    ));
                }
                _ => grantees.push(Grantee::Role(w.value.to_lowercase())),
            }
        }
        i += 1;
        if matches!(toks.get(i).map(|t| &t.token), Some(Token::Comma)) {
            i += 1;
        } else {
            break;
        }
    }
    let with_grant_option = grant
        && (i..toks.len())
            .any(|j| word(j) == "WITH" && word(j + 1) == "GRANT" && word(j + 2) == "OPTION");
    Ok(RoutineGrant {
        routines,
        privileges,
        grantees,
        operation: if grant {
            Operation::Grant { with_grant_option }
        } else {
            Operation::Revoke { grant_option_only }
        },
    })
}

/// Whether a statement is a `GRANT` or `REVOKE` on an object whose
/// privileges are not compared (a function, procedure, routine, schema,
/// type, domain, language, large object, foreign server or data wrapper,
/// tablespace, the database, a parameter): skipped on PostgreSQL whether
/// `compare_grants` is on or not. Read from the words, because sqlparser
/// does not read every such statement pg_dump writes (`ON FUNCTION
/// f(a integer)`, with argument names).
pub(crate) fn on_uncompared_object(text: &str) -> bool {
    let words: Vec<String> = text
        .split(|c: char| c.is_whitespace() || c == '(' || c == ',')
        .filter(|w| !w.is_empty())
        .take(64)
        .map(str::to_ascii_lowercase)
        .collect();
    if !matches!(words.first().map(String::as_str), Some("grant" | "revoke")) {
        return false;
    }
    let Some(on) = words.iter().position(|w| w == "on") else {
        return false;
    };
    let next = |i: usize| words.get(on + i).map_or("", String::as_str);
    match next(1) {
        "function" | "procedure" | "routine" | "schema" | "type" | "domain" | "database"
        | "language" | "large" | "foreign" | "tablespace" | "parameter" => true,
        "all" => matches!(next(2), "functions" | "procedures" | "routines"),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diff::{DiffOptions, diff};
    use crate::parse::{ParseOptions, parse_schema, parse_schema_with};
    use crate::render::render;

    fn read(sql: &str) -> crate::Schema {
        parse_schema_with(sql, Dialect::Postgres, &ParseOptions { grants: true })
            .unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn held(schema: &crate::Schema, name: &str) -> Vec<String> {
        schema
            .grants
            .get(&QualifiedName::new(name))
            .map(|g| {
                g.privileges
                    .iter()
                    .map(|(p, grantable)| {
                        format!(
                            "{}:{}{}{}",
                            p.grantee,
                            p.privilege,
                            p.column
                                .as_ref()
                                .map_or(String::new(), |c| format!("({c})")),
                            if *grantable { "*" } else { "" }
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    }

    const ON: DiffOptions = DiffOptions {
        compare_type: true,
        compare_server_default: true,
        include_schemas: false,
        compare_names: false,
        compare_grants: true,
    };

    #[test]
    fn statements_fold_in_file_order() {
        let s = read(
            "CREATE TABLE t (id int, a text);\n\
             CREATE SEQUENCE s;\n\
             CREATE VIEW v AS SELECT id FROM t;\n\
             REVOKE ALL ON TABLE t FROM PUBLIC;\n\
             GRANT ALL PRIVILEGES ON t TO PUBLIC;\n\
             REVOKE TRUNCATE, TRIGGER, REFERENCES, DELETE, UPDATE ON TABLE public.t FROM PUBLIC;\n\
             GRANT SELECT ON TABLE t, v TO \"Reader\", writer WITH GRANT OPTION;\n\
             REVOKE GRANT OPTION FOR SELECT ON TABLE t FROM writer;\n\
             GRANT UPDATE (a) ON t TO writer;\n\
             GRANT SELECT (a), INSERT (a, id) ON t TO auditor;\n\
             REVOKE INSERT ON t FROM auditor;\n\
             GRANT USAGE ON SEQUENCE s TO writer;\n\
             GRANT ALL ON SEQUENCE s TO PUBLIC;\n\
             REVOKE USAGE ON SEQUENCE s FROM PUBLIC;\n\
             GRANT USAGE ON SCHEMA public TO writer;\n",
        );
        assert_eq!(
            held(&s, "t"),
            [
                "PUBLIC:INSERT",
                "PUBLIC:SELECT",
                "Reader:SELECT*",
                "auditor:SELECT(a)",
                "writer:SELECT",
                "writer:UPDATE(a)"
            ]
        );
        assert_eq!(held(&s, "v"), ["Reader:SELECT*", "writer:SELECT*"]);
        assert_eq!(
            held(&s, "s"),
            ["PUBLIC:SELECT", "PUBLIC:UPDATE", "writer:USAGE"]
        );
        assert!(s.grants[&QualifiedName::new("s")].sequence);
    }

    #[test]
    fn off_by_default_and_mistakes_are_located() {
        let sql = "CREATE TABLE t (id int);\nGRANT SELECT ON t TO r;";
        assert!(
            parse_schema(sql, Dialect::Postgres)
                .unwrap()
                .grants
                .is_empty()
        );
        let errors = |sql: &str| {
            parse_schema_with(sql, Dialect::Postgres, &ParseOptions { grants: true })
                .unwrap_err()
                .iter()
                .map(|e| e.to_string())
                .collect::<Vec<_>>()
        };
        let e = errors("CREATE TABLE t (id int);\nGRANT SELECT ON u TO r;");
        assert!(
            e[0].starts_with("line 2:1: privileges on u, which is not declared"),
            "{e:?}"
        );
        let e = errors("CREATE TABLE t (id int);\nGRANT SELECT (b) ON t TO r;");
        assert!(e[0].contains("column t.b, which is not declared"), "{e:?}");
        let e = errors("CREATE TABLE t (id int);\nGRANT USAGE ON t TO r;");
        assert!(
            e[0].contains("USAGE is not a privilege of a table or view"),
            "{e:?}"
        );
        let e =
            errors("CREATE TABLE t (id int);\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO r;");
        assert!(e[0].contains("grant on each table"), "{e:?}");
        let e = errors("CREATE TABLE t (id int);\nGRANT SELECT ON t TO CURRENT_USER;");
        assert!(e[0].contains("name the role"), "{e:?}");
        let e = errors("CREATE SEQUENCE s;\nGRANT SELECT ON s TO r;");
        assert!(e[0].contains("ON SEQUENCE s"), "{e:?}");
    }

    #[test]
    fn differences_render_as_grants_and_revokes_both_ways() {
        let a = read(
            "CREATE TABLE t (id int);\nGRANT SELECT, INSERT ON t TO app;\nGRANT SELECT ON t TO PUBLIC;\nGRANT DELETE ON t TO old WITH GRANT OPTION;",
        );
        let b = read(
            "CREATE TABLE t (id int);\nGRANT SELECT ON t TO app WITH GRANT OPTION;\nGRANT INSERT ON t TO app;\nGRANT DELETE ON t TO old;\nGRANT SELECT ON t TO \"Odd Role\";",
        );
        let changes = diff(&a, &b, Dialect::Postgres, &ON);
        let sql = render(&changes, Dialect::Postgres);
        assert_eq!(
            sql.upgrade,
            "REVOKE SELECT ON TABLE t FROM PUBLIC;\n\n\
             REVOKE GRANT OPTION FOR DELETE ON TABLE t FROM old;\n\n\
             GRANT SELECT ON TABLE t TO \"Odd Role\";\n\n\
             GRANT SELECT ON TABLE t TO app WITH GRANT OPTION;\n\n"
        );
        assert_eq!(
            sql.downgrade,
            "REVOKE SELECT ON TABLE t FROM \"Odd Role\";\n\n\
             REVOKE GRANT OPTION FOR SELECT ON TABLE t FROM app;\n\n\
             GRANT SELECT ON TABLE t TO PUBLIC;\n\n\
             GRANT DELETE ON TABLE t TO old WITH GRANT OPTION;\n\n"
        );
        // Off: nothing.
        assert!(diff(&a, &b, Dialect::Postgres, &DiffOptions::default()).is_empty());
        assert!(diff(&b, &b, Dialect::Postgres, &ON).is_empty());
    }

    #[test]
    fn owner_is_not_compared_and_new_objects_grant_after_creation() {
        let mut a = read("CREATE TABLE t (id int);");
        a.grants.entry(QualifiedName::new("t")).or_default().owner = Some("boss".into());
        let b = read(
            "CREATE TABLE t (id int);\nGRANT ALL ON t TO boss;\nCREATE SEQUENCE s;\nGRANT USAGE ON SEQUENCE s TO app;",
        );
        let changes = diff(&a, &b, Dialect::Postgres, &ON);
        let sql = render(&changes, Dialect::Postgres);
        assert!(
            sql.upgrade
                .ends_with("GRANT USAGE ON SEQUENCE s TO app;\n\n")
                && sql.upgrade.starts_with("CREATE SEQUENCE"),
            "{}",
            sql.upgrade
        );
        assert!(!sql.upgrade.contains("boss"), "{}", sql.upgrade);
    }

    #[test]
    fn a_recreated_view_gets_its_grants_again() {
        let a = read(
            "CREATE TABLE t (id int, a int);\nCREATE VIEW v AS SELECT id, a FROM t;\nGRANT SELECT ON v TO app;",
        );
        let b = read(
            "CREATE TABLE t (id int, a bigint);\nCREATE VIEW v AS SELECT id, a FROM t;\nGRANT SELECT ON v TO app;",
        );
        let sql = render(&diff(&a, &b, Dialect::Postgres, &ON), Dialect::Postgres);
        let up = &sql.upgrade;
        let (drop, create, grant) = (
            up.find("DROP VIEW v").unwrap(),
            up.find("CREATE VIEW v").unwrap(),
            up.find("GRANT SELECT ON TABLE v TO app").unwrap(),
        );
        assert!(drop < create && create < grant, "{up}");
        let down = &sql.downgrade;
        assert!(
            down.find("CREATE VIEW v").unwrap()
                < down.rfind("GRANT SELECT ON TABLE v TO app").unwrap(),
            "{down}"
        );
    }

    #[test]
    fn a_renamed_table_keeps_its_grants_and_revokes_use_the_old_name() {
        let a = read("CREATE TABLE t (id int);\nGRANT SELECT, DELETE ON t TO app;");
        let same =
            read("-- renamed_from: t\nCREATE TABLE u (id int);\nGRANT SELECT, DELETE ON u TO app;");
        let changes = diff(&a, &same, Dialect::Postgres, &ON);
        assert!(
            matches!(&changes[..], [Change::RenameTable { .. }]),
            "{changes:?}"
        );
        let less = read(
            "-- renamed_from: t\nCREATE TABLE u (id int);\nGRANT SELECT ON u TO app;\nGRANT INSERT ON u TO app;",
        );
        let sql = render(&diff(&a, &less, Dialect::Postgres, &ON), Dialect::Postgres);
        assert_eq!(
            sql.upgrade,
            "REVOKE DELETE ON TABLE t FROM app;\n\n\
             ALTER TABLE t RENAME TO u;\n\n\
             GRANT INSERT ON TABLE u TO app;\n\n"
        );
        assert_eq!(
            sql.downgrade,
            "REVOKE INSERT ON TABLE u FROM app;\n\n\
             ALTER TABLE u RENAME TO t;\n\n\
             GRANT DELETE ON TABLE t TO app;\n\n"
        );
    }

    #[test]
    fn privileges_on_other_objects_are_skipped_either_way() {
        let sql = "CREATE SCHEMA s;\n\
                   CREATE FUNCTION f(a integer) RETURNS int LANGUAGE sql AS 'select 1';\n\
                   REVOKE ALL ON FUNCTION public.f(a integer) FROM PUBLIC;\n\
                   GRANT ALL ON FUNCTION public.f(a integer) TO app;\n\
                   GRANT USAGE ON SCHEMA s TO app;\n\
                   GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA s TO app;\n\
                   GRANT USAGE ON TYPE int4 TO app;";
        if let Err(e) = parse_schema(sql, Dialect::Postgres) {
            panic!("{e:?}");
        }
        let s = read(sql);
        assert!(s.grants.is_empty());
        // Routines are compared when on: pg_dump's argument names and a
        // hand-written `int` name the same routine.
        let f = &s.routine_grants[&(QualifiedName::new("f"), "integer".to_owned())];
        assert_eq!(
            f.privileges
                .keys()
                .map(|p| format!("{}:{}", p.grantee, p.privilege))
                .collect::<Vec<_>>(),
            ["app:EXECUTE"]
        );
        assert!(!on_uncompared_object("GRANT SELECT ON TABLE t TO r"));
        assert!(!on_uncompared_object("GRANT SELECT ON schema_t TO r"));
    }

    #[test]
    fn routine_privileges_over_their_default() {
        let base = "CREATE FUNCTION f(a int, b text DEFAULT 'x') RETURNS int LANGUAGE sql AS 'select 1';\n\
                    CREATE PROCEDURE p(INOUT n int) LANGUAGE sql AS 'select 1';\n";
        let a = read(base);
        let b = read(&format!(
            "{base}REVOKE ALL ON FUNCTION f(a integer, b text) FROM PUBLIC;\n\
             GRANT EXECUTE ON FUNCTION public.f(int4, text) TO app WITH GRANT OPTION;\n\
             GRANT ALL PRIVILEGES ON PROCEDURE p(int) TO app WITH GRANT OPTION;"
        ));
        let sql = render(&diff(&a, &b, Dialect::Postgres, &ON), Dialect::Postgres);
        assert_eq!(
            sql.upgrade,
            "REVOKE EXECUTE ON ROUTINE f(integer, text) FROM PUBLIC;\n\n\
             GRANT EXECUTE ON ROUTINE f(integer, text) TO app WITH GRANT OPTION;\n\n\
             GRANT EXECUTE ON ROUTINE p(integer) TO app WITH GRANT OPTION;\n\n"
        );
        assert!(diff(&b, &b, Dialect::Postgres, &ON).is_empty());
        // A new routine starts with the default; the revoke follows it.
        let none = read("");
        let sql = render(&diff(&none, &b, Dialect::Postgres, &ON), Dialect::Postgres);
        let up = &sql.upgrade;
        assert!(
            up.find("CREATE FUNCTION f").unwrap() < up.find("REVOKE EXECUTE ON ROUTINE f").unwrap(),
            "{up}"
        );
        let e = parse_schema_with(
            &format!("{base}GRANT EXECUTE ON FUNCTION f(text) TO app;\nGRANT EXECUTE ON FUNCTION f TO app;"),
            Dialect::Postgres,
            &ParseOptions { grants: true },
        )
        .unwrap_err();
        assert!(
            e[0].message
                .contains("routine f(text), which is not declared"),
            "{e:?}"
        );
        assert!(e[1].message.contains("argument types"), "{e:?}");
    }

    #[test]
    fn a_column_dropped_and_added_again_gets_its_grants_again() {
        let a = read(
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a + 1) STORED);\nGRANT SELECT (b) ON t TO app;",
        );
        let b = read(
            "CREATE TABLE t (a int, b int GENERATED ALWAYS AS (a + 2) STORED);\nGRANT SELECT (b) ON t TO app;",
        );
        let sql = render(&diff(&a, &b, Dialect::Postgres, &ON), Dialect::Postgres);
        let up = &sql.upgrade;
        assert!(
            up.starts_with("REVOKE SELECT (b) ON TABLE t FROM app;"),
            "{up}"
        );
        assert!(
            up.ends_with("GRANT SELECT (b) ON TABLE t TO app;\n\n"),
            "{up}"
        );
        let down = &sql.downgrade;
        assert!(
            down.ends_with("GRANT SELECT (b) ON TABLE t TO app;\n\n"),
            "{down}"
        );
    }

    #[test]
    fn a_dropped_table_is_revoked_before_and_granted_after_in_the_downgrade() {
        let a =
            read("CREATE TABLE t (id int);\nCREATE TABLE u (id int);\nGRANT SELECT ON t TO app;");
        let b = read("CREATE TABLE u (id int);");
        let sql = render(&diff(&a, &b, Dialect::Postgres, &ON), Dialect::Postgres);
        assert!(
            sql.upgrade
                .starts_with("REVOKE SELECT ON TABLE t FROM app;"),
            "{}",
            sql.upgrade
        );
        assert!(
            sql.downgrade
                .ends_with("GRANT SELECT ON TABLE t TO app;\n\n"),
            "{}",
            sql.downgrade
        );
    }
}
