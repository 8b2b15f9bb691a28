//! Where schema.sql and migrate.toml come from (issue #25): a schema read in
//! the dialect of the database it is compared with, judged by that
//! database's own grammar; `init` taking the dialect from the database URL.

use std::path::Path;
use std::process::{Command, Stdio};

use crate::{Db, Project, TestDb, generated_path};

#[tokio::test]
async fn sqlite_rejects_postgres_defaults_in_schema_sql_with_the_line() {
    let database = TestDb::fresh(Db::Sqlite).await;
    let p = Project::new(Db::Sqlite, database.url(), "");
    p.revision(
        "events",
        "CREATE TABLE events (id INTEGER PRIMARY KEY);",
        Some("DROP TABLE events;"),
    );
    p.ok(&["upgrade", "head"]);
    p.write_schema(
        "CREATE TABLE events (\n    id INTEGER PRIMARY KEY,\n    at TIMESTAMP NOT NULL DEFAULT now()\n);\n",
    );
    for args in [&["check"][..], &["revision", "--autogenerate", "-m", "at"]] {
        let out = p.fails(args, 1, "schema.sql:3:");
        assert!(
            out.stderr
                .contains("schema.sql:3:35: SQLite rejects this: ")
                && out.stderr.contains("write DEFAULT CURRENT_TIMESTAMP"),
            "{}",
            out.stderr
        );
        assert!(out.stderr.contains("(read as SQLite)"), "{}", out.stderr);
    }
    assert_eq!(
        std::fs::read_dir(p.path().join("migrations"))
            .unwrap()
            .count(),
        1,
        "nothing written"
    );

    // What SQLite accepts goes through, and upgrades.
    p.write_schema(
        "CREATE TABLE events (\n    id INTEGER PRIMARY KEY,\n    at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP\n);\n",
    );
    let out = p.ok(&["revision", "--autogenerate", "-m", "at"]);
    let text = std::fs::read_to_string(p.path().join(generated_path(&out))).unwrap();
    assert!(text.contains("DEFAULT CURRENT_TIMESTAMP"), "{text}");
    p.ok(&["upgrade", "head"]);
    p.ok(&["check"]);
}

