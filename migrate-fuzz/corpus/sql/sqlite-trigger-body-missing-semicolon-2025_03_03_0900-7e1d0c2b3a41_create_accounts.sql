PRAGMA foreign_keys = ON;
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
) STRICT;

-- migrate:downgrade
DROP TABLE accounts;
