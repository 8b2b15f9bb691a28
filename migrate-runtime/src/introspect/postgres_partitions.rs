//! PostgreSQL declarative partitioning: partitions read from the
//! catalogue, and declared keys and bounds settled into the server's own
//! form for the comparison.
//!
//! Partitioned tables are read with the other tables (their key from
//! `pg_get_partkeydef`); partitions (`relispartition`) are not tables of
//! their own in the model: their columns, and the indexes, foreign keys
//! and checks PostgreSQL clones onto them from the parent, are the
//! parent's, so they are read here with their parent, bound and (when
//! sub-partitioned) key only.

use migrate_core::{Dialect, quote_ident};
use migrate_schema::{Partition, QualifiedName, Schema, Table};
use sqlx::{PgConnection, Row as _};

use crate::error::{Error, Result};

/// Partitions in the schemas `$1`, with their parent, bound and key; not
/// what belongs to an extension.
const PARTITIONS_SQL: &str = "\
SELECT n.nspname::text, c.relname::text, pn.nspname::text, pc.relname::text, \
       pg_get_expr(c.relpartbound, c.oid), pg_get_partkeydef(c.oid) \
  FROM pg_class c \
  JOIN pg_namespace n ON n.oid = c.relnamespace \
  JOIN pg_inherits i ON i.inhrelid = c.oid \
  JOIN pg_class pc ON pc.oid = i.inhparent \
  JOIN pg_namespace pn ON pn.oid = pc.relnamespace \
 WHERE c.relispartition AND c.relkind IN ('r', 'p') AND n.nspname = ANY($1::text[]) \
   AND NOT EXISTS (SELECT 1 FROM pg_depend dep WHERE dep.classid = 'pg_class'::regclass \
                    AND dep.objid = c.oid AND dep.deptype = 'e') \
 ORDER BY n.nspname, c.relname";

/// Reads the partitions of the schemas `in_scope` into `schema`; `qualify`
/// names them as the rest of the introspection does.
pub(super) async fn read(
    conn: &mut PgConnection,
    schema: &mut Schema,
    in_scope: &[String],
    qualify: &(dyn Fn(String, String) -> QualifiedName + Sync),
) -> Result<()> {
    let fail = || Error::db("introspecting PostgreSQL: reading the partitions");
    let rows = sqlx::query(PARTITIONS_SQL)
        .bind(in_scope)
        .fetch_all(&mut *conn)
        .await
        .map_err(fail())?;
    for row in &rows {
        let decode = || -> Result<Partition, sqlx::Error> {
            Ok(Partition {
                name: qualify(row.try_get(0)?, row.try_get(1)?),
                parent: qualify(row.try_get(2)?, row.try_get(3)?),
                bound: row.try_get(4)?,
                partition_key: row.try_get(5)?,
            })
        };
        let p = decode().map_err(fail())?;
        schema.partitions.insert(p.name.clone(), p);
    }
    Ok(())
}

const TEMP_PARENT: &str = "__migrate_settle_part";
const TEMP_PARTITION: &str = "__migrate_settle_partition";

/// `CREATE TEMP TABLE <name> (<columns of table>) PARTITION BY <key>`.
fn temp_table(name: &str, table: &Table, key: &str) -> String {
    let columns: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            let mut def = format!(
                "{} {}",
                quote_ident(&c.name, Dialect::Postgres),
                c.data_type
            );
            if let Some(collation) = &c.collation {
                def.push_str(&format!(
                    " COLLATE {}",
                    quote_ident(collation, Dialect::Postgres)
                ));
            }
            def
        })
        .collect();
    format!(
        "CREATE TEMP TABLE {} ({}) PARTITION BY {key}",
        quote_ident(name, Dialect::Postgres),
        columns.join(", ")
    )
}

/// The table at the top of a partition's parents.
fn root<'a>(schema: &'a Schema, mut parent: &'a QualifiedName) -> Option<&'a Table> {
    for _ in 0..64 {
        match schema.partitions.get(parent) {
            Some(p) => parent = &p.parent,
            None => return schema.tables.get(parent),
        }
    }
    None
}

