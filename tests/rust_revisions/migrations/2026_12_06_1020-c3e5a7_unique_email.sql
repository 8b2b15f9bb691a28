-- revision: c3e5a7
-- down_revision: b2d4f6
-- message: unique email

-- migrate:upgrade
CREATE UNIQUE INDEX users_email ON users (email);

-- migrate:downgrade
DROP INDEX users_email;
