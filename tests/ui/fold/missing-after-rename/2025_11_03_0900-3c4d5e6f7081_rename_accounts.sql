-- revision: 3c4d5e6f7081
-- down_revision: 1a2b3c4d5e6f
-- message: rename accounts to users

-- migrate:upgrade
ALTER TABLE accounts RENAME TO users;

-- migrate:downgrade
ALTER TABLE users RENAME TO accounts;
