static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sections/empty-downgrade");

fn main() {
    let _ = &MIGRATOR;
}
