-- revision: 955bb0742a21
-- down_revision: none
-- message: create users

-- migrate:upgrade
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,
    active BOOLEAN NOT NULL
);

-- migrate:downgrade
DROP TABLE users;
