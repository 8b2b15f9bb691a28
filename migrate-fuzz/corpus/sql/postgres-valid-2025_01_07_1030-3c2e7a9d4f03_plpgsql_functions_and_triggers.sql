CREATE FUNCTION app.touch_updated_at() RETURNS trigger
    LANGUAGE plpgsql
    COST 50
AS $$
BEGIN
    -- A `;` inside the body does not end the statement.
    NEW.updated_at := now();
    RETURN NEW;
END;
$$;

ALTER TABLE app.orders ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TRIGGER orders_touch BEFORE UPDATE ON app.orders
    FOR EACH ROW EXECUTE FUNCTION app.touch_updated_at();

ALTER TRIGGER orders_touch ON app.orders RENAME TO orders_set_updated_at;

COMMENT ON FUNCTION app.touch_updated_at() IS 'Sets updated_at on every update';

CREATE OR REPLACE FUNCTION app.audit_status() RETURNS trigger
    LANGUAGE plpgsql SECURITY DEFINER
    SET search_path = app, pg_temp
    COST 100
AS $body$
DECLARE
    changed boolean := NEW.status IS DISTINCT FROM OLD.status;
BEGIN
    IF changed THEN
        RAISE NOTICE 'order % is now %', NEW.id, NEW.status;
    END IF;
    RETURN NEW;
END
$body$;

CREATE TRIGGER orders_audit_status
    AFTER UPDATE OF status ON app.orders
    FOR EACH ROW
    WHEN (OLD.status IS DISTINCT FROM NEW.status)
    EXECUTE PROCEDURE app.audit_status();

CREATE FUNCTION app.order_total(customer integer, since timestamp with time zone) RETURNS numeric
    LANGUAGE sql STABLE PARALLEL SAFE COST 200
BEGIN ATOMIC
    SELECT coalesce(sum(o.total), 0)
    FROM app.orders o
    WHERE o.customer_id = customer AND o.updated_at >= since;
END;

COMMENT ON FUNCTION app.order_total(integer, timestamp with time zone) IS 'Money spent since a date';

CREATE FUNCTION app.status_label(s app.order_status) RETURNS text
    LANGUAGE sql IMMUTABLE
    RETURN CASE s WHEN 'new' THEN 'New' ELSE 'Paid' END;

CREATE PROCEDURE app.mark_paid(order_id bigint)
    LANGUAGE plpgsql
AS $$
BEGIN
    UPDATE app.orders SET status = 'paid' WHERE id = order_id;
END;
$$;

CREATE PROCEDURE app.bump_invoice_numbers(n integer)
    LANGUAGE sql
BEGIN ATOMIC
    SELECT nextval('app.invoice_numbers') FROM generate_series(1, n);
    SELECT CASE WHEN n > 0 THEN 'bumped' ELSE 'nothing' END;
END;

COMMENT ON PROCEDURE app.mark_paid(bigint) IS 'Marks one order paid';

-- migrate:downgrade
DROP PROCEDURE app.bump_invoice_numbers(integer);
DROP PROCEDURE app.mark_paid(bigint);
DROP FUNCTION app.status_label(app.order_status);
DROP FUNCTION app.order_total(integer, timestamptz);
DROP TRIGGER orders_audit_status ON app.orders;
DROP FUNCTION app.audit_status();
DROP TRIGGER orders_set_updated_at ON app.orders;
ALTER TABLE app.orders DROP COLUMN updated_at;
DROP FUNCTION app.touch_updated_at();
