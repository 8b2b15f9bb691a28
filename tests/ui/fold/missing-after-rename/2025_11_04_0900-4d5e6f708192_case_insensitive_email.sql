-- revision: 4d5e6f708192
-- down_revision: 3c4d5e6f7081
-- message: case-insensitive email

-- migrate:upgrade
ALTER TABLE users DROP CONSTRAINT users_email_key;
CREATE UNIQUE INDEX users_email_lower_idx ON users (lower(email));

-- migrate:downgrade
DROP INDEX users_email_lower_idx;
ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);
