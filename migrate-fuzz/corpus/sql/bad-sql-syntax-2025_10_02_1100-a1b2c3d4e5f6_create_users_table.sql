CREATE TABLE users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL,,
    username TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE users;
