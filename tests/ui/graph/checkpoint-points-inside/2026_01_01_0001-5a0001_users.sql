-- revision: 5a0001
-- down_revision: none
-- message: users

-- migrate:upgrade
CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
INSERT INTO users (id, name) VALUES (1, 'ada'), (2, 'grace');

-- migrate:downgrade
DROP TABLE users;
