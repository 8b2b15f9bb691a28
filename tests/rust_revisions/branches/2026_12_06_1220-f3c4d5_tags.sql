-- revision: f3c4d5
-- down_revision: f1a2b3
-- message: tags, on the other branch

-- migrate:upgrade
CREATE TABLE note_tags (note_id INTEGER NOT NULL, tag TEXT NOT NULL);

-- migrate:downgrade
DROP TABLE note_tags;
