-- revision: b7c8d9e0f1a2
-- down_revision: a1b2c3d4e5f6
-- message: create tags table

-- migrate:upgrade
CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO tags (id, name) VALUES ('new', 'New'), ('sale', 'Sale'),;

-- migrate:downgrade
DROP TABLE tags;
