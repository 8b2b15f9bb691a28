//! PostgreSQL introspection from the system catalogues.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use migrate_schema::{
    CheckConstraint, Column, Deferral, EnumType, Exclusion, FkAction, ForeignKey, Identity, Index,
    IndexKey, IndexKeyOptions, PrimaryKey, QualifiedName, Schema, Table, UniqueConstraint,
};
use sqlx::{PgConnection, Row as _};

use super::{Introspect, IntrospectOptions, split_table};
use crate::error::{Error, Result};

/// The schemas to read, as one row: `current_schema()` and the names of the
/// schemas in scope. `$1`: include every user schema.
const SCHEMAS_SQL: &str = "\
SELECT current_schema()::text, \
       coalesce(array_agg(n.nspname::text ORDER BY n.nspname), '{}'::text[]) \
  FROM pg_namespace n \
 WHERE n.nspname = current_schema() \
    OR ($1 AND n.nspname NOT IN ('pg_catalog', 'information_schema') \
        AND n.nspname NOT LIKE 'pg\\_toast%' AND n.nspname NOT LIKE 'pg\\_temp%')";

/// The tables in scope, shared by the queries below. `$1`: schema names,
/// `$2`, `$3`: schema and name of the history table.
const TABLES_CTE: &str = "\
WITH t AS ( \
  SELECT c.oid, n.nspname, c.relname \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
   WHERE n.nspname = ANY($1::text[]) \
     AND c.relkind IN ('r', 'p') AND NOT c.relispartition \
     AND NOT (n.nspname = $2 AND c.relname = $3) \
     AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass \
                      AND dep.objid = c.oid AND dep.deptype = 'e'))";

const TABLES_SQL: &str = "\
SELECT t.oid::int8, t.nspname::text, t.relname::text, d.description, \
       coalesce((SELECT c.reloptions::text[] FROM pg_class c WHERE c.oid = t.oid), '{}'), \
       pg_get_partkeydef(t.oid) \
  FROM t LEFT JOIN pg_description d \
    ON d.objoid = t.oid AND d.classoid = 'pg_class'::regclass AND d.objsubid = 0";

const COLUMNS_SQL: &str = "\
SELECT a.attrelid::int8, a.attname::text, format_type(a.atttypid, a.atttypmod), \
       a.attnotnull, pg_get_expr(ad.adbin, ad.adrelid), a.attidentity::text, \
       a.attgenerated::text, d.description, \
       (SELECT co.collname::text FROM pg_collation co JOIN pg_type ty ON ty.oid = a.atttypid \
         WHERE co.oid = a.attcollation AND a.attcollation <> ty.typcollation) \
  FROM pg_attribute a \
  JOIN t ON t.oid = a.attrelid \
  LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum \
  LEFT JOIN pg_description d \
    ON d.objoid = a.attrelid AND d.classoid = 'pg_class'::regclass AND d.objsubid = a.attnum \
 WHERE a.attnum > 0 AND NOT a.attisdropped \
 ORDER BY a.attrelid, a.attnum";

const CONSTRAINTS_SQL: &str = "\
SELECT con.conrelid::int8, con.conname::text, con.contype::text, \
       ARRAY(SELECT a.attname::text FROM unnest(con.conkey) WITH ORDINALITY k(num, ord) \
               JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.num \
              ORDER BY k.ord), \
       rn.nspname::text, rc.relname::text, \
       ARRAY(SELECT a.attname::text FROM unnest(con.confkey) WITH ORDINALITY k(num, ord) \
               JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.num \
              ORDER BY k.ord), \
       con.confdeltype::text, con.confupdtype::text, pg_get_constraintdef(con.oid, true), \
       con.condeferrable, con.condeferred, NOT con.convalidated \
  FROM pg_constraint con \
  JOIN t ON t.oid = con.conrelid \
  LEFT JOIN pg_class rc ON rc.oid = con.confrelid \
  LEFT JOIN pg_namespace rn ON rn.oid = rc.relnamespace \
 WHERE con.contype IN ('p', 'u', 'f', 'c') AND con.conparentid = 0 \
 ORDER BY con.conrelid, con.conname";

