CREATE OR REPLACE VIEW mailing AS
    SELECT email FROM active_users WHERE email NOT IN (SELECT email FROM bounced);
