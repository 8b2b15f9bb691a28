//! Autogenerate: the declared schema (`schema.sql`) compared with a database
//! at head — the configured one, or a shadow database built from the
//! migration directory — or with the schema the upgrades build, folded
//! without a database (`--offline`), for `revision --autogenerate` and
//! `check`.

use std::hash::{BuildHasher, Hasher};
use std::path::Path;
use std::str::FromStr;
use std::time::Duration;

use anyhow::{Context as _, anyhow};
use migrate_core::{Dialect, Migrations, Target};
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_runtime::sqlx::postgres::{PgConnectOptions, PgConnection, PgPoolOptions};
use migrate_runtime::sqlx::sqlite::{SqliteConnectOptions, SqlitePoolOptions};
use migrate_runtime::sqlx::{self, Connection as _};
use migrate_runtime::{DatabaseUrl, Migrator};
use migrate_schema::fold::{self, FoldResult, Scope};
use migrate_schema::{
    Change, DiffOptions, ParseOptions, QualifiedName, Schema, diff, parse_schema_with,
};

use crate::env::UrlSource;
use crate::error::{Problems, Usage};
use crate::output::{Ui, one_line};
use crate::project::{Pool, Project, on_pool, require_url};
use crate::schema;

/// Alembic's refusal when the database is behind the migration directory.
pub(crate) const NOT_UP_TO_DATE: &str = "Target database is not up to date.";

/// How long to wait for the server when creating or dropping a shadow
/// database.
const SHADOW_TIMEOUT: Duration = Duration::from_secs(30);

/// What the declared schema is compared with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Against {
    /// The configured database, at head.
    Database,
    /// A scratch database upgraded to head (`--shadow`).
    Shadow,
    /// The schema the upgrades build, folded without a database
    /// (`--offline`).
    Fold,
}

impl Against {
    /// `--shadow` and `--offline` as given (clap keeps them apart).
    pub fn from_flags(shadow: bool, offline: bool) -> Against {
        match (shadow, offline) {
            (_, true) => Against::Fold,
            (true, false) => Against::Shadow,
            (false, false) => Against::Database,
        }
    }

    /// The other side of the comparison, for messages.
    pub fn describe(self) -> &'static str {
        match self {
            Against::Database => "the database",
            Against::Shadow => "the shadow database",
            Against::Fold => "the schema the migrations build (folded without a database)",
        }
    }
}

/// The outcome of one comparison.
pub(crate) struct Comparison {
    /// The database's dialect, which the declared schema was read in.
    pub dialect: Dialect,
    /// What turns the database into the declared schema.
    pub changes: Vec<Change>,
    /// The database's tables, when the changes drop every one of them (and
    /// there is at least one); empty otherwise.
    pub drops_every_table: Vec<String>,
    /// Where the database URL came from, for messages; `None` offline.
    pub source: Option<UrlSource>,
    /// Offline: one line per table the changes drop that the fold is
    /// unsure of, naming the statement that made it so (the downgrade
    /// re-creates such a table as the fold knows it).
    pub unsure_dropped: Vec<String>,
}

impl Comparison {
    /// Refuses a revision whose upgrade would drop every table of a
    /// non-empty database, unless `allowed` (`--allow-drop-all`).
    pub fn refuse_dropping_everything(
        &self,
        project: &Project,
        allowed: bool,
    ) -> anyhow::Result<()> {
        if self.drops_every_table.is_empty() || allowed {
            return Ok(());
        }
        let n = self.drops_every_table.len();
        let mut names: Vec<String> = self.drops_every_table.iter().take(5).cloned().collect();
        if n > 5 {
            names.push("…".into());
        }
        let names = migrate_schema::escape_controls(&names.join(", "));
        Err(match self.source {
            Some(source) => anyhow!(
                "{}: the upgrade would drop every table of the database ({n}: {names}) and nothing was written; this usually means schema.sql is not this database's schema (empty, a placeholder, or another project's) or the database URL (from {source}) names another database; check both, or pass --allow-drop-all to write the revision anyway",
                project.schema_display(),
            ),
            None => anyhow!(
                "{}: the upgrade would drop every table the migrations build ({n}: {names}) and nothing was written; this usually means schema.sql is not this project's schema (empty, a placeholder, or another project's); check it, or pass --allow-drop-all to write the revision anyway",
                project.schema_display(),
            ),
        })
    }
}

