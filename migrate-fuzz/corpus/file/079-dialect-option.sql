-- revision: 3c4d5e6f7a8b
-- down_revision: 955bb0742a21
-- message: unique product names

-- migrate:upgrade
CREATE UNIQUE INDEX IF NOT EXISTS ux_products_name ON products (name);
INSERT OR IGNORE INTO products (name, price) VALUES ('sample', 0);

-- migrate:downgrade
DROP INDEX IF EXISTS ux_products_name;
