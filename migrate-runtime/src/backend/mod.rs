//! What a run needs from a database (the `Database` and `Conn` traits) and
//! the session they share; one implementation per database beside it.
//!
//! What differs between the databases only by dialect (the history table's
//! statements and their bound values) is written once here, as the `Conn`
//! trait's default methods; `postgres.rs` and `sqlite.rs` keep what truly
//! differs: locking, transactions, execution and catalog reads.

use std::future::Future;
use std::time::Duration;

use migrate_core::Dialect;

use crate::error::{Error, Result};
use crate::history::{self, HistoryEntry, NewRow, RowView};
use crate::startup::Expected;

#[cfg(feature = "postgres")]
mod postgres;
pub(crate) mod script;
#[cfg(feature = "sqlite")]
mod sqlite;

/// A database the migrator can run against: `sqlx::PgPool` or `sqlx::SqlitePool`.
pub trait Database: Sync {
    #[doc(hidden)]
    type Session: Conn;
    #[doc(hidden)]
    fn __session(&self) -> impl Future<Output = Result<Self::Session>> + Send;
}

/// A session's sqlx connection, by database: what the statements written
/// once for both databases run on.
#[doc(hidden)]
pub enum SqlConn<'a> {
    /// A PostgreSQL connection.
    #[cfg(feature = "postgres")]
    Postgres(&'a mut sqlx::PgConnection),
    /// A SQLite connection.
    #[cfg(feature = "sqlite")]
    Sqlite(&'a mut sqlx::SqliteConnection),
}

/// Runs `$body` with `$c` bound to the connection of whichever database
/// `$conn` holds: the same source, compiled once per database.
macro_rules! on_conn {
    ($conn:expr, $c:ident => $body:expr) => {
        match $conn {
            #[cfg(feature = "postgres")]
            $crate::backend::SqlConn::Postgres($c) => $body,
            #[cfg(feature = "sqlite")]
            $crate::backend::SqlConn::Sqlite($c) => $body,
        }
    };
}
pub(crate) use on_conn;

/// The operations a migration run needs from one connection.
#[doc(hidden)]
pub trait Conn: Send {
    /// Which database this is.
    const DIALECT: Dialect;
    /// The session's connection, for the statements written once here.
    fn sql_conn(&mut self) -> SqlConn<'_>;
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
    fn dialect(&self) -> Dialect {
        Self::DIALECT
    }
    /// Opens a transaction if none is open.
    fn begin(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            if !self.in_transaction() {
                self.exec(script::begin_sql(Self::DIALECT))
                    .await
                    .map_err(Error::db("opening a transaction"))?;
                self.set_in_transaction(true);
            }
            Ok(())
        }
    }
    /// Opens the scope of a one-script run (see `Migrator::execute_batched`):
    /// on PostgreSQL a transaction, none being open yet; on SQLite, whose
    /// lock is the open transaction, a savepoint in it. `false`, having done
    /// nothing, when the session is not in that state.
    fn begin_batch(&mut self) -> impl Future<Output = Result<bool>> + Send;
    /// Keeps the one-script run's work: commits it.
    fn commit_batch(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// Undoes the one-script run's work; on SQLite the lock stays held.
    fn rollback_batch(&mut self) -> impl Future<Output = Result<()>> + Send;
    /// One statement answering the database's clock in microseconds (see
    /// `script::clock_sql`).
    fn clock_sql(&self) -> &'static str {
        script::clock_sql(Self::DIALECT)
    }
    /// `write` (an `INSERT` or `DELETE`) made to answer the number of rows
    /// it wrote, as one `bigint` row.
    fn counted_sql(&self, write: &str) -> String {
        script::counted_sql(Self::DIALECT, write)
    }
    /// Writes history rows in one statement of the open transaction and
    /// answers how many it wrote.
    fn insert_rows<'a>(
        &'a mut self,
        table: &'a str,
        rows: &'a [NewRow<'a>],
    ) -> impl Future<Output = Result<u64, sqlx::Error>> + Send + 'a;
    /// Commits the open transaction, if any.
    fn commit(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            if self.in_transaction() {
                self.exec("COMMIT").await.map_err(Error::db("committing"))?;
                self.set_in_transaction(false);
            }
            Ok(())
        }
    }
    /// Rolls back the open transaction, if any.
    fn rollback(&mut self) -> impl Future<Output = Result<()>> + Send {
        async move {
            if self.in_transaction() {
                self.set_in_transaction(false);
                self.exec("ROLLBACK")
                    .await
                    .map_err(Error::db("rolling back"))?;
            }
            Ok(())
        }
    }
    /// Is a transaction open?
    fn in_transaction(&self) -> bool;
    /// Records that a transaction was opened or ended.
    fn set_in_transaction(&mut self, open: bool);
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
    /// Creates the history table when missing, and reads it. PostgreSQL
    /// looks for it first: its `CREATE TABLE IF NOT EXISTS` needs the right
    /// to create in the schema even when the table is there, which a role
    /// that may only write the existing table lacks. Either way the table
    /// then exists, so the read does not look for it again.
    fn ensure_history(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>>> + Send {
        async move {
            self.prepare_history(table).await?;
            read_rows(self.sql_conn(), Self::DIALECT, table, false).await
        }
    }
    /// [`ensure_history`](Conn::ensure_history) without the read.
    fn prepare_history(&mut self, table: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            let created = Self::DIALECT == Dialect::Sqlite
                || !history_exists(self.sql_conn(), Self::DIALECT, table).await?;
            if created {
                let sql = history::create_history_sql(Self::DIALECT, table);
                self.exec(&sql)
                    .await
                    .map_err(Error::db(format!("creating the history table `{table}`")))?;
            }
            // SQLite's `IF NOT EXISTS` may have found an older table.
            if !created || Self::DIALECT == Dialect::Sqlite {
                self.ensure_downgrade_columns(table).await?;
            }
            Ok(())
        }
    }
    /// Hands each history row to `f` as it arrives, without `applied_at`,
    /// and keeps none: what a run concludes from a long history is small,
    /// the rows are not. `exists`: the table is known to exist (else it is
    /// looked for, and a missing one has no rows). The first error of `f`
    /// is returned once the read ends.
    fn fold_history<'a>(
        &'a mut self,
        table: &'a str,
        exists: bool,
        f: &'a mut (dyn FnMut(RowView<'_>) -> Result<()> + Send),
    ) -> impl Future<Output = Result<()>> + Send + 'a {
        async move {
            if !exists && !history_exists(self.sql_conn(), Self::DIALECT, table).await? {
                return Ok(());
            }
            fold_rows(self.sql_conn(), Self::DIALECT, table, false, f).await
        }
    }
    /// Adds the columns that keep each revision's downgrade to a history
    /// table created before they existed.
    fn ensure_downgrade_columns(&mut self, table: &str) -> impl Future<Output = Result<()>> + Send {
        async move {
            let param = history::exists_param(Self::DIALECT, table);
            let count = on_conn!(self.sql_conn(), c => {
                sqlx::query_scalar::<_, i64>(history::downgrade_columns_sql(Self::DIALECT))
                    .bind(param)
                    .fetch_one(c)
                    .await
            });
            if count.map_err(Error::db(format!("reading the columns of `{table}`")))? == 2 {
                return Ok(());
            }
            let sql = history::add_downgrade_columns_sql(Self::DIALECT, table);
            self.exec(&sql).await.map_err(Error::db(format!(
                "adding the columns that keep each revision's downgrade to the history table `{table}` (if this role may not alter it, have its owner run: {sql})"
            )))
        }
    }
    /// Every history row's revision with its stored downgrade SQL and kind
    /// (`NULL`s for rows written before they were kept), newest first.
    fn stored_downgrades(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<StoredDowngrade>>> + Send {
        async move {
            let sql = history::stored_downgrades_sql(table);
            let rows = on_conn!(self.sql_conn(), c => {
                sqlx::query_as::<_, StoredDowngrade>(&sql)
                    .fetch_all(c)
                    .await
            });
            rows.map_err(Error::db(format!(
                "reading the stored downgrades in `{table}`"
            )))
        }
    }
    /// Does `table` exist (asked the way the history table is looked for)?
    fn table_exists<'a>(
        &'a mut self,
        table: &'a str,
        looking: &'a str,
    ) -> impl Future<Output = Result<bool>> + Send + 'a {
        table_exists(self.sql_conn(), Self::DIALECT, table, looking)
    }
    /// Reads the history table (empty when it does not exist), for a run
    /// or a question about it: each row's `applied_at` is left empty.
    fn read_history(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>>> + Send {
        self.read_history_rows(table, false)
    }
    /// [`read_history`](Conn::read_history) with when each row was applied,
    /// for [`Migrator::history`](crate::Migrator::history).
    fn read_history_with_times(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>>> + Send {
        self.read_history_rows(table, true)
    }
    /// Reads the history table (empty when it does not exist), with or
    /// without each row's `applied_at`.
    fn read_history_rows(
        &mut self,
        table: &str,
        times: bool,
    ) -> impl Future<Output = Result<Vec<HistoryEntry>>> + Send {
        async move {
            if !history_exists(self.sql_conn(), Self::DIALECT, table).await? {
                return Ok(Vec::new());
            }
            read_rows(self.sql_conn(), Self::DIALECT, table, times).await
        }
    }
    /// Inserts a history row.
    fn insert_row(
        &mut self,
        table: &str,
        row: &NewRow<'_>,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = history::insert_bound_sql(Self::DIALECT, table);
            let done = on_conn!(self.sql_conn(), c => {
                sqlx::query(&sql)
                    .bind(row.revision)
                    .bind(row.checksum)
                    .bind(row.duration_ms)
                    .bind(row.state)
                    .bind(row.statements_done)
                    .bind(row.seq)
                    .bind(row.message)
                    .bind(row.downgrade_sql)
                    .bind(row.downgrade_kind)
                    .execute(c)
                    .await
                    .map(drop)
            });
            done.map_err(Error::db(format!(
                "recording revision {} in `{table}`",
                row.revision
            )))
        }
    }
    /// Updates state and progress of a row.
    fn update_row(
        &mut self,
        table: &str,
        revision: &str,
        state: &str,
        done: i64,
        duration_ms: i64,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = history::update_bound_sql(Self::DIALECT, table);
            let written = on_conn!(self.sql_conn(), c => {
                sqlx::query(&sql)
                    .bind(revision)
                    .bind(state)
                    .bind(done)
                    .bind(duration_ms)
                    .execute(c)
                    .await
                    .map(drop)
            });
            written.map_err(Error::db(format!(
                "recording progress of revision {revision} in `{table}`"
            )))
        }
    }
    /// Replaces the checksum recorded for a revision.
    fn set_checksum(
        &mut self,
        table: &str,
        revision: &str,
        checksum: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = history::set_checksum_bound_sql(Self::DIALECT, table);
            let written = on_conn!(self.sql_conn(), c => {
                sqlx::query(&sql)
                    .bind(revision)
                    .bind(checksum)
                    .execute(c)
                    .await
                    .map(drop)
            });
            written.map_err(Error::db(format!(
                "recording the checksum of revision {revision} in `{table}`"
            )))
        }
    }
    /// Deletes a history row.
    fn delete_row(
        &mut self,
        table: &str,
        revision: &str,
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let sql = history::delete_bound_sql(Self::DIALECT, table);
            let done = on_conn!(self.sql_conn(), c => {
                sqlx::query(&sql).bind(revision).execute(c).await.map(drop)
            });
            done.map_err(Error::db(format!(
                "removing revision {revision} from `{table}`"
            )))
        }
    }
    /// Deletes history rows in one statement (SQLite: one per
    /// [`MAX_BOUND`] rows).
    fn delete_rows(
        &mut self,
        table: &str,
        revisions: &[&str],
    ) -> impl Future<Output = Result<()>> + Send {
        async move {
            let done = match self.sql_conn() {
                #[cfg(feature = "postgres")]
                SqlConn::Postgres(c) => {
                    let sql = history::delete_bound_many_sql(Dialect::Postgres, table, 1);
                    sqlx::query(&sql).bind(revisions).execute(c).await.map(drop)
                }
                #[cfg(feature = "sqlite")]
                SqlConn::Sqlite(c) => {
                    let mut done = Ok(());
                    for chunk in revisions.chunks(MAX_BOUND) {
                        let sql =
                            history::delete_bound_many_sql(Dialect::Sqlite, table, chunk.len());
                        let query = chunk
                            .iter()
                            .fold(sqlx::query(&sql), |query, revision| query.bind(*revision));
                        done = query.execute(&mut *c).await.map(drop);
                        if done.is_err() {
                            break;
                        }
                    }
                    done
                }
            };
            done.map_err(Error::db(match revisions {
                [revision] => format!("removing revision {revision} from `{table}`"),
                _ => format!("removing revisions {} from `{table}`", revisions.join(", ")),
            }))
        }
    }
    /// Lines describing the user schema (tables, columns, indexes, ...), sorted.
    fn schema_fingerprint(
        &mut self,
        table: &str,
    ) -> impl Future<Output = Result<Vec<String>>> + Send;
    /// PostgreSQL: the session's `lock_timeout` as `SHOW` prints it, which
    /// a revision run with its own puts back. SQLite (no such setting):
    /// `None`.
    fn lock_timeout_setting(&mut self) -> impl Future<Output = Result<Option<String>>> + Send {
        async { Ok(None) }
    }
    /// PostgreSQL: who else holds locks on the tables named `names` (the
    /// words of a statement that timed out waiting), described for the
    /// error; empty when nobody does or on SQLite.
    fn lock_holders<'a>(
        &'a mut self,
        names: &'a [String],
    ) -> impl Future<Output = String> + Send + 'a {
        let _ = names;
        async { String::new() }
    }
}

