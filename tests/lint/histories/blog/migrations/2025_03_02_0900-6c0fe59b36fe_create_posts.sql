-- revision: 6c0fe59b36fe
-- down_revision: fe4660810151
-- message: create posts

-- migrate:upgrade
CREATE TABLE posts (
    id bigserial PRIMARY KEY,
    author_id bigint NOT NULL REFERENCES users (id),
    title text NOT NULL,
    body text NOT NULL,
    published boolean NOT NULL DEFAULT false,
    created_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX posts_author_id_idx ON posts (author_id);
