-- revision: c3d4e5f6a1b2
-- down_revision: a1b2c3d4e5f6, b2c3d4e5f6a1
-- message: merge
-- create_date: 2025-10-04 09:00:00 UTC

-- migrate:upgrade


-- migrate:downgrade

