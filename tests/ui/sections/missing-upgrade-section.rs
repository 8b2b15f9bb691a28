static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sections/missing-upgrade-section");

fn main() {
    let _ = &MIGRATOR;
}
