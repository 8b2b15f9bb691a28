//! Applying a plan: the one-script run, then revision by revision under
//! savepoints, `transactional: false` revisions statement by statement, and
//! the failure paths that name the failing statement and where the database
//! stands.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use migrate_core::{Direction, Plan, RevisionGraph};

use super::{Migrator, TransactionMode, out_of_line};
use crate::backend::script;
use crate::backend::{Conn, is_lock_not_available};
use crate::error::{Error, Result};
use crate::history::{self, NewRow};
use crate::table::{RevisionRef, SectionRef};

/// What `execute` did.
pub(super) struct Outcome {
    pub(super) direction: Direction,
    pub(super) ran: Vec<usize>,
    pub(super) durations: Vec<Duration>,
    pub(super) applied: Vec<bool>,
}

/// About how many statements one piece of the one-script run holds (see
/// `run_script`).
const PIECE: usize = 64;

impl Migrator {
    /// Runs a plan's steps, each atomically with its history row.
    pub(super) async fn execute<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        plan: &Plan,
        applied: Vec<bool>,
        mut seq: i64,
    ) -> Result<Outcome> {
        // A Rust revision this migrator cannot run (a directory loaded at
        // run time) stops the run before anything runs.
        for &i in &plan.steps {
            self.rust_step(self.revision(i), plan.direction)?;
        }
        let mut done = Outcome {
            direction: plan.direction,
            ran: Vec::with_capacity(plan.steps.len()),
            durations: Vec::with_capacity(plan.steps.len()),
            applied,
        };
        // The one-script way first; whatever it did not commit runs
        // revision by revision below.
        let start = self
            .execute_batched(conn, plan, &mut done, &mut seq)
            .await?;
        if start > 0 && start == plan.steps.len() {
            return Ok(done);
        }
        // A run the one script finishes never executes this (see
        // `out_of_line`).
        out_of_line(self.execute_stepwise(conn, graph, plan, done, start, seq)).await
    }

    /// The steps of a plan from `start` on, revision by revision (what the
    /// one script of [`execute_batched`](Migrator::execute_batched) did not
    /// run).
    async fn execute_stepwise<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        plan: &Plan,
        done: Outcome,
        start: usize,
        mut seq: i64,
    ) -> Result<Outcome> {
        let Outcome {
            mut ran,
            mut durations,
            mut applied,
            ..
        } = done;
        let table: &str = &self.version_table;
        // PostgreSQL: the session's lock_timeout, which a revision run with
        // its own puts back after it.
        let restore = if plan
            .steps
            .iter()
            .skip(start)
            .any(|&i| self.revision(i).lock_timeout().is_some())
        {
            conn.lock_timeout_setting().await?
        } else {
            None
        };
        // What is durable: a failure that loses the open transaction falls back to it.
        let mut committed = applied.clone();
        // On SQLite the lock is the transaction: after a non-transactional
        // revision, the next transaction must check nobody else moved the history.
        let mut lock_lost = false;
        // The savepoint a revision runs under is opened by the round trip
        // that records the revision before it (see below).
        let mut savepoint_open = false;
        for (position, &i) in plan.steps.iter().enumerate().skip(start) {
            let rev = self.revision(i);
            let section = rev.section(plan.direction)?;
            let step = self.rust_step(rev, plan.direction)?;
            let started = Instant::now();
            if rev.is_transactional() {
                let guard = restore
                    .as_deref()
                    .and_then(|restore| Guard::of(rev, restore, "SET LOCAL"));
                let mut attempt = 0u32;
                loop {
                    if !conn.in_transaction() {
                        conn.begin().await?;
                        savepoint_open = false;
                        if lock_lost {
                            self.recheck(conn, graph, &applied).await?;
                            lock_lost = false;
                        }
                    }
                    if !std::mem::take(&mut savepoint_open) {
                        conn.exec(script::SAVEPOINT)
                            .await
                            .map_err(Error::db(format!(
                                "opening the savepoint of revision {}",
                                rev.id()
                            )))?;
                    }
                    if let Some(step) = step {
                        let Err(message) = run_rust(conn, step).await else {
                            break;
                        };
                        let outcome = self
                            .undo_failed(
                                conn,
                                graph,
                                (&applied, &committed),
                                "the transaction could not be rolled back to this revision alone, so this run's uncommitted revisions were rolled back too",
                            )
                            .await?;
                        return Err(Error::RustRevisionFailed {
                            revision: rev.id().to_owned(),
                            path: rev.path().to_owned(),
                            section: section_name(plan.direction),
                            message,
                            outcome,
                        });
                    }
                    let failure = match &guard {
                        None => run_batch(conn, section).await.err().map(|e| (e, None)),
                        Some(guard) => guard.run(conn, section).await.err(),
                    };
                    let Some((source, at)) = failure else {
                        break;
                    };
                    let retry = is_lock_not_available(&source) && attempt < rev.lock_retries();
                    if retry && conn.exec(script::UNDO_SAVEPOINT).await.is_ok() {
                        // The revision is undone; the ones before it in this
                        // run are kept, and their locks released while
                        // waiting.
                        conn.commit().await?;
                        committed.clone_from(&applied);
                        lock_lost = conn.lock_is_transaction();
                        attempt += 1;
                        let wait = backoff(rev.lock_timeout(), attempt);
                        tracing::warn!(
                            revision = rev.id(),
                            attempt,
                            of = rev.lock_retries() + 1,
                            wait_ms = wait.as_millis() as u64,
                            error = %db_message(&source),
                            "a lock was not granted in time; the revision was rolled back and is tried again"
                        );
                        tokio::time::sleep(wait).await;
                        continue;
                    }
                    let (statement, line, source, kept) = match at {
                        Some((statement, line)) => {
                            let kept = conn.exec(script::UNDO_SAVEPOINT).await.is_ok();
                            (statement, line, source, kept)
                        }
                        None => self.diagnose(conn, section, source).await,
                    };
                    let outcome = self
                        .settle_failed(
                            conn,
                            kept,
                            graph,
                            (&applied, &committed),
                            "the transaction could not be rolled back to this revision alone, so this run's uncommitted revisions were rolled back too",
                        )
                        .await?;
                    let mut message = db_message(&source);
                    if is_lock_not_available(&source) {
                        let statement_sql = section
                            .statements()
                            .nth(statement - 1)
                            .map_or("", |(_, sql)| sql);
                        message
                            .push_str(&lock_failure(conn, rev, attempt + 1, statement_sql).await);
                    }
                    return Err(Error::MigrationFailed {
                        revision: rev.id().to_owned(),
                        path: rev.path().to_owned(),
                        line,
                        statement,
                        message,
                        outcome,
                        source: Box::new(source),
                    });
                }
                if let Some(violations) = conn.foreign_key_violations().await? {
                    let outcome = self
                        .undo_failed(
                            conn,
                            graph,
                            (&applied, &committed),
                            "this run's uncommitted revisions were rolled back",
                        )
                        .await?;
                    return Err(Error::ForeignKeyViolation {
                        revision: rev.id().to_owned(),
                        path: rev.path().to_owned(),
                        violations,
                        outcome,
                    });
                }
                let duration_ms = millis(started);
                // One round trip records the revision, releases its savepoint
                // and, when the next revision joins this transaction, opens
                // the next savepoint: two round trips per revision in all.
                let record = history::record_literal_sql(
                    conn.dialect(),
                    table,
                    plan.direction,
                    &self.row(rev, "applied", rev.upgrade().len() as i64, duration_ms, seq),
                );
                if plan.direction == Direction::Upgrade {
                    seq += 1;
                }
                // After a revision that adds an enum value, the transaction
                // commits before the next revision can use the value.
                let commit_now = self.mode == TransactionMode::PerRevision
                    || (position + 1 < plan.steps.len()
                        && section.needs_commit_after(conn.dialect()));
                let batch_next = !commit_now
                    && self.mode == TransactionMode::Single
                    && plan
                        .steps
                        .get(position + 1)
                        .is_some_and(|&next| self.revision(next).is_transactional());
                let tail = script::finish_revision(record, batch_next);
                conn.exec(&tail).await.map_err(Error::db(format!(
                    "recording revision {} in `{table}`",
                    rev.id()
                )))?;
                savepoint_open = batch_next;
                if commit_now {
                    // On PostgreSQL the session's advisory lock outlives
                    // the commit; on SQLite the next transaction rechecks.
                    conn.commit().await?;
                    lock_lost = conn.lock_is_transaction();
                }
                tracing::info!(revision = rev.id(), duration_ms, direction = ?plan.direction, "revision done");
            } else {
                conn.commit().await?;
                lock_lost = conn.lock_is_transaction();
                // Outside a transaction the revision's lock timeout is the
                // session's for its statements.
                let guard = restore
                    .as_deref()
                    .and_then(|restore| Guard::of(rev, restore, "SET"));
                if let Some(guard) = &guard {
                    conn.exec(&guard.set)
                        .await
                        .map_err(Error::db("setting the revision's lock_timeout"))?;
                }
                let result = self
                    .run_outside_transaction(
                        conn,
                        graph,
                        rev,
                        section,
                        plan.direction,
                        &applied,
                        seq,
                        None,
                    )
                    .await;
                if let Some(guard) = &guard {
                    let reset = conn.exec(&guard.restore).await;
                    result?;
                    reset.map_err(Error::db("putting the session's lock_timeout back"))?;
                } else {
                    result?;
                }
                if plan.direction == Direction::Upgrade {
                    seq += 1;
                }
            }
            applied[i] = plan.direction == Direction::Upgrade;
            if !conn.in_transaction() {
                committed.clone_from(&applied);
            }
            ran.push(i);
            durations.push(started.elapsed());
        }
        conn.commit().await?;
        Ok(Outcome {
            direction: plan.direction,
            ran,
            durations,
            applied,
        })
    }

    /// Undoes a failed revision's savepoint, then [`settle_failed`](Self::settle_failed).
    async fn undo_failed<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        applied: (&[bool], &[bool]),
        lost: &str,
    ) -> Result<String> {
        let kept = conn.exec(script::UNDO_SAVEPOINT).await.is_ok();
        self.settle_failed(conn, kept, graph, applied, lost).await
    }

    /// Ends a revision that failed inside the run's transaction: when its
    /// savepoint was undone (`kept`), commits the revisions before it and
    /// says the database is at `applied`; otherwise rolls the whole
    /// transaction back and says so (`lost`), at `committed`.
    async fn settle_failed<C: Conn>(
        &self,
        conn: &mut C,
        kept: bool,
        graph: &RevisionGraph,
        (applied, committed): (&[bool], &[bool]),
        lost: &str,
    ) -> Result<String> {
        Ok(if kept {
            // The revisions before this one in the run stay applied.
            conn.commit().await?;
            format!(
                "the revision was rolled back and the database remains at {}",
                self.describe(graph, applied)
            )
        } else {
            match conn.rollback().await {
                Ok(()) => format!(
                    "{lost}; the database remains at {}",
                    self.describe(graph, committed)
                ),
                // The session is gone, and its transaction with it: the
                // server rolled it back.
                Err(Error::Database { source, .. })
                    if crate::error::is_connection_lost(&source) =>
                {
                    format!(
                        "the session ended, so the server rolled back this run's open transaction; the database remains at {}; check that the server is up and run the command again",
                        self.describe(graph, committed)
                    )
                }
                Err(e) => return Err(e),
            }
        })
    }

    /// The fast way: the whole plan, with the history rows, as one script in
    /// one transaction (on PostgreSQL one round trip), which is what raw SQL
    /// costs. It applies when the mode is `Single` and every step is
    /// transactional and reversible in the plan's direction.
    ///
    /// A revision after which the run must commit (one that adds a
    /// PostgreSQL enum value, see `SectionRef::needs_commit_after`)
    /// ends its script: the script's history rows go in and it commits, the
    /// session keeping the lock, and the rest of the plan is the next
    /// script.
    ///
    /// A failure anywhere (on SQLite also a foreign key left pointing
    /// nowhere) rolls the failing script back: the caller then runs the
    /// steps from there revision by revision under savepoints, which keeps
    /// the revisions before the failing one and names the failing statement.
    /// The failure path thus runs the good revisions of that script twice;
    /// the success path runs everything once.
    ///
    /// Returns how many steps of the plan are done (and committed), and adds
    /// them to `done`.
    async fn execute_batched<C: Conn>(
        &self,
        conn: &mut C,
        plan: &Plan,
        done: &mut Outcome,
        seq: &mut i64,
    ) -> Result<usize> {
        if self.mode != TransactionMode::Single || plan.steps.len() < 2 {
            return Ok(0);
        }
        // Each section is looked up again where it is needed rather than
        // kept: a list of them is a peak of a long plan.
        let section = |k: usize| self.script_section(plan.steps[k], plan.direction);
        if (0..plan.steps.len()).any(|k| section(k).is_none()) {
            return Ok(0);
        }
        let dialect = conn.dialect();
        let last = plan.steps.len() - 1;
        let mut start = 0;
        while start <= last {
            let end = (start..last)
                .find(|&k| section(k).is_some_and(|s| s.needs_commit_after(dialect)))
                .map_or(plan.steps.len(), |k| k + 1);
            let steps = &plan.steps[start..end];
            let from = done.durations.len();
            if !self
                .run_script(
                    conn,
                    plan.direction,
                    steps,
                    *seq,
                    end > last,
                    &mut done.durations,
                )
                .await?
            {
                break;
            }
            for (&i, &duration) in steps.iter().zip(&done.durations[from..]) {
                done.applied[i] = plan.direction == Direction::Upgrade;
                tracing::info!(
                    revision = self.revision(i).id(),
                    duration_ms = duration.as_millis() as i64,
                    direction = ?plan.direction,
                    "revision done"
                );
            }
            if plan.direction == Direction::Upgrade {
                *seq += steps.len() as i64;
            }
            done.ran.extend_from_slice(steps);
            start = end;
        }
        Ok(start)
    }

    /// The section of revision `i` that a script of
    /// [`Migrator::execute_batched`] runs in `direction`, or `None` when the
    /// revision cannot go in a script: it has no downgrade, it is not
    /// transactional, it has a lock timeout or retries (each attempt must be
    /// exactly one try of it), or it is written in Rust (code is no script).
    fn script_section(&self, i: usize, direction: Direction) -> Option<SectionRef<'_>> {
        let rev = self.revision(i);
        if !rev.is_transactional()
            || rev.lock_timeout().is_some()
            || rev.lock_retries() > 0
            || rev.is_rust()
        {
            return None;
        }
        match direction {
            Direction::Upgrade => Some(rev.upgrade()),
            Direction::Downgrade => rev.downgrade(),
        }
    }

    /// One script of [`Migrator::execute_batched`]: `steps` with their
    /// history rows in one transaction, committed (`last`: handing the lock
    /// over with the commit, on PostgreSQL; otherwise the session keeps it).
    /// Adds each step's duration to `durations` and returns `true`, or
    /// returns `false` (adding none) when the script was rolled back.
    async fn run_script<C: Conn>(
        &self,
        conn: &mut C,
        direction: Direction,
        steps: &[usize],
        seq: i64,
        last: bool,
        durations: &mut Vec<Duration>,
    ) -> Result<bool> {
        let dialect = conn.dialect();
        let table: &str = &self.version_table;
        if !conn.begin_batch().await? {
            return Ok(false);
        }
        let from = durations.len();
        let section = |k: usize| self.script_section(steps[k], direction);
        // The script reads the clock before the first revision and after
        // each one. It goes in pieces of about `PIECE` statements, each of
        // whole revisions, so that what a run holds at once does not grow
        // with the plan: the script's text, the driver's copy of it, and on
        // SQLite every statement of a script, which the driver keeps
        // prepared until the script ends. The clock answers since 1970, so
        // the pieces' readings line up; each piece's first reading repeats
        // the last one before it.
        let mut before = None;
        let lengths = |k: usize| section(k).map_or(0, |s| s.len());
        for piece in script::pieces(steps.len(), lengths, PIECE) {
            let script = script::timed(conn.clock_sql(), piece.clone().filter_map(section));
            match conn.fetch_i64s(&script).await {
                Ok(got) if got.len() == piece.len() + 1 => {
                    let mut previous = before.unwrap_or(got[0]);
                    for &mark in &got[1..] {
                        durations.push(Duration::from_micros(
                            u64::try_from(mark.saturating_sub(previous)).unwrap_or(0),
                        ));
                        previous = mark;
                    }
                    before = Some(previous);
                }
                outcome => {
                    return self
                        .abandon_batch(conn, outcome.err(), durations, from)
                        .await;
                }
            }
        }
        if durations.len() != from + steps.len() {
            return self.abandon_batch(conn, None, durations, from).await;
        }
        if conn.foreign_key_violations().await?.is_some() {
            return self.abandon_batch(conn, None, durations, from).await;
        }
        // The history in one more round trip of the same transaction,
        // answering with the number of rows written.
        let written = match direction {
            Direction::Upgrade => {
                // The rows of a piece at a time (see `PIECE`).
                let mut written = Ok(0);
                for (k, chunk) in steps.chunks(PIECE).enumerate() {
                    let first = seq + (k * PIECE) as i64;
                    let rows: Vec<NewRow<'_>> = chunk
                        .iter()
                        .zip(&durations[from + k * PIECE..])
                        .zip(first..)
                        .map(|((&i, duration), seq)| {
                            let rev = self.revision(i);
                            self.row(
                                rev,
                                "applied",
                                rev.upgrade().len() as i64,
                                i64::try_from(duration.as_millis()).unwrap_or(i64::MAX),
                                seq,
                            )
                        })
                        .collect();
                    match conn.insert_rows(table, &rows).await {
                        Ok(n) => written = written.map(|w| w + n),
                        Err(e) => {
                            written = Err(e);
                            break;
                        }
                    }
                }
                written
            }
            Direction::Downgrade => {
                let delete = history::delete_many_sql(
                    dialect,
                    table,
                    steps.iter().map(|&i| self.revision(i).id()),
                );
                conn.fetch_i64s(&conn.counted_sql(&delete))
                    .await
                    .map(|count| match count[..] {
                        [n] => u64::try_from(n).unwrap_or(0),
                        _ => 0,
                    })
            }
        };
        match written {
            Ok(n) if n == steps.len() as u64 => {}
            outcome => {
                return self
                    .abandon_batch(conn, outcome.err(), durations, from)
                    .await;
            }
        }
        if last {
            conn.commit_batch().await?;
        } else {
            // Only PostgreSQL ends a script early, and its session lock
            // outlives the commit.
            conn.commit().await?;
        }
        Ok(true)
    }

    /// Rolls back a batch that failed (or did not do what it should) so the
    /// plan can run revision by revision.
    async fn abandon_batch<C: Conn>(
        &self,
        conn: &mut C,
        error: Option<sqlx::Error>,
        durations: &mut Vec<Duration>,
        from: usize,
    ) -> Result<bool> {
        match error {
            Some(e) => {
                tracing::debug!(error = %e, "the one-script run failed; running revision by revision")
            }
            None => tracing::debug!(
                "the one-script run did not record every revision or left a foreign key pointing nowhere; running revision by revision"
            ),
        }
        durations.truncate(from);
        conn.rollback_batch().await?;
        Ok(false)
    }

    /// A `transactional: false` revision: statement by statement in
    /// autocommit, with progress recorded after each so that a failure
    /// part-way is visible and never silently retried.
    #[allow(clippy::too_many_arguments)] // one call site; a struct would only rename these
    async fn run_outside_transaction<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        rev: RevisionRef<'_>,
        section: SectionRef<'_>,
        direction: Direction,
        applied: &[bool],
        seq: i64,
        from: Option<usize>,
    ) -> Result<()> {
        // Outside a transaction SQLite can enforce foreign keys per
        // statement again, so it does.
        conn.enforce_foreign_keys(true).await?;
        let result = self
            .run_statements_outside_transaction(
                conn, graph, rev, section, direction, applied, seq, from,
            )
            .await;
        conn.enforce_foreign_keys(false).await?;
        result
    }

    #[allow(clippy::too_many_arguments)] // the caller's arguments, passed on
    async fn run_statements_outside_transaction<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        rev: RevisionRef<'_>,
        section: SectionRef<'_>,
        direction: Direction,
        applied: &[bool],
        seq: i64,
        from: Option<usize>,
    ) -> Result<()> {
        let table: &str = &self.version_table;
        let started = Instant::now();
        let (running, failed) = match direction {
            Direction::Upgrade => ("running", "failed"),
            Direction::Downgrade => ("reverting", "revert_failed"),
        };
        // A resumed revision's row is there, with `from` statements done.
        let skip = from.unwrap_or(0);
        match (direction, from) {
            (Direction::Upgrade, None) => {
                conn.insert_row(table, &self.row(rev, running, 0, 0, seq))
                    .await?
            }
            _ => {
                conn.update_row(table, rev.id(), running, skip as i64, 0)
                    .await?
            }
        }
        if let Some(step) = self.rust_step(rev, direction)? {
            // Its code, once, in autocommit: a failure part-way is recorded
            // and leaves what the code committed.
            if let Err(message) = run_rust(conn, step).await {
                conn.update_row(table, rev.id(), failed, 0, millis(started))
                    .await?;
                return Err(Error::RustRevisionFailed {
                    revision: rev.id().to_owned(),
                    path: rev.path().to_owned(),
                    section: section_name(direction),
                    message,
                    outcome: format!(
                        "this revision is not transactional: what its code did before failing was not undone, and it is recorded as `{failed}` in `{table}`; before it, the database was at {}. Fix the cause and run it again from the start with `migrate {} --resume` (its code must then cope with its own partial work), or finish or undo it by hand and run `migrate stamp`",
                        self.describe(graph, applied),
                        section_name(direction)
                    ),
                });
            }
        }
        for (k, (line, sql)) in section.statements().enumerate().skip(skip) {
            if let Err(source) = conn.exec(sql).await {
                conn.update_row(table, rev.id(), failed, k as i64, millis(started))
                    .await?;
                return Err(Error::MigrationFailed {
                    revision: rev.id().to_owned(),
                    path: rev.path().to_owned(),
                    line,
                    statement: k + 1,
                    message: db_message(&source),
                    outcome: format!(
                        "this revision is not transactional: statements 1 to {k} ran and were not undone, and it is recorded as `{failed}` in `{table}`; before it, the database was at {}. Fix the cause and continue from statement {} with `migrate {} --resume`, or finish or undo it by hand and run `migrate stamp`",
                        self.describe(graph, applied),
                        k + 1,
                        match direction {
                            Direction::Upgrade => "upgrade",
                            Direction::Downgrade => "downgrade",
                        }
                    ),
                    source: Box::new(source),
                });
            }
            conn.update_row(table, rev.id(), running, k as i64 + 1, millis(started))
                .await?;
        }
        match direction {
            Direction::Upgrade => {
                conn.update_row(
                    table,
                    rev.id(),
                    "applied",
                    section.len() as i64,
                    millis(started),
                )
                .await?
            }
            Direction::Downgrade => conn.delete_row(table, rev.id()).await?,
        }
        tracing::info!(revision = rev.id(), duration_ms = millis(started), direction = ?direction, transactional = false, "revision done");
        Ok(())
    }

    /// Finishes the `transactional: false` revision an earlier run left
    /// part-way in `direction` (`upgrade_resuming`, `downgrade_resuming`):
    /// its section goes on after the statements recorded as done. Returns
    /// the revision and how long it took, or `None` when nothing was
    /// interrupted in that direction. A row interrupted in the other
    /// direction is left for the history check to report.
    pub(super) async fn resume_interrupted<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        rows: &[crate::history::HistoryEntry],
        direction: Direction,
    ) -> Result<Option<(usize, Duration)>> {
        let Some(row) = rows
            .iter()
            .find(|r| !r.is_complete() && r.is_reverting() == (direction == Direction::Downgrade))
        else {
            return Ok(None);
        };
        let Some(i) = graph.find(&row.revision) else {
            return Err(Error::UnknownAppliedRevision {
                revision: row.revision.clone(),
            });
        };
        let rev = self.revision(i);
        super::unedited(row.view(), rev)?;
        let section = rev.section(direction)?;
        let done = usize::try_from(row.statements_done)
            .unwrap_or(0)
            .min(section.len());
        // What the database is at besides the interrupted revision.
        let others: Vec<crate::history::HistoryEntry> = rows
            .iter()
            .filter(|r| r.revision != row.revision)
            .cloned()
            .collect();
        let mut applied = self.applied_ignoring_checksums(graph, &others)?;
        if direction == Direction::Downgrade {
            applied[i] = true;
        }
        tracing::info!(
            revision = rev.id(),
            from_statement = done + 1,
            direction = ?direction,
            "resuming an interrupted revision"
        );
        let started = Instant::now();
        conn.commit().await?;
        self.run_outside_transaction(
            conn,
            graph,
            rev,
            section,
            direction,
            &applied,
            row.seq,
            Some(done),
        )
        .await?;
        Ok(Some((i, started.elapsed())))
    }

    /// After the SQLite lock was released between transactions, checks that
    /// the history is still what this run expects.
    async fn recheck<C: Conn>(
        &self,
        conn: &mut C,
        graph: &RevisionGraph,
        expected: &[bool],
    ) -> Result<()> {
        let rows = conn.read_history(&self.version_table).await?;
        let now: HashSet<&str> = rows.iter().map(|r| r.revision.as_str()).collect();
        let wanted: HashSet<&str> = (0..graph.len())
            .filter(|&i| expected[i])
            .map(|i| graph.id(i))
            .collect();
        if now != wanted {
            let mut heads: Vec<&str> = rows.iter().map(|r| r.revision.as_str()).collect();
            heads.sort_unstable();
            return Err(Error::ConcurrentChange {
                table: self.version_table.to_string(),
                at: heads.join(", "),
            });
        }
        Ok(())
    }

    /// Finds which statement of a failed batch fails on its own (the batch
    /// ran as one round trip), leaving the savepoint rolled back.
    async fn diagnose<C: Conn>(
        &self,
        conn: &mut C,
        section: SectionRef<'_>,
        batch_error: sqlx::Error,
    ) -> (usize, u32, sqlx::Error, bool) {
        let first_line = section
            .statements()
            .next()
            .map_or(section.first_line(), |(l, _)| l);
        if conn.exec(script::ROLLBACK_TO_SAVEPOINT).await.is_err() {
            return (1, first_line, batch_error, false);
        }
        let mut found = None;
        for (k, (line, sql)) in section.statements().enumerate() {
            if let Err(e) = conn.exec(sql).await {
                found = Some((k + 1, line, e));
                break;
            }
        }
        let kept = conn.exec(script::ROLLBACK_TO_SAVEPOINT).await.is_ok()
            && conn.exec(script::RELEASE_SAVEPOINT).await.is_ok();
        let (statement, line, error) = found.unwrap_or((1, first_line, batch_error));
        (statement, line, error, kept)
    }
}

