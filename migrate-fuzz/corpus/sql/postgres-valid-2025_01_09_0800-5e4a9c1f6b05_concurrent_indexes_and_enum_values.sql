CREATE INDEX CONCURRENTLY IF NOT EXISTS orders_updated_idx ON app.orders (updated_at);
REINDEX INDEX CONCURRENTLY app.orders_updated_idx;
CREATE INDEX CONCURRENTLY orders_invoice_idx ON app.orders (invoice_no);
DROP INDEX CONCURRENTLY IF EXISTS app.orders_invoice_idx;
DROP INDEX CONCURRENTLY IF EXISTS app.orders_never_existed_idx;
ALTER TYPE app.order_status ADD VALUE IF NOT EXISTS 'shipped' AFTER 'paid';
ALTER TYPE app.order_status ADD VALUE 'cancelled';
ALTER TYPE app.order_status ADD VALUE IF NOT EXISTS 'draft' BEFORE 'new';

-- migrate:downgrade
-- Enum values cannot be dropped; the type goes with its revision.
DROP INDEX CONCURRENTLY IF EXISTS app.orders_updated_idx;
