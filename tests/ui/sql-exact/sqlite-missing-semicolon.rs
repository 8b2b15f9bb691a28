static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql-exact/sqlite-missing-semicolon", dialect = "sqlite");

fn main() {
    let _ = &MIGRATOR;
}
