static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sections/unknown-marker");

fn main() {
    let _ = &MIGRATOR;
}
