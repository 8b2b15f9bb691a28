-- revision: 838c13047c8a
-- down_revision: dbfe72b4b39d
-- message: check account role

-- migrate:upgrade
ALTER TABLE accounts ADD CONSTRAINT accounts_role_check CHECK (role IN ('owner', 'admin', 'member')) NOT VALID;
