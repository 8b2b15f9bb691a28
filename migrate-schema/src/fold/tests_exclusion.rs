//! Exclusion constraints in the fold: made in `CREATE TABLE` and by
//! `ALTER TABLE … ADD CONSTRAINT`, named as PostgreSQL names them, dropped,
//! renamed, gone with a column, and equal to the same schema declared.

use migrate_core::exact::postgres;
use migrate_core::sql::Dialect;

use super::lower_pg;
use super::state::{State, StmtRef};
use crate::model::{Deferral, IndexKey, QualifiedName, Schema};

fn schema(sqls: &[&str]) -> Schema {
    let mut state = State::new();
    for (i, sql) in sqls.iter().enumerate() {
        let at = StmtRef {
            path: "m.sql".into(),
            line: i as u32 + 1,
            column: 1,
        };
        let tree = postgres::parse(sql, at.line, 1).unwrap_or_else(|e| panic!("{sql}: {e:?}"));
        assert!(
            lower_pg::apply(&mut state, &tree, &at),
            "not modelled: {sql}"
        );
    }
    assert!(
        state.unsure_tables().is_empty(),
        "{:?}",
        state.unsure_tables()
    );
    state.to_schema()
}

fn names(s: &Schema, table: &str) -> Vec<String> {
    s.tables[&QualifiedName::new(table)]
        .exclusions
        .iter()
        .map(|x| x.name.clone())
        .collect()
}

/// Names confirmed on PostgreSQL 15: `e_r_excl`, `e_int4range_r_excl`,
/// `e_expr_excl`, and `e_r_excl1` for a second unnamed one on `r`.
#[test]
fn exclusions_are_named_as_postgres_names_them() {
    let s = schema(&[
        "CREATE TABLE e (a int, r int4range, EXCLUDE USING gist (r WITH &&), EXCLUDE USING gist (int4range(a, a) WITH &&, r WITH &&), EXCLUDE USING gist ((r * r) WITH &&))",
        "ALTER TABLE e ADD EXCLUDE USING gist (r WITH -|-)",
    ]);
    assert_eq!(
        names(&s, "e"),
        ["e_r_excl", "e_int4range_r_excl", "e_expr_excl", "e_r_excl1"]
    );
    let x = &s.tables[&QualifiedName::new("e")].exclusions[1];
    assert_eq!(x.index.method.as_deref(), Some("gist"));
    assert_eq!(x.operators, ["&&", "&&"]);
    assert!(matches!(&x.index.keys[0], IndexKey::Expression(e) if e.starts_with("int4range")));
}

#[test]
fn added_dropped_renamed_and_gone_with_a_column() {
    let s = schema(&[
        "CREATE TABLE b (id int, room int, during tstzrange, other tstzrange)",
        "ALTER TABLE ONLY public.b ADD CONSTRAINT b_free EXCLUDE USING gist (during WITH OPERATOR(pg_catalog.&&)) INCLUDE (id) WITH (fillfactor = 70) WHERE (room > 0) DEFERRABLE INITIALLY DEFERRED",
        "ALTER TABLE b ADD CONSTRAINT b_other EXCLUDE USING gist (other WITH &&)",
        "ALTER TABLE b ADD CONSTRAINT b_gone EXCLUDE (room WITH =)",
        "ALTER TABLE b RENAME CONSTRAINT b_other TO b_other2",
        "ALTER TABLE b RENAME COLUMN room TO room_no",
        "ALTER TABLE b DROP CONSTRAINT b_gone",
        "ALTER TABLE b DROP COLUMN other",
        // Its name is free again.
        "CREATE INDEX b_other2 ON b (id)",
    ]);
    assert_eq!(names(&s, "b"), ["b_free"]);
    let x = &s.tables[&QualifiedName::new("b")].exclusions[0];
    assert_eq!(x.operators, ["&&"]);
    assert_eq!(x.deferral, Deferral::Deferred);
    assert_eq!(x.index.include, ["id"]);
    assert_eq!(x.index.predicate.as_deref(), Some("room_no > 0"));
    // The same schema declared compares equal.
    let declared = crate::parse_schema(
        "CREATE TABLE b (id int, room_no int, during tstzrange,
             CONSTRAINT b_free EXCLUDE USING gist (during WITH &&) INCLUDE (id) WITH (fillfactor = 70) WHERE (room_no > 0) DEFERRABLE INITIALLY DEFERRED);
         CREATE INDEX b_other2 ON b (id);",
        Dialect::Postgres,
    )
    .unwrap();
    let changes = crate::diff(&s, &declared, Dialect::Postgres, &Default::default());
    assert!(changes.is_empty(), "{changes:?}");
}

#[test]
fn a_name_an_exclusion_constraint_takes_is_taken() {
    let mut state = State::new();
    let at = StmtRef {
        path: "m.sql".into(),
        line: 1,
        column: 1,
    };
    for sql in [
        "CREATE TABLE b (r int4range, CONSTRAINT b_r EXCLUDE USING gist (r WITH &&))",
        "CREATE INDEX b_r ON b (r)",
    ] {
        let tree = postgres::parse(sql, 1, 1).unwrap();
        lower_pg::apply(&mut state, &tree, &at);
    }
    let found: Vec<String> = state.findings().iter().map(|f| f.to_string()).collect();
    assert!(found.iter().any(|f| f.contains("b_r")), "{found:?}");
}
