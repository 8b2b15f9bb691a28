-- revision: 79fbf513adff
-- down_revision: 0906c6d7f8fd
-- message: create tags

-- migrate:upgrade
CREATE TABLE tags (
    id bigserial PRIMARY KEY,
    name text NOT NULL UNIQUE
);
CREATE TABLE posts_tags (
    post_id bigint NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id bigint NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (post_id, tag_id)
);
