-- revision: 9229ddd61282
-- down_revision: a9afe80a59f1
-- message: add post view count

-- migrate:upgrade
ALTER TABLE posts ADD COLUMN view_count integer NOT NULL DEFAULT 0;
