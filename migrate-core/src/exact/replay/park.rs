//! Keeping the replay's database small, so that its cost stays linear.
//!
//! SQLite re-reads its whole schema on every `ALTER TABLE` and scans it on
//! every `CREATE` and `DROP`: a replay that keeps every table of a long chain
//! in one database costs the square of the table count. Here, once more than
//! a few tables are in the database, the empty ones are *parked*: their
//! `CREATE TABLE` and `CREATE INDEX` text, as SQLite keeps it, is saved and
//! the table dropped. A statement that may touch a parked table gets it back,
//! from the same text, before it runs; SQLite then sees what it would have
//! seen in the whole database.
//!
//! What "may touch" means, conservatively:
//! - a table or index the statement names (any word of its text);
//! - the tables whose foreign keys reference a table the statement names,
//!   since SQLite checks those keys when the parent's rows change (and
//!   compiles the cascades through their own children), and rewrites them
//!   when the parent is renamed (a `CREATE` needs none of them, an `ALTER`
//!   only the direct children);
//! - a table SQLite reports missing while it runs the statement (a view's or
//!   a trigger's body, a foreign key's parent): the statement is rolled back
//!   by SQLite, the table brought back, and the statement run again.
//!
//! Only tables that hold no rows, have no trigger and no AUTOINCREMENT
//! counter are parked, so a parked table carries nothing but its text. A
//! statement that reads the catalog or works on every table (`sqlite_schema`,
//! `ANALYZE`, `REINDEX`, the integrity pragmas) brings every table back and
//! ends parking for the rest of the replay.

use std::collections::{HashMap, HashSet};
use std::ffi::{CStr, c_int};
use std::ptr;

use super::super::sqlite_ffi as ffi;

use super::{Failure, Memory};
use crate::ident::quote_ident_always;

/// Words that make a statement see the whole catalog.
const CATALOG_WIDE: &[&str] = &[
    "sqlite_master",
    "sqlite_schema",
    "sqlite_temp_master",
    "sqlite_temp_schema",
    "analyze",
    "reindex",
    "table_list",
    "table_xinfo",
    "integrity_check",
    "quick_check",
    "foreign_key_check",
    "optimize",
    "writable_schema",
    "schema_version",
];

/// Tables saved out of the database.
#[derive(Default)]
pub(super) struct Parked {
    /// Lower-cased table name → the table's `CREATE TABLE` text, then its
    /// indexes' (with their lower-cased names).
    tables: HashMap<String, (String, Vec<(String, String)>)>,
    /// Lower-cased index name → lower-cased name of its (parked) table.
    index_owner: HashMap<String, String>,
    /// Lower-cased table name → tables whose foreign keys name it.
    children: HashMap<String, HashSet<String>>,
    /// Parking stopped for good (the catalog was read as a whole).
    ended: bool,
    /// Tables in the database at which parking starts.
    limit: usize,
    /// Statements run since the last [`Parked::settle`].
    since_settle: usize,
}

/// Statements between two parkings inside one section, so that a long
/// section (a revision altering every table) keeps the database small too.
const SETTLE_EVERY: usize = 16;

/// Which parked children a statement naming a table needs back with it.
#[derive(Debug, Clone, Copy)]
enum Reach {
    /// None: a `CREATE` reads no other table's keys.
    Named,
    /// The tables whose foreign keys name it: an `ALTER TABLE` rewrites
    /// their text on a rename.
    Children,
    /// Their children too, down the chain: a change of rows makes SQLite
    /// check the children's keys and compile the cascades through them.
    Descendants,
}

impl Reach {
    fn of(first_word: &str) -> Reach {
        match first_word {
            "create" => Reach::Named,
            "alter" => Reach::Children,
            _ => Reach::Descendants,
        }
    }
}

impl Parked {
    /// Parking once the database holds more than `limit` tables; `None`
    /// never parks (the plain replay).
    pub(super) fn new(limit: Option<usize>) -> Parked {
        Parked {
            ended: limit.is_none(),
            limit: limit.unwrap_or(usize::MAX),
            ..Parked::default()
        }
    }

