CREATE OR REPLACE VIEW active_users AS
    SELECT id, email FROM users WHERE active;

CREATE OR REPLACE VIEW inactive_users AS
    SELECT id, email FROM users WHERE NOT active,;
