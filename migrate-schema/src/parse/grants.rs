//! `schema.sql`'s `GRANT` and `REVOKE` statements, read when
//! [`ParseOptions::grants`](super::ParseOptions::grants) is on (migrate.toml's
//! `compare_grants`): on tables, views and sequences through sqlparser's
//! statements, on routines from their tokens (see [`crate::grants`]).

use sqlparser::ast;

use super::{Pos, SchemaParser};

impl SchemaParser {
    /// A `GRANT` or `REVOKE` (with [`ParseOptions::grants`]), folded into
    /// the privileges of each table, view or sequence it names. Privileges
    /// on other objects (schemas, routines, types, the database) are not
    /// compared: skipped.
    pub(super) fn grant(
        &mut self,
        privileges: &ast::Privileges,
        objects: Option<&ast::GrantObjects>,
        grantees: &[ast::Grantee],
        operation: crate::grants::Operation,
        at: Pos,
    ) {
        use crate::grants::{COLUMN_PRIVILEGES, SEQUENCE_PRIVILEGES, TABLE_PRIVILEGES};
        let (names, sequence) = match objects {
            Some(ast::GrantObjects::Tables(names)) => (names, false),
            Some(ast::GrantObjects::Sequences(names)) => (names, true),
            Some(
                ast::GrantObjects::AllTablesInSchema { .. }
                | ast::GrantObjects::AllSequencesInSchema { .. },
            ) => {
                self.error_at(
                    at,
                    "privileges ON ALL TABLES/SEQUENCES IN SCHEMA are not compared as such; grant on each table, view or sequence by name (as pg_dump writes them)".into(),
                );
                return;
            }
            _ => return,
        };
        let mut list: Vec<(String, Vec<String>)> = Vec::new();
        match privileges {
            ast::Privileges::All { .. } => {
                let all: &[&str] = if sequence {
                    &SEQUENCE_PRIVILEGES
                } else {
                    &TABLE_PRIVILEGES
                };
                list.extend(all.iter().map(|p| ((*p).to_owned(), Vec::new())));
            }
            ast::Privileges::Actions(actions) => {
                for action in actions {
                    let (name, columns) = match action {
                        ast::Action::Select { columns } => ("SELECT", columns.as_ref()),
                        ast::Action::Insert { columns } => ("INSERT", columns.as_ref()),
                        ast::Action::Update { columns } => ("UPDATE", columns.as_ref()),
                        ast::Action::References { columns } => ("REFERENCES", columns.as_ref()),
                        ast::Action::Delete => ("DELETE", None),
                        ast::Action::Truncate => ("TRUNCATE", None),
                        ast::Action::Trigger => ("TRIGGER", None),
                        ast::Action::Usage => ("USAGE", None),
                        other => {
                            self.error_at(
                                at,
                                format!("privilege {other} is not one PostgreSQL grants on a table, view or sequence; use SELECT, INSERT, UPDATE, DELETE, TRUNCATE, REFERENCES, TRIGGER, USAGE or ALL"),
                            );
                            return;
                        }
                    };
                    let allowed: &[&str] = if sequence {
                        &SEQUENCE_PRIVILEGES
                    } else {
                        &TABLE_PRIVILEGES
                    };
                    if !allowed.contains(&name) {
                        self.error_at(
                            at,
                            format!(
                                "{name} is not a privilege of a {}; use {}",
                                if sequence {
                                    "sequence"
                                } else {
                                    "table or view"
                                },
                                allowed.join(", ")
                            ),
                        );
                        return;
                    }
                    let columns: Vec<String> = columns
                        .map(|c| c.iter().map(|i| self.fold(i)).collect())
                        .unwrap_or_default();
                    if !columns.is_empty() && (sequence || !COLUMN_PRIVILEGES.contains(&name)) {
                        self.error_at(
                            at,
                            format!(
                                "{name} cannot be granted on columns; column privileges are {}",
                                COLUMN_PRIVILEGES.join(", ")
                            ),
                        );
                        return;
                    }
                    list.push((name.to_owned(), columns));
                }
            }
        }
        let mut who = Vec::new();
        for g in grantees {
            match (&g.grantee_type, &g.name) {
                (ast::GranteesType::Public, _) => who.push(crate::model::Grantee::Public),
                (
                    ast::GranteesType::None
                    | ast::GranteesType::Role
                    | ast::GranteesType::Group
                    | ast::GranteesType::User,
                    Some(ast::GranteeName::ObjectName(name)),
                ) if name.0.len() == 1 && name.0[0].as_ident().is_some() => {
                    let ident = name.0[0]
                        .as_ident()
                        .cloned()
                        .unwrap_or_else(|| ast::Ident::new(""));
                    let folded = self.fold(&ident);
                    let special = ident.quote_style.is_none()
                        && ["current_user", "session_user", "current_role"]
                            .contains(&folded.as_str());
                    if special {
                        self.error_at(
                            at,
                            format!(
                                "grantee {} depends on who runs the comparison; name the role",
                                ident.value
                            ),
                        );
                        return;
                    }
                    if ident.quote_style.is_none() && folded == "public" {
                        who.push(crate::model::Grantee::Public);
                    } else {
                        who.push(crate::model::Grantee::Role(folded));
                    }
                }
                _ => {
                    self.error_at(
                        at,
                        format!("grantee `{g}` is not a role name; write a role or PUBLIC"),
                    );
                    return;
                }
            }
        }
        for name in names {
            let Some(object) = self.qualified(name, at) else {
                return;
            };
            if !sequence {
                let columns: Vec<String> = list.iter().flat_map(|(_, c)| c.clone()).collect();
                self.grant_positions.push((object.clone(), at, columns));
            }
            let entry = self.schema.grants.entry(object).or_default();
            entry.sequence |= sequence;
            crate::grants::fold(entry, &list, &who, operation);
        }
    }

