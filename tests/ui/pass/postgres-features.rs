static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/postgres-features", dialect = "postgres");

fn main() {
    let _ = &MIGRATOR;
}