/// Runs a whole section in one round trip, inside the revision's savepoint.
///
/// The savepoint is opened by an earlier round trip: PostgreSQL parses a
/// whole multi-statement string before running any of it, so a syntax error
/// anywhere in the section would otherwise also skip the savepoint, and the
/// rollback to it would fail.
/// `upgrade` or `downgrade`.
fn section_name(direction: Direction) -> &'static str {
    match direction {
        Direction::Upgrade => "upgrade",
        Direction::Downgrade => "downgrade",
    }
}

/// Runs a Rust revision's function on the run's connection, as it stands
/// (inside the revision's savepoint, or in autocommit).
async fn run_rust<C: Conn>(conn: &mut C, step: crate::rust::Step) -> Result<(), String> {
    use crate::backend::SqlConn;
    use crate::rust::Db;
    let mut db = match conn.sql_conn() {
        #[cfg(feature = "postgres")]
        SqlConn::Postgres(c) => Db::Postgres(c),
        #[cfg(feature = "sqlite")]
        SqlConn::Sqlite(c) => Db::Sqlite(c),
    };
    crate::rust::run(step, &mut db).await
}

async fn run_batch<C: Conn>(conn: &mut C, section: SectionRef<'_>) -> Result<(), sqlx::Error> {
    if section.is_empty() {
        return Ok(());
    }
    conn.exec(&script::section(section)).await
}