    /// Runs one statement, bringing back first what it may touch.
    pub(super) fn run(&mut self, db: &Memory, sql: &str, execute: bool) -> Result<(), Failure> {
        if !self.tables.is_empty() || !self.ended {
            let words = words(sql);
            if words.iter().any(|w| CATALOG_WIDE.contains(&w.as_str())) {
                self.restore_all(db);
                self.ended = true;
            } else if !self.tables.is_empty() {
                let reach = Reach::of(words.first().map_or("", String::as_str));
                for word in &words {
                    let owner = self.index_owner.get(word).cloned();
                    let name = owner.as_deref().unwrap_or(word);
                    if self.tables.contains_key(name) || self.children.contains_key(name) {
                        self.bring_back(db, name, reach);
                    }
                }
            }
        }
        let outcome = loop {
            match db.run(sql, execute) {
                Err(f) => match missing_table(&f.message) {
                    Some(name) if self.bring_back(db, &name, Reach::Descendants) => continue,
                    _ => break Err(f),
                },
                Ok(()) => break Ok(()),
            }
        };
        self.since_settle += 1;
        if self.since_settle >= SETTLE_EVERY {
            self.settle(db);
        }
        outcome
    }

    /// Brings back `name` if it is parked, and as far as `reach` goes the
    /// parked tables whose foreign keys reference it. Returns whether
    /// anything came back.
    fn bring_back(&mut self, db: &Memory, name: &str, reach: Reach) -> bool {
        let mut any = false;
        let mut seen = HashSet::new();
        let mut stack = vec![(name.to_string(), 0)];
        while let Some((name, depth)) = stack.pop() {
            if !seen.insert(name.clone()) {
                continue;
            }
            if let Some((table, indexes)) = self.tables.remove(&name) {
                // The texts are SQLite's own, taken from its catalog.
                let _ = db.run(&table, true);
                for (index, text) in &indexes {
                    let _ = db.run(text, true);
                    self.index_owner.remove(index);
                }
                any = true;
            }
            let deeper = match reach {
                Reach::Named => false,
                Reach::Children => depth == 0,
                Reach::Descendants => true,
            };
            if let Some(children) = self.children.get(&name).filter(|_| deeper) {
                stack.extend(children.iter().map(|c| (c.clone(), depth + 1)));
            }
        }
        any
    }

    /// How many tables are parked.
    #[cfg(test)]
    pub(super) fn parked_count(&self) -> usize {
        self.tables.len()
    }

    /// Brings every parked table back.
    pub(super) fn restore_all(&mut self, db: &Memory) {
        let names: Vec<String> = self.tables.keys().cloned().collect();
        for name in names {
            self.bring_back(db, &name, Reach::Named);
        }
    }

