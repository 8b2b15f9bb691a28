static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/header-after-section");

fn main() {
    let _ = &MIGRATOR;
}
