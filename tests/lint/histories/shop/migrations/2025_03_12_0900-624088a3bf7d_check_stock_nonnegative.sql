-- revision: 624088a3bf7d
-- down_revision: 8d0b10791983
-- message: check stock nonnegative

-- migrate:upgrade
UPDATE products SET stock = 0 WHERE stock < 0;
ALTER TABLE products ADD CONSTRAINT products_stock_nonnegative CHECK (stock >= 0) NOT VALID;
