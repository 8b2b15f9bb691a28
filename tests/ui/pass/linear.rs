static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/linear");

fn main() {
    let _ = &MIGRATOR;
}
