-- revision: 8f2e1d3c4b52
-- down_revision: 7e1d0c2b3a41
-- message: invoice numbers and an index

-- migrate:upgrade
CREATE SEQUENCE invoice_numbers
    AS bigint
    START WITH 1000
    INCREMENT BY 1
    NO MINVALUE
    NO MAXVALUE
    CACHE 1
CREATE INDEX accounts_created_idx ON accounts (created_at);

-- migrate:downgrade
DROP INDEX accounts_created_idx;
DROP SEQUENCE invoice_numbers;
