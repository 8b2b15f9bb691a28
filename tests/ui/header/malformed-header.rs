static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/malformed-header");

fn main() {
    let _ = &MIGRATOR;
}
