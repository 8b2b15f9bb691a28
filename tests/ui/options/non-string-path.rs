static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!(migrations);

fn main() {
    let _ = &MIGRATOR;
}
