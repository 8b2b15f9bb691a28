//! SQLite: the lock file and the write transaction, foreign-key
//! enforcement around a run, and the history table.

use std::time::{Duration, Instant};

use migrate_core::Dialect;
use sqlx::Row as _;
use sqlx::{Sqlite, SqlitePool};

use super::{Conn, Database, Session, SqlConn};
use crate::error::{Error, Result};
use crate::history::{self, NewRow, plain_table};
use crate::startup::Expected;

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
    const DIALECT: Dialect = Dialect::Sqlite;

    fn sql_conn(&mut self) -> SqlConn<'_> {
        SqlConn::Sqlite(&mut self.conn)
    }

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

    async fn insert_rows<'a>(
        &'a mut self,
        table: &'a str,
        rows: &'a [NewRow<'a>],
    ) -> Result<u64, sqlx::Error> {
        // A multi-row `VALUES` of literals costs SQLite little to parse,
        // and a statement run once has no place in the statement cache.
        // Rows go 64 at a time: a statement's size (its text, and SQLite's
        // program for it) grows with its rows, and the rows carry each
        // revision's downgrade SQL.
        let mut written = 0;
        for rows in rows.chunks(64) {
            let sql = self.counted_sql(&history::insert_literal_sql(Dialect::Sqlite, table, rows));
            let counts = Conn::fetch_i64s(self, &sql).await?;
            written += counts.first().map_or(0, |&n| u64::try_from(n).unwrap_or(0));
        }
        Ok(written)
    }

    fn in_transaction(&self) -> bool {
        self.in_tx
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_tx = open;
    }

    async fn exec<'a>(&'a mut self, sql: &'a str) -> Result<(), sqlx::Error> {
        // Several statements run in order. `raw_sql`: migration SQL runs
        // once, so its prepared statements are not kept in the
        // connection's statement cache. sqlx is called from this async
        // body, as on PostgreSQL: its executor is compiled once, in the
        // binary's crate, not a second time in this one.
        sqlx::Executor::execute(&mut *self.conn, sqlx::raw_sql(sql))
            .await
            .map(|_| ())
    }

    async fn fetch_i64s<'a>(&'a mut self, sql: &'a str) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::Executor::fetch_all(&mut *self.conn, sqlx::raw_sql(sql))
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect()
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
        let sql = history::start_up_sql(Dialect::Sqlite, table);
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
        if !(usize::try_from(count).is_ok_and(|n| n == expected.len()) && incomplete == 0) {
            return false;
        }
        if joined == expected.joined() {
            return true;
        }
        // Rows written with an older checksum version (or anything else
        // that differs): pair by pair, each checksum compared with the
        // versions the table knows.
        let mut matcher = expected.matcher();
        for pair in joined.split(',').filter(|p| !p.is_empty()) {
            matcher.row(pair.split_once(' ').map(|(revision, checksum)| {
                (revision.as_bytes(), checksum.as_bytes(), &b"applied"[..])
            }));
        }
        matcher.finish()
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
