-- revision: d26b7285a418
-- down_revision: 624088a3bf7d
-- message: validate stock nonnegative

-- migrate:upgrade
ALTER TABLE products VALIDATE CONSTRAINT products_stock_nonnegative;
