//! The generator of a 300-file PostgreSQL history that cycles through every
//! construct of the real-world SQL list: used by `sql/generated.rs` (checked
//! with `load_directory`, with typos, and applied to PostgreSQL 15) and by
//! `ui.rs` (embedded by `embed_migrations!` in a trybuild pass case).

use std::fmt::Write as _;
use std::path::Path;

/// Number of files of the generated history.
pub(crate) const FILES: usize = 300;

/// One revision's SQL.
pub(crate) struct Construct {
    pub(crate) slug: &'static str,
    pub(crate) transactional: bool,
    pub(crate) up: String,
    pub(crate) down: String,
}

/// Extensions every stock PostgreSQL 15 ships and a non-superuser may create.
pub(crate) const EXTENSIONS: &[&str] = &[
    "pg_trgm",
    "hstore",
    "ltree",
    "cube",
    "citext",
    "pgcrypto",
    "\"uuid-ossp\"",
    "btree_gist",
    "btree_gin",
    "fuzzystrmatch",
    "intarray",
    "isn",
    "seg",
    "tablefunc",
    "unaccent",
];

// Every construct appears several times in the history.
const _: () = assert!(FILES / KINDS >= 10);

/// Number of constructs [`construct`] cycles through.
pub(crate) const KINDS: usize = 26;

