//! The valid fixtures of `tests/sql/sqlite-valid` compile through the macro itself,
//! with dialect `sqlite` and no `-- migrate:no-check`.
static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("sql/sqlite-valid", dialect = "sqlite");

fn main() {
    assert!(!MIGRATOR.revisions().is_empty());
}
