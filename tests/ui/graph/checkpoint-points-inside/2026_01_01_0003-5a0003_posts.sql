-- revision: 5a0003
-- down_revision: 5a0002
-- message: posts

-- migrate:upgrade
CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);

-- migrate:downgrade
DROP TABLE posts;
