-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: normalise emails and stamp the change

-- migrate:upgrade
ALTER TABLE accounts ADD COLUMN updated_at TEXT;
UPDATE accounts
SET email = lower(trim(email)),
    updated_at = datetime('now')
WHERE emial <> lower(trim(email));

-- migrate:downgrade
ALTER TABLE accounts DROP COLUMN updated_at;
