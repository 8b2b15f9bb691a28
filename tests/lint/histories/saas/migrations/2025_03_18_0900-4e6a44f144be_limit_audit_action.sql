-- revision: 4e6a44f144be
-- down_revision: ffbe9474bed4
-- message: limit audit action

-- migrate:upgrade
ALTER TABLE audit_log ALTER COLUMN action TYPE varchar(64);
