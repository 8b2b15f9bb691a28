CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    started_at TEXT NOT NULL
);
INSERT INTO sessions (account_id, started_at)
SELECT account_id, min(at) FROM logins GROUP BY account_id;

-- migrate:downgrade
DROP TABLE sessions;
