-- revision: 41e48f558546
-- down_revision: ec0dc040b5e0
-- message: tenant plan not null

-- migrate:upgrade
ALTER TABLE tenants VALIDATE CONSTRAINT tenants_plan_not_null;
ALTER TABLE tenants ALTER COLUMN plan SET NOT NULL;
