-- revision: c3d4e5f6a7b8
-- down_revision: a1b2c3d4e5f6, b7c8d9e0f1a2
-- message: merge users and tags branches
-- create_date: 2025-10-03 09:00:00

-- migrate:upgrade

-- migrate:downgrade
