static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql/misspelled-keyword");

fn main() {
    let _ = &MIGRATOR;
}
