//! Checks for an application's own `cargo test`: the Rust answer to
//! pytest-alembic's built-in tests.
//!
//! ```no_run
//! # static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("../migrations", require_build_script = false);
//! #[tokio::test]
//! async fn migrations_round_trip() {
//!     // One connection: every connection to `sqlite::memory:` is its own database.
//!     let pool = sqlx::sqlite::SqlitePoolOptions::new()
//!         .max_connections(1)
//!         .connect("sqlite::memory:")
//!         .await
//!         .unwrap();
//!     migrate_runtime::testing::assert_single_head(&MIGRATOR).unwrap();
//!     migrate_runtime::testing::upgrade_base_to_head(&MIGRATOR, &pool).await.unwrap();
//!     migrate_runtime::testing::round_trip(&MIGRATOR, &pool).await.unwrap();
//! }
//! ```

use migrate_core::{Dialect, Direction, Plan, Target};
use migrate_schema::{Change, DiffOptions, ParseOptions, diff as diff_schemas, parse_schema_with};

use crate::backend::Database;
use crate::error::Result;
use crate::introspect::{Introspect, IntrospectOptions, introspect};
use crate::migrator::Migrator;

/// Why a check failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CheckError {
    /// The table has several heads.
    #[error("the migrations have {} heads ({}); join them with `migrate merge heads`", .0.len(), .0.join(", "))]
    MultipleHeads(Vec<String>),
    /// A migration run failed.
    #[error(transparent)]
    Migrate(#[from] crate::Error),
    /// A downgrade did not restore the schema its upgrade started from.
    #[error(
        "revision {revision}: after upgrade then downgrade the schema differs from before the upgrade: {difference}; make the downgrade undo exactly what the upgrade does"
    )]
    DowngradeMismatch {
        /// The revision.
        revision: String,
        /// The first differing lines.
        difference: String,
    },
    /// Upgrading again after a downgrade gave another schema.
    #[error(
        "revision {revision}: upgrading again after its downgrade gives a different schema: {difference}; the downgrade leaves something behind"
    )]
    ReupgradeMismatch {
        /// The revision.
        revision: String,
        /// The first differing lines.
        difference: String,
    },
    /// The database was not empty.
    #[error(
        "the database already has revisions applied ({0}); run these checks on a fresh database"
    )]
    NotFresh(String),
}

/// Fails when the table has more than one head.
pub fn assert_single_head(migrator: &Migrator) -> Result<(), CheckError> {
    let graph = migrator.graph()?;
    let heads: Vec<String> = graph
        .heads()
        .iter()
        .map(|&i| graph.id(i).to_owned())
        .collect();
    if heads.len() > 1 {
        return Err(CheckError::MultipleHeads(heads));
    }
    Ok(())
}

/// Upgrades a fresh database from base to every head.
pub async fn upgrade_base_to_head<D: Database>(
    migrator: &Migrator,
    db: &D,
) -> Result<(), CheckError> {
    let current = migrator.current(db).await?;
    if !current.is_empty() {
        return Err(CheckError::NotFresh(current.join(", ")));
    }
    migrator.upgrade(db, Target::Heads).await?;
    Ok(())
}

/// The stairway test: from a fresh database, for each revision in order,
/// upgrade it, downgrade it (the schema must be what it was before), and
/// upgrade it again (the schema must be what it was after the first
/// upgrade). Revisions without a downgrade section are only upgraded.
/// Leaves the database at the heads.
pub async fn round_trip<D: Database>(migrator: &Migrator, db: &D) -> Result<(), CheckError> {
    let graph = migrator.graph()?;
    let applied = migrator.current(db).await?;
    if !applied.is_empty() {
        migrator.downgrade(db, Target::Base).await?;
    }
    let order = graph
        .plan_upgrade(&Target::Heads, &vec![false; graph.len()])
        .map_err(crate::Error::from)?;
    for &i in &order.steps {
        let rev = migrator.revisions().at(i);
        let before = migrator.schema(db).await?;
        let up = Plan {
            direction: Direction::Upgrade,
            steps: vec![i],
        };
        migrator.run_plan(db, &up).await?;
        if rev.downgrade().is_none() {
            continue;
        }
        let after = migrator.schema(db).await?;
        migrator
            .run_plan(
                db,
                &Plan {
                    direction: Direction::Downgrade,
                    steps: vec![i],
                },
            )
            .await?;
        let restored = migrator.schema(db).await?;
        if restored != before {
            return Err(CheckError::DowngradeMismatch {
                revision: rev.id().to_owned(),
                difference: diff(&before, &restored),
            });
        }
        migrator.run_plan(db, &up).await?;
        let again = migrator.schema(db).await?;
        if again != after {
            return Err(CheckError::ReupgradeMismatch {
                revision: rev.id().to_owned(),
                difference: diff(&after, &again),
            });
        }
    }
    Ok(())
}

