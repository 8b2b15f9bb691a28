-- down_revision: 955bb0742a21
-- message: create users table

-- migrate:upgrade
CREATE TABLE users (id TEXT PRIMARY KEY);

-- migrate:downgrade
DROP TABLE users;
