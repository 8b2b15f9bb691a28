static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/layout/missing-directory");

fn main() {
    let _ = &MIGRATOR;
}