/// A revision's own `lock_timeout` (PostgreSQL): set for its statements
/// alone, the session's value put back after them.
struct Guard {
    set: String,
    restore: String,
}

impl Guard {
    /// For `rev`, when it has a lock timeout; `restore` is the session's
    /// value as `SHOW` prints it; `set` is `SET LOCAL` (a revision in a
    /// transaction) or `SET` (a `transactional: false` one).
    fn of(rev: RevisionRef<'_>, restore: &str, set: &str) -> Option<Guard> {
        let timeout = rev.lock_timeout()?;
        Some(Guard {
            set: format!("{set} lock_timeout = '{}ms'", timeout.as_millis()),
            restore: format!(
                "{set} lock_timeout = {}",
                crate::history::literal(migrate_core::Dialect::Postgres, restore)
            ),
        })
    }

    /// Runs the section statement by statement under the timeout, so that
    /// a failure names its statement without running any again: the error
    /// with the statement's number and line.
    async fn run<C: Conn>(
        &self,
        conn: &mut C,
        section: SectionRef<'_>,
    ) -> Result<(), (sqlx::Error, Option<(usize, u32)>)> {
        conn.exec(&self.set).await.map_err(|e| (e, None))?;
        for (k, (line, sql)) in section.statements().enumerate() {
            conn.exec(sql).await.map_err(|e| (e, Some((k + 1, line))))?;
        }
        conn.exec(&self.restore).await.map_err(|e| (e, None))
    }
}