/// `migrate init` in an empty directory, with `env` (only) and `args`.
fn init(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> (String, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_migrate"));
    command
        .args(args)
        .arg("init")
        .current_dir(dir)
        .stdin(Stdio::null())
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default());
    for (k, v) in env {
        command.env(k, v);
    }
    let output = command.output().expect("run migrate init");
    let stdout = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(
        output.status.success(),
        "init failed:\n{stdout}{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let toml = std::fs::read_to_string(dir.join("migrate.toml")).expect("read migrate.toml");
    (toml, stdout)
}

#[test]
fn init_takes_the_dialect_from_the_database_url() {
    let dir = |_: &str| tempfile::tempdir().expect("temporary directory");

    let d = dir("env");
    let (toml, out) = init(
        d.path(),
        &[],
        &[("DATABASE_URL", "postgres://app:secret-pw@db.example/app")],
    );
    assert!(toml.contains("\ndialect = \"postgres\"\n"), "{toml}");
    assert!(
        out.contains("dialect = \"postgres\" (the database URL in DATABASE_URL)"),
        "{out}"
    );
    assert!(!toml.contains("secret-pw") && !out.contains("secret-pw"));

    let d = dir("flag");
    let (toml, _) = init(d.path(), &["--database-url", "sqlite://app.db"], &[]);
    assert!(toml.contains("\ndialect = \"sqlite\"\n"), "{toml}");
    assert!(
        !d.path().join("app.db").exists(),
        "init connects to nothing"
    );

    let d = dir("dotenv");
    std::fs::write(d.path().join(".env"), "DATABASE_URL=sqlite:app.db\n").unwrap();
    let (toml, _) = init(d.path(), &[], &[]);
    assert!(toml.contains("\ndialect = \"sqlite\"\n"), "{toml}");

    let d = dir("postgres vars");
    let (toml, _) = init(
        d.path(),
        &[],
        &[
            ("POSTGRES_USER", "app"),
            ("POSTGRES_PASSWORD", "pw"),
            ("POSTGRES_DB", "app"),
        ],
    );
    assert!(toml.contains("\ndialect = \"postgres\"\n"), "{toml}");

    let d = dir("none");
    let (toml, out) = init(d.path(), &[], &[]);
    assert!(toml.contains("\ndialect = \"any\"\n"), "{toml}");
    assert!(toml.contains("No database URL was known"), "{toml}");
    assert!(!out.contains("dialect ="), "{out}");

    // A broken .env does not stop init; it then knows no URL.
    let d = dir("broken");
    std::fs::write(d.path().join(".env"), "DATABASE_URL=\"unterminated\n").unwrap();
    let (toml, _) = init(d.path(), &[], &[]);
    assert!(toml.contains("\ndialect = \"any\"\n"), "{toml}");
}

/// What the databases' own tools print as a schema: pg_dump's schema-only
/// output and `sqlite3 .schema`, taken from a database at head, compare
/// equal to it (the history table and SQLite's own tables included in the
/// dump are not part of the comparison).
const DUMPED_PG: &str = "CREATE TYPE order_status AS ENUM ('new', 'paid', 'shipped');
CREATE TABLE users (id SERIAL PRIMARY KEY, email VARCHAR(100) NOT NULL UNIQUE, big BIGSERIAL, created_at TIMESTAMPTZ NOT NULL DEFAULT now());
CREATE TABLE orders (id BIGINT GENERATED BY DEFAULT AS IDENTITY PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, status order_status NOT NULL DEFAULT 'new', total NUMERIC(10, 2) CHECK (total >= 0));
CREATE INDEX orders_user ON orders (user_id);
CREATE UNIQUE INDEX users_lower_email ON users (lower(email));
COMMENT ON TABLE users IS 'people';";

const PG_DUMP: &str = "/usr/lib/postgresql/15/bin/pg_dump";

#[tokio::test]
async fn pg_dump_schema_only_output_is_a_schema() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision(
        "schema",
        &format!("CREATE EXTENSION IF NOT EXISTS pgcrypto;\n{DUMPED_PG}"),
        None,
    );
    p.ok(&["upgrade", "head"]);
    let output = Command::new(PG_DUMP)
        .args(["--schema-only", "--dbname", database.url()])
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    for needle in [
        "SET ",
        "set_config(",
        "OWNER TO",
        "CREATE SEQUENCE",
        "OWNED BY",
        "SET DEFAULT nextval(",
        "ALTER TABLE ONLY",
        "ADD GENERATED BY DEFAULT AS IDENTITY (",
        "COMMENT ON EXTENSION",
        "\\restrict ",
        "migrate_history",
    ] {
        assert!(
            dump.contains(needle),
            "pg_dump printed no {needle}:\n{dump}"
        );
    }
    p.write_schema(&dump);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{dump}"
    );
    p.ok(&["check"]);

    // The psql meta lines of recent pg_dump versions (15.14, 16.10, 17.6).
    p.write_schema(&format!(
        "\\restrict AbCdEf123\n{dump}\n\\unrestrict AbCdEf123\n"
    ));
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");

    // A change in the dump is found as in any schema.sql.
    p.write_schema(&dump.replace(
        "CREATE INDEX orders_user ON public.orders USING btree (user_id);",
        "",
    ));
    let out = p.ok(&["revision", "--autogenerate", "-m", "drop index"]);
    assert!(
        out.stdout.contains("Detected drop index orders_user"),
        "{}",
        out.stdout
    );
}

