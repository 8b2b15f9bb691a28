-- revision: 955bb0742a21
-- down_revision: none
-- message: create products ]0;pwnedtable
-- create_date: 2025-09-30 16:36:12 UTC

-- migrate:upgrade
CREATE TABLE products (id TEXT PRIMARY KEY);

-- migrate:downgrade
DROP TABLE products;
