-- revision: e1f2a3b4c5d6
-- down_revision: d9e8f7a6b5c4
-- message: add users.display_name, backfilled from username
-- create_date: 2025-10-05 12:00:40

-- migrate:upgrade
ALTER TABLE users ADD COLUMN display_name TEXT;
UPDATE users SET display_name = username WHERE display_name IS NULL;

-- migrate:downgrade
ALTER TABLE users DROP COLUMN display_name;
