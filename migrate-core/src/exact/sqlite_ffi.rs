//! The SQLite the build-time checks run: `csrc/sqlite_replay.c`, SQLite's
//! amalgamation (the one libsqlite3-sys bundles) compiled by this crate's
//! build script with optimisation in every profile, its symbols private,
//! and the entry points below exported under a `migrate_` prefix.
//! libsqlite3-sys lends the types and constants.

use std::ffi::{c_char, c_int, c_uchar};

pub(crate) use libsqlite3_sys::{SQLITE_DONE, SQLITE_OK, SQLITE_ROW, sqlite3, sqlite3_stmt};

unsafe extern "C" {
    /// `sqlite3_open_v2(":memory:", db, READWRITE | CREATE | MEMORY, NULL)`.
    #[link_name = "migrate_sqlite3_open_memory"]
    pub(crate) fn open_memory(db: *mut *mut sqlite3) -> c_int;
    /// `sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0)`.
    #[link_name = "migrate_sqlite3_no_memstatus"]
    pub(crate) fn no_memstatus() -> c_int;
    #[link_name = "migrate_sqlite3_close"]
    pub(crate) fn sqlite3_close(db: *mut sqlite3) -> c_int;
    #[link_name = "migrate_sqlite3_errmsg"]
    pub(crate) fn sqlite3_errmsg(db: *mut sqlite3) -> *const c_char;
    #[link_name = "migrate_sqlite3_error_offset"]
    pub(crate) fn sqlite3_error_offset(db: *mut sqlite3) -> c_int;
    #[link_name = "migrate_sqlite3_prepare_v2"]
    pub(crate) fn sqlite3_prepare_v2(
        db: *mut sqlite3,
        sql: *const c_char,
        n: c_int,
        stmt: *mut *mut sqlite3_stmt,
        tail: *mut *const c_char,
    ) -> c_int;
    #[link_name = "migrate_sqlite3_step"]
    pub(crate) fn sqlite3_step(stmt: *mut sqlite3_stmt) -> c_int;
    #[link_name = "migrate_sqlite3_finalize"]
    pub(crate) fn sqlite3_finalize(stmt: *mut sqlite3_stmt) -> c_int;
    /// `sqlite3_bind_text` with `SQLITE_TRANSIENT` (SQLite copies the text).
    #[link_name = "migrate_sqlite3_bind_text"]
    pub(crate) fn bind_text(
        stmt: *mut sqlite3_stmt,
        index: c_int,
        text: *const c_char,
        n: c_int,
    ) -> c_int;
    #[link_name = "migrate_sqlite3_column_count"]
    pub(crate) fn sqlite3_column_count(stmt: *mut sqlite3_stmt) -> c_int;
    #[link_name = "migrate_sqlite3_column_text"]
    pub(crate) fn sqlite3_column_text(stmt: *mut sqlite3_stmt, column: c_int) -> *const c_uchar;
}
