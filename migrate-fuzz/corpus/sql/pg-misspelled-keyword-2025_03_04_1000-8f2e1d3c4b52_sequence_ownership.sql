ALTER TABLE accounts ADD COLUMN number integer;
CREATE SEQUENCE account_numbers;
ALTER SEQUENCE account_numbers OWNED BI accounts.number;

-- migrate:downgrade
ALTER TABLE accounts DROP COLUMN number;
