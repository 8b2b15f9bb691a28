static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/sql-before-marker");

fn main() {
    let _ = &MIGRATOR;
}
