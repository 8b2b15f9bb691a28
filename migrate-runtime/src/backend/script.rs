//! The transaction-control text a run sends through `Conn::exec` around
//! the revisions' own statements: the per-revision savepoint, and sections
//! joined into one script (with the clock readings of the one-script run),
//! the counted write that records its history, and the `BEGIN` of each
//! database.

use migrate_core::Dialect;

use crate::table::SectionRef;

/// Opens the savepoint a transactional revision runs under.
pub(crate) const SAVEPOINT: &str = "SAVEPOINT migrate_revision";

/// Keeps a revision's work: releases its savepoint.
pub(crate) const RELEASE_SAVEPOINT: &str = "RELEASE SAVEPOINT migrate_revision";

/// Undoes a revision's work, keeping its savepoint open.
pub(crate) const ROLLBACK_TO_SAVEPOINT: &str = "ROLLBACK TO SAVEPOINT migrate_revision";

/// Undoes a revision's work and closes its savepoint, in one round trip.
pub(crate) const UNDO_SAVEPOINT: &str =
    "ROLLBACK TO SAVEPOINT migrate_revision;\nRELEASE SAVEPOINT migrate_revision";

/// The round trip that ends a transactional revision: `record` (its
/// history change), the release of its savepoint and, when the next
/// revision joins the transaction, the next savepoint.
pub(crate) fn finish_revision(mut record: String, open_next: bool) -> String {
    record.push_str(";\n");
    record.push_str(RELEASE_SAVEPOINT);
    if open_next {
        record.push_str(";\n");
        record.push_str(SAVEPOINT);
    }
    record
}

/// A whole section as one script, each statement ended by `;`.
pub(crate) fn section(section: SectionRef<'_>) -> String {
    let mut sql = String::with_capacity(section.sql().len() + 16);
    for (_, statement) in section.statements() {
        sql.push_str(statement);
        sql.push_str(";\n");
    }
    sql
}

/// The one-script run: `clock` (one statement answering the time) before
/// the first section and after each one, so that the answers time every
/// revision.
pub(crate) fn timed(clock: &str, sections: &[SectionRef<'_>]) -> String {
    let mut script = format!("{clock};\n");
    for section in sections {
        for (_, statement) in section.statements() {
            script.push_str(statement);
            script.push_str(";\n");
        }
        script.push_str(clock);
        script.push_str(";\n");
    }
    script
}

/// Opens a transaction: on SQLite an immediate one, which takes the write
/// lock at once instead of at the first write.
pub(crate) fn begin_sql(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "BEGIN",
        Dialect::Sqlite => "BEGIN IMMEDIATE",
    }
}

/// One statement answering the database's clock in microseconds, as one
/// `bigint` row (PostgreSQL: since the script arrived; SQLite: since 1970,
/// to the millisecond).
pub(crate) fn clock_sql(dialect: Dialect) -> &'static str {
    match dialect {
        // `statement_timestamp()` is the arrival of the message, the
        // same for every statement of the script.
        Dialect::Postgres => {
            "SELECT (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000)::bigint"
        }
        Dialect::Sqlite => "SELECT CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)",
    }
}

/// `write` (an `INSERT` or `DELETE`) made to answer the number of rows it
/// wrote, as one `bigint` row.
pub(crate) fn counted_sql(dialect: Dialect, write: &str) -> String {
    match dialect {
        Dialect::Postgres => {
            format!("WITH done AS ({write} RETURNING 1) SELECT count(*)::bigint FROM done")
        }
        Dialect::Sqlite => format!("{write};\nSELECT changes()"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The texts each backend sent before they were written here.
    #[test]
    fn begin_clock_and_counted_statements_keep_their_text() {
        assert_eq!(begin_sql(Dialect::Postgres), "BEGIN");
        assert_eq!(begin_sql(Dialect::Sqlite), "BEGIN IMMEDIATE");
        assert_eq!(
            clock_sql(Dialect::Postgres),
            "SELECT (extract(epoch FROM clock_timestamp() - statement_timestamp()) * 1000000)::bigint"
        );
        assert_eq!(
            clock_sql(Dialect::Sqlite),
            "SELECT CAST((julianday('now') - 2440587.5) * 86400000000.0 AS INTEGER)"
        );
        assert_eq!(
            counted_sql(Dialect::Postgres, "DELETE FROM \"t\""),
            "WITH done AS (DELETE FROM \"t\" RETURNING 1) SELECT count(*)::bigint FROM done"
        );
        assert_eq!(
            counted_sql(Dialect::Sqlite, "DELETE FROM \"t\""),
            "DELETE FROM \"t\";\nSELECT changes()"
        );
    }
}
