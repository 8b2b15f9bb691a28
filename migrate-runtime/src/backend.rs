//! One implementation per database: locking, the history table, execution.

use std::collections::HashMap;
use std::future::Future;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use crate::error::{Error, Result};

/// A row of the history table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    /// The revision id.
    pub revision: String,
    /// Checksum of its upgrade SQL when it was applied (or stamped).
    pub checksum: String,
    /// When it was applied, as the database prints timestamps.
    pub applied_at: String,
    /// How long its SQL took, in milliseconds.
    pub duration_ms: i64,
    /// `applied`, `stamped`, or for an interrupted non-transactional
    /// revision `running`/`failed` (upgrading) or `reverting`/`revert_failed`
    /// (downgrading).
    pub state: String,
    /// For non-transactional revisions, how many statements completed.
    pub statements_done: i64,
    /// Order of application.
    pub seq: i64,
}

impl HistoryEntry {
    /// Applied or stamped, as opposed to an interrupted run.
    pub fn is_complete(&self) -> bool {
        self.state == "applied" || self.state == "stamped"
    }

    /// Interrupted while running its downgrade section (`reverting`,
    /// `revert_failed`), whose statements `statements_done` then counts.
    pub fn is_reverting(&self) -> bool {
        self.state == "reverting" || self.state == "revert_failed"
    }
}

/// A new history row.
#[doc(hidden)]
pub struct NewRow<'a> {
    /// Revision id.
    pub revision: &'a str,
    /// Checksum of its upgrade SQL.
    pub checksum: &'a str,
    /// Time its SQL took.
    pub duration_ms: i64,
    /// `applied`, `stamped`, `running`.
    pub state: &'a str,
    /// Statements completed.
    pub statements_done: i64,
    /// Order of application.
    pub seq: i64,
    /// The revision's message.
    pub message: Option<&'a str>,
}

/// The embedded `(revision, checksum)` pairs, as the start-up fast path
/// compares them with the history table: texts computed with the table
/// (see `EmbeddedStartUp`), and a lookup built on first need.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Expected {
    start_up: crate::embedded::EmbeddedStartUp,
    /// How many revisions the table has.
    count: usize,
    /// Revision id → (its position in `in_order`, the byte offset of its
    /// line), for rows that do not come back in upgrade order.
    lines: OnceLock<HashMap<&'static str, (usize, usize)>>,
}

impl Expected {
    pub(crate) const fn new(count: usize, start_up: crate::embedded::EmbeddedStartUp) -> Expected {
        Expected {
            start_up,
            count,
            lines: OnceLock::new(),
        }
    }

    fn len(&self) -> usize {
        self.count
    }

    /// The same texts, nothing built.
    pub(crate) fn fresh(&self) -> Expected {
        Expected::new(self.count, self.start_up)
    }

    /// The table's heads, in the order the migrator reports them.
    pub(crate) fn heads(&self) -> &'static [&'static str] {
        self.start_up.heads
    }

    fn joined(&self) -> &str {
        self.start_up.by_id
    }

    /// A comparison of history rows, fed one at a time, with the table.
    pub(crate) fn matcher(&self) -> RowMatcher<'_> {
        RowMatcher {
            expected: self,
            position: 0,
            offset: 0,
            seen: vec![false; self.count],
            rows: 0,
            same: true,
        }
    }

    fn lines(&self) -> &HashMap<&'static str, (usize, usize)> {
        self.lines.get_or_init(|| {
            let mut lines = HashMap::with_capacity(self.count);
            let mut offset = 0;
            for (position, line) in self.start_up.in_order.split_terminator('\n').enumerate() {
                if let Some((id, _)) = line.split_once(' ') {
                    lines.insert(id, (position, offset));
                }
                offset += line.len() + 1;
            }
            lines
        })
    }
}

/// See [`Expected::matcher`]. Rows usually come back in the order they
/// were inserted, which is the upgrade order of the embedded text: each
/// row is first compared with the line after the previous row's, reading
/// the text front to back; only a row out of that order costs a lookup.
pub(crate) struct RowMatcher<'e> {
    expected: &'e Expected,
    /// Position and byte offset of the line the next row is guessed to be.
    position: usize,
    offset: usize,
    seen: Vec<bool>,
    rows: usize,
    same: bool,
}

impl RowMatcher<'_> {
    /// One `(revision, checksum, state)` row, as the database sent its text.
    /// `None` (a value that could not be read) counts as a difference.
    pub(crate) fn row(&mut self, row: Option<(&[u8], &[u8], &[u8])>) {
        self.same = self.same && self.matches(row);
    }

    fn matches(&mut self, row: Option<(&[u8], &[u8], &[u8])>) -> bool {
        let Some((revision, checksum, state)) = row else {
            return false;
        };
        self.rows += 1;
        if !matches!(state, b"applied" | b"stamped") {
            return false;
        }
        let text = self.expected.start_up.in_order.as_bytes();
        // The line `revision checksum\n` at `offset`, if it is this row's.
        let line_at = |offset: usize| {
            let end = offset + revision.len() + checksum.len() + 2;
            let line = text.get(offset..end)?;
            (line[..revision.len()] == *revision
                && line[revision.len()] == b' '
                && line[revision.len() + 1..end - offset - 1] == *checksum
                && line[end - offset - 1] == b'\n')
                .then_some(end)
        };
        let (position, next) = match line_at(self.offset) {
            Some(next) => (self.position, next),
            None => {
                let Some(&(position, offset)) = std::str::from_utf8(revision)
                    .ok()
                    .and_then(|id| self.expected.lines().get(id))
                else {
                    return false;
                };
                let Some(next) = line_at(offset) else {
                    return false;
                };
                (position, next)
            }
        };
        match self.seen.get_mut(position) {
            Some(seen) if !*seen => *seen = true,
            _ => return false,
        }
        self.position = position + 1;
        self.offset = next;
        true
    }

    /// Whether the rows were exactly the embedded revisions, each once,
    /// every one applied or stamped.
    pub(crate) fn finish(self) -> bool {
        // Distinct embedded revisions, as many as the table holds: all.
        self.same && self.rows == self.expected.len()
    }
}