/// A history row's revision, stored downgrade SQL and its kind.
pub(crate) type StoredDowngrade = (String, Option<String>, Option<String>);

/// Did `error` come from a lock that was not granted in time
/// (PostgreSQL's `lock_not_available`, SQLSTATE 55P03: `lock_timeout`
/// or `NOWAIT`)?
pub(crate) fn is_lock_not_available(error: &sqlx::Error) -> bool {
    matches!(error, sqlx::Error::Database(d) if d.code().as_deref() == Some("55P03"))
}

/// The default advisory-lock key of a history table (FNV-1a of its name),
/// used unless the migrator is given one (`Migrator::with_lock_key`).
pub(crate) fn lock_key(table: &str) -> i64 {
    fnv1a(b"migrate:".iter().chain(table.as_bytes()).copied()) as i64
}

/// FNV-1a, 64 bits: keys and names derived from text, the same in every
/// process and release.
pub(crate) fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        hash ^= u64::from(b);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
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
    // PostgreSQL: the server process that took the advisory lock; every
    // transaction of the run checks it runs there (a transaction pooler
    // would move it elsewhere).
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    backend_pid: i32,
    #[cfg_attr(not(feature = "postgres"), allow(dead_code))]
    lock_table: String,
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
            backend_pid: 0,
            lock_table: String::new(),
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

