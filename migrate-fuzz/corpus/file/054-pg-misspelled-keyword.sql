-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: account numbers owned by their column

-- migrate:upgrade
ALTER TABLE accounts ADD COLUMN number integer;
CREATE SEQUENCE account_numbers;
ALTER SEQUENCE account_numbers OWNED BI accounts.number;

-- migrate:downgrade
ALTER TABLE accounts DROP COLUMN number;
