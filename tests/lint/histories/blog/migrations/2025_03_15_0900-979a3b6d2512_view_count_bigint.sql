-- revision: 979a3b6d2512
-- down_revision: 23e5772679d2
-- message: view count bigint

-- migrate:upgrade
ALTER TABLE posts ALTER COLUMN view_count TYPE bigint;
