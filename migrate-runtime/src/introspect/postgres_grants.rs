//! PostgreSQL privileges on tables, views, materialized views, sequences,
//! functions and procedures, read only when [`IntrospectOptions::grants`] asks for them
//! (migrate.toml's `compare_grants`).
//!
//! [`IntrospectOptions::grants`]: super::IntrospectOptions::grants

use migrate_schema::{Grantee, Privilege, QualifiedName, Schema};
use sqlx::{PgConnection, Row as _};

use crate::error::{Error, Result};

/// One row per object (relkind `r`, `p`, `v`, `m`, `S`; not partitions,
/// not an extension's, not the history table) with its owner, and one per
/// privilege held by a role other than the owner: `aclexplode` of
/// `pg_class.relacl` (a NULL `relacl` is the default: the owner's only)
/// and of each column's `pg_attribute.attacl`. Grantee 0 is `PUBLIC`.
/// `$1`: schemas in scope, `$2`, `$3`: the history table.
const GRANTS_SQL: &str = "\
WITH o AS ( \
  SELECT c.oid, n.nspname, c.relname, c.relkind, c.relowner, c.relacl \
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace \
   WHERE n.nspname = ANY($1::text[]) \
     AND c.relkind IN ('r', 'p', 'v', 'm', 'S') AND NOT c.relispartition \
     AND NOT (n.nspname = $2 AND c.relname = $3) \
     AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass \
                      AND dep.objid = c.oid AND dep.deptype = 'e')) \
SELECT o.nspname::text, o.relname::text, o.relkind = 'S', pg_get_userbyid(o.relowner)::text, \
       NULL::text, a.grantee::int8, pg_get_userbyid(a.grantee)::text, a.privilege_type::text, \
       a.is_grantable \
  FROM o LEFT JOIN LATERAL aclexplode(o.relacl) a ON a.grantee <> o.relowner \
UNION ALL \
SELECT o.nspname::text, o.relname::text, o.relkind = 'S', pg_get_userbyid(o.relowner)::text, \
       att.attname::text, a.grantee::int8, pg_get_userbyid(a.grantee)::text, \
       a.privilege_type::text, a.is_grantable \
  FROM o JOIN pg_attribute att ON att.attrelid = o.oid \
       CROSS JOIN LATERAL aclexplode(att.attacl) a \
 WHERE att.attnum > 0 AND NOT att.attisdropped AND att.attacl IS NOT NULL \
   AND a.grantee <> o.relowner";

/// One row per function and procedure (not an extension's, not part of
/// another object, as introspection reads routines) with its owner and
/// argument types, and one per privilege held by a role other than the
/// owner: `aclexplode` of `pg_proc.proacl`, or of `acldefault` when it is
/// NULL (`EXECUTE` for `PUBLIC`). `$1`: schemas in scope.
const ROUTINE_GRANTS_SQL: &str = "\
SELECT n.nspname::text, p.proname::text, oidvectortypes(p.proargtypes), \
       pg_get_userbyid(p.proowner)::text, a.grantee::int8, pg_get_userbyid(a.grantee)::text, \
       a.privilege_type::text, a.is_grantable \
  FROM pg_proc p \
  JOIN pg_namespace n ON n.oid = p.pronamespace \
  LEFT JOIN LATERAL aclexplode(coalesce(p.proacl, acldefault('f', p.proowner))) a \
    ON a.grantee <> p.proowner \
 WHERE p.prokind IN ('f', 'p') AND n.nspname = ANY($1::text[]) \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_proc'::regclass \
                    AND dep.objid = p.oid AND dep.deptype IN ('e', 'i'))";

/// Reads the privileges of the objects in `in_scope` into
/// [`Schema::grants`]: every object gets an entry with its owner, so that
/// the comparison leaves the owner's own privileges out on both sides.
pub(super) async fn read(
    conn: &mut PgConnection,
    schema: &mut Schema,
    in_scope: &[String],
    history: (&str, &str),
    qualify: &(dyn Fn(String, String) -> QualifiedName + Sync),
) -> Result<()> {
    let fail = |e| Error::db("introspecting PostgreSQL: reading the privileges")(e);
    let rows = sqlx::query(GRANTS_SQL)
        .bind(in_scope)
        .bind(history.0)
        .bind(history.1)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail)?;
    for row in &rows {
        let mut decode = || -> Result<(), sqlx::Error> {
            let name = qualify(row.try_get(0)?, row.try_get(1)?);
            let entry = schema.grants.entry(name).or_default();
            entry.sequence = row.try_get(2)?;
            entry.owner = row.try_get(3)?;
            let grantee: Option<i64> = row.try_get(5)?;
            let Some(grantee) = grantee else {
                return Ok(());
            };
            let grantee = if grantee == 0 {
                Grantee::Public
            } else {
                Grantee::Role(row.try_get(6)?)
            };
            let privilege = Privilege {
                grantee,
                privilege: row.try_get(7)?,
                column: row.try_get(4)?,
            };
            let grantable: bool = row.try_get(8)?;
            // The same privilege granted by two grantors is held once,
            // grantable if either grant is.
            *entry.privileges.entry(privilege).or_insert(false) |= grantable;
            Ok(())
        };
        decode().map_err(fail)?;
    }

    let rows = sqlx::query(ROUTINE_GRANTS_SQL)
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail)?;
    for row in &rows {
        let mut decode = || -> Result<(), sqlx::Error> {
            let key = (qualify(row.try_get(0)?, row.try_get(1)?), row.try_get(2)?);
            let entry = schema.routine_grants.entry(key).or_default();
            entry.owner = row.try_get(3)?;
            let grantee: Option<i64> = row.try_get(4)?;
            let Some(grantee) = grantee else {
                return Ok(());
            };
            let grantee = if grantee == 0 {
                Grantee::Public
            } else {
                Grantee::Role(row.try_get(5)?)
            };
            let privilege = Privilege {
                grantee,
                privilege: row.try_get(6)?,
                column: None,
            };
            let grantable: bool = row.try_get(7)?;
            *entry.privileges.entry(privilege).or_insert(false) |= grantable;
            Ok(())
        };
        decode().map_err(fail)?;
    }
    Ok(())
}
