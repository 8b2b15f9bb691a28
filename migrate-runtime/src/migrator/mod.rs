//! `Migrator`: the embedded table, its settings and the verbs (upgrade,
//! downgrade, current, history, stamp), which compose a run from the
//! backend's steps: start-up check, lock, history checks, plan, then
//! `apply`, which executes the plan.

use std::borrow::Cow;
use std::collections::HashSet;
use std::future::Future;
use std::path::Path;
use std::pin::Pin;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use migrate_core::{Direction, Plan, RevisionGraph, Target};

use crate::backend::{Conn, Database};
use crate::embedded::{EmbeddedRevision, EmbeddedStartUp, PackedTable};
use crate::error::{Error, Result};
use crate::history::{self, HistoryEntry, NewRow};
use crate::table::{RevisionRef, Revisions, Table};

mod apply;
mod definitions;
mod stored;
use apply::Outcome;
pub use definitions::{Definition, DefinitionSql, DefinitionState, DefinitionStatus};

/// How revisions are grouped into transactions.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TransactionMode {
    /// One transaction for the whole run, one savepoint per revision (the
    /// default, and the fastest: one commit). A failure in revision k rolls
    /// back to its savepoint and commits the revisions before it, so the
    /// database ends at k-1 either way.
    #[default]
    Single,
    /// One transaction and one commit per revision: each revision is durable
    /// on its own as soon as it is applied.
    PerRevision,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// Revisions run, in order.
    pub revisions: Vec<String>,
    /// How long each revision's SQL took, in the same order.
    pub durations: Vec<Duration>,
    /// The database's heads afterwards.
    pub current: Vec<String>,
    /// Wall time of the run, lock wait included.
    pub elapsed: Duration,
    /// Repeatable definitions (paths under `definitions/`): for an upgrade
    /// that reached head, those applied because they were new or changed,
    /// in order; for a downgrade, those whose objects it dropped first.
    pub definitions: Vec<String>,
}

/// What `stamp` changed in the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StampReport {
    /// Revisions recorded as applied.
    pub added: Vec<String>,
    /// Revisions removed from the history.
    pub removed: Vec<String>,
    /// The database's heads afterwards.
    pub current: Vec<String>,
}

/// What `accept_checksums` changed in the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AcceptReport {
    /// Revisions whose recorded checksum was replaced: `(revision, the
    /// checksum the history held, the one it holds now)`.
    pub accepted: Vec<(String, String, String)>,
    /// Revisions whose recorded checksum already matched their SQL.
    pub unchanged: Vec<String>,
}

/// Anything that names a target: `&str` in Alembic's syntax, or a [`Target`].
pub trait IntoTarget {
    /// Parses or converts.
    fn into_target(self) -> Result<Target>;
}

impl IntoTarget for &str {
    fn into_target(self) -> Result<Target> {
        Ok(Target::parse(self)?)
    }
}

impl IntoTarget for &String {
    fn into_target(self) -> Result<Target> {
        Ok(Target::parse(self)?)
    }
}

impl IntoTarget for Target {
    fn into_target(self) -> Result<Target> {
        Ok(self)
    }
}

impl IntoTarget for &Target {
    fn into_target(self) -> Result<Target> {
        Ok(self.clone())
    }
}

/// A revision table and the settings to apply it.
///
/// Built by [`embed_migrations!`](crate::embed_migrations) as a `static`, or
/// from a directory at run time with [`Migrator::from_directory`].
pub struct Migrator {
    revisions: Table,
    version_table: Cow<'static, str>,
    /// PostgreSQL advisory-lock key; `None` derives it from the table name.
    lock_key: Option<i64>,
    lock_timeout: Duration,
    mode: TransactionMode,
    graph: OnceLock<std::result::Result<RevisionGraph, migrate_core::Errors>>,
    /// Every (revision, checksum) pair of the table: a history holding
    /// exactly these has everything applied and nothing edited.
    expected: crate::startup::Expected,
    /// The functions of the table's Rust revisions (none for a directory
    /// loaded at run time, which cannot run them).
    rust: &'static [crate::rust::RustRevision],
    /// The revisions that the table's checkpoints replace (see
    /// [`Replaced`]).
    replaced: Replaced,
    /// The repeatable definitions, in the order they apply.
    definitions: Cow<'static, [Definition]>,
}

/// The revisions that checkpoints (`replaces:`, written by `migrate
/// squash`) replace: a database that applied some of them goes on along
/// them to the checkpoint.
#[derive(Clone)]
enum Replaced {
    /// The table has no checkpoint.
    None,
    /// Written by `embed_migrations!`: a migrator over the replaced
    /// revisions still in the directory, and each checkpoint with the ids
    /// it replaces.
    Static {
        migrator: &'static Migrator,
        checkpoints: &'static [(&'static str, &'static [&'static str])],
    },
    /// Loaded from a directory: the replaced revisions' migrator; the
    /// checkpoints are read from the table's headers.
    Loaded(std::sync::Arc<Migrator>),
}

impl Clone for Migrator {
    fn clone(&self) -> Self {
        Migrator {
            revisions: self.revisions.clone(),
            version_table: self.version_table.clone(),
            lock_key: self.lock_key,
            lock_timeout: self.lock_timeout,
            mode: self.mode,
            graph: self.graph.clone(),
            expected: self.expected.clone(),
            rust: self.rust,
            replaced: self.replaced.clone(),
            definitions: self.definitions.clone(),
        }
    }
}

impl std::fmt::Debug for Migrator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Migrator")
            .field("revisions", &self.revisions().len())
            .field("version_table", &self.version_table)
            .field("lock_key", &self.lock_key())
            .field("lock_timeout", &self.lock_timeout)
            .field("mode", &self.mode)
            .finish()
    }
}

/// Default wait for another migrator's lock.
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(60);

impl Migrator {
    #[doc(hidden)]
    pub const fn __from_table(
        revisions: &'static [EmbeddedRevision],
        version_table: &'static str,
    ) -> Migrator {
        Migrator::__from_parts(revisions, version_table, EmbeddedStartUp::EMPTY)
    }

    /// The table, its version table and what start-up compares (all three
    /// written by the macro). A `start_up` that does not describe the
    /// table only sends every start-up the long way.
    #[doc(hidden)]
    pub const fn __from_parts(
        revisions: &'static [EmbeddedRevision],
        version_table: &'static str,
        start_up: EmbeddedStartUp,
    ) -> Migrator {
        Migrator {
            revisions: Table::Static(revisions),
            version_table: Cow::Borrowed(version_table),
            lock_key: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            mode: TransactionMode::Single,
            graph: OnceLock::new(),
            expected: crate::startup::Expected::new(revisions.len(), start_up),
            rust: &[],
            replaced: Replaced::None,
            definitions: Cow::Borrowed(&[]),
        }
    }

