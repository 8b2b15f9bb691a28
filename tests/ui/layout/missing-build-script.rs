static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/layout/missing-build-script", require_build_script = true);

fn main() {
    let _ = &MIGRATOR;
}
