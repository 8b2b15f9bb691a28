//! Repeatable definitions at run time: applying the files under
//! `definitions/` whose text changed, after an upgrade reaches head, and
//! dropping what they created before a downgrade.
//!
//! What was applied is recorded in a companion of the history table,
//! `<version_table>_definitions` (one row per file: its name under
//! `definitions/`, its checksum, the SQL that drops what it created, its
//! place in the order, when). The history table itself is unchanged, so
//! that `current`, `heads`, `verify`, checkpoints and every older reader of
//! it stay correct; a database whose history was written before
//! definitions existed simply has no companion table yet, and the first
//! run that applies a definition creates it.

use std::borrow::Cow;
use std::collections::HashMap;
use std::time::Instant;

use migrate_core::Dialect;

use super::{Migrator, TransactionMode};
use crate::backend::{Conn, script};
use crate::error::{Error, Result};
use crate::history::{literal, quote_table};

/// A file under `definitions/` as the runtime applies it (see the guide's
/// "Repeatable definitions"). Written by `embed_migrations!` or read with
/// [`Migrator::from_directory`].
#[derive(Debug, Clone)]
pub struct Definition {
    #[doc(hidden)]
    pub name: Cow<'static, str>,
    #[doc(hidden)]
    pub path: Cow<'static, str>,
    #[doc(hidden)]
    pub checksum: Cow<'static, str>,
    #[doc(hidden)]
    pub postgres: DefinitionSql,
    #[doc(hidden)]
    pub sqlite: DefinitionSql,
}

/// A definition's statements in one dialect.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct DefinitionSql {
    /// `(file line, statement)`, in order; a statement written without
    /// `OR REPLACE` is preceded by the `DROP … IF EXISTS` of its object.
    pub apply: Cow<'static, [(u32, Cow<'static, str>)]>,
    /// The statements that drop what the file creates, in the order to run
    /// them (the last object first), joined by `;\n`.
    pub drop: Cow<'static, str>,
}

impl Definition {
    /// Its path under `definitions/` (`views.sql`, `reports/daily.sql`),
    /// what the history records it by.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The file as messages name it (`migrations/definitions/views.sql`).
    pub fn path(&self) -> &str {
        &self.path
    }

    /// The checksum of its text.
    pub fn checksum(&self) -> &str {
        &self.checksum
    }

    /// What the runtime runs on `dialect`.
    fn sql(&self, dialect: Dialect) -> &DefinitionSql {
        match dialect {
            Dialect::Postgres => &self.postgres,
            Dialect::Sqlite => &self.sqlite,
        }
    }

    /// The runtime's form of a definition the loader read.
    pub fn from_core(def: &migrate_core::definitions::Definition) -> Definition {
        Definition {
            name: Cow::Owned(def.name.clone()),
            path: Cow::Owned(def.path.clone()),
            checksum: Cow::Owned(def.checksum.clone()),
            postgres: DefinitionSql::of(def, Dialect::Postgres),
            sqlite: DefinitionSql::of(def, Dialect::Sqlite),
        }
    }
}

impl DefinitionSql {
    /// What `def` runs on `dialect`.
    pub fn of(def: &migrate_core::definitions::Definition, dialect: Dialect) -> DefinitionSql {
        DefinitionSql {
            apply: Cow::Owned(
                def.apply_sql(dialect)
                    .into_iter()
                    .map(|(line, sql)| (line, Cow::Owned(sql)))
                    .collect(),
            ),
            drop: Cow::Owned(def.drop_all_sql(dialect)),
        }
    }
}

/// Where a definition stands in a database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DefinitionState {
    /// Applied with the text it has now.
    Applied {
        /// When, as the database prints it.
        applied_at: String,
    },
    /// Applied, but the file changed since: the next upgrade to head
    /// applies it again.
    Changed {
        /// When the recorded text was applied.
        applied_at: String,
    },
    /// Never applied (or dropped by a downgrade): the next upgrade to head
    /// applies it.
    Pending,
    /// Recorded, but no longer in the directory: its objects are left as
    /// they are (drop them in a revision), until a downgrade drops them.
    Removed {
        /// When it was applied.
        applied_at: String,
    },
}

/// One row of [`Migrator::definition_status`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DefinitionStatus {
    /// The file's path under `definitions/`.
    pub name: String,
    /// Where it stands.
    pub state: DefinitionState,
}

/// A row of the companion table.
#[derive(Debug, Clone)]
struct Recorded {
    name: String,
    checksum: String,
    drop_sql: String,
    seq: i64,
    applied_at: String,
}

/// The companion table of `version_table`.
pub(crate) fn definitions_table(version_table: &str) -> String {
    format!("{version_table}_definitions")
}

