//! `--each-database FILE` and `--each-schema PATTERN`: one command over a
//! fleet (see `migrate_runtime::fleet`), with progress on a terminal, a
//! final table or JSON, and an exit status that says whether all, some or
//! none of the members succeeded.

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use anyhow::Context as _;
pub(crate) use migrate_runtime::fleet::Operation;
use migrate_runtime::fleet::{Fleet, Member, MemberReport, Status};
use migrate_runtime::{DatabaseUrl, Migrator};

use crate::args::{FleetOptions, ReportFormat};
use crate::error::{FleetFailed, Problems, Usage};
use crate::output::Ui;

/// Is this a fleet run?
pub(crate) fn requested(options: &FleetOptions) -> bool {
    options.each_database.is_some() || options.each_schema.is_some()
}

/// The options that only mean something for a fleet, given without one.
pub(crate) fn check_alone(options: &FleetOptions) -> anyhow::Result<()> {
    if !requested(options)
        && (options.keep_going
            || options.format != ReportFormat::Text
            || options.concurrency.is_some()
            || options.canary.is_some())
    {
        return Err(Usage(
            "--concurrency, --canary, --keep-going and --format go with --each-database FILE or --each-schema PATTERN".into(),
        )
        .into());
    }
    Ok(())
}

/// The members a file lists: one URL a line; blank lines and lines
/// starting with `#` are skipped.
fn members_of_file(path: &Path) -> anyhow::Result<Vec<Member>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("reading the database list {}", path.display()))?;
    let mut members = Vec::new();
    for (n, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let url = DatabaseUrl::new(line);
        if let Err(e) = url.check() {
            return Err(Usage(format!("{}:{}: {e}", path.display(), n + 1)).into());
        }
        members.push(Member::database(url));
    }
    if members.is_empty() {
        return Err(Usage(format!(
            "{} lists no database; write one URL a line",
            path.display()
        ))
        .into());
    }
    Ok(members)
}

/// The schemas of the database at `url` whose names match `pattern`,
/// system schemas left out, in name order.
async fn members_of_schemas(url: &DatabaseUrl, pattern: &str) -> anyhow::Result<Vec<Member>> {
    let options = url.pg_connect_options()?;
    let pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(1)
        .connect_with(options)
        .await
        .with_context(|| format!("connecting to {}", url.redacted()))?;
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT nspname::text FROM pg_namespace \
         WHERE nspname NOT LIKE 'pg\\_%' AND nspname <> 'information_schema' ORDER BY 1",
    )
    .fetch_all(&pool)
    .await
    .context("listing the schemas")?;
    pool.close().await;
    let members: Vec<Member> = names
        .iter()
        .filter(|n| migrate_core::glob_match(pattern, n))
        .map(|n| Member::schema(url.clone(), n))
        .collect();
    if members.is_empty() {
        return Err(Usage(format!(
            "no schema of {} matches `{}`",
            url.redacted(),
            migrate_core::escape_control(pattern)
        ))
        .into());
    }
    Ok(members)
}

/// Runs `operation` over the fleet the options name; `url` is the
/// configured database (for `--each-schema`).
pub(crate) async fn run(
    ui: &Arc<Ui>,
    migrator: &Migrator,
    options: &FleetOptions,
    url: Option<&DatabaseUrl>,
    operation: Operation,
) -> anyhow::Result<()> {
    let members = match (&options.each_database, &options.each_schema) {
        (Some(file), _) => members_of_file(file)?,
        (None, Some(pattern)) => {
            let url = url.ok_or_else(|| {
                Usage(
                    "--each-schema needs the database: pass --database-url or set DATABASE_URL"
                        .into(),
                )
            })?;
            members_of_schemas(url, pattern).await?
        }
        (None, None) => return Err(Usage("no fleet given".into()).into()),
    };
    let total = members.len();
    let done = Arc::new(AtomicUsize::new(0));
    let mut fleet = Fleet::new(migrator.clone())
        .concurrency(options.concurrency.unwrap_or(4))
        .canary(options.canary.unwrap_or(1))
        .keep_going(options.keep_going);
    let failed = Arc::new(AtomicUsize::new(0));
    if ui.err_is_terminal {
        let done = Arc::clone(&done);
        let failed = Arc::clone(&failed);
        fleet = fleet.on_progress(move |r| {
            let k = done.fetch_add(1, Ordering::Relaxed) + 1;
            let this = usize::from(matches!(r.status, Status::Failed(_)));
            let f = failed.fetch_add(this, Ordering::Relaxed) + this;
            eprint!("\r\x1b[2K{}", bar(k, f, total));
            let _ = std::io::stderr().flush();
        });
    }
    let reports = fleet.run(&members, &operation).await;
    if ui.err_is_terminal && done.load(Ordering::Relaxed) > 0 {
        // The bar's line ends before the report.
        eprintln!();
    }
    // `current` says which members lag behind the directory's heads.
    let heads: Option<Vec<String>> = (operation == Operation::Current)
        .then(|| migrator.heads().ok())
        .flatten()
        .map(|h| {
            let mut h: Vec<String> = h.into_iter().map(str::to_owned).collect();
            h.sort();
            h
        });
    match options.format {
        ReportFormat::Text => ui.text(&table(&reports, heads.as_deref()))?,
        ReportFormat::Json => ui.line(json(&reports, heads.as_deref()))?,
    }
    let ok = reports.iter().filter(|r| r.status == Status::Done).count();
    let _ = std::io::stdout().flush();
    if ok == total {
        return Ok(());
    }
    let failures: Vec<String> = reports
        .iter()
        .filter_map(|r| match &r.status {
            Status::Failed(message) => Some(format!("{}: {message}", r.member)),
            _ => None,
        })
        .collect();
    Err(anyhow::Error::new(Problems(failures)).context(FleetFailed { ok, total }))
}