/// Compares the declared schema with the database (or with a scratch
/// database upgraded to head from the directory, or with the schema the
/// upgrades build, folded: then no URL is read).
pub(crate) async fn compare(
    ui: &Ui,
    project: &Project,
    migrator: &Migrator,
    url_flag: Option<&str>,
    against: Against,
) -> anyhow::Result<Comparison> {
    if against == Against::Fold {
        return compare_offline(ui, project, &project.load_migrations()?);
    }
    let (url, source) = require_url(url_flag, Some(project))?;
    let dialect = url.check().map_err(|e| Usage(format!("{source}: {e}")))?;
    let mut declared = read_declared(project, dialect)?;
    // `sqlite3 app.db .schema` and pg_dump print the history table too; it
    // is no more part of the comparison there than in the database.
    without_history(&mut declared, &project.config.version_table, dialect);
    // Nor is the record of the applied definitions (guide: "Repeatable
    // definitions").
    let definitions_table = migrator.definitions_table();
    without_history(&mut declared, &definitions_table, dialect);
    let options = IntrospectOptions {
        include_schemas: project.config.include_schemas,
        version_table: project.config.version_table.clone(),
        grants: project.config.compare_grants,
    };
    let actual = if against == Against::Shadow {
        match dialect {
            Dialect::Sqlite => shadow_sqlite(migrator, &options).await?,
            Dialect::Postgres => {
                shadow_postgres(migrator, &url, source, &options, &mut declared).await?
            }
        }
    } else {
        let pool = Pool::connect(&url, source, false).await?;
        let mut result = live(migrator, &pool, &options).await;
        if result.is_ok()
            && let Pool::Pg(pg) = &pool
        {
            result = settle(pg, &mut declared).await.and(result);
        }
        pool.close().await;
        result?
    };
    let mut actual = actual;
    without_history(&mut actual, &definitions_table, dialect);
    Ok(compare_schemas(
        ui,
        project,
        dialect,
        &actual,
        &declared,
        Some(source),
    ))
}

/// `--offline`: the declared schema against the fold at head. Prints the
/// fold's coverage; refuses (exit 2) when the fold is unsure of a table the
/// declared schema holds.
pub(crate) fn compare_offline(
    ui: &Ui,
    project: &Project,
    migrations: &Migrations,
) -> anyhow::Result<Comparison> {
    let dialect = schema::project_dialect(project);
    // The fold says which dialects it reads, so a SQLite project is served
    // as soon as it reads SQLite.
    let folded = fold::fold_upgrades(migrations, dialect).map_err(|e| {
        Usage(format!(
            "--offline: {e}; otherwise drop --offline and compare with a database: give a database URL, or pass --shadow"
        ))
    })?;
    let mut declared = read_declared(project, dialect)?;
    without_history(&mut declared, &project.config.version_table, dialect);
    ui.line(format!("fold: {}", one_line(&folded.coverage().summary())))?;
    refuse_unsure(project, &declared, &folded, dialect)?;
    let mut actual = folded.state.to_schema();
    without_unfolded_kinds(&mut actual);
    without_unfolded_kinds(&mut declared);
    if project.config.compare_grants && dialect == Dialect::Postgres {
        ui.note("note: compare_grants is on, but the fold does not model privileges: --offline leaves them out on both sides; compare with a database (or --shadow) for them".to_owned());
    }
    let mut comparison = compare_schemas(ui, project, dialect, &actual, &declared, None);
    let default = default_schema(dialect);
    let unsure = folded.state.unsure_tables();
    for change in &comparison.changes {
        if let Change::DropTable { table, .. } = change
            && let Some((_, taint)) = unsure
                .iter()
                .find(|(name, _)| same_table(name, &table.name, default))
        {
            comparison.unsure_dropped.push(format!(
                "table {}: dropped, and the downgrade re-creates it as the fold holds it, which may differ after {} ({}); check the downgrade against a database",
                one_line(&table.name.to_string()),
                one_line(&taint.at.to_string()),
                one_line(&taint.why)
            ));
        }
    }
    Ok(comparison)
}

