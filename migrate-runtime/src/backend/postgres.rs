//! PostgreSQL: the advisory lock, transactions, and the history table
//! through the simple and extended query protocols.

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
        // The server process of the first attempt: a session keeps its
        // process, so another one answering a later attempt means a pooler.
        let mut first_pid = None;
        loop {
            // Polling pg_try_advisory_lock instead of blocking in
            // pg_advisory_lock: a blocked waiter would hold a snapshot that
            // makes the holder's CREATE INDEX CONCURRENTLY wait for it.
            //
            // One statement, so one server session even through a pooler:
            // does this session hold the lock already (then it is shared
            // with another client, as a transaction pooler shares it), and
            // if not, take it and say which server process holds it.
            let answer = self
                .simple_row(&lock_sql(key))
                .await
                .map_err(|e| self.lock_error(table, e))?;
            let (held, got, pid) = (answer[0] != 0, answer[1] != 0, answer[2] as i32);
            if held {
                return Err(Error::PooledConnection {
                    table: table.to_owned(),
                    evidence: format!(
                        "server process {pid} already held the lock (advisory lock key {key}) when this run asked for it, so its session is shared with another client"
                    ),
                    outcome: format!(
                        "nothing was changed; the lock stays with that session until the pooler closes its server connection (restart PgBouncer, or end the process with `SELECT pg_terminate_backend({pid})`)"
                    ),
                });
            }
            match first_pid {
                None => first_pid = Some(pid),
                Some(first) if first != pid => {
                    if got {
                        let _ = self
                            .exec(&format!("SELECT pg_advisory_unlock({key})"))
                            .await;
                    }
                    return Err(Error::PooledConnection {
                        table: table.to_owned(),
                        evidence: format!(
                            "while this run waited for the lock, its attempts were answered by server process {first}, then by server process {pid}"
                        ),
                        outcome: "nothing was changed".to_owned(),
                    });
                }
                Some(_) => {}
            }
            if got {
                self.locked = true;
                self.lock_key = key;
                self.backend_pid = pid;
                self.lock_table = table.to_owned();
                // The next statement must reach the same session.
                let again = self
                    .simple_row("SELECT pg_backend_pid()::bigint")
                    .await
                    .map_err(|e| self.lock_error(table, e))?[0] as i32;
                if again != pid {
                    return Err(self.moved(again, "nothing was changed").await);
                }
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
            let answer = self
                .simple_row(&format!(
                    "SELECT pg_advisory_unlock({})::int::bigint, pg_backend_pid()::bigint",
                    self.lock_key
                ))
                .await
                .map_err(Error::db("releasing the migration lock"))?;
            let (released, pid) = (answer[0] != 0, answer[1] as i32);
            self.locked = false;
            if !released {
                return Err(self
                    .moved(
                        pid,
                        "the run's work is committed, but its lock was not released",
                    )
                    .await);
            }
        }
        Ok(())
    }

    async fn begin(&mut self) -> Result<()> {
        if self.in_tx {
            return Ok(());
        }
        if !self.locked {
            self.exec("BEGIN")
                .await
                .map_err(Error::db("opening a transaction"))?;
            self.in_tx = true;
            return Ok(());
        }
        self.begin_on_lock_holder().await
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
        self.begin_on_lock_holder().await?;
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

    async fn exec<'a>(&'a mut self, sql: &'a str) -> Result<(), sqlx::Error> {
        // A bare `&str` has no arguments, so sqlx sends it with the simple
        // query protocol: several statements in one round trip. sqlx is
        // called from this async body, which the migrator's generic code
        // awaits: sqlx's executor is then compiled into the binary's crate
        // beside the copy the migrator's other statements put there, not a
        // second time in this crate (a call outside the async body would
        // compile it here), which a run would page in as well.
        sqlx::Executor::execute(&mut *self.conn, sql)
            .await
            .map(|_| ())
    }

    async fn fetch_i64s<'a>(&'a mut self, sql: &'a str) -> Result<Vec<i64>, sqlx::Error> {
        sqlx::Executor::fetch_all(&mut *self.conn, sql)
            .await?
            .iter()
            .map(|row| row.try_get(0))
            .collect()
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

/// Takes the advisory lock `key` unless this session holds it already,
/// in one statement of the simple query protocol (a transaction pooler
/// may send the parts of an extended-protocol query to different server
/// sessions). Answers 1 or 0 for held before and taken now, and the
/// server process.
fn lock_sql(key: i64) -> String {
    let (high, low) = (key as u64 >> 32, key as u64 & 0xffff_ffff);
    format!(
        "WITH before AS MATERIALIZED (\
           SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted \
             AND pid = pg_backend_pid() AND classid::bigint = {high} AND objid::bigint = {low} \
             AND objsubid = 1 \
             AND database = (SELECT oid FROM pg_database WHERE datname = current_database())) AS held) \
         SELECT held::int::bigint, \
           (CASE WHEN held THEN false ELSE pg_try_advisory_lock({key}) END)::int::bigint, \
           pg_backend_pid()::bigint FROM before"
    )
}

