//! Reverting revisions this migrator was not built with, from the
//! downgrade each history row keeps (`downgrade --from-history`): what an
//! application rolled back to an older binary needs to bring the database
//! back to what it knows.

use std::time::Instant;

use super::{Migrator, Report};
use crate::backend::{Conn, Database, script};
use crate::error::{Error, Result};
use crate::history::{self, HistoryEntry};

/// A row of a revision this migrator does not know, with what the history
/// keeps of its downgrade.
struct Stored {
    revision: String,
    sql: Option<String>,
    kind: Option<String>,
}

impl Migrator {
    /// Reverts every applied revision this migrator does not contain, newest
    /// first, by running the downgrade SQL stored in its history row when it
    /// was applied: after an application is rolled back to an older build,
    /// this brings the database back to revisions the build knows. Only this
    /// method (and `migrate downgrade --from-history`) runs stored SQL; every
    /// other run refuses a database holding revisions it does not know.
    ///
    /// It refuses, before changing anything, a revision without a downgrade
    /// section, one whose row was written without its downgrade (by an
    /// earlier version or an offline script) and one interrupted part-way.
    /// A failing statement rolls its revision back (a `transactional:
    /// false` one is recorded as `revert_failed`, as any downgrade); the
    /// revisions reverted before it stay reverted.
    ///
    /// ```no_run
    /// # async fn f(pool: sqlx::PgPool, migrator: &migrate_runtime::Migrator) -> Result<(), migrate_runtime::Error> {
    /// let report = migrator.downgrade_from_history(&pool).await?;
    /// println!("reverted {:?}; now at {:?}", report.revisions, report.current);
    /// # Ok(()) }
    /// ```
    pub async fn downgrade_from_history<D: Database>(&self, db: &D) -> Result<Report> {
        let started = Instant::now();
        let mut conn = self.locked_session(db).await?;
        let result = self.revert_stored(&mut conn).await;
        let (ran, current) = super::release(conn, result).await?;
        Ok(Report {
            direction: migrate_core::Direction::Downgrade,
            durations: ran.iter().map(|(_, d)| *d).collect(),
            revisions: ran.into_iter().map(|(id, _)| id).collect(),
            current,
            elapsed: started.elapsed(),
            definitions: Vec::new(),
        })
    }

    /// Under the lock: the unknown revisions' stored downgrades, each run
    /// with its history change. Returns what was reverted, in order, and
    /// the heads the database is at afterwards (those of the rows this
    /// migrator knows, which the run leaves as they were).
    async fn revert_stored<C: Conn>(
        &self,
        conn: &mut C,
    ) -> Result<(Vec<(String, std::time::Duration)>, Vec<String>)> {
        let table: &str = &self.version_table;
        let graph = self.graph()?;
        let rows = conn.read_history(table).await?;
        let known: Vec<HistoryEntry> = rows
            .iter()
            .filter(|r| graph.find(&r.revision).is_some())
            .cloned()
            .collect();
        let applied = self.applied_ignoring_checksums(graph, &known)?;
        let current = self.owned_ids(&graph.current_heads(&applied));
        if known.len() == rows.len() {
            return Ok((Vec::new(), current));
        }
        conn.ensure_downgrade_columns(table).await?;
        let unknown: Vec<Stored> = conn
            .stored_downgrades(table)
            .await?
            .into_iter()
            .filter(|(revision, _, _)| graph.find(revision).is_none())
            .map(|(revision, sql, kind)| Stored {
                revision,
                sql,
                kind,
            })
            .collect();
        // Every refusal comes before anything runs.
        for stored in &unknown {
            let row = rows.iter().find(|r| r.revision == stored.revision);
            if let Some(reason) = refusal(stored, row) {
                return Err(Error::NotRevertible {
                    revision: stored.revision.clone(),
                    table: table.to_owned(),
                    reason,
                });
            }
        }
        let mut ran = Vec::with_capacity(unknown.len());
        for stored in &unknown {
            let started = Instant::now();
            let sql = stored.sql.as_deref().unwrap_or("");
            let statements = migrate_core::sql::split_statements(sql, 1);
            let texts = statements.iter().map(|s| (s.line, &sql[s.start..s.end]));
            let outcome = if stored.kind.as_deref() == Some(history::DOWNGRADE_OUTSIDE) {
                conn.commit().await?;
                self.revert_outside_transaction(conn, stored, texts).await
            } else {
                self.revert_in_transaction(conn, stored, texts).await
            };
            if let Err(e) = outcome {
                return Err(with_done(e, &ran));
            }
            tracing::info!(
                revision = %stored.revision,
                duration_ms = started.elapsed().as_millis() as u64,
                "revision reverted from its stored downgrade"
            );
            ran.push((stored.revision.clone(), started.elapsed()));
        }
        conn.commit().await?;
        Ok((ran, current))
    }

