-- revision: 2b3c4d5e6f70
-- down_revision: 1a2b3c4d5e6f
-- message: drop the index made by hand on production

-- migrate:upgrade
-- Made by hand on production before this history began, so the chain
-- does not know it.
-- migrate:allow(missing)
DROP INDEX legacy_users_email_idx;

-- migrate:downgrade
-- migrate:no-op
