-- revision: 3c4d5e6f7a8b
-- down_revision: none
-- message: measurements, partitioned by day

-- migrate:upgrade
CREATE TABLE measurements (
    id bigserial PRIMARY KEY,
    sensor_id bigint NOT NULL,
    taken_at timestamptz NOT NULL,
    value double precision NOT NULL
) PARTITION BY RANGE (taken_at);

-- migrate:downgrade
DROP TABLE measurements;