/// pg_dump's spelling of extensions, domains, composite and range types
/// and standalone sequences (qualified names, `OPERATOR(…)`-free checks,
/// `NOT NULL` before `DEFAULT`, the multirange's derived name, sequence
/// options one per line, `OWNED BY` of a sequence no serial column uses).
#[tokio::test]
async fn pg_dump_of_extensions_domains_types_and_sequences_is_a_schema() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision(
        "schema",
        "CREATE EXTENSION IF NOT EXISTS citext;
CREATE TYPE mood AS ENUM ('ok', 'sad');
CREATE DOMAIN known_mood AS mood NOT NULL DEFAULT 'ok';
CREATE DOMAIN code AS varchar(10) COLLATE \"C\" CONSTRAINT code_long CHECK (length(VALUE) > 2) CHECK (VALUE <> 'none');
CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
CREATE TYPE contact AS (mail citext, feeling mood, rank posint);
CREATE TYPE posrange AS RANGE (subtype = posint);
CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi, multirange_type_name = floatranges);
CREATE SEQUENCE ticket AS integer START WITH 1000 INCREMENT BY 3 CACHE 5 CYCLE;
CREATE SEQUENCE spare INCREMENT BY -1;
CREATE TABLE people (
    id serial PRIMARY KEY,
    ticket integer NOT NULL DEFAULT nextval('ticket'),
    code code,
    feeling known_mood,
    who contact,
    ranks posrange,
    span floatrange,
    mail citext,
    n bigint
);
ALTER SEQUENCE spare OWNED BY people.n;",
        None,
    );
    p.ok(&["upgrade", "head"]);
    let output = Command::new(PG_DUMP)
        .args(["--schema-only", "--dbname", database.url()])
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    for needle in [
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;",
        "CREATE DOMAIN public.code",
        "CREATE TYPE public.contact AS (",
        "AS RANGE (",
        "CREATE SEQUENCE public.ticket",
        "ALTER SEQUENCE public.spare OWNED BY public.people.n;",
    ] {
        assert!(
            dump.contains(needle),
            "pg_dump printed no {needle}:\n{dump}"
        );
    }
    p.write_schema(&dump);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{dump}"
    );
    p.ok(&["check"]);

    // A change in the dump is found as in any schema.sql.
    p.write_schema(&dump.replace("CYCLE;", ";"));
    let out = p.ok(&["revision", "--autogenerate", "-m", "no cycle"]);
    assert!(
        out.stdout.contains("Detected alter sequence ticket"),
        "{}",
        out.stdout
    );
}

#[tokio::test]
async fn sqlite3_schema_output_is_a_schema() {
    let database = TestDb::fresh(Db::Sqlite).await;
    let p = Project::new(Db::Sqlite, database.url(), "");
    p.revision(
        "schema",
        "CREATE TABLE users (id INTEGER PRIMARY KEY AUTOINCREMENT, email TEXT NOT NULL UNIQUE, created_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP);
CREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE, total NUMERIC CHECK (total >= 0));
CREATE INDEX orders_user ON orders (user_id);",
        None,
    );
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    pool.exec("INSERT INTO users (email) VALUES ('a@example.com');")
        .await;
    let crate::Pool::Sqlite(sqlite) = &pool else {
        unreachable!()
    };
    // `.schema` prints what sqlite_schema holds, each with a `;`.
    let rows: Vec<String> =
        sqlx::query_scalar("SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL ORDER BY rowid")
            .fetch_all(sqlite)
            .await
            .unwrap();
    let mut schema = rows.iter().map(|s| format!("{s};\n")).collect::<String>();
    pool.close().await;
    let TestDb::Sqlite(file) = &database else {
        unreachable!()
    };
    // The real thing where the sqlite3 CLI is installed (it adds `IF NOT
    // EXISTS` to some tables).
    if let Ok(output) = Command::new("sqlite3")
        .arg(&file.path)
        .arg(".schema")
        .stdin(Stdio::null())
        .output()
    {
        assert!(output.status.success());
        schema = String::from_utf8(output.stdout).unwrap();
    }
    assert!(schema.contains("sqlite_sequence"), "{schema}");
    assert!(schema.contains("migrate_history"), "{schema}");
    p.write_schema(&schema);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{schema}"
    );
    p.ok(&["check"]);
}

