static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!();

fn main() {
    let _ = &MIGRATOR;
}
