-- revision: 7a8b9c0d1e2f
-- down_revision: none
-- message: create events, partitioned by month

-- migrate:upgrade
CREATE TABLE events (
    id bigint NOT NULL,
    at timestamptz NOT NULL,
    kind text NOT NULL
) PARTITION BY RANGE (at);
CREATE TABLE events_2025_11 PARTITION OF events
    FOR VALUES FROM ('2025-11-01') TO ('2025-12-01');

-- migrate:downgrade
DROP TABLE events;
