-- revision: 41df87c2d592
-- down_revision: d26b7285a418
-- message: drop status refunded

-- migrate:upgrade
UPDATE orders SET status = 'cancelled' WHERE status = 'refunded';
ALTER TYPE order_status RENAME TO order_status_old;
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped', 'cancelled', 'on_hold');
ALTER TABLE orders ALTER COLUMN status DROP DEFAULT;
ALTER TABLE orders ALTER COLUMN status TYPE order_status USING status::text::order_status;
ALTER TABLE orders ALTER COLUMN status SET DEFAULT 'pending';
DROP TYPE order_status_old;
