-- revision: b81fbd18d333
-- down_revision: f92ef4d97ce6
-- message: add order coupon

-- migrate:upgrade
ALTER TABLE orders ADD COLUMN coupon_id bigint REFERENCES coupons (id);
