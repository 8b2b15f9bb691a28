PRAGMA foreign_keys = ON;
PRAGMA foreign_keys=ON;

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    email TEXT NOT NULL COLLATE NOCASE UNIQUE,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    full_name TEXT GENERATED ALWAYS AS (first_name || ' ' || last_name) VIRTUAL,
    initials TEXT AS (substr(first_name, 1, 1) || substr(last_name, 1, 1)) STORED,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
) STRICT;

CREATE TABLE IF NOT EXISTS settings (
    key TEXT PRIMARY KEY,
    value ANY NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE tags (
    name TEXT NOT NULL,
    user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    PRIMARY KEY (name, user_id)
) WITHOUT ROWID;

CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
CREATE INDEX IF NOT EXISTS users_recent ON users (created_at DESC) WHERE created_at > '2020-01-01';

-- migrate:downgrade
DROP INDEX users_recent;
DROP INDEX users_email_lower;
DROP TABLE tags;
DROP TABLE settings;
DROP TABLE users;
