-- revision: 8192a3b4c5d6
-- down_revision: 1a2b3c4d5e6f
-- message: index created_at

-- migrate:upgrade
SET lock_timeout = '2s';
CREATE INDEX CONCURRENTLY users_created_at_idx ON users (created_at);

-- migrate:downgrade
DROP INDEX users_created_at_idx;