async fn dropping_every_table_is_refused_unless_allowed(db: Db) {
    let database = TestDb::fresh(db).await;
    let p = Project::new(db, database.url(), "");
    p.revision(
        "shop",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);\nCREATE TABLE orders (id INTEGER PRIMARY KEY, user_id INTEGER REFERENCES users (id));",
        Some("DROP TABLE orders;\nDROP TABLE users;"),
    );
    p.ok(&["upgrade", "head"]);
    let files = || {
        std::fs::read_dir(p.path().join("migrations"))
            .unwrap()
            .count()
    };
    // Another project's schema, then an empty one.
    for schema in [
        "CREATE TABLE products (id INTEGER PRIMARY KEY);\n",
        "-- nothing yet\n",
    ] {
        p.write_schema(schema);
        let out = p.fails(
            &["revision", "--autogenerate", "-m", "x"],
            1,
            "schema.sql: the upgrade would drop every table of the database (2: orders, users) and nothing was written",
        );
        assert!(
            out.stderr
                .contains("the database URL (from DATABASE_URL) names another database")
                && out.stderr.contains("pass --allow-drop-all"),
            "{}",
            out.stderr
        );
        assert_eq!(files(), 1, "nothing written");
    }
    // Dropping one of the two is an ordinary change.
    p.write_schema("CREATE TABLE users (id INTEGER PRIMARY KEY);\n");
    p.ok(&["revision", "--autogenerate", "-m", "drop orders"]);
    assert_eq!(files(), 2);
    std::fs::remove_file(
        std::fs::read_dir(p.path().join("migrations"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|f| f.to_string_lossy().contains("drop_orders"))
            .unwrap(),
    )
    .unwrap();
    // Confirmed, it is written.
    p.write_schema("-- nothing yet\n");
    let out = p.ok(&[
        "revision",
        "--autogenerate",
        "--allow-drop-all",
        "-m",
        "drop all",
    ]);
    let text = std::fs::read_to_string(p.path().join(generated_path(&out))).unwrap();
    assert!(text.contains("DROP TABLE users;"), "{text}");
}

#[tokio::test]
async fn dropping_every_table_is_refused_unless_allowed_pg() {
    dropping_every_table_is_refused_unless_allowed(Db::Pg).await;
}

#[tokio::test]
async fn dropping_every_table_is_refused_unless_allowed_sqlite() {
    dropping_every_table_is_refused_unless_allowed(Db::Sqlite).await;
}

/// pg_dump's views, materialized views (`WITH NO DATA` in a schema-only
/// dump, while the database's is filled: not compared), functions, procedures and triggers read back as
/// the database they came from.
#[tokio::test]
async fn pg_dump_of_views_routines_and_triggers_is_a_schema() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision(
        "schema",
        "CREATE TABLE users (id integer PRIMARY KEY, name varchar(20), score numeric);
CREATE FUNCTION bump(a integer, b integer DEFAULT 1) RETURNS integer
    LANGUAGE sql IMMUTABLE AS $$ SELECT a + b $$;
CREATE FUNCTION touch() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    NEW.name := lower(NEW.name);
    RETURN NEW;
END
$$;
CREATE PROCEDURE reset_scores(s numeric) LANGUAGE sql AS $$ UPDATE users SET score = s $$;
CREATE VIEW good_users (user_id, label) WITH (security_barrier) AS
    SELECT id, name || '!' FROM users WHERE score > 0;
CREATE VIEW top_users AS SELECT label, bump(user_id) AS next FROM good_users;
CREATE MATERIALIZED VIEW totals AS SELECT count(*) AS n FROM users;
CREATE UNIQUE INDEX totals_n ON totals (n);
CREATE TRIGGER users_touch BEFORE INSERT OR UPDATE OF name ON users
    FOR EACH ROW WHEN (NEW.name IS NOT NULL) EXECUTE FUNCTION touch();",
        None,
    );
    p.ok(&["upgrade", "head"]);
    let output = Command::new(PG_DUMP)
        .args(["--schema-only", "--dbname", database.url()])
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    for needle in [
        "CREATE VIEW public.good_users",
        "CREATE MATERIALIZED VIEW public.totals",
        "WITH NO DATA",
        "CREATE UNIQUE INDEX totals_n ON public.totals USING btree (n);",
        "CREATE FUNCTION public.bump(",
        "CREATE PROCEDURE public.reset_scores(",
        "CREATE TRIGGER users_touch",
    ] {
        assert!(
            dump.contains(needle),
            "pg_dump printed no {needle}:\n{dump}"
        );
    }
    p.write_schema(&dump);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{dump}"
    );
    p.ok(&["check"]);
}

