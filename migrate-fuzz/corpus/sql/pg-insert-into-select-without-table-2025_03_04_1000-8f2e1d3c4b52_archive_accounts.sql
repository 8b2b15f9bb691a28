CREATE TABLE accounts_archive (LIKE accounts INCLUDING ALL);
WITH old AS (
    SELECT id FROM accounts WHERE created_at < now() - interval '5 years'
)
INSERT INTO SELECT a.* FROM accounts a JOIN old USING (id);

-- migrate:downgrade
DROP TABLE accounts_archive;
