//! The history table: its rows, and every statement that creates, reads or
//! writes it, in both dialects, written once for the online run (the
//! backends and the migrator's scripts) and the offline `--sql` script.
//!
//! A value goes in either as a bind parameter (the backends' single-row
//! writes) or as a literal (the scripts, which carry many rows in one round
//! trip or are read by a person); the statements are the same text either way.

use migrate_core::{Dialect, Direction, RevisionGraph};

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
        self.view().is_complete()
    }

    /// Was `rev`'s upgrade SQL edited since this row recorded it
    /// (checksum drift)? Compared with the checksum version the row holds.
    pub fn is_edited(&self, rev: crate::RevisionRef<'_>) -> bool {
        self.view().is_edited(rev)
    }

    /// Interrupted while running its downgrade section (`reverting`,
    /// `revert_failed`), whose statements `statements_done` then counts.
    pub fn is_reverting(&self) -> bool {
        self.view().is_reverting()
    }

    /// The row as a borrowed [`RowView`].
    pub(crate) fn view(&self) -> RowView<'_> {
        RowView {
            revision: &self.revision,
            checksum: &self.checksum,
            applied_at: &self.applied_at,
            duration_ms: self.duration_ms,
            state: &self.state,
            statements_done: self.statements_done,
            seq: self.seq,
        }
    }
}

/// A history row borrowed from the driver's row it was read from: a run
/// checks each row as it arrives and keeps only what it concludes, where
/// a [`HistoryEntry`] per row would hold megabytes of a long history.
#[doc(hidden)]
#[derive(Debug, Clone, Copy)]
pub struct RowView<'a> {
    pub(crate) revision: &'a str,
    pub(crate) checksum: &'a str,
    /// Empty unless the read asked for the times.
    pub(crate) applied_at: &'a str,
    pub(crate) duration_ms: i64,
    pub(crate) state: &'a str,
    pub(crate) statements_done: i64,
    pub(crate) seq: i64,
}

impl RowView<'_> {
    /// See [`HistoryEntry::is_complete`].
    pub(crate) fn is_complete(&self) -> bool {
        self.state == "applied" || self.state == "stamped"
    }

    /// See [`HistoryEntry::is_edited`].
    pub(crate) fn is_edited(&self, rev: crate::RevisionRef<'_>) -> bool {
        self.checksum != rev.checksum()
            && migrate_core::checksum::verify(self.checksum, rev.upgrade().sql()) != Some(true)
    }

    /// See [`HistoryEntry::is_reverting`].
    pub(crate) fn is_reverting(&self) -> bool {
        self.state == "reverting" || self.state == "revert_failed"
    }

    /// The row, owned.
    pub(crate) fn to_entry(self) -> HistoryEntry {
        HistoryEntry {
            revision: self.revision.to_owned(),
            checksum: self.checksum.to_owned(),
            applied_at: self.applied_at.to_owned(),
            duration_ms: self.duration_ms,
            state: self.state.to_owned(),
            statements_done: self.statements_done,
            seq: self.seq,
        }
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
    /// Its downgrade section as written, kept so that a binary built
    /// without the revision can revert it (`None`: irreversible).
    pub downgrade_sql: Option<&'a str>,
    /// [`DOWNGRADE_TRANSACTIONAL`], [`DOWNGRADE_OUTSIDE`],
    /// [`DOWNGRADE_IRREVERSIBLE`] or [`DOWNGRADE_RUST`].
    pub downgrade_kind: &'static str,
}

/// `downgrade_kind` of a stored downgrade that runs in a transaction.
pub const DOWNGRADE_TRANSACTIONAL: &str = "transactional";
/// `downgrade_kind` of a stored downgrade that runs statement by statement
/// outside a transaction (`transactional: false`).
pub const DOWNGRADE_OUTSIDE: &str = "non-transactional";
/// `downgrade_kind` of a revision without a downgrade section.
pub const DOWNGRADE_IRREVERSIBLE: &str = "irreversible";
/// `downgrade_kind` of a revision written in Rust: its downgrade is code,
/// which only a build that contains it can run.
pub const DOWNGRADE_RUST: &str = "rust";

/// Which revisions of `graph` the history's applied and stamped rows
/// record, checksums aside (`current`, `pending`, `stamp`, and the CLI's
/// expected steps). A complete row of a revision the graph does not
/// contain is an error; interrupted rows count as not applied.
#[doc(hidden)]
pub fn applied_revisions(graph: &RevisionGraph, rows: &[HistoryEntry]) -> Result<Vec<bool>> {
    let mut applied = vec![false; graph.len()];
    for row in rows {
        if let Some(i) = applied_node(graph, row.view())? {
            applied[i] = true;
        }
    }
    Ok(applied)
}

