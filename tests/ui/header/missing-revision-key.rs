static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/missing-revision-key");

fn main() {
    let _ = &MIGRATOR;
}
