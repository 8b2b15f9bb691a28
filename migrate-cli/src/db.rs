//! Commands that run against a database through a `Migrator`, shared by the
//! `migrate` binary (directory loaded at run time) and `run_embedded` (the
//! application's embedded table): same lock, same history table.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use anyhow::bail;
use migrate_core::{Dialect, Direction, Target};
use migrate_runtime::{DatabaseUrl, HistoryEntry, Migrator, offline};

use crate::error::{Problems, Usage};
use crate::output::{self, Ui};
use crate::progress::{self, Verb};
use crate::project::{Pool, on_pool};
use crate::show;
use crate::view::View;

/// `upgrade TARGET` against the database.
pub(crate) async fn upgrade(
    ui: &Arc<Ui>,
    migrator: &Migrator,
    pool: &Pool,
    target: &str,
    resume: bool,
) -> anyhow::Result<()> {
    run(ui, migrator, pool, target, Verb::Upgrade, resume).await
}

/// `downgrade TARGET` against the database.
pub(crate) async fn downgrade(
    ui: &Arc<Ui>,
    migrator: &Migrator,
    pool: &Pool,
    target: &str,
    resume: bool,
) -> anyhow::Result<()> {
    run(ui, migrator, pool, target, Verb::Downgrade, resume).await
}

async fn run(
    ui: &Arc<Ui>,
    migrator: &Migrator,
    pool: &Pool,
    target: &str,
    verb: Verb,
    resume: bool,
) -> anyhow::Result<()> {
    if target.contains(':') {
        return Err(Usage(format!(
            "`{target}`: FROM:TO ranges are for --sql (offline scripts); give one target to run against the database"
        ))
        .into());
    }
    let target = Target::parse(target)?;
    let graph = migrator.graph()?;
    // The expected steps, only for the progress line: the run plans again
    // under its lock and is the authority.
    let plan = match on_pool!(pool, p => migrator.history(p).await) {
        // A revision the graph does not know: no expected steps (the run
        // refuses it).
        Ok(rows) => migrate_runtime::applied_revisions(graph, &rows)
            .ok()
            .and_then(|applied| match verb {
                Verb::Upgrade => graph.plan_upgrade(&target, &applied).ok(),
                Verb::Downgrade => graph.plan_downgrade(&target, &applied).ok(),
            })
            .map(|p| {
                p.steps
                    .iter()
                    .map(|&i| graph.id(i).to_owned())
                    .collect::<Vec<_>>()
            }),
        Err(_) => None,
    };
    let messages = messages(migrator);
    let (result, printed) = progress::run(ui, verb, messages, plan, async {
        match (verb, resume) {
            (Verb::Upgrade, false) => {
                on_pool!(pool, p => migrator.upgrade(p, target.clone()).await)
            }
            (Verb::Upgrade, true) => {
                on_pool!(pool, p => migrator.upgrade_resuming(p, target.clone()).await)
            }
            (Verb::Downgrade, false) => {
                on_pool!(pool, p => migrator.downgrade(p, target.clone()).await)
            }
            (Verb::Downgrade, true) => {
                on_pool!(pool, p => migrator.downgrade_resuming(p, target.clone()).await)
            }
        }
    })
    .await;
    let report = result?;
    printed.finish(&report.revisions);
    if printed.stdout_closed() {
        return Err(std::io::Error::from(std::io::ErrorKind::BrokenPipe).into());
    }
    let at = describe(migrator, &report.current);
    for name in &report.definitions {
        ui.line(match verb {
            Verb::Upgrade => format!("Applied definition {name}"),
            Verb::Downgrade => {
                // Dropped before the first revision was reverted (the
                // revisions are printed as they go, the definitions after).
                format!(
                    "Dropped definition {name} before the downgrade (the next `upgrade head` applies it again)"
                )
            }
        })?;
    }
    if report.revisions.is_empty() && report.definitions.is_empty() {
        ui.line(format!("Nothing to do: the database is at {at}"))?;
    } else if report.revisions.is_empty() {
        ui.line(format!("Now at {at}"))?;
    } else {
        ui.line(format!(
            "Now at {at} ({} revision{} in {} ms)",
            report.revisions.len(),
            if report.revisions.len() == 1 { "" } else { "s" },
            report.elapsed.as_millis()
        ))?;
    }
    Ok(())
}

