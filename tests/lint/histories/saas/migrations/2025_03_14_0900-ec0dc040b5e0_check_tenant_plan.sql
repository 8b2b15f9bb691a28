-- revision: ec0dc040b5e0
-- down_revision: 0b8509bcb802
-- message: check tenant plan

-- migrate:upgrade
ALTER TABLE tenants ADD CONSTRAINT tenants_plan_not_null CHECK (plan IS NOT NULL) NOT VALID;