    /// Every [`SETTLE_EVERY`] statements: notes every table's foreign keys,
    /// and parks the empty tables if the database holds more than the
    /// limit.
    fn settle(&mut self, db: &Memory) {
        self.since_settle = 0;
        if self.ended {
            return;
        }
        // Every table's foreign keys, parked or not, so that bringing a
        // parent back finds its parked descendants through any of them.
        let tables = query(
            db,
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table'",
            &[],
        );
        for row in &tables {
            if let (Some(name), Some(sql)) = (&row[0], &row[1]) {
                self.note_references(name, sql);
            }
        }
        if tables.len() <= self.limit {
            return;
        }
        // Virtual tables own shadow tables, and statistics rows name
        // indexes: with either, the tables stay as they are.
        let special = query(
            db,
            "SELECT 1 FROM sqlite_schema WHERE type = 'table' AND \
             (sql LIKE 'CREATE VIRTUAL%' OR name LIKE 'sqlite\\_stat%' ESCAPE '\\')",
            &[],
        );
        if !special.is_empty() {
            self.ended = true;
            return;
        }
        let candidates = query(
            db,
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' \
             AND sql LIKE 'CREATE TABLE%' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' \
             AND name NOT IN (SELECT tbl_name FROM sqlite_schema WHERE type = 'trigger' \
             UNION SELECT tbl_name FROM sqlite_temp_schema WHERE type = 'trigger')",
            &[],
        );
        let counters = !query(
            db,
            "SELECT 1 FROM sqlite_schema WHERE name = 'sqlite_sequence'",
            &[],
        )
        .is_empty();
        let keys_on = query(db, "PRAGMA foreign_keys", &[])
            .first()
            .and_then(|row| row.first().cloned().flatten())
            .is_some_and(|v| v == "1");
        if keys_on {
            let _ = db.run("PRAGMA foreign_keys = OFF", true);
        }
        for row in candidates {
            let (Some(name), Some(sql)) = (row[0].clone(), row[1].clone()) else {
                continue;
            };
            let quoted = quote_ident_always(&name);
            if !query(db, &format!("SELECT 1 FROM {quoted} LIMIT 1"), &[]).is_empty() {
                continue;
            }
            if counters
                && !query(
                    db,
                    "SELECT 1 FROM sqlite_sequence WHERE name = ?1",
                    &[&name],
                )
                .is_empty()
            {
                continue;
            }
            let indexes = query(
                db,
                "SELECT name, sql FROM sqlite_schema WHERE type = 'index' \
                 AND tbl_name = ?1 AND sql IS NOT NULL ORDER BY rowid",
                &[&name],
            );
            if db.run(&format!("DROP TABLE {quoted}"), true).is_err() {
                continue;
            }
            let key = name.to_ascii_lowercase();
            let mut texts = Vec::new();
            for index in indexes {
                if let (Some(index), Some(text)) = (index[0].clone(), index[1].clone()) {
                    let index = index.to_ascii_lowercase();
                    self.index_owner.insert(index.clone(), key.clone());
                    texts.push((index, text));
                }
            }
            self.tables.insert(key, (sql, texts));
        }
        if keys_on {
            let _ = db.run("PRAGMA foreign_keys = ON", true);
        }
    }

    /// Records that `name`'s foreign keys (in its `CREATE TABLE` text
    /// `sql`) reference their parents.
    fn note_references(&mut self, name: &str, sql: &str) {
        let key = name.to_ascii_lowercase();
        for parent in references(sql) {
            self.children.entry(parent).or_default().insert(key.clone());
        }
    }
}

/// The table SQLite reports missing in `message` (`no such table: main.t`,
/// also inside `error in view v: …`), lower-cased; `None` for a table of
/// another schema.
fn missing_table(message: &str) -> Option<String> {
    let (_, name) = message.split_once("no such table: ")?;
    let name = match name.split_once('.') {
        Some((schema, rest)) if schema.eq_ignore_ascii_case("main") => rest,
        Some(_) => return None,
        None => name,
    };
    Some(name.to_ascii_lowercase())
}

/// Every word of `sql` that could name an object, lower-cased: bare words,
/// and the contents of quoted identifiers and strings (SQLite takes a
/// string where a name is expected). Comments are skipped. Erring towards
/// more words only brings back a table for nothing.
pub(super) fn words(sql: &str) -> Vec<String> {
    let bytes = sql.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        let b = bytes[i];
        if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
            while i < bytes.len() && bytes[i] != b'\n' {
                i += 1;
            }
        } else if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
            i += 2;
            while i < bytes.len() && !(bytes[i] == b'*' && bytes.get(i + 1) == Some(&b'/')) {
                i += 1;
            }
            i += 2;
        } else if matches!(b, b'\'' | b'"' | b'`' | b'[') {
            let close = if b == b'[' { b']' } else { b };
            let mut word = Vec::new();
            i += 1;
            while i < bytes.len() {
                if bytes[i] == close {
                    if close != b']' && bytes.get(i + 1) == Some(&close) {
                        word.push(close);
                        i += 2;
                        continue;
                    }
                    break;
                }
                word.push(bytes[i]);
                i += 1;
            }
            i += 1;
            out.push(String::from_utf8_lossy(&word).to_ascii_lowercase());
        } else if b.is_ascii_alphanumeric() || b == b'_' || b == b'$' || b >= 0x80 {
            let start = i;
            while i < bytes.len()
                && (bytes[i].is_ascii_alphanumeric()
                    || bytes[i] == b'_'
                    || bytes[i] == b'$'
                    || bytes[i] >= 0x80)
            {
                i += 1;
            }
            out.push(String::from_utf8_lossy(&bytes[start..i]).to_ascii_lowercase());
        } else {
            i += 1;
        }
    }
    out
}

