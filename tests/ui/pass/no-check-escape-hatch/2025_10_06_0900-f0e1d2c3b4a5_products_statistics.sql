-- revision: f0e1d2c3b4a5
-- down_revision: 955bb0742a21
-- message: extended statistics on products (name, price)

-- migrate:upgrade
-- migrate:no-check
CREATE STATISTICS products_name_price ON name, price FROM products;
ANALYZE products;

-- migrate:downgrade
-- migrate:no-check
DROP STATISTICS products_name_price;
