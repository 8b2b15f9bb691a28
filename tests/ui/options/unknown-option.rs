static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/options/unknown-option", dialects = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
