//! PostgreSQL views, materialized views, functions, procedures and
//! triggers: read from the catalogue, and declared ones settled into the
//! server's own form for the comparison.

use migrate_core::{Dialect, quote_ident};
use migrate_schema::views::{routine_in_schema, view_canonical};
use migrate_schema::{Function, QualifiedName, Schema, Trigger, View};
use sqlx::postgres::PgRow;
use sqlx::{PgConnection, Row as _};

use crate::error::{Error, Result};

/// Views and materialized views; `{filter}` is the condition on `c`.
const VIEWS_SQL: &str = "\
SELECT n.nspname::text, c.relname::text, c.relkind = 'm', pg_get_viewdef(c.oid), \
       c.relispopulated, coalesce(c.reloptions, '{}')::text[], \
       ARRAY(SELECT a.attname::text || ' ' || format_type(a.atttypid, a.atttypmod) \
               FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attnum > 0 \
                AND NOT a.attisdropped ORDER BY a.attnum), \
       obj_description(c.oid, 'pg_class') \
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
 WHERE c.relkind IN ('v', 'm') AND {filter} \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass \
                    AND dep.objid = c.oid AND dep.deptype = 'e') \
 ORDER BY n.nspname, c.relname";

/// Functions and procedures, not those an extension owns or that are part
/// of another object (a range type's constructors: `pg_depend` `i`);
/// `{filter}` is the condition on `p` and `n`.
const FUNCTIONS_SQL: &str = "\
SELECT n.nspname::text, p.proname::text, p.prokind = 'p', oidvectortypes(p.proargtypes), \
       pg_get_functiondef(p.oid), \
       pg_get_function_arguments(p.oid) || ' -> ' || coalesce(pg_get_function_result(p.oid), ''), \
       concat_ws(E'\\n', p.prokind::text, l.lanname::text, p.prosrc, \
                 pg_get_function_sqlbody(p.oid), p.provolatile::text, p.proisstrict::text, \
                 p.prosecdef::text, p.proleakproof::text, p.proparallel::text, \
                 p.proconfig::text, p.procost::text, p.prorows::text, \
                 pg_get_function_arguments(p.oid), pg_get_function_result(p.oid)) \
  FROM pg_proc p \
  JOIN pg_namespace n ON n.oid = p.pronamespace \
  JOIN pg_language l ON l.oid = p.prolang \
 WHERE p.prokind IN ('f', 'p') AND {filter} \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_proc'::regclass \
                    AND dep.objid = p.oid AND dep.deptype IN ('e', 'i')) \
 ORDER BY n.nspname, p.proname, p.oid";

/// Triggers made by `CREATE TRIGGER` (not those of foreign keys, not the
/// clones on partitions). `$1`: schemas; `$2`, `$3`: the history table.
const TRIGGERS_SQL: &str = "\
SELECT n.nspname::text, c.relname::text, t.tgname::text, pg_get_triggerdef(t.oid), \
       pn.nspname::text, p.proname::text \
  FROM pg_trigger t \
  JOIN pg_class c ON c.oid = t.tgrelid \
  JOIN pg_namespace n ON n.oid = c.relnamespace \
  JOIN pg_proc p ON p.oid = t.tgfoid \
  JOIN pg_namespace pn ON pn.oid = p.pronamespace \
 WHERE NOT t.tgisinternal AND t.tgparentid = 0 AND n.nspname = ANY($1::text[]) \
   AND NOT (n.nspname = $2 AND c.relname = $3) \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_trigger'::regclass \
                    AND dep.objid = t.oid AND dep.deptype = 'e') \
 ORDER BY n.nspname, c.relname, t.tgname";

fn view_of(row: &PgRow, name: QualifiedName) -> Result<View, sqlx::Error> {
    let definition: String = row.try_get(3)?;
    let populated: bool = row.try_get(4)?;
    let options: Vec<String> = row.try_get(5)?;
    let columns: Vec<String> = row.try_get(6)?;
    let materialized: bool = row.try_get(2)?;
    let query = definition
        .trim()
        .trim_end_matches(';')
        .trim_end()
        .to_owned();
    Ok(View {
        canonical: Some(view_canonical(&options, &columns, &query)),
        name,
        materialized,
        column_list: Vec::new(),
        options,
        query,
        with_no_data: materialized && !populated,
        sql: None,
        columns,
        comment: row.try_get(7)?,
        indexes: Vec::new(),
    })
}