/// The wait before attempt `attempt + 1` of a revision whose lock was not
/// granted in time: its lock timeout (one second without one), doubled
/// after each attempt, at most 30 seconds.
fn backoff(lock_timeout: Option<Duration>, attempt: u32) -> Duration {
    let base = lock_timeout.unwrap_or(Duration::from_secs(1));
    base.saturating_mul(1 << attempt.saturating_sub(1).min(16))
        .min(Duration::from_secs(30))
}

/// What the error of a revision that never got its lock adds to the
/// database's message: the attempts, and who holds locks on the tables the
/// statement names.
async fn lock_failure<C: Conn>(
    conn: &mut C,
    rev: RevisionRef<'_>,
    attempts: u32,
    statement: &str,
) -> String {
    let timeout = rev
        .lock_timeout()
        .map(|t| format!("lock_timeout {} ms, ", t.as_millis()))
        .unwrap_or_default();
    let tries = if attempts == 1 {
        "1 attempt".to_owned()
    } else {
        format!("{attempts} attempts")
    };
    let holders = conn.lock_holders(&relation_names(statement)).await;
    let holders = if holders.is_empty() {
        "no other session holds a lock on the tables it names now".to_owned()
    } else {
        holders
    };
    let advice = if rev.lock_retries() == 0 {
        "; run again when that session is done, or give the revision `-- lock_retries: 5` to wait for it"
    } else {
        "; run again when that session is done (or end it with pg_terminate_backend)"
    };
    format!(" ({timeout}{tries}): {holders}{advice}")
}

