static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold/overlapping-partition", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
