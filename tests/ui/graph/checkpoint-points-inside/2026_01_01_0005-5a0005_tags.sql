-- revision: 5a0005
-- down_revision: 5a0004
-- message: tags

-- migrate:upgrade
CREATE TABLE tags (id INTEGER PRIMARY KEY, name TEXT UNIQUE);

-- migrate:downgrade
DROP TABLE tags;
