-- revision: b7c8d9e0f1a2
-- down_revision: 955bb0742a21
-- message: create tags table
-- create_date: 2025-10-02 11:30:51

-- migrate:upgrade
CREATE TABLE tags (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE
);

-- migrate:downgrade
DROP TABLE tags;
