-- revision: f1a1e1
-- down_revision: none
-- message: items

-- migrate:upgrade
CREATE TABLE items (id INTEGER PRIMARY KEY, name TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE items;
