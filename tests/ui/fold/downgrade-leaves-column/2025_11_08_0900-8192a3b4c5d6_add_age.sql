-- revision: 8192a3b4c5d6
-- down_revision: 1a2b3c4d5e6f
-- message: add age, drop the default

-- migrate:upgrade
ALTER TABLE users ADD COLUMN age integer;
ALTER TABLE users ALTER COLUMN created_at DROP DEFAULT;

-- migrate:downgrade
UPDATE users SET created_at = now() WHERE created_at IS NULL;
