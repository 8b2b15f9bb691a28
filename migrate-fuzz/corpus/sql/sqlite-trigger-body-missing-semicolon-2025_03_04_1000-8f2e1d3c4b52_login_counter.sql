ALTER TABLE accounts ADD COLUMN logins INTEGER NOT NULL DEFAULT 0;
CREATE TABLE logins (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL);
CREATE TRIGGER IF NOT EXISTS logins_count
AFTER INSERT ON logins
BEGIN
    UPDATE accounts SET logins = logins + 1 WHERE id = NEW.account_id
END;

-- migrate:downgrade
DROP TRIGGER logins_count;
DROP TABLE logins;
ALTER TABLE accounts DROP COLUMN logins;
