DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_type WHERE typname = 'money_amount') THEN
        CREATE DOMAIN app.money_amount AS numeric(12, 2) CHECK (VALUE >= 0);
    END IF;
END
$$;

DO LANGUAGE plpgsql $do$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT id FROM app.customers LOOP
        RAISE NOTICE 'customer %', r.id;
    END LOOP;
END
$do$;

COMMENT ON CONSTRAINT orders_customer_fkey ON app.orders IS 'Every order belongs to a customer';
COMMENT ON TABLE app.orders IS 'Orders; see also the customer_totals view';
COMMENT ON COLUMN app.orders.total IS 'Without tax';

CREATE INDEX orders_status_idx ON app.orders USING btree (status);
CREATE INDEX orders_customer_open_idx ON app.orders (customer_id) WHERE status = 'new';
CREATE INDEX customers_lower_name_idx ON app.customers (lower(last_name), lower(first_name));
ALTER INDEX IF EXISTS app.orders_status_idx RENAME TO orders_by_status;
ALTER INDEX IF EXISTS app.no_such_index RENAME TO still_no_such_index;
ALTER INDEX app.orders_by_status SET (fillfactor = 80);

CREATE STATISTICS app.orders_customer_status (dependencies, ndistinct) ON customer_id, status FROM app.orders;
CREATE STATISTICS IF NOT EXISTS app.orders_mcv (mcv) ON customer_id, total FROM app.orders;
CREATE STATISTICS app.orders_scratch ON customer_id, invoice_no FROM app.orders;
DROP STATISTICS app.orders_scratch;
DROP STATISTICS IF EXISTS app.never_created;
ALTER STATISTICS app.orders_mcv SET STATISTICS 500;

REINDEX INDEX app.orders_by_status;
REINDEX TABLE app.orders;
REINDEX (VERBOSE) TABLE app.customers;
ANALYZE app.orders;

-- migrate:downgrade
DROP STATISTICS IF EXISTS app.orders_mcv, app.orders_customer_status;
DROP INDEX app.customers_lower_name_idx;
DROP INDEX app.orders_customer_open_idx;
DROP INDEX app.orders_by_status;
COMMENT ON CONSTRAINT orders_customer_fkey ON app.orders IS NULL;
DROP DOMAIN IF EXISTS app.money_amount;
