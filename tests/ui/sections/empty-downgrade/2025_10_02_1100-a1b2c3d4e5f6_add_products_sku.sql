-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: add products.sku
-- create_date: 2025-10-02 11:00:00 UTC

-- migrate:upgrade
ALTER TABLE products ADD COLUMN sku TEXT;

-- migrate:downgrade
-- (forgotten: the column stays, and the next upgrade fails on it)

