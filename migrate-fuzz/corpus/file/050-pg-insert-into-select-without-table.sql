-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: archive old accounts

-- migrate:upgrade
CREATE TABLE accounts_archive (LIKE accounts INCLUDING ALL);
WITH old AS (
    SELECT id FROM accounts WHERE created_at < now() - interval '5 years'
)
INSERT INTO SELECT a.* FROM accounts a JOIN old USING (id);

-- migrate:downgrade
DROP TABLE accounts_archive;
