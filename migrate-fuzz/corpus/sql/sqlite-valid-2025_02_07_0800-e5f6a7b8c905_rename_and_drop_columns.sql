ALTER TABLE users ADD COLUMN nickname TEXT;
ALTER TABLE users RENAME COLUMN nickname TO display_name;
UPDATE users SET display_name = first_name WHERE display_name IS NULL;
ALTER TABLE orders RENAME COLUMN currency TO currency_code;
ALTER TABLE orders DROP COLUMN currency_code;
ALTER TABLE order_log RENAME TO order_events;
CREATE VIEW IF NOT EXISTS open_orders AS
    SELECT o.id, u.email, o.total FROM orders o JOIN users u ON u.id = o.user_id
    WHERE o.status <> 'shipped';
ANALYZE;
PRAGMA optimize;
SELECT count(*) FROM open_orders;

-- migrate:downgrade
DROP VIEW open_orders;
ALTER TABLE order_events RENAME TO order_log;
ALTER TABLE orders ADD COLUMN currency TEXT NOT NULL DEFAULT 'EUR';
ALTER TABLE users DROP COLUMN display_name;