/// Table details, each written by pg_dump its own way: key order,
/// operator classes, a key's and a column's collation (`COLLATE
/// pg_catalog."C"`), `INCLUDE`, index and table storage parameters,
/// deferrable keys and foreign keys, `NOT VALID` constraints (separate
/// `ALTER TABLE ONLY … ADD CONSTRAINT … NOT VALID`).
pub(crate) const DETAILS_PG: &str = "
CREATE TABLE parents (id INTEGER PRIMARY KEY, code TEXT COLLATE \"C\" UNIQUE DEFERRABLE) WITH (fillfactor = 80);
CREATE TABLE kids (
    id INTEGER PRIMARY KEY,
    parent_id INTEGER REFERENCES parents (id) DEFERRABLE INITIALLY DEFERRED,
    name TEXT,
    n INTEGER,
    doc JSONB
);
ALTER TABLE kids ADD CONSTRAINT kids_n_check CHECK (n > 0) NOT VALID;
ALTER TABLE kids ADD CONSTRAINT kids_parent_fk FOREIGN KEY (parent_id) REFERENCES parents (id) NOT VALID;
CREATE INDEX kids_name ON kids (name text_pattern_ops DESC NULLS LAST, n NULLS FIRST) INCLUDE (id) WITH (fillfactor = 70);
CREATE INDEX kids_name_c ON kids ((lower(name)) COLLATE \"C\");
CREATE INDEX kids_doc ON kids USING gin (doc jsonb_path_ops);
CREATE TABLE slots (id INTEGER PRIMARY KEY, kid_id INTEGER, during TSTZRANGE,
    EXCLUDE USING gist (during WITH &&) WHERE (kid_id > 0));
ALTER TABLE slots ADD CONSTRAINT slots_kid_free
    EXCLUDE USING gist (int4range(kid_id, kid_id, '[]') WITH &&, during WITH &&) INCLUDE (id) DEFERRABLE;
";

#[tokio::test]
async fn pg_dump_of_table_details_is_the_schema() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision("details", DETAILS_PG, None);
    p.ok(&["upgrade", "head"]);
    let output = Command::new(PG_DUMP)
        .args(["--schema-only", "--dbname", database.url()])
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    assert!(output.status.success(), "pg_dump failed");
    let dump = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    for needle in [
        "COLLATE pg_catalog.\"C\"",
        "DEFERRABLE INITIALLY DEFERRED",
        "NOT VALID",
        "text_pattern_ops DESC NULLS LAST",
        "INCLUDE (id) WITH (fillfactor='70')",
        "WITH (fillfactor='80')",
        "jsonb_path_ops",
        "EXCLUDE USING gist",
    ] {
        assert!(
            dump.contains(needle),
            "pg_dump printed no {needle}:\n{dump}"
        );
    }
    p.write_schema(&dump);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{dump}"
    );
    p.ok(&["check"]);
    // The fold, offline, agrees with the dump too.
    let offline = p.ok(&["check", "--offline"]);
    assert!(
        offline
            .stdout
            .contains("No new upgrade operations detected."),
        "{}",
        offline.stdout
    );
}

