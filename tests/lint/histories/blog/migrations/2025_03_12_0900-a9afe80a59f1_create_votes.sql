-- revision: a9afe80a59f1
-- down_revision: 2c52e9f7c0b9
-- message: create votes

-- migrate:upgrade
CREATE TABLE votes (
    user_id bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    comment_id bigint NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    value smallint NOT NULL CHECK (value IN (-1, 1)),
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (user_id, comment_id)
);
CREATE INDEX votes_comment_id_idx ON votes (comment_id);