/// One row of [`applied_revisions`]: the node of a complete row, `None`
/// for an interrupted one.
pub(crate) fn applied_node(graph: &RevisionGraph, row: RowView<'_>) -> Result<Option<usize>> {
    if !row.is_complete() {
        return Ok(None);
    }
    match graph.find(row.revision) {
        Some(i) => Ok(Some(i)),
        None => Err(Error::UnknownAppliedRevision {
            revision: row.revision.to_owned(),
        }),
    }
}

/// One history row, read in `HISTORY_COLUMNS` order, on either database,
/// borrowing the row's text.
pub(crate) fn decode_row<'r, R>(r: &'r R, times: bool) -> Result<RowView<'r>, sqlx::Error>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    &'r str: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    Ok(RowView {
        revision: r.try_get(0)?,
        checksum: r.try_get(1)?,
        // A run never shows when a row was applied: it leaves the text out.
        applied_at: if times { r.try_get(2)? } else { "" },
        duration_ms: r.try_get(3)?,
        state: r.try_get(4)?,
        statements_done: r.try_get(5)?,
        seq: r.try_get(6)?,
    })
}

/// `"schema"."table"` from a validated `schema.table` or `table`.
pub(crate) fn quote_table(table: &str) -> String {
    migrate_core::quote_qualified_always(table)
}

/// The table's name without its schema, as SQLite's catalog and the schema
/// fingerprint name it.
pub(crate) fn plain_table(table: &str) -> &str {
    table.rsplit('.').next().unwrap_or(table)
}

/// The columns a read returns, in the order [`decode_row`] reads them.
const HISTORY_COLUMNS: &str =
    "revision, checksum, applied_at, duration_ms, state, statements_done, seq";

/// The columns an `INSERT` writes, in the order of its values.
const INSERT_COLUMNS: &str = "revision, checksum, duration_ms, state, statements_done, seq, message, downgrade_sql, downgrade_kind";

/// The columns the offline script's `INSERT` writes: not the downgrade,
/// since a script cannot add the columns to an older SQLite table (the
/// rows say their downgrade was not stored).
const OFFLINE_INSERT_COLUMNS: &str =
    "revision, checksum, duration_ms, state, statements_done, seq, message";

/// Bind parameters, in the order the statement names them, of values bound
/// in the order `numbers` (1-based) gives. PostgreSQL numbers them (`$n`);
/// SQLite takes a bare `?` for the next value when the statement names them
/// in binding order, and a numbered `?n` otherwise.
fn params<const N: usize>(dialect: Dialect, numbers: [usize; N]) -> [String; N] {
    let in_order = numbers.iter().enumerate().all(|(k, &n)| n == k + 1);
    numbers.map(|n| match dialect {
        Dialect::Postgres => format!("${n}"),
        Dialect::Sqlite if in_order => "?".to_owned(),
        Dialect::Sqlite => format!("?{n}"),
    })
}

/// `CREATE TABLE IF NOT EXISTS` of the history table.
pub(crate) fn create_history_sql(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             revision TEXT PRIMARY KEY, \
             checksum TEXT NOT NULL, \
             applied_at TIMESTAMPTZ NOT NULL DEFAULT clock_timestamp(), \
             duration_ms BIGINT NOT NULL DEFAULT 0, \
             state TEXT NOT NULL DEFAULT 'applied', \
             statements_done BIGINT NOT NULL DEFAULT 0, \
             seq BIGINT NOT NULL, \
             message TEXT, \
             downgrade_sql TEXT, \
             downgrade_kind TEXT)",
            quote_table(table)
        ),
        Dialect::Sqlite => format!(
            "CREATE TABLE IF NOT EXISTS {} (\
             revision TEXT PRIMARY KEY NOT NULL, \
             checksum TEXT NOT NULL, \
             applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%d %H:%M:%f', 'now')), \
             duration_ms INTEGER NOT NULL DEFAULT 0, \
             state TEXT NOT NULL DEFAULT 'applied', \
             statements_done INTEGER NOT NULL DEFAULT 0, \
             seq INTEGER NOT NULL, \
             message TEXT, \
             downgrade_sql TEXT, \
             downgrade_kind TEXT)",
            quote_table(table)
        ),
    }
}

