//! `migrate lint`: what the build reports about the chain (the schema
//! fold's findings and the safety lint's), as text, JSON or SARIF, with an
//! exit status that fails on errors.

use std::fmt::Write as _;

use migrate_core::{Level, Rule};
use migrate_schema::fold::{self, Reported};

use crate::args::LintFormat;
use crate::output::Ui;
use crate::project::Project;

/// Prints every finding in `format`; an error when any is at level error.
pub(crate) fn run(ui: &Ui, project: &Project, format: LintFormat) -> anyhow::Result<()> {
    let migrations = project.load_migrations()?;
    let findings = fold::check(&migrations, &project.config.dialects, &project.config.lint);
    match format {
        LintFormat::Text => {
            if fold::checked_dialect(&project.config.dialects).is_none() {
                ui.line(format!(
                    "{}: nothing is linted: the chain is folded when its statements are checked as PostgreSQL or SQLite; set `dialect = \"postgres\"` in migrate.toml",
                    project.display
                ))?;
            }
            print_text(ui, &findings)?;
        }
        LintFormat::Json => ui.line(json(&findings))?,
        LintFormat::Sarif => ui.line(sarif(&findings))?,
    }
    let errors = findings.iter().filter(|f| f.level == Level::Error).count();
    if errors > 0 {
        return Err(anyhow::anyhow!(
            "{}: {errors} error{} found by the lint; fix the statements named above, or allow them as each finding says",
            project.display,
            if errors == 1 { "" } else { "s" }
        ));
    }
    if format == LintFormat::Text {
        let warnings = findings.len();
        ui.line(format!(
            "No errors in {} ({warnings} warning{})",
            project.display,
            if warnings == 1 { "" } else { "s" }
        ))?;
    }
    Ok(())
}

/// Each finding on a line of its own, `error: …` or `warning: …`, as
/// `migrate lint` and `migrate check` print them; returns how many are
/// errors.
pub(crate) fn print_text(ui: &Ui, findings: &[Reported]) -> anyhow::Result<usize> {
    for f in findings {
        ui.line(format!(
            "{}: {}",
            level_name(f.level),
            migrate_core::escape_control(&f.text)
        ))?;
    }
    Ok(findings.iter().filter(|f| f.level == Level::Error).count())
}

/// A JSON string literal.
pub(crate) fn string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 || c == '\u{7f}' || c == '\u{2028}' || c == '\u{2029}' => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

fn level_name(level: Level) -> &'static str {
    match level {
        Level::Error => "error",
        _ => "warning",
    }
}

/// `[{"rule": …, "level": …, "path": …, "line": …, "column": …,
/// "revision": …, "section": …, "message": …}, …]`.
fn json(findings: &[Reported]) -> String {
    let items: Vec<String> = findings
        .iter()
        .map(|f| {
            format!(
                "{{\"rule\":{},\"level\":{},\"path\":{},\"line\":{},\"column\":{},\"revision\":{},\"section\":{},\"message\":{}}}",
                string(f.finding.rule.name()),
                string(level_name(f.level)),
                string(&f.finding.at.path),
                f.finding.at.line,
                f.finding.at.column,
                string(&f.revision),
                string(f.section.name()),
                string(&f.finding.message)
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

/// SARIF 2.1.0: one run, the rules with their descriptions and fixes, one
/// result per finding at its file, line and column.
fn sarif(findings: &[Reported]) -> String {
    let rules: Vec<String> = Rule::ALL
        .iter()
        .map(|r| {
            format!(
                "{{\"id\":{},\"shortDescription\":{{\"text\":{}}},\"help\":{{\"text\":{}}}}}",
                string(r.name()),
                string(r.description()),
                string(r.fix())
            )
        })
        .collect();
    let results: Vec<String> = findings
        .iter()
        .map(|f| {
            let index = Rule::ALL
                .iter()
                .position(|r| *r == f.finding.rule)
                .unwrap_or(0);
            format!(
                "{{\"ruleId\":{},\"ruleIndex\":{index},\"level\":{},\"message\":{{\"text\":{}}},\"locations\":[{{\"physicalLocation\":{{\"artifactLocation\":{{\"uri\":{}}},\"region\":{{\"startLine\":{},\"startColumn\":{}}}}}}}]}}",
                string(f.finding.rule.name()),
                string(level_name(f.level)),
                string(&format!(
                    "{} (revision {}, {})",
                    f.finding.message,
                    f.revision,
                    f.section.name()
                )),
                string(&f.finding.at.path),
                f.finding.at.line,
                f.finding.at.column
            )
        })
        .collect();
    format!(
        "{{\"$schema\":\"https://json.schemastore.org/sarif-2.1.0.json\",\"version\":\"2.1.0\",\"runs\":[{{\"tool\":{{\"driver\":{{\"name\":\"migrate\",\"version\":{},\"rules\":[{}]}}}},\"results\":[{}]}}]}}",
        string(env!("CARGO_PKG_VERSION")),
        rules.join(","),
        results.join(",")
    )
}
