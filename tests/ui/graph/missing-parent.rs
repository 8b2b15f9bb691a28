static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/missing-parent");

fn main() {
    let _ = &MIGRATOR;
}
