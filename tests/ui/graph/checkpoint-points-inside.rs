static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/checkpoint-points-inside");

fn main() {
    let _ = &MIGRATOR;
}
