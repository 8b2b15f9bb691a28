static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/no-check-escape-hatch");

fn main() {
    let _ = &MIGRATOR;
}
