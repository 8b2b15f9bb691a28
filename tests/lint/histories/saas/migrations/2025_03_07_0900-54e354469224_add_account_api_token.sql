-- revision: 54e354469224
-- down_revision: be3b379d9d6e
-- message: add account api token

-- migrate:upgrade
ALTER TABLE accounts ADD COLUMN api_token uuid DEFAULT gen_random_uuid();
