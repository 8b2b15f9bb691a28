static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/duplicate-header-key");

fn main() {
    let _ = &MIGRATOR;
}