/// With `compare_grants = true`, pg_dump's `GRANT`/`REVOKE` lines (the
/// owner's own `REVOKE ALL … FROM owner` and re-grants included, and a
/// function's `REVOKE ALL … FROM PUBLIC`) read back as the database's
/// privileges: no changes, `check` clean.
#[tokio::test]
async fn pg_dump_with_grants_is_a_schema() {
    use crate::pairs_grants::{ODD, READER, WRITER, ensure_roles};
    let database = TestDb::fresh(Db::Pg).await;
    let pool = database.pool().await;
    ensure_roles(&pool).await;
    let p = Project::new(Db::Pg, database.url(), "compare_grants = true\n");
    p.revision(
        "schema",
        &format!(
            "CREATE TABLE t (id serial PRIMARY KEY, a text, b int);
CREATE VIEW v AS SELECT id, a FROM t;
CREATE MATERIALIZED VIEW mv AS SELECT id FROM t;
CREATE SEQUENCE s;
GRANT SELECT ON t TO {READER};
GRANT SELECT, INSERT ON t TO \"{ODD}\" WITH GRANT OPTION;
GRANT UPDATE (a, b) ON t TO {READER};
GRANT SELECT ON v TO PUBLIC;
GRANT SELECT ON mv TO {READER};
GRANT USAGE ON SEQUENCE s TO {WRITER};
GRANT USAGE, SELECT ON SEQUENCE t_id_seq TO {WRITER};
REVOKE ALL ON TABLE t FROM CURRENT_USER;
GRANT SELECT, INSERT, UPDATE, DELETE ON t TO CURRENT_USER;
CREATE FUNCTION bump(n integer) RETURNS integer LANGUAGE sql AS 'SELECT n + 1';
REVOKE ALL ON FUNCTION bump(integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bump(integer) TO {READER};
GRANT USAGE ON SCHEMA public TO {READER};"
        ),
        None,
    );
    p.ok(&["upgrade", "head"]);
    let output = Command::new(PG_DUMP)
        .args(["--schema-only", "--dbname", database.url()])
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    for needle in [
        "REVOKE ALL ON TABLE public.t FROM migrate;",
        "GRANT SELECT,INSERT ON TABLE public.t TO \"Migrate Grants Odd\" WITH GRANT OPTION;",
        "GRANT UPDATE(a) ON TABLE public.t TO migrate_grants_reader;",
        "GRANT SELECT,USAGE ON SEQUENCE public.t_id_seq TO migrate_grants_writer;",
        "GRANT SELECT ON TABLE public.v TO PUBLIC;",
        // Privileges on routines are compared (pg_dump names their
        // arguments); on schemas they are skipped.
        "REVOKE ALL ON FUNCTION public.bump(n integer) FROM PUBLIC;",
        "GRANT USAGE ON SCHEMA public TO migrate_grants_reader;",
    ] {
        assert!(
            dump.contains(needle),
            "pg_dump printed no {needle}:\n{dump}"
        );
    }
    p.write_schema(&dump);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{dump}"
    );
    p.ok(&["check"]);
    // Off (the default), the same dump reads too, its privileges skipped.
    let toml = p.path().join("migrate.toml");
    let on = std::fs::read_to_string(&toml).expect("read migrate.toml");
    std::fs::write(&toml, on.replace("compare_grants = true\n", "")).expect("write migrate.toml");
    p.ok(&["check"]);
    std::fs::write(&toml, on).expect("write migrate.toml");

    // A change in the dump is found as in any schema.sql.
    p.write_schema(&dump.replace(
        "GRANT SELECT ON TABLE public.v TO PUBLIC;",
        "GRANT SELECT ON TABLE public.v TO migrate_grants_reader;",
    ));
    let out = p.ok(&["revision", "--autogenerate", "-m", "view readers"]);
    assert!(
        out.stdout.contains(
            "Detected revoke SELECT on v from PUBLIC, grant SELECT on v to migrate_grants_reader"
        ) || (out.stdout.contains("revoke SELECT on v from PUBLIC")
            && out
                .stdout
                .contains("grant SELECT on v to migrate_grants_reader")),
        "{}",
        out.stdout
    );
    pool.close().await;
}

