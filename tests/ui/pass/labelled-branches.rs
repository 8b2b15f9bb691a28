static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/labelled-branches");

fn main() {
    let _ = &MIGRATOR;
}
