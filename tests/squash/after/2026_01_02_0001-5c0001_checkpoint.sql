-- revision: 5c0001
-- down_revision: 5a0001
-- replaces: 5a0002, 5a0003, 5a0004
-- message: checkpoint: emails and posts

-- migrate:upgrade
ALTER TABLE users ADD COLUMN email TEXT;

CREATE TABLE posts (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id), body TEXT);

CREATE INDEX posts_user ON posts (user_id);

-- migrate:downgrade
DROP TABLE posts;

ALTER TABLE users DROP COLUMN email;
