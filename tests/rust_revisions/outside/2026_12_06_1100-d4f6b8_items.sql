-- revision: d4f6b8
-- down_revision: none
-- message: items

-- migrate:upgrade
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE items;
