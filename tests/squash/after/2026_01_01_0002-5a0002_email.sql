-- revision: 5a0002
-- down_revision: 5a0001
-- message: user emails

-- migrate:upgrade
ALTER TABLE users ADD COLUMN email TEXT;

-- migrate:downgrade
ALTER TABLE users DROP COLUMN email;
