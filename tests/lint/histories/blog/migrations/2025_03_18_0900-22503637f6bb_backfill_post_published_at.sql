-- revision: 22503637f6bb
-- down_revision: 4bcfb1b320f4
-- message: backfill post published at

-- migrate:upgrade
ALTER TABLE posts ADD COLUMN published_at timestamptz;
UPDATE posts SET published_at = created_at WHERE published;
