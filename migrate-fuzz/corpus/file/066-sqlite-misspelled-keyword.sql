-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: audit log filled by a trigger

-- migrate:upgrade
CREATE TABLE audit (id INTEGER PRIMARY KEY, account_id INTEGER NOT NULL, at TEXT NOT NULL);
CREATE TRIGGER IF NOT EXISTS accounts_audit
AFTER INSERT ON accounts
FOR EACH ROW
BEGIN
    INSERT INTO audit (account_id, at) VALUES (NEW.id, datetime('now'));
END;
CREATE INDXE audit_account ON audit (account_id);

-- migrate:downgrade
DROP TABLE audit;
