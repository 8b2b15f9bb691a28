CREATE OR REPLACE VIEW active_users AS
    SELECT id, email FROM users WHERE active AND email NOT IN (SELECT email FROM mailing);
