static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/header/bad-transactional-value");

fn main() {
    let _ = &MIGRATOR;
}
