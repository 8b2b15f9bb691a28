-- revision: 6b7c8d9e0f1a
-- down_revision: 5a6b7c8d9e0f
-- depends_on: 955bb0742a21
-- message: invoice lines reference products
-- create_date: 2025-10-02 08:00:00

-- migrate:upgrade
CREATE TABLE invoice_lines (
    invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
    product_id TEXT NOT NULL REFERENCES products (id),
    quantity INTEGER NOT NULL,
    PRIMARY KEY (invoice_id, product_id)
);

-- migrate:downgrade
DROP TABLE invoice_lines;