const PARTITIONED_EVENTS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE events (
    id INTEGER NOT NULL,
    at DATE NOT NULL,
    user_id INTEGER REFERENCES users (id),
    what TEXT,
    PRIMARY KEY (id, at),
    CHECK (id > 0)
) PARTITION BY RANGE (at);
CREATE INDEX events_user ON events (user_id);";

/// pg_dump 15 writes partitions as tables with their own copies of the
/// parent's columns, checks, keys and indexes, then `ALTER TABLE ONLY m
/// ATTACH PARTITION`, `CREATE INDEX … ON ONLY m` and `ALTER INDEX …
/// ATTACH PARTITION`: read as the partitioned tables they are.
#[tokio::test]
async fn pg_dump_of_partitioned_tables_is_a_schema() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision(
        "schema",
        &format!(
            "{PARTITIONED_EVENTS}\n{}",
            "
CREATE TABLE events_2020 PARTITION OF events FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE events_rest PARTITION OF events DEFAULT;
CREATE TABLE sites (region TEXT, n INTEGER) PARTITION BY LIST (lower(region));
CREATE TABLE sites_eu PARTITION OF sites FOR VALUES IN ('eu', 'uk') PARTITION BY HASH (n);
CREATE TABLE sites_eu_0 PARTITION OF sites_eu FOR VALUES WITH (MODULUS 1, REMAINDER 0);
CREATE TABLE stamps (id SERIAL, at TIMESTAMPTZ, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);
CREATE TABLE stamps_2020 PARTITION OF stamps FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
CREATE TABLE marks (stamp_id INTEGER, stamp_at TIMESTAMPTZ, FOREIGN KEY (stamp_id, stamp_at) REFERENCES stamps (id, at));"
        ),
        None,
    );
    p.ok(&["upgrade", "head"]);
    let output = Command::new(PG_DUMP)
        .args(["--schema-only", "--dbname", database.url()])
        .stdin(Stdio::null())
        .output()
        .expect("run pg_dump");
    assert!(
        output.status.success(),
        "pg_dump failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let dump = String::from_utf8(output.stdout).expect("pg_dump prints UTF-8");
    for needle in [
        "PARTITION BY RANGE (at);",
        "ALTER TABLE ONLY public.events ATTACH PARTITION public.events_2020 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
        "ALTER TABLE ONLY public.events ATTACH PARTITION public.events_rest DEFAULT;",
        "CREATE INDEX events_user ON ONLY public.events USING btree (user_id);",
        "ALTER INDEX public.events_user ATTACH PARTITION",
    ] {
        assert!(
            dump.contains(needle),
            "pg_dump printed no {needle}:\n{dump}"
        );
    }
    p.write_schema(&dump);
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(
        out.stdout, "No changes in schema detected.\n",
        "schema.sql:\n{dump}"
    );
    p.ok(&["check"]);

    // A change in the dump is found as in any schema.sql.
    p.write_schema(&dump.replace(
        "('2020-01-01') TO ('2021-01-01')",
        "('2020-01-01') TO ('2022-01-01')",
    ));
    let out = p.ok(&["revision", "--autogenerate", "-m", "wider"]);
    assert!(
        out.stdout
            .contains("Detected detach partition events_2020 from events"),
        "{}",
        out.stdout
    );
}
