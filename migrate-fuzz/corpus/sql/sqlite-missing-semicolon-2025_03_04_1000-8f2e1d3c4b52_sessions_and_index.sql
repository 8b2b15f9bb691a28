CREATE TABLE sessions (
    id TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    expires_at TEXT NOT NULL
) WITHOUT ROWID
CREATE INDEX sessions_expiry ON sessions (expires_at);

-- migrate:downgrade
DROP INDEX sessions_expiry;
DROP TABLE sessions;
