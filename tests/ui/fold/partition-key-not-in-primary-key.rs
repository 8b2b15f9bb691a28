static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold/partition-key-not-in-primary-key", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
