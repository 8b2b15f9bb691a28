static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sections/downgrade-before-upgrade");

fn main() {
    let _ = &MIGRATOR;
}
