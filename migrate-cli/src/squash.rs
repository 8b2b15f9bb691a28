//! `migrate squash` (a checkpoint that replaces a range of revisions, and
//! `--prune` of the replaced files) and `migrate rebase` (a revision
//! re-parented onto the head instead of a merge).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use migrate_core::{Dialect, HeadRule, Migrations, Revision, RevisionKind};
use migrate_schema::fold::{self, State};
use migrate_schema::{DiffOptions, diff, render};

use crate::env::UrlSource;
use crate::error::Usage;
use crate::output::Ui;
use crate::project::{Pool, Project, on_pool};
use crate::template::{
    DateTime, NewRevision, new_revision_id, render_file_name, revision_file, slugify,
};

/// The directory read with any number of heads (a rebase is for two).
fn load(project: &Project) -> anyhow::Result<Migrations> {
    migrate_core::load_directory_with(
        &project.dir,
        &project.display,
        &project.config.dialects,
        HeadRule::Any,
        project.config.max_file_size,
    )
    .map_err(|errors| {
        let n = errors.as_slice().len();
        anyhow::Error::new(errors).context(format!(
            "{n} problem{} found in {}; fix them first (`migrate check`)",
            if n == 1 { "" } else { "s" },
            project.display
        ))
    })
}

/// The file of a revision, from its path as the loader shows it.
fn file_of(project: &Project, revision: &Revision) -> PathBuf {
    let prefix = format!("{}/", project.display.trim_end_matches('/'));
    project.dir.join(
        revision
            .path
            .strip_prefix(&prefix)
            .unwrap_or(&revision.file_name),
    )
}

/// `text` with the value of its header key `key` (on line `line`, 1-based)
/// set to `value`; `--` or `//` as the line has it.
fn with_header_value(text: &str, line: u32, key: &str, value: &str) -> anyhow::Result<String> {
    let mut out = String::with_capacity(text.len() + value.len());
    let mut found = false;
    for (n, l) in text.split_inclusive('\n').enumerate() {
        if n + 1 == line as usize {
            let lead = if l.trim_start().starts_with("//") {
                "//"
            } else {
                "--"
            };
            let ending = if l.ends_with("\r\n") {
                "\r\n"
            } else if l.ends_with('\n') {
                "\n"
            } else {
                ""
            };
            out.push_str(&format!("{lead} {key}: {value}{ending}"));
            found = true;
        } else {
            out.push_str(l);
        }
    }
    if !found {
        bail!("internal error: line {line} of the header is missing");
    }
    Ok(out)
}

/// Rewrites a file's `down_revision` (and `depends_on`) so that `from`
/// reads `to`.
fn repoint(project: &Project, revision: &Revision, from: &str, to: &str) -> anyhow::Result<()> {
    let path = file_of(project, revision);
    let mut text =
        std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", revision.path))?;
    let swap = |list: &[String]| -> String {
        list.iter()
            .map(|id| if id == from { to } else { id.as_str() })
            .collect::<Vec<_>>()
            .join(", ")
    };
    let h = &revision.header;
    if h.down_revision.iter().any(|id| id == from) {
        text = with_header_value(
            &text,
            h.lines.down_revision,
            "down_revision",
            &swap(&h.down_revision),
        )?;
    }
    if h.depends_on.iter().any(|id| id == from) {
        text = with_header_value(
            &text,
            h.lines.depends_on,
            "depends_on",
            &swap(&h.depends_on),
        )?;
    }
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", revision.path))
}

