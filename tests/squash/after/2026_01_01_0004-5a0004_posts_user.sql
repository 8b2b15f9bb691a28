-- revision: 5a0004
-- down_revision: 5a0003
-- message: index posts by user

-- migrate:upgrade
CREATE INDEX posts_user ON posts (user_id);

-- migrate:downgrade
DROP INDEX posts_user;
