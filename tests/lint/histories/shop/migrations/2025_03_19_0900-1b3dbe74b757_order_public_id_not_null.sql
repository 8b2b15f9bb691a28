-- revision: 1b3dbe74b757
-- down_revision: 00842ef56c63
-- message: order public id not null

-- migrate:upgrade
ALTER TABLE orders ALTER COLUMN public_id SET NOT NULL;
