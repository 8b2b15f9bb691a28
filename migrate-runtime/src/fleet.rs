//! Migrating a fleet: many databases, or the tenant schemas of one
//! PostgreSQL database, in one run, with a canary first, bounded
//! concurrency, and a report per member.
//!
//! Each member is migrated as a run of its own, under its own lock (the
//! advisory lock of its database and history table, or its SQLite file's),
//! so two fleet runs at once still apply each revision once per member, and
//! a run killed part-way leaves every member at a revision it finished: the
//! next run migrates only what is pending.
//!
//! A schema member connects with `search_path` set to its schema (so that
//! unqualified SQL lands there) and keeps its history in
//! `<schema>.<history table>`.
//!
//! ```no_run
//! # async fn f(migrator: &migrate_runtime::Migrator) {
//! use migrate_runtime::fleet::{Fleet, Member, Operation};
//! let members = vec![
//!     Member::database("postgres://app@db1/shop".into()),
//!     Member::database("postgres://app@db2/shop".into()),
//! ];
//! let reports = Fleet::new(migrator.clone())
//!     .run(&members, &Operation::Upgrade("head".into()))
//!     .await;
//! for r in &reports {
//!     println!("{}: {:?} -> {:?} ({})", r.member, r.from, r.to, r.status);
//! }
//! # }
//! ```

use std::sync::Arc;
use std::time::{Duration, Instant};

use migrate_core::Dialect;

use crate::migrator::Migrator;
use crate::url::DatabaseUrl;

/// One database, or one schema of a PostgreSQL database.
#[derive(Debug, Clone)]
pub struct Member {
    url: DatabaseUrl,
    schema: Option<String>,
}

impl Member {
    /// A whole database.
    pub fn database(url: DatabaseUrl) -> Member {
        Member { url, schema: None }
    }

    /// One schema of a PostgreSQL database (a plain name: letters, digits
    /// and `_`), migrated with `search_path` set to it.
    pub fn schema(url: DatabaseUrl, schema: &str) -> Member {
        Member {
            url,
            schema: Some(schema.to_owned()),
        }
    }

    /// How reports name it: the URL with its password hidden, and
    /// `#schema` for a schema, control characters escaped (a schema's name
    /// comes from the database, a URL from a file; both reach terminals).
    pub fn label(&self) -> String {
        let label = match &self.schema {
            Some(schema) => format!("{}#{schema}", self.url.redacted()),
            None => self.url.redacted(),
        };
        migrate_core::escape_control(&label).into_owned()
    }
}

/// What to do on each member.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operation {
    /// `upgrade TARGET`.
    Upgrade(String),
    /// `downgrade TARGET`.
    Downgrade(String),
    /// Read where each member is.
    Current,
    /// `stamp TARGETS`.
    Stamp(Vec<String>),
    /// Check that the history agrees with the migrator
    /// ([`Migrator::verify`]): a member with anything pending, edited,
    /// unknown or left part-way fails, naming it.
    Check,
}

impl Operation {
    /// Reads only: every member is visited (no canary, no stopping at a
    /// failure), since a member that fails tells nothing about the next.
    pub fn is_read_only(&self) -> bool {
        matches!(self, Operation::Current | Operation::Check)
    }
}

/// How a member's run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// It ran.
    Done,
    /// It failed, with the error's message.
    Failed(String),
    /// It was not run: the canary failed, or an earlier member did without
    /// `keep_going`.
    NotRun,
}

impl std::fmt::Display for Status {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Status::Done => f.write_str("ok"),
            Status::Failed(_) => f.write_str("failed"),
            Status::NotRun => f.write_str("not run"),
        }
    }
}

/// One member's outcome.
#[derive(Debug, Clone)]
pub struct MemberReport {
    /// The member, as [`Member::label`] names it.
    pub member: String,
    /// Its heads before the run (empty at base or when they could not be
    /// read).
    pub from: Vec<String>,
    /// Its heads after the run.
    pub to: Vec<String>,
    /// The revisions the run applied, reverted or stamped, in order.
    pub revisions: Vec<String>,
    /// How long its run took, connection included.
    pub elapsed: Duration,
    /// How it ended.
    pub status: Status,
}

