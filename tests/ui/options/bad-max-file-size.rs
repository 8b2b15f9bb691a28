static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/options/bad-max-file-size", max_file_size = "16 MB");

fn main() {
    let _ = &MIGRATOR;
}
