-- revision: 2f3e4d5c6b7a
-- down_revision: 7a8b9c0d1e2f
-- message: events of December

-- migrate:upgrade
CREATE TABLE events_2025_12 PARTITION OF events
    FOR VALUES FROM ('2025-11-01') TO ('2026-01-01');

-- migrate:downgrade
DROP TABLE events_2025_12;
