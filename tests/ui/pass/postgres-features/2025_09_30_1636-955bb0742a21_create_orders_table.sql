-- revision: 955bb0742a21
-- down_revision: none
-- message: orders with a status enum

-- migrate:upgrade
CREATE TYPE order_status AS ENUM ('pending', 'paid', 'shipped');
CREATE TABLE orders (
    id BIGSERIAL PRIMARY KEY,
    status order_status NOT NULL DEFAULT 'pending',
    updated_at TIMESTAMPTZ NOT NULL DEFAULT now()
);

-- migrate:downgrade
DROP TABLE orders;
DROP TYPE order_status;
