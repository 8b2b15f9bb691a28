static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold/duplicate-column", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