impl MemberReport {
    /// `member`'s report before (or without) its run.
    fn of(member: &Member, status: Status) -> MemberReport {
        MemberReport {
            member: member.label(),
            from: Vec::new(),
            to: Vec::new(),
            revisions: Vec::new(),
            elapsed: Duration::ZERO,
            status,
        }
    }
}

/// What [`Fleet::on_progress`] calls.
type Progress = Arc<dyn Fn(&MemberReport) + Send + Sync>;

/// A run over many members.
pub struct Fleet {
    migrator: Migrator,
    concurrency: usize,
    canary: usize,
    keep_going: bool,
    progress: Option<Progress>,
}

impl Fleet {
    /// A fleet run of `migrator`: 4 members at a time, the first member
    /// alone first (the canary), stopping at the first failure.
    pub fn new(migrator: Migrator) -> Fleet {
        Fleet {
            migrator,
            concurrency: 4,
            canary: 1,
            keep_going: false,
            progress: None,
        }
    }

    /// How many members run at once (at least 1).
    pub fn concurrency(mut self, n: usize) -> Fleet {
        self.concurrency = n.max(1);
        self
    }

    /// How many members run first, before the others start; the run stops
    /// if any of them fails (0: no canary).
    pub fn canary(mut self, n: usize) -> Fleet {
        self.canary = n;
        self
    }

    /// Go on with the other members after one fails (the canary's failure
    /// still stops the run).
    pub fn keep_going(mut self, on: bool) -> Fleet {
        self.keep_going = on;
        self
    }

    /// Called as each member finishes (for a progress display).
    pub fn on_progress(mut self, f: impl Fn(&MemberReport) + Send + Sync + 'static) -> Fleet {
        self.progress = Some(Arc::new(f));
        self
    }

    /// Runs `operation` on every member; one report per member, in the
    /// members' order.
    pub async fn run(&self, members: &[Member], operation: &Operation) -> Vec<MemberReport> {
        let mut reports: Vec<Option<MemberReport>> = vec![None; members.len()];
        let read_only = operation.is_read_only();
        let canary = if read_only {
            0
        } else {
            self.canary.min(members.len())
        };
        let keep_going = self.keep_going || read_only;
        let mut stop = false;
        for (batch, keep_going) in [(0..canary, false), (canary..members.len(), keep_going)] {
            if stop {
                break;
            }
            let mut next = batch.start;
            let mut running = tokio::task::JoinSet::new();
            let mut index = std::collections::HashMap::new();
            loop {
                while !stop && running.len() < self.concurrency && next < batch.end {
                    let member = members[next].clone();
                    let migrator = self.migrator.clone();
                    let operation = operation.clone();
                    let task = running
                        .spawn(async move { run_member(&migrator, &member, &operation).await });
                    index.insert(task.id(), next);
                    next += 1;
                }
                let Some(joined) = running.join_next_with_id().await else {
                    break;
                };
                let (i, report) = match joined {
                    Ok((id, report)) => (index[&id], report),
                    // A panic in a member's run: reported, never lost.
                    Err(e) => {
                        let i = index[&e.id()];
                        (
                            i,
                            MemberReport::of(
                                &members[i],
                                Status::Failed(format!("the run panicked: {e}")),
                            ),
                        )
                    }
                };
                if matches!(report.status, Status::Failed(_)) && !keep_going {
                    stop = true;
                }
                if let Some(progress) = &self.progress {
                    progress(&report);
                }
                reports[i] = Some(report);
            }
        }
        reports
            .into_iter()
            .zip(members)
            .map(|(report, member)| {
                report.unwrap_or_else(|| MemberReport::of(member, Status::NotRun))
            })
            .collect()
    }
}

async fn run_member(migrator: &Migrator, member: &Member, operation: &Operation) -> MemberReport {
    let started = Instant::now();
    let mut report = MemberReport::of(member, Status::Done);
    if let Err(message) = run_member_in(migrator, member, operation, &mut report).await {
        report.status = Status::Failed(message);
    }
    report.elapsed = started.elapsed();
    report
}

