-- revision: 1a2b3c4d5e6f
-- down_revision: none
-- message: create users

-- migrate:upgrade
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE users;
