-- revision: 00842ef56c63
-- down_revision: e83d3926a4b4
-- message: create shipments

-- migrate:upgrade
CREATE TABLE shipments (
    id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    order_id bigint NOT NULL REFERENCES orders (id),
    carrier text NOT NULL,
    tracking_number text,
    shipped_at timestamptz
);
CREATE INDEX shipments_order_id_idx ON shipments (order_id);
