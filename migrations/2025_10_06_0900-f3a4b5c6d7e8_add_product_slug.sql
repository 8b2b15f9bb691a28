-- revision: f3a4b5c6d7e8
-- down_revision: e1f2a3b4c5d6
-- message: add products.slug, filled by the next revision
-- create_date: 2025-10-06 09:00:12

-- migrate:upgrade
ALTER TABLE products ADD COLUMN slug TEXT;

-- migrate:downgrade
ALTER TABLE products DROP COLUMN slug;
