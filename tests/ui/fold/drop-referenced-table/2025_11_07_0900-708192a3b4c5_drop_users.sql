-- revision: 708192a3b4c5
-- down_revision: 6f708192a3b4
-- message: users move to the auth service

-- migrate:upgrade
DROP TABLE users;

-- migrate:downgrade
CREATE TABLE users (
    id bigserial PRIMARY KEY,
    email text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