    /// The table `embed_migrations!` writes (see [`PackedTable`]), its
    /// version table and what start-up compares.
    #[doc(hidden)]
    pub const fn __from_packed(
        revisions: PackedTable,
        version_table: &'static str,
        start_up: EmbeddedStartUp,
    ) -> Migrator {
        Migrator {
            revisions: Table::Packed(revisions),
            version_table: Cow::Borrowed(version_table),
            lock_key: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            mode: TransactionMode::Single,
            graph: OnceLock::new(),
            expected: crate::startup::Expected::new(revisions.len(), start_up),
            rust: &[],
            replaced: Replaced::None,
            definitions: Cow::Borrowed(&[]),
        }
    }

    /// The same table and settings with nothing built yet (no graph, no
    /// lookup): what a `static` made by the macro is when a process starts.
    #[doc(hidden)]
    pub fn __fresh(&self) -> Migrator {
        Migrator {
            revisions: self.revisions.clone(),
            version_table: self.version_table.clone(),
            lock_key: self.lock_key,
            lock_timeout: self.lock_timeout,
            mode: self.mode,
            graph: OnceLock::new(),
            expected: self.expected.fresh(),
            rust: self.rust,
            replaced: self.replaced.clone(),
            definitions: self.definitions.clone(),
        }
    }

    /// Loads and validates a directory at run time (what the `migrate` CLI
    /// does). The migrator owns what it loaded, shared by its clones and
    /// freed with the last of them.
    ///
    /// Unlike `embed_migrations!`, several unmerged heads are accepted, as
    /// Alembic reads a directory: `heads` applies them all, while `head`
    /// refuses when it is asked for.
    pub fn from_directory(
        dir: &Path,
        display: &str,
        config: &migrate_core::Config,
    ) -> std::result::Result<Migrator, migrate_core::Errors> {
        let mut migrations = migrate_core::load_directory_with(
            dir,
            display,
            &config.dialects,
            migrate_core::HeadRule::Any,
            config.max_file_size,
        )?;
        for r in &mut migrations.revisions {
            config.apply_lock_defaults(&mut r.header);
        }
        let start_up = migrations.start_up();
        let replaced = if migrations.checkpoints().next().is_none() {
            Replaced::None
        } else {
            for r in &mut migrations.replaced {
                config.apply_lock_defaults(&mut r.header);
            }
            let sub = Migrator {
                expected: crate::startup::Expected::loaded(
                    migrations.replaced.len(),
                    migrate_core::StartUp {
                        in_order: String::new(),
                        by_id: String::new(),
                        heads: Vec::new(),
                    },
                ),
                rust: &[],
                revisions: Table::Loaded(std::mem::take(&mut migrations.replaced).into()),
                version_table: Cow::Owned(config.version_table.clone()),
                lock_key: None,
                lock_timeout: DEFAULT_LOCK_TIMEOUT,
                mode: TransactionMode::Single,
                graph: OnceLock::new(),
                replaced: Replaced::None,
                definitions: Cow::Borrowed(&[]),
            };
            let _ = sub.graph.set(Ok(migrations.replaced_graph.clone()));
            Replaced::Loaded(std::sync::Arc::new(sub))
        };
        let definitions = migrations
            .definitions
            .iter()
            .map(Definition::from_core)
            .collect::<Vec<_>>();
        let migrator = Migrator {
            replaced,
            definitions: Cow::Owned(definitions),
            expected: crate::startup::Expected::loaded(migrations.revisions.len(), start_up),
            rust: &[],
            revisions: Table::Loaded(migrations.revisions.into()),
            version_table: Cow::Owned(config.version_table.clone()),
            lock_key: None,
            lock_timeout: DEFAULT_LOCK_TIMEOUT,
            mode: TransactionMode::Single,
            graph: OnceLock::new(),
        };
        let _ = migrator.graph.set(Ok(migrations.graph));
        Ok(match config.lock_key {
            Some(key) => migrator.with_lock_key(key),
            None => migrator,
        })
    }

    /// Sets how long to wait for another migrator's lock (default 60 s).
    pub fn with_lock_timeout(mut self, timeout: Duration) -> Migrator {
        self.lock_timeout = timeout;
        self
    }

    /// Sets the PostgreSQL advisory-lock key a run holds (`lock_key` in
    /// `migrate.toml`, which `embed_migrations!` and the CLI read).
    ///
    /// By default the key is derived from the history table's name, so
    /// anyone who can connect to the database can compute it and take the
    /// lock first, stalling every run until the lock timeout. A key of the
    /// deployment's own choosing avoids that (and collisions with other
    /// applications' advisory locks). Every migrator of one database must
    /// use the same key, or they no longer exclude each other. SQLite
    /// ignores it.
    pub fn with_lock_key(mut self, key: i64) -> Migrator {
        self.lock_key = Some(key);
        self
    }

    /// What `embed_migrations!` writes for `lock_key` in `migrate.toml`.
    #[doc(hidden)]
    pub const fn __with_lock_key(mut self, key: i64) -> Migrator {
        self.lock_key = Some(key);
        self
    }

    /// The functions of the table's Rust revisions (written by the macro).
    #[doc(hidden)]
    pub const fn __with_rust(mut self, rust: &'static [crate::rust::RustRevision]) -> Migrator {
        self.rust = rust;
        self
    }