/// `downgrade --from-history [TARGET]`: the revisions this directory (or
/// binary) does not contain, reverted from the history's stored SQL; then
/// TARGET, if given, as `downgrade TARGET`.
pub(crate) async fn downgrade_from_history(
    ui: &Arc<Ui>,
    migrator: &Migrator,
    pool: &Pool,
    target: Option<&str>,
) -> anyhow::Result<()> {
    let report = on_pool!(pool, p => migrator.downgrade_from_history(p).await)?;
    for (id, duration) in report.revisions.iter().zip(&report.durations) {
        ui.line(format!(
            "Reverted {} from the history's stored downgrade ({} ms)",
            ui.out.id(id),
            duration.as_millis()
        ))?;
    }
    match target {
        Some(target) => downgrade(ui, migrator, pool, target, false).await,
        None => {
            let at = describe(migrator, &report.current);
            if report.revisions.is_empty() {
                ui.line(format!(
                    "Nothing to do: every applied revision is in this build; the database is at {at}"
                ))?;
            } else {
                ui.line(format!("Now at {at}"))?;
            }
            Ok(())
        }
    }
}

fn messages(migrator: &Migrator) -> HashMap<String, Option<String>> {
    migrator
        .revisions()
        .iter()
        .chain(migrator.replaced_revisions().into_iter().flatten())
        .map(|r| (r.id().to_owned(), r.message().map(str::to_owned)))
        .collect()
}

