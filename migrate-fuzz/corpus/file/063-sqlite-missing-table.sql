-- revision: 7e1d0c2b3a41
-- down_revision: none
-- message: create accounts

-- migrate:upgrade
PRAGMA foreign_keys = ON;
CREATE TABLE accounts (
    id INTEGER PRIMARY KEY,
    email TEXT NOT NULL UNIQUE COLLATE NOCASE,
    created_at TEXT NOT NULL DEFAULT (datetime('now'))
) STRICT;

-- migrate:downgrade
DROP TABLE accounts;
