//! The valid fixtures of `tests/sql/postgres-valid` compile through the macro itself,
//! with dialect `postgres` and no `-- migrate:no-check`.
static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("sql/postgres-valid", dialect = "postgres");

fn main() {
    assert!(!MIGRATOR.revisions().is_empty());
}