/// The tables a `CREATE TABLE` text's foreign keys name (the word after
/// each REFERENCES, and the one after that when the first is a schema).
fn references(sql: &str) -> Vec<String> {
    let words = words(sql);
    let mut out = Vec::new();
    for (i, word) in words.iter().enumerate() {
        if word == "references" {
            out.extend(words.get(i + 1).cloned());
            if matches!(words.get(i + 1).map(String::as_str), Some("main" | "temp")) {
                out.extend(words.get(i + 2).cloned());
            }
        }
    }
    out
}

/// Runs a query with text parameters and returns its rows, each column as
/// text (or `None` for NULL). An error yields no rows.
pub(super) fn query(db: &Memory, sql: &str, params: &[&str]) -> Vec<Vec<Option<String>>> {
    let mut stmt = ptr::null_mut();
    let Ok(len) = c_int::try_from(sql.len()) else {
        return Vec::new();
    };
    // SAFETY: `sql` is valid for `len` bytes; `stmt` is finalized below.
    let rc = unsafe {
        ffi::sqlite3_prepare_v2(db.0, sql.as_ptr().cast(), len, &mut stmt, ptr::null_mut())
    };
    if rc != ffi::SQLITE_OK || stmt.is_null() {
        return Vec::new();
    }
    let mut rows = Vec::new();
    let mut ok = true;
    for (i, param) in params.iter().enumerate() {
        let (Ok(index), Ok(n)) = (c_int::try_from(i + 1), c_int::try_from(param.len())) else {
            ok = false;
            break;
        };
        // SAFETY: SQLite copies the text (SQLITE_TRANSIENT).
        let rc = unsafe { ffi::bind_text(stmt, index, param.as_ptr().cast(), n) };
        ok &= rc == ffi::SQLITE_OK;
    }
    // SAFETY: `stmt` is a prepared statement of this handle; column texts
    // are copied before the next step.
    while ok && unsafe { ffi::sqlite3_step(stmt) } == ffi::SQLITE_ROW {
        let columns = unsafe { ffi::sqlite3_column_count(stmt) };
        let row = (0..columns)
            .map(|c| {
                let text = unsafe { ffi::sqlite3_column_text(stmt, c) };
                (!text.is_null()).then(|| {
                    unsafe { CStr::from_ptr(text.cast()) }
                        .to_string_lossy()
                        .into_owned()
                })
            })
            .collect();
        rows.push(row);
    }
    // SAFETY: finalized exactly once.
    unsafe { ffi::sqlite3_finalize(stmt) };
    rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_cover_bare_quoted_and_string_names() {
        assert_eq!(
            words("DROP INDEX \"Ix\"\"q\"; -- users\nALTER TABLE [Orders] ADD `b` /* c */ 'x'"),
            [
                "drop", "index", "ix\"q", "alter", "table", "orders", "add", "b", "x"
            ]
        );
    }

    #[test]
    fn references_name_parents_even_qualified() {
        assert_eq!(
            references(
                "CREATE TABLE c (a INT REFERENCES p(id), b INT, FOREIGN KEY (b) REFERENCES main.\"Q\")"
            ),
            ["p", "main", "q"]
        );
    }

    #[test]
    fn missing_table_reads_sqlite_messages() {
        assert_eq!(missing_table("no such table: main.T").as_deref(), Some("t"));
        assert_eq!(
            missing_table("error in view v: no such table: main.p").as_deref(),
            Some("p")
        );
        assert_eq!(missing_table("no such table: x").as_deref(), Some("x"));
        assert_eq!(missing_table("no such table: temp.x"), None);
        assert_eq!(missing_table("no such column: x"), None);
    }
}
