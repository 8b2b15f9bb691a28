-- revision: be3b379d9d6e
-- down_revision: 301e3cb08141
-- message: index audit log actor

-- migrate:upgrade
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id);
