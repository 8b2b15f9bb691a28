CREATE TABEL users (
    id TEXT PRIMARY KEY,
    email TEXT NOT NULL UNIQUE
);

-- migrate:downgrade
DROP TABLE users;
