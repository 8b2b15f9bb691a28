//! PostgreSQL introspection of extensions, domains, composite and range
//! types, and sequences (see [`super::introspect_postgres`]).
//!
//! What is stored:
//!
//! - Extensions from `pg_extension`, except `plpgsql`: the schema
//!   (`None` for `current_schema()`) and `extversion`.
//! - Domains in scope: `format_type` of the base type, `typdefault`,
//!   `typnotnull`, the collation when it is not the base type's, and the
//!   check constraints with their names and the text after `CHECK ` of
//!   `pg_get_constraintdef(oid, true)`, sorted by name.
//! - Composite types in scope (not a table's row type): attributes in
//!   order, types by `format_type`.
//! - Range types in scope: `format_type` of the subtype; the operator
//!   class only when it is not the subtype's default one, the collation
//!   only when it is not the subtype's, `canonical` and `subtype_diff` by
//!   `regproc` (unqualified on the `search_path`), and the multirange's
//!   name only when it is not the one PostgreSQL derives.
//! - Sequences in scope (`pg_sequence`): type, increment, bounds, start,
//!   cache, cycle, and the owning column (`pg_depend` `a`); an identity
//!   column's sequence (`pg_depend` `i`) is the column's and is not read,
//!   nor is a `serial` column's
//!   ([`without_serial_sequences`](migrate_schema::kinds::without_serial_sequences)).
//!   The current value is not read.
//!
//! What belongs to an extension (`pg_depend` `e`) is left out, as for
//! tables and enum types.

use migrate_schema::parse::default_multirange_name;
use migrate_schema::{
    Attribute, CheckConstraint, CompositeType, Domain, Extension, QualifiedName, RangeType, Schema,
    Sequence,
};
use sqlx::{PgConnection, Row as _};

use crate::error::{Error, Result};

/// Not a member of an extension; `$oid` is the object, `$class` its catalogue.
macro_rules! not_extension_member {
    ($class:literal, $oid:literal) => {
        concat!(
            "NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = '",
            $class,
            "'::regclass AND dep.objid = ",
            $oid,
            " AND dep.deptype = 'e')"
        )
    };
}

const EXTENSIONS_SQL: &str = "\
SELECT e.extname::text, n.nspname::text, e.extversion \
  FROM pg_extension e JOIN pg_namespace n ON n.oid = e.extnamespace \
 WHERE e.extname <> 'plpgsql' ORDER BY e.extname";

/// A collation's name as the parser keeps it: unqualified in `pg_catalog`
/// and `public`.
const COLLATION_NAME: &str = "(SELECT CASE WHEN cn.nspname IN ('pg_catalog', 'public') \
            THEN co.collname::text ELSE cn.nspname || '.' || co.collname END \
       FROM pg_collation co JOIN pg_namespace cn ON cn.oid = co.collnamespace WHERE co.oid = ";

fn domains_sql() -> String {
    format!(
        "SELECT n.nspname::text, t.typname::text, format_type(t.typbasetype, t.typtypmod), \
                t.typnotnull, t.typdefault, \
                CASE WHEN t.typcollation <> 0 AND t.typcollation <> bt.typcollation \
                     THEN {COLLATION_NAME} t.typcollation) END, \
                ARRAY(SELECT con.conname::text FROM pg_constraint con \
                       WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname), \
                ARRAY(SELECT pg_get_constraintdef(con.oid, true) FROM pg_constraint con \
                       WHERE con.contypid = t.oid AND con.contype = 'c' ORDER BY con.conname) \
           FROM pg_type t \
           JOIN pg_namespace n ON n.oid = t.typnamespace \
           JOIN pg_type bt ON bt.oid = t.typbasetype \
          WHERE t.typtype = 'd' AND n.nspname = ANY($1::text[]) AND {}",
        not_extension_member!("pg_type", "t.oid")
    )
}

