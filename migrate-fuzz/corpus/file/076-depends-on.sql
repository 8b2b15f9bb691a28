-- revision: 5a6b7c8d9e0f
-- down_revision: none
-- branch_labels: billing
-- message: create invoices table
-- create_date: 2025-10-01 08:00:00

-- migrate:upgrade
CREATE TABLE invoices (
    id TEXT PRIMARY KEY,
    total NUMERIC(10, 2) NOT NULL
);

-- migrate:downgrade
DROP TABLE invoices;