/// The most values one SQLite statement binds: the limit of SQLite before
/// 3.32, which a system library may still have.
#[cfg(feature = "sqlite")]
const MAX_BOUND: usize = 999;

/// Does the history table exist? One `bool` row (see `history::exists_sql`).
async fn history_exists(conn: SqlConn<'_>, dialect: Dialect, table: &str) -> Result<bool> {
    table_exists(conn, dialect, table, "looking for the history table").await
}

/// Does `table` exist? The history table's check, for another table of
/// the run; `looking` is what an error says was being done.
async fn table_exists(
    conn: SqlConn<'_>,
    dialect: Dialect,
    table: &str,
    looking: &str,
) -> Result<bool> {
    let param = history::exists_param(dialect, table);
    let exists = on_conn!(conn, c => {
        sqlx::query_scalar::<_, bool>(history::exists_sql(dialect))
            .bind(param)
            .fetch_one(c)
            .await
    });
    exists.map_err(Error::db(looking))
}

/// Reads the history table, which exists.
/// Without `times`, each row's `applied_at` is left empty (see
/// [`Conn::read_history_with_times`]).
async fn read_rows(
    conn: SqlConn<'_>,
    dialect: Dialect,
    table: &str,
    times: bool,
) -> Result<Vec<HistoryEntry>> {
    let mut entries = Vec::new();
    fold_rows(conn, dialect, table, times, &mut |row| {
        entries.push(row.to_entry());
        Ok(())
    })
    .await?;
    Ok(entries)
}