/// `migrate squash FROM:TO -m MSG [--concat]`.
pub(crate) fn squash(
    ui: &Ui,
    project: &Project,
    range: &str,
    message: &str,
    concat: bool,
) -> anyhow::Result<()> {
    let Some((from, to)) = range.split_once(':') else {
        return Err(Usage(format!(
            "`{range}`: give the range to squash as FROM:TO (two revisions, FROM an ancestor of TO)"
        ))
        .into());
    };
    crate::edit::check_message(message)?;
    let m = load(project)?;
    let g = &m.graph;
    let (from, to) = (g.lookup(from.trim())?, g.lookup(to.trim())?);
    let above = g.descendants(&[from]);
    let below = g.ancestors_inclusive(&[to]);
    if !below[from] {
        bail!(
            "{} is not an ancestor of {}: a range goes from a revision up to one of its descendants (see `migrate history`)",
            g.id(from),
            g.id(to)
        );
    }
    let inside: Vec<bool> = (0..g.len())
        .map(|i| (above[i] || i == from) && below[i])
        .collect();
    let members: Vec<usize> = g
        .topological_order()
        .iter()
        .copied()
        .filter(|&i| inside[i])
        .collect();
    if members.len() < 2 {
        bail!(
            "{}:{} is one revision; a squash replaces two or more",
            g.id(from),
            g.id(to)
        );
    }
    // One way in (FROM's parents), one way out (TO), nothing special inside.
    for &i in &members {
        let r = &m.revisions[i];
        let shown = || format!("{} ({})", r.id(), r.path);
        if i != from
            && g.parents(i)
                .iter()
                .chain(g.depends_on(i))
                .any(|&p| !inside[p])
        {
            bail!(
                "{} inside the range has a parent or dependency outside it; a squashed range has one way in, through {}",
                shown(),
                g.id(from)
            );
        }
        if i != to && g.children(i).iter().any(|&c| !inside[c]) {
            bail!(
                "{} inside the range has a child outside it; a squashed range has one way out, through {}; squash up to that branch's merge instead",
                shown(),
                g.id(to)
            );
        }
        if i != to && (0..g.len()).any(|o| !inside[o] && g.depends_on(o).contains(&i)) {
            bail!(
                "{} is a dependency of a revision outside the range; squash up to it instead",
                shown()
            );
        }
        if r.kind == RevisionKind::Rust {
            bail!(
                "{} is written in Rust; a checkpoint holds SQL only, so squash the ranges before and after it",
                shown()
            );
        }
        if !r.header.replaces.is_empty() {
            bail!(
                "{} is itself a checkpoint; prune its replaced files first (`migrate squash --prune`), then squash again",
                shown()
            );
        }
        if !r.header.branch_labels.is_empty() {
            bail!(
                "{} holds the branch label {}, which the checkpoint would drop; squash a range without labels, or move the label",
                shown(),
                r.header.branch_labels.join(", ")
            );
        }
    }
    if g.depends_on(from).iter().any(|&p| !inside[p]) {
        bail!(
            "{} has depends_on; a squashed range starts at a revision without dependencies",
            g.id(from)
        );
    }
    let dialect = fold::checked_dialect(&project.config.dialects).unwrap_or(Dialect::Postgres);
    let ids: Vec<String> = members
        .iter()
        .map(|&i| m.revisions[i].id().to_owned())
        .collect();
    let parents: Vec<String> = g
        .parents(from)
        .iter()
        .map(|&p| g.id(p).to_owned())
        .collect();
    let transactional = members.iter().all(|&i| m.revisions[i].header.transactional);
    let (upgrade, downgrade) = if concat {
        concatenated(&m, &members)
    } else {
        rendered(&m, &members, &inside, to, dialect)?
    };

    let id = new_revision_id(|c| {
        g.find(c).is_some() || g.lookup(c).is_ok() || m.replaced.iter().any(|r| r.id() == c)
    })?;
    let now = DateTime::now();
    let name = render_file_name(&project.config.file_template, &now, &id, &slugify(message))
        .map_err(|e| Usage(format!("migrate.toml: {e}")))?;
    let text = revision_file(&NewRevision {
        id: &id,
        parents: &parents,
        depends_on: &[],
        branch_labels: &[],
        replaces: &ids,
        message,
        create_date: &now.header(),
        transactional,
    });
    let text = crate::edit::with_sections(&text, &upgrade, downgrade.as_deref());
    let file_name = format!("{name}.sql");
    let shown = format!("{}/{file_name}", project.display.trim_end_matches('/'));
    let path = project.dir.join(&file_name);
    crate::edit::write_new(&path, &text)?;
    ui.line(format!("Generating {shown} ... done"))?;
    // What came after the range now comes after the checkpoint.
    let to_id = g.id(to).to_owned();
    for o in (0..g.len()).filter(|&o| !inside[o]) {
        let r = &m.revisions[o];
        if r.header.down_revision.contains(&to_id) || r.header.depends_on.contains(&to_id) {
            repoint(project, r, &to_id, &id)?;
            ui.line(format!("Pointing {} at {id} ... done", r.path))?;
        }
    }
    // The directory as it is now must pass, the checkpoint's check first.
    let after = load(project)?;
    let problems = fold::check_checkpoints(&after, &project.config.dialects);
    if let Some(errors) = migrate_core::Errors::from_vec(problems) {
        return Err(anyhow::Error::new(errors).context(format!(
            "{shown} was written, but it does not pass the checkpoint check; edit its SQL until `migrate check` passes"
        )));
    }
    ui.line(format!(
        "{id} replaces {} revisions ({}:{}): a new database applies it; one that applied some of them goes on along them and is then recorded at {id}. The files stay until no database is inside the range; then `migrate squash --prune` removes them",
        ids.len(),
        ids[0],
        ids[ids.len() - 1]
    ))?;
    Ok(())
}

