-- The example app's declared schema: what the migrations in migrations/
-- build, compared with the database by `migrate revision --autogenerate`
-- and `migrate check`. migrate.toml lists both dialects, so every statement
-- here reads the same in PostgreSQL and SQLite (the file is parsed in the
-- dialect of the database it is compared with).

CREATE TABLE products (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    price NUMERIC(10, 2) NOT NULL,
    description TEXT,
    quantity INTEGER NOT NULL DEFAULT 0,
    slug TEXT
);

CREATE INDEX ix_products_name ON products (name);

CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE,
    username TEXT NOT NULL,
    display_name TEXT
);

CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE product_tags (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, tag_id)
);