    /// The revisions that the table's checkpoints replace, and which
    /// replaces which (written by the macro).
    #[doc(hidden)]
    pub const fn __with_replaced(
        mut self,
        migrator: &'static Migrator,
        checkpoints: &'static [(&'static str, &'static [&'static str])],
    ) -> Migrator {
        // A `const fn` cannot drop what it overwrites; the macro calls this
        // on a fresh table, whose value holds nothing to free.
        std::mem::forget(std::mem::replace(
            &mut self.replaced,
            Replaced::Static {
                migrator,
                checkpoints,
            },
        ));
        self
    }

    /// Each checkpoint of the table with the ids it replaces, in the order
    /// they apply.
    pub(crate) fn checkpoints(&self) -> Vec<(&str, Vec<&str>)> {
        match (&self.replaced, &self.revisions) {
            (Replaced::None, _) => Vec::new(),
            (Replaced::Static { checkpoints, .. }, _) => {
                checkpoints.iter().map(|(c, r)| (*c, r.to_vec())).collect()
            }
            (Replaced::Loaded(_), Table::Loaded(revisions)) => revisions
                .iter()
                .filter(|r| !r.header.replaces.is_empty())
                .map(|r| {
                    let ids = r.header.replaces.iter().map(String::as_str).collect();
                    (r.id(), ids)
                })
                .collect(),
            (Replaced::Loaded(_), _) => Vec::new(),
        }
    }

    /// The revisions that the table's checkpoints (`replaces:`) replace and
    /// that it still holds (none once their files are pruned), which a
    /// database that applied some of them runs on its way to the
    /// checkpoint; `None` when the table has no checkpoint.
    pub fn replaced_revisions(&self) -> Option<Revisions<'_>> {
        match &self.replaced {
            Replaced::None => None,
            Replaced::Static { migrator, .. } => Some(migrator.revisions()),
            Replaced::Loaded(m) => Some(m.revisions()),
        }
    }

    /// A migrator over the replaced revisions with this one's settings,
    /// which runs them on the way to their checkpoint.
    fn replaced_runner(&self) -> Option<Migrator> {
        let sub = match &self.replaced {
            Replaced::None => return None,
            Replaced::Static { migrator, .. } => *migrator,
            Replaced::Loaded(m) => m,
        };
        Some(Migrator {
            revisions: sub.revisions.clone(),
            version_table: self.version_table.clone(),
            lock_key: self.lock_key,
            lock_timeout: self.lock_timeout,
            mode: self.mode,
            graph: sub.graph.clone(),
            expected: sub.expected.fresh(),
            rust: self.rust,
            replaced: Replaced::None,
            definitions: Cow::Borrowed(&[]),
        })
    }

    /// Revision `rev`'s Rust function in `direction`: `Ok(None)` for an
    /// SQL revision; an error for a Rust revision this migrator cannot run
    /// (loaded from a directory at run time: the `migrate` CLI).
    pub(crate) fn rust_step(
        &self,
        rev: RevisionRef<'_>,
        direction: Direction,
    ) -> Result<Option<crate::rust::Step>> {
        if !rev.is_rust() {
            return Ok(None);
        }
        let Some(functions) = self.rust.iter().find(|r| r.id == rev.id()) else {
            return Err(Error::RustNotBuiltIn {
                revision: rev.id().to_owned(),
                path: rev.path().to_owned(),
            });
        };
        Ok(match direction {
            Direction::Upgrade => Some(functions.upgrade),
            Direction::Downgrade => functions.downgrade,
        })
    }

    /// The PostgreSQL advisory-lock key a run holds: the configured one,
    /// or the one derived from the history table's name.
    pub fn lock_key(&self) -> i64 {
        self.lock_key
            .unwrap_or_else(|| crate::backend::lock_key(&self.version_table))
    }

    /// Sets how revisions are grouped into transactions.
    pub fn with_transaction_mode(mut self, mode: TransactionMode) -> Migrator {
        self.mode = mode;
        self
    }

    /// Uses another history table (a plain or `schema.table` name).
    ///
    /// Returns `None` when the name is not a plain identifier: it is quoted,
    /// never pasted into SQL as given.
    pub fn with_version_table(mut self, table: &str) -> Option<Migrator> {
        if !migrate_core::is_table_name(table) {
            return None;
        }
        self.version_table = Cow::Owned(table.to_owned());
        Some(self)
    }

    /// How revisions are grouped into transactions.
    pub fn transaction_mode(&self) -> TransactionMode {
        self.mode
    }

    /// How long a run waits for another migrator's lock.
    pub fn lock_timeout(&self) -> Duration {
        self.lock_timeout
    }

    /// The head revisions of the table.
    ///
    /// Read from the heads the macro (or the loader) computed with the
    /// table, as start-up at head does: no graph is built.
    pub fn heads(&self) -> Result<Vec<&str>> {
        if self.start_up_known() {
            return Ok(self.expected.heads().iter().collect());
        }
        self.heads_from_graph()
    }

    /// [`heads`](Migrator::heads) from the revision graph.
    #[doc(hidden)]
    pub fn heads_from_graph(&self) -> Result<Vec<&str>> {
        Ok(self.ids(self.graph()?.heads()))
    }

    /// Do the start-up texts describe the table? A table built by hand
    /// (`__from_table`) comes without them; every table has a head.
    fn start_up_known(&self) -> bool {
        self.expected.len() == 0 || !self.expected.heads().is_empty()
    }

    /// The revisions, in file-name order: the embedded table, or the
    /// directory [`from_directory`](Migrator::from_directory) loaded.
    pub fn revisions(&self) -> Revisions<'_> {
        self.revisions.revisions()
    }

    /// The history table's name.
    pub fn version_table(&self) -> &str {
        &self.version_table
    }

    /// The revision graph (built once, on first use).
    pub fn graph(&self) -> Result<&RevisionGraph> {
        let graph = self.graph.get_or_init(|| {
            let names = std::sync::Arc::new(self.revisions.clone());
            RevisionGraph::build_named(self.revisions().iter().map(RevisionRef::graph_links), names)
                .map_err(|errors| {
                    migrate_core::Errors::from_vec(errors)
                        .unwrap_or_else(|| unreachable!("errors are never empty"))
                })
        });
        graph.as_ref().map_err(|e| Error::InvalidTable(e.clone()))
    }

    /// A revision by index in the table (the graph's numbering).
    fn revision(&self, i: usize) -> RevisionRef<'_> {
        self.revisions().at(i)
    }

    fn ids(&self, steps: &[usize]) -> Vec<&str> {
        steps.iter().map(|&i| self.revision(i).id()).collect()
    }

    /// The ids of `steps`, for a report that outlives the migrator.
    fn owned_ids(&self, steps: &[usize]) -> Vec<String> {
        steps
            .iter()
            .map(|&i| self.revision(i).id().to_owned())
            .collect()
    }

    /// Applies every revision the target needs.
    ///
    /// ```no_run
    /// # async fn f(pool: sqlx::PgPool, migrator: &migrate_runtime::Migrator) -> Result<(), migrate_runtime::Error> {
    /// let report = migrator.upgrade(&pool, "head").await?;
    /// println!("applied {:?}", report.revisions);
    /// # Ok(()) }
    /// ```
    pub async fn upgrade<D: Database>(&self, db: &D, target: impl IntoTarget) -> Result<Report> {
        self.run(db, Run::Upgrade(target.into_target()?)).await
    }

    /// Undoes every applied revision after the target, newest first.
    pub async fn downgrade<D: Database>(&self, db: &D, target: impl IntoTarget) -> Result<Report> {
        self.run(db, Run::Downgrade(target.into_target()?)).await
    }

    /// [`upgrade`](Migrator::upgrade), first finishing a `transactional:
    /// false` revision an earlier run left part-way (recorded as `running`
    /// or `failed`): its upgrade goes on at the statement after the last
    /// one recorded as done, then the run goes on to `target` (`migrate
    /// upgrade --resume`). A revision whose file was edited since is
    /// refused, as always.
    ///
    /// The statement after the last one recorded may have run already if
    /// the earlier run was killed between running it and recording it;
    /// resuming runs it again, so write such revisions' statements to be
    /// re-runnable (`IF NOT EXISTS`, `IF EXISTS`).
    pub async fn upgrade_resuming<D: Database>(
        &self,
        db: &D,
        target: impl IntoTarget,
    ) -> Result<Report> {
        self.run_resuming(db, Run::Upgrade(target.into_target()?), true)
            .await
    }

    /// [`downgrade`](Migrator::downgrade), first finishing a `transactional:
    /// false` revision whose downgrade an earlier run left part-way
    /// (`reverting` or `revert_failed`), as
    /// [`upgrade_resuming`](Migrator::upgrade_resuming) does.
    pub async fn downgrade_resuming<D: Database>(
        &self,
        db: &D,
        target: impl IntoTarget,
    ) -> Result<Report> {
        self.run_resuming(db, Run::Downgrade(target.into_target()?), true)
            .await
    }

    /// Runs an explicit plan under the lock (used by the test helpers).
    pub(crate) async fn run_plan<D: Database>(&self, db: &D, plan: &Plan) -> Result<Report> {
        self.run(db, Run::Plan(plan)).await
    }

    /// Takes the lock, reads and checks the history under it, plans, executes.
    async fn run<D: Database>(&self, db: &D, run: Run<'_>) -> Result<Report> {
        self.run_resuming(db, run, false).await
    }

    /// [`run`](Migrator::run), first finishing an interrupted revision of
    /// the run's direction when `resume` says so.
    async fn run_resuming<D: Database>(
        &self,
        db: &D,
        run: Run<'_>,
        resume: bool,
    ) -> Result<Report> {
        let started = Instant::now();
        let mut conn = db.__session().await?;
        // The common start-up case, an up-to-date database, needs neither the
        // lock nor the right to create the history table: one read of the
        // history, compared with the embedded revisions and checksums, shows
        // that every revision of the table is applied and unedited. For
        // `head` and `heads` it needs no graph either (the heads come with
        // the table). Anything else (including any problem) goes the locked
        // way, which reads the whole history.
        if let Run::Upgrade(target) = &run {
            let heads = self.expected.heads();
            if self
                .expected
                .reached_when_all_applied(target, || self.graph())?
                && self.at_head(&mut conn).await
                && self.definitions_current(&mut conn).await
            {
                return Ok(Report {
                    direction: Direction::Upgrade,
                    revisions: Vec::new(),
                    durations: Vec::new(),
                    current: heads.iter().map(str::to_owned).collect(),
                    elapsed: started.elapsed(),
                    definitions: Vec::new(),
                });
            }
        }
        let graph = self.graph()?;
        conn.lock(&self.version_table, self.lock_key(), self.lock_timeout)
            .await?;
        let result = async {
            // Most runs neither resume nor settle checkpoints: they check
            // each history row as it arrives and keep only the verdict.
            let (applied, seq, resumed, finished) =
                if !resume && matches!(self.replaced, Replaced::None) {
                    let create = !matches!(run, Run::Downgrade(_));
                    let (applied, seq) = self.fold_run_history(&mut conn, graph, create).await?;
                    (applied, seq, None, Vec::new())
                } else {
                    out_of_line(self.read_run_history(&mut conn, graph, &run, resume)).await?
                };
            let plan = match &run {
                Run::Upgrade(target) => graph.plan_upgrade(target, &applied)?,
                Run::Downgrade(target) => graph.plan_downgrade(target, &applied)?,
                Run::Plan(plan) => (*plan).clone(),
            };
            // A downgrade first drops what the recorded definitions made,
            // which may depend on what it drops (see `drop_definitions`).
            let mut definitions = Vec::new();
            // Most databases have no definitions: the table's existence is
            // asked as the history table's is, so a plain downgrade does
            // not page in the code that reads and drops them.
            if plan.direction == Direction::Downgrade && !plan.steps.is_empty() {
                let table = definitions::definitions_table(&self.version_table);
                if conn
                    .table_exists(&table, &format!("looking for `{table}`"))
                    .await?
                {
                    definitions = out_of_line(self.drop_definitions(&mut conn)).await?;
                }
            }
            let mut outcome = self.execute(&mut conn, graph, &plan, applied, seq).await?;
            if let Some((i, duration)) = resumed {
                outcome.ran.insert(0, i);
                outcome.durations.insert(0, duration);
            }
            // The definitions follow the revisions once every revision is
            // applied: an upgrade to another target leaves them.
            if plan.direction == Direction::Upgrade
                && !self.definitions.is_empty()
                && outcome.applied.iter().all(|&a| a)
            {
                let at = self.describe(graph, &outcome.applied);
                definitions = out_of_line(self.apply_definitions(&mut conn, &at)).await?;
            }
            Ok((outcome, finished, definitions))
        }
        .await;
        let (result, finished, definitions) = match result {
            Ok((outcome, finished, definitions)) => (Ok(outcome), finished, definitions),
            Err(e) => (Err(e), Vec::new(), Vec::new()),
        };
        let mut report = self.finish(conn, result, started).await?;
        report.definitions = definitions;
        // The replaced revisions run on the way to their checkpoint come
        // first, by their own ids.
        let (ids, durations): (Vec<String>, Vec<Duration>) = finished.into_iter().unzip();
        report.revisions.splice(0..0, ids);
        report.durations.splice(0..0, durations);
        Ok(report)
    }

    /// What a run needs of the history when it neither resumes nor
    /// settles checkpoints: which revisions are applied, and the next
    /// `seq`. Each row is checked as [`check_history`](Self::check_history)
    /// checks it, as it arrives. `create`: the history table is created
    /// when missing (a downgrade of a database that never migrated has
    /// nothing to record, and does not create it).
    async fn fold_run_history<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        create: bool,
    ) -> Result<(Vec<bool>, i64)> {
        if create {
            conn.prepare_history(&self.version_table).await?;
        }
        let mut applied = vec![false; graph.len()];
        let mut last = 0;
        conn.fold_history(&self.version_table, create, &mut |row| {
            last = last.max(row.seq);
            applied[self.check_row(graph, row)?] = true;
            Ok(())
        })
        .await?;
        Ok((applied, last + 1))
    }

    /// The history the long way, for a run that resumes an interrupted
    /// revision or has checkpoints: the rows are read and kept, the
    /// interrupted revision finished, the checkpoints settled, and then the
    /// rows checked. Returns which revisions are applied, the next `seq`,
    /// the resumed revision, and the replaced revisions run.
    #[allow(clippy::type_complexity)] // one caller, which takes it apart
    async fn read_run_history<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        run: &Run<'_>,
        resume: bool,
    ) -> Result<(
        Vec<bool>,
        i64,
        Option<(usize, Duration)>,
        Vec<(String, Duration)>,
    )> {
        // A downgrade of a database that never migrated has nothing to
        // record: it does not create the table.
        let mut rows = if matches!(run, Run::Downgrade(_)) {
            conn.read_history(&self.version_table).await?
        } else {
            conn.ensure_history(&self.version_table).await?
        };
        let mut resumed = None;
        if resume {
            let direction = match run {
                Run::Downgrade(_) => Direction::Downgrade,
                _ => Direction::Upgrade,
            };
            if let Some(i) = self
                .resume_interrupted(conn, graph, &rows, direction)
                .await?
            {
                resumed = Some(i);
                rows = conn.read_history(&self.version_table).await?;
            }
        }
        let (rows, finished) = if matches!(self.replaced, Replaced::None) {
            (rows, Vec::new())
        } else {
            self.settle_checkpoints(conn, run, graph, rows).await?
        };
        let applied = self.check_history(graph, &rows)?;
        Ok((applied, next_seq(&rows), resumed, finished))
    }

    /// Brings the history's rows of revisions that checkpoints replace to
    /// the checkpoints, under the lock, before the run plans. A checkpoint
    /// whose replaced revisions are all recorded gets its own row in their
    /// place (the database is where the checkpoint leaves it). A database
    /// that applied only some of them goes on along them (an upgrade whose
    /// plan passes the checkpoint), then is recorded the same way; a
    /// downgrade refuses, since nothing this build holds reverts part of a
    /// range. Returns the rows after, and the replaced revisions run.
    async fn settle_checkpoints<C: Conn>(
        &self,
        conn: &mut C,
        run: &Run<'_>,
        graph: &RevisionGraph,
        mut rows: Vec<HistoryEntry>,
    ) -> Result<(Vec<HistoryEntry>, Vec<(String, Duration)>)> {
        let checkpoints = self.checkpoints();
        let mut finished = Vec::new();
        for (checkpoint, replaced) in &checkpoints {
            let ids: HashSet<&str> = replaced.iter().copied().collect();
            let present: Vec<String> = rows
                .iter()
                .filter(|r| ids.contains(r.revision.as_str()))
                .map(|r| r.revision.clone())
                .collect();
            if present.is_empty() {
                continue;
            }
            let complete: HashSet<&str> = rows
                .iter()
                .filter(|r| r.is_complete())
                .map(|r| r.revision.as_str())
                .collect();
            let recorded = complete.contains(checkpoint);
            let missing: Vec<&str> = replaced
                .iter()
                .copied()
                .filter(|id| !complete.contains(id))
                .collect();
            if !recorded && !missing.is_empty() {
                let inside = || (present.join(", "), missing.join(", "));
                let plan = match run {
                    Run::Downgrade(_) => {
                        let (applied, missing) = inside();
                        return Err(Error::InsideCheckpointRange {
                            checkpoint: (*checkpoint).to_owned(),
                            applied,
                            missing,
                        });
                    }
                    Run::Upgrade(target) => {
                        graph.plan_upgrade(target, &self.check_history(graph, &rows)?)?
                    }
                    Run::Plan(plan) => (*plan).clone(),
                };
                if !plan.steps.iter().any(|&i| graph.id(i) == *checkpoint) {
                    continue;
                }
                let runner = self.replaced_runner();
                let sub = match &runner {
                    Some(runner) => Some((runner, runner.graph()?)),
                    None => None,
                };
                let Some((runner, sub_graph)) =
                    sub.filter(|(_, g)| replaced.iter().all(|id| g.find(id).is_some()))
                else {
                    let (applied, missing) = inside();
                    return Err(Error::ReplacedRevisionsPruned {
                        checkpoint: (*checkpoint).to_owned(),
                        applied,
                        missing,
                    });
                };
                let sub_rows: Vec<HistoryEntry> = rows
                    .iter()
                    .filter(|r| ids.contains(r.revision.as_str()))
                    .cloned()
                    .collect();
                let sub_applied = runner.check_history(sub_graph, &sub_rows)?;
                let last = replaced[replaced.len() - 1];
                let sub_plan =
                    sub_graph.plan_upgrade(&Target::Revision(last.to_owned()), &sub_applied)?;
                let outcome = runner
                    .execute(conn, sub_graph, &sub_plan, sub_applied, next_seq(&rows))
                    .await?;
                finished.extend(
                    outcome
                        .ran
                        .iter()
                        .map(|&i| runner.revision(i).id().to_owned())
                        .zip(outcome.durations),
                );
                rows = conn.read_history(&self.version_table).await?;
            }
            let Some(i) = graph.find(checkpoint) else {
                continue;
            };
            let removed: Vec<&str> = rows
                .iter()
                .filter(|r| ids.contains(r.revision.as_str()))
                .map(|r| r.revision.as_str())
                .collect();
            conn.begin().await?;
            conn.delete_rows(&self.version_table, &removed).await?;
            if !recorded {
                // In the place of the last replaced revision.
                let seq = rows
                    .iter()
                    .filter(|r| ids.contains(r.revision.as_str()))
                    .map(|r| r.seq)
                    .max()
                    .unwrap_or_else(|| next_seq(&rows));
                let rev = self.revision(i);
                let row = self.row(rev, "applied", rev.upgrade().len() as i64, 0, seq);
                conn.insert_row(&self.version_table, &row).await?;
            }
            conn.commit().await?;
            rows = conn.read_history(&self.version_table).await?;
        }
        Ok((rows, finished))
    }

    /// The rows as the graph sees them: those of revisions that checkpoints
    /// replace left out, and for each checkpoint whose replaced revisions
    /// are all recorded (and not the checkpoint itself), a row of the
    /// checkpoint in their place, as an upgrade would record it.
    fn graph_rows<'r>(&self, rows: &'r [HistoryEntry]) -> std::borrow::Cow<'r, [HistoryEntry]> {
        let checkpoints = self.checkpoints();
        if checkpoints.is_empty() {
            return std::borrow::Cow::Borrowed(rows);
        }
        let replaced: HashSet<&str> = checkpoints
            .iter()
            .flat_map(|(_, ids)| ids.iter().copied())
            .collect();
        if !rows.iter().any(|r| replaced.contains(r.revision.as_str())) {
            return std::borrow::Cow::Borrowed(rows);
        }
        let complete: HashSet<&str> = rows
            .iter()
            .filter(|r| r.is_complete())
            .map(|r| r.revision.as_str())
            .collect();
        let mut kept: Vec<HistoryEntry> = rows
            .iter()
            .filter(|r| !replaced.contains(r.revision.as_str()))
            .cloned()
            .collect();
        for (checkpoint, ids) in &checkpoints {
            let reached = ids.iter().all(|id| complete.contains(id));
            if reached && !rows.iter().any(|r| r.revision == *checkpoint) {
                let last = rows
                    .iter()
                    .filter(|r| ids.contains(&r.revision.as_str()))
                    .max_by_key(|r| r.seq);
                let checksum = self
                    .graph()
                    .ok()
                    .and_then(|g| g.find(checkpoint))
                    .map(|i| self.revision(i).checksum().to_owned());
                if let (Some(last), Some(checksum)) = (last, checksum) {
                    kept.push(HistoryEntry {
                        revision: (*checkpoint).to_owned(),
                        checksum,
                        ..last.clone()
                    });
                }
            }
        }
        std::borrow::Cow::Owned(kept)
    }

    /// Releases the lock on every path. An open transaction at this point
    /// belongs to a failed step and is rolled back; an error of the run wins
    /// over an error while unlocking.
    async fn finish<C: Conn>(
        &self,
        conn: C,
        result: Result<Outcome>,
        started: Instant,
    ) -> Result<Report> {
        let outcome = release(conn, result).await?;
        let graph = self.graph()?;
        Ok(Report {
            direction: outcome.direction,
            revisions: self.owned_ids(&outcome.ran),
            durations: outcome.durations,
            current: self.owned_ids(&graph.current_heads(&outcome.applied)),
            elapsed: started.elapsed(),
            definitions: Vec::new(),
        })
    }

    /// Maps history rows onto the graph and refuses to go on when the
    /// database knows a revision this table does not, a non-transactional
    /// revision was interrupted, or an applied revision's SQL was edited.
    fn check_history(&self, graph: &RevisionGraph, rows: &[HistoryEntry]) -> Result<Vec<bool>> {
        let mut applied = vec![false; graph.len()];
        for row in self.graph_rows(rows).iter() {
            applied[self.check_row(graph, row.view())?] = true;
        }
        Ok(applied)
    }

    /// One row of [`check_history`](Self::check_history): the revision's
    /// node, or why the run may not go on.
    fn check_row(&self, graph: &RevisionGraph, row: history::RowView<'_>) -> Result<usize> {
        let Some(i) = graph.find(row.revision) else {
            return Err(Error::UnknownAppliedRevision {
                revision: row.revision.to_owned(),
            });
        };
        let rev = self.revision(i);
        if !row.is_complete() {
            // A downgrade's progress counts its own section's statements.
            let (section, total) = if row.is_reverting() {
                ("downgrade", rev.downgrade().map_or(0, |d| d.len()))
            } else {
                ("upgrade", rev.upgrade().len())
            };
            return Err(Error::PartiallyApplied {
                revision: row.revision.to_owned(),
                path: rev.path().to_owned(),
                done: row.statements_done,
                total,
                section,
                state: row.state.to_owned(),
            });
        }
        unedited(row, rev)?;
        Ok(i)
    }

    fn row<'a>(
        &self,
        rev: RevisionRef<'a>,
        state: &'static str,
        done: i64,
        duration_ms: i64,
        seq: i64,
    ) -> NewRow<'a> {
        NewRow {
            revision: rev.id(),
            checksum: rev.checksum(),
            duration_ms,
            state,
            statements_done: done,
            seq,
            message: rev.message(),
            downgrade_sql: rev.downgrade().filter(|_| !rev.is_rust()).map(|d| d.sql()),
            downgrade_kind: match (rev.downgrade(), rev.is_transactional()) {
                (None, _) => history::DOWNGRADE_IRREVERSIBLE,
                (Some(_), _) if rev.is_rust() => history::DOWNGRADE_RUST,
                (Some(_), true) => history::DOWNGRADE_TRANSACTIONAL,
                (Some(_), false) => history::DOWNGRADE_OUTSIDE,
            },
        }
    }

    fn describe(&self, graph: &RevisionGraph, applied: &[bool]) -> String {
        let heads = graph.current_heads(applied);
        if heads.is_empty() {
            "base (no revision applied)".into()
        } else {
            self.ids(&heads).join(", ")
        }
    }

    /// The database's current heads (applied revisions with no applied child).
    pub async fn current<D: Database>(&self, db: &D) -> Result<Vec<&str>> {
        let mut conn = db.__session().await?;
        // A database at head (the common case) answers as start-up at
        // head does: one read, compared with the start-up texts, and the
        // table's heads; no graph.
        if self.at_head(&mut conn).await {
            return Ok(self.expected.heads().iter().collect());
        }
        self.current_in(&mut conn).await
    }

    /// [`current`](Migrator::current) the long way: the whole history
    /// read and placed on the graph.
    #[doc(hidden)]
    pub async fn current_from_graph<D: Database>(&self, db: &D) -> Result<Vec<&str>> {
        let mut conn = db.__session().await?;
        self.current_in(&mut conn).await
    }

    async fn current_in<C: Conn>(&self, conn: &mut C) -> Result<Vec<&str>> {
        let (graph, applied) = self.applied_in(conn).await?;
        Ok(self.ids(&graph.current_heads(&applied)))
    }

    /// The graph, and which of its revisions the history holds (checksums
    /// not compared).
    async fn applied_in<C: Conn>(&self, conn: &mut C) -> Result<(&RevisionGraph, Vec<bool>)> {
        let graph = self.graph()?;
        if matches!(self.replaced, Replaced::None) {
            // Row by row as they arrive, keeping none (see `fold_history`).
            let mut applied = vec![false; graph.len()];
            conn.fold_history(&self.version_table, false, &mut |row| {
                if let Some(i) = history::applied_node(graph, row)? {
                    applied[i] = true;
                }
                Ok(())
            })
            .await?;
            return Ok((graph, applied));
        }
        let rows = conn.read_history(&self.version_table).await?;
        Ok((graph, self.applied_ignoring_checksums(graph, &rows)?))
    }

    /// Revisions that `upgrade heads` would apply now, in order.
    pub async fn pending<D: Database>(&self, db: &D) -> Result<Vec<&str>> {
        let mut conn = db.__session().await?;
        if self.at_head(&mut conn).await {
            return Ok(Vec::new());
        }
        self.pending_in(&mut conn).await
    }

    /// [`pending`](Migrator::pending) the long way.
    #[doc(hidden)]
    pub async fn pending_from_graph<D: Database>(&self, db: &D) -> Result<Vec<&str>> {
        let mut conn = db.__session().await?;
        self.pending_in(&mut conn).await
    }

    async fn pending_in<C: Conn>(&self, conn: &mut C) -> Result<Vec<&str>> {
        let (graph, applied) = self.applied_in(conn).await?;
        Ok(self.ids(&graph.plan_upgrade(&Target::Heads, &applied)?.steps))
    }

    /// Does the history hold every revision of the table, complete and
    /// unedited (start-up at head's one read)? `false` when it cannot
    /// tell: the caller goes the long way.
    async fn at_head<C: Conn>(&self, conn: &mut C) -> bool {
        self.start_up_known()
            && conn
                .history_matches(&self.version_table, &self.expected)
                .await
    }

    /// Every `revision checksum` pair, joined in id order: what names a
    /// migration set (the test templates' key).
    pub(crate) fn expected_by_id(&self) -> &str {
        self.expected.joined()
    }

    /// How the database's history agrees with this migrator: revisions left
    /// part-way by an earlier run, applied revisions this build does not
    /// contain or whose upgrade SQL was edited since, and what `upgrade
    /// heads` would apply. A database at head answers with start-up at
    /// head's one read. Reads only; takes no lock.
    ///
    /// ```no_run
    /// # async fn f(migrator: &migrate_runtime::Migrator, pool: &sqlx::SqlitePool) -> migrate_runtime::Result<()> {
    /// let v = migrator.verify(pool).await?;
    /// if !v.is_clean() {
    ///     for problem in v.problems() {
    ///         eprintln!("{problem}");
    ///     }
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn verify<D: Database>(&self, db: &D) -> Result<Verification> {
        let mut conn = db.__session().await?;
        let definitions = self.pending_definitions(&mut conn).await?;
        if self.at_head(&mut conn).await {
            return Ok(Verification {
                current: self.expected.heads().iter().map(str::to_owned).collect(),
                definitions,
                ..Verification::default()
            });
        }
        let graph = self.graph()?;
        // Its interrupted rows are shown, with when they ran.
        let rows = conn.read_history_with_times(&self.version_table).await?;
        let mut v = Verification {
            definitions,
            ..Verification::default()
        };
        let mut applied = vec![false; graph.len()];
        for row in self.graph_rows(&rows).iter().cloned() {
            if !row.is_complete() {
                v.interrupted.push(row);
                continue;
            }
            let Some(i) = graph.find(&row.revision) else {
                v.unknown.push(row.revision);
                continue;
            };
            if row.is_edited(self.revision(i)) {
                v.edited.push(row.revision.clone());
            }
            applied[i] = true;
        }
        v.pending = self.owned_ids(&graph.plan_upgrade(&Target::Heads, &applied)?.steps);
        v.current = self.owned_ids(&graph.current_heads(&applied));
        Ok(v)
    }

    /// The history table, oldest first.
    pub async fn history<D: Database>(&self, db: &D) -> Result<Vec<HistoryEntry>> {
        let mut conn = db.__session().await?;
        conn.read_history_with_times(&self.version_table).await
    }

    /// Records the targets as applied without running SQL (and removes what
    /// comes after them). With `purge`, the history is emptied first, which
    /// also clears revisions this table does not know.
    pub async fn stamp<D: Database>(
        &self,
        db: &D,
        targets: &[&str],
        purge: bool,
    ) -> Result<StampReport> {
        let targets = parse_targets(targets)?;
        let graph = self.graph()?;
        let mut conn = self.locked_session(db).await?;
        let result = async {
            let rows = conn.ensure_history(&self.version_table).await?;
            let mut applied = if purge {
                vec![false; graph.len()]
            } else {
                self.applied_ignoring_checksums(graph, &rows)?
            };
            let plan = graph.plan_stamp(&targets, &applied, purge)?;
            conn.begin().await?;
            let mut seq = next_seq(&rows);
            // One delete: with `purge` every row; otherwise the interrupted
            // rows, replaced by what the stamp says, and the revisions the
            // stamp removes.
            let mut removed: Vec<&str> = rows
                .iter()
                .filter(|row| purge || !row.is_complete())
                .map(|row| row.revision.as_str())
                .collect();
            for &i in &plan.remove {
                removed.push(graph.id(i));
                applied[i] = false;
            }
            if !removed.is_empty() {
                conn.delete_rows(&self.version_table, &removed).await?;
            }
            for &i in &plan.add {
                let rev = self.revision(i);
                conn.insert_row(
                    &self.version_table,
                    &self.row(rev, "stamped", rev.upgrade().len() as i64, 0, seq),
                )
                .await?;
                seq += 1;
                applied[i] = true;
            }
            conn.commit().await?;
            Ok(StampReport {
                added: self.owned_ids(&plan.add),
                removed: self.owned_ids(&plan.remove),
                current: self.owned_ids(&graph.current_heads(&applied)),
            })
        }
        .await;
        release(conn, result).await
    }

    /// Records an intended edit of applied revisions: each target's
    /// history row gets the checksum of the SQL this migrator holds, so
    /// that the edit is no longer reported as drift. Nothing else changes
    /// and no SQL of the revisions runs; a target that is not applied is
    /// an error ([`Error::NotApplied`]) and the history is left as it was.
    ///
    /// ```no_run
    /// # async fn f(pool: sqlx::PgPool, migrator: &migrate_runtime::Migrator) -> Result<(), migrate_runtime::Error> {
    /// let report = migrator.accept_checksums(&pool, &["ae1027a6acf"]).await?;
    /// for (revision, before, now) in &report.accepted {
    ///     println!("{revision}: {before} -> {now}");
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn accept_checksums<D: Database>(
        &self,
        db: &D,
        targets: &[&str],
    ) -> Result<AcceptReport> {
        let targets = parse_targets(targets)?;
        let graph = self.graph()?;
        let mut conn = self.locked_session(db).await?;
        let result = async {
            let rows = conn.read_history(&self.version_table).await?;
            let applied = self.applied_ignoring_checksums(graph, &rows)?;
            let mut revisions = Vec::new();
            for target in &targets {
                for i in graph.resolve(target, &applied)? {
                    if !revisions.contains(&i) {
                        revisions.push(i);
                    }
                }
            }
            let mut report = AcceptReport {
                accepted: Vec::new(),
                unchanged: Vec::new(),
            };
            let mut changes = Vec::new();
            for &i in &revisions {
                let rev = self.revision(i);
                let row = rows.iter().find(|r| r.revision == rev.id());
                let Some(row) = row.filter(|r| r.is_complete()) else {
                    return Err(Error::NotApplied {
                        revision: rev.id().to_owned(),
                        table: self.version_table.to_string(),
                        state: row.map_or_else(
                            || "no row for it".to_owned(),
                            |r| format!("it as `{}`", r.state),
                        ),
                    });
                };
                if row.checksum == rev.checksum() {
                    report.unchanged.push(rev.id().to_owned());
                } else {
                    changes.push((rev, row.checksum.clone()));
                }
            }
            conn.begin().await?;
            for (rev, before) in changes {
                conn.set_checksum(&self.version_table, rev.id(), rev.checksum())
                    .await?;
                report
                    .accepted
                    .push((rev.id().to_owned(), before, rev.checksum().to_owned()));
            }
            conn.commit().await?;
            Ok(report)
        }
        .await;
        release(conn, result).await
    }

    fn applied_ignoring_checksums(
        &self,
        graph: &RevisionGraph,
        rows: &[HistoryEntry],
    ) -> Result<Vec<bool>> {
        history::applied_revisions(graph, &self.graph_rows(rows))
    }

    /// Reads the user schema as sorted lines, for round-trip comparisons.
    pub(crate) async fn schema<D: Database>(&self, db: &D) -> Result<Vec<String>> {
        let mut conn = db.__session().await?;
        conn.schema_fingerprint(&self.version_table).await
    }
}

