//! What the fold found, where, and how it is reported: each finding's
//! revision and section, the sentences of a downgrade that does not restore
//! its upgrade's starting point, and the filter of `[lint]` levels,
//! `[lint.since]` and `-- migrate:allow(rule)` comments.

use migrate_core::{Level, LintConfig, Migrations, Rule, Section};

use super::state::Finding;
use crate::diff::{Change, CommentTarget};

/// Which section of a revision a finding is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SectionKind {
    /// `-- migrate:upgrade`.
    Upgrade,
    /// `-- migrate:downgrade`.
    Downgrade,
}

impl SectionKind {
    /// `upgrade` or `downgrade`.
    pub fn name(self) -> &'static str {
        match self {
            SectionKind::Upgrade => "upgrade",
            SectionKind::Downgrade => "downgrade",
        }
    }
}

/// A finding with the revision and section it is in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FoldFinding {
    /// The revision, as an index into `Migrations::revisions`.
    pub revision: usize,
    /// Its section.
    pub section: SectionKind,
    /// What is wrong, and where.
    pub finding: Finding,
}

/// A finding as the build reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reported {
    /// Error or warning.
    pub level: Level,
    /// `path:line:col: message (revision R, downgrade) [rule]`, with the ways
    /// out.
    pub text: String,
    /// The finding itself: rule, statement and message.
    pub finding: Finding,
    /// The id of the revision it is in.
    pub revision: String,
    /// Its section.
    pub section: SectionKind,
}

/// The findings `lint` reports, in the order found: each at its level,
/// unless the rule is off, applies only from a later revision
/// (`[lint.since]`), or the statement allows it.
pub fn report(
    migrations: &Migrations,
    lint: &LintConfig,
    findings: &[FoldFinding],
) -> Vec<Reported> {
    // The revisions each `[lint.since]` rule applies to: the named revision
    // and its descendants.
    let since: Vec<(Rule, Option<Vec<bool>>)> = lint
        .since_entries()
        .map(|(rule, id)| (rule, applies_from(migrations, id)))
        .collect();
    let mut out = Vec::new();
    for f in findings {
        let rule = f.finding.rule;
        let level = lint.level(rule);
        if level == Level::Off {
            continue;
        }
        if let Some((_, applies)) = since.iter().find(|(r, _)| *r == rule)
            && !applies.as_ref().is_some_and(|a| a[f.revision])
        {
            continue;
        }
        let revision = &migrations.revisions[f.revision];
        let section = match f.section {
            SectionKind::Upgrade => Some(&revision.upgrade),
            SectionKind::Downgrade => revision.downgrade.as_ref(),
        };
        if section.is_some_and(|s| allowed(s, &f.finding, rule)) {
            continue;
        }
        let way_out = match level {
            Level::Error => format!(
                "if the database really accepts it, put `-- migrate:allow({rule})` on the line above the statement; for an old revision, `[lint.since] {rule} = \"<first revision to check>\"` in migrate.toml"
            ),
            _ => format!("`-- migrate:allow({rule})` above the statement silences it"),
        };
        out.push(Reported {
            level,
            // Names in the message are the migrations' own: a control
            // character in a quoted identifier is shown escaped, on one line.
            text: migrate_core::escape_control(&format!(
                "{}: {} (revision {}, {}) [{rule}]; {way_out}",
                f.finding.at,
                f.finding.message,
                revision.header.revision,
                f.section.name()
            ))
            .into_owned(),
            finding: f.finding.clone(),
            revision: revision.header.revision.clone(),
            section: f.section,
        });
    }
    out
}

/// Whether `-- migrate:allow(rule)` covers the finding: on its statement,
/// or, for a downgrade that does not restore its upgrade's start, on any
/// statement of the downgrade.
fn allowed(section: &Section, finding: &Finding, rule: Rule) -> bool {
    if rule == Rule::DowngradeMismatch {
        return section.statements.iter().any(|s| s.allow.contains(rule));
    }
    section
        .statements
        .iter()
        .find(|s| s.line == finding.at.line && s.column == finding.at.column)
        .is_some_and(|s| s.allow.contains(rule))
}

/// Per revision, whether it is `id` or descends from it; `None` when no
/// revision has that id (every revision is then left out, and the config's
/// reader names the id).
fn applies_from(migrations: &Migrations, id: &str) -> Option<Vec<bool>> {
    let start = migrations
        .revisions
        .iter()
        .position(|r| r.header.revision == id)?;
    let mut applies = vec![false; migrations.revisions.len()];
    applies[start] = true;
    for &i in migrations.graph.topological_order() {
        if migrations.graph.parents(i).iter().any(|&p| applies[p]) {
            applies[i] = true;
        }
    }
    Some(applies)
}

/// What a downgrade leaves different from the schema its upgrade started
/// from, one phrase per change (`leaves column users.age`), from the changes
/// that would take the downgraded schema back to the starting one.
pub fn mismatch_phrases(changes: &[Change]) -> Vec<String> {
    changes.iter().map(phrase).collect()
}

