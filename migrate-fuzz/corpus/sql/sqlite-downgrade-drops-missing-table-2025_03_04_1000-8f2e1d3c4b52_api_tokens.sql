CREATE TABLE api_tokens (
    token TEXT PRIMARY KEY,
    account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE
) WITHOUT ROWID;
CREATE INDEX api_tokens_account ON api_tokens (account_id);

-- migrate:downgrade
DROP INDEX api_tokens_account;
DROP TABLE api_token;