/// `base`, or the ids with `(head)` where they are heads of the graph.
fn describe(migrator: &Migrator, ids: &[impl AsRef<str>]) -> String {
    if ids.is_empty() {
        return "base".into();
    }
    let heads: HashSet<&str> = migrator
        .graph()
        .map(|g| g.heads().iter().map(|&h| g.id(h)).collect())
        .unwrap_or_default();
    ids.iter()
        .map(|id| {
            let id = id.as_ref();
            if heads.contains(id) {
                format!("{id} (head)")
            } else {
                id.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// `current [--verbose] [--check-heads]`.
pub(crate) async fn current(
    ui: &Ui,
    migrator: &Migrator,
    pool: &Pool,
    url: &DatabaseUrl,
    verbose: bool,
    check_heads: bool,
) -> anyhow::Result<()> {
    let heads = on_pool!(pool, p => migrator.current(p).await)?;
    let rows = on_pool!(pool, p => migrator.history(p).await)?;
    let interrupted = interrupted(migrator, &rows);
    let view = View::from_embedded(migrator);
    let current: HashSet<usize> = heads.iter().filter_map(|id| view.graph.find(id)).collect();
    if verbose {
        ui.line(format!("Current revision(s) for {url}:"))?;
    }
    if heads.is_empty() && interrupted.is_empty() {
        ui.note("No revision applied: the database is at base");
    }
    for (k, id) in heads.iter().enumerate() {
        let Some(i) = view.graph.find(id) else {
            continue;
        };
        if verbose {
            if k > 0 {
                ui.line("")?;
            }
            for line in show::entry(&view, i, &current, &ui.out) {
                ui.line(line)?;
            }
        } else {
            ui.line(show::annotated_id(&view, i, &HashSet::new(), &ui.out))?;
        }
    }
    // A revision an earlier run left part-way: shown with its state, and
    // the command fails, since the database is at no revision of the table.
    for row in &interrupted {
        ui.line(format!("{} ({})", ui.out.id(&row.revision), row.summary))?;
        ui.warn(&row.detail);
    }
    match &interrupted[..] {
        [] => {}
        [row] => bail!(
            "revision {}: the database is part-way through it (`{}`); resolve it as the warning above says",
            row.revision,
            row.state
        ),
        rows => bail!(
            "revisions {}: the database is part-way through them; resolve them as the warnings above say",
            rows.iter()
                .map(|r| r.revision.as_str())
                .collect::<Vec<_>>()
                .join(", ")
        ),
    }
    // Repeatable definitions that the next upgrade to head applies, and
    // recorded ones whose file is gone.
    let mut definitions_pending = Vec::new();
    if !migrator.definitions().is_empty() || verbose {
        let status = on_pool!(pool, p => migrator.definition_status(p).await)?;
        for s in status {
            use migrate_runtime::DefinitionState;
            match s.state {
                DefinitionState::Applied { applied_at } => {
                    if verbose {
                        ui.line(format!("definition {} (applied {applied_at})", s.name))?;
                    }
                }
                DefinitionState::Changed { applied_at } => {
                    ui.line(format!(
                        "definition {} (changed since applied {applied_at}; `upgrade head` applies it)",
                        s.name
                    ))?;
                    definitions_pending.push(s.name);
                }
                DefinitionState::Pending => {
                    ui.line(format!(
                        "definition {} (not applied; `upgrade head` applies it)",
                        s.name
                    ))?;
                    definitions_pending.push(s.name);
                }
                DefinitionState::Removed { applied_at } => {
                    ui.line(format!(
                        "definition {} (applied {applied_at}, file removed: its objects stay until a revision drops them)",
                        s.name
                    ))?;
                }
            }
        }
    }
    if check_heads && !definitions_pending.is_empty() {
        bail!(
            "Target database is not up to date: definition{} {} not applied with {} current text; run `migrate upgrade head`",
            if definitions_pending.len() == 1 {
                ""
            } else {
                "s"
            },
            definitions_pending.join(", "),
            if definitions_pending.len() == 1 {
                "its"
            } else {
                "their"
            }
        );
    }
    if check_heads {
        let all: HashSet<usize> = view.graph.heads().iter().copied().collect();
        if current != all {
            bail!(
                "Target database is not up to date: it is at {}, the heads are {}; run `migrate upgrade heads`",
                describe(migrator, &heads),
                view.names(view.graph.heads())
            );
        }
    }
    Ok(())
}

/// A history row an earlier run left part-way through a
/// `transactional: false` revision.
pub(crate) struct Interrupted {
    pub revision: String,
    /// `running`, `failed`, `reverting` or `revert_failed`.
    pub state: String,
    /// The state with the statements done (`failed: 1 of 3 upgrade
    /// statements done`).
    pub summary: String,
    /// What happened and how to go on.
    pub detail: String,
}

/// The rows of `rows` that are neither applied nor stamped, described.
pub(crate) fn interrupted(migrator: &Migrator, rows: &[HistoryEntry]) -> Vec<Interrupted> {
    rows.iter()
        .filter(|row| !row.is_complete())
        .map(|row| {
            // Both come from the database: one line each wherever they go.
            let (revision, state) = (
                output::one_line(&row.revision).into_owned(),
                output::one_line(&row.state).into_owned(),
            );
            let rev = migrator
                .revisions()
                .iter()
                .find(|r| r.id() == row.revision);
            let reverting = row.is_reverting();
            let section = if reverting { "downgrade" } else { "upgrade" };
            let total = rev.and_then(|r| {
                if reverting {
                    r.downgrade().map(|d| d.len())
                } else {
                    Some(r.upgrade().len())
                }
            });
            let of = total.map(|n| format!(" of {n}")).unwrap_or_default();
            let summary = format!(
                "{}: {}{of} {section} statements done",
                state, row.statements_done
            );
            let parents = match rev.map(|r| r.parents()) {
                Some(parents) if parents.is_empty() => "base".to_owned(),
                Some(parents) => parents.join(" "),
                None => "<its parent>".to_owned(),
            };
            let (finished, undone) = if reverting {
                (parents.as_str(), revision.as_str())
            } else {
                (revision.as_str(), parents.as_str())
            };
            let place = rev.map(|r| format!(" ({})", r.path())).unwrap_or_default();
            let detail = format!(
                "revision {}{place} was stopped part-way through its {section} section by an earlier run: {}{of} statements are recorded as done (`{}`), and statement {} may have run too if that run was killed before recording it; once its cause is fixed, continue from there with `migrate {section} --resume`, or finish the {section} by hand and run `migrate stamp {finished}`, or undo the statements that ran and run `migrate stamp {undone}`",
                revision,
                row.statements_done,
                state,
                row.statements_done + 1
            );
            Interrupted {
                revision,
                state,
                summary,
                detail,
            }
        })
        .collect()
}

/// `check` with a URL: one read of the history table. Fails naming every
/// revision an earlier run left part-way; when there is none, every applied
/// revision whose upgrade SQL was edited since (read without a lock;
/// revisions the directory does not contain are left to `upgrade`).
pub(crate) async fn check_history(migrator: &Migrator, pool: &Pool) -> anyhow::Result<()> {
    let rows = on_pool!(pool, p => migrator.history(p).await)?;
    // Rows left part-way first: an interrupted revision's checksum says
    // nothing about the file until its outcome is recorded.
    let problems: Vec<String> = interrupted(migrator, &rows)
        .into_iter()
        .map(|row| row.detail)
        .collect();
    if !problems.is_empty() {
        let count = problems.len();
        return Err(anyhow::Error::new(Problems(problems)).context(format!(
            "{count} revision(s) left part-way by an earlier run in the database's history table"
        )));
    }
    let mut problems = Vec::new();
    for row in &rows {
        let Some(rev) = migrator.revisions().iter().find(|r| r.id() == row.revision) else {
            continue;
        };
        if row.is_edited(rev) {
            problems.push(edited_message(&row.revision, rev.path()));
        }
    }
    // Silent when all is well: `check`'s output stays one line per part.
    if problems.is_empty() {
        return Ok(());
    }
    let n = problems.len();
    Err(anyhow::Error::new(Problems(problems)).context(format!(
        "{n} applied revision{} edited after {} ran",
        if n == 1 { " was" } else { "s were" },
        if n == 1 { "it" } else { "they" }
    )))
}

/// `stamp TARGET... [--purge]`.
pub(crate) async fn stamp(
    ui: &Ui,
    migrator: &Migrator,
    pool: &Pool,
    targets: &[String],
    purge: bool,
) -> anyhow::Result<()> {
    for t in targets {
        Target::parse(t)?;
    }
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let report = on_pool!(pool, p => migrator.stamp(p, &targets, purge).await)?;
    let messages = messages(migrator);
    let line = |verb: &str, id: &str| {
        let mut line = format!("{verb} {}", ui.out.id(id));
        if let Some(Some(m)) = messages.get(id) {
            line.push(' ');
            line.push_str(m);
        }
        line
    };
    for id in &report.removed {
        ui.line(line("Unstamped", id))?;
    }
    for id in &report.added {
        ui.line(line("Stamped", id))?;
    }
    ui.line(format!("Now at {}", describe(migrator, &report.current)))?;
    Ok(())
}

/// `stamp --accept-checksum REV...`.
pub(crate) async fn accept_checksums(
    ui: &Ui,
    migrator: &Migrator,
    pool: &Pool,
    targets: &[String],
) -> anyhow::Result<()> {
    for t in targets {
        Target::parse(t)?;
    }
    let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
    let report = on_pool!(pool, p => migrator.accept_checksums(p, &targets).await)?;
    for (id, before, now) in &report.accepted {
        ui.line(format!(
            "Accepted the edit of {}: checksum {} (was {})",
            ui.out.id(id),
            now,
            before
        ))?;
    }
    for id in &report.unchanged {
        ui.line(format!(
            "{} already matches its recorded checksum; nothing to accept",
            ui.out.id(id)
        ))?;
    }
    Ok(())
}

/// `upgrade|downgrade SPEC --sql`: the offline script on stdout.
pub(crate) fn offline_script(
    ui: &Ui,
    migrator: &Migrator,
    dialect: Dialect,
    direction: Direction,
    spec: &str,
) -> anyhow::Result<()> {
    let (from, to) = match spec.split_once(':') {
        Some((from, to)) => (Some(from).filter(|f| !f.is_empty()), to),
        None => (None, spec),
    };
    if to.is_empty() {
        return Err(Usage(format!(
            "`{spec}` has no TO; write FROM:TO, e.g. `ae1027a6acf:head`"
        ))
        .into());
    }
    let plan = offline::plan(migrator, direction, from, to)?;
    let script = offline::script(dialect, migrator, &plan)?;
    ui.text(&script)?;
    Ok(())
}

/// The embedded `check`: the database agrees with this table.
pub(crate) async fn check_database(
    ui: &Ui,
    migrator: &Migrator,
    pool: &Pool,
) -> anyhow::Result<()> {
    let v = on_pool!(pool, p => migrator.verify(p).await)?;
    let mut problems: Vec<String> = interrupted(migrator, &v.interrupted)
        .into_iter()
        .map(|row| row.detail)
        .collect();
    for id in &v.unknown {
        problems.push(format!(
            "Can't locate revision identified by '{id}': the database has it applied but this build does not contain it; run a build that includes it"
        ));
    }
    for id in &v.edited {
        let path = migrator
            .revisions()
            .iter()
            .find(|r| r.id() == id)
            .map_or("", |r| r.path());
        problems.push(edited_message(id, path));
    }
    if !v.pending.is_empty() {
        problems.push(format!(
            "Target database is not up to date: {} revision(s) pending ({}); run `upgrade heads`",
            v.pending.len(),
            v.pending.join(", ")
        ));
    }
    if problems.is_empty() {
        // Nothing pending: every revision of the build is applied.
        let heads: Vec<&str> = v.current.iter().map(String::as_str).collect();
        ui.line(format!(
            "The database is up to date: {} revision(s) applied, at {}",
            migrator.revisions().len(),
            describe(migrator, &heads)
        ))?;
        return Ok(());
    }
    let count = problems.len();
    Err(anyhow::Error::new(Problems(problems)).context(format!(
        "{count} problem(s) between this build and the database"
    )))
}

/// Checksum drift, and the two ways on: restore the file, or accept the
/// edit by recording the history again (docs/guide.md#checksums).
fn edited_message(revision: &str, path: &str) -> String {
    format!(
        "revision {revision} ({path}): the upgrade SQL was edited after it was applied; restore the applied SQL (e.g. from version control) and put the change in a new revision, or, if the database already matches the edited file, accept the edit with `migrate stamp --accept-checksum {revision}`"
    )
}
