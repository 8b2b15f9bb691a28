-- revision: 8bc5e806e616
-- down_revision: 8d0ebe4de24f
-- message: add order currency

-- migrate:upgrade
ALTER TABLE orders ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
