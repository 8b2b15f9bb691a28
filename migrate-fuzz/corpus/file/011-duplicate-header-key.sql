-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: create users table
-- down_revision: 3c4d5e6f7a8b

-- migrate:upgrade
CREATE TABLE users (id TEXT PRIMARY KEY);

-- migrate:downgrade
DROP TABLE users;
