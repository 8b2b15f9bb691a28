-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: sessions backfilled from logins

-- migrate:upgrade
CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id),
    started_at TEXT NOT NULL
);
INSERT INTO sessions (account_id, started_at)
SELECT account_id, min(at) FROM logins GROUP BY account_id;

-- migrate:downgrade
DROP TABLE sessions;
