-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: backfill empty product names
-- create_date: 2025-10-02 11:00:00 UTC

-- migrate:upgrade
UPDATE products SET name = id WHERE name = '';

-- migrate:downgrade
-- The old empty names are not worth restoring.
-- migrate:no-op
