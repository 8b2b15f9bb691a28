-- revision: b1efb4ce2930
-- down_revision: 1ec90a044570
-- message: add post slug

-- migrate:upgrade
ALTER TABLE posts ADD COLUMN slug text;
UPDATE posts SET slug = lower(replace(title, ' ', '-')) || '-' || id;