/// What is read of an index (`i`, its relation `ic`), for plain indexes
/// and the indexes of exclusion constraints alike, in the columns
/// [`decode_index`] reads.
macro_rules! index_columns {
    () => {
        "i.indrelid::int8, ic.relname::text, i.indisunique, am.amname::text, \
       pg_get_expr(i.indpred, i.indrelid, true), \
       ARRAY(SELECT i.indkey[k - 1] = 0 FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
       ARRAY(SELECT CASE WHEN i.indkey[k - 1] = 0 \
                         THEN pg_get_indexdef(i.indexrelid, k, true) \
                         ELSE (SELECT a.attname::text FROM pg_attribute a \
                                WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]) \
                    END \
               FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
       ARRAY(SELECT (i.indoption[k - 1] & 1) <> 0 FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
       ARRAY(SELECT (i.indoption[k - 1] & 2) <> 0 FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
       ARRAY(SELECT (SELECT oc.opcname::text FROM pg_opclass oc \
                      WHERE oc.oid = i.indclass[k - 1] AND NOT oc.opcdefault) \
               FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
       ARRAY(SELECT (SELECT co.collname::text FROM pg_collation co \
                      WHERE co.oid = i.indcollation[k - 1] \
                        AND co.oid <> coalesce( \
                              (SELECT a.attcollation FROM pg_attribute a \
                                WHERE a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1]), \
                              (SELECT ty.typcollation FROM pg_attribute a JOIN pg_type ty ON ty.oid = a.atttypid \
                                WHERE a.attrelid = i.indexrelid AND a.attnum = k), 0)) \
               FROM generate_series(1, i.indnkeyatts) k ORDER BY k), \
       ARRAY(SELECT a.attname::text FROM generate_series(i.indnkeyatts + 1, i.indnatts) k \
               JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[k - 1] \
              ORDER BY k), \
       coalesce(ic.reloptions::text[], '{}') "
    };
}

const INDEXES_SQL: &str = concat!(
    "SELECT ",
    index_columns!(),
    "\
  FROM pg_index i \
  JOIN t ON t.oid = i.indrelid \
  JOIN pg_class ic ON ic.oid = i.indexrelid \
  JOIN pg_am am ON am.oid = ic.relam \
 WHERE NOT i.indisprimary \
   AND NOT EXISTS (SELECT 1 FROM pg_constraint c \
                    WHERE c.conindid = i.indexrelid AND c.conrelid = i.indrelid \
                      AND c.contype IN ('p', 'u', 'x')) \
 ORDER BY i.indrelid, ic.relname"
);

/// The indexes of materialized views, read as [`INDEXES_SQL`] reads a
/// table's, then the view's schema and name. `$1`: schema names.
pub(super) const MATVIEW_INDEXES_SQL: &str = concat!(
    "SELECT ",
    index_columns!(),
    ", n.nspname::text, c.relname::text \
  FROM pg_index i \
  JOIN pg_class c ON c.oid = i.indrelid AND c.relkind = 'm' \
  JOIN pg_namespace n ON n.oid = c.relnamespace \
  JOIN pg_class ic ON ic.oid = i.indexrelid \
  JOIN pg_am am ON am.oid = ic.relam \
 WHERE n.nspname = ANY($1::text[]) \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass \
                    AND dep.objid = c.oid AND dep.deptype = 'e') \
 ORDER BY n.nspname, c.relname, ic.relname"
);

/// Exclusion constraints: their index as [`INDEXES_SQL`] reads one (the
/// index has the constraint's name), then each element's operator (its
/// name, qualified as `OPERATOR(schema.op)` when not visible on the
/// `search_path`, as `pg_get_constraintdef` writes it) and the deferral.
const EXCLUSIONS_SQL: &str = concat!(
    "SELECT ",
    index_columns!(),
    ", \
       ARRAY(SELECT CASE WHEN pg_operator_is_visible(op.oid) THEN op.oprname::text \
                         ELSE 'OPERATOR(' || quote_ident(opn.nspname) || '.' || op.oprname || ')' END \
               FROM unnest(con.conexclop) WITH ORDINALITY x(oid, ord) \
               JOIN pg_operator op ON op.oid = x.oid \
               JOIN pg_namespace opn ON opn.oid = op.oprnamespace \
              ORDER BY x.ord), \
       con.condeferrable, con.condeferred \
  FROM pg_constraint con \
  JOIN t ON t.oid = con.conrelid \
  JOIN pg_index i ON i.indexrelid = con.conindid \
  JOIN pg_class ic ON ic.oid = i.indexrelid \
  JOIN pg_am am ON am.oid = ic.relam \
 WHERE con.contype = 'x' AND con.conparentid = 0 \
 ORDER BY con.conrelid, con.conname"
);

const ENUMS_SQL: &str = "\
SELECT n.nspname::text, ty.typname::text, \
       ARRAY(SELECT e.enumlabel::text FROM pg_enum e WHERE e.enumtypid = ty.oid \
              ORDER BY e.enumsortorder), \
       d.description \
  FROM pg_type ty \
  JOIN pg_namespace n ON n.oid = ty.typnamespace \
  LEFT JOIN pg_description d \
    ON d.objoid = ty.oid AND d.classoid = 'pg_type'::regclass AND d.objsubid = 0 \
 WHERE ty.typtype = 'e' AND n.nspname = ANY($1::text[]) \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_type'::regclass \
                    AND dep.objid = ty.oid AND dep.deptype = 'e')";

/// What every per-table catalogue query is bound to: the schemas in scope
/// and the history table left out (the parameters of `TABLES_CTE`).
struct TableScope<'a> {
    in_scope: &'a [String],
    history_schema: &'a str,
    history_name: &'a str,
}

/// The rows of one per-table catalogue query: `TABLES_CTE` then `sql`.
async fn table_rows(
    conn: &mut PgConnection,
    sql: &str,
    scope: &TableScope<'_>,
) -> Result<Vec<sqlx::postgres::PgRow>, sqlx::Error> {
    sqlx::query(&format!("{TABLES_CTE} {sql}"))
        .bind(scope.in_scope)
        .bind(scope.history_schema)
        .bind(scope.history_name)
        .fetch_all(conn)
        .await
}

/// Reads the schema of a PostgreSQL database.
///
/// Seventeen catalogue queries, whatever the number of tables: the schemas
/// in scope, then tables, columns, constraints, indexes, exclusion
/// constraints and enum types, each for all tables at once, then
/// extensions, domains, composite types, range types and sequences, then
/// partitions, then views, the indexes of materialized views, routines and
/// triggers, each for all objects at once (and privileges, when
/// [`IntrospectOptions::grants`] asks for them). They run as separate
/// statements, so a concurrent DDL change may be seen half-way; run it
/// inside a `REPEATABLE READ` transaction for a single snapshot.
///
/// What is read: ordinary and partitioned tables (`relkind` `r`, `p`) but
/// not partitions (those are [`Schema::partitions`]), and not what belongs
/// to an extension (PostGIS's `spatial_ref_sys`, an extension's enum
/// types), in the default schema (`current_schema()`) or, with
/// [`IntrospectOptions::include_schemas`], in every user schema. Names in
/// the default schema get `schema: None`, others `Some(schema)` — for
/// tables, enum types and the tables foreign keys reference alike.
///
/// What is stored, exactly as PostgreSQL prints it:
///
/// - [`Column::data_type`]: `format_type(atttypid, atttypmod)`: `integer`,
///   `bigint`, `character varying(20)`, `numeric(10,2)`, `text[]`,
///   `timestamp with time zone`; an enum type unqualified when its schema is
///   on the `search_path` (`mood`), qualified otherwise (`other.status`).
///   A `serial` column reads back as `integer` with `NOT NULL` and the
///   default `nextval('t_id_seq'::regclass)`.
/// - [`Column::default`]: `pg_get_expr(adbin, adrelid)`, e.g.
///   `'x'::character varying`, `'ok'::mood`, `0`, `now()`. An identity
///   column has no default and [`Column::identity`] from `attidentity`
///   (`a` → [`Identity::Always`], `d` → [`Identity::ByDefault`]).
/// - [`Column::generated`]: for a generated column, `pg_get_expr` of its
///   expression, e.g. `(id * 2)` for `GENERATED ALWAYS AS (id*2) STORED`;
///   its `default` is then `None`.
/// - [`Column::nullable`]: `NOT attnotnull`.
/// - Primary key, unique constraints, foreign keys and checks from
///   `pg_constraint`, always with their names (`t_pkey`, `t_a_key`,
///   `t_b_fkey`, `t_price_check` when PostgreSQL chose them); key columns
///   in key order; foreign key actions from `confdeltype`/`confupdtype`.
///   Unique constraints, foreign keys and checks are sorted by name.
/// - [`CheckConstraint::expression`]: the text after `CHECK ` in
///   `pg_get_constraintdef(oid, true)`, with the one pair of parentheses
///   PostgreSQL prints around it and its own pretty-printed form inside:
///   `CHECK (price > 0)` on a `numeric` column is stored as
///   `(price > 0::numeric)`, `CHECK (a < b AND a IS NOT NULL)` as
///   `(a < b AND a IS NOT NULL)`. A trailing `NOT VALID` or `NO INHERIT` is
///   dropped.
/// - Indexes: those not backing a primary key, unique or exclusion
///   constraint, sorted by name. A key that is a plain column is
///   [`IndexKey::Column`] with the column's name; any other key is
///   [`IndexKey::Expression`] with `pg_get_indexdef(indexrelid, k, true)`:
///   `lower(email)`, `(a + b)` (PostgreSQL keeps the parentheses of an
///   operator expression). [`Index::key_options`]: `DESC` and `NULLS FIRST`
///   from `indoption`, an operator class from `indclass` when not the
///   default one (`opcdefault`), a collation from `indcollation` when not
///   the column's (for an expression, its type's); empty when every key
///   has the defaults. [`Index::include`]: the columns after
///   `indnkeyatts`. [`Index::with`]: the index's `reloptions`. [`Index::predicate`]: `pg_get_expr(indpred, indrelid, true)`,
///   e.g. `a > 0` (no outer parentheses). [`Index::method`]: `pg_am.amname`
///   (`gin`, `gist`, `hash`, `brin`), `None` for `btree`.
/// - Enum types in scope with their labels in `enumsortorder` order.
/// - Comments from `pg_description` for tables, columns and enum types.
///
/// The history table ([`IntrospectOptions::version_table`]) is left out
/// with its constraints and indexes; an unqualified name means the table of
/// that name in `current_schema()`.
///
/// Extensions, domains, composite and range types and sequences: see
/// `postgres_kinds.rs`.
///
/// - Views and materialized views (`relkind` `v`, `m`): the query from
///   `pg_get_viewdef`, `reloptions`, the columns as `name format_type`, and
///   [`View::canonical`](migrate_schema::View::canonical) built from those
///   by [`migrate_schema::views::view_canonical`].
/// - Functions and procedures (`prokind` `f`, `p`; not aggregates or window
///   functions): `pg_get_functiondef` as the statement, `oidvectortypes`
///   of the input types as the key, the arguments and result as the
///   signature, and as the canonical form everything `pg_proc` keeps but
///   the name (language, `prosrc`, `pg_get_function_sqlbody`, volatility,
///   strictness, security definer, leakproof, parallel, `proconfig`, cost,
///   rows).
/// - Triggers made by `CREATE TRIGGER` (not internal ones, not clones on
///   partitions, not on the history table): `pg_get_triggerdef` and the
///   function they execute.
///
/// What belongs to an extension is skipped for these too.
///
/// - [`Column::collation`]: `attcollation` when not the type's own
///   (`typcollation`), as pg_dump writes `COLLATE`; [`Table::storage`]:
///   the table's `reloptions` (`fillfactor=70` → `("fillfactor", "70")`).
/// - Constraint characteristics: [`Deferral`] from `condeferrable` and
///   `condeferred`; `not_valid` of foreign keys and checks from
///   `convalidated`.
///
/// - Exclusion constraints (`contype` `x`), sorted by name: the index
///   each builds (named as the constraint) read as the indexes above are,
///   and each element's operator from `conexclop` (`&&`; qualified
///   `OPERATOR(schema.op)` when not on the `search_path`), as
///   [`Exclusion`]; their indexes are not among the indexes.
/// - [`Table::partition_key`]: `pg_get_partkeydef` of a partitioned table
///   (`RANGE (at)`). Partitions (`relispartition`) are not tables here:
///   they are read into [`Schema::partitions`] with their parent, bound
///   (`pg_get_expr(relpartbound)`) and own key, and their columns, and the
///   indexes, foreign keys and checks cloned onto them from the parent,
///   are not read (see `postgres_partitions.rs`).
///
/// Not read: `NULLS NOT DISTINCT`; legacy inheritance (`INHERITS`) is
/// read as plain tables.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) naming the catalogue read
/// that failed.
pub async fn introspect_postgres(
    conn: &mut PgConnection,
    options: &IntrospectOptions,
) -> Result<Schema> {
    let fail = |what: &str| Error::db(format!("introspecting PostgreSQL: reading {what}"));

    let row = sqlx::query(SCHEMAS_SQL)
        .bind(options.include_schemas)
        .fetch_one(&mut *conn)
        .await
        .map_err(fail("the schemas"))?;
    let current: Option<String> = row.try_get(0).map_err(fail("the schemas"))?;
    let in_scope: Vec<String> = row.try_get(1).map_err(fail("the schemas"))?;
    let current = current.unwrap_or_default();

    let (history_schema, history_name) = split_table(&options.version_table);
    let history_schema = history_schema.unwrap_or(&current).to_owned();
    let scope = TableScope {
        in_scope: &in_scope,
        history_schema: &history_schema,
        history_name,
    };

    let qualify = |schema: String, name: String| QualifiedName {
        schema: (schema != current).then_some(schema),
        name,
    };

    let mut schema = Schema {
        schemas: in_scope
            .iter()
            .filter(|s| **s != current)
            .cloned()
            .collect::<BTreeSet<_>>(),
        ..Schema::default()
    };

    // Tables, by oid.
    let rows = table_rows(conn, TABLES_SQL, &scope)
        .await
        .map_err(fail("the tables"))?;
    let mut tables: HashMap<i64, Table> = HashMap::with_capacity(rows.len());
    for row in &rows {
        let decode = || -> Result<(i64, Table), sqlx::Error> {
            let mut table = Table::new(qualify(row.try_get(1)?, row.try_get(2)?));
            table.comment = row.try_get(3)?;
            let storage: Vec<String> = row.try_get(4)?;
            table.storage = storage.iter().map(|o| reloption(o)).collect();
            table.partition_key = row.try_get(5)?;
            Ok((row.try_get(0)?, table))
        };
        let (oid, table) = decode().map_err(fail("the tables"))?;
        tables.insert(oid, table);
    }

    // Columns, in physical order.
    let rows = table_rows(conn, COLUMNS_SQL, &scope)
        .await
        .map_err(fail("the columns"))?;
    for row in &rows {
        let decode = || -> Result<(i64, Column), sqlx::Error> {
            let identity: String = row.try_get(5)?;
            let generated: String = row.try_get(6)?;
            let expression: Option<String> = row.try_get(4)?;
            let not_null: bool = row.try_get(3)?;
            let is_generated = !generated.is_empty();
            let column = Column {
                name: row.try_get(1)?,
                data_type: row.try_get(2)?,
                nullable: !not_null,
                default: if is_generated {
                    None
                } else {
                    expression.clone()
                },
                identity: match identity.as_str() {
                    "a" => Some(Identity::Always),
                    "d" => Some(Identity::ByDefault),
                    _ => None,
                },
                generated: if is_generated { expression } else { None },
                comment: row.try_get(7)?,
                collation: row.try_get(8)?,
            };
            Ok((row.try_get(0)?, column))
        };
        let (oid, column) = decode().map_err(fail("the columns"))?;
        if let Some(table) = tables.get_mut(&oid) {
            table.columns.push(column);
        }
    }

    // Constraints.
    let rows = table_rows(conn, CONSTRAINTS_SQL, &scope)
        .await
        .map_err(fail("the constraints"))?;
    for row in &rows {
        let decode = || -> Result<(i64, String, String, Vec<String>), sqlx::Error> {
            Ok((
                row.try_get(0)?,
                row.try_get(1)?,
                row.try_get(2)?,
                row.try_get(3)?,
            ))
        };
        let (oid, name, kind, columns) = decode().map_err(fail("the constraints"))?;
        let flags = || -> Result<(Deferral, bool), sqlx::Error> {
            Ok((
                Deferral::from_flags(row.try_get(10)?, row.try_get(11)?),
                row.try_get(12)?,
            ))
        };
        let (deferral, not_valid) = flags().map_err(fail("the constraints"))?;
        let Some(table) = tables.get_mut(&oid) else {
            continue;
        };
        match kind.as_str() {
            "p" => {
                table.primary_key = Some(PrimaryKey {
                    name: Some(name),
                    columns,
                    deferral,
                });
            }
            "u" => table.uniques.push(UniqueConstraint {
                name: Some(name),
                columns,
                deferral,
            }),
            "f" => {
                let decode = || -> Result<_, sqlx::Error> {
                    let ref_schema: String = row.try_get(4)?;
                    let ref_name: String = row.try_get(5)?;
                    let ref_columns: Vec<String> = row.try_get(6)?;
                    let on_delete: String = row.try_get(7)?;
                    let on_update: String = row.try_get(8)?;
                    Ok((ref_schema, ref_name, ref_columns, on_delete, on_update))
                };
                let (ref_schema, ref_name, ref_columns, on_delete, on_update) =
                    decode().map_err(fail("the foreign keys"))?;
                table.foreign_keys.push(ForeignKey {
                    name: Some(name),
                    columns,
                    ref_table: qualify(ref_schema, ref_name),
                    ref_columns,
                    on_delete: FkAction::from_pg_code(&on_delete),
                    on_update: FkAction::from_pg_code(&on_update),
                    deferral,
                    not_valid,
                });
            }
            "c" => {
                let definition: String = row.try_get(9).map_err(fail("the check constraints"))?;
                table.checks.push(CheckConstraint {
                    name: Some(name),
                    expression: check_expression(&definition),
                    not_valid,
                });
            }
            _ => {}
        }
    }

    // Indexes.
    let rows = table_rows(conn, INDEXES_SQL, &scope)
        .await
        .map_err(fail("the indexes"))?;
    for row in &rows {
        let (oid, index) = decode_index(row).map_err(fail("the indexes"))?;
        if let Some(table) = tables.get_mut(&oid) {
            table.indexes.push(index);
        }
    }

    // Exclusion constraints.
    let rows = table_rows(conn, EXCLUSIONS_SQL, &scope)
        .await
        .map_err(fail("the exclusion constraints"))?;
    for row in &rows {
        let decode = || -> Result<(i64, Exclusion), sqlx::Error> {
            let (oid, index) = decode_index(row)?;
            Ok((
                oid,
                Exclusion {
                    name: index.name.clone(),
                    index,
                    operators: row.try_get(13)?,
                    deferral: Deferral::from_flags(row.try_get(14)?, row.try_get(15)?),
                },
            ))
        };
        let (oid, exclusion) = decode().map_err(fail("the exclusion constraints"))?;
        if let Some(table) = tables.get_mut(&oid) {
            table.exclusions.push(exclusion);
        }
    }

    // Enum types.
    let rows = sqlx::query(ENUMS_SQL)
        .bind(&in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the enum types"))?;
    let mut enums = BTreeMap::new();
    for row in &rows {
        let decode = || -> Result<EnumType, sqlx::Error> {
            Ok(EnumType {
                name: qualify(row.try_get(0)?, row.try_get(1)?),
                values: row.try_get(2)?,
                comment: row.try_get(3)?,
            })
        };
        let enum_type = decode().map_err(fail("the enum types"))?;
        enums.insert(enum_type.name.clone(), enum_type);
    }
    schema.enums = enums;

    schema.tables = tables
        .into_values()
        .map(|table| (table.name.clone(), table))
        .collect();
    super::postgres_kinds::read(conn, &in_scope, &current, &mut schema).await?;
    super::postgres_partitions::read(conn, &mut schema, &in_scope, &qualify).await?;
    super::postgres_code::read(
        conn,
        &mut schema,
        &in_scope,
        (&history_schema, history_name),
        &qualify,
    )
    .await?;
    if options.grants {
        super::postgres_grants::read(
            conn,
            &mut schema,
            &in_scope,
            (&history_schema, history_name),
            &qualify,
        )
        .await?;
    }
    Ok(schema)
}

/// An index from a row of [`INDEXES_SQL`] (or the first columns of
/// [`EXCLUSIONS_SQL`]), with its table's oid.
pub(super) fn decode_index(row: &sqlx::postgres::PgRow) -> Result<(i64, Index), sqlx::Error> {
    let method: String = row.try_get(3)?;
    let is_expression: Vec<bool> = row.try_get(5)?;
    let texts: Vec<Option<String>> = row.try_get(6)?;
    let keys = is_expression
        .into_iter()
        .zip(texts)
        .map(|(expression, text)| {
            let text = text.unwrap_or_default();
            if expression {
                IndexKey::Expression(text)
            } else {
                IndexKey::Column(text)
            }
        })
        .collect();
    let descending: Vec<bool> = row.try_get(7)?;
    let nulls_first: Vec<bool> = row.try_get(8)?;
    let opclasses: Vec<Option<String>> = row.try_get(9)?;
    let collations: Vec<Option<String>> = row.try_get(10)?;
    let mut key_options: Vec<IndexKeyOptions> = descending
        .into_iter()
        .zip(nulls_first)
        .zip(opclasses.into_iter().zip(collations))
        .map(
            |((descending, nulls_first), (opclass, collation))| IndexKeyOptions {
                collation,
                opclass,
                descending,
                nulls_first: Some(nulls_first),
            },
        )
        .collect();
    if key_options.iter().all(IndexKeyOptions::is_default) {
        key_options.clear();
    }
    let with: Vec<String> = row.try_get(12)?;
    let index = Index {
        name: row.try_get(1)?,
        unique: row.try_get(2)?,
        keys,
        predicate: row.try_get(4)?,
        method: (method != "btree").then_some(method),
        key_options,
        include: row.try_get(11)?,
        with: with.iter().map(|o| reloption(o)).collect(),
    };
    Ok((row.try_get(0)?, index))
}

/// A `reloptions` entry (`fillfactor=70`) as a `(name, value)` pair.
fn reloption(option: &str) -> (String, String) {
    match option.split_once('=') {
        Some((k, v)) => (k.to_owned(), v.to_owned()),
        None => (option.to_owned(), String::new()),
    }
}

/// The condition of `pg_get_constraintdef` for a check: the text after
/// `CHECK `, without a trailing `NOT VALID` / `NO INHERIT`.
fn check_expression(definition: &str) -> String {
    let mut text = definition
        .strip_prefix("CHECK ")
        .unwrap_or(definition)
        .trim();
    loop {
        if let Some(rest) = text.strip_suffix(" NOT VALID") {
            text = rest.trim_end();
        } else if let Some(rest) = text.strip_suffix(" NO INHERIT") {
            text = rest.trim_end();
        } else {
            break;
        }
    }
    text.to_owned()
}

impl Introspect for sqlx::PgPool {
    async fn introspect_schema(&self, options: &IntrospectOptions) -> Result<Schema> {
        let mut conn = self
            .acquire()
            .await
            .map_err(Error::db("connecting to PostgreSQL"))?;
        introspect_postgres(&mut conn, options).await
    }

    async fn settle_declared<'a>(&'a self, declared: &'a mut Schema) -> Result<()> {
        let mut conn = self
            .acquire()
            .await
            .map_err(Error::db("connecting to PostgreSQL"))?;
        super::postgres_code::settle_declared_postgres(&mut conn, declared).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn check_definitions() {
        assert_eq!(
            check_expression("CHECK (price > 0::numeric)"),
            "(price > 0::numeric)"
        );
        assert_eq!(check_expression("CHECK (a < b) NOT VALID"), "(a < b)");
        assert_eq!(
            check_expression("CHECK (a < b) NO INHERIT NOT VALID"),
            "(a < b)"
        );
    }

    #[test]
    fn actions() {
        assert_eq!(FkAction::from_pg_code("a"), FkAction::NoAction);
        assert_eq!(FkAction::from_pg_code("r"), FkAction::Restrict);
        assert_eq!(FkAction::from_pg_code("c"), FkAction::Cascade);
        assert_eq!(FkAction::from_pg_code("n"), FkAction::SetNull);
        assert_eq!(FkAction::from_pg_code("d"), FkAction::SetDefault);
    }
}
