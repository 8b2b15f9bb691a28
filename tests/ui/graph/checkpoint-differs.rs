static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/checkpoint-differs");

fn main() {
    let _ = &MIGRATOR;
}