/// Hands each row of the history table, which exists, to `f` as it
/// arrives; see [`Conn::fold_history`].
async fn fold_rows(
    conn: SqlConn<'_>,
    dialect: Dialect,
    table: &str,
    times: bool,
    f: &mut (dyn FnMut(RowView<'_>) -> Result<()> + Send),
) -> Result<()> {
    let sql = history::read_sql(dialect, table);
    // Each row is decoded as it arrives and dropped: holding every driver
    // row until the last one came would double the peak of a long history.
    // After an error of `f` the rest is read and left, so that the
    // connection is between statements again.
    let mut failed = None;
    let read = on_conn!(conn, c => {
        let mut stream = sqlx::query(&sql).fetch(c);
        loop {
            let next = std::future::poll_fn(|cx| {
                futures_core::Stream::poll_next(stream.as_mut(), cx)
            })
            .await;
            match next {
                None => break Ok(()),
                Some(Err(e)) => break Err(e),
                Some(Ok(_)) if failed.is_some() => {}
                Some(Ok(row)) => match history::decode_row(&row, times) {
                    Ok(view) => failed = f(view).err(),
                    Err(e) => break Err(e),
                },
            }
        }
    });
    read.map_err(Error::db(format!("reading the history table `{table}`")))?;
    failed.map_or(Ok(()), Err)
}