fn diff(expected: &[String], actual: &[String]) -> String {
    let missing: Vec<&String> = expected
        .iter()
        .filter(|l| !actual.contains(l))
        .take(3)
        .collect();
    let extra: Vec<&String> = actual
        .iter()
        .filter(|l| !expected.contains(l))
        .take(3)
        .collect();
    format!("missing {missing:?}, unexpected {extra:?}")
}

/// What [`assert_schema_matches`] compares: the dialect the declared schema
/// is read in, and the comparison and introspection options (the CLI's
/// `compare_type`, `compare_server_default`, `include_schemas` and
/// `version_table` settings). To compare privileges as `compare_grants =
/// true` does, set both `diff.compare_grants` and `introspect.grants`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaMatch {
    /// The database's dialect, in which the declared schema is parsed.
    pub dialect: Dialect,
    /// What the comparison looks at.
    pub diff: DiffOptions,
    /// What introspection reads (and the history table it leaves out).
    pub introspect: IntrospectOptions,
}

impl SchemaMatch {
    /// The defaults for `dialect`: types and defaults compared, the default
    /// schema only, history table `migrate_history`.
    pub fn new(dialect: Dialect) -> SchemaMatch {
        SchemaMatch {
            dialect,
            diff: DiffOptions::default(),
            introspect: IntrospectOptions::default(),
        }
    }
}

/// The changes that would turn the database's schema into `declared_sql`
/// (empty when they agree): what `migrate check` compares. Declared views
/// and routines are first put in the server's own form, as `migrate check`
/// does (on PostgreSQL, in a transaction that is rolled back; see
/// [`settle_declared_postgres`](crate::introspect::settle_declared_postgres)).
/// Errors when the declared schema does not parse (`line L:C: message`
/// each) or the database cannot be read.
pub async fn schema_differences<D: Introspect + ?Sized>(
    db: &D,
    declared_sql: &str,
    options: &SchemaMatch,
) -> std::result::Result<Vec<Change>, String> {
    // Privileges are read from the declared schema when compared.
    let parse = ParseOptions {
        grants: options.diff.compare_grants,
    };
    let mut declared =
        parse_schema_with(declared_sql, options.dialect, &parse).map_err(|errors| {
            errors
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        })?;
    let actual = introspect(db, &options.introspect)
        .await
        .map_err(|e| e.to_string())?;
    db.settle_declared(&mut declared)
        .await
        .map_err(|e| e.to_string())?;
    Ok(diff_schemas(
        &actual,
        &declared,
        options.dialect,
        &options.diff,
    ))
}

/// Panics unless the database's schema is the declared one, listing every
/// difference (one `Change::summary` a line). For an application's own
/// `cargo test`: after `upgrade_base_to_head`, the migrations must build
/// exactly what `schema.sql` declares.
///
/// ```no_run
/// use migrate_core::Dialect;
/// use migrate_runtime::testing::{SchemaMatch, assert_schema_matches, upgrade_base_to_head};
/// # static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("../migrations", require_build_script = false);
///
/// #[tokio::test]
/// async fn migrations_build_the_declared_schema() {
///     let pool = sqlx::sqlite::SqlitePoolOptions::new()
///         .max_connections(1)
///         .connect("sqlite::memory:")
///         .await
///         .unwrap();
///     upgrade_base_to_head(&MIGRATOR, &pool).await.unwrap();
///     let declared = std::fs::read_to_string("schema.sql").unwrap();
///     assert_schema_matches(&pool, &declared, &SchemaMatch::new(Dialect::Sqlite)).await;
/// }
/// ```
pub async fn assert_schema_matches<D: Introspect + ?Sized>(
    db: &D,
    declared_sql: &str,
    options: &SchemaMatch,
) {
    match schema_differences(db, declared_sql, options).await {
        Ok(changes) if changes.is_empty() => {}
        Ok(changes) => panic!(
            "the database's schema differs from the declared schema in {} way(s) (what a new revision would do):\n{}",
            changes.len(),
            changes
                .iter()
                .map(|c| format!("  - {}", c.summary()))
                .collect::<Vec<_>>()
                .join("\n")
        ),
        Err(e) => panic!("could not compare with the declared schema: {e}"),
    }
}