fn create_sql(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             name TEXT PRIMARY KEY, \
             checksum TEXT NOT NULL, \
             drop_sql TEXT NOT NULL, \
             seq BIGINT NOT NULL, \
             applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp())",
            quote_table(table)
        ),
        Dialect::Sqlite => format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             name TEXT PRIMARY KEY NOT NULL, \
             checksum TEXT NOT NULL, \
             drop_sql TEXT NOT NULL, \
             seq INTEGER NOT NULL, \
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')))",
            quote_table(table)
        ),
    }
}

/// The record of `def` applied at `position` in the order: its row,
/// replaced.
fn record_sql(dialect: Dialect, table: &str, def: &Definition, position: usize) -> String {
    format!(
        "DELETE FROM {t} WHERE name = {name};\nINSERT INTO {t} (name, checksum, drop_sql, seq) VALUES ({name}, {checksum}, {drop}, {position})",
        t = quote_table(table),
        name = literal(dialect, def.name()),
        checksum = literal(dialect, def.checksum()),
        drop = literal(dialect, &def.sql(dialect).drop),
    )
}

/// Reads the companion table; `None` when it does not exist.
async fn read_recorded<C: Conn>(conn: &mut C, table: &str) -> Result<Option<Vec<Recorded>>> {
    if !conn
        .table_exists(table, &format!("looking for `{table}`"))
        .await?
    {
        return Ok(None);
    }
    read_existing(conn, table).await.map(Some)
}

/// Reads the companion table, which exists.
async fn read_existing<C: Conn>(conn: &mut C, table: &str) -> Result<Vec<Recorded>> {
    let at = match C::DIALECT {
        Dialect::Postgres => "applied_at::text",
        Dialect::Sqlite => "applied_at",
    };
    let read = format!(
        "SELECT name, checksum, drop_sql, seq, {at} FROM {} ORDER BY seq, name",
        quote_table(table)
    );
    type Row = (String, String, String, i64, String);
    let rows: std::result::Result<Vec<Row>, sqlx::Error> = crate::backend::on_conn!(conn.sql_conn(), c => {
        sqlx::query_as::<_, Row>(&read).fetch_all(&mut *c).await
    });
    let rows = rows.map_err(Error::db(format!("reading `{table}`")))?;
    Ok(rows
        .into_iter()
        .map(|(name, checksum, drop_sql, seq, applied_at)| Recorded {
            name,
            checksum,
            drop_sql,
            seq,
            applied_at,
        })
        .collect())
}

impl Migrator {
    /// The repeatable definitions, in the order they apply.
    pub fn definitions(&self) -> &[Definition] {
        &self.definitions
    }

    /// The table that records the applied definitions, the history
    /// table's companion: `<version_table>_definitions`. Autogenerate and
    /// `migrate check` leave it out of the comparison, as the history table.
    pub fn definitions_table(&self) -> String {
        definitions_table(&self.version_table)
    }

    /// The definitions written by `embed_migrations!`.
    #[doc(hidden)]
    pub const fn __with_definitions(mut self, definitions: &'static [Definition]) -> Migrator {
        // A `const fn` cannot drop what it overwrites; the macro calls this
        // on a fresh table, whose list is empty and borrowed.
        std::mem::forget(std::mem::replace(
            &mut self.definitions,
            Cow::Borrowed(definitions),
        ));
        self
    }

    /// Where each definition stands in the database: the files in the
    /// order they apply, then the recorded ones no longer in the directory.
    /// Reads only; takes no lock.
    pub async fn definition_status<D: crate::Database>(
        &self,
        db: &D,
    ) -> Result<Vec<DefinitionStatus>> {
        let mut conn = db.__session().await?;
        let table = definitions_table(&self.version_table);
        let recorded = read_recorded(&mut conn, &table).await?.unwrap_or_default();
        Ok(self.status_of(&recorded))
    }

    fn status_of(&self, recorded: &[Recorded]) -> Vec<DefinitionStatus> {
        let by_name: HashMap<&str, &Recorded> =
            recorded.iter().map(|r| (r.name.as_str(), r)).collect();
        let mut out: Vec<DefinitionStatus> = self
            .definitions
            .iter()
            .map(|d| DefinitionStatus {
                name: d.name().to_owned(),
                state: match by_name.get(d.name()) {
                    None => DefinitionState::Pending,
                    Some(r) if r.checksum == d.checksum() => DefinitionState::Applied {
                        applied_at: r.applied_at.clone(),
                    },
                    Some(r) => DefinitionState::Changed {
                        applied_at: r.applied_at.clone(),
                    },
                },
            })
            .collect();
        for r in recorded {
            if !self.definitions.iter().any(|d| d.name() == r.name) {
                out.push(DefinitionStatus {
                    name: r.name.clone(),
                    state: DefinitionState::Removed {
                        applied_at: r.applied_at.clone(),
                    },
                });
            }
        }
        out
    }

