-- revision: a1c3e5
-- down_revision: none
-- message: users

-- migrate:upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY, email TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE users;
