ALTER TABLE accounts ADD COLUMN updated_at TEXT;
UPDATE accounts
SET email = lower(trim(email)),
    updated_at = datetime('now')
WHERE emial <> lower(trim(email));

-- migrate:downgrade
ALTER TABLE accounts DROP COLUMN updated_at;
