-- revision: ec9ccb5dffd7
-- down_revision: 41df87c2d592
-- message: order item quantity bigint

-- migrate:upgrade
ALTER TABLE order_items ALTER COLUMN quantity TYPE bigint;