/// The `k`-th construct, for file `n`. With `pg18` the PostgreSQL 18-only
/// table constraint `CONSTRAINT name NOT NULL col` is used; without, its
/// PostgreSQL 15 equivalent (so the history can be applied to the server).
pub(crate) fn construct(k: usize, n: usize, pg18: bool) -> Construct {
    let t = format!("g{n:03}");
    let c = |slug, up: String, down: String| Construct {
        slug,
        transactional: true,
        up,
        down,
    };
    match k {
        0 => {
            let not_null = if pg18 {
                format!(
                    "    CONSTRAINT {t}_name_not_null NOT NULL name,\n    CONSTRAINT {t}_id_not_null NOT NULL id"
                )
            } else {
                format!(
                    "    CONSTRAINT {t}_name_check CHECK (name IS NOT NULL),\n    CONSTRAINT {t}_id_check CHECK (id IS NOT NULL)"
                )
            };
            let add = if pg18 {
                format!(
                    "ALTER TABLE ONLY public.{t} ADD CONSTRAINT {t}_note_not_null NOT NULL note;"
                )
            } else {
                format!("ALTER TABLE ONLY public.{t} ALTER COLUMN note SET NOT NULL;")
            };
            c(
                "named_not_null_constraints",
                format!(
                    "CREATE TABLE public.{t} (\n    id bigint,\n    name text,\n    note text DEFAULT '',\n{not_null},\n    CONSTRAINT {t}_pkey PRIMARY KEY (id)\n);\n{add}\n"
                ),
                format!("DROP TABLE public.{t};\n"),
            )
        }
        1 => c(
            "alter_constraint_deferrable",
            format!(
                "CREATE TABLE {t}_parent (id int PRIMARY KEY);\nCREATE TABLE {t} (id int PRIMARY KEY, parent_id int CONSTRAINT {t}_parent_fkey REFERENCES {t}_parent (id));\nALTER TABLE {t} ALTER CONSTRAINT {t}_parent_fkey DEFERRABLE INITIALLY DEFERRED;\nALTER TABLE ONLY {t}\n    ALTER CONSTRAINT {t}_parent_fkey NOT DEFERRABLE;\nALTER TABLE {t} ALTER CONSTRAINT {t}_parent_fkey DEFERRABLE INITIALLY IMMEDIATE;\n"
            ),
            format!("DROP TABLE {t};\nDROP TABLE {t}_parent;\n"),
        ),
        2 => c(
            "sequence_rename_and_owned_by",
            format!(
                "CREATE TABLE {t} (id integer NOT NULL);\nCREATE SEQUENCE {t}_id_seq;\nALTER SEQUENCE {t}_id_seq OWNED BY {t}.id;\nALTER SEQUENCE IF EXISTS {t}_id_seq RENAME TO {t}_ids;\nALTER SEQUENCE public.{t}_ids OWNED BY NONE;\nALTER TABLE ONLY {t} ALTER COLUMN id SET DEFAULT nextval('{t}_ids'::regclass);\n"
            ),
            format!("DROP TABLE {t};\nDROP SEQUENCE {t}_ids;\n"),
        ),
        3 => c(
            "reindex",
            format!(
                "CREATE TABLE {t} (id int PRIMARY KEY, v text);\nCREATE INDEX {t}_v_idx ON {t} (v);\nREINDEX INDEX {t}_v_idx;\nREINDEX TABLE {t};\nREINDEX (VERBOSE) TABLE public.{t};\n"
            ),
            format!("DROP TABLE {t};\n"),
        ),
        4 => c(
            "function_with_cost",
            format!(
                "CREATE FUNCTION {t}_double(x integer) RETURNS integer\n    LANGUAGE plpgsql IMMUTABLE STRICT\n    COST 10\nAS $$\nBEGIN\n    RETURN x * 2;\nEND;\n$$;\nCREATE FUNCTION {t}_one() RETURNS integer LANGUAGE sql COST 1 AS 'SELECT 1';\n"
            ),
            format!("DROP FUNCTION {t}_one();\nDROP FUNCTION {t}_double(integer);\n"),
        ),
        5 => c(
            "do_blocks",
            format!(
                "DO $$\nBEGIN\n    IF NOT EXISTS (SELECT 1 FROM pg_class WHERE relname = '{t}') THEN\n        CREATE TABLE {t} (id int);\n    END IF;\nEND\n$$;\nDO LANGUAGE plpgsql $do$\nDECLARE\n    r record;\nBEGIN\n    FOR r IN SELECT 1 AS one LOOP\n        RAISE NOTICE 'row %', r.one;\n    END LOOP;\nEND\n$do$;\n"
            ),
            format!("DO $$ BEGIN EXECUTE 'DROP TABLE IF EXISTS {t}'; END $$;\n"),
        ),
        6 => c(
            "extended_statistics",
            format!(
                "CREATE TABLE {t} (a int, b int, c int);\nCREATE STATISTICS {t}_ab (dependencies, ndistinct) ON a, b FROM {t};\nCREATE STATISTICS IF NOT EXISTS {t}_bc ON b, c FROM {t};\nDROP STATISTICS {t}_bc;\nDROP STATISTICS IF EXISTS {t}_none;\n"
            ),
            format!("DROP STATISTICS IF EXISTS {t}_ab;\nDROP TABLE {t};\n"),
        ),
        7 => Construct {
            slug: "drop_index_concurrently",
            transactional: false,
            up: format!(
                "CREATE TABLE IF NOT EXISTS {t} (id int, v text);\nCREATE INDEX CONCURRENTLY IF NOT EXISTS {t}_v_idx ON {t} (v);\nREINDEX INDEX CONCURRENTLY {t}_v_idx;\nDROP INDEX CONCURRENTLY IF EXISTS {t}_v_idx;\nDROP INDEX CONCURRENTLY IF EXISTS {t}_never_idx;\n"
            ),
            down: format!("DROP TABLE IF EXISTS {t};\n"),
        },
        8 => c(
            "comment_on_function",
            format!(
                "CREATE FUNCTION {t}_add(a integer, b numeric, c timestamp with time zone) RETURNS numeric LANGUAGE sql AS $$ SELECT a + b $$;\nCOMMENT ON FUNCTION {t}_add(integer, numeric, timestamp with time zone) IS 'adds';\nCOMMENT ON FUNCTION public.{t}_add(int4, pg_catalog.numeric, timestamptz) IS NULL;\n"
            ),
            format!("DROP FUNCTION {t}_add(integer, numeric, timestamptz);\n"),
        ),
        9 => c(
            "comment_on_constraint",
            format!(
                "CREATE TABLE {t} (id int CONSTRAINT {t}_positive CHECK (id > 0));\nCOMMENT ON CONSTRAINT {t}_positive ON {t} IS 'ids are positive';\nCOMMENT ON CONSTRAINT {t}_positive ON public.{t} IS 'ids are > 0';\n"
            ),
            format!("DROP TABLE {t};\n"),
        ),
        10 => c(
            "alter_trigger_rename",
            format!(
                "CREATE TABLE {t} (id int, touched timestamptz);\nCREATE FUNCTION {t}_touch() RETURNS trigger LANGUAGE plpgsql AS $$\nBEGIN\n    NEW.touched := now();\n    RETURN NEW;\nEND;\n$$;\nCREATE TRIGGER {t}_trg BEFORE INSERT OR UPDATE ON {t} FOR EACH ROW EXECUTE FUNCTION {t}_touch();\nALTER TRIGGER {t}_trg ON {t} RENAME TO {t}_touch_trg;\n"
            ),
            format!("DROP TABLE {t};\nDROP FUNCTION {t}_touch();\n"),
        ),
        11 => {
            let ext = EXTENSIONS[(n / KINDS) % EXTENSIONS.len()];
            c(
                "extension_in_schema",
                format!(
                    "CREATE SCHEMA {t}_ext;\nCREATE EXTENSION IF NOT EXISTS {ext} SCHEMA {t}_ext;\n"
                ),
                format!("DROP EXTENSION IF EXISTS {ext};\nDROP SCHEMA {t}_ext;\n"),
            )
        }
        12 => c(
            "alter_index_if_exists_rename",
            format!(
                "CREATE TABLE {t} (id int, v text);\nCREATE INDEX {t}_v ON {t} (v);\nALTER INDEX IF EXISTS {t}_v RENAME TO {t}_v_idx;\nALTER INDEX IF EXISTS {t}_missing RENAME TO {t}_still_missing;\n"
            ),
            format!("DROP TABLE {t};\n"),
        ),
        13 => c(
            "sequence_in_pg_dump_order",
            format!(
                "CREATE SEQUENCE public.{t}_id_seq\n    AS integer\n    START WITH 1\n    INCREMENT BY 1\n    NO MINVALUE\n    NO MAXVALUE\n    CACHE 1;\nCREATE SEQUENCE {t}_big_seq\n    START WITH 100\n    INCREMENT BY 5\n    MINVALUE 100\n    MAXVALUE 1000000\n    CACHE 10;\n"
            ),
            format!("DROP SEQUENCE {t}_big_seq;\nDROP SEQUENCE public.{t}_id_seq;\n"),
        ),
        14 => c(
            "empty_select",
            "SELECT;\nSELECT 1;\nSELECT pg_catalog.set_config('search_path', 'public', false);\n"
                .into(),
            "SELECT;\n".into(),
        ),
        15 => c(
            "refresh_materialized_view",
            format!(
                "CREATE TABLE {t} (id int PRIMARY KEY, v int);\nCREATE MATERIALIZED VIEW {t}_mv AS SELECT id, v * 2 AS v2 FROM {t} WITH NO DATA;\nCREATE UNIQUE INDEX {t}_mv_id ON {t}_mv (id);\nREFRESH MATERIALIZED VIEW {t}_mv;\nREFRESH MATERIALIZED VIEW CONCURRENTLY public.{t}_mv WITH DATA;\n"
            ),
            format!("DROP MATERIALIZED VIEW {t}_mv;\nDROP TABLE {t};\n"),
        ),
        16 => c(
            "alter_default_privileges",
            format!(
                "CREATE SCHEMA {t}_s;\nALTER DEFAULT PRIVILEGES IN SCHEMA {t}_s GRANT SELECT ON TABLES TO PUBLIC;\nALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA {t}_s GRANT USAGE ON SEQUENCES TO PUBLIC;\n"
            ),
            format!(
                "ALTER DEFAULT PRIVILEGES FOR ROLE CURRENT_USER IN SCHEMA {t}_s REVOKE USAGE ON SEQUENCES FROM PUBLIC;\nALTER DEFAULT PRIVILEGES IN SCHEMA {t}_s REVOKE SELECT ON TABLES FROM PUBLIC;\nDROP SCHEMA {t}_s;\n"
            ),
        ),
        17 => c(
            "create_procedure",
            format!(
                "CREATE TABLE {t} (id int);\nCREATE PROCEDURE {t}_insert(x integer)\n    LANGUAGE plpgsql\nAS $$\nBEGIN\n    INSERT INTO {t} VALUES (x);\nEND;\n$$;\nCALL {t}_insert(1);\n"
            ),
            format!("DROP PROCEDURE {t}_insert(integer);\nDROP TABLE {t};\n"),
        ),
        18 => c(
            "begin_atomic",
            format!(
                "CREATE TABLE {t} (id int, v int);\nCREATE FUNCTION {t}_total() RETURNS bigint\n    LANGUAGE sql STABLE\nBEGIN ATOMIC\n    SELECT coalesce(sum(v), 0) FROM {t};\nEND;\nCREATE PROCEDURE {t}_reset()\n    LANGUAGE sql\nBEGIN ATOMIC\n    UPDATE {t} SET v = CASE WHEN v > 0 THEN 0 ELSE v END;\n    DELETE FROM {t} WHERE v IS NULL;\nEND;\n"
            ),
            format!("DROP PROCEDURE {t}_reset();\nDROP FUNCTION {t}_total();\nDROP TABLE {t};\n"),
        ),
        19 => c(
            "plpgsql_trigger",
            format!(
                "CREATE TABLE {t} (id int PRIMARY KEY, amount numeric NOT NULL, updated_at timestamptz);\nCREATE OR REPLACE FUNCTION {t}_guard() RETURNS trigger\n    LANGUAGE plpgsql SECURITY DEFINER\n    SET search_path = public, pg_temp\nAS $fn$\nDECLARE\n    delta numeric := NEW.amount - coalesce(OLD.amount, 0);\nBEGIN\n    IF NEW.amount < 0 THEN\n        RAISE EXCEPTION 'negative amount: %', NEW.amount USING ERRCODE = 'check_violation';\n    END IF;\n    NEW.updated_at := now();\n    RETURN NEW;\nEND\n$fn$;\nCREATE TRIGGER {t}_guard BEFORE INSERT OR UPDATE OF amount ON {t}\n    FOR EACH ROW WHEN (NEW.amount IS NOT NULL) EXECUTE PROCEDURE {t}_guard();\n"
            ),
            format!(
                "DROP TRIGGER {t}_guard ON {t};\nDROP FUNCTION {t}_guard();\nDROP TABLE {t};\n"
            ),
        ),
        20 => c(
            "row_level_security",
            format!(
                "CREATE TABLE {t} (id int, owner text NOT NULL DEFAULT current_user);\nALTER TABLE {t} ENABLE ROW LEVEL SECURITY;\nALTER TABLE {t} FORCE ROW LEVEL SECURITY;\nCREATE POLICY {t}_own ON {t} AS PERMISSIVE FOR ALL TO PUBLIC USING (owner = current_user) WITH CHECK (owner = current_user);\nCREATE POLICY {t}_read ON {t} FOR SELECT USING (true);\nALTER POLICY {t}_read ON {t} RENAME TO {t}_read_all;\n"
            ),
            format!(
                "DROP POLICY {t}_read_all ON {t};\nDROP POLICY IF EXISTS {t}_own ON {t};\nDROP TABLE {t};\n"
            ),
        ),
        21 => Construct {
            slug: "enum_add_value",
            transactional: false,
            up: format!(
                "CREATE TYPE {t}_mood AS ENUM ('sad', 'ok');\nALTER TYPE {t}_mood ADD VALUE 'happy';\nALTER TYPE {t}_mood ADD VALUE IF NOT EXISTS 'meh' BEFORE 'ok';\nALTER TYPE {t}_mood RENAME VALUE 'sad' TO 'blue';\n"
            ),
            down: format!("DROP TYPE {t}_mood;\n"),
        },
        22 => c(
            "partitions",
            format!(
                "CREATE TABLE {t} (id bigint NOT NULL, at date NOT NULL, region text) PARTITION BY RANGE (at);\nCREATE TABLE {t}_2025 PARTITION OF {t} FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\nCREATE TABLE {t}_rest PARTITION OF {t} DEFAULT PARTITION BY LIST (region);\nCREATE TABLE {t}_rest_eu PARTITION OF {t}_rest FOR VALUES IN ('eu');\nCREATE TABLE {t}_rest_other PARTITION OF {t}_rest DEFAULT;\nCREATE TABLE {t}_2026 (LIKE {t} INCLUDING ALL);\nALTER TABLE {t} ATTACH PARTITION {t}_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');\nALTER TABLE {t} DETACH PARTITION {t}_2026;\n"
            ),
            format!("DROP TABLE {t}_2026;\nDROP TABLE {t};\n"),
        ),
        23 => c(
            "generated_columns",
            format!(
                "CREATE TABLE {t} (\n    id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,\n    price numeric(10, 2) NOT NULL,\n    qty int NOT NULL DEFAULT 1,\n    total numeric GENERATED ALWAYS AS (price * qty) STORED\n);\nALTER TABLE {t} ADD COLUMN label text GENERATED ALWAYS AS ('#' || id::text) STORED;\nALTER TABLE {t} ALTER COLUMN id SET GENERATED BY DEFAULT;\n"
            ),
            format!("DROP TABLE {t};\n"),
        ),
        24 => c(
            "materialized_view",
            format!(
                "CREATE TABLE {t} (id int, grp text, v numeric);\nCREATE MATERIALIZED VIEW IF NOT EXISTS {t}_by_grp AS\n    SELECT grp, count(*) AS n, sum(v) AS total FROM {t} GROUP BY grp\nWITH DATA;\nCREATE INDEX {t}_by_grp_idx ON {t}_by_grp (grp);\n"
            ),
            format!("DROP MATERIALIZED VIEW {t}_by_grp;\nDROP TABLE {t};\n"),
        ),
        25 => c(
            "cte_data_migration",
            format!(
                "CREATE TABLE {t} (id int PRIMARY KEY, v int NOT NULL, note text);\nINSERT INTO {t} (id, v) SELECT i, i * 10 FROM generate_series(1, 5) AS s(i);\nWITH big AS (\n    SELECT id FROM {t} WHERE v > 20\n), marked AS (\n    UPDATE {t} SET note = 'big' WHERE id IN (SELECT id FROM big) RETURNING id\n)\nINSERT INTO {t} (id, v, note)\nSELECT id + 100, 0, 'copy' FROM marked\nON CONFLICT (id) DO UPDATE SET note = excluded.note;\nWITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 3)\nDELETE FROM {t} WHERE id IN (SELECT i FROM n);\n"
            ),
            format!("DROP TABLE {t};\n"),
        ),
        _ => unreachable!("{k} >= KINDS"),
    }
}

