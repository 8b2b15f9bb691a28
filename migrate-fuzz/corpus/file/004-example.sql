-- revision: b7c8d9e0f1a2
-- down_revision: 3c4d5e6f7a8b
-- message: create tags and product_tags
-- create_date: 2025-10-02 11:30:51

-- migrate:upgrade
CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

CREATE TABLE product_tags (
    product_id TEXT NOT NULL REFERENCES products (id) ON DELETE CASCADE,
    tag_id TEXT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    PRIMARY KEY (product_id, tag_id)
);

-- migrate:downgrade
DROP TABLE product_tags;
DROP TABLE tags;
