//! The schema fold's oracle: for every revision of a chain, what the fold
//! says the upgrades build equals what PostgreSQL 15 holds, names included,
//! after `upgrade` to that revision and after `downgrade -1` (the state
//! before it), before the walk upgrades again to go on.
//!
//! Chains: the example app's `migrations/`, the generated 300-file history
//! of `tests/sql/history.rs`, and 20 seeds × 40 revisions of the generator
//! in `chains.rs` (`MIGRATE_FOLD_SEEDS=N` runs N seeds; a failing seed is
//! printed, and `MIGRATE_FOLD_SEED=S` runs that one alone). Each prints its
//! figures: revisions, objects compared, differences, statements modelled
//! and the tables the fold is unsure of (docs/schema-fold.md).

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{Duration, Instant};

use migrate_core::{Config, Dialect, DialectCheck, Migrations, RevisionKind, load_directory};
use migrate_runtime::introspect::{IntrospectOptions, introspect};
use migrate_runtime::{Migrator, Target};
use migrate_schema::fold::{Scope, State, fold_revision, fold_with};
use migrate_schema::{DiffOptions, QualifiedName, Schema, diff};

use crate::chains;

#[path = "../sql/history.rs"]
#[allow(dead_code)] // the history's other users need more of it
mod history;

/// Revisions per generated chain.
const REVISIONS: usize = 40;
/// Seeds run by default.
const SEEDS: u64 = 20;

/// What the fold says after a revision: the schema it is sure of.
#[derive(Clone)]
struct Expected {
    schema: Schema,
    /// Tables whose contents it is not sure of: left out on both sides.
    unsure: BTreeSet<QualifiedName>,
    /// Statements it could not model may have created anything: a table
    /// the database holds and the fold does not is left out too.
    open_world: bool,
}

impl Expected {
    fn of(state: &State) -> Expected {
        Expected {
            schema: state.to_schema(),
            unsure: state
                .unsure_tables()
                .into_iter()
                .map(|(name, _)| name)
                .collect(),
            open_world: state
                .coverage()
                .taints
                .iter()
                .any(|t| matches!(t.scope, Scope::World | Scope::Schema)),
        }
    }
}

/// A chain's figures, for the closing note.
#[derive(Default)]
struct Figures {
    revisions: usize,
    /// Comparisons made (after each upgrade and each downgrade).
    comparisons: usize,
    /// Tables, columns, constraints, indexes and enums compared, summed
    /// over the comparisons.
    objects: usize,
    /// Every difference, as `revision (step): change`.
    differences: Vec<String>,
    statements: usize,
    modelled: usize,
    /// Tables the fold is unsure of at the end of the chain.
    unsure_at_end: usize,
    /// Tables left out of some comparison because the fold was unsure of them.
    unsure_ever: BTreeSet<String>,
    /// Time spent folding, running the migrator, and introspecting.
    fold_time: Duration,
    run_time: Duration,
    introspect_time: Duration,
    compare_time: Duration,
}

impl Figures {
    fn line(&self, label: &str, elapsed: std::time::Duration) -> String {
        format!(
            "fold oracle, {label}: {} revisions, {} comparisons, {} objects compared, {} differences; \
             {} of {} statements modelled; {} tables unsure at the end, {} ever; {:.1} s \
             (fold {:.1} s, upgrades and downgrades {:.1} s, introspection {:.1} s, comparison {:.1} s)",
            self.revisions,
            self.comparisons,
            self.objects,
            self.differences.len(),
            self.modelled,
            self.statements,
            self.unsure_at_end,
            self.unsure_ever.len(),
            elapsed.as_secs_f64(),
            self.fold_time.as_secs_f64(),
            self.run_time.as_secs_f64(),
            self.introspect_time.as_secs_f64(),
            self.compare_time.as_secs_f64(),
        )
    }
}

/// `schema` without what the comparison leaves out.
fn sure_part(schema: &Schema, expected: &Expected, from_database: bool) -> Schema {
    let mut out = schema.clone();
    // Not folded yet: extensions, domains, composite and range types,
    // sequences (other than a column's own), as `check --offline` leaves
    // them out.
    out.extensions.clear();
    out.domains.clear();
    out.composites.clear();
    out.ranges.clear();
    out.sequences.clear();
    // A table the fold may have missed: statements it could not model
    // may have created it.
    let maybe_missed = |name: &QualifiedName| {
        from_database && expected.open_world && !expected.schema.tables.contains_key(name)
    };
    out.tables
        .retain(|name, _| !expected.unsure.contains(name) && !maybe_missed(name));
    if from_database && expected.open_world {
        out.enums
            .retain(|name, _| expected.schema.enums.contains_key(name));
        out.schemas.retain(|s| expected.schema.schemas.contains(s));
    }
    out
}

