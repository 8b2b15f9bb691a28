-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: create users table
CREATE TABLE users (id TEXT PRIMARY KEY);

-- migrate:upgrade
CREATE INDEX ix_users_id ON users (id);

-- migrate:downgrade
DROP TABLE users;
