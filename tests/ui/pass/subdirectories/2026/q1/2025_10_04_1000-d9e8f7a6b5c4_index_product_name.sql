-- revision: d9e8f7a6b5c4
-- down_revision: 3c4d5e6f7a8b
-- message: index products by name
-- create_date: 2025-10-04 10:00:17

-- migrate:upgrade
CREATE INDEX ix_products_name ON products (name);

-- migrate:downgrade
DROP INDEX ix_products_name;
