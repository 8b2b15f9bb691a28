-- revision: e83d3926a4b4
-- down_revision: 2e11f5acfd22
-- message: add order public id

-- migrate:upgrade
ALTER TABLE orders ADD COLUMN public_id uuid DEFAULT gen_random_uuid();
