-- revision: 6f708192a3b4
-- down_revision: 1a2b3c4d5e6f
-- message: create posts

-- migrate:upgrade
CREATE TABLE posts (
    id bigserial PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES users (id),
    body text NOT NULL
);

-- migrate:downgrade
DROP TABLE posts;
