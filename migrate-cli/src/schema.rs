//! `migrate schema`: the schema the upgrades build, folded without a
//! database, printed as SQL with its coverage.

use migrate_core::{Dialect, DialectCheck, Migrations};
use migrate_schema::fold::{self, FoldResult};
use migrate_schema::{DiffOptions, Schema, diff, render};

use crate::error::Usage;
use crate::output::{Ui, one_line};
use crate::project::Project;

/// The dialect the fold reads a project's statements in: PostgreSQL unless
/// the project checks SQLite only. Also `check --offline`'s and
/// `revision --autogenerate --offline`'s.
pub(crate) fn project_dialect(project: &Project) -> Dialect {
    match &project.config.dialects {
        DialectCheck::All(list) if !list.contains(&Dialect::Postgres) => Dialect::Sqlite,
        _ => Dialect::Postgres,
    }
}

/// The revision `--at` names: `head`, an id, or a unique id prefix.
fn resolve_at(migrations: &Migrations, at: &str) -> anyhow::Result<usize> {
    let graph = &migrations.graph;
    if at == "head" {
        return match graph.heads() {
            [one] => Ok(*one),
            _ => Err(Usage(
                "--at head: the directory has several heads; name one of them (`migrate heads` lists them)"
                    .into(),
            )
            .into()),
        };
    }
    if let Some(i) = graph.find(at) {
        return Ok(i);
    }
    let matches: Vec<usize> = (0..graph.len())
        .filter(|&i| graph.id(i).starts_with(at))
        .collect();
    match matches.as_slice() {
        [one] => Ok(*one),
        [] => Err(Usage(format!(
            "--at {}: no revision has this id; `migrate history` lists them",
            one_line(at)
        ))
        .into()),
        _ => Err(Usage(format!(
            "--at {}: several revisions start with it; give more of the id",
            one_line(at)
        ))
        .into()),
    }
}

/// Folds the project's upgrades and prints the schema.
pub(crate) fn print(ui: &Ui, project: &Project, at: Option<&str>) -> anyhow::Result<()> {
    let dialect = project_dialect(project);
    let migrations = project.load_migrations()?;
    let target = at.map(|a| resolve_at(&migrations, a)).transpose()?;
    let folded = match target {
        Some(i) => fold::fold_to(&migrations, dialect, i),
        None => fold::fold_upgrades(&migrations, dialect),
    }
    .map_err(|e| Usage(e.to_string()))?;
    ui.line(text(project, &migrations, target, &folded, dialect))?;
    Ok(())
}

/// The header comment and the schema's SQL.
fn text(
    project: &Project,
    migrations: &Migrations,
    target: Option<usize>,
    folded: &FoldResult,
    dialect: Dialect,
) -> String {
    let place = match target {
        Some(i) => format!("at revision {}", migrations.graph.id(i)),
        None => "at head".to_owned(),
    };
    let mut out = format!(
        "-- The schema that the upgrades in {}/ build {place}, folded without a database ({dialect}).\n",
        one_line(project.display.trim_end_matches('/'))
    );
    out.push_str(&format!(
        "-- fold: {}\n",
        one_line(&folded.coverage().summary())
    ));
    for (name, taint) in folded.state.unsure_tables() {
        out.push_str(&format!(
            "-- unsure: table {} may differ after {} ({})\n",
            one_line(&name.to_string()),
            one_line(&taint.at.to_string()),
            one_line(&taint.why)
        ));
    }
    out.push('\n');
    out.push_str(schema_sql(&folded.state.to_schema(), dialect).trim_end());
    out.push('\n');
    let others = folded.state.other_objects();
    if !others.is_empty() {
        out.push_str(
            "\n-- Also there (the fold knows them by name and what they depend on; \
             their definitions are in the revisions that create them):\n",
        );
        for object in others {
            out.push_str(&format!("-- {}\n", one_line(&object)));
        }
    }
    out.trim_end().to_owned()
}

/// A schema as the statements that create it from an empty database.
pub(crate) fn schema_sql(schema: &Schema, dialect: Dialect) -> String {
    let options = DiffOptions {
        include_schemas: true,
        ..DiffOptions::default()
    };
    let changes = diff(&Schema::default(), schema, dialect, &options);
    render(&changes, dialect).upgrade
}