/// Refuses `--database-url` given before the command together with
/// `--offline`: clap checks a global option's conflicts only where it is
/// given, so it refuses `check --offline --database-url URL` but not
/// `--database-url URL check --offline`.
pub(crate) fn refuse_url_when_offline(url_flag: Option<&str>, offline: bool) -> anyhow::Result<()> {
    if offline && url_flag.is_some() {
        return Err(Usage(
            "--database-url: cannot be used with --offline, which compares without a database; drop one of them".into(),
        )
        .into());
    }
    Ok(())
}

/// The default schema's name in a dialect.
fn default_schema(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "public",
        Dialect::Sqlite => "main",
    }
}

/// Refuses an offline comparison when the fold is unsure of a table that
/// the declared schema holds and the comparison looks at: one that a
/// statement the fold could not model may have changed, or, when the fold
/// does not hold it, may have created. A name only ever dropped after such
/// a statement counts too: the fold keeps no history of names it no longer
/// holds, so it cannot tell.
fn refuse_unsure(
    project: &Project,
    declared: &Schema,
    folded: &FoldResult,
    dialect: Dialect,
) -> anyhow::Result<()> {
    let default = default_schema(dialect);
    let unsure = folded.state.unsure_tables();
    let mut lines = Vec::new();
    for name in declared.tables.keys() {
        let schema = name.schema.as_deref().unwrap_or(default);
        if !project.config.include_schemas && schema != default {
            continue;
        }
        let shown = one_line(&name.to_string()).into_owned();
        if let Some((_, taint)) = unsure.iter().find(|(n, _)| same_table(n, name, default)) {
            lines.push(format!(
                "table {shown}: may differ from what the fold holds after {} ({})",
                one_line(&taint.at.to_string()),
                one_line(&taint.why)
            ));
        } else if folded.state.find_table(schema, &name.name).is_none()
            && let Some(taint) = folded.coverage().taints.iter().find(|t| {
                t.scope == Scope::World
                    || (t.scope == Scope::Schema && t.object.as_deref() == Some(schema))
            })
        {
            lines.push(format!(
                "table {shown}: the upgrades as folded do not build it, but {} ({}) may have",
                one_line(&taint.at.to_string()),
                one_line(&taint.why)
            ));
        }
    }
    if lines.is_empty() {
        return Ok(());
    }
    let n = lines.len();
    // One message, so that the exit code is 2; its lines are indented
    // under it.
    Err(Usage(format!(
        "{}: the schema fold is unsure of {n} table{} declared here, so an offline comparison could be wrong; compare with a database instead: drop --offline and give a database URL (a database at head), or pass --shadow\n{}",
        project.schema_display(),
        if n == 1 { "" } else { "s" },
        lines.join("\n")
    ))
    .into())
}

/// Whether two names are one table, the default schema written or not.
fn same_table(a: &QualifiedName, b: &QualifiedName, default: &str) -> bool {
    a.name == b.name
        && a.schema.as_deref().unwrap_or(default) == b.schema.as_deref().unwrap_or(default)
}

