// The 300-file PostgreSQL history of tests/sql/history.rs, written by ui.rs
// before trybuild runs: every construct of the real-world SQL list, embedded
// with no escape hatch.
static MIGRATOR: migrate_runtime::Migrator =
    migrate_runtime::embed_migrations!("ui/generated/postgres-300", dialect = "postgres");

fn main() {
    assert_eq!(MIGRATOR.revisions().len(), 300);
}
