-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: create orders table
-- create_date: 2025-10-03 09:00:00

-- migrate:upgrade
CREATE TABLE orders (
    id TEXT PRIMARY KEY,
    product_id TEXT NOT NULL REFERENCES products (id)
);

-- migrate:downgrade
DROP TABLE orders;
