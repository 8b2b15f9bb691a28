CREATE TABLE app.events (
    id bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at timestamptz NOT NULL,
    customer_id integer,
    kind text NOT NULL DEFAULT 'note',
    payload jsonb NOT NULL DEFAULT '{}'::jsonb,
    PRIMARY KEY (id, occurred_at)
) PARTITION BY RANGE (occurred_at);

CREATE TABLE app.events_2025 PARTITION OF app.events
    FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');
CREATE TABLE app.events_default PARTITION OF app.events DEFAULT;
CREATE TABLE app.events_2026 (
    id bigint NOT NULL,
    occurred_at timestamptz NOT NULL,
    customer_id integer,
    kind text NOT NULL DEFAULT 'note',
    payload jsonb NOT NULL DEFAULT '{}'::jsonb
);
ALTER TABLE app.events ATTACH PARTITION app.events_2026
    FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');
CREATE INDEX events_customer_idx ON app.events (customer_id, occurred_at DESC);

CREATE TABLE app.regions (code text NOT NULL, name text) PARTITION BY LIST (code);
CREATE TABLE app.regions_eu PARTITION OF app.regions FOR VALUES IN ('de', 'fr', 'it');
CREATE TABLE app.regions_other PARTITION OF app.regions DEFAULT;
CREATE TABLE app.shards (id bigint NOT NULL) PARTITION BY HASH (id);
CREATE TABLE app.shards_0 PARTITION OF app.shards FOR VALUES WITH (MODULUS 2, REMAINDER 0);
CREATE TABLE app.shards_1 PARTITION OF app.shards FOR VALUES WITH (MODULUS 2, REMAINDER 1);

CREATE MATERIALIZED VIEW app.customer_totals AS
    SELECT c.id, c.email, count(o.id) AS orders, coalesce(sum(o.total), 0) AS spent
    FROM app.customers c
    LEFT JOIN app.orders o ON o.customer_id = c.id
    GROUP BY c.id, c.email
WITH NO DATA;
CREATE UNIQUE INDEX customer_totals_id ON app.customer_totals (id);
REFRESH MATERIALIZED VIEW app.customer_totals;
REFRESH MATERIALIZED VIEW CONCURRENTLY app.customer_totals WITH DATA;

CREATE VIEW app.open_orders WITH (security_barrier) AS
    SELECT id, customer_id, total FROM app.orders WHERE status IN ('new', 'paid');

ALTER TABLE app.orders ENABLE ROW LEVEL SECURITY;
ALTER TABLE app.orders FORCE ROW LEVEL SECURITY;
CREATE POLICY orders_owner ON app.orders
    AS PERMISSIVE
    FOR SELECT
    TO PUBLIC
    USING (customer_id = nullif(current_setting('app.customer_id', true), '')::integer);
CREATE POLICY orders_insert ON app.orders FOR INSERT WITH CHECK (total >= 0);
CREATE POLICY orders_restrict ON app.orders AS RESTRICTIVE FOR ALL TO CURRENT_USER USING (true);
ALTER POLICY orders_owner ON app.orders RENAME TO orders_read_own;
ALTER POLICY orders_insert ON app.orders WITH CHECK (total >= 0 AND total < 1000000);

GRANT USAGE ON SCHEMA app TO PUBLIC;
GRANT SELECT ON app.open_orders TO PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA app GRANT SELECT ON TABLES TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA app GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
ALTER DEFAULT PRIVILEGES REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;

-- migrate:downgrade
ALTER DEFAULT PRIVILEGES GRANT EXECUTE ON FUNCTIONS TO PUBLIC;
ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA app REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
ALTER DEFAULT PRIVILEGES IN SCHEMA app REVOKE SELECT ON TABLES FROM PUBLIC;
REVOKE USAGE ON SCHEMA app FROM PUBLIC;
DROP POLICY orders_restrict ON app.orders;
DROP POLICY orders_insert ON app.orders;
DROP POLICY IF EXISTS orders_read_own ON app.orders;
ALTER TABLE app.orders NO FORCE ROW LEVEL SECURITY;
ALTER TABLE app.orders DISABLE ROW LEVEL SECURITY;
DROP VIEW app.open_orders;
DROP MATERIALIZED VIEW app.customer_totals;
DROP TABLE app.shards;
DROP TABLE app.regions;
DROP TABLE app.events;
