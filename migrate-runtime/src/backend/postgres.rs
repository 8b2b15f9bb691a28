//! PostgreSQL: the advisory lock, transactions, and the history table
//! through the simple and extended query protocols.

use std::future::Future;
use std::time::{Duration, Instant};

use migrate_core::Dialect;
use sqlx::Row as _;
use sqlx::{PgPool, Postgres};

use super::{Conn, Database, Session, SqlConn};
use crate::error::{Error, Result};
use crate::history::{self, NewRow, plain_table};
use crate::startup::Expected;

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
    const DIALECT: Dialect = Dialect::Postgres;

    fn sql_conn(&mut self) -> SqlConn<'_> {
        SqlConn::Postgres(&mut self.conn)
    }

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
        // pays for the cache invalidations, about 6 ms at N = 1,000:
        // docs/performance.md#what-each-cost-depends-on-scale-notes).
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

    async fn insert_rows<'a>(
        &'a mut self,
        table: &'a str,
        rows: &'a [NewRow<'a>],
    ) -> Result<u64, sqlx::Error> {
        // One array per column (see `history::insert_arrays_sql`), 64 rows
        // at a time: the rows carry each revision's downgrade SQL, and what
        // is held at once should not grow with the plan.
        let sql = history::insert_arrays_sql(table);
        let mut written = 0;
        for rows in rows.chunks(64) {
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
                .bind(rows.iter().map(|r| r.downgrade_sql).collect::<Vec<_>>())
                .bind(column(|r| r.downgrade_kind))
                .execute(&mut *self.conn)
                .await?;
            written += done.rows_affected();
        }
        Ok(written)
    }

    fn in_transaction(&self) -> bool {
        self.in_tx
    }

    fn set_in_transaction(&mut self, open: bool) {
        self.in_tx = open;
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
        let sql = history::start_up_sql(Dialect::Postgres, table);
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

    async fn lock_timeout_setting(&mut self) -> Result<Option<String>> {
        self.show_lock_timeout().await
    }

    async fn lock_holders<'a>(&'a mut self, names: &'a [String]) -> String {
        self.holders_of(names).await
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
    async fn show_lock_timeout(&mut self) -> Result<Option<String>> {
        sqlx::query_scalar::<_, String>("SELECT current_setting('lock_timeout')")
            .fetch_one(&mut *self.conn)
            .await
            .map(Some)
            .map_err(Error::db("reading the session's lock_timeout"))
    }

    /// Sessions holding locks on the tables named `names`, longest
    /// transaction first. Their statements are not shown: another
    /// session's SQL may carry a password.
    async fn holders_of(&mut self, names: &[String]) -> String {
        let rows = sqlx::query_as::<_, (i32, String, String, String, String, i64, String)>(
            "SELECT a.pid, coalesce(a.usename::text, ''), coalesce(a.application_name, ''), \
             coalesce(host(a.client_addr), 'local socket'), coalesce(a.state, ''), \
             coalesce(extract(epoch FROM now() - a.xact_start)::bigint, -1), \
             string_agg(DISTINCT c.relname || ' (' || l.mode || ')', ', ') \
             FROM pg_locks l JOIN pg_class c ON c.oid = l.relation JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'relation' AND l.granted AND l.pid <> pg_backend_pid() \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) \
             AND c.relname = ANY($1) \
             GROUP BY 1, 2, 3, 4, 5, 6 ORDER BY 6 DESC, 1 LIMIT 5",
        )
        .bind(names)
        .fetch_all(&mut *self.conn)
        .await;
        let Ok(rows) = rows else {
            return String::new();
        };
        rows.iter()
            .map(|(pid, user, app, addr, state, age, locks)| {
                let app = if app.is_empty() {
                    String::new()
                } else {
                    format!(", application `{app}`")
                };
                let age = if *age >= 0 {
                    format!(" for {age} s")
                } else {
                    String::new()
                };
                format!(
                    "server process {pid} (user `{user}`{app}, from {addr}, {state}{age}) holds {locks}"
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

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
