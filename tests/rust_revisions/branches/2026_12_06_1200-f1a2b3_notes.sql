-- revision: f1a2b3
-- down_revision: none
-- message: notes

-- migrate:upgrade
CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL);
INSERT INTO notes (id, body) VALUES (1, '  padded  ');

-- migrate:downgrade
DROP TABLE notes;