async fn run_member_in(
    migrator: &Migrator,
    member: &Member,
    operation: &Operation,
    report: &mut MemberReport,
) -> Result<(), String> {
    let dialect = member.url.check().map_err(|e| e.to_string())?;
    let migrator = match &member.schema {
        None => migrator.clone(),
        Some(schema) => {
            let table = format!("{schema}.{}", migrator.version_table());
            migrator.clone().with_version_table(&table).ok_or_else(|| {
                format!(
                    "schema `{}` is not a plain name (letters, digits and `_`); rename it or list its database instead",
                    migrate_core::escape_control(schema)
                )
            })?
        }
    };
    match dialect {
        #[cfg(feature = "postgres")]
        Dialect::Postgres => {
            let mut options = member.url.pg_connect_options().map_err(|e| e.to_string())?;
            if let Some(schema) = &member.schema {
                options = options.options([("search_path", schema.as_str())]);
            }
            let pool = sqlx::postgres::PgPoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| format!("connecting: {e}"))?;
            let result = operate(&migrator, &pool, operation, report).await;
            pool.close().await;
            result
        }
        #[cfg(feature = "sqlite")]
        Dialect::Sqlite => {
            if member.schema.is_some() {
                return Err("SQLite has no schemas; list the database files instead".into());
            }
            // A new file for what writes (as the CLI's `upgrade` and
            // `stamp` create one); reading a missing one is an error.
            let writes = matches!(operation, Operation::Upgrade(_) | Operation::Stamp(_));
            let options = member
                .url
                .sqlite_connect_options()
                .map_err(|e| e.to_string())?
                .create_if_missing(writes);
            let pool = sqlx::sqlite::SqlitePoolOptions::new()
                .max_connections(1)
                .connect_with(options)
                .await
                .map_err(|e| format!("connecting: {e}"))?;
            let result = operate(&migrator, &pool, operation, report).await;
            pool.close().await;
            result
        }
        #[allow(unreachable_patterns)]
        other => Err(format!("{other} is not built into this binary")),
    }
}

async fn operate<D: crate::Database>(
    migrator: &Migrator,
    db: &D,
    operation: &Operation,
    report: &mut MemberReport,
) -> Result<(), String> {
    if *operation == Operation::Check {
        let v = migrator.verify(db).await.map_err(|e| e.to_string())?;
        report.from.clone_from(&v.current);
        report.to = v.current.clone();
        if !v.is_clean() {
            return Err(v.problems().join("; "));
        }
        return Ok(());
    }
    let from = migrator.current(db).await.map_err(|e| e.to_string())?;
    report.from = from.into_iter().map(str::to_owned).collect();
    match operation {
        Operation::Current | Operation::Check => report.to = report.from.clone(),
        Operation::Upgrade(target) | Operation::Downgrade(target) => {
            let run = if matches!(operation, Operation::Upgrade(_)) {
                migrator.upgrade(db, target.as_str()).await
            } else {
                migrator.downgrade(db, target.as_str()).await
            };
            let done = run.map_err(|e| e.to_string())?;
            report.revisions = done.revisions;
            report.to = done.current;
        }
        Operation::Stamp(targets) => {
            let targets: Vec<&str> = targets.iter().map(String::as_str).collect();
            let done = migrator
                .stamp(db, &targets, false)
                .await
                .map_err(|e| e.to_string())?;
            report.revisions = done.added;
            report.to = done.current;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_hide_the_password_and_escape_control_characters() {
        let url = DatabaseUrl::new("postgres://app:s3cret@db/shop");
        let label = Member::schema(url.clone(), "tenant\u{1b}[2J").label();
        assert!(!label.contains('\u{1b}'), "{label}");
        assert!(!label.contains("s3cret"), "{label}");
        assert!(
            label.starts_with("postgres://app:***@db/shop#tenant"),
            "{label}"
        );
        assert_eq!(Member::database(url).label(), "postgres://app:***@db/shop");
    }
}
