-- revision: a9f3bcd84642
-- down_revision: 56732f91f42a
-- message: unique post slug
-- transactional: false

-- migrate:upgrade
CREATE UNIQUE INDEX CONCURRENTLY posts_slug_idx ON posts (slug);