/// The names a statement may lock tables by: its words, folded to lower
/// case, and its double-quoted identifiers as written. Over-inclusive on
/// purpose: the holders are then filtered by the tables that exist.
fn relation_names(statement: &str) -> Vec<String> {
    let mut names = Vec::new();
    let mut chars = statement.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '"' {
            let mut name = String::new();
            while let Some((_, c)) = chars.next() {
                if c == '"' {
                    if chars.peek().is_some_and(|&(_, c)| c == '"') {
                        chars.next();
                        name.push('"');
                        continue;
                    }
                    break;
                }
                name.push(c);
            }
            names.push(name);
        } else if c.is_alphabetic() || c == '_' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, c)) = chars.peek() {
                if c.is_alphanumeric() || c == '_' || c == '$' {
                    end = j + c.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            names.push(statement[i..end].to_lowercase());
        }
    }
    names.sort_unstable();
    names.dedup();
    names
}

fn millis(started: Instant) -> i64 {
    i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// The database's own message, without sqlx's prefix, and what it says
/// about the server's side (a lost connection, a timeout set on the role).
fn db_message(e: &sqlx::Error) -> String {
    db_message_of(e)
}

/// [`db_message`], for the definitions' errors.
pub(super) fn db_message_of(e: &sqlx::Error) -> String {
    let message = match e {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => other.to_string(),
    };
    message + &crate::error::server_hint_before_outcome(e)
}
