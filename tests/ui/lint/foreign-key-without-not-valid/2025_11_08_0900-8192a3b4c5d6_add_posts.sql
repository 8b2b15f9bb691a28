-- revision: 8192a3b4c5d6
-- down_revision: 1a2b3c4d5e6f
-- message: posts, and an inviter on users

-- migrate:upgrade
CREATE TABLE posts (
    id bigserial PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES users (id)
);
ALTER TABLE users ADD COLUMN invited_by bigint;
ALTER TABLE users ADD CONSTRAINT users_invited_by_fkey
    FOREIGN KEY (invited_by) REFERENCES users (id);

-- migrate:downgrade
ALTER TABLE users DROP COLUMN invited_by;
DROP TABLE posts;
