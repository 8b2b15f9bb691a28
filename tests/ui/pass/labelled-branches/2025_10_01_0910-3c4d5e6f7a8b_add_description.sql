-- revision: 3c4d5e6f7a8b
-- down_revision: 955bb0742a21
-- message: add description to products

-- migrate:upgrade
ALTER TABLE products ADD COLUMN description TEXT;

-- migrate:downgrade
ALTER TABLE products DROP COLUMN description;
