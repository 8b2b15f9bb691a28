/*
 * SQLite for the build-time checks, compiled with optimisation whatever
 * the profile: the replay runs inside the compiler on every build, and an
 * unoptimised SQLite made it three times slower.
 *
 * Every SQLite symbol is static here (SQLITE_API), so this copy never
 * clashes with the one libsqlite3-sys links for the application; the few
 * entry points the checks use are exported under a prefix of their own.
 */
#define SQLITE_API static
#include "sqlite3.c"

int migrate_sqlite3_open_memory(sqlite3 **db) {
    return sqlite3_open_v2(":memory:", db,
        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_MEMORY, 0);
}
int migrate_sqlite3_close(sqlite3 *db) { return sqlite3_close(db); }
int migrate_sqlite3_no_memstatus(void) { return sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
const char *migrate_sqlite3_errmsg(sqlite3 *db) { return sqlite3_errmsg(db); }
int migrate_sqlite3_error_offset(sqlite3 *db) { return sqlite3_error_offset(db); }
int migrate_sqlite3_prepare_v2(sqlite3 *db, const char *sql, int n, sqlite3_stmt **stmt, const char **tail) {
    return sqlite3_prepare_v2(db, sql, n, stmt, tail);
}
int migrate_sqlite3_step(sqlite3_stmt *stmt) { return sqlite3_step(stmt); }
int migrate_sqlite3_finalize(sqlite3_stmt *stmt) { return sqlite3_finalize(stmt); }
int migrate_sqlite3_bind_text(sqlite3_stmt *stmt, int i, const char *text, int n) {
    return sqlite3_bind_text(stmt, i, text, n, SQLITE_TRANSIENT);
}
int migrate_sqlite3_column_count(sqlite3_stmt *stmt) { return sqlite3_column_count(stmt); }
const unsigned char *migrate_sqlite3_column_text(sqlite3_stmt *stmt, int i) {
    return sqlite3_column_text(stmt, i);
}
