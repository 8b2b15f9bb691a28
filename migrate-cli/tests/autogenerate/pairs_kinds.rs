//! Pairs A → B for extensions, domains, composite and range types and
//! sequences (PostgreSQL), through the same loop as [`crate::pairs`].

use crate::pairs::{Case, case, pg_pairs};

pg_pairs! {
    create_extension_with_citext_column => CITEXT_COLUMN;
    drop_extension => DROP_EXTENSION;
    create_domain_with_column => CREATE_DOMAIN;
    change_domain => CHANGE_DOMAIN;
    drop_domain_with_column => DROP_DOMAIN;
    domain_base_type_change => DOMAIN_BASE_TYPE;
    create_composite_with_column => CREATE_COMPOSITE;
    add_composite_attribute_with_column => ADD_ATTRIBUTE;
    change_composite_attribute_type => CHANGE_ATTRIBUTE;
    drop_composite_with_column => DROP_COMPOSITE;
    create_range_with_column => CREATE_RANGE;
    change_range => CHANGE_RANGE;
    drop_range_with_column => DROP_RANGE;
    create_sequence_used_by_default => CREATE_SEQUENCE;
    change_sequence => CHANGE_SEQUENCE;
    sequence_owned_by_column => OWN_SEQUENCE;
    drop_owned_sequence => DROP_SEQUENCE;
    all_kinds_from_an_almost_empty_schema => ALL_KINDS;
}

const USERS: &str = "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);";

const CITEXT_COLUMN: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[
        ("SELECT count(*) FROM users", 1),
        ("SELECT count(*) FROM users WHERE email IS NULL", 1),
        (
            "SELECT count(*) FROM pg_extension WHERE extname = 'citext'",
            1,
        ),
    ],
    expect: &[
        "CREATE EXTENSION IF NOT EXISTS citext;",
        "-- REVIEW: drops extension citext",
    ],
    ..case(
        USERS,
        "CREATE EXTENSION IF NOT EXISTS citext;
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email citext UNIQUE);",
    )
};

const DROP_EXTENSION: Case = Case {
    expect: &[
        "-- REVIEW: drops extension hstore",
        "DROP EXTENSION hstore;",
    ],
    ..case(
        "CREATE EXTENSION hstore;
         CREATE EXTENSION pgcrypto WITH SCHEMA public;
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        "CREATE EXTENSION pgcrypto;
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    )
};

const CREATE_DOMAIN: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE email IS NULL", 1)],
    expect: &[
        "CREATE DOMAIN email AS TEXT",
        "CONSTRAINT email_check CHECK",
    ],
    ..case(
        USERS,
        "CREATE DOMAIN email AS TEXT CHECK (VALUE LIKE '%@%');
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email email);",
    )
};

const CHANGE_DOMAIN: Case = Case {
    seed: "INSERT INTO users (id, score) VALUES (1, 5);",
    after: &[("SELECT count(*) FROM users WHERE score = 5", 1)],
    expect: &[
        "ALTER DOMAIN score SET DEFAULT 1;",
        "ALTER DOMAIN score DROP NOT NULL;",
        "ALTER DOMAIN score DROP CONSTRAINT score_positive;",
        "ALTER DOMAIN score ADD CONSTRAINT score_small CHECK",
    ],
    ..case(
        "CREATE DOMAIN score AS integer NOT NULL DEFAULT 0 CONSTRAINT score_positive CHECK (VALUE >= 0);
         CREATE TABLE users (id INTEGER PRIMARY KEY, score score);",
        "CREATE DOMAIN score AS integer DEFAULT 1 CONSTRAINT score_small CHECK (VALUE < 100);
         CREATE TABLE users (id INTEGER PRIMARY KEY, score score);",
    )
};

const DROP_DOMAIN: Case = Case {
    seed: "INSERT INTO users (id, name, email) VALUES (1, 'ann', 'a@x');",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    expect: &["-- REVIEW: drops domain email", "DROP DOMAIN email;"],
    ..case(
        "CREATE DOMAIN email AS TEXT CONSTRAINT email_at CHECK (VALUE LIKE '%@%');
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, email email);",
        USERS,
    )
};

