static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/graph/unknown-depends-on");

fn main() {
    let _ = &MIGRATOR;
}