fn function_of(row: &PgRow, name: QualifiedName) -> Result<Function, sqlx::Error> {
    let sql: String = row.try_get(4)?;
    Ok(Function {
        name,
        procedure: row.try_get(2)?,
        arg_types: row.try_get(3)?,
        sql: sql.trim_end().to_owned(),
        signature: Some(row.try_get(5)?),
        canonical: Some(row.try_get(6)?),
    })
}

/// Reads views, routines and triggers of the schemas `in_scope` into
/// `schema`; `qualify` names them as the rest of the introspection does.
pub(super) async fn read(
    conn: &mut PgConnection,
    schema: &mut Schema,
    in_scope: &[String],
    history: (&str, &str),
    qualify: &(dyn Fn(String, String) -> QualifiedName + Sync),
) -> Result<()> {
    let fail = |what: &str| Error::db(format!("introspecting PostgreSQL: reading {what}"));
    let sql = VIEWS_SQL.replace("{filter}", "n.nspname = ANY($1::text[])");
    let rows = sqlx::query(&sql)
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the views"))?;
    for row in &rows {
        let decode = || -> Result<View, sqlx::Error> {
            view_of(row, qualify(row.try_get(0)?, row.try_get(1)?))
        };
        let view = decode().map_err(fail("the views"))?;
        schema.views.insert(view.name.clone(), view);
    }
    let rows = sqlx::query(super::postgres::MATVIEW_INDEXES_SQL)
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the indexes of materialized views"))?;
    for row in &rows {
        let decode = || -> Result<(QualifiedName, migrate_schema::Index), sqlx::Error> {
            let (_, index) = super::postgres::decode_index(row)?;
            Ok((qualify(row.try_get(13)?, row.try_get(14)?), index))
        };
        let (name, index) = decode().map_err(fail("the indexes of materialized views"))?;
        if let Some(view) = schema.views.get_mut(&name) {
            view.indexes.push(index);
        }
    }
    let sql = FUNCTIONS_SQL.replace("{filter}", "n.nspname = ANY($1::text[])");
    let rows = sqlx::query(&sql)
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the functions"))?;
    for row in &rows {
        let decode = || -> Result<Function, sqlx::Error> {
            function_of(row, qualify(row.try_get(0)?, row.try_get(1)?))
        };
        let f = decode().map_err(fail("the functions"))?;
        schema
            .functions
            .insert((f.name.clone(), f.arg_types.clone()), f);
    }
    let rows = sqlx::query(TRIGGERS_SQL)
        .bind(in_scope)
        .bind(history.0)
        .bind(history.1)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail("the triggers"))?;
    for row in &rows {
        let decode = || -> Result<Trigger, sqlx::Error> {
            let table = qualify(row.try_get(0)?, row.try_get(1)?);
            let sql: String = row.try_get(3)?;
            let function = qualify(row.try_get(4)?, row.try_get(5)?);
            let function = match function.schema.as_deref() {
                Some("pg_catalog") => None,
                _ => Some(function),
            };
            Ok(Trigger {
                table,
                name: row.try_get(2)?,
                sql,
                function,
            })
        };
        let t = decode().map_err(fail("the triggers"))?;
        schema.triggers.insert((t.table.clone(), t.name.clone()), t);
    }
    Ok(())
}

/// Puts the declared views and routines of `schema` in the server's own
/// form, so that they compare with introspected ones exactly.
///
/// Inside one transaction that is always rolled back, each declared view
/// is created as a temporary view (`CREATE TEMP VIEW`, under a name of its
/// own so that it shadows nothing) from the declared query, and each
/// routine in `pg_temp` from the declared statement (with
/// `check_function_bodies` off), and the same catalogue columns that
/// introspection reads are read back into [`View::canonical`],
/// [`View::columns`], [`Function::canonical`], [`Function::signature`]
/// and [`Function::arg_types`]. Nothing persists; the user needs the
/// `TEMPORARY` privilege on the database (which PostgreSQL grants to
/// everyone by default) and no lock is taken beyond `ACCESS SHARE` on what
/// the views read. A declaration the server refuses here (a view on a table
/// the database does not have yet) keeps no canonical form and is compared
/// by its tokens, so it shows as different, as it is.
///
/// Declared partition keys and bounds are settled in the same transaction
/// (see `postgres_partitions.rs`).
///
/// Triggers need no settling: [`migrate_schema::views::trigger_form`] reads
/// both sides.
///
/// # Errors
///
/// [`Error::Database`](crate::Error::Database) when the transaction itself
/// cannot be opened.
pub async fn settle_declared_postgres(conn: &mut PgConnection, schema: &mut Schema) -> Result<()> {
    let partitioned =
        !schema.partitions.is_empty() || schema.tables.values().any(|t| t.partition_key.is_some());
    if schema.views.is_empty() && schema.functions.is_empty() && !partitioned {
        return Ok(());
    }
    let fail = |what: &str| Error::db(format!("settling the declared {what}"));
    let temp: bool =
        sqlx::query_scalar("SELECT has_database_privilege(current_database(), 'TEMPORARY')")
            .fetch_one(&mut *conn)
            .await
            .map_err(fail("views"))?;
    if !temp {
        return Err(Error::db(
            "comparing the declared views and functions: the user may not create temporary objects in this database, which the comparison needs (nothing persists); GRANT TEMPORARY ON DATABASE <name> TO <user>",
        )(sqlx::Error::Protocol(
            "has_database_privilege(current_database(), 'TEMPORARY') is false".into(),
        )));
    }
    run(conn, "BEGIN").await.map_err(fail("views"))?;
    let mut result = settle_in_transaction(conn, schema).await;
    if result.is_ok() && partitioned {
        result = super::postgres_partitions::settle_in_transaction(conn, schema).await;
    }
    let rolled_back = run(conn, "ROLLBACK").await.map_err(fail("views"));
    result.and(rolled_back.map(drop))
}

