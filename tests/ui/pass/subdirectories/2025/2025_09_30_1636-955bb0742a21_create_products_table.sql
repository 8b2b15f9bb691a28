-- revision: 955bb0742a21
-- down_revision: none
-- message: create products table
-- create_date: 2025-09-30 16:36:12

-- migrate:upgrade
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL
);

-- migrate:downgrade
DROP TABLE products;
