-- revision: 19dd74012af7
-- down_revision: 752ffd37de8f
-- message: widen product price

-- migrate:upgrade
ALTER TABLE products ALTER COLUMN price TYPE numeric(12, 2);