/// Whether the history table exists: one `bool` row, the table bound as
/// [`exists_param`] gives it.
pub(crate) fn exists_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "SELECT to_regclass($1) IS NOT NULL",
        Dialect::Sqlite => {
            "SELECT count(*) > 0 FROM sqlite_master WHERE type = 'table' AND name = ?"
        }
    }
}

/// The value [`exists_sql`] binds for `table`.
pub(crate) fn exists_param(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Postgres => quote_table(table),
        Dialect::Sqlite => plain_table(table).to_owned(),
    }
}

/// The whole history, oldest first, in [`decode_row`]'s column order
/// (PostgreSQL's timestamp read as text, as SQLite stores it).
pub(crate) fn read_sql(dialect: Dialect, table: &str) -> String {
    let columns = match dialect {
        Dialect::Postgres => HISTORY_COLUMNS.replace("applied_at", "applied_at::text"),
        Dialect::Sqlite => HISTORY_COLUMNS.to_owned(),
    };
    format!("SELECT {columns} FROM {} ORDER BY seq", quote_table(table))
}

/// The start-up read of the history (see `Conn::history_matches`).
/// PostgreSQL: every `(revision, checksum, state)` row, in whatever order
/// the server finds cheapest. SQLite: one row of the count, the number of
/// interrupted rows and the `revision checksum` pairs joined in byte order
/// of the ids (its BINARY collation).
pub(crate) fn start_up_sql(dialect: Dialect, table: &str) -> String {
    match dialect {
        Dialect::Postgres => format!(
            "SELECT revision, checksum, state FROM {}",
            quote_table(table)
        ),
        Dialect::Sqlite => format!(
            "SELECT count(*), coalesce(sum(state NOT IN ('applied', 'stamped')), 0), \
             coalesce(group_concat(revision || ' ' || checksum, ',' ORDER BY revision), '') \
             FROM {}",
            quote_table(table)
        ),
    }
}

/// How many of the downgrade columns a table has: `downgrade_sql` and
/// `downgrade_kind`, named by the table bound as [`exists_param`] gives it.
pub(crate) fn downgrade_columns_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => {
            "SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass($1) \
             AND attname IN ('downgrade_sql', 'downgrade_kind') AND NOT attisdropped"
        }
        Dialect::Sqlite => {
            "SELECT count(*) FROM pragma_table_info(?) WHERE name IN ('downgrade_sql', 'downgrade_kind')"
        }
    }
}

/// Adds the downgrade columns to a table created before they existed (on
/// PostgreSQL, where it may have one of them, without failing on it).
pub(crate) fn add_downgrade_columns_sql(dialect: Dialect, table: &str) -> String {
    let table = quote_table(table);
    match dialect {
        Dialect::Postgres => format!(
            "ALTER TABLE {table} ADD COLUMN IF NOT EXISTS downgrade_sql TEXT, ADD COLUMN IF NOT EXISTS downgrade_kind TEXT"
        ),
        Dialect::Sqlite => format!(
            "ALTER TABLE {table} ADD COLUMN downgrade_sql TEXT;\nALTER TABLE {table} ADD COLUMN downgrade_kind TEXT"
        ),
    }
}

/// Each row's revision with its stored downgrade and its kind, newest
/// first (`seq` order reversed).
pub(crate) fn stored_downgrades_sql(table: &str) -> String {
    format!(
        "SELECT revision, downgrade_sql, downgrade_kind FROM {} ORDER BY seq DESC",
        quote_table(table)
    )
}

/// `INSERT` of history rows given as `(…), (…)` value lists, in
/// `INSERT_COLUMNS` order.
fn insert_values_sql(table: &str, rows: &str) -> String {
    format!(
        "INSERT INTO {} ({INSERT_COLUMNS}) VALUES {rows}",
        quote_table(table),
    )
}