/// The comparison proper, whatever the actual schema came from.
fn compare_schemas(
    ui: &Ui,
    project: &Project,
    dialect: Dialect,
    actual: &Schema,
    declared: &Schema,
    source: Option<UrlSource>,
) -> Comparison {
    if declared.tables.is_empty() && !actual.tables.is_empty() {
        ui.warn(format!(
            "{} declares no tables: every table {} counts as dropped; declare the schema there first",
            project.schema_display(),
            if source.is_some() {
                "of the database"
            } else {
                "the migrations build"
            }
        ));
    }
    let defined = defined_by_definitions(project);
    let (actual, declared) = (
        &without_defined(
            excluded(actual, &project.config.exclude, dialect),
            &defined,
            dialect,
        ),
        &without_defined(
            excluded(declared, &project.config.exclude, dialect),
            &defined,
            dialect,
        ),
    );
    if project.config.compare_grants && dialect == Dialect::Sqlite {
        ui.note("note: compare_grants is ignored on SQLite, which has no privileges".to_owned());
    }
    let diff_options = DiffOptions {
        compare_type: project.config.compare_type,
        compare_server_default: project.config.compare_server_default,
        compare_grants: project.config.compare_grants,
        include_schemas: project.config.include_schemas,
        ..DiffOptions::default()
    };
    let changes = diff(actual, declared, dialect, &diff_options);
    // Column order is reported, never changed, and does not fail `check`.
    for note in migrate_schema::diff::column_order_notes(actual, declared, dialect, &diff_options) {
        ui.note(format!("note: {note}; autogenerate does not reorder columns (that would re-create the table), and check passes; reorder schema.sql to silence this"));
    }
    let default = default_schema(dialect);
    let in_scope: Vec<String> = actual
        .tables
        .keys()
        .filter(|t| {
            project.config.include_schemas || t.schema.as_deref().is_none_or(|s| s == default)
        })
        .map(|t| t.to_string())
        .collect();
    let dropped = changes
        .iter()
        .filter(|c| matches!(c, Change::DropTable { .. }))
        .count();
    // Renaming the only table is a drop and a create with the same columns
    // (flagged as a probable rename): not what a wrong file or database
    // looks like.
    let all_renamed = changes.iter().all(|c| {
        !matches!(
            c,
            Change::DropTable {
                renamed_to: None,
                ..
            }
        )
    });
    let drops_every_table = if !in_scope.is_empty() && dropped >= in_scope.len() && !all_renamed {
        in_scope
    } else {
        Vec::new()
    };
    Comparison {
        dialect,
        changes,
        drops_every_table,
        source,
        unsure_dropped: Vec::new(),
    }
}

/// Reads and parses the declared schema in `dialect`; errors name
/// `schema.sql:line:col`.
pub(crate) fn read_declared(project: &Project, dialect: Dialect) -> anyhow::Result<Schema> {
    let shown = project.schema_display();
    let text = match std::fs::read_to_string(&project.schema) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Usage(format!(
                "{shown}: declared schema not found; write the schema as CREATE TABLE … statements there, or set `schema = \"path\"` in migrate.toml"
            ))
            .into());
        }
        Err(e) => {
            return Err(Usage(format!(
                "{shown}: cannot read: {e}; check that it is a readable file"
            ))
            .into());
        }
    };
    let options = ParseOptions {
        grants: project.config.compare_grants,
    };
    parse_schema_with(&text, dialect, &options).map_err(|errors| {
        let n = errors.len();
        let lines = errors
            .iter()
            .map(|e| format!("{shown}:{}:{}: {}", e.line, e.column, e.message))
            .collect();
        anyhow::Error::new(Problems(lines)).context(format!(
            "{shown} has {n} problem{} (read as {}); fix {} and run the command again",
            if n == 1 { "" } else { "s" },
            dialect_name(dialect),
            if n == 1 { "it" } else { "them" }
        ))
    })
}

/// Removes the migration history table (`version_table`: `table` or
/// `schema.table`) from a declared schema, compared as the introspection
/// compares it (without regard to case on SQLite).
fn without_history(schema: &mut Schema, version_table: &str, dialect: Dialect) {
    let (wanted_schema, wanted) = match version_table.rsplit_once('.') {
        Some((s, t)) => (Some(s), t),
        None => (None, version_table),
    };
    let default = default_schema(dialect);
    let history = |name: &QualifiedName| {
        let same_schema = match (name.schema.as_deref(), wanted_schema) {
            (None, None) => true,
            (None, Some(s)) | (Some(s), None) if s == default => true,
            (Some(a), Some(b)) => a == b,
            _ => false,
        };
        let same_name = match dialect {
            Dialect::Sqlite => name.name.eq_ignore_ascii_case(wanted),
            Dialect::Postgres => name.name == wanted,
        };
        same_schema && same_name
    };
    schema.tables.retain(|name, _| !history(name));
    schema.grants.retain(|name, _| !history(name));
}

