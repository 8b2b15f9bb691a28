-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: API tokens

-- migrate:upgrade
CREATE TABLE api_tokens (
    token TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- migrate:downgrade
DROP INDEX api_tokens_account;
DROP TABLE api_token;
