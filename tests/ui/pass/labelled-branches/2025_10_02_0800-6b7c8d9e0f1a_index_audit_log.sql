-- revision: 6b7c8d9e0f1a
-- down_revision: 5a6b7c8d9e0f
-- message: index audit log by time

-- migrate:upgrade
CREATE INDEX ix_audit_log_happened_at ON audit_log (happened_at);

-- migrate:downgrade
DROP INDEX ix_audit_log_happened_at;