fn composites_sql() -> String {
    format!(
        "SELECT n.nspname::text, t.typname::text, \
                ARRAY(SELECT a.attname::text FROM pg_attribute a \
                       WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped \
                       ORDER BY a.attnum), \
                ARRAY(SELECT format_type(a.atttypid, a.atttypmod) FROM pg_attribute a \
                       WHERE a.attrelid = t.typrelid AND a.attnum > 0 AND NOT a.attisdropped \
                       ORDER BY a.attnum) \
           FROM pg_type t \
           JOIN pg_namespace n ON n.oid = t.typnamespace \
           JOIN pg_class c ON c.oid = t.typrelid \
          WHERE t.typtype = 'c' AND c.relkind = 'c' AND n.nspname = ANY($1::text[]) AND {}",
        not_extension_member!("pg_type", "t.oid")
    )
}

fn ranges_sql() -> String {
    format!(
        "SELECT n.nspname::text, t.typname::text, format_type(r.rngsubtype, NULL), \
                CASE WHEN NOT oc.opcdefault THEN \
                     CASE WHEN ocn.nspname IN ('pg_catalog', 'public') THEN oc.opcname::text \
                          ELSE ocn.nspname || '.' || oc.opcname END END, \
                CASE WHEN r.rngcollation <> 0 AND r.rngcollation <> st.typcollation \
                     THEN {COLLATION_NAME} r.rngcollation) END, \
                CASE WHEN r.rngcanonical <> 0 THEN r.rngcanonical::regproc::text END, \
                CASE WHEN r.rngsubdiff <> 0 THEN r.rngsubdiff::regproc::text END, \
                mt.typname::text \
           FROM pg_range r \
           JOIN pg_type t ON t.oid = r.rngtypid \
           JOIN pg_namespace n ON n.oid = t.typnamespace \
           JOIN pg_type st ON st.oid = r.rngsubtype \
           JOIN pg_opclass oc ON oc.oid = r.rngsubopc \
           JOIN pg_namespace ocn ON ocn.oid = oc.opcnamespace \
           LEFT JOIN pg_type mt ON mt.oid = r.rngmultitypid \
          WHERE n.nspname = ANY($1::text[]) AND {}",
        not_extension_member!("pg_type", "t.oid")
    )
}

fn sequences_sql() -> String {
    format!(
        "SELECT n.nspname::text, c.relname::text, format_type(s.seqtypid, NULL), \
                s.seqincrement, s.seqmin, s.seqmax, s.seqstart, s.seqcache, s.seqcycle, \
                own.nspname::text, own.relname::text, own.attname::text \
           FROM pg_sequence s \
           JOIN pg_class c ON c.oid = s.seqrelid \
           JOIN pg_namespace n ON n.oid = c.relnamespace \
           LEFT JOIN LATERAL ( \
                SELECT tn.nspname, tc.relname, ta.attname \
                  FROM pg_depend d \
                  JOIN pg_class tc ON tc.oid = d.refobjid \
                  JOIN pg_namespace tn ON tn.oid = tc.relnamespace \
                  JOIN pg_attribute ta ON ta.attrelid = d.refobjid AND ta.attnum = d.refobjsubid \
                 WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid \
                   AND d.refclassid = 'pg_class'::regclass AND d.deptype = 'a' \
                   AND d.refobjsubid > 0 \
                 LIMIT 1) own ON true \
          WHERE n.nspname = ANY($1::text[]) AND {} \
            AND NOT EXISTS (SELECT 1 FROM pg_depend di WHERE di.classid = 'pg_class'::regclass \
                             AND di.objid = c.oid AND di.deptype = 'i')",
        not_extension_member!("pg_class", "c.oid")
    )
}

/// The condition of a check's `pg_get_constraintdef`: the text after
/// `CHECK `, without a trailing `NOT VALID`.
fn check_expression(definition: &str) -> String {
    let text = definition
        .strip_prefix("CHECK ")
        .unwrap_or(definition)
        .trim();
    text.strip_suffix(" NOT VALID")
        .unwrap_or(text)
        .trim_end()
        .to_owned()
}

