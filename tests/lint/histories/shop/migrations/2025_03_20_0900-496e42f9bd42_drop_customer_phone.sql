-- revision: 496e42f9bd42
-- down_revision: 1b3dbe74b757
-- message: drop customer phone

-- migrate:upgrade
ALTER TABLE customers DROP COLUMN phone;
