CREATE EXTENSION IF NOT EXISTS citext SCHEMA public;
CREATE TABLE accounts (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email citext NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE accounts;