/// Reads the kinds in `in_scope` into `schema`; names in `current` (the
/// default schema) are unqualified.
pub(super) async fn read(
    conn: &mut PgConnection,
    in_scope: &[String],
    current: &str,
    schema: &mut Schema,
) -> Result<()> {
    let fail = |what: &str| Error::db(format!("introspecting PostgreSQL: reading {what}"));
    let qualify = |s: String, name: String| QualifiedName {
        schema: (s != current).then_some(s),
        name,
    };

    let rows = sqlx::query(EXTENSIONS_SQL)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the extensions"))?;
    for row in &rows {
        let decode = || -> Result<Extension, sqlx::Error> {
            let s: String = row.try_get(1)?;
            Ok(Extension {
                name: row.try_get(0)?,
                schema: (s != current).then_some(s),
                version: row.try_get(2)?,
            })
        };
        let e = decode().map_err(fail("the extensions"))?;
        schema.extensions.insert(e.name.clone(), e);
    }

    let rows = sqlx::query(&domains_sql())
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the domains"))?;
    for row in &rows {
        let decode = || -> Result<Domain, sqlx::Error> {
            let names: Vec<String> = row.try_get(6)?;
            let definitions: Vec<String> = row.try_get(7)?;
            Ok(Domain {
                name: qualify(row.try_get(0)?, row.try_get(1)?),
                data_type: row.try_get(2)?,
                not_null: row.try_get(3)?,
                default: row.try_get(4)?,
                collation: row.try_get(5)?,
                checks: names
                    .into_iter()
                    .zip(definitions)
                    .map(|(name, definition)| CheckConstraint {
                        name: Some(name),
                        expression: check_expression(&definition),
                        // Domain checks are compared without their
                        // validity (schema.sql's CREATE DOMAIN cannot say
                        // NOT VALID).
                        not_valid: false,
                    })
                    .collect(),
            })
        };
        let d = decode().map_err(fail("the domains"))?;
        schema.domains.insert(d.name.clone(), d);
    }

    let rows = sqlx::query(&composites_sql())
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the composite types"))?;
    for row in &rows {
        let decode = || -> Result<CompositeType, sqlx::Error> {
            let names: Vec<String> = row.try_get(2)?;
            let types: Vec<String> = row.try_get(3)?;
            Ok(CompositeType {
                name: qualify(row.try_get(0)?, row.try_get(1)?),
                attributes: names
                    .into_iter()
                    .zip(types)
                    .map(|(name, data_type)| Attribute { name, data_type })
                    .collect(),
            })
        };
        let c = decode().map_err(fail("the composite types"))?;
        schema.composites.insert(c.name.clone(), c);
    }

    let rows = sqlx::query(&ranges_sql())
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the range types"))?;
    for row in &rows {
        let decode = || -> Result<RangeType, sqlx::Error> {
            let name: String = row.try_get(1)?;
            let multirange: Option<String> = row.try_get(7)?;
            let derived = default_multirange_name(&name);
            Ok(RangeType {
                name: qualify(row.try_get(0)?, name),
                subtype: row.try_get(2)?,
                subtype_opclass: row.try_get(3)?,
                collation: row.try_get(4)?,
                canonical: row.try_get(5)?,
                subtype_diff: row.try_get(6)?,
                multirange_type_name: multirange.filter(|m| *m != derived),
            })
        };
        let r = decode().map_err(fail("the range types"))?;
        schema.ranges.insert(r.name.clone(), r);
    }

    let rows = sqlx::query(&sequences_sql())
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the sequences"))?;
    for row in &rows {
        let decode = || -> Result<Sequence, sqlx::Error> {
            let owner_schema: Option<String> = row.try_get(9)?;
            let owner_table: Option<String> = row.try_get(10)?;
            let owner_column: Option<String> = row.try_get(11)?;
            let data_type: String = row.try_get(2)?;
            let increment: i64 = row.try_get(3)?;
            let mut s = Sequence::new(
                qualify(row.try_get(0)?, row.try_get(1)?),
                &data_type,
                increment,
            );
            s.min_value = row.try_get(4)?;
            s.max_value = row.try_get(5)?;
            s.start = row.try_get(6)?;
            s.cache = row.try_get(7)?;
            s.cycle = row.try_get(8)?;
            s.owned_by = match (owner_schema, owner_table, owner_column) {
                (Some(sc), Some(t), Some(c)) => Some((qualify(sc, t), c)),
                _ => None,
            };
            Ok(s)
        };
        let s = decode().map_err(fail("the sequences"))?;
        schema.sequences.insert(s.name.clone(), s);
    }
    migrate_schema::kinds::without_serial_sequences(schema);
    Ok(())
}