const DOMAIN_BASE_TYPE: Case = Case {
    seed: "INSERT INTO users (id, name, code) VALUES (1, 'ann', 'abc'), (2, 'bob', DEFAULT);",
    after: &[
        ("SELECT count(*) FROM users WHERE code = 'abc'", 1),
        ("SELECT count(*) FROM users WHERE code = 'none'", 1),
    ],
    expect: &[
        "-- REVIEW: re-creates domain code",
        "ALTER TABLE users ALTER COLUMN code DROP DEFAULT;",
        "CREATE DOMAIN code AS VARCHAR(20)",
        "ALTER TABLE users ALTER COLUMN code TYPE code USING code::VARCHAR(20)::code;",
    ],
    ..case(
        "CREATE DOMAIN code AS VARCHAR(10) COLLATE \"C\";
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, code code DEFAULT 'none');",
        "CREATE DOMAIN code AS VARCHAR(20);
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, code code DEFAULT 'none');",
    )
};

const CREATE_COMPOSITE: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE home IS NULL", 1)],
    expect: &["CREATE TYPE address AS (street TEXT, zip VARCHAR(10))"],
    ..case(
        USERS,
        "CREATE TYPE address AS (street TEXT, zip VARCHAR(10));
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, home address);",
    )
};

const ADD_ATTRIBUTE: Case = Case {
    seed: "INSERT INTO users (id, home) VALUES (1, ROW('main st', '123'));",
    after: &[(
        "SELECT count(*) FROM users WHERE (home).street = 'main st' AND (home).city IS NULL",
        1,
    )],
    expect: &[
        "ALTER TYPE address ADD ATTRIBUTE city TEXT;",
        "ALTER TYPE address DROP ATTRIBUTE city;",
    ],
    ..case(
        "CREATE TYPE address AS (street TEXT, zip VARCHAR(10));
         CREATE TABLE users (id INTEGER PRIMARY KEY, home address);",
        "CREATE TYPE address AS (street TEXT, zip VARCHAR(10), city TEXT);
         CREATE TABLE users (id INTEGER PRIMARY KEY, home address);",
    )
};

const CHANGE_ATTRIBUTE: Case = Case {
    expect: &["ALTER TYPE address ALTER ATTRIBUTE zip TYPE VARCHAR(20);"],
    ..case(
        "CREATE TYPE address AS (street TEXT, zip VARCHAR(10));
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        "CREATE TYPE address AS (street TEXT, zip VARCHAR(20));
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    )
};

const DROP_COMPOSITE: Case = Case {
    seed: "INSERT INTO users (id, name, home) VALUES (1, 'ann', ROW('main st', '1'));",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    expect: &["-- REVIEW: drops type address", "DROP TYPE address;"],
    ..case(
        "CREATE TYPE address AS (street TEXT, zip VARCHAR(10));
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, home address);",
        USERS,
    )
};

const CREATE_RANGE: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[("SELECT count(*) FROM users WHERE span IS NULL", 1)],
    expect: &["CREATE TYPE floatrange AS RANGE (subtype = FLOAT8, subtype_diff = float8mi)"],
    ..case(
        USERS,
        "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, span floatrange);",
    )
};

const CHANGE_RANGE: Case = Case {
    expect: &["-- REVIEW: re-creates range type floatrange"],
    ..case(
        "CREATE TYPE floatrange AS RANGE (subtype = float8);
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi, multirange_type_name = floatranges);
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    )
};

const DROP_RANGE: Case = Case {
    seed: "INSERT INTO users (id, name, span) VALUES (1, 'ann', '[1,2)');",
    after: &[("SELECT count(*) FROM users WHERE name = 'ann'", 1)],
    expect: &["-- REVIEW: drops range type floatrange"],
    ..case(
        "CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT, span floatrange);",
        USERS,
    )
};

const CREATE_SEQUENCE: Case = Case {
    seed: "INSERT INTO users (id, name) VALUES (1, 'ann');",
    after: &[
        ("SELECT count(*) FROM users", 1),
        ("SELECT nextval('order_no')", 100),
        ("SELECT nextval('order_no')", 110),
    ],
    expect: &["CREATE SEQUENCE order_no AS integer INCREMENT BY 10 START WITH 100;"],
    ..case(
        USERS,
        "CREATE SEQUENCE order_no AS integer START WITH 100 INCREMENT BY 10;
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, no INTEGER NOT NULL DEFAULT nextval('order_no'));",
    )
};

const CHANGE_SEQUENCE: Case = Case {
    seed: "SELECT nextval('ticket');",
    after: &[("SELECT nextval('ticket')", 6)],
    expect: &[
        "ALTER SEQUENCE ticket AS integer INCREMENT BY 5 MINVALUE 1 MAXVALUE 1000000 CACHE 10 CYCLE;",
    ],
    ..case(
        "CREATE SEQUENCE ticket;
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
        "CREATE SEQUENCE ticket AS integer INCREMENT BY 5 MAXVALUE 1000000 CACHE 10 CYCLE;
         CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT);",
    )
};

