static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql-exact/pg-insert-into-select-without-table", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
