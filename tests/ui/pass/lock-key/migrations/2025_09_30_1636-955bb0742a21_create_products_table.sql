-- revision: 955bb0742a21
-- down_revision: none
-- message: create products table (SQLite)

-- migrate:upgrade
CREATE TABLE products (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL COLLATE NOCASE,
    price REAL NOT NULL
);

-- migrate:downgrade
DROP TABLE products;
