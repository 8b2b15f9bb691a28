static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/crlf-and-bom");

fn main() {
    let _ = &MIGRATOR;
}
