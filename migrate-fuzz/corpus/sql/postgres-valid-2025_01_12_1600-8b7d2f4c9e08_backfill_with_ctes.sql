INSERT INTO app.customers (email, first_name, last_name) VALUES
    ('ada@example.com', 'Ada', 'Lovelace'),
    ('alan@example.com', 'Alan', 'Turing'),
    ('grace@example.com', 'Grace', 'Hopper');

WITH ranked AS (
    SELECT id AS customer_id, 10.00 * row_number() OVER (ORDER BY id) AS total
    FROM app.customers
)
INSERT INTO app.orders (customer_id, total)
SELECT customer_id, total FROM ranked;

WITH shipped AS (
    UPDATE app.orders SET status = 'shipped' WHERE total > 15 RETURNING id, customer_id
)
INSERT INTO app.events (occurred_at, customer_id, kind, payload)
SELECT timestamptz '2025-06-01 12:00:00+00', s.customer_id, 'shipped', jsonb_build_object('order', s.id)
FROM shipped s;

WITH RECURSIVE days(d) AS (
    SELECT date '2026-01-01'
    UNION ALL
    SELECT d + 1 FROM days WHERE d < date '2026-01-03'
)
INSERT INTO app.events (occurred_at, kind)
SELECT d::timestamptz, 'calendar' FROM days;

UPDATE app.customers c
SET last_name = upper(c.last_name)
FROM (SELECT customer_id FROM app.orders GROUP BY customer_id HAVING count(*) > 0) AS buyers
WHERE buyers.customer_id = c.id;

INSERT INTO app.regions (code, name) VALUES ('de', 'Germany'), ('us', 'United States')
ON CONFLICT DO NOTHING;

CALL app.mark_paid(500);
CALL app.bump_invoice_numbers(2);
SELECT app.order_total(1, '-infinity');
REFRESH MATERIALIZED VIEW CONCURRENTLY app.customer_totals;

-- migrate:downgrade
DELETE FROM app.regions;
DELETE FROM app.events WHERE kind IN ('shipped', 'calendar');
DELETE FROM app.orders;
DELETE FROM app.customers WHERE email IN ('ada@example.com', 'alan@example.com', 'grace@example.com');
REFRESH MATERIALIZED VIEW app.customer_totals;