/// `schema` without the tables and types that `exclude` (migrate.toml)
/// names: each entry a name or a pattern, matched against the bare name and
/// against `schema.name` (the default schema when the name has none).
/// The objects the repeatable definitions (`definitions/`) create: the
/// runtime applies those after the revisions, so neither side of the
/// comparison counts them. A directory whose definitions do not load is
/// reported by the loader; here it counts as none.
fn defined_by_definitions(project: &Project) -> Vec<migrate_core::definitions::DefinedObject> {
    migrate_core::definitions::load_definitions(
        &project.dir,
        &project.display,
        &project.config.dialects,
        project.config.max_file_size,
    )
    .map(|defs| defs.into_iter().flat_map(|d| d.objects).collect())
    .unwrap_or_default()
}

/// `schema` without the views, routines and triggers of `defined`.
fn without_defined(
    mut schema: Schema,
    defined: &[migrate_core::definitions::DefinedObject],
    dialect: Dialect,
) -> Schema {
    use migrate_core::definitions::DefinitionKind;
    if defined.is_empty() {
        return schema;
    }
    let default = default_schema(dialect);
    let same = |name: &QualifiedName, schema: &Option<String>, plain: &str| {
        name.name == plain
            && name.schema.as_deref().unwrap_or(default) == schema.as_deref().unwrap_or(default)
    };
    for o in defined {
        match o.kind {
            DefinitionKind::View => {
                schema.views.retain(|n, _| !same(n, &o.schema, &o.name));
                schema.grants.retain(|n, _| !same(n, &o.schema, &o.name));
            }
            DefinitionKind::Function | DefinitionKind::Procedure => {
                schema
                    .functions
                    .retain(|(n, _), _| !same(n, &o.schema, &o.name));
                schema
                    .routine_grants
                    .retain(|(n, _), _| !same(n, &o.schema, &o.name));
            }
            DefinitionKind::Trigger => {
                if let Some((table_schema, table)) = &o.table {
                    schema
                        .triggers
                        .retain(|(t, n), _| !(n == &o.name && same(t, table_schema, table)));
                }
            }
        }
    }
    schema
}

fn excluded(schema: &Schema, exclude: &[String], dialect: Dialect) -> Schema {
    let mut schema = schema.clone();
    if exclude.is_empty() {
        return schema;
    }
    let default = default_schema(dialect);
    let hit = |name: &migrate_schema::QualifiedName| {
        let qualified = format!(
            "{}.{}",
            name.schema.as_deref().unwrap_or(default),
            name.name
        );
        exclude.iter().any(|p| {
            migrate_core::glob_match(p, &name.name) || migrate_core::glob_match(p, &qualified)
        })
    };
    schema.tables.retain(|name, _| !hit(name));
    // A partition goes with an excluded parent (or grandparent), as
    // PostgreSQL drops it with its parent; it may also be excluded alone.
    let parents: std::collections::BTreeMap<_, _> = schema
        .partitions
        .iter()
        .map(|(name, p)| (name.clone(), p.parent.clone()))
        .collect();
    schema.partitions.retain(|name, _| {
        let mut at = name;
        for _ in 0..64 {
            if hit(at) {
                return false;
            }
            match parents.get(at) {
                Some(parent) => at = parent,
                None => break,
            }
        }
        true
    });
    schema.enums.retain(|name, _| !hit(name));
    schema.domains.retain(|name, _| !hit(name));
    schema.composites.retain(|name, _| !hit(name));
    schema.ranges.retain(|name, _| !hit(name));
    schema.sequences.retain(|name, _| !hit(name));
    schema.views.retain(|name, _| !hit(name));
    schema.functions.retain(|(name, _), _| !hit(name));
    schema.triggers.retain(|(table, _), _| !hit(table));
    schema.grants.retain(|name, _| !hit(name));
    schema.routine_grants.retain(|(name, _), _| !hit(name));
    schema
        .extensions
        .retain(|name, _| !exclude.iter().any(|p| migrate_core::glob_match(p, name)));
    schema
}

