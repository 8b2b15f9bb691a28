-- revision: 0d9f4b6e1a10
-- down_revision: 9c8e3a5d0f09
-- message: NOT NULL constraints on a table pg_dump 18 wrote

-- migrate:upgrade
CREATE TABLE public.sessions (
    id uuid DEFAULT gen_random_uuid(),
    account_id bigint,
    expires_at timestamp with time zone,
    CONSTRAINT sessions_id_not_null NOT NULL id,
    CONSTRAINT sessions_account_id_not_null NOT NULL account_id,
    CONSTRAINT sessions_expires_at_not_null NOT NULL expires_at
);

-- migrate:downgrade
DROP TABLE public.sessions;
