static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/definitions/table-in-definitions");

fn main() {
    let _ = &MIGRATOR;
}