/// A sequence owned by a column that does not take its values from it
/// (one that did would be that column's own, as `serial` makes it).
const OWN_SEQUENCE: Case = Case {
    expect: &[
        "ALTER SEQUENCE ticket OWNED BY users.id;",
        "ALTER SEQUENCE ticket OWNED BY NONE;",
    ],
    ..case(
        "CREATE SEQUENCE ticket;
         CREATE TABLE users (id INTEGER PRIMARY KEY);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, ticket BIGINT DEFAULT nextval('ticket'));",
        "CREATE SEQUENCE ticket OWNED BY users.id;
         CREATE TABLE users (id INTEGER PRIMARY KEY);
         CREATE TABLE orders (id INTEGER PRIMARY KEY, ticket BIGINT DEFAULT nextval('ticket'));",
    )
};

/// The column that owns the sequence goes with it: `OWNED BY NONE` first,
/// or dropping the column would drop the sequence before its own `DROP`.
const DROP_SEQUENCE: Case = Case {
    seed: "INSERT INTO users (id, ticket) VALUES (1, 3);",
    after: &[("SELECT count(*) FROM users", 1)],
    expect: &[
        "-- REVIEW: drops sequence ticket",
        "ALTER SEQUENCE ticket OWNED BY NONE;",
    ],
    ..case(
        "CREATE SEQUENCE ticket START WITH 7;
         CREATE TABLE users (id INTEGER PRIMARY KEY, ticket BIGINT);
         ALTER SEQUENCE ticket OWNED BY users.ticket;",
        "CREATE TABLE users (id INTEGER PRIMARY KEY);",
    )
};

/// Every kind at once, with types over types: a domain over an enum, a
/// composite with a domain attribute, a range over a domain, a citext
/// domain, and a sequence used by a default; a serial column beside them
/// must stay the column's.
pub(crate) const ALL_KINDS: Case = Case {
    seed: "INSERT INTO keep (id) VALUES (1);",
    after: &[("SELECT count(*) FROM keep", 1)],
    ..case(
        "CREATE TABLE keep (id INTEGER PRIMARY KEY);",
        "CREATE EXTENSION IF NOT EXISTS citext;
         CREATE TYPE mood AS ENUM ('ok', 'sad');
         CREATE DOMAIN known_mood AS mood NOT NULL DEFAULT 'ok';
         CREATE DOMAIN email AS citext COLLATE \"C\" CONSTRAINT email_at CHECK (VALUE LIKE '%@%');
         CREATE DOMAIN posint AS integer CHECK (VALUE > 0);
         CREATE TYPE contact AS (mail email, feeling mood, rank posint);
         CREATE TYPE posrange AS RANGE (subtype = posint);
         CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = float8mi);
         CREATE SEQUENCE ticket AS integer START WITH 1000;
         CREATE TABLE keep (id INTEGER PRIMARY KEY);
         CREATE TABLE people (
             id SERIAL PRIMARY KEY,
             ticket INTEGER NOT NULL DEFAULT nextval('ticket'),
             mail email,
             feeling known_mood,
             who contact,
             ranks posrange,
             span floatrange,
             tags citext[]
         );
         CREATE TABLE visits (
             id SERIAL,
             at TIMESTAMPTZ NOT NULL,
             feeling known_mood,
             note TEXT,
             PRIMARY KEY (id, at),
             CHECK (id > 0)
         ) PARTITION BY RANGE (at);
         CREATE TABLE visits_2020 PARTITION OF visits FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');
         CREATE TABLE visits_rest PARTITION OF visits DEFAULT;
         CREATE INDEX visits_note ON visits (lower(note));
         CREATE TABLE moods (feeling mood, n INTEGER REFERENCES keep (id)) PARTITION BY LIST (feeling);
         CREATE TABLE moods_ok PARTITION OF moods FOR VALUES IN ('ok') PARTITION BY HASH (n);
         CREATE TABLE moods_ok_0 PARTITION OF moods_ok FOR VALUES WITH (MODULUS 2, REMAINDER 0);
         CREATE TABLE moods_ok_1 PARTITION OF moods_ok FOR VALUES WITH (MODULUS 2, REMAINDER 1);",
    )
};
