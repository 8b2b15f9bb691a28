-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: create users table

-- migrate:upgrade
CREATE TABLE users (
    id TEXT PRIMARY KEY
    email TEXT NOT NULL UNIQUE
);

-- migrate:downgrade
DROP TABLE users;