    /// The definitions a run to head would apply (new or changed), by name.
    pub(super) async fn pending_definitions<C: Conn>(&self, conn: &mut C) -> Result<Vec<String>> {
        if self.definitions.is_empty() {
            return Ok(Vec::new());
        }
        let table = definitions_table(&self.version_table);
        let recorded = read_recorded(conn, &table).await?.unwrap_or_default();
        Ok(self
            .status_of(&recorded)
            .into_iter()
            .filter(|s| {
                matches!(
                    s.state,
                    DefinitionState::Pending | DefinitionState::Changed { .. }
                )
            })
            .map(|s| s.name)
            .collect())
    }

    /// Does the database hold every definition with its current text?
    /// (Start-up at head's second read; `true` without definitions.)
    pub(super) async fn definitions_current<C: Conn>(&self, conn: &mut C) -> bool {
        self.definitions.is_empty()
            || self
                .pending_definitions(conn)
                .await
                .is_ok_and(|p| p.is_empty())
    }

    /// Applies, under the run's lock and after its revisions committed,
    /// every definition that is new or whose text changed, in order: each
    /// with its record, under a savepoint of one transaction (`Single`) or
    /// in a transaction of its own (`PerRevision`). A failure rolls the
    /// failing definition back, keeps those before it, and names the file
    /// and line. Returns the names applied.
    pub(super) async fn apply_definitions<C: Conn>(
        &self,
        conn: &mut C,
        current: &str,
    ) -> Result<Vec<String>> {
        if self.definitions.is_empty() {
            return Ok(Vec::new());
        }
        let dialect = C::DIALECT;
        let table = definitions_table(&self.version_table);
        conn.commit().await?;
        let read = read_recorded(conn, &table).await?;
        let missing = read.is_none();
        let recorded = read.unwrap_or_default();
        let by_name: HashMap<&str, &Recorded> =
            recorded.iter().map(|r| (r.name.as_str(), r)).collect();
        let todo: Vec<(usize, &Definition)> = self
            .definitions
            .iter()
            .enumerate()
            .filter(|(_, d)| {
                by_name
                    .get(d.name())
                    .is_none_or(|r| r.checksum != d.checksum())
            })
            .collect();
        if todo.is_empty() {
            return Ok(Vec::new());
        }
        let mut applied = Vec::new();
        conn.begin().await?;
        if missing {
            let sql = create_sql(dialect, &table);
            conn.exec(&sql).await.map_err(Error::db(format!(
                "creating `{table}`, the record of the applied definitions (if this role may not create tables, have the database's owner run: {sql})"
            )))?;
        }
        for (position, def) in todo {
            let started = Instant::now();
            conn.begin().await?;
            conn.exec(script::SAVEPOINT)
                .await
                .map_err(Error::db(format!(
                    "opening the savepoint of {}",
                    def.path()
                )))?;
            let sql = def.sql(dialect);
            for (k, (line, statement)) in sql.apply.iter().enumerate() {
                if let Err(source) = conn.exec(statement).await {
                    let kept = conn.exec(script::UNDO_SAVEPOINT).await.is_ok();
                    let outcome = if kept {
                        conn.commit().await?;
                        format!(
                            "the definition was rolled back and its record left as it was; the revisions are applied (the database is at {current}){}",
                            if applied.is_empty() {
                                String::new()
                            } else {
                                format!(", and so are the definitions {}", applied.join(", "))
                            }
                        )
                    } else {
                        let _ = conn.rollback().await;
                        format!(
                            "the definitions of this run were rolled back; the revisions are applied (the database is at {current})"
                        )
                    };
                    // The file's statement, not counting the `DROP`s run
                    // before those written without `OR REPLACE` (which
                    // share their statement's line).
                    let mut lines: Vec<u32> = sql.apply[..=k].iter().map(|(l, _)| *l).collect();
                    lines.dedup();
                    return Err(Error::DefinitionFailed {
                        path: def.path().to_owned(),
                        line: *line,
                        statement: lines.len(),
                        message: crate::migrator::apply::db_message_of(&source),
                        outcome,
                        source: Box::new(source),
                    });
                }
            }
            let record = format!(
                "{};\n{}",
                record_sql(dialect, &table, def, position),
                script::RELEASE_SAVEPOINT
            );
            conn.exec(&record).await.map_err(Error::db(format!(
                "recording the definition {} in `{table}`",
                def.name()
            )))?;
            if self.mode == TransactionMode::PerRevision {
                conn.commit().await?;
            }
            tracing::info!(
                definition = def.name(),
                duration_ms = started.elapsed().as_millis() as u64,
                "definition applied"
            );
            applied.push(def.name().to_owned());
        }
        conn.commit().await?;
        Ok(applied)
    }