/// `schema` without the kinds the fold does not model yet (views,
/// routines, triggers, extensions, domains, composite and range types,
/// sequences other than a column's own, partitions and partition keys): an offline comparison leaves them
/// out on both sides.
fn without_unfolded_kinds(schema: &mut Schema) {
    // Views, routines and triggers: the fold tracks them by name for its
    // lints, not their definitions.
    schema.views.clear();
    schema.functions.clear();
    schema.triggers.clear();
    schema.extensions.clear();
    schema.domains.clear();
    schema.composites.clear();
    schema.ranges.clear();
    schema.sequences.clear();
    // Privileges (`compare_grants`): not modelled by the fold.
    schema.grants.clear();
    schema.routine_grants.clear();
    // Partitioning: the fold builds a partitioned table's columns,
    // constraints and indexes and leaves its partitions out, but models
    // neither keys nor bounds.
    schema.partitions.clear();
    for t in schema.tables.values_mut() {
        t.partition_key = None;
    }
}

/// PostgreSQL: the declared views and routines in the server's own form
/// (see `settle_declared_postgres`), through one connection of `pool`.
async fn settle(pool: &sqlx::PgPool, declared: &mut Schema) -> anyhow::Result<()> {
    let mut conn = pool
        .acquire()
        .await
        .context("could not connect to compare the declared views and functions")?;
    migrate_runtime::introspect::settle_declared_postgres(&mut conn, declared)
        .await
        .context("could not compare the declared views and functions")?;
    Ok(())
}

fn dialect_name(dialect: Dialect) -> &'static str {
    match dialect {
        Dialect::Postgres => "PostgreSQL",
        Dialect::Sqlite => "SQLite",
    }
}

/// The configured database, which must be at the directory's head(s).
async fn live(
    migrator: &Migrator,
    pool: &Pool,
    options: &IntrospectOptions,
) -> anyhow::Result<Schema> {
    let pending = on_pool!(pool, p => migrator.pending(p).await)?;
    if !pending.is_empty() {
        return Err(Problems(vec![
            NOT_UP_TO_DATE.to_owned(),
            format!(
                "{} revision(s) not applied ({}); run `migrate upgrade head` first, then run this command again (or pass --shadow to compare with a scratch database built from the migrations)",
                pending.len(),
                pending.join(", ")
            ),
        ])
        .into());
    }
    let schema = on_pool!(pool, p => introspect(p, options).await)
        .context("could not read the database's schema")?;
    Ok(schema)
}

/// SQLite: an in-memory database upgraded to head. The configured database
/// is not opened.
async fn shadow_sqlite(migrator: &Migrator, options: &IntrospectOptions) -> anyhow::Result<Schema> {
    // One connection that never expires: each connection to `:memory:` is
    // its own database.
    let pool = SqlitePoolOptions::new()
        .max_connections(1)
        .min_connections(1)
        .idle_timeout(None)
        .max_lifetime(None)
        .connect_with(SqliteConnectOptions::from_str("sqlite::memory:")?)
        .await
        .context("could not open an in-memory SQLite database for --shadow")?;
    let result = async {
        migrator
            .upgrade(&pool, Target::Heads)
            .await
            .context("could not build the shadow database: upgrading a scratch database to head failed; fix the migration named above")?;
        introspect(&pool, options)
            .await
            .context("could not read the shadow database's schema")
    }
    .await;
    pool.close().await;
    result
}

