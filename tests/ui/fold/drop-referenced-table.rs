static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/fold/drop-referenced-table", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
