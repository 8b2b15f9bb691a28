-- revision: 752ffd37de8f
-- down_revision: 606c3b254ff9
-- message: order status on hold

-- migrate:upgrade
ALTER TYPE order_status ADD VALUE 'on_hold';
