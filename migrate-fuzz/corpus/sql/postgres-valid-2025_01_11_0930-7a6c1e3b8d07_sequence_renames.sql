ALTER SEQUENCE app.customers_id_seq RENAME TO customer_ids;
ALTER SEQUENCE IF EXISTS app.customer_ids OWNED BY NONE;
ALTER SEQUENCE app.customer_ids OWNED BY app.customers.id;
ALTER SEQUENCE app.customer_ids RESTART WITH 100;
ALTER SEQUENCE IF EXISTS app.never_created RENAME TO still_never_created;
ALTER SEQUENCE app.invoice_numbers INCREMENT BY 1 CACHE 1;
ALTER TABLE app.orders ALTER COLUMN id RESTART WITH 500;

-- migrate:downgrade
ALTER SEQUENCE app.invoice_numbers INCREMENT BY 10 CACHE 20;
ALTER SEQUENCE app.customer_ids RENAME TO customers_id_seq;