async fn settle_in_transaction(conn: &mut PgConnection, schema: &mut Schema) -> Result<()> {
    let fail = |what: &str| Error::db(format!("settling the declared {what}"));
    run(conn, "SET LOCAL check_function_bodies = off")
        .await
        .map_err(fail("routines"))?;
    for view in schema.views.values_mut() {
        let temp = "__migrate_settle_view";
        let mut create = format!("CREATE TEMP VIEW {}", quote_ident(temp, Dialect::Postgres));
        if !view.column_list.is_empty() {
            let cols: Vec<String> = view
                .column_list
                .iter()
                .map(|c| quote_ident(c, Dialect::Postgres))
                .collect();
            create.push_str(&format!(" ({})", cols.join(", ")));
        }
        if !view.options.is_empty() && !view.materialized {
            create.push_str(&format!(" WITH ({})", view.options.join(", ")));
        }
        create.push_str(" AS\n");
        create.push_str(&view.query);
        run(conn, "SAVEPOINT migrate_settle")
            .await
            .map_err(fail("views"))?;
        if run(conn, &create).await.is_ok() {
            let sql = VIEWS_SQL.replace(
                "{filter}",
                "c.relnamespace = pg_my_temp_schema() AND c.relname = '__migrate_settle_view'",
            );
            if let Ok(row) = sqlx::query(&sql).fetch_one(&mut *conn).await
                && let Ok(read) = view_of(&row, view.name.clone())
            {
                let options = if view.materialized {
                    view.options.clone()
                } else {
                    read.options
                };
                view.columns = read.columns;
                // A temporary view has no comment: the declared one stays.
                view.canonical = Some(view_canonical(&options, &view.columns, &read.query));
            }
        }
        run(conn, "ROLLBACK TO SAVEPOINT migrate_settle")
            .await
            .map_err(fail("views"))?;
    }
    let functions = std::mem::take(&mut schema.functions);
    for (key, mut f) in functions {
        if let Some(create) = routine_in_schema(&f.sql, "pg_temp") {
            run(conn, "SAVEPOINT migrate_settle")
                .await
                .map_err(fail("routines"))?;
            if run(conn, &create).await.is_ok() {
                let sql = FUNCTIONS_SQL.replace(
                    "{filter}",
                    "p.pronamespace = pg_my_temp_schema() AND p.proname = $1",
                );
                if let Ok(row) = sqlx::query(&sql)
                    .bind(&f.name.name)
                    .fetch_one(&mut *conn)
                    .await
                    && let Ok(read) = function_of(&row, f.name.clone())
                {
                    f.arg_types = read.arg_types;
                    f.signature = read.signature;
                    f.canonical = read.canonical;
                }
            }
            run(conn, "ROLLBACK TO SAVEPOINT migrate_settle")
                .await
                .map_err(fail("routines"))?;
        }
        let key = if f.canonical.is_some() {
            let settled = (f.name.clone(), f.arg_types.clone());
            // Declared privileges (`compare_grants`) follow the routine.
            if let Some(g) = schema.routine_grants.remove(&key) {
                schema.routine_grants.insert(settled.clone(), g);
            }
            settled
        } else {
            key
        };
        schema.functions.insert(key, f);
    }
    Ok(())
}

/// One statement, not prepared for reuse.
async fn run(conn: &mut PgConnection, sql: &str) -> Result<(), sqlx::Error> {
    sqlx::query(sql)
        .persistent(false)
        .execute(&mut *conn)
        .await
        .map(drop)
}