/// What [`Migrator::verify`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Verification {
    /// History rows an earlier run left part-way (neither applied nor
    /// stamped), oldest first.
    pub interrupted: Vec<HistoryEntry>,
    /// Applied revisions this build does not contain.
    pub unknown: Vec<String>,
    /// Applied revisions whose upgrade SQL was edited after they ran.
    pub edited: Vec<String>,
    /// What `upgrade heads` would apply, in order.
    pub pending: Vec<String>,
    /// The database's heads.
    pub current: Vec<String>,
    /// Repeatable definitions (paths under `definitions/`) that are new or
    /// changed since they were applied: the next upgrade to head applies
    /// them.
    pub definitions: Vec<String>,
}

impl Verification {
    /// Nothing interrupted, unknown, edited or pending (revisions or
    /// definitions).
    pub fn is_clean(&self) -> bool {
        self.interrupted.is_empty()
            && self.unknown.is_empty()
            && self.edited.is_empty()
            && self.pending.is_empty()
            && self.definitions.is_empty()
    }

    /// One short line per kind of problem, naming the revisions.
    pub fn problems(&self) -> Vec<String> {
        let mut out = Vec::new();
        for row in &self.interrupted {
            out.push(format!(
                "revision {} was left part-way by an earlier run (`{}`, {} statements done); resume it with `upgrade --resume` or `downgrade --resume`, or finish it by hand and stamp",
                row.revision, row.state, row.statements_done
            ));
        }
        if !self.unknown.is_empty() {
            out.push(format!(
                "applied but not in this build: {}; run a build that includes them",
                self.unknown.join(", ")
            ));
        }
        if !self.edited.is_empty() {
            out.push(format!(
                "edited after they were applied: {}; restore the applied SQL, or accept the edit with `stamp --accept-checksum`",
                self.edited.join(", ")
            ));
        }
        if !self.pending.is_empty() {
            out.push(format!(
                "{} revision(s) pending: {}; run `upgrade heads`",
                self.pending.len(),
                self.pending.join(", ")
            ));
        }
        if !self.definitions.is_empty() {
            out.push(format!(
                "{} definition(s) new or changed since applied: {}; run `upgrade head`",
                self.definitions.len(),
                self.definitions.join(", ")
            ));
        }
        out
    }
}

