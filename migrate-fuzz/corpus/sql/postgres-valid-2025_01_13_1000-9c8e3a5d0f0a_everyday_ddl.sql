-- Deferred foreign-key checks of earlier data migrations must fire before ALTER TABLE.
SET CONSTRAINTS ALL IMMEDIATE;
SET LOCAL lock_timeout = '5s';
SET statement_timeout = 0;
LOCK TABLE app.orders IN SHARE ROW EXCLUSIVE MODE;

CREATE EXTENSION IF NOT EXISTS pg_trgm SCHEMA ext;
CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA ext;

ALTER TABLE app.orders ADD CONSTRAINT orders_total_cap CHECK (total < 1000000) NOT VALID;
ALTER TABLE app.orders VALIDATE CONSTRAINT orders_total_cap;
ALTER TABLE app.orders RENAME CONSTRAINT orders_total_cap TO orders_total_limit;
ALTER TABLE app.orders ALTER COLUMN invoice_no TYPE numeric(20, 0) USING invoice_no::numeric;
ALTER TABLE app.orders ALTER COLUMN invoice_no SET STATISTICS 200;
ALTER TABLE app.orders SET (autovacuum_vacuum_scale_factor = 0.01, fillfactor = 90);
ALTER TABLE app.orders REPLICA IDENTITY FULL;
ALTER TABLE app.customers ADD COLUMN tags text[] NOT NULL DEFAULT '{}'::text[];
ALTER TABLE app.customers ADD COLUMN settings jsonb NOT NULL DEFAULT jsonb_build_object('theme', 'light');
ALTER TABLE app.customers ADD COLUMN nickname text COLLATE "C";

CREATE INDEX customers_email_trgm ON app.customers USING gin ((email::text) ext.gin_trgm_ops);
CREATE INDEX customers_settings_idx ON app.customers USING gin (settings jsonb_path_ops);
CREATE INDEX customers_tags_idx ON app.customers USING gin (tags);
CREATE UNIQUE INDEX customers_nickname_key ON app.customers (email, nickname) NULLS NOT DISTINCT;
CREATE INDEX orders_customer_cover ON app.orders (customer_id) INCLUDE (total, status);

CREATE TABLE app.bookings (
    id bigserial PRIMARY KEY,
    room int NOT NULL,
    during tstzrange NOT NULL,
    CONSTRAINT bookings_no_overlap EXCLUDE USING gist (room WITH =, during WITH &&)
);
CREATE TYPE app.address AS (street text, city text, zip varchar(10));
CREATE DOMAIN app.positive_int AS integer CONSTRAINT positive CHECK (VALUE > 0);
ALTER TYPE app.order_status RENAME VALUE 'draft' TO 'pending';
COMMENT ON TYPE app.address IS 'Postal address';
COMMENT ON INDEX app.customers_tags_idx IS 'Tag filter';
COMMENT ON SCHEMA app IS 'Application tables';
COMMENT ON TRIGGER orders_set_updated_at ON app.orders IS 'Keeps updated_at current';
COMMENT ON POLICY orders_read_own ON app.orders IS 'Customers see their own orders';

CREATE OR REPLACE FUNCTION app.customers_with_tag(tag text)
RETURNS TABLE (id integer, email text)
LANGUAGE sql STABLE STRICT
AS $fn$
    SELECT c.id, c.email::text FROM app.customers c WHERE tag = ANY (c.tags) AND c.settings ? 'theme'
$fn$;
ALTER FUNCTION app.customers_with_tag(text) SET search_path = app, pg_temp;
ALTER FUNCTION app.customers_with_tag(text) OWNER TO CURRENT_USER;

CREATE TABLE app.order_audit (order_id bigint, old_status app.order_status, new_status app.order_status);
CREATE FUNCTION app.audit_statement() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    INSERT INTO app.order_audit
    SELECT n.id, o.status, n.status
    FROM new_rows n JOIN old_rows o USING (id)
    WHERE n.status IS DISTINCT FROM o.status;
    RETURN NULL;
END
$$;
CREATE TRIGGER orders_audit_statement
    AFTER UPDATE ON app.orders
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION app.audit_statement();
CREATE CONSTRAINT TRIGGER orders_check_late
    AFTER INSERT ON app.orders
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

CREATE OR REPLACE VIEW app.big_orders AS
    SELECT id, customer_id, total FROM app.orders WHERE total > 100;
ALTER VIEW app.big_orders RENAME TO large_orders;

MERGE INTO app.regions r
USING (VALUES ('fr', 'France'), ('jp', 'Japan')) AS s (code, name)
ON r.code = s.code
WHEN MATCHED THEN UPDATE SET name = s.name
WHEN NOT MATCHED THEN INSERT (code, name) VALUES (s.code, s.name);

UPDATE app.customers SET settings = settings || '{"beta": true}'::jsonb, tags = ARRAY['early', 'vip']
WHERE email LIKE E'%\\_%' ESCAPE '\' OR email ILIKE 'ada%';
UPDATE app.customers SET nickname = 'ada' WHERE settings ->> 'theme' = 'light' AND email = 'ada@example.com';
TRUNCATE app.order_audit RESTART IDENTITY;

-- migrate:downgrade
SET CONSTRAINTS ALL IMMEDIATE;
UPDATE app.customers SET tags = '{}';
DELETE FROM app.regions WHERE code IN ('fr', 'jp');
DROP VIEW app.large_orders;
DROP TRIGGER orders_check_late ON app.orders;
DROP TRIGGER orders_audit_statement ON app.orders;
DROP FUNCTION app.audit_statement();
DROP TABLE app.order_audit;
DROP FUNCTION app.customers_with_tag(text);
ALTER TYPE app.order_status RENAME VALUE 'pending' TO 'draft';
DROP DOMAIN app.positive_int;
DROP TYPE app.address;
DROP TABLE app.bookings;
DROP INDEX app.orders_customer_cover;
DROP INDEX app.customers_nickname_key;
DROP INDEX app.customers_tags_idx;
DROP INDEX app.customers_settings_idx;
DROP INDEX app.customers_email_trgm;
ALTER TABLE app.customers DROP COLUMN nickname, DROP COLUMN settings, DROP COLUMN tags;
ALTER TABLE app.orders REPLICA IDENTITY DEFAULT;
ALTER TABLE app.orders RESET (autovacuum_vacuum_scale_factor, fillfactor);
ALTER TABLE app.orders ALTER COLUMN invoice_no SET STATISTICS -1;
ALTER TABLE app.orders ALTER COLUMN invoice_no TYPE bigint USING invoice_no::bigint;
ALTER TABLE app.orders DROP CONSTRAINT orders_total_limit;
DROP EXTENSION btree_gist;
DROP EXTENSION pg_trgm;