/// `[=========>          ] 12/40 done, 1 failed`: counts only, so no
/// member's name reaches the terminal's control line.
fn bar(done: usize, failed: usize, total: usize) -> String {
    const WIDTH: usize = 30;
    let filled = (done * WIDTH)
        .checked_div(total)
        .unwrap_or(WIDTH)
        .min(WIDTH);
    let mut line = String::with_capacity(WIDTH + 40);
    line.push('[');
    line.push_str(&"=".repeat(filled));
    if filled < WIDTH {
        line.push('>');
        line.push_str(&" ".repeat(WIDTH - filled - 1));
    }
    line.push_str(&format!("] {done}/{total} done"));
    if failed > 0 {
        line.push_str(&format!(", {failed} failed"));
    }
    line
}

fn shown(ids: &[String]) -> String {
    if ids.is_empty() {
        "base".into()
    } else {
        ids.join(",")
    }
}

/// `ok`, or `behind` for a member of a `current` run that is not at
/// `heads`, or how it failed.
fn status(r: &MemberReport, heads: Option<&[String]>) -> String {
    match heads {
        Some(heads) if r.status == Status::Done => {
            let mut at = r.to.clone();
            at.sort();
            if at == heads {
                "at head".into()
            } else {
                "behind".into()
            }
        }
        _ => r.status.to_string(),
    }
}

/// TARGET FROM TO APPLIED TIME STATUS, aligned, then a summary line.
fn table(reports: &[MemberReport], heads: Option<&[String]>) -> String {
    let rows: Vec<[String; 6]> = reports
        .iter()
        .map(|r| {
            [
                r.member.clone(),
                shown(&r.from),
                if r.status == Status::NotRun {
                    "-".into()
                } else {
                    shown(&r.to)
                },
                r.revisions.len().to_string(),
                format!("{} ms", r.elapsed.as_millis()),
                status(r, heads),
            ]
        })
        .collect();
    let header = ["TARGET", "FROM", "TO", "REVISIONS", "TIME", "STATUS"];
    let mut widths = header.map(str::len);
    for row in &rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &[&str]| {
        let mut out = String::new();
        for (i, (cell, w)) in cells.iter().zip(widths).enumerate() {
            if i + 1 == cells.len() {
                out.push_str(cell);
            } else {
                out.push_str(&format!("{cell:<w$}  "));
            }
        }
        out.push('\n');
        out
    };
    let mut out = line(&header);
    for row in &rows {
        out.push_str(&line(&row.each_ref().map(String::as_str)));
    }
    let count = |s: fn(&Status) -> bool| reports.iter().filter(|r| s(&r.status)).count();
    out.push_str(&format!(
        "{} ok, {} failed, {} not run, of {}\n",
        count(|s| *s == Status::Done),
        count(|s| matches!(s, Status::Failed(_))),
        count(|s| *s == Status::NotRun),
        reports.len()
    ));
    out
}

fn json(reports: &[MemberReport], heads: Option<&[String]>) -> String {
    let list = |ids: &[String]| {
        format!(
            "[{}]",
            ids.iter()
                .map(|i| crate::lint::string(i))
                .collect::<Vec<_>>()
                .join(",")
        )
    };
    let items: Vec<String> = reports
        .iter()
        .map(|r| {
            let error = match &r.status {
                Status::Failed(m) => crate::lint::string(m),
                _ => "null".into(),
            };
            format!(
                "{{\"target\":{},\"from\":{},\"to\":{},\"revisions\":{},\"ms\":{},\"status\":{},\"error\":{error}}}",
                crate::lint::string(&r.member),
                list(&r.from),
                list(&r.to),
                list(&r.revisions),
                r.elapsed.as_millis(),
                crate::lint::string(&status(r, heads))
            )
        })
        .collect();
    format!("[{}]", items.join(","))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_progress_bar_fills_with_the_members_done() {
        assert_eq!(bar(0, 0, 4), format!("[>{}] 0/4 done", " ".repeat(29)));
        assert_eq!(
            bar(2, 1, 4),
            format!("[{}>{}] 2/4 done, 1 failed", "=".repeat(15), " ".repeat(14))
        );
        assert_eq!(bar(4, 0, 4), format!("[{}] 4/4 done", "=".repeat(30)));
    }

    #[test]
    fn schema_patterns_match_as_globs() {
        let m = migrate_core::glob_match;
        assert!(m("tenant_*", "tenant_1"));
        assert!(m("tenant_*", "tenant_"));
        assert!(!m("tenant_*", "tenants"));
        assert!(m("t?_a", "t1_a"));
        assert!(!m("t?_a", "t12_a"));
        assert!(m("*", "public"));
        assert!(m("a*b*c", "a-b-x-c"));
        assert!(m("*_?", "tenant_1"));
        assert!(!m("*a", "tenant_1"));
        // Many stars against a long name that does not match: at once.
        let long = "a".repeat(200);
        assert!(!m(&format!("{}b", "a*".repeat(30)), &long));
    }
}
