//! Integration tests of the runtime against a real SQLite file and a real
//! PostgreSQL server (started by `scripts/pg.sh` when needed).

mod behaviour;
mod common;
mod embedded;
mod enum_values;
mod process;

/// Generates one `#[tokio::test]` per scenario and database.
macro_rules! scenarios {
    ($module:ident, $db:ty: $($name:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = <$db>::new().await;
                    crate::behaviour::$name(&db).await;
                }
            )*
        }
    };
}

macro_rules! both {
    ($($name:ident),* $(,)?) => {
        scenarios!(sqlite, crate::common::Sqlite: $($name),*);
        scenarios!(postgres, crate::common::Pg: $($name),*);
    };
}

both!(
    upgrade_head_applies_every_revision_and_records_history,
    upgrade_at_head_does_nothing,
    downgrade_one_step_then_to_base,
    relative_partial_and_exact_targets,
    upgrade_stops_at_failed_revision,
    upgrade_stops_at_failed_revision_per_revision_commits,
    failing_downgrade_keeps_revision_applied,
    edited_applied_revision_is_refused,
    unknown_applied_revision_is_refused,
    start_up_at_head_still_sees_edits_and_tampering,
    downgrade_through_irreversible_revision_is_refused,
    branches_merge_and_depends_on,
    labelled_branches_upgrade_independently,
    stamp_records_without_running_sql,
    stamp_removes_many_rows_at_once,
    non_transactional_revision_runs_statement_by_statement,
    interrupted_non_transactional_revision_is_visible_and_not_retried,
    interrupted_non_transactional_downgrade_counts_its_own_statements,
    concurrent_migrators_apply_each_revision_once,
    lock_wait_is_bounded_and_says_so,
);

scenarios!(postgres_only, crate::common::Pg: dropped_run_releases_lock_and_keeps_history_true);

scenarios!(
    sqlite_only,
    crate::common::Sqlite: rebuild_of_referenced_table_keeps_child_rows,
    dangling_reference_fails_its_revision
);
