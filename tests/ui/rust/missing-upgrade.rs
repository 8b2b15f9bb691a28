static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/rust/missing-upgrade");

fn main() {
    let _ = &MIGRATOR;
}
