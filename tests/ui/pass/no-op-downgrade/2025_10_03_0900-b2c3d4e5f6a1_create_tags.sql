-- revision: b2c3d4e5f6a1
-- down_revision: 955bb0742a21
-- message: create tags
-- create_date: 2025-10-03 09:00:00 UTC

-- migrate:upgrade
CREATE TABLE tags (name TEXT PRIMARY KEY);

-- migrate:downgrade
DROP TABLE tags;