    async fn revert_in_transaction<'s, C: Conn>(
        &self,
        conn: &mut C,
        stored: &Stored,
        statements: impl Iterator<Item = (u32, &'s str)>,
    ) -> Result<()> {
        let table: &str = &self.version_table;
        conn.begin().await?;
        conn.exec(script::SAVEPOINT)
            .await
            .map_err(Error::db("opening a savepoint"))?;
        for (k, (line, sql)) in statements.enumerate() {
            if let Err(source) = conn.exec(sql).await {
                let kept = conn.exec(script::UNDO_SAVEPOINT).await.is_ok();
                let outcome = if kept {
                    conn.commit().await?;
                    "the revision was rolled back and stays applied"
                } else {
                    conn.rollback().await?;
                    "the transaction was rolled back; the revision stays applied"
                };
                return Err(failed(table, stored, k, line, source, outcome.to_owned()));
            }
        }
        conn.delete_row(table, &stored.revision).await?;
        conn.exec(script::RELEASE_SAVEPOINT)
            .await
            .map_err(Error::db("releasing a savepoint"))
    }

    async fn revert_outside_transaction<'s, C: Conn>(
        &self,
        conn: &mut C,
        stored: &Stored,
        statements: impl Iterator<Item = (u32, &'s str)>,
    ) -> Result<()> {
        let table: &str = &self.version_table;
        let started = Instant::now();
        let millis = || i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        conn.enforce_foreign_keys(true).await?;
        conn.update_row(table, &stored.revision, "reverting", 0, 0)
            .await?;
        for (k, (line, sql)) in statements.enumerate() {
            if let Err(source) = conn.exec(sql).await {
                conn.update_row(table, &stored.revision, "revert_failed", k as i64, millis())
                    .await?;
                conn.enforce_foreign_keys(false).await?;
                let outcome = format!(
                    "this revision is not transactional: statements 1 to {k} ran and were not undone, and it is recorded as `revert_failed` in `{table}`. Finish or undo it by hand, then record the outcome with `migrate stamp --purge` and the revisions that remain"
                );
                return Err(failed(table, stored, k, line, source, outcome));
            }
            conn.update_row(table, &stored.revision, "reverting", k as i64 + 1, millis())
                .await?;
        }
        conn.delete_row(table, &stored.revision).await?;
        conn.enforce_foreign_keys(false).await?;
        conn.begin().await
    }
}

/// Why `stored` cannot be reverted from the history, if it cannot.
fn refusal(stored: &Stored, row: Option<&HistoryEntry>) -> Option<String> {
    if let Some(row) = row.filter(|r| !r.is_complete()) {
        return Some(format!(
            "it is recorded as `{}` with {} statements done, interrupted part-way; finish or undo it by hand, then record the outcome with `migrate stamp --purge`",
            row.state, row.statements_done
        ));
    }
    match (stored.kind.as_deref(), &stored.sql) {
        (Some(history::DOWNGRADE_RUST), _) => Some(
            "it is written in Rust, and its downgrade is code that only a build containing it can run; revert it with such a build (`downgrade` without `--from-history`)".to_owned(),
        ),
        (Some(history::DOWNGRADE_IRREVERSIBLE), _) => Some(
            "it has no downgrade section (it is irreversible); undo it by hand, then record the outcome with `migrate stamp --purge`".to_owned(),
        ),
        (Some(history::DOWNGRADE_TRANSACTIONAL | history::DOWNGRADE_OUTSIDE), Some(_)) => None,
        _ => Some(
            "its row does not hold its downgrade (it was written by an earlier version, or by an offline script); run the downgrade with a build that contains the revision".to_owned(),
        ),
    }
}

fn failed(
    table: &str,
    stored: &Stored,
    k: usize,
    line: u32,
    source: sqlx::Error,
    outcome: String,
) -> Error {
    let message = match &source {
        sqlx::Error::Database(d) => d.message().to_owned(),
        other => other.to_string(),
    };
    Error::MigrationFailed {
        revision: stored.revision.clone(),
        path: format!("stored downgrade in `{table}`"),
        line,
        statement: k + 1,
        message,
        outcome,
        source: Box::new(source),
    }
}

/// Adds to a failure what the run reverted before it.
fn with_done(error: Error, ran: &[(String, std::time::Duration)]) -> Error {
    if ran.is_empty() {
        return error;
    }
    let done = ran
        .iter()
        .map(|(id, _)| id.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    match error {
        Error::MigrationFailed {
            revision,
            path,
            line,
            statement,
            message,
            outcome,
            source,
        } => Error::MigrationFailed {
            revision,
            path,
            line,
            statement,
            message,
            outcome: format!("{outcome}; reverted before it in this run: {done}"),
            source,
        },
        other => other,
    }
}
