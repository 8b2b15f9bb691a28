-- revision: 301e3cb08141
-- down_revision: 0ff2b2c46887
-- message: audit log tenant fkey

-- migrate:upgrade
ALTER TABLE audit_log ADD CONSTRAINT audit_log_tenant_fkey FOREIGN KEY (tenant_id) REFERENCES tenants (id);
