-- revision: e15f25af7c26
-- down_revision: 41e48f558546
-- message: index projects tenant
-- transactional: false

-- migrate:upgrade
CREATE INDEX CONCURRENTLY projects_tenant_id_idx ON projects (tenant_id);
