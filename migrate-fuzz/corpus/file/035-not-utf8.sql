-- revision: a1b2c3d4e5f6
-- down_revision: 955bb0742a21
-- message: create cafés table

-- migrate:upgrade
CREATE TABLE cafes (id TEXT PRIMARY KEY, name TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE cafes;