fn count_objects(schema: &Schema) -> usize {
    schema.enums.len()
        + schema
            .tables
            .values()
            .map(|t| {
                1 + t.columns.len()
                    + usize::from(t.primary_key.is_some())
                    + t.uniques.len()
                    + t.foreign_keys.len()
                    + t.checks.len()
                    + t.indexes.len()
            })
            .sum::<usize>()
}

/// The database's schema against the fold's: each change that would turn
/// one into the other, names counting.
fn compare(actual: &Schema, expected: &Expected, figures: &mut Figures, at: &str) {
    let clock = Instant::now();
    let db = sure_part(actual, expected, true);
    let fold = sure_part(&expected.schema, expected, false);
    figures.comparisons += 1;
    figures.objects += count_objects(&fold);
    figures
        .unsure_ever
        .extend(expected.unsure.iter().map(|n| n.to_string()));
    let options = DiffOptions {
        compare_names: true,
        include_schemas: true,
        ..DiffOptions::default()
    };
    for change in diff(&db, &fold, Dialect::Postgres, &options) {
        figures
            .differences
            .push(format!("{at}{SEP}{} ({change:?})", change.summary()));
    }
    figures.compare_time += clock.elapsed();
}

/// The migrator's settings: the directory was checked with PostgreSQL's
/// grammar when it was loaded for the fold, so the migrator's own load
/// skips the checks.
fn migrator_config() -> Config {
    Config {
        dialects: DialectCheck::Off,
        ..Config::default()
    }
}

/// Folds `migrations` once, then walks it on a fresh PostgreSQL database:
/// up to each revision, compare; down one, compare with the state before
/// it; up again.
async fn oracle(dir: &Path, label: &str, migrations: &Migrations) -> Figures {
    let mut figures = Figures::default();
    let mut after: Vec<(usize, Expected)> = Vec::new();
    let started = Instant::now();
    let folded = fold_with(migrations, Dialect::Postgres, None, |i, state| {
        after.push((i, Expected::of(state)));
    })
    .unwrap_or_else(|e| panic!("{label}: {e}"));
    let coverage = folded.coverage();
    figures.fold_time = started.elapsed();
    figures.revisions = after.len();
    figures.statements = coverage.statements;
    figures.modelled = coverage.modelled;
    figures.unsure_at_end = folded.state.unsure_tables().len();

    let migrator = Migrator::from_directory(dir, label, &migrator_config())
        .unwrap_or_else(|e| panic!("{label}: {e}"));
    let database = migrate_tests::fresh_pg_db().await;
    let pool = database.pool().await;
    let options = IntrospectOptions {
        include_schemas: true,
        ..IntrospectOptions::default()
    };
    let graph = &migrations.graph;
    let empty = Expected::of(&State::new());
    for (pos, (i, expected)) in after.iter().enumerate() {
        let revision = &migrations.revisions[*i];
        let id = revision.id();
        let at = format!("{label}: {} ({id})", revision.path);
        let clock = Instant::now();
        let up = up_to(&migrator, &pool, revision).await;
        figures.run_time += clock.elapsed();
        if let Err(e) = up {
            figures
                .differences
                .push(format!("{at}: upgrade failed: {e}"));
            break;
        }
        let clock = Instant::now();
        let actual = introspect(&pool, &options)
            .await
            .expect("introspect")
            .without_views_and_routines();
        figures.introspect_time += clock.elapsed();
        compare(
            &actual,
            expected,
            &mut figures,
            &format!("{at} after upgrade"),
        );

        // `-1` from the one head; with several (inside a branch) `-1` is
        // ambiguous, as in Alembic, so the step starts at this revision.
        let clock = Instant::now();
        let heads = migrator.current(&pool).await.expect("read the history");
        let down = Target::Relative {
            from: (heads.len() > 1).then(|| Box::new(Target::Revision(id.into()))),
            steps: -1,
        };
        let result = if revision.kind == RevisionKind::Rust {
            // What the `migrate` CLI does about a data-only Rust revision
            // (it cannot run its code): record it as undone.
            let parents: Vec<&str> = revision
                .header
                .down_revision
                .iter()
                .map(String::as_str)
                .collect();
            migrator.stamp(&pool, &parents, false).await.map(drop)
        } else {
            migrator.downgrade(&pool, down).await.map(drop)
        };
        figures.run_time += clock.elapsed();
        if let Err(e) = result {
            figures
                .differences
                .push(format!("{at}: downgrade -1 failed: {e}"));
            break;
        }
        // What the database holds now: the ancestors of its heads. Along
        // a chain that is every revision before this one, as the fold had
        // it; after a branch point `-1` may take more, folded again here.
        let heads: Vec<usize> = migrator
            .current(&pool)
            .await
            .expect("read the history")
            .iter()
            .map(|h| graph.find(h).expect("a known head"))
            .collect();
        let applied = graph.ancestors_inclusive(&heads);
        let before: Vec<bool> = {
            let mut v = vec![false; applied.len()];
            for (j, _) in &after[..pos] {
                v[*j] = true;
            }
            v
        };
        let refolded;
        let expected_down = if applied == before {
            match pos {
                0 => &empty,
                _ => &after[pos - 1].1,
            }
        } else {
            let mut state = State::new();
            for &j in graph.topological_order() {
                if applied[j] {
                    fold_revision(&mut state, &migrations.revisions[j]);
                }
            }
            refolded = Expected::of(&state);
            &refolded
        };
        let clock = Instant::now();
        let actual = introspect(&pool, &options)
            .await
            .expect("introspect")
            .without_views_and_routines();
        figures.introspect_time += clock.elapsed();
        compare(
            &actual,
            expected_down,
            &mut figures,
            &format!("{at} after downgrade -1"),
        );
        let clock = Instant::now();
        let up = up_to(&migrator, &pool, revision).await;
        figures.run_time += clock.elapsed();
        if let Err(e) = up {
            figures
                .differences
                .push(format!("{at}: upgrade after downgrade failed: {e}"));
            break;
        }
    }
    pool.close().await;
    figures
}

