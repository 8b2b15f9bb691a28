static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/dialect-option", dialect = "sqlite");

fn main() {
    let _ = &MIGRATOR;
}
