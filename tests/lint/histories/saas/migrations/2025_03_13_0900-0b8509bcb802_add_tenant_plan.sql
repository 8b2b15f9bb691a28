-- revision: 0b8509bcb802
-- down_revision: de09b53166cd
-- message: add tenant plan

-- migrate:upgrade
ALTER TABLE tenants ADD COLUMN plan text;
UPDATE tenants SET plan = 'free' WHERE plan IS NULL;
