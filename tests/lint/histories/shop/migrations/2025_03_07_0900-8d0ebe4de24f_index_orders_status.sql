-- revision: 8d0ebe4de24f
-- down_revision: 19dd74012af7
-- message: index orders status

-- migrate:upgrade
CREATE INDEX orders_status_idx ON orders (status);
