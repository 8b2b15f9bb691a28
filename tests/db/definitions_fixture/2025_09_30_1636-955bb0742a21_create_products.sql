-- revision: 955bb0742a21
-- down_revision: none
-- message: create products

-- migrate:upgrade
CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE products;
