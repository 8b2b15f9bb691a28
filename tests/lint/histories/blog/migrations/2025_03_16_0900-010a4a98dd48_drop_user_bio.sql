-- revision: 010a4a98dd48
-- down_revision: 979a3b6d2512
-- message: drop user bio

-- migrate:upgrade
ALTER TABLE users DROP COLUMN bio;
