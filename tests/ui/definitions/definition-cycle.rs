static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/definitions/definition-cycle");

fn main() {
    let _ = &MIGRATOR;
}