/// The range's upgrades one after the other, and its downgrades in the
/// reverse order (none when one of them has none).
fn concatenated(m: &Migrations, members: &[usize]) -> (String, Option<String>) {
    let mut up = String::new();
    for &i in members {
        let r = &m.revisions[i];
        up.push_str(&format!(
            "-- from {} ({})\n{}\n\n",
            r.id(),
            r.file_name,
            r.upgrade.sql.trim()
        ));
    }
    let mut down = Some(String::new());
    for &i in members.iter().rev() {
        let r = &m.revisions[i];
        match (&mut down, &r.downgrade) {
            (Some(d), Some(section)) => {
                d.push_str(&format!(
                    "-- from {} ({})\n{}\n\n",
                    r.id(),
                    r.file_name,
                    section.sql.trim()
                ));
            }
            _ => down = None,
        }
    }
    (up, down)
}

/// The schema change of the range, rendered from the fold as autogenerate
/// renders a diff; refused when the range holds what the fold does not
/// model (rows, views, functions, anything it is unsure of).
fn rendered(
    m: &Migrations,
    members: &[usize],
    inside: &[bool],
    to: usize,
    dialect: Dialect,
) -> anyhow::Result<(String, Option<String>)> {
    let mut unmodelled = Vec::new();
    for &i in members {
        let r = &m.revisions[i];
        for s in &r.upgrade.statements {
            let sql = r.upgrade.statement_sql(s);
            let word = sql
                .split(|c: char| !c.is_ascii_alphabetic())
                .find(|w| !w.is_empty())
                .unwrap_or("")
                .to_ascii_uppercase();
            if matches!(
                word.as_str(),
                "INSERT"
                    | "UPDATE"
                    | "DELETE"
                    | "COPY"
                    | "MERGE"
                    | "DO"
                    | "CALL"
                    | "SELECT"
                    | "WITH"
                    | "TRUNCATE"
                    | "GRANT"
                    | "REVOKE"
            ) {
                unmodelled.push(format!("{}:{} ({word})", r.path, s.line));
            }
        }
    }
    let mut before: Option<State> = None;
    let folded = fold::fold_with(m, dialect, Some(to), |i, state| {
        if !inside[i] {
            before = Some(state.clone());
        }
    })
    .map_err(|e| anyhow::anyhow!("{e}"))?;
    let before = before.unwrap_or_default();
    let after = &folded.state;
    if before.other_objects() != after.other_objects() {
        unmodelled.push(
            "views, functions, triggers or other objects the schema model does not render".into(),
        );
    }
    let unsure: Vec<String> = after
        .unsure_tables()
        .iter()
        .map(|(t, _)| t.to_string())
        .collect();
    if !unsure.is_empty() {
        unmodelled.push(format!(
            "statements the fold cannot follow on {}",
            unsure.join(", ")
        ));
    }
    if !unmodelled.is_empty() {
        bail!(
            "the range holds what the schema model does not render: {}; squash with --concat, which keeps every statement of the range as written",
            unmodelled.join("; ")
        );
    }
    let changes = diff(
        &before.to_schema(),
        &after.to_schema(),
        dialect,
        &DiffOptions::default(),
    );
    if changes.is_empty() {
        bail!(
            "the range changes nothing in the schema; squash with --concat to keep its statements as written"
        );
    }
    let sql = render(&changes, dialect);
    Ok((sql.upgrade, Some(sql.downgrade)))
}

/// `migrate squash --prune`: removes the replaced files, unless the
/// configured database (when there is one) is inside a range.
pub(crate) async fn prune(
    ui: &Ui,
    project: &Project,
    url_flag: Option<&str>,
) -> anyhow::Result<()> {
    let m = load(project)?;
    if m.replaced.is_empty() {
        ui.line("Nothing to prune: no checkpoint's replaced revisions are in the directory")?;
        return Ok(());
    }
    match crate::project::find_url(url_flag, Some(project))? {
        Some((url, source)) => refuse_inside(project, &m, &url, source).await?,
        None => ui.warn(
            "no database URL is configured, so no database was checked; a database still inside a squashed range cannot upgrade with the pruned build (it refuses, naming the checkpoint)",
        ),
    }
    for r in &m.replaced {
        let path = file_of(project, r);
        std::fs::remove_file(&path).with_context(|| format!("cannot remove {}", r.path))?;
        ui.line(format!("Removing {} ... done", r.path))?;
    }
    Ok(())
}