    /// A `GRANT` or `REVOKE` on routines (with [`ParseOptions::grants`]),
    /// folded over each one's default privileges (`EXECUTE` for `PUBLIC`).
    pub(super) fn routine_grant(&mut self, text: &str, at: Pos) {
        match crate::grants::read_routine_grant(text) {
            Err(message) => self.error_at(at, message),
            Ok(g) => {
                for key in g.routines {
                    self.routine_grant_positions.push((key.clone(), at));
                    let entry = self.schema.routine_grants.entry(key).or_insert_with(|| {
                        crate::model::ObjectGrants {
                            privileges: crate::grants::routine_default(),
                            ..Default::default()
                        }
                    });
                    crate::grants::fold(entry, &g.privileges, &g.grantees, g.operation);
                }
            }
        }
    }

    /// Each table or view named by a `GRANT` or `REVOKE` is declared, with
    /// the columns it names; so is each routine.
    pub(super) fn check_grants(&mut self) {
        for ((name, args), at) in std::mem::take(&mut self.routine_grant_positions) {
            if !self
                .schema
                .functions
                .contains_key(&(name.clone(), args.clone()))
            {
                self.error_at(
                    at,
                    format!("privileges on routine {name}({args}), which is not declared here; declare it, or fix the name or argument types"),
                );
            }
        }
        for (name, at, columns) in std::mem::take(&mut self.grant_positions) {
            let known: Option<Vec<String>> = match self.schema.tables.get(&name) {
                Some(t) => Some(t.columns.iter().map(|c| c.name.clone()).collect()),
                None => self.schema.views.get(&name).map(|v| {
                    if v.column_list.is_empty() {
                        columns.clone()
                    } else {
                        v.column_list.clone()
                    }
                }),
            };
            match known {
                None if self.schema.sequences.contains_key(&name) => self.error_at(
                    at,
                    format!("{name} is a sequence; write GRANT … ON SEQUENCE {name}"),
                ),
                None => self.error_at(
                    at,
                    format!("privileges on {name}, which is not declared as a table or view here; declare it or remove the statement"),
                ),
                Some(known) => {
                    if let Some(c) = columns.iter().find(|c| !known.contains(c)) {
                        self.error_at(
                            at,
                            format!("privileges on column {name}.{c}, which is not declared; fix the column name"),
                        );
                    }
                }
            }
        }
    }
}
