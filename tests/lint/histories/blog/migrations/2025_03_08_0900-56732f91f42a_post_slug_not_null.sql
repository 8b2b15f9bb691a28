-- revision: 56732f91f42a
-- down_revision: b1efb4ce2930
-- message: post slug not null

-- migrate:upgrade
ALTER TABLE posts ALTER COLUMN slug SET NOT NULL;
