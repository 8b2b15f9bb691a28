-- revision: 15f5cb0d08ff
-- down_revision: none
-- message: create tenants

-- migrate:upgrade
CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE TABLE tenants (
    id uuid PRIMARY KEY DEFAULT gen_random_uuid(),
    name text NOT NULL,
    slug text NOT NULL UNIQUE,
    created_at timestamptz NOT NULL DEFAULT now()
);
