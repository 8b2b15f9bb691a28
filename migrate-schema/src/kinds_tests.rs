use super::*;
use crate::diff::{Change, DiffOptions, diff};
use crate::parse::{default_multirange_name, parse_schema};
use crate::render::render;

fn pg(sql: &str) -> Schema {
    parse_schema(sql, Dialect::Postgres).unwrap_or_else(|e| panic!("{e:?}"))
}

fn errors(sql: &str) -> Vec<String> {
    parse_schema(sql, Dialect::Postgres)
        .expect_err("expected errors")
        .iter()
        .map(ToString::to_string)
        .collect()
}

fn changes(a: &str, b: &str) -> Vec<Change> {
    diff(&pg(a), &pg(b), Dialect::Postgres, &DiffOptions::default())
}

fn summaries(a: &str, b: &str) -> Vec<String> {
    changes(a, b).iter().map(Change::summary).collect()
}

#[test]
fn domains_are_read_in_any_clause_order_as_pg_dump_writes_them() {
    let s = pg(
        "CREATE EXTENSION IF NOT EXISTS citext WITH SCHEMA public;\n\
         CREATE DOMAIN public.email AS public.citext COLLATE pg_catalog.\"C\" NOT NULL DEFAULT 'a@b'::public.citext\n\
         \tCONSTRAINT email_check CHECK ((length((VALUE)::text) > 2))\n\
         \tCHECK (VALUE <> '');",
    );
    let d = &s.domains[&QualifiedName::new("email")];
    assert_eq!(d.data_type, "public.citext");
    assert_eq!(d.collation.as_deref(), Some("C"));
    assert!(d.not_null);
    assert_eq!(d.default.as_deref(), Some("'a@b'::public.citext"));
    assert_eq!(d.checks.len(), 2);
    assert_eq!(d.checks[0].name.as_deref(), Some("email_check"));
    assert_eq!(d.checks[1].name, None);
    assert_eq!(
        s.extensions["citext"],
        Extension {
            name: "citext".into(),
            schema: None,
            version: None
        }
    );
}

#[test]
fn extensions_take_schema_and_version_with_or_without_with() {
    let s = pg(
        "CREATE SCHEMA ext;\nCREATE EXTENSION hstore SCHEMA ext VERSION '1.8';\nCREATE EXTENSION plpgsql;",
    );
    assert_eq!(s.extensions["hstore"].schema.as_deref(), Some("ext"));
    assert_eq!(s.extensions["hstore"].version.as_deref(), Some("1.8"));
    assert!(
        !s.extensions.contains_key("plpgsql"),
        "plpgsql is always there"
    );
}

#[test]
fn composite_and_range_types_are_read() {
    let s = pg("CREATE TYPE pair AS (a int, \"B\" text);\n\
         CREATE TYPE floatrange AS RANGE (subtype = float8, subtype_diff = pg_catalog.float8mi, multirange_type_name = public.floatmultirange);\n\
         CREATE TYPE textrange AS RANGE (subtype = text, collation = \"C\", multirange_type_name = texts);");
    let c = &s.composites[&QualifiedName::new("pair")];
    assert_eq!(
        c.attributes
            .iter()
            .map(|a| a.name.as_str())
            .collect::<Vec<_>>(),
        ["a", "B"]
    );
    let r = &s.ranges[&QualifiedName::new("floatrange")];
    assert_eq!(r.subtype_diff.as_deref(), Some("float8mi"));
    assert_eq!(
        r.multirange_type_name, None,
        "the derived name is the default"
    );
    let t = &s.ranges[&QualifiedName::new("textrange")];
    assert_eq!(t.collation.as_deref(), Some("C"));
    assert_eq!(t.multirange_type_name.as_deref(), Some("texts"));
    assert_eq!(default_multirange_name("textrange"), "textmultirange");
    assert_eq!(default_multirange_name("spans"), "spans_multirange");
}

#[test]
fn sequence_options_are_filled_as_the_server_fills_them() {
    let s = pg("CREATE SEQUENCE up AS integer;\n\
         CREATE SEQUENCE down INCREMENT BY -2 CACHE 5 CYCLE;\n\
         CREATE SEQUENCE public.s START WITH 10 INCREMENT BY 5 NO MINVALUE NO MAXVALUE CACHE 1;");
    let up = &s.sequences[&QualifiedName::new("up")];
    assert_eq!(
        (up.min_value, up.max_value, up.start, up.increment),
        (1, i32::MAX.into(), 1, 1)
    );
    let down = &s.sequences[&QualifiedName::new("down")];
    assert_eq!(
        (
            down.min_value,
            down.max_value,
            down.start,
            down.cache,
            down.cycle
        ),
        (i64::MIN, -1, -1, 5, true)
    );
    assert_eq!(s.sequences[&QualifiedName::new("s")].start, 10);
}