/// A database the migrator can run against: `sqlx::PgPool` or `sqlx::SqlitePool`.
pub trait Database: Sync {
    #[doc(hidden)]
    type Session: Conn;
    #[doc(hidden)]
    fn __session(&self) -> impl Future<Output = Result<Self::Session>> + Send;
}

/// The operations a migration run needs from one connection.
#[doc(hidden)]
pub trait Conn: Send {
    /// Takes the migration lock: on PostgreSQL the advisory lock `key`; on
    /// SQLite (which ignores `key`) the lock file and the write transaction.
    fn lock(
        &mut self,
        table: &str,
        key: i64,
        timeout: Duration,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Commits an open transaction and releases the lock.
    fn unlock(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Does the lock end with the transaction (SQLite)?
    fn lock_is_transaction(&self) -> bool;
    /// Which database this is.
    fn dialect(&self) -> migrate_core::Dialect;
    /// Opens a transaction if none is open.
    fn begin(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Opens the scope of a one-script run (see `Migrator::execute_batched`):
    /// on PostgreSQL a transaction, none being open yet; on SQLite, whose
    /// lock is the open transaction, a savepoint in it. `false`, having done
    /// nothing, when the session is not in that state.
    fn begin_batch(&mut self) -> impl Future<Output = Result<bool>> + Send;
    /// Keeps the one-script run's work: commits it.
    fn commit_batch(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Undoes the one-script run's work; on SQLite the lock stays held.
    fn rollback_batch(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// One statement answering the database's clock in microseconds, as
    /// one `bigint` row (PostgreSQL: since the script arrived; SQLite: since
    /// 1970, to the millisecond).
    fn clock_sql(&self) -> &'static str;
    /// `write` (an `INSERT` or `DELETE`) made to answer the number of rows
    /// it wrote, as one `bigint` row.
    fn counted_sql(&self, write: &str) -> String;
    /// Writes history rows in one statement of the open transaction and
    /// answers how many it wrote.
    fn insert_rows<'a>(
        &'a mut self,
        table: &'a str,
        rows: &'a [NewRow<'a>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a;
    /// Commits the open transaction, if any.
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Rolls back the open transaction, if any.
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Is a transaction open?
    fn in_transaction(&self) -> bool;
    /// Runs SQL text, possibly several statements.
    fn exec<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'a;
    /// Runs SQL text whose statements each return at most one row of one
    /// `bigint` column, and returns those values in order.
    fn fetch_i64s<'a>(
        &'a mut self,
        sql: &'a str,
    ) -> impl Future<Output = Result<Vec<i64>, sqlx::Error>> + Send + 'a;
    /// One read of the whole history table: `true` when it holds exactly
    /// the embedded revisions, applied or stamped, with their checksums.
    /// `false` on any difference, a missing table or a failed read, which
    /// sends the caller the long way.
    fn history_matches(
        &mut self,
        table: &str,
        expected: &Expected,
    ) -> impl Future<Output = bool> + Send;
    /// SQLite: turns foreign-key enforcement back on (`true`) for a
    /// revision that runs outside a transaction, or off again (`false`),
    /// when the run turned it off. PostgreSQL: nothing.
    fn enforce_foreign_keys(&mut self, on: bool) -> impl Future<Output = Result<()>> + Send;
    /// SQLite, when the run turned enforcement off: the first rows whose
    /// foreign keys point nowhere (`PRAGMA foreign_key_check`), described.
    /// PostgreSQL (which enforces per statement): `None`.
    fn foreign_key_violations(&mut self) -> impl Future<Output = Result<Option<String>>> + Send;
    /// Creates the history table when missing.
    fn ensure_history(&mut self, table: &str) -> impl Future<Output = Result<()>> + Send;
    /// Reads the history table (empty when it does not exist).
    fn read_history(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>>> + Send;
    /// Inserts a history row.
    fn insert_row(
        &mut self,
        table: &str,
        row: &NewRow<'_>,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Updates state and progress of a row.
    fn update_row(
        &mut self,
        table: &str,
        revision: &str,
        state: &str,
        done: i64,
        duration_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Deletes a history row.
    fn delete_row(
        &mut self,
        table: &str,
        revision: &str,
    ) -> impl Future<Output = Result<()>> + Send;
    /// Lines describing the user schema (tables, columns, indexes, ...), sorted.
    fn schema_fingerprint(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
}

/// History rows, read in `HISTORY_COLUMNS` order, on either database.
fn decode_history<R>(rows: &[R]) -> Result<Vec<HistoryEntry>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    rows.iter()
        .map(|r| {
            Ok(HistoryEntry {
                revision: r.try_get(0)?,
                checksum: r.try_get(1)?,
                applied_at: r.try_get(2)?,
                duration_ms: r.try_get(3)?,
                state: r.try_get(4)?,
                statements_done: r.try_get(5)?,
                seq: r.try_get(6)?,
            })
        })
        .collect()
}

/// `"schema"."table"` from a validated `schema.table` or `table` (which
/// holds no `"` to double).
pub(crate) fn quote_table(table: &str) -> String {
    migrate_core::quote_qualified_always(table)
}

fn plain_table(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

/// The default advisory-lock key of a history table (FNV-1a of its name),
/// used unless the migrator is given one (`Migrator::with_lock_key`).
pub(crate) fn lock_key(table: &str) -> i64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in b"migrate:".iter().chain(table.as_bytes()) {
        hash ^= u64::from(*b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash as i64
}

/// A pooled connection that is closed instead of returned to the pool if it
/// is dropped while holding a lock or an open transaction (a cancelled
/// future): closing makes the server roll back and release the lock, where
/// returning it would hand the next user a locked, half-done session.
pub struct Session<DB: sqlx::Database> {
    conn: sqlx::pool::PoolConnection<DB>,
    locked: bool,
    in_tx: bool,
    // Only the PostgreSQL session uses an advisory-lock key.
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    lock_key: i64,
    saved_busy_timeout: Option<i64>,
    // SQLite: foreign keys were enforced before the run turned them off.
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    foreign_keys_were_on: bool,
    // SQLite: the lock file held for the whole run (released by the OS if
    // the process dies).
    #[cfg_attr(not(feature = "sqlite"), allow(dead_code))]
    lock_file: Option<std::fs::File>,
}

impl<DB: sqlx::Database> Session<DB> {
    fn new(conn: sqlx::pool::PoolConnection<DB>) -> Self {
        Session {
            conn,
            locked: false,
            in_tx: false,
            lock_key: 0,
            saved_busy_timeout: None,
            foreign_keys_were_on: false,
            lock_file: None,
        }
    }
}

impl<DB: sqlx::Database> Drop for Session<DB> {
    fn drop(&mut self) {
        // A connection still locked, in a transaction, or with session
        // settings the run changed and did not restore is not given back to
        // the pool.
        if self.locked
            || self.in_tx
            || self.foreign_keys_were_on
            || self.saved_busy_timeout.is_some()
        {
            self.conn.close_on_drop();
        }
    }
}

const HISTORY_COLUMNS: &str =
    "revision, checksum, applied_at, duration_ms, state, statements_done, seq";

/// `CREATE TABLE IF NOT EXISTS` of the history table, shared by the
/// backends and the offline script (`crate::offline`).
pub(crate) fn create_history_sql(dialect: migrate_core::Dialect, table: &str) -> String {
    match dialect {
        migrate_core::Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             revision TEXT PRIMARY KEY, \
             checksum TEXT NOT NULL, \
             applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), \
             duration_ms BIGINT NOT NULL DEFAULT 0, \
             state TEXT NOT NULL DEFAULT 'applied', \
             statements_done BIGINT NOT NULL DEFAULT 0, \
             seq BIGINT NOT NULL, \
             message TEXT)",
            quote_table(table)
        ),
        migrate_core::Dialect::Sqlite => format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             revision TEXT PRIMARY KEY NOT NULL, \
             checksum TEXT NOT NULL, \
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), \
             duration_ms INTEGER NOT NULL DEFAULT 0, \
             state TEXT NOT NULL DEFAULT 'applied', \
             statements_done INTEGER NOT NULL DEFAULT 0, \
             seq INTEGER NOT NULL, \
             message TEXT)",
            quote_table(table)
        ),
    }
}

/// `INSERT` of one history row. `values` are SQL expressions for revision,
/// checksum, duration_ms, state, statements_done, seq and message, in that
/// order: bind placeholders online, literals in the offline script.
pub(crate) fn insert_row_sql(table: &str, values: [&str; 7]) -> String {
    insert_rows_sql(table, &format!("({})", values.join(", ")))
}

/// `INSERT` of history rows given as `(…), (…)` value lists, in the column
/// order of [`insert_row_sql`].
pub(crate) fn insert_rows_sql(table: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {} (revision, checksum, duration_ms, state, statements_done, seq, message) VALUES {rows}",
        quote_table(table),
    )
}

/// A string literal that reads back as `text` whatever the server's settings.
/// Quotes are doubled; on PostgreSQL a text holding a backslash uses the
/// `E'…'` form, which does not depend on `standard_conforming_strings`.
/// Used by the online run and the offline `--sql` script alike.
pub(crate) fn literal(dialect: migrate_core::Dialect, text: &str) -> String {
    if dialect == migrate_core::Dialect::Postgres && text.contains('\\') {
        format!("E'{}'", text.replace('\\', "\\\\").replace('\'', "''"))
    } else {
        format!("'{}'", text.replace('\'', "''"))
    }
}

/// `DELETE` of one history row; `revision` is a placeholder or a literal.
pub(crate) fn delete_row_sql(table: &str, revision: &str) -> String {
    format!(
        "DELETE FROM {} WHERE revision = {revision}",
        quote_table(table)
    )
}

#[cfg(feature = "postgres")]
mod postgres {
    use super::*;
    use sqlx::Row as _;
    use sqlx::{PgPool, Postgres};

    impl Database for PgPool {
        type Session = Session<Postgres>;
        async fn __session(&self) -> Result<Self::Session> {
            let conn = self
                .acquire()
                .await
                .map_err(Error::db("connecting to PostgreSQL"))?;
            Ok(Session::new(conn))
        }
    }

    impl Conn for Session<Postgres> {
        async fn lock(&mut self, table: &str, key: i64, timeout: Duration) -> Result<()> {
            // If this process dies or the run is cancelled mid-statement, the
            // server only notices the closed socket (and rolls back, releasing
            // the lock) when it next talks to the client, unless it checks
            // while the statement runs. PostgreSQL 14+; older servers refuse the
            // setting, which is harmless.
            let _ = self
                .exec("SET client_connection_check_interval = 1000")
                .await;
            let started = Instant::now();
            let mut pause = Duration::from_millis(10);
            loop {
                // Polling pg_try_advisory_lock instead of blocking in
                // pg_advisory_lock: a blocked waiter would hold a snapshot that
                // makes the holder's CREATE INDEX CONCURRENTLY wait for it.
                let got: bool = sqlx::query_scalar("SELECT pg_try_advisory_lock($1)")
                    .bind(key)
                    .fetch_one(&mut *self.conn)
                    .await
                    .map_err(Error::db("taking the migration lock"))?;
                if got {
                    self.locked = true;
                    self.lock_key = key;
                    return Ok(());
                }
                if started.elapsed() >= timeout {
                    let holder = self.lock_holder(key).await;
                    return Err(Error::LockTimeout {
                        waited: started.elapsed(),
                        table: table.to_owned(),
                        holder,
                    });
                }
                tracing::debug!(table, "waiting for the migration lock");
                tokio::time::sleep(pause.min(timeout.saturating_sub(started.elapsed()))).await;
                pause = (pause * 2).min(Duration::from_millis(250));
            }
        }

        async fn unlock(&mut self) -> Result<()> {
            self.commit().await?;
            if self.locked {
                sqlx::query("SELECT pg_advisory_unlock($1)")
                    .bind(self.lock_key)
                    .execute(&mut *self.conn)
                    .await
                    .map_err(Error::db("releasing the migration lock"))?;
                self.locked = false;
            }
            Ok(())
        }

        fn lock_is_transaction(&self) -> bool {
            false
        }

        fn dialect(&self) -> migrate_core::Dialect {
            migrate_core::Dialect::Postgres
        }

        async fn begin(&mut self) -> Result<()> {
            if !self.in_tx {
                self.exec("BEGIN")
                    .await
                    .map_err(Error::db("opening a transaction"))?;
                self.in_tx = true;
            }
            Ok(())
        }

        async fn begin_batch(&mut self) -> Result<bool> {
            if self.in_tx {
                return Ok(false);
            }
            if !self.locked {
                self.begin().await?;
                return Ok(true);
            }
            // The transaction also takes the migration lock, at transaction
            // level (granted at once: this session holds it), so that
            // `commit_batch` can hand the session's hold over to it.
            let sql = format!("BEGIN; SELECT pg_advisory_xact_lock({})", self.lock_key);
            self.exec(&sql)
                .await
                .map_err(Error::db("opening a transaction"))?;
            self.in_tx = true;
            Ok(true)
        }

        async fn commit_batch(&mut self) -> Result<()> {
            if !(self.locked && self.in_tx) {
                return self.commit().await;
            }
            // The session's hold is released inside the transaction, whose
            // own hold ends with the commit: the lock is never free while
            // the work is uncommitted, and no statement follows the commit
            // (the first one after a commit of thousands of catalog changes
            // pays for the cache invalidations, about 6 ms at N = 1,000).
            // On failure `locked` stays set and `unlock` releases the lock
            // if the session still holds it.
            let sql = format!("SELECT pg_advisory_unlock({}); COMMIT", self.lock_key);
            self.exec(&sql).await.map_err(Error::db("committing"))?;
            self.in_tx = false;
            self.locked = false;
            Ok(())
        }

        async fn rollback_batch(&mut self) -> Result<()> {
            self.rollback().await
        }

        fn clock_sql(&self) -> &'static str {
            // `statement_timestamp()` is the arrival of the message, the
            // same for every statement of the script.
            "SELECT (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000)::bigint"
        }

        fn counted_sql(&self, write: &str) -> String {
            format!("WITH done AS ({write} RETURNING 1) SELECT count(*)::bigint FROM done")
        }

        async fn insert_rows<'a>(
            &'a mut self,
            table: &'a str,
            rows: &'a [NewRow<'a>],
        ) -> Result<u64, sqlx::Error> {
            // One array per column: the server parses a short statement
            // and reads the arrays, where a `VALUES` list of 1,000 rows
            // took it about 15 ms to parse and plan.
            let sql = format!(
                "INSERT INTO {} (revision, checksum, duration_ms, state, statements_done, seq, message) \
                 SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::text[])",
                quote_table(table)
            );
            let column = |f: fn(&NewRow<'a>) -> &'a str| rows.iter().map(f).collect::<Vec<_>>();
            let number = |f: fn(&NewRow<'a>) -> i64| rows.iter().map(f).collect::<Vec<_>>();
            let done = sqlx::query(&sql)
                .bind(column(|r| r.revision))
                .bind(column(|r| r.checksum))
                .bind(number(|r| r.duration_ms))
                .bind(column(|r| r.state))
                .bind(number(|r| r.statements_done))
                .bind(number(|r| r.seq))
                .bind(rows.iter().map(|r| r.message).collect::<Vec<_>>())
                .execute(&mut *self.conn)
                .await?;
            Ok(done.rows_affected())
        }

        async fn commit(&mut self) -> Result<()> {
            if self.in_tx {
                self.exec("COMMIT").await.map_err(Error::db("committing"))?;
                self.in_tx = false;
            }
            Ok(())
        }

        async fn rollback(&mut self) -> Result<()> {
            if self.in_tx {
                self.in_tx = false;
                self.exec("ROLLBACK")
                    .await
                    .map_err(Error::db("rolling back"))?;
            }
            Ok(())
        }

        fn in_transaction(&self) -> bool {
            self.in_tx
        }

        fn exec<'a>(
            &'a mut self,
            sql: &'a str,
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'a {
            // A bare `&str` has no arguments, so sqlx sends it with the simple
            // query protocol: several statements in one round trip. Calling
            // `execute` outside the async block keeps the future `Send`.
            let run = sqlx::Executor::execute(&mut *self.conn, sql);
            async move { run.await.map(|_| ()) }
        }

        fn fetch_i64s<'a>(
            &'a mut self,
            sql: &'a str,
        ) -> impl Future<Output = Result<Vec<i64>, sqlx::Error>> + Send + 'a {
            let run = sqlx::Executor::fetch_all(&mut *self.conn, sql);
            async move { run.await?.iter().map(|row| row.try_get(0)).collect() }
        }

        async fn enforce_foreign_keys(&mut self, _on: bool) -> Result<()> {
            Ok(())
        }

        async fn foreign_key_violations(&mut self) -> Result<Option<String>> {
            Ok(None)
        }

        async fn history_matches(&mut self, table: &str, expected: &Expected) -> bool {
            // Simple protocol, one round trip, the rows in whatever order the
            // server finds cheapest, compared here with the embedded table
            // as the database sent their text. Measured on PostgreSQL 15,
            // this costs less than asking the server for a sorted string_agg
            // and its digest.
            let sql = format!(
                "SELECT revision, checksum, state FROM {}",
                quote_table(table)
            );
            // Each row is compared as it arrives and dropped, as a plain
            // read of the table does; none is kept.
            let mut rows = sqlx::Executor::fetch(&mut *self.conn, sql.as_str());
            let mut matcher = expected.matcher();
            while let Some(row) =
                std::future::poll_fn(|cx| futures_core::Stream::poll_next(rows.as_mut(), cx)).await
            {
                let Ok(row) = row else {
                    return false;
                };
                let text = |i: usize| row.try_get_raw(i).ok()?.as_bytes().ok();
                matcher.row(
                    text(0)
                        .zip(text(1))
                        .zip(text(2))
                        .map(|((a, b), c)| (a, b, c)),
                );
            }
            matcher.finish()
        }

        async fn ensure_history(&mut self, table: &str) -> Result<()> {
            let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                .bind(quote_table(table))
                .fetch_one(&mut *self.conn)
                .await
                .map_err(Error::db("looking for the history table"))?;
            if !exists {
                let sql = create_history_sql(migrate_core::Dialect::Postgres, table);
                self.exec(&sql)
                    .await
                    .map_err(Error::db(format!("creating the history table `{table}`")))?;
            }
            Ok(())
        }

        async fn read_history(&mut self, table: &str) -> Result<Vec<HistoryEntry>> {
            let exists: bool = sqlx::query_scalar("SELECT to_regclass($1) IS NOT NULL")
                .bind(quote_table(table))
                .fetch_one(&mut *self.conn)
                .await
                .map_err(Error::db("looking for the history table"))?;
            if !exists {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT {} FROM {} ORDER BY seq",
                HISTORY_COLUMNS.replace("applied_at", "applied_at::text"),
                quote_table(table)
            );
            let rows = sqlx::query(&sql)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(Error::db(format!("reading the history table `{table}`")))?;
            decode_history(&rows).map_err(Error::db(format!("reading the history table `{table}`")))
        }

        async fn insert_row(&mut self, table: &str, row: &NewRow<'_>) -> Result<()> {
            let sql = insert_row_sql(table, ["$1", "$2", "$3", "$4", "$5", "$6", "$7"]);
            sqlx::query(&sql)
                .bind(row.revision)
                .bind(row.checksum)
                .bind(row.duration_ms)
                .bind(row.state)
                .bind(row.statements_done)
                .bind(row.seq)
                .bind(row.message)
                .execute(&mut *self.conn)
                .await
                .map_err(Error::db(format!(
                    "recording revision {} in `{table}`",
                    row.revision
                )))?;
            Ok(())
        }

        async fn update_row(
            &mut self,
            table: &str,
            revision: &str,
            state: &str,
            done: i64,
            duration_ms: i64,
        ) -> Result<()> {
            let sql = format!(
                "UPDATE {} SET state = $2, statements_done = $3, duration_ms = $4 WHERE revision = $1",
                quote_table(table)
            );
            sqlx::query(&sql)
                .bind(revision)
                .bind(state)
                .bind(done)
                .bind(duration_ms)
                .execute(&mut *self.conn)
                .await
                .map_err(Error::db(format!(
                    "recording progress of revision {revision} in `{table}`"
                )))?;
            Ok(())
        }

        async fn delete_row(&mut self, table: &str, revision: &str) -> Result<()> {
            let sql = delete_row_sql(table, "$1");
            sqlx::query(&sql)
                .bind(revision)
                .execute(&mut *self.conn)
                .await
                .map_err(Error::db(format!(
                    "removing revision {revision} from `{table}`"
                )))?;
            Ok(())
        }

        async fn schema_fingerprint(&mut self, table: &str) -> Result<Vec<String>> {
            let sql = "\
                SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable || ' ' || coalesce(column_default, '') \
                  FROM information_schema.columns WHERE table_schema = current_schema() AND table_name <> $1 \
                UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = current_schema() AND tablename <> $1 \
                UNION ALL SELECT 'constraint ' || c.conrelid::regclass::text || ' ' || c.conname || ' ' || pg_get_constraintdef(c.oid) \
                  FROM pg_constraint c JOIN pg_namespace n ON n.oid = c.connamespace \
                  WHERE n.nspname = current_schema() AND c.conrelid <> 0 AND c.conrelid::regclass::text <> $1 \
                UNION ALL SELECT 'view ' || viewname || ' ' || definition FROM pg_views WHERE schemaname = current_schema() \
                UNION ALL SELECT 'type ' || t.typname || ' ' || string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder) \
                  FROM pg_type t JOIN pg_enum e ON e.enumtypid = t.oid JOIN pg_namespace n ON n.oid = t.typnamespace \
                  WHERE n.nspname = current_schema() GROUP BY t.typname \
                UNION ALL SELECT 'function ' || p.proname || '(' || pg_get_function_identity_arguments(p.oid) || ')' \
                  FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace WHERE n.nspname = current_schema() \
                ORDER BY 1";
            sqlx::query_scalar(sql)
                .bind(plain_table(table))
                .fetch_all(&mut *self.conn)
                .await
                .map_err(Error::db("reading the schema"))
        }
    }

    impl Session<Postgres> {
        /// Who holds the advisory lock, for the timeout message.
        async fn lock_holder(&mut self, key: i64) -> String {
            let query = sqlx::query_as::<_, (i32, String, String, String)>(
                "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), \
                 coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), '') \
                 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
                 WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $1 AND l.objid::bigint = $2 AND l.objsubid = 1 \
                 AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            )
            .bind((key as u64 >> 32) as i64)
            .bind((key as u64 & 0xffff_ffff) as i64)
            .fetch_optional(&mut *self.conn)
            .await;
            match query {
                Ok(Some((pid, app, addr, start))) => {
                    let app = if app.is_empty() {
                        String::new()
                    } else {
                        format!(", application `{app}`")
                    };
                    format!(
                        " (advisory lock key {key}, held by server process {pid}{app}, from {addr}, connected since {start})"
                    )
                }
                _ => format!(" (advisory lock key {key})"),
            }
        }
    }
}

