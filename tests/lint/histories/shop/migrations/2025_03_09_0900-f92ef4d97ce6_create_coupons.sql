-- revision: f92ef4d97ce6
-- down_revision: 8bc5e806e616
-- message: create coupons

-- migrate:upgrade
CREATE TABLE coupons (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code text NOT NULL UNIQUE,
    percent_off integer NOT NULL CHECK (percent_off BETWEEN 1 AND 100),
    expires_at timestamptz
);
