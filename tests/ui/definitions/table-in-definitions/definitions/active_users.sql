-- Users who may sign in.
CREATE OR REPLACE VIEW active_users AS
    SELECT id, email FROM users WHERE active;

-- A table is schema, not a definition: it belongs in a revision.
CREATE TABLE audit (
    id TEXT PRIMARY KEY
);
