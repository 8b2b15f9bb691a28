-- revision: f3448a49c618
-- down_revision: 4cc12ab992ed
-- message: drop api keys

-- migrate:upgrade
DROP TABLE api_keys;
