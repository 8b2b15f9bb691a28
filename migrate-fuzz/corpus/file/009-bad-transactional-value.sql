-- revision: d9e8f7a6b5c4
-- down_revision: 955bb0742a21
-- message: index products by name, without locking the table
-- transactional: no

-- migrate:upgrade
CREATE INDEX CONCURRENTLY ix_products_name ON products (name);

-- migrate:downgrade
DROP INDEX CONCURRENTLY ix_products_name;