impl Session<Postgres> {
    /// One row of `bigint` columns, by the simple query protocol.
    async fn simple_row(&mut self, sql: &str) -> Result<Vec<i64>, sqlx::Error> {
        let row = sqlx::Executor::fetch_one(&mut *self.conn, sql).await?;
        (0..row.len()).map(|i| row.try_get::<i64, _>(i)).collect()
    }

    /// Opens a transaction that also takes the migration lock at
    /// transaction level (granted at once to the session that holds it,
    /// so that `commit_batch` can hand the session's hold over to it), and
    /// checks, in the same round trip, that it runs in the server process
    /// that holds the lock: `false` from the non-blocking lock call means
    /// another session holds it.
    async fn begin_on_lock_holder(&mut self) -> Result<()> {
        let sql = format!(
            "BEGIN; SELECT CASE WHEN pg_try_advisory_xact_lock({}) THEN pg_backend_pid() ELSE -pg_backend_pid() END::bigint",
            self.lock_key
        );
        let answer = self
            .fetch_i64s(&sql)
            .await
            .map_err(Error::db("opening a transaction"))?;
        self.in_tx = true;
        let pid = answer.first().copied().unwrap_or_default();
        if pid != i64::from(self.backend_pid) {
            let _ = self.exec("ROLLBACK").await;
            self.in_tx = false;
            return Err(self
                .moved(
                    pid.unsigned_abs() as i32,
                    "what this run committed before stays, recorded in the history table; nothing after it ran",
                )
                .await);
        }
        Ok(())
    }

    /// The error for a statement of a locked run that reached server
    /// process `pid`, not the lock's: after a best-effort release.
    async fn moved(&mut self, pid: i32, outcome: &str) -> Error {
        let holder = self.backend_pid;
        let released = self
            .simple_row(&format!(
                "SELECT pg_advisory_unlock({})::int::bigint",
                self.lock_key
            ))
            .await
            .is_ok_and(|answer| answer[0] != 0);
        self.locked = false;
        let lock = if released {
            String::new()
        } else {
            format!(
                "; the lock stays with server process {holder} until the pooler closes that server connection (restart PgBouncer, or `SELECT pg_terminate_backend({holder})`)"
            )
        };
        Error::PooledConnection {
            table: self.lock_table.clone(),
            evidence: format!(
                "server process {holder} took the lock (advisory lock key {}), and a later statement of the same run reached server process {pid}",
                self.lock_key
            ),
            outcome: format!("{outcome}{lock}"),
        }
    }

    /// The lock statement's failure: through a pooler that does not keep
    /// prepared statements (PgBouncer before 1.21 in transaction pooling),
    /// a refusal that says so; otherwise the database error.
    fn lock_error(&self, table: &str, e: sqlx::Error) -> Error {
        let pooled = matches!(&e, sqlx::Error::Database(d)
            if matches!(d.code().as_deref(), Some("42P05" | "26000" | "08P01")));
        if pooled {
            return Error::PooledConnection {
                table: table.to_owned(),
                evidence: format!(
                    "the server answered a statement of this connection as if it came from another client ({e})"
                ),
                outcome: "nothing was changed".to_owned(),
            };
        }
        Error::db("taking the migration lock")(e)
    }

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
        // The simple query protocol, which a transaction pooler passes
        // through whole (the key's halves are numbers).
        let sql = format!(
            "SELECT a.pid, coalesce(a.application_name, ''), coalesce(host(a.client_addr), 'local socket'), \
             coalesce(to_char(a.backend_start, 'YYYY-MM-DD HH24:MI:SS'), ''), coalesce(a.state, ''), \
             coalesce(extract(epoch FROM now() - a.state_change)::bigint, 0) \
             FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid \
             WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = {} AND l.objid::bigint = {} AND l.objsubid = 1 \
             AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())",
            key as u64 >> 32,
            key as u64 & 0xffff_ffff
        );
        let query = sqlx::Executor::fetch_optional(&mut *self.conn, sql.as_str())
            .await
            .and_then(|row| {
                row.map(|r| {
                    Ok::<_, sqlx::Error>((
                        r.try_get::<i32, _>(0)?,
                        r.try_get::<String, _>(1)?,
                        r.try_get::<String, _>(2)?,
                        r.try_get::<String, _>(3)?,
                        r.try_get::<String, _>(4)?,
                        r.try_get::<i64, _>(5)?,
                    ))
                })
                .transpose()
            });
        match query {
            Ok(Some((pid, app, addr, start, state, since))) => {
                let app = if app.is_empty() {
                    String::new()
                } else {
                    format!(", application `{app}`")
                };
                // A migrator is idle outside a transaction only between its
                // steps; a session idle for long with the lock may be a
                // pooler's, which kept the lock of a client that left.
                let pooled = if state == "idle" && since >= 2 {
                    format!(
                        "; that session has been idle for {since} s: if it is a connection pooler's server connection (PgBouncer in transaction pooling keeps a session's advisory lock after its client has gone), restart the pooler or run `SELECT pg_terminate_backend({pid})`, and connect the migrator directly or through session pooling"
                    )
                } else {
                    String::new()
                };
                format!(
                    " (advisory lock key {key}, held by server process {pid}{app}, from {addr}, connected since {start}{pooled})"
                )
            }
            _ => format!(" (advisory lock key {key})"),
        }
    }
}