#[cfg(feature = "sqlite")]
mod sqlite {
    use super::*;
    use sqlx::Row as _;
    use sqlx::{Sqlite, SqlitePool};

    impl Database for SqlitePool {
        type Session = Session<Sqlite>;
        async fn __session(&self) -> Result<Self::Session> {
            let conn = self
                .acquire()
                .await
                .map_err(Error::db("opening the SQLite database"))?;
            Ok(Session::new(conn))
        }
    }

    /// The savepoint a one-script run works under, inside the lock's
    /// transaction.
    const BATCH_SAVEPOINT: &str = "migrate_batch";

    fn is_busy(e: &sqlx::Error) -> bool {
        matches!(e, sqlx::Error::Database(d) if d.code().is_some_and(|c| c == "5" || c == "517" || c == "261"))
    }

    impl Conn for Session<Sqlite> {
        /// SQLite has one writer at a time: the lock is an immediate write
        /// transaction, waited for through the busy timeout.
        ///
        /// A file database is also locked through a file beside it,
        /// `<database>.migrate-lock`, held for the whole run: between the
        /// transactions of a run (after a `transactional: false` revision,
        /// or per-revision commits) another migrator waits for it instead of
        /// finding a revision half-way. The OS releases it if the process dies.
        async fn lock(&mut self, table: &str, _key: i64, timeout: Duration) -> Result<()> {
            let started = Instant::now();
            let file: String =
                sqlx::query_scalar("SELECT file FROM pragma_database_list WHERE name = 'main'")
                    .fetch_one(&mut *self.conn)
                    .await
                    .map_err(Error::db("locating the SQLite database file"))?;
            if !file.is_empty() {
                self.lock_file = Some(crate::lock_file::acquire(&file, table, timeout).await?);
            }
            let timeout = timeout.saturating_sub(started.elapsed());
            let previous: i64 = sqlx::query_scalar("PRAGMA busy_timeout")
                .fetch_one(&mut *self.conn)
                .await
                .map_err(Error::db("reading the busy timeout"))?;
            let millis = i64::try_from(timeout.as_millis())
                .unwrap_or(i64::MAX)
                .max(1);
            self.exec(&format!("PRAGMA busy_timeout = {millis}"))
                .await
                .map_err(Error::db("setting the busy timeout"))?;
            self.saved_busy_timeout = Some(previous);
            // SQLite's table rebuild (new table, copy, drop, rename) cannot
            // run with foreign keys enforced: the drop would delete or refuse
            // the referencing rows. As SQLite's own procedure does, the run
            // turns enforcement off (possible only outside a transaction) and
            // checks the references after each revision instead.
            let enforced: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
                .fetch_one(&mut *self.conn)
                .await
                .map_err(Error::db("reading foreign key enforcement"))?;
            if enforced == 1 {
                self.exec("PRAGMA foreign_keys = OFF")
                    .await
                    .map_err(Error::db("switching foreign key enforcement"))?;
                self.foreign_keys_were_on = true;
            }
            let started = Instant::now();
            match self.exec("BEGIN IMMEDIATE").await {
                Ok(()) => {
                    self.in_tx = true;
                    self.locked = true;
                    Ok(())
                }
                Err(e) if is_busy(&e) => Err(Error::LockTimeout {
                    waited: started.elapsed(),
                    table: table.to_owned(),
                    holder: " (another connection is writing to this SQLite file)".into(),
                }),
                Err(e) => Err(Error::db("taking the SQLite write lock")(e)),
            }
        }