/// PostgreSQL: `CREATE DATABASE migrate_shadow_<random>` on the configured
/// server, upgraded to head, read, and dropped on every path.
async fn shadow_postgres(
    migrator: &Migrator,
    url: &DatabaseUrl,
    source: UrlSource,
    options: &IntrospectOptions,
    declared: &mut Schema,
) -> anyhow::Result<Schema> {
    let failed =
        || format!("could not connect to {url} (from {source}) to create a shadow database");
    let base = url
        .pg_connect_options()
        .map_err(|e| Usage(format!("{source}: {e}")))?;
    let mut admin = match connect(&base).await {
        Ok(conn) => conn,
        // The configured database may not exist yet: the server is enough.
        Err(first) => match connect(&base.clone().database("postgres")).await {
            Ok(conn) => conn,
            Err(_) => return Err(first).with_context(failed),
        },
    };
    let name = shadow_name();
    let created = tokio::time::timeout(
        SHADOW_TIMEOUT,
        sqlx::raw_sql(&format!("CREATE DATABASE {name}")).execute(&mut admin),
    )
    .await
    .map_err(|_| anyhow!("no answer within {} s", SHADOW_TIMEOUT.as_secs()))
    .and_then(|r| r.map_err(anyhow::Error::from));
    if let Err(e) = created {
        let _ = admin.close().await;
        return Err(e.context(format!(
            "could not create the shadow database {name} on the server of {url}; the user needs the CREATEDB privilege for --shadow"
        )));
    }
    let result = async {
        let pool = PgPoolOptions::new()
            .max_connections(2)
            .acquire_timeout(SHADOW_TIMEOUT)
            .connect_with(base.clone().database(&name))
            .await
            .with_context(|| format!("could not connect to the shadow database {name}"))?;
        let result = async {
            migrator
                .upgrade(&pool, Target::Heads)
                .await
                .context("could not build the shadow database: upgrading a scratch database to head failed; fix the migration named above")?;
            let schema = introspect(&pool, options)
                .await
                .context("could not read the shadow database's schema")?;
            settle(&pool, declared).await?;
            Ok(schema)
        }
        .await;
        pool.close().await;
        result
    }
    .await;
    let dropped = tokio::time::timeout(
        SHADOW_TIMEOUT,
        sqlx::raw_sql(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).execute(&mut admin),
    )
    .await;
    let _ = admin.close().await;
    match dropped {
        Ok(Ok(_)) => result,
        Ok(Err(e)) => result.and(Err(anyhow::Error::from(e).context(format!(
            "could not drop the shadow database {name}; drop it by hand: DROP DATABASE {name} WITH (FORCE)"
        )))),
        Err(_) => result.and(Err(anyhow!(
            "no answer within {} s while dropping the shadow database {name}; drop it by hand: DROP DATABASE {name} WITH (FORCE)",
            SHADOW_TIMEOUT.as_secs()
        ))),
    }
}

async fn connect(options: &PgConnectOptions) -> anyhow::Result<PgConnection> {
    tokio::time::timeout(SHADOW_TIMEOUT, PgConnection::connect_with(options))
        .await
        .map_err(|_| anyhow!("no answer within {} s", SHADOW_TIMEOUT.as_secs()))?
        .map_err(anyhow::Error::from)
}

/// `migrate_shadow_<16 hex digits>`: a plain identifier, no quoting needed.
fn shadow_name() -> String {
    let mut hasher = std::collections::hash_map::RandomState::new().build_hasher();
    hasher.write_u128(
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos()),
    );
    hasher.write_u32(std::process::id());
    format!("migrate_shadow_{:016x}", hasher.finish())
}

/// Prints one line per change.
pub(crate) fn print_changes(ui: &Ui, changes: &[Change]) -> std::io::Result<()> {
    for change in changes {
        ui.line(format!("  Detected {}", change.summary()))?;
    }
    Ok(())
}

/// Is there a declared schema to compare with?
pub(crate) fn has_declared(project: &Project) -> bool {
    Path::new(&project.schema).is_file()
}