fn phrase(change: &Change) -> String {
    match change {
        Change::CreateSchema(s) => format!("does not re-create schema {s}"),
        Change::DropSchema(s) => format!("leaves schema {s}"),
        Change::CreateEnum(e) => format!("does not re-create type {}", e.name),
        Change::DropEnum(e) => format!("leaves type {}", e.name),
        Change::AddEnumValue { from, value, .. } => {
            format!("restores type {} without its label '{value}'", from.name)
        }
        Change::ReplaceEnum { from, to, .. } => format!(
            "leaves type {} with the labels ({}), not ({})",
            from.name,
            from.values.join(", "),
            to.values.join(", ")
        ),
        Change::RenameTable { from, to } => {
            format!("leaves table {} named {from}", to.name)
        }
        Change::RenameColumn { table, from, to } => {
            format!("leaves column {table}.{to} named {from}")
        }
        Change::CreateTable(t) => format!("does not re-create table {}", t.name),
        Change::DropTable { table, .. } => format!("leaves table {}", table.name),
        Change::AddColumn { table, column } => {
            format!("does not re-create column {table}.{}", column.name)
        }
        Change::DropColumn { table, column, .. } => {
            format!("leaves column {table}.{}", column.name)
        }
        Change::AlterColumnType {
            table,
            column,
            from,
            to,
        } => format!("leaves {table}.{column} as {from}, not {to}"),
        Change::AlterColumnNullability {
            table,
            column,
            nullable,
        } => {
            if *nullable {
                format!("leaves {table}.{column} NOT NULL")
            } else {
                format!("leaves {table}.{column} nullable")
            }
        }
        Change::AlterColumnDefault {
            table,
            column,
            from,
            to,
        } => match (from, to) {
            (_, Some(d)) if from.is_none() => {
                format!("restores {table}.{column} without its DEFAULT {d}")
            }
            (Some(f), Some(d)) => format!("leaves {table}.{column} with DEFAULT {f}, not {d}"),
            (Some(f), None) => format!("leaves DEFAULT {f} on {table}.{column}"),
            _ => format!("changes the default of {table}.{column}"),
        },
        Change::AlterColumnIdentity { table, column, .. } => {
            format!("does not restore the identity of {table}.{column}")
        }
        Change::AlterColumnCollation { table, column, .. } => {
            format!("does not restore the collation of {table}.{column}")
        }
        Change::SetStorage { table, .. } => {
            format!("does not restore the storage parameters of {table}")
        }
        Change::AddPrimaryKey { table, key } => format!(
            "does not restore the primary key{} ({}) of {table}",
            named(&key.name),
            key.columns.join(", ")
        ),
        Change::DropPrimaryKey { table, key } => format!(
            "leaves a primary key{} ({}) on {table}",
            named(&key.name),
            key.columns.join(", ")
        ),
        Change::AddUnique { table, constraint } => format!(
            "does not restore the unique constraint{} ({}) of {table}",
            named(&constraint.name),
            constraint.columns.join(", ")
        ),
        Change::DropUnique { table, constraint } => format!(
            "leaves a unique constraint{} ({}) on {table}",
            named(&constraint.name),
            constraint.columns.join(", ")
        ),
        Change::AddForeignKey { table, key } => format!(
            "does not restore the foreign key{} ({}) of {table} to {}",
            named(&key.name),
            key.columns.join(", "),
            key.ref_table
        ),
        Change::DropForeignKey { table, key } => format!(
            "leaves a foreign key{} ({}) on {table} to {}",
            named(&key.name),
            key.columns.join(", "),
            key.ref_table
        ),
        Change::AddCheck { table, constraint } => format!(
            "does not restore the check{} ({}) of {table}",
            named(&constraint.name),
            constraint.expression
        ),
        Change::DropCheck { table, constraint } => format!(
            "leaves a check{} ({}) on {table}",
            named(&constraint.name),
            constraint.expression
        ),
        Change::AddExclusion { table, constraint } => format!(
            "does not restore the exclusion constraint {} of {table}",
            constraint.name
        ),
        Change::DropExclusion { table, constraint } => format!(
            "leaves the exclusion constraint {} on {table}",
            constraint.name
        ),
        Change::CreateIndex { table, index } => {
            format!("does not re-create index {} on {table}", index.name)
        }
        Change::DropIndex { table, index } => {
            format!("leaves index {} on {table}", index.name)
        }
        Change::SetComment { target, .. } => match target {
            CommentTarget::Table(t) => format!("does not restore the comment on table {t}"),
            CommentTarget::Column(t, c) => {
                format!("does not restore the comment on column {t}.{c}")
            }
            CommentTarget::Type(t) => format!("does not restore the comment on type {t}"),
            CommentTarget::View(v, _) => format!("does not restore the comment on view {v}"),
        },
        Change::RebuildTable { from, .. } => {
            format!("does not restore the definition of table {}", from.name)
        }
        Change::Kind(k) => format!("differs: {}", k.summary()),
        // The fold does not model views, routines and triggers, so these
        // are never among its changes; worded for completeness.
        Change::CreateView(v) => format!("does not re-create view {}", v.name),
        Change::DropView(v) => format!("leaves view {}", v.name),
        Change::ReplaceView { from, .. } => {
            format!("does not restore the definition of view {}", from.name)
        }
        Change::CreateFunction(f) => {
            format!("does not re-create routine {}({})", f.name, f.arg_types)
        }
        Change::DropFunction(f) => format!("leaves routine {}({})", f.name, f.arg_types),
        Change::ReplaceFunction { from, .. } => format!(
            "does not restore the definition of routine {}({})",
            from.name, from.arg_types
        ),
        Change::CreateTrigger(t) => format!("does not re-create trigger {} on {}", t.name, t.table),
        Change::DropTrigger(t) => format!("leaves trigger {} on {}", t.name, t.table),
        Change::Grants { object, .. } => {
            format!("does not restore the privileges on {object}")
        }
        Change::Partition(p) => format!("differs: {}", p.summary()),
    }
}

/// ` name`, when a constraint has one.
fn named(name: &Option<String>) -> String {
    name.as_ref().map_or(String::new(), |n| format!(" {n}"))
}
