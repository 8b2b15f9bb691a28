-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: sessions and an index

-- migrate:upgrade
CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
) WITHOUT ROWID
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- migrate:downgrade
DROP INDEX sessions_expiry;
DROP TABLE sessions;
