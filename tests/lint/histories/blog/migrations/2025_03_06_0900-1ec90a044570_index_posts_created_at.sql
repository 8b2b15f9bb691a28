-- revision: 1ec90a044570
-- down_revision: d694b046d96f
-- message: index posts created at

-- migrate:upgrade
CREATE INDEX posts_created_at_idx ON posts (created_at);
