static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql/bad-sql-in-downgrade");

fn main() {
    let _ = &MIGRATOR;
}
