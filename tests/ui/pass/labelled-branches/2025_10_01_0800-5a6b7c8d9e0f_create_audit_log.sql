-- revision: 5a6b7c8d9e0f
-- down_revision: none
-- branch_labels: audit
-- message: create audit log (independent branch)

-- migrate:upgrade
CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    happened_at TIMESTAMP NOT NULL,
    event TEXT NOT NULL
);

-- migrate:downgrade
DROP TABLE audit_log;
