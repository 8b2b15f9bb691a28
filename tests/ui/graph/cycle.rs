static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/cycle");

fn main() {
    let _ = &MIGRATOR;
}
