static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/depends-on");

fn main() {
    let _ = &MIGRATOR;
}
