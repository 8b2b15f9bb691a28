-- revision: 2e11f5acfd22
-- down_revision: ec9ccb5dffd7
-- message: add customer loyalty points

-- migrate:upgrade
ALTER TABLE customers ADD COLUMN loyalty_points integer NOT NULL;