#[test]
fn mistakes_in_the_new_kinds_are_located_errors() {
    let e = errors("CREATE TABLE t (id int);\nCREATE SEQUENCE s INCREMENT BY 0;");
    assert!(
        e[0].starts_with("line 2:") && e[0].contains("INCREMENT must not be zero"),
        "{e:?}"
    );
    let e = errors("\nCREATE SEQUENCE s AS text;");
    assert!(
        e[0].starts_with("line 2:") && e[0].contains("smallint, integer or bigint"),
        "{e:?}"
    );
    let e = errors("CREATE SEQUENCE s MINVALUE 5 START WITH 1;");
    assert!(e[0].contains("START 1 is outside"), "{e:?}");
    let e = errors("\n\nCREATE DOMAIN d AS int UNIQUE;");
    assert!(
        e[0].starts_with("line 3:") && e[0].contains("unexpected `UNIQUE` in CREATE DOMAIN d"),
        "{e:?}"
    );
    let e = errors("CREATE DOMAIN d AS int;\nCREATE TYPE d AS (a int);");
    assert!(
        e[0].starts_with("line 2:1: type d is declared twice"),
        "{e:?}"
    );
    let e = errors("CREATE TYPE r AS RANGE (subtype_diff = f);");
    assert!(e[0].contains("has no subtype"), "{e:?}");
    let e = errors("CREATE SEQUENCE s OWNED BY t.c;");
    assert!(e[0].contains("owned by unknown column t.c"), "{e:?}");
    let e = errors("CREATE DOMAIN x.d AS int;");
    assert!(e[0].contains("CREATE SCHEMA x"), "{e:?}");
    let e = errors("CREATE EXTENSION citext FROM unpackaged;");
    assert!(e[0].contains("unexpected `FROM`"), "{e:?}");
    let e = errors("CREATE TYPE t AS (a text COLLATE \"C\");");
    assert!(e[0].contains("COLLATE clause"), "{e:?}");
}

#[test]
fn types_are_created_in_dependency_order_and_dropped_in_reverse() {
    let b = "CREATE TYPE mood AS ENUM ('ok');\n\
         CREATE TYPE zrange AS RANGE (subtype = adomain);\n\
         CREATE TYPE acomp AS (m mood, d ydomain);\n\
         CREATE DOMAIN ydomain AS acomp[];\n\
         CREATE DOMAIN adomain AS integer;\n\
         CREATE DOMAIN bdomain AS mood;";
    // ydomain over acomp over … a cycle PostgreSQL refuses: keep it out.
    let b = b.replace(
        "CREATE DOMAIN ydomain AS acomp[];\n",
        "CREATE DOMAIN ydomain AS text;\n",
    );
    let up = summaries("", &b);
    let pos = |s: &str| {
        up.iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s} in {up:?}"))
    };
    assert!(pos("create type mood") < pos("create domain bdomain"));
    assert!(pos("create domain ydomain") < pos("create type acomp"));
    assert!(pos("create domain adomain") < pos("create range type zrange"));
    let down = summaries(&b, "");
    let pos = |s: &str| {
        down.iter()
            .position(|x| x == s)
            .unwrap_or_else(|| panic!("{s} in {down:?}"))
    };
    assert!(pos("drop type acomp") < pos("drop domain ydomain"));
    assert!(pos("drop range type zrange") < pos("drop domain adomain"));
    assert!(pos("drop domain bdomain") < pos("drop type mood"));
}

#[test]
fn extensions_then_types_then_sequences_then_tables() {
    let b = "CREATE EXTENSION citext;\nCREATE SEQUENCE n;\nCREATE DOMAIN e AS citext;\n\
             CREATE TABLE t (id bigint DEFAULT nextval('n'), m e, k bigint);\nALTER SEQUENCE n OWNED BY t.k;";
    let r = render(&changes("", b), Dialect::Postgres);
    let at = |s: &str| {
        r.upgrade
            .find(s)
            .unwrap_or_else(|| panic!("{s} in {}", r.upgrade))
    };
    assert!(at("CREATE EXTENSION IF NOT EXISTS citext") < at("CREATE DOMAIN e AS citext"));
    assert!(at("CREATE DOMAIN e") < at("CREATE SEQUENCE n"));
    assert!(at("CREATE SEQUENCE n") < at("CREATE TABLE t"));
    assert!(at("CREATE TABLE t") < at("ALTER SEQUENCE n OWNED BY t.k"));
    let dat = |s: &str| {
        r.downgrade
            .find(s)
            .unwrap_or_else(|| panic!("{s} in {}", r.downgrade))
    };
    assert!(dat("ALTER SEQUENCE n OWNED BY NONE") < dat("DROP TABLE t"));
    assert!(dat("DROP TABLE t") < dat("DROP SEQUENCE n"));
    assert!(dat("DROP SEQUENCE n") < dat("DROP DOMAIN e"));
    assert!(dat("DROP DOMAIN e") < dat("DROP EXTENSION citext"));
    assert!(r.downgrade.contains("-- REVIEW: drops extension citext"));
}

