static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/two-heads");

fn main() {
    let _ = &MIGRATOR;
}
