-- revision: 9c8e3a5d0f09
-- down_revision: none
-- message: PostgreSQL 18 grammar: named NOT NULL table constraints (pg_dump 18 writes them)

-- migrate:upgrade
CREATE TABLE public.accounts (
    id bigint,
    email text,
    CONSTRAINT accounts_id_not_null NOT NULL id,
    CONSTRAINT accounts_email_not_null NOT NULL email NO INHERIT,
    CONSTRAINT accounts_pkey PRIMARY KEY (id)
);

ALTER TABLE public.accounts ADD COLUMN display_name text;
ALTER TABLE ONLY public.accounts ADD CONSTRAINT accounts_display_name_not_null NOT NULL display_name;
ALTER TABLE public.accounts ADD CONSTRAINT accounts_email_check CHECK (email <> '') NOT ENFORCED;
ALTER TABLE public.accounts ADD COLUMN email_lower text GENERATED ALWAYS AS (lower(email)) VIRTUAL;

-- migrate:downgrade
ALTER TABLE public.accounts DROP CONSTRAINT accounts_display_name_not_null;
DROP TABLE public.accounts;
