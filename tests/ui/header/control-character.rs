static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/control-character");

fn main() {
    let _ = &MIGRATOR;
}
