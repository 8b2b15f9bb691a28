-- revision: ffbe9474bed4
-- down_revision: e15f25af7c26
-- message: rename projects to workspaces

-- migrate:upgrade
ALTER TABLE projects RENAME TO workspaces;
