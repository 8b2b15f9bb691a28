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
pub(crate) fn timed<'a>(clock: &str, sections: impl IntoIterator<Item = SectionRef<'a>>) -> String {
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

/// The `n` sections, of `len(k)` statements each, cut into runs of whole
/// sections of about `statements` statements each (a longer section is a
/// run of its own), as ranges of `0..n`.
pub(crate) fn pieces(
    n: usize,
    len: impl Fn(usize) -> usize,
    statements: usize,
) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut count) = (0, 0);
    for k in 0..n {
        let length = len(k);
        if count > 0 && count + length > statements {
            out.push(start..k);
            (start, count) = (k, 0);
        }
        count += length;
    }
    if start < n || out.is_empty() {
        out.push(start..n);
    }
    out
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
/// `bigint` row, since 1970 (SQLite: to the millisecond), so that readings
/// of several scripts line up.
pub(crate) fn clock_sql(dialect: Dialect) -> &'static str {
    match dialect {
        // `clock_timestamp()` moves during a statement; `extract` answers
        // `numeric`, exact to the microsecond.
        Dialect::Postgres => "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint",
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

    /// Pieces hold whole sections, about as many statements as asked, in
    /// order, and none is empty.
    #[test]
    fn pieces_cut_between_sections() {
        let revision = |n: usize| {
            let sql: String = (0..n).map(|k| format!("SELECT {k};\n")).collect();
            migrate_core::parse_revision(
                "m/r.sql",
                &format!("-- revision: r\n-- down_revision: none\n-- migrate:upgrade\n{sql}"),
            )
            .unwrap()
        };
        let revisions: Vec<_> = [3, 3, 3, 10, 1, 1].into_iter().map(revision).collect();
        let sections: Vec<SectionRef<'_>> = revisions
            .iter()
            .map(|r| SectionRef::Loaded(&r.upgrade))
            .collect();
        let sizes = |statements: usize| -> Vec<Vec<usize>> {
            pieces(sections.len(), |k| sections[k].len(), statements)
                .into_iter()
                .map(|p| sections[p].iter().map(|s| s.len()).collect())
                .collect()
        };
        assert_eq!(sizes(6), [vec![3, 3], vec![3], vec![10], vec![1, 1]]);
        assert_eq!(sizes(100), [vec![3, 3, 3, 10, 1, 1]]);
        assert_eq!(
            sizes(1),
            [vec![3], vec![3], vec![3], vec![10], vec![1], vec![1]]
        );
        assert_eq!(pieces(0, |_| 0, 6), vec![0..0]);
    }

    /// The texts each backend sent before they were written here.
    #[test]
    fn begin_clock_and_counted_statements_keep_their_text() {
        assert_eq!(begin_sql(Dialect::Postgres), "BEGIN");
        assert_eq!(begin_sql(Dialect::Sqlite), "BEGIN IMMEDIATE");
        assert_eq!(
            clock_sql(Dialect::Postgres),
            "SELECT (extract(epoch FROM clock_timestamp()) * 1000000)::bigint"
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
