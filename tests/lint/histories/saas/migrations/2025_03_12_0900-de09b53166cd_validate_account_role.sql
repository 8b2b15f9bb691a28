-- revision: de09b53166cd
-- down_revision: 838c13047c8a
-- message: validate account role

-- migrate:upgrade
ALTER TABLE accounts VALIDATE CONSTRAINT accounts_role_check;
