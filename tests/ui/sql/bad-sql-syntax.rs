static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql/bad-sql-syntax");

fn main() {
    let _ = &MIGRATOR;
}
