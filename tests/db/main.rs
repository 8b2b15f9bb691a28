//! Integration tests of the runtime against a real SQLite file and a real
//! PostgreSQL server (started by `scripts/pg.sh` when needed).

mod behaviour;
mod common;
mod definitions;
mod deploy;
mod embedded;
mod enum_values;
mod process;

/// Generates one `#[tokio::test]` per scenario and database.
macro_rules! scenarios {
    ($module:ident, $db:ty: $($name:ident),* $(,)?) => {
        scenarios!($module, behaviour, $db: $($name),*);
    };
    ($module:ident, $source:ident, $db:ty: $($name:ident),* $(,)?) => {
        mod $module {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    let db = <$db>::new().await;
                    crate::$source::$name(&db).await;
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

/// Deploy safety (docs/guide.md: checksums, lock timeouts and retries,
/// downgrades an older binary can run, resuming).
mod deploy_sqlite {
    scenarios!(run, deploy, crate::common::Sqlite: comment_and_layout_edits_are_not_drift_and_accepted_edits_are_recorded, v1_histories_keep_verifying_and_starting_without_the_lock, a_build_without_a_revision_reverts_it_from_the_history, reverting_from_the_history_refuses_what_it_cannot_undo, an_older_history_table_gains_the_downgrade_columns, an_interrupted_revision_resumes_at_its_next_statement);
}
mod deploy_postgres {
    scenarios!(run, deploy, crate::common::Pg: comment_and_layout_edits_are_not_drift_and_accepted_edits_are_recorded, v1_histories_keep_verifying_and_starting_without_the_lock, lock_timeout_retries_until_the_holder_commits, lock_timeout_gives_up_naming_the_holder, lock_timeout_default_and_non_transactional_revisions, a_build_without_a_revision_reverts_it_from_the_history, reverting_from_the_history_refuses_what_it_cannot_undo, an_older_history_table_gains_the_downgrade_columns, an_interrupted_revision_resumes_at_its_next_statement, resume_after_a_kill_at_each_statement);
}

both!(
    upgrade_head_applies_every_revision_and_records_history,
    upgrade_at_head_does_nothing,
    downgrade_one_step_then_to_base,
    relative_partial_and_exact_targets,
    upgrade_stops_at_failed_revision,
    long_plans_cross_pieces_of_the_script,
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

/// Repeatable definitions (docs/guide.md, "Repeatable definitions").
mod definitions_sqlite {
    scenarios!(run, definitions, crate::common::Sqlite: definitions_apply_after_the_revisions_in_dependency_order, a_changed_definition_is_applied_again_and_only_it, a_failing_definition_leaves_the_revisions_and_the_history_true, a_downgrade_drops_the_definitions_that_depend_on_what_it_drops, an_upgrade_short_of_head_leaves_the_definitions, a_database_migrated_before_definitions_gains_them, the_embedded_migrator_applies_its_definitions);
}
mod definitions_postgres {
    scenarios!(run, definitions, crate::common::Pg: definitions_apply_after_the_revisions_in_dependency_order, a_changed_definition_is_applied_again_and_only_it, a_failing_definition_leaves_the_revisions_and_the_history_true, a_downgrade_drops_the_definitions_that_depend_on_what_it_drops, an_upgrade_short_of_head_leaves_the_definitions, a_database_migrated_before_definitions_gains_them, the_embedded_migrator_applies_its_definitions);
}

scenarios!(postgres_only, crate::common::Pg: dropped_run_releases_lock_and_keeps_history_true);

scenarios!(
    sqlite_only,
    crate::common::Sqlite: rebuild_of_referenced_table_keeps_child_rows,
    dangling_reference_fails_its_revision
);
