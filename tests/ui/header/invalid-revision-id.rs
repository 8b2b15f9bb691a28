static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/invalid-revision-id");

fn main() {
    let _ = &MIGRATOR;
}
