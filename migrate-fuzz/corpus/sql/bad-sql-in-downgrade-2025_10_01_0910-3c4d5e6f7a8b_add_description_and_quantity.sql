ALTER TABLE products ADD COLUMN description TEXT;
ALTER TABLE products ADD COLUMN quantity INTEGER NOT NULL DEFAULT 0;

-- migrate:downgrade
ALTER TABLE products DROP COLUMN quantity;
ALTER TABLE products DROP COLUMN description TEXT;
