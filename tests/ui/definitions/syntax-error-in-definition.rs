static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/definitions/syntax-error-in-definition");

fn main() {
    let _ = &MIGRATOR;
}
