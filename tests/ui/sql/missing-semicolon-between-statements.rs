static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql/missing-semicolon-between-statements");

fn main() {
    let _ = &MIGRATOR;
}
