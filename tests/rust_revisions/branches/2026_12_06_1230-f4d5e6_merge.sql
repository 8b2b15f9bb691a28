-- revision: f4d5e6
-- down_revision: f2b3c4, f3c4d5
-- message: merge

-- migrate:upgrade

-- migrate:downgrade
