CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id bigint NOT NULL REFERENCES accounts (id),,
    expires_at timestamptz NOT NULL
);

-- migrate:downgrade
DROP TABLE sessions;