/// Puts the declared partition keys and bounds of `schema` in the form
/// introspection reads (`pg_get_partkeydef`, `pg_get_expr(relpartbound)`),
/// inside the caller's transaction, which is rolled back: each partitioned
/// table is created as a temporary table with the declared columns and key,
/// and each partition as a temporary partition of a temporary copy of its
/// parent, under a savepoint that is rolled back after the catalogue is
/// read. A declaration the server refuses (a column of a type the database
/// does not have yet) keeps its declared text, compared by its tokens.
///
/// This is chosen over rewriting the text ourselves: the server prints a
/// bound as a value of the key's type (`'2020-01-01'` on a `timestamptz`
/// key becomes `'2020-01-01 00:00:00+00'`, after the session's
/// `TimeZone`), and a key with its operator classes and collations as the
/// catalogue holds them; only the server knows those.
pub(super) async fn settle_in_transaction(
    conn: &mut PgConnection,
    schema: &mut Schema,
) -> Result<()> {
    let fail = || Error::db("settling the declared partitions");
    let mut keys = Vec::new();
    for table in schema.tables.values() {
        let Some(key) = &table.partition_key else {
            continue;
        };
        run(conn, "SAVEPOINT migrate_settle_part")
            .await
            .map_err(fail())?;
        if run(conn, &temp_table(TEMP_PARENT, table, key))
            .await
            .is_ok()
            && let Ok(settled) = sqlx::query_scalar::<_, String>(
                "SELECT pg_get_partkeydef(c.oid) FROM pg_class c \
                  WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = $1",
            )
            .bind(TEMP_PARENT)
            .fetch_one(&mut *conn)
            .await
        {
            keys.push((table.name.clone(), settled));
        }
        run(conn, "ROLLBACK TO SAVEPOINT migrate_settle_part")
            .await
            .map_err(fail())?;
    }
    let mut bounds = Vec::new();
    for p in schema.partitions.values() {
        let parent_key = match (
            schema.tables.get(&p.parent),
            schema.partitions.get(&p.parent),
        ) {
            (Some(t), _) => t.partition_key.as_ref(),
            (None, Some(q)) => q.partition_key.as_ref(),
            (None, None) => None,
        };
        let (Some(root), Some(parent_key)) = (root(schema, &p.parent), parent_key) else {
            continue;
        };
        run(conn, "SAVEPOINT migrate_settle_part")
            .await
            .map_err(fail())?;
        let mut create = format!(
            "CREATE TEMP TABLE {} PARTITION OF {} {}",
            quote_ident(TEMP_PARTITION, Dialect::Postgres),
            quote_ident(TEMP_PARENT, Dialect::Postgres),
            p.bound
        );
        if let Some(key) = &p.partition_key {
            create.push_str(&format!(" PARTITION BY {key}"));
        }
        if run(conn, &temp_table(TEMP_PARENT, root, parent_key))
            .await
            .is_ok()
            && run(conn, &create).await.is_ok()
            && let Ok(row) = sqlx::query(
                "SELECT pg_get_expr(c.relpartbound, c.oid), pg_get_partkeydef(c.oid) \
                   FROM pg_class c \
                  WHERE c.relnamespace = pg_my_temp_schema() AND c.relname = $1",
            )
            .bind(TEMP_PARTITION)
            .fetch_one(&mut *conn)
            .await
            && let (Ok(bound), Ok(key)) = (
                row.try_get::<String, _>(0),
                row.try_get::<Option<String>, _>(1),
            )
        {
            bounds.push((p.name.clone(), bound, key));
        }
        run(conn, "ROLLBACK TO SAVEPOINT migrate_settle_part")
            .await
            .map_err(fail())?;
    }
    for (name, key) in keys {
        if let Some(t) = schema.tables.get_mut(&name) {
            t.partition_key = Some(key);
        }
    }
    for (name, bound, key) in bounds {
        if let Some(p) = schema.partitions.get_mut(&name) {
            p.bound = bound;
            if key.is_some() {
                p.partition_key = key;
            }
        }
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
