-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: create sessions

-- migrate:upgrade
CREATE TABLE sessions (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    account_id bigint NOT NULL REFERENCES accounts (id),,
    expires_at timestamptz NOT NULL
);

-- migrate:downgrade
DROP TABLE sessions;
