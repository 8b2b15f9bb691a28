-- revision: 9b1f6081d2df
-- down_revision: a9f3bcd84642
-- message: add comment edited at

-- migrate:upgrade
ALTER TABLE comments ADD COLUMN edited_at timestamptz;