/// Refuses when the database's history holds some, not all, of a
/// checkpoint's replaced revisions (and not the checkpoint).
async fn refuse_inside(
    project: &Project,
    m: &Migrations,
    url: &migrate_runtime::DatabaseUrl,
    source: UrlSource,
) -> anyhow::Result<()> {
    let migrator = crate::load_migrator(project)?;
    let pool = Pool::connect(url, source, false).await?;
    let rows = on_pool!(&pool, p => migrator.history(p).await);
    pool.close().await;
    let rows = rows?;
    let has = |id: &str| rows.iter().any(|r| r.revision == id && r.is_complete());
    for c in m.checkpoints() {
        let cp = &m.revisions[c];
        let ids = &cp.header.replaces;
        let applied: Vec<&str> = ids
            .iter()
            .filter(|id| has(id))
            .map(String::as_str)
            .collect();
        if !has(cp.id()) && !applied.is_empty() && applied.len() < ids.len() {
            bail!(
                "the database at {url} applied {} of the revisions that checkpoint {} replaces, but not all; nothing was removed. Upgrade it past {} first (`migrate upgrade {}`), then prune",
                applied.join(", "),
                cp.id(),
                cp.id(),
                cp.id()
            );
        }
    }
    Ok(())
}

/// `migrate rebase REV`: REV, which no database has applied, goes on top of
/// the other branch's head instead of being merged with it.
pub(crate) async fn rebase(
    ui: &Ui,
    project: &Project,
    spec: &str,
    url_flag: Option<&str>,
) -> anyhow::Result<()> {
    let m = load(project)?;
    let g = &m.graph;
    let rev = g.lookup(spec)?;
    let mine = g.descendants(&[rev]);
    let others: Vec<usize> = g
        .heads()
        .iter()
        .copied()
        .filter(|&h| h != rev && !mine[h])
        .collect();
    let onto = match &others[..] {
        [one] => *one,
        [] => bail!(
            "{} is on the only branch: there is no other head to rebase it onto",
            g.id(rev)
        ),
        _ => bail!(
            "there are several other heads ({}); merge them first, or rebase onto one of them by hand",
            others
                .iter()
                .map(|&h| g.id(h))
                .collect::<Vec<_>>()
                .join(", ")
        ),
    };
    if g.ancestors_inclusive(&[onto])[rev] {
        bail!(
            "{} is already below {}; nothing to rebase",
            g.id(rev),
            g.id(onto)
        );
    }
    if g.parents(rev).len() > 1 {
        bail!(
            "{} is a merge revision; rebase the revision after the fork instead",
            g.id(rev)
        );
    }
    if let Some((url, source)) = crate::project::find_url(url_flag, Some(project))? {
        let migrator = crate::load_migrator(project)?;
        let pool = Pool::connect(&url, source, false).await?;
        let rows = on_pool!(&pool, p => migrator.history(p).await);
        pool.close().await;
        // A database that never migrated has no history table: nothing is
        // applied there.
        let rows = rows.unwrap_or_default();
        let moved: Vec<&str> = (0..g.len())
            .filter(|&i| i == rev || mine[i])
            .map(|i| g.id(i))
            .filter(|id| rows.iter().any(|r| r.revision == *id))
            .collect();
        if !moved.is_empty() {
            bail!(
                "the database at {url} has applied {}; nothing was changed. Moving an applied revision would rewrite history that database holds: join the branches with `migrate merge heads -m \"merge\"` instead",
                moved.join(", ")
            );
        }
    } else {
        ui.warn("no database URL is configured, so no database was checked; rebase only revisions that no database has applied");
    }
    let r = &m.revisions[rev];
    let old = r.header.down_revision.join(", ");
    let onto_id = g.id(onto).to_owned();
    let path = file_of(project, r);
    let text = std::fs::read_to_string(&path).with_context(|| format!("cannot read {}", r.path))?;
    let text = with_header_value(
        &text,
        r.header.lines.down_revision,
        "down_revision",
        &onto_id,
    )?;
    std::fs::write(&path, text).with_context(|| format!("cannot write {}", r.path))?;
    ui.line(format!(
        "Rebasing {} onto {onto_id} (was on {}) ... done",
        r.path,
        if old.is_empty() { "none" } else { &old }
    ))?;
    if let Err(errors) = project.load_migrations() {
        return Err(anyhow::Error::new(errors).context(format!(
            "{} now revises {onto_id}, but the directory does not pass its checks; fix what is named above (its SQL may clash with the other branch), or set `down_revision: {}` back",
            r.path,
            if old.is_empty() { "none" } else { &old }
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::with_header_value;

    #[test]
    fn a_header_value_is_replaced_on_its_line_only() {
        let text = "-- revision: b\n-- down_revision: a\r\n-- migrate:upgrade\nSELECT 1; -- down_revision: a\n";
        assert_eq!(
            with_header_value(text, 2, "down_revision", "c").unwrap(),
            "-- revision: b\n-- down_revision: c\r\n-- migrate:upgrade\nSELECT 1; -- down_revision: a\n"
        );
        let rust = "// revision: b\n// down_revision: a\n";
        assert_eq!(
            with_header_value(rust, 2, "down_revision", "c, d").unwrap(),
            "// revision: b\n// down_revision: c, d\n"
        );
        assert!(with_header_value(rust, 9, "down_revision", "c").is_err());
    }
}
