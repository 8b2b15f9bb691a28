-- revision: 090b7ff30485
-- down_revision: 593543f216f5
-- message: add project settings

-- migrate:upgrade
ALTER TABLE projects ADD COLUMN settings jsonb NOT NULL DEFAULT '{}';
