-- revision: 8d0b10791983
-- down_revision: b81fbd18d333
-- message: add customer phone

-- migrate:upgrade
ALTER TABLE customers ADD COLUMN phone text;