    /// Before a downgrade: drops the objects of every recorded definition
    /// (the last applied first), with the SQL recorded when it was applied,
    /// and forgets their records, in one transaction. The next upgrade to
    /// head applies the files again. Nothing is done when no definition is
    /// recorded. The caller found the companion table (see `run_resuming`,
    /// which asks before paging this in).
    pub(super) async fn drop_definitions<C: Conn>(&self, conn: &mut C) -> Result<Vec<String>> {
        let table = definitions_table(&self.version_table);
        let mut recorded = read_existing(conn, &table).await?;
        if recorded.is_empty() {
            return Ok(Vec::new());
        }
        // The order the files apply now, where they are still here; the
        // recorded order for the others.
        let place = |r: &Recorded| {
            self.definitions
                .iter()
                .position(|d| d.name() == r.name)
                .map_or(r.seq, |p| p as i64)
        };
        recorded.sort_by_key(|r| std::cmp::Reverse(place(r)));
        conn.begin().await?;
        let mut dropped = Vec::new();
        for r in &recorded {
            for statement in r.drop_sql.split(";\n").filter(|s| !s.trim().is_empty()) {
                if let Err(source) = conn.exec(statement).await {
                    let _ = conn.rollback().await;
                    return Err(Error::DefinitionDropFailed {
                        name: r.name.clone(),
                        statement: statement.to_owned(),
                        message: crate::migrator::apply::db_message_of(&source),
                        source: Box::new(source),
                    });
                }
            }
            dropped.push(r.name.clone());
        }
        conn.exec(&format!("DELETE FROM {}", quote_table(&table)))
            .await
            .map_err(Error::db(format!(
                "forgetting the definitions in `{table}`"
            )))?;
        conn.commit().await?;
        Ok(dropped)
    }
}

impl Migrator {
    /// The definitions' part of an offline script (`upgrade --sql` to head,
    /// `downgrade --sql`), in `dialect`: for an upgrade, every definition
    /// of this build applied in order with its record, after the revisions;
    /// for a downgrade, what every definition of this build creates
    /// dropped (the last first) and the records forgotten, before the
    /// revisions. A script cannot know which definitions the database has,
    /// so an upgrade applies them all (each is `CREATE OR REPLACE`, or
    /// dropped first) and a downgrade drops with `IF EXISTS`. Empty when
    /// the build has no definitions.
    pub(crate) fn offline_definitions(
        &self,
        dialect: Dialect,
        direction: migrate_core::Direction,
    ) -> String {
        use std::fmt::Write as _;
        if self.definitions.is_empty() {
            return String::new();
        }
        let table = definitions_table(&self.version_table);
        let mut out = String::new();
        match direction {
            migrate_core::Direction::Upgrade => out.push_str(
                "-- Repeatable definitions (definitions/), once every revision is applied, each with its record:\n-- all of them, since a script cannot know which ones the database has.\n",
            ),
            migrate_core::Direction::Downgrade => out.push_str(
                "-- Repeatable definitions (definitions/): what this build's files create is dropped\n-- before the first revision, and their records forgotten; `upgrade head` applies them again.\n",
            ),
        }
        out.push_str(&create_sql(dialect, &table));
        out.push_str(";\n\n");
        out.push_str(&crate::offline::begin_sql(dialect, self));
        match direction {
            migrate_core::Direction::Upgrade => {
                for (position, def) in self.definitions.iter().enumerate() {
                    let _ = writeln!(
                        out,
                        "-- definition {}",
                        migrate_core::escape_control(def.path())
                    );
                    for (_, statement) in def.sql(dialect).apply.iter() {
                        crate::offline::push_statement(&mut out, statement);
                    }
                    out.push_str(&record_sql(dialect, &table, def, position));
                    out.push_str(";\n\n");
                }
            }
            migrate_core::Direction::Downgrade => {
                for def in self.definitions.iter().rev() {
                    let _ = writeln!(
                        out,
                        "-- definition {}",
                        migrate_core::escape_control(def.path())
                    );
                    for statement in def
                        .sql(dialect)
                        .drop
                        .split(";\n")
                        .filter(|s| !s.trim().is_empty())
                    {
                        crate::offline::push_statement(&mut out, statement);
                    }
                    out.push('\n');
                }
                let _ = writeln!(out, "DELETE FROM {};\n", quote_table(&table));
            }
        }
        out.push_str("COMMIT;\n");
        out
    }
}