pub(crate) fn revision_id(n: usize) -> String {
    format!("{:012x}", 0x5ea1_0000_0000_u64 + n as u64)
}

/// File name of revision `n`: `2024_MM_DD_HHMM-<rev>_<slug>.sql`, sorting
/// in chain order.
pub(crate) fn file_name(n: usize, slug: &str) -> String {
    format!(
        "2024_{:02}_{:02}_{:02}00-{}_{slug}.sql",
        1 + n / 28,
        1 + n % 28,
        8 + n % 10,
        revision_id(n)
    )
}

/// The text of file `n`; `typo`, if given, is put first in its upgrade section.
pub(crate) fn file_text(n: usize, c: &Construct, typo: Option<&str>) -> String {
    let mut text = String::new();
    writeln!(text, "-- revision: {}", revision_id(n)).unwrap();
    let parent = if n == 0 {
        "none".to_owned()
    } else {
        revision_id(n - 1)
    };
    writeln!(text, "-- down_revision: {parent}").unwrap();
    writeln!(text, "-- message: {}", c.slug.replace('_', " ")).unwrap();
    writeln!(text, "-- create_date: 2024-01-01 00:00:00").unwrap();
    if !c.transactional {
        writeln!(text, "-- transactional: false").unwrap();
    }
    text.push_str("\n-- migrate:upgrade\n");
    if let Some(typo) = typo {
        text.push_str(typo);
        text.push('\n');
    }
    text.push_str(&c.up);
    text.push_str("\n-- migrate:downgrade\n");
    text.push_str(&c.down);
    text
}

/// Writes the history to `dir`; `typos[i] = (file index, SQL)`.
pub(crate) fn write_history(dir: &Path, pg18: bool, typos: &[(usize, &str)]) -> Vec<String> {
    (0..FILES)
        .map(|n| {
            let c = construct(n % KINDS, n, pg18);
            let typo = typos.iter().find(|(i, _)| *i == n).map(|(_, sql)| *sql);
            let name = file_name(n, c.slug);
            std::fs::write(dir.join(&name), file_text(n, &c, typo)).unwrap();
            name
        })
        .collect()
}
