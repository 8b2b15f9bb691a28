-- revision: 2c52e9f7c0b9
-- down_revision: 9b1f6081d2df
-- message: rename username to handle

-- migrate:upgrade
ALTER TABLE users RENAME COLUMN username TO handle;
