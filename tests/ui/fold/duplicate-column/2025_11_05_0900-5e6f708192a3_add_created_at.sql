-- revision: 5e6f708192a3
-- down_revision: 1a2b3c4d5e6f
-- message: add created_at

-- migrate:upgrade
ALTER TABLE users ADD COLUMN created_at timestamptz;

-- migrate:downgrade
ALTER TABLE users DROP COLUMN created_at;
