static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/rust/type-error");

fn main() {
    let _ = &MIGRATOR;
}
