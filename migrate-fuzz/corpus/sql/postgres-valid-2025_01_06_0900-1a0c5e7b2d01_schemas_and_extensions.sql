CREATE SCHEMA ext;
-- Without WITH: the form pg_dump and many hand-written histories use.
CREATE EXTENSION IF NOT EXISTS pgcrypto SCHEMA ext;
CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA ext VERSION '1.6';
CREATE EXTENSION "uuid-ossp" SCHEMA ext;
CREATE SCHEMA IF NOT EXISTS app AUTHORIZATION CURRENT_USER;
SET search_path TO app, ext, public;
SELECT;
SELECT 1;
SELECT pg_catalog.set_config('search_path', 'app, ext, public', false);

-- migrate:downgrade
DROP SCHEMA app;
DROP EXTENSION "uuid-ossp";
DROP EXTENSION citext;
DROP EXTENSION IF EXISTS pgcrypto CASCADE;
DROP SCHEMA ext;
