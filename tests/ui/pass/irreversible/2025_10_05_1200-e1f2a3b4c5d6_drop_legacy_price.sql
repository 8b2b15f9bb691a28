-- revision: e1f2a3b4c5d6
-- down_revision: 955bb0742a21
-- message: drop products.price; the data is gone, so there is no downgrade
-- create_date: 2025-10-05 12:00:40

-- migrate:upgrade
ALTER TABLE products DROP COLUMN price;
