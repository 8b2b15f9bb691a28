static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/irreversible");

fn main() {
    let _ = &MIGRATOR;
}