/// What a locked run does.
enum Run<'a> {
    Upgrade(Target),
    Downgrade(Target),
    Plan(&'a Plan),
}

impl Migrator {
    /// A session holding the migration lock.
    async fn locked_session<D: Database>(&self, db: &D) -> Result<D::Session> {
        let mut conn = db.__session().await?;
        conn.lock(&self.version_table, self.lock_key(), self.lock_timeout)
            .await?;
        Ok(conn)
    }
}

/// Ends a locked session's work: on success releases the lock (an error
/// doing so is the result); on failure rolls back what is open and releases
/// the lock, the work's error winning.
async fn release<C: Conn, T>(mut conn: C, result: Result<T>) -> Result<T> {
    match result {
        Ok(value) => {
            conn.unlock().await?;
            Ok(value)
        }
        Err(e) => {
            let _ = conn.rollback().await;
            let _ = conn.unlock().await;
            Err(e)
        }
    }
}

fn parse_targets(targets: &[&str]) -> Result<Vec<Target>> {
    Ok(targets
        .iter()
        .map(|t| Target::parse(t))
        .collect::<Result<_, _>>()?)
}

/// Refuses a row whose revision's upgrade SQL was edited since it was
/// recorded (checksum drift), whichever checksum version the row holds.
fn unedited(row: history::RowView<'_>, rev: RevisionRef<'_>) -> Result<()> {
    if row.is_edited(rev) {
        return Err(Error::ChecksumMismatch {
            revision: row.revision.to_owned(),
            path: rev.path().to_owned(),
            stored: row.checksum.to_owned(),
            expected: rev.checksum().to_owned(),
        });
    }
    Ok(())
}

fn next_seq(rows: &[HistoryEntry]) -> i64 {
    rows.iter().map(|r| r.seq).max().unwrap_or(0) + 1
}

#[cfg(test)]
mod tests;

/// A future behind a pointer and a virtual call, so that its code is not
/// inlined into its caller's. A run's async code is one state machine per
/// call unless split: the parts that most runs never execute (resuming,
/// checkpoints, definitions, the revision-by-revision way) would otherwise
/// sit between the parts they do, and a process pages in code by the
/// page, not by the function.
pub(crate) fn out_of_line<'a, T>(
    future: impl Future<Output = T> + Send + 'a,
) -> Pin<Box<dyn Future<Output = T> + Send + 'a>> {
    Box::pin(future)
}
