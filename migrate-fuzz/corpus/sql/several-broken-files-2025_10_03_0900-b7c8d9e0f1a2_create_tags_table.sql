CREATE TABLE tags (id TEXT PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO tags (id, name) VALUES ('new', 'New'), ('sale', 'Sale'),;

-- migrate:downgrade
DROP TABLE tags;
