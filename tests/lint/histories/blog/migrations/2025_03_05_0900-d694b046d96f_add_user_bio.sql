-- revision: d694b046d96f
-- down_revision: 79fbf513adff
-- message: add user bio

-- migrate:upgrade
ALTER TABLE users ADD COLUMN bio text;