/// `INSERT` of one row whose nine values are bound in `INSERT_COLUMNS`
/// order (as [`NewRow`]'s fields).
pub(crate) fn insert_bound_sql(dialect: Dialect, table: &str) -> String {
    let values = params(dialect, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
    insert_values_sql(table, &format!("({})", values.join(", ")))
}

/// PostgreSQL's `INSERT` of many rows: one array per column, bound in
/// `INSERT_COLUMNS` order. The server parses a short statement and reads the
/// arrays, where a `VALUES` list of 1,000 rows took it about 15 ms to parse
/// and plan (docs/performance.md#what-each-cost-depends-on-scale-notes).
#[cfg(feature = "postgres")]
pub(crate) fn insert_arrays_sql(table: &str) -> String {
    format!(
        "INSERT INTO {} ({INSERT_COLUMNS}) \
         SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::text[], $8::text[], $9::text[])",
        quote_table(table)
    )
}

/// `row` as a value list of literals; `seq` is an SQL expression for its
/// position (the offline script computes it from the table); `downgrade`
/// adds its two downgrade values.
fn literal_values(dialect: Dialect, row: &NewRow<'_>, seq: &str, downgrade: bool) -> String {
    let text = |v: Option<&str>| v.map_or_else(|| "NULL".to_owned(), |v| literal(dialect, v));
    let downgrade = if downgrade {
        format!(
            ", {}, {}",
            text(row.downgrade_sql),
            literal(dialect, row.downgrade_kind)
        )
    } else {
        String::new()
    };
    format!(
        "({}, {}, {}, {}, {}, {seq}, {}{downgrade})",
        literal(dialect, row.revision),
        literal(dialect, row.checksum),
        row.duration_ms,
        literal(dialect, row.state),
        row.statements_done,
        text(row.message),
    )
}

/// `INSERT` of rows written as literals, one value list a line.
pub(crate) fn insert_literal_sql(dialect: Dialect, table: &str, rows: &[NewRow<'_>]) -> String {
    let values: Vec<String> = rows
        .iter()
        .map(|row| literal_values(dialect, row, &row.seq.to_string(), true))
        .collect();
    insert_values_sql(table, &values.join(",\n"))
}

/// The offline script's `INSERT` of one row, whose `seq` continues whatever
/// the table holds, since a script cannot know it (`row.seq` is not used).
pub(crate) fn insert_next_sql(dialect: Dialect, table: &str, row: &NewRow<'_>) -> String {
    let seq = format!(
        "(SELECT COALESCE(MAX(seq), 0) + 1 FROM {})",
        quote_table(table)
    );
    format!(
        "INSERT INTO {} ({OFFLINE_INSERT_COLUMNS}) VALUES {}",
        quote_table(table),
        literal_values(dialect, row, &seq, false)
    )
}

/// `UPDATE` of a row's state and progress, and its duration when one is given.
fn update_sql(
    table: &str,
    revision: &str,
    state: &str,
    done: &str,
    duration_ms: Option<&str>,
) -> String {
    let duration = duration_ms
        .map(|d| format!(", duration_ms = {d}"))
        .unwrap_or_default();
    format!(
        "UPDATE {} SET state = {state}, statements_done = {done}{duration} WHERE revision = {revision}",
        quote_table(table)
    )
}

/// `UPDATE` of a row's state, progress and duration, bound in that order
/// after its revision.
pub(crate) fn update_bound_sql(dialect: Dialect, table: &str) -> String {
    let [state, done, duration, revision] = params(dialect, [2, 3, 4, 1]);
    update_sql(table, &revision, &state, &done, Some(&duration))
}

/// The offline script's `UPDATE` of a row's state and progress.
pub(crate) fn update_literal_sql(
    dialect: Dialect,
    table: &str,
    revision: &str,
    state: &str,
    done: i64,
) -> String {
    update_sql(
        table,
        &literal(dialect, revision),
        &literal(dialect, state),
        &done.to_string(),
        None,
    )
}

/// `UPDATE` of a row's checksum, bound after its revision
/// (`stamp --accept-checksum`).
pub(crate) fn set_checksum_bound_sql(dialect: Dialect, table: &str) -> String {
    let [checksum, revision] = params(dialect, [2, 1]);
    format!(
        "UPDATE {} SET checksum = {checksum} WHERE revision = {revision}",
        quote_table(table)
    )
}

/// `DELETE` of one row; `revision` is a placeholder or a literal.
fn delete_sql(table: &str, revision: &str) -> String {
    format!(
        "DELETE FROM {} WHERE revision = {revision}",
        quote_table(table)
    )
}

/// `DELETE` of one row, its revision bound.
pub(crate) fn delete_bound_sql(dialect: Dialect, table: &str) -> String {
    let [revision] = params(dialect, [1]);
    delete_sql(table, &revision)
}

/// `DELETE` of the rows whose revisions are bound: on PostgreSQL as one
/// text array (`= ANY($1)`), on SQLite as `count` values (`IN (?, …)`).
pub(crate) fn delete_bound_many_sql(dialect: Dialect, table: &str, count: usize) -> String {
    let revisions = match dialect {
        Dialect::Postgres => "= ANY($1)".to_owned(),
        Dialect::Sqlite => format!("IN ({})", vec!["?"; count].join(", ")),
    };
    format!(
        "DELETE FROM {} WHERE revision {revisions}",
        quote_table(table)
    )
}

/// `DELETE` of one row, its revision written as a literal.
pub(crate) fn delete_literal_sql(dialect: Dialect, table: &str, revision: &str) -> String {
    delete_sql(table, &literal(dialect, revision))
}

/// `DELETE` of several rows in one statement, their revisions written as
/// literals.
pub(crate) fn delete_many_sql<'a>(
    dialect: Dialect,
    table: &str,
    revisions: impl IntoIterator<Item = &'a str>,
) -> String {
    // Written into one string: a downgrade of thousands of revisions would
    // otherwise hold a string per literal and a list of them at once.
    let mut sql = format!("DELETE FROM {} WHERE revision IN (", quote_table(table));
    for (k, revision) in revisions.into_iter().enumerate() {
        if k > 0 {
            sql.push_str(", ");
        }
        push_literal(&mut sql, dialect, revision);
    }
    sql.push(')');
    sql
}

/// The history change that completes a transactional step, values written as
/// literals: the row of an upgrade, the removal of a downgrade.
pub(crate) fn record_literal_sql(
    dialect: Dialect,
    table: &str,
    direction: Direction,
    row: &NewRow<'_>,
) -> String {
    match direction {
        Direction::Upgrade => insert_literal_sql(dialect, table, std::slice::from_ref(row)),
        Direction::Downgrade => delete_literal_sql(dialect, table, row.revision),
    }
}

/// A string literal that reads back as `text` whatever the server's settings.
/// Quotes are doubled; on PostgreSQL a text holding a backslash uses the
/// `E'…'` form, which does not depend on `standard_conforming_strings`.
pub(crate) fn literal(dialect: Dialect, text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    push_literal(&mut out, dialect, text);
    out
}

/// [`literal`], written at the end of `out`.
pub(crate) fn push_literal(out: &mut String, dialect: Dialect, text: &str) {
    let backslashes = dialect == Dialect::Postgres && text.contains('\\');
    if backslashes {
        out.push('E');
    }
    out.push('\'');
    let mut rest = text;
    while let Some(k) = rest.find(|c| c == '\'' || (backslashes && c == '\\')) {
        out.push_str(&rest[..k]);
        out.push_str(if rest.as_bytes()[k] == b'\'' {
            "''"
        } else {
            "\\\\"
        });
        rest = &rest[k + 1..];
    }
    out.push_str(rest);
    out.push('\'');
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literals_read_back_whatever_the_server_settings() {
        assert_eq!(literal(Dialect::Postgres, "it's"), "'it''s'");
        assert_eq!(literal(Dialect::Postgres, "a\\b'c"), "E'a\\\\b''c'");
        assert_eq!(literal(Dialect::Sqlite, "a\\b'c"), "'a\\b''c'");
    }

    #[test]
    fn shared_history_sql_is_what_the_backends_always_ran() {
        assert_eq!(
            insert_bound_sql(Dialect::Sqlite, "t"),
            "INSERT INTO \"t\" (revision, checksum, duration_ms, state, statements_done, seq, message, downgrade_sql, downgrade_kind) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)"
        );
        assert_eq!(
            delete_bound_sql(Dialect::Postgres, "s.t"),
            "DELETE FROM \"s\".\"t\" WHERE revision = $1"
        );
        assert!(
            create_history_sql(Dialect::Postgres, "t")
                .starts_with("CREATE TABLE IF NOT EXISTS \"t\" (revision TEXT PRIMARY KEY, checksum TEXT NOT NULL, applied_at TIMESTAMPTZ")
        );
    }

    /// The texts each backend sent before they were built here, byte for
    /// byte: a prepared statement's text is its cache key, and the
    /// performance notes measure these statements.
    #[test]
    fn bound_statements_keep_their_text_on_both_databases() {
        assert_eq!(
            insert_bound_sql(Dialect::Postgres, "s.t"),
            "INSERT INTO \"s\".\"t\" (revision, checksum, duration_ms, state, statements_done, seq, message, downgrade_sql, downgrade_kind) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)"
        );
        assert_eq!(
            update_bound_sql(Dialect::Postgres, "t"),
            "UPDATE \"t\" SET state = $2, statements_done = $3, duration_ms = $4 WHERE revision = $1"
        );
        assert_eq!(
            update_bound_sql(Dialect::Sqlite, "t"),
            "UPDATE \"t\" SET state = ?2, statements_done = ?3, duration_ms = ?4 WHERE revision = ?1"
        );
        assert_eq!(
            delete_bound_many_sql(Dialect::Postgres, "s.t", 3),
            "DELETE FROM \"s\".\"t\" WHERE revision = ANY($1)"
        );
        assert_eq!(
            delete_bound_many_sql(Dialect::Sqlite, "t", 3),
            "DELETE FROM \"t\" WHERE revision IN (?, ?, ?)"
        );
        assert_eq!(
            set_checksum_bound_sql(Dialect::Sqlite, "t"),
            "UPDATE \"t\" SET checksum = ?2 WHERE revision = ?1"
        );
        assert_eq!(
            set_checksum_bound_sql(Dialect::Postgres, "t"),
            "UPDATE \"t\" SET checksum = $2 WHERE revision = $1"
        );
        assert_eq!(
            delete_bound_sql(Dialect::Sqlite, "t"),
            "DELETE FROM \"t\" WHERE revision = ?"
        );
        assert_eq!(
            exists_sql(Dialect::Postgres),
            "SELECT to_regclass($1) IS NOT NULL"
        );
        assert_eq!(exists_param(Dialect::Postgres, "s.t"), "\"s\".\"t\"");
        assert_eq!(exists_param(Dialect::Sqlite, "s.t"), "t");
        assert_eq!(
            read_sql(Dialect::Postgres, "t"),
            "SELECT revision, checksum, applied_at::text, duration_ms, state, statements_done, seq FROM \"t\" ORDER BY seq"
        );
        assert_eq!(
            read_sql(Dialect::Sqlite, "t"),
            "SELECT revision, checksum, applied_at, duration_ms, state, statements_done, seq FROM \"t\" ORDER BY seq"
        );
        #[cfg(feature = "postgres")]
        assert_eq!(
            insert_arrays_sql("t"),
            "INSERT INTO \"t\" (revision, checksum, duration_ms, state, statements_done, seq, message, downgrade_sql, downgrade_kind) SELECT * FROM unnest($1::text[], $2::text[], $3::int8[], $4::text[], $5::int8[], $6::int8[], $7::text[], $8::text[], $9::text[])"
        );
    }

    #[test]
    fn literal_rows_are_one_value_list_a_line() {
        let row = |revision, message| NewRow {
            revision,
            checksum: "c",
            duration_ms: 5,
            state: "applied",
            statements_done: 2,
            seq: 7,
            message,
            downgrade_sql: Some("DROP TABLE 'x';"),
            downgrade_kind: DOWNGRADE_TRANSACTIONAL,
        };
        assert_eq!(
            insert_literal_sql(
                Dialect::Sqlite,
                "t",
                &[row("a", Some("it's")), row("b", None)]
            ),
            "INSERT INTO \"t\" (revision, checksum, duration_ms, state, statements_done, seq, message, downgrade_sql, downgrade_kind) VALUES ('a', 'c', 5, 'applied', 2, 7, 'it''s', 'DROP TABLE ''x'';', 'transactional'),\n('b', 'c', 5, 'applied', 2, 7, NULL, 'DROP TABLE ''x'';', 'transactional')"
        );
        assert_eq!(
            record_literal_sql(
                Dialect::Postgres,
                "t",
                Direction::Downgrade,
                &row("a", None)
            ),
            "DELETE FROM \"t\" WHERE revision = 'a'"
        );
        assert_eq!(
            delete_many_sql(Dialect::Postgres, "t", ["a", "b\\"]),
            "DELETE FROM \"t\" WHERE revision IN ('a', E'b\\\\')"
        );
        assert_eq!(
            insert_next_sql(Dialect::Sqlite, "t", &row("a", None)),
            "INSERT INTO \"t\" (revision, checksum, duration_ms, state, statements_done, seq, message) VALUES ('a', 'c', 5, 'applied', 2, (SELECT COALESCE(MAX(seq), 0) + 1 FROM \"t\"), NULL)"
        );
        assert_eq!(
            add_downgrade_columns_sql(Dialect::Postgres, "t"),
            "ALTER TABLE \"t\" ADD COLUMN IF NOT EXISTS downgrade_sql TEXT, ADD COLUMN IF NOT EXISTS downgrade_kind TEXT"
        );
        assert_eq!(
            update_literal_sql(Dialect::Sqlite, "t", "a", "running", 1),
            "UPDATE \"t\" SET state = 'running', statements_done = 1 WHERE revision = 'a'"
        );
    }
}
