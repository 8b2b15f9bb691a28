CREATE TABLE notes (
    id INTEGER PRIMARY KEY,
    user_id INTEGER REFERENCES users (id) ON DELETE SET NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL DEFAULT '',
    meta TEXT NOT NULL DEFAULT '{}' CHECK (json_valid(meta)),
    kind TEXT GENERATED ALWAYS AS (json_extract(meta, '$.kind')) VIRTUAL
);
CREATE INDEX notes_kind ON notes (json_extract(meta, '$.kind'));
CREATE VIRTUAL TABLE notes_fts USING fts5(title, body, content = 'notes', content_rowid = 'id', tokenize = 'porter unicode61');
CREATE TRIGGER notes_ai AFTER INSERT ON notes BEGIN
    INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
CREATE TRIGGER notes_ad AFTER DELETE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
END;
CREATE TRIGGER notes_au AFTER UPDATE ON notes BEGIN
    INSERT INTO notes_fts (notes_fts, rowid, title, body) VALUES ('delete', old.id, old.title, old.body);
    INSERT INTO notes_fts (rowid, title, body) VALUES (new.id, new.title, new.body);
END;
INSERT INTO notes (user_id, title, body, meta)
SELECT id, 'Welcome ' || first_name, 'First note', json_object('kind', 'welcome', 'tags', json_array('a', 'b'))
FROM users;
INSERT INTO notes (title) VALUES ('orphan');
UPDATE notes SET meta = json_set(meta, '$.seen', json('true')) WHERE meta ->> '$.kind' = 'welcome';
INSERT INTO notes_fts (notes_fts) VALUES ('rebuild');
SELECT n.id FROM notes_fts f JOIN notes n ON n.id = f.rowid WHERE notes_fts MATCH 'welcome' ORDER BY rank;
UPDATE OR IGNORE notes SET title = 'Welcome!' WHERE title LIKE 'Welcome %' ESCAPE '\';
CREATE TABLE note_kinds AS SELECT DISTINCT kind FROM notes WHERE kind IS NOT NULL;
PRAGMA user_version = 6;

-- migrate:downgrade
PRAGMA user_version = 5;
DROP TABLE note_kinds;
DROP TRIGGER notes_au;
DROP TRIGGER notes_ad;
DROP TRIGGER notes_ai;
DROP TABLE notes_fts;
DROP TABLE notes;
