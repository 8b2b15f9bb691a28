-- revision: 2b3c4d5e6f70
-- down_revision: 1a2b3c4d5e6f
-- message: index users by creation

-- migrate:upgrade
CREATE INDEX ON users (created_at);

-- migrate:downgrade
DROP INDEX users_created_at_index;
