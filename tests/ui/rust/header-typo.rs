static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/rust/header-typo");

fn main() {
    let _ = &MIGRATOR;
}