        async fn unlock(&mut self) -> Result<()> {
            self.commit().await?;
            self.locked = false;
            self.lock_file = None;
            if std::mem::take(&mut self.foreign_keys_were_on) {
                self.exec("PRAGMA foreign_keys = ON")
                    .await
                    .map_err(Error::db("restoring foreign key enforcement"))?;
            }
            if let Some(previous) = self.saved_busy_timeout.take() {
                self.exec(&format!("PRAGMA busy_timeout = {previous}"))
                    .await
                    .map_err(Error::db("restoring the busy timeout"))?;
            }
            Ok(())
        }

        fn lock_is_transaction(&self) -> bool {
            true
        }

        fn dialect(&self) -> migrate_core::Dialect {
            migrate_core::Dialect::Sqlite
        }

        async fn begin(&mut self) -> Result<()> {
            if !self.in_tx {
                self.exec("BEGIN IMMEDIATE")
                    .await
                    .map_err(Error::db("opening a transaction"))?;
                self.in_tx = true;
            }
            Ok(())
        }

        async fn begin_batch(&mut self) -> Result<bool> {
            if !self.in_tx {
                return Ok(false);
            }
            self.exec(&format!("SAVEPOINT {BATCH_SAVEPOINT}"))
                .await
                .map_err(Error::db("opening the savepoint of the run"))?;
            Ok(true)
        }

