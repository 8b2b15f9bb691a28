static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/lint/index-concurrently-in-transaction", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