#[test]
fn a_serial_columns_sequence_is_the_columns() {
    // As pg_dump writes a serial column, against the column declared serial.
    let dump = "CREATE TABLE public.t (id integer NOT NULL);\n\
         CREATE SEQUENCE public.t_id_seq AS integer START WITH 1 INCREMENT BY 1 NO MINVALUE NO MAXVALUE CACHE 1;\n\
         ALTER SEQUENCE public.t_id_seq OWNED BY public.t.id;\n\
         ALTER TABLE ONLY public.t ALTER COLUMN id SET DEFAULT nextval('public.t_id_seq'::regclass);";
    assert_eq!(
        summaries(dump, "CREATE TABLE t (id serial);"),
        Vec::<String>::new()
    );
    // Owned and used by the column under another name (a table renamed
    // after its serial column was made): still the column's.
    let renamed = "CREATE TABLE members (id integer NOT NULL DEFAULT nextval('users_id_seq'));\n\
                   CREATE SEQUENCE users_id_seq AS integer OWNED BY members.id;";
    assert!(pg(renamed).sequences.is_empty());
    // Owned by a column that does not use it: a sequence of its own.
    let own = "CREATE TABLE t (id integer, n integer DEFAULT nextval('ids'));\n\
               CREATE SEQUENCE ids AS integer OWNED BY t.id;";
    assert_eq!(summaries("", own)[0], "create sequence ids");
}

#[test]
fn extension_versions_count_only_when_both_sides_have_one() {
    let mut installed = pg("CREATE EXTENSION hstore;");
    installed.extensions.get_mut("hstore").unwrap().version = Some("1.8".into());
    let opts = DiffOptions::default();
    assert!(
        diff(
            &installed,
            &pg("CREATE EXTENSION hstore;"),
            Dialect::Postgres,
            &opts
        )
        .is_empty()
    );
    let newer = pg("CREATE EXTENSION hstore VERSION '1.7';");
    let c = diff(&installed, &newer, Dialect::Postgres, &opts);
    let r = render(&c, Dialect::Postgres);
    assert_eq!(
        r.upgrade,
        "-- REVIEW: updates extension hstore from version 1.8 to 1.7; the extension must ship an update path between them\nALTER EXTENSION hstore UPDATE TO '1.7';\n\n"
    );
    let mut plpgsql = Schema::default();
    plpgsql.extensions.insert(
        "plpgsql".into(),
        Extension {
            name: "plpgsql".into(),
            schema: Some("pg_catalog".into()),
            version: Some("1.0".into()),
        },
    );
    assert!(diff(&plpgsql, &Schema::default(), Dialect::Postgres, &opts).is_empty());
}

#[test]
fn domain_changes_are_alter_domain_and_their_inverse() {
    let a = "CREATE DOMAIN d AS int NOT NULL DEFAULT 0 CONSTRAINT pos CHECK (VALUE >= 0);";
    let b = "CREATE DOMAIN d AS integer DEFAULT 1 CHECK (VALUE < 100);";
    let r = render(&changes(a, b), Dialect::Postgres);
    assert_eq!(
        r.upgrade,
        "ALTER DOMAIN d SET DEFAULT 1;\n\n\
         ALTER DOMAIN d DROP NOT NULL;\n\n\
         ALTER DOMAIN d DROP CONSTRAINT pos;\n\n\
         -- REVIEW: fails if a value of domain d in a column breaks the new check\n\
         ALTER DOMAIN d ADD CONSTRAINT d_check CHECK (VALUE < 100);\n\n"
    );
    assert!(
        r.downgrade
            .starts_with("ALTER DOMAIN d DROP CONSTRAINT d_check;"),
        "{}",
        r.downgrade
    );
    // Equal after canonicalisation: nothing to do.
    assert!(
        changes(
            "CREATE DOMAIN d AS int4 CHECK ((VALUE > (0)::integer));",
            "CREATE DOMAIN d AS integer CONSTRAINT d_check CHECK (value > 0);"
        )
        .is_empty()
    );
}

#[test]
fn sequence_changes_state_what_differs() {
    let r = render(
        &changes(
            "CREATE SEQUENCE s;",
            "CREATE SEQUENCE s AS integer INCREMENT BY 5 CACHE 10 CYCLE;",
        ),
        Dialect::Postgres,
    );
    assert_eq!(
        r.upgrade,
        "ALTER SEQUENCE s AS integer INCREMENT BY 5 MINVALUE 1 MAXVALUE 2147483647 CACHE 10 CYCLE;\n\n"
    );
    assert_eq!(
        r.downgrade,
        "ALTER SEQUENCE s AS bigint INCREMENT BY 1 MINVALUE 1 MAXVALUE 9223372036854775807 CACHE 1 NO CYCLE;\n\n"
    );
}

#[test]
fn composite_attribute_order_that_cannot_be_reached_is_a_re_create() {
    let r = render(
        &changes(
            "CREATE TYPE p AS (a int, b text);",
            "CREATE TYPE p AS (b text, a int);",
        ),
        Dialect::Postgres,
    );
    assert!(
        r.upgrade.starts_with("-- REVIEW: re-creates type p"),
        "{}",
        r.upgrade
    );
    assert!(
        r.upgrade.contains("CREATE TYPE p AS (b TEXT, a INT)"),
        "{}",
        r.upgrade
    );
}
