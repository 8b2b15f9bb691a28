-- revision: dbfe72b4b39d
-- down_revision: 090b7ff30485
-- message: add account role

-- migrate:upgrade
ALTER TABLE accounts ADD COLUMN role text NOT NULL DEFAULT 'member';