fn load(dir: &Path, label: &str) -> Migrations {
    load_directory(dir, label, &DialectCheck::All(vec![Dialect::Postgres]))
        .unwrap_or_else(|e| panic!("{label} does not load:\n{e}"))
}

/// Between where a difference was seen and what it is.
const SEP: &str = " => ";

/// The first place each distinct difference was seen (a fold bug shows
/// at every revision after the one that causes it), at most 20.
fn first_of_each(differences: &[String]) -> String {
    let mut seen = BTreeSet::new();
    differences
        .iter()
        .filter(|d| {
            seen.insert(
                d.split_once(SEP)
                    .map_or(d.as_str(), |(_, what)| what)
                    .to_owned(),
            )
        })
        .take(20)
        .cloned()
        .collect::<Vec<_>>()
        .join("\n")
}

fn assert_no_differences(label: &str, figures: &Figures) {
    assert!(
        figures.differences.is_empty(),
        "{label}: the fold and PostgreSQL 15 differ ({}); where each first shows:\n{}",
        figures.differences.len(),
        first_of_each(&figures.differences)
    );
}

#[tokio::test]
async fn fold_oracle_example_app() {
    let started = Instant::now();
    let dir = migrate_tests::workspace_root().join("migrations");
    let migrations = load(&dir, "migrations");
    let figures = oracle(&dir, "migrations", &migrations).await;
    println!("{}", figures.line("example app", started.elapsed()));
    assert_no_differences("example app", &figures);
    assert_eq!(figures.revisions, 9);
    assert_eq!(figures.modelled, figures.statements);
}

/// The constructs of the 300-file history the fold does not model in a
/// way that makes tables unsure: `DO` blocks and `CALL` (everything),
/// extensions (their schema), partitions, `LIKE`, `ALTER CONSTRAINT` and
/// `SET GENERATED` (their table). The others (functions, triggers,
/// policies, statistics, sequences, materialized views) touch nothing the
/// fold holds.
const UNSURE_CONSTRUCTS: &[&str] = &[
    "do_blocks",
    "create_procedure",
    "extension_in_schema",
    "partitions",
    "alter_constraint_deferrable",
    "generated_columns",
];

/// Statements of the 300-file history the fold modelled when this test was
/// written (docs/schema-fold.md); modelling more only raises it.
const HISTORY_MODELLED_AT_LEAST: usize = 694;

#[tokio::test]
async fn fold_oracle_generated_300_file_history() {
    let started = Instant::now();
    let temp = tempfile::tempdir().unwrap();
    history::write_history(temp.path(), false, &[]);
    let migrations = load(temp.path(), "generated");
    let figures = oracle(temp.path(), "generated", &migrations).await;
    println!("{}", figures.line("300-file history", started.elapsed()));
    assert_no_differences("300-file history", &figures);
    assert_eq!(figures.revisions, history::FILES);
    assert_eq!(figures.statements, 1128);
    assert!(
        figures.modelled >= HISTORY_MODELLED_AT_LEAST,
        "300-file history: {} of {} statements modelled, fewer than the {HISTORY_MODELLED_AT_LEAST} of docs/schema-fold.md",
        figures.modelled,
        figures.statements
    );
    // What makes tables unsure comes only from the constructs meant to.
    let folded = fold_with(&migrations, Dialect::Postgres, None, |_, _| {}).unwrap();
    let construct = |path: &str| {
        UNSURE_CONSTRUCTS
            .iter()
            .find(|c| path.ends_with(&format!("_{c}.sql")))
            .copied()
    };
    for taint in &folded.coverage().taints {
        if taint.scope != Scope::Unmodelled {
            assert!(
                construct(&taint.at.path).is_some(),
                "{}: {} makes {:?} unsure, and is not one of the constructs meant to",
                taint.at,
                taint.why,
                taint.scope
            );
        }
    }
    for (table, taint) in folded.state.unsure_tables() {
        assert!(
            construct(&taint.at.path).is_some(),
            "{table} is unsure after {}: {}",
            taint.at,
            taint.why
        );
    }
}

