-- revision: 2c6c5826246f
-- down_revision: f3448a49c618
-- message: add account last login

-- migrate:upgrade
ALTER TABLE accounts ADD COLUMN last_login_at timestamptz;
