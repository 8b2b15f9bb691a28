fn main() {
    migrate_runtime::build::watch("../migrations");
}