/// The seeds to run: `MIGRATE_FOLD_SEED=S` alone, else 0..`MIGRATE_FOLD_SEEDS`.
fn seeds() -> Vec<u64> {
    let var = |name: &str| {
        std::env::var(name).ok().map(|v| {
            v.trim()
                .parse::<u64>()
                .unwrap_or_else(|_| panic!("{name}={v}: not a number; give a whole number"))
        })
    };
    match var("MIGRATE_FOLD_SEED") {
        Some(seed) => vec![seed],
        None => (0..var("MIGRATE_FOLD_SEEDS").unwrap_or(SEEDS)).collect(),
    }
}

#[tokio::test]
async fn fold_oracle_generated_chains() {
    let started = Instant::now();
    let mut total = Figures::default();
    let mut failed: Vec<(u64, Vec<String>)> = Vec::new();
    let seeds = seeds();
    for &seed in &seeds {
        let temp = tempfile::tempdir().unwrap();
        let chain = chains::generate(seed, REVISIONS);
        chains::write_chain(&chain, temp.path()).unwrap();
        let label = format!("seed {seed}");
        let migrations = load(temp.path(), &label);
        let figures = oracle(temp.path(), &label, &migrations).await;
        total.revisions += figures.revisions;
        total.comparisons += figures.comparisons;
        total.objects += figures.objects;
        total.statements += figures.statements;
        total.modelled += figures.modelled;
        total.unsure_at_end += figures.unsure_at_end;
        total.fold_time += figures.fold_time;
        total.run_time += figures.run_time;
        total.introspect_time += figures.introspect_time;
        total.compare_time += figures.compare_time;
        total
            .unsure_ever
            .extend(figures.unsure_ever.iter().map(|t| format!("{seed}:{t}")));
        if !figures.differences.is_empty() {
            total
                .differences
                .extend(figures.differences.iter().cloned());
            failed.push((seed, figures.differences));
        }
    }
    println!(
        "{}",
        total.line(
            &format!("{} seeds × {REVISIONS} revisions", seeds.len()),
            started.elapsed()
        )
    );
    if let Some((seed, differences)) = failed.first() {
        let seeds: Vec<String> = failed.iter().map(|(s, _)| s.to_string()).collect();
        panic!(
            "the fold and PostgreSQL 15 differ on seeds {}; rerun one with MIGRATE_FOLD_SEED={seed}; seed {seed}, where each difference first shows:\n{}",
            seeds.join(", "),
            first_of_each(differences)
        );
    }
}

/// The generator is deterministic and its chains load: every revision
/// parses and names its parent.
#[test]
fn generated_chains_load_and_repeat() {
    let a = chains::generate(7, REVISIONS);
    let b = chains::generate(7, REVISIONS);
    assert_eq!(
        a.revisions
            .iter()
            .map(chains::file_text)
            .collect::<Vec<_>>(),
        b.revisions
            .iter()
            .map(chains::file_text)
            .collect::<Vec<_>>()
    );
    let temp = tempfile::tempdir().unwrap();
    let names = chains::write_chain(&a, temp.path()).unwrap();
    assert_eq!(names.len(), REVISIONS);
    let migrations = load(temp.path(), "seed 7");
    assert_eq!(migrations.revisions.len(), REVISIONS);
    assert_eq!(migrations.graph.heads().len(), 1);
}

/// Upgrades to `revision`; a Rust revision, whose code a migrator read at
/// run time cannot run (the example's is data only), is stamped instead,
/// as a `migrate` CLI user records it once the application ran it.
async fn up_to(
    migrator: &Migrator,
    pool: &sqlx::PgPool,
    revision: &migrate_core::Revision,
) -> Result<(), migrate_runtime::Error> {
    if revision.kind == RevisionKind::Rust {
        return migrator
            .stamp(pool, &[revision.id()], false)
            .await
            .map(drop);
    }
    migrator
        .upgrade(pool, Target::Revision(revision.id().into()))
        .await
        .map(drop)
}
