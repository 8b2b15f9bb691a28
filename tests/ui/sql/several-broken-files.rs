static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/sql/several-broken-files");

fn main() {
    let _ = &MIGRATOR;
}
