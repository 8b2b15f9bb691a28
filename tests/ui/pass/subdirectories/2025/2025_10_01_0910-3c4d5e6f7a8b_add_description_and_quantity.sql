-- revision: 3c4d5e6f7a8b
-- down_revision: 955bb0742a21
-- message: add description and quantity to products
-- create_date: 2025-10-01 09:10:44

-- migrate:upgrade
ALTER TABLE products ADD COLUMN description TEXT;
ALTER TABLE products ADD COLUMN quantity INTEGER NOT NULL DEFAULT 0;

-- migrate:downgrade
ALTER TABLE products DROP COLUMN quantity;
ALTER TABLE products DROP COLUMN description;