        async fn commit_batch(&mut self) -> Result<()> {
            self.exec(&format!("RELEASE SAVEPOINT {BATCH_SAVEPOINT}"))
                .await
                .map_err(Error::db("releasing the savepoint of the run"))?;
            self.commit().await
        }

        async fn rollback_batch(&mut self) -> Result<()> {
            // If SQLite already rolled the whole transaction back (it does
            // on a full disk, say), nothing of the run is left to undo: the
            // error is reported as the database's.
            self.exec(&format!(
                "ROLLBACK TO SAVEPOINT {BATCH_SAVEPOINT};\nRELEASE SAVEPOINT {BATCH_SAVEPOINT}"
            ))
            .await
            .map_err(Error::db("rolling back the run's one-script attempt"))
        }

        fn clock_sql(&self) -> &'static str {
            "SELECT CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
        }

        fn counted_sql(&self, write: &str) -> String {
            format!("{write};\nSELECT changes()")
        }

        async fn insert_rows<'a>(
            &'a mut self,
            table: &'a str,
            rows: &'a [NewRow<'a>],
        ) -> Result<u64, sqlx::Error> {
            // A multi-row `VALUES` of literals costs SQLite little to parse,
            // and a statement run once has no place in the statement cache.
            let dialect = migrate_core::Dialect::Sqlite;
            let values: Vec<String> = rows
                .iter()
                .map(|r| {
                    format!(
                        "({}, {}, {}, {}, {}, {}, {})",
                        literal(dialect, r.revision),
                        literal(dialect, r.checksum),
                        r.duration_ms,
                        literal(dialect, r.state),
                        r.statements_done,
                        r.seq,
                        r.message
                            .map_or_else(|| "NULL".to_owned(), |m| literal(dialect, m)),
                    )
                })
                .collect();
            let sql = self.counted_sql(&insert_rows_sql(table, &values.join(",\n")));
            let counts = Conn::fetch_i64s(self, &sql).await?;
            Ok(counts.first().map_or(0, |&n| u64::try_from(n).unwrap_or(0)))
        }

        async fn commit(&mut self) -> Result<()> {
            if self.in_tx {
                self.exec("COMMIT").await.map_err(Error::db("committing"))?;
                self.in_tx = false;
            }
            Ok(())
        }

        async fn rollback(&mut self) -> Result<()> {
            if self.in_tx {
                self.in_tx = false;
                self.exec("ROLLBACK")
                    .await
                    .map_err(Error::db("rolling back"))?;
            }
            Ok(())
        }

        fn in_transaction(&self) -> bool {
            self.in_tx
        }

        fn exec<'a>(
            &'a mut self,
            sql: &'a str,
        ) -> impl Future<Output = Result<(), sqlx::Error>> + Send + 'a {
            // Several statements run in order. `raw_sql`: migration SQL runs
            // once, so its prepared statements are not kept in the
            // connection's statement cache. Calling `execute` outside the
            // async block keeps the future `Send`.
            let run = sqlx::Executor::execute(&mut *self.conn, sqlx::raw_sql(sql));
            async move { run.await.map(|_| ()) }
        }

        fn fetch_i64s<'a>(
            &'a mut self,
            sql: &'a str,
        ) -> impl Future<Output = Result<Vec<i64>, sqlx::Error>> + Send + 'a {
            let run = sqlx::Executor::fetch_all(&mut *self.conn, sqlx::raw_sql(sql));
            async move { run.await?.iter().map(|row| row.try_get(0)).collect() }
        }

        async fn enforce_foreign_keys(&mut self, on: bool) -> Result<()> {
            if self.foreign_keys_were_on {
                let sql = if on {
                    "PRAGMA foreign_keys = ON"
                } else {
                    "PRAGMA foreign_keys = OFF"
                };
                self.exec(sql)
                    .await
                    .map_err(Error::db("switching foreign key enforcement"))?;
            }
            Ok(())
        }

        async fn foreign_key_violations(&mut self) -> Result<Option<String>> {
            if !self.foreign_keys_were_on {
                return Ok(None);
            }
            let rows = sqlx::Executor::fetch_all(&mut *self.conn, "PRAGMA foreign_key_check")
                .await
                .map_err(Error::db("checking foreign keys"))?;
            if rows.is_empty() {
                return Ok(None);
            }
            let mut described: Vec<String> = rows
                .iter()
                .take(5)
                .map(|row| {
                    let table: String = row.try_get(0).unwrap_or_default();
                    let rowid: Option<i64> = row.try_get(1).unwrap_or_default();
                    let parent: String = row.try_get(2).unwrap_or_default();
                    match rowid {
                        Some(id) => {
                            format!("`{table}` row {id} references a missing row of `{parent}`")
                        }
                        None => {
                            format!("a row of `{table}` references a missing row of `{parent}`")
                        }
                    }
                })
                .collect();
            if rows.len() > 5 {
                described.push(format!("and {} more", rows.len() - 5));
            }
            Ok(Some(described.join("; ")))
        }

        async fn history_matches(&mut self, table: &str, expected: &Expected) -> bool {
            // One row: SQLite returns the pairs joined in byte order of the
            // ids (its BINARY collation), compared with the same text built
            // from the embedded table.
            let sql = format!(
                "SELECT count(*), coalesce(sum(state NOT IN ('applied', 'stamped')), 0), \
                 coalesce(group_concat(revision || ' ' || checksum, ',' ORDER BY revision), '') \
                 FROM {}",
                quote_table(table)
            );
            let Ok(row) = sqlx::Executor::fetch_one(&mut *self.conn, sql.as_str()).await else {
                return false;
            };
            let (Ok(count), Ok(incomplete), Ok(joined)) = (
                row.try_get::<i64, _>(0),
                row.try_get::<i64, _>(1),
                row.try_get::<&str, _>(2),
            ) else {
                return false;
            };
            usize::try_from(count).is_ok_and(|n| n == expected.len())
                && incomplete == 0
                && joined == expected.joined()
        }

        async fn ensure_history(&mut self, table: &str) -> Result<()> {
            let sql = create_history_sql(migrate_core::Dialect::Sqlite, table);
            self.exec(&sql)
                .await
                .map_err(Error::db(format!("creating the history table `{table}`")))
        }

        async fn read_history(&mut self, table: &str) -> Result<Vec<HistoryEntry>> {
            let exists: bool = sqlx::query_scalar(
                "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?",
            )
            .bind(plain_table(table))
            .fetch_one(&mut *self.conn)
            .await
            .map_err(Error::db("looking for the history table"))?;
            if !exists {
                return Ok(Vec::new());
            }
            let sql = format!(
                "SELECT {HISTORY_COLUMNS} FROM {} ORDER BY seq",
                quote_table(table)
            );
            let rows = sqlx::query(&sql)
                .fetch_all(&mut *self.conn)
                .await
                .map_err(Error::db(format!("reading the history table `{table}`")))?;
            decode_history(&rows).map_err(Error::db(format!("reading the history table `{table}`")))
        }

        async fn insert_row(&mut self, table: &str, row: &NewRow<'_>) -> Result<()> {
            let sql = insert_row_sql(table, ["?"; 7]);
            sqlx::query(&sql)
                .bind(row.revision)
                .bind(row.checksum)
                .bind(row.duration_ms)
                .bind(row.state)
                .bind(row.statements_done)
                .bind(row.seq)
                .bind(row.message)
                .execute(&mut *self.conn)
                .await
                .map_err(Error::db(format!(
                    "recording revision {} in `{table}`",
                    row.revision
                )))?;
            Ok(())
        }

        async fn update_row(
            &mut self,
            table: &str,
            revision: &str,
            state: &str,
            done: i64,
            duration_ms: i64,
        ) -> Result<()> {
            let sql = format!(
                "UPDATE {} SET state = ?2, statements_done = ?3, duration_ms = ?4 WHERE revision = ?1",
                quote_table(table)
            );
            sqlx::query(&sql)
                .bind(revision)
                .bind(state)
                .bind(done)
                .bind(duration_ms)
                .execute(&mut *self.conn)
                .await
                .map_err(Error::db(format!(
                    "recording progress of revision {revision} in `{table}`"
                )))?;
            Ok(())
        }

        async fn delete_row(&mut self, table: &str, revision: &str) -> Result<()> {
            let sql = delete_row_sql(table, "?");
            sqlx::query(&sql)
                .bind(revision)
                .execute(&mut *self.conn)
                .await
                .map_err(Error::db(format!(
                    "removing revision {revision} from `{table}`"
                )))?;
            Ok(())
        }

        async fn schema_fingerprint(&mut self, table: &str) -> Result<Vec<String>> {
            sqlx::query_scalar(
                "SELECT type || ' ' || name || ' ' || coalesce(sql, '') FROM sqlite_master \
                 WHERE name NOT LIKE 'sqlite_%' AND tbl_name <> ? ORDER BY 1",
            )
            .bind(plain_table(table))
            .fetch_all(&mut *self.conn)
            .await
            .map_err(Error::db("reading the schema"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Expected;
    use crate::embedded::EmbeddedStartUp;

    /// Revisions a, b, c whose upgrade order is c, a, b.
    const START_UP: EmbeddedStartUp = EmbeddedStartUp {
        in_order: "c cc\na ca\nb cb\n",
        by_id: "a ca,b cb,c cc",
        heads: &["b"],
    };

    fn matches(rows: &[(&str, &str, &str)]) -> bool {
        let expected = Expected::new(3, START_UP);
        let mut matcher = expected.matcher();
        for (revision, checksum, state) in rows {
            matcher.row(Some((
                revision.as_bytes(),
                checksum.as_bytes(),
                state.as_bytes(),
            )));
        }
        matcher.finish()
    }

    #[test]
    fn rows_in_any_order_match_when_each_revision_is_there_once() {
        assert!(matches(&[
            ("c", "cc", "applied"),
            ("a", "ca", "applied"),
            ("b", "cb", "stamped"),
        ]));
        assert!(matches(&[
            ("b", "cb", "applied"),
            ("a", "ca", "applied"),
            ("c", "cc", "applied"),
        ]));
    }

    #[test]
    fn any_difference_fails() {
        let ok = [
            ("c", "cc", "applied"),
            ("a", "ca", "applied"),
            ("b", "cb", "applied"),
        ];
        // A missing row, an extra unknown row, a repeated row in place of
        // another, an edited checksum (also one that is a prefix or an
        // extension of the right one), an id that is a prefix of another,
        // an interrupted revision.
        assert!(!matches(&ok[..2]));
        assert!(!matches(&[ok[0], ok[1], ok[2], ("d", "cd", "applied")]));
        assert!(!matches(&[ok[0], ok[1], ok[1]]));
        assert!(!matches(&[ok[0], ok[1], ("b", "cx", "applied")]));
        assert!(!matches(&[ok[0], ok[1], ("b", "c", "applied")]));
        assert!(!matches(&[ok[0], ok[1], ("b", "cbb", "applied")]));
        assert!(!matches(&[ok[0], ("", "ca", "applied"), ok[2]]));
        assert!(!matches(&[ok[0], ok[1], ("b", "cb", "running")]));

        let expected = Expected::new(3, START_UP);
        let mut matcher = expected.matcher();
        matcher.row(Some((b"c", b"cc", b"applied")));
        matcher.row(None);
        matcher.row(Some((b"a", b"ca", b"applied")));
        matcher.row(Some((b"b", b"cb", b"applied")));
        assert!(!matcher.finish(), "an unreadable row is a difference");
    }

    #[test]
    fn no_revisions_match_an_empty_history() {
        let expected = Expected::new(0, EmbeddedStartUp::EMPTY);
        assert!(expected.matcher().finish());
        let mut matcher = expected.matcher();
        matcher.row(Some((b"a", b"ca", b"applied")));
        assert!(!matcher.finish());
    }
}
