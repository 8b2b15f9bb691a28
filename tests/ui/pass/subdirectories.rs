// Revisions in subdirectories, at any depth, are part of the directory; a
// hidden subdirectory is not read.
static MIGRATOR: migrate_runtime::Migrator = migrate_runtime::embed_migrations!("ui/pass/subdirectories");

fn main() {
    let paths: Vec<&str> = MIGRATOR.revisions().iter().map(|r| r.path()).collect();
    assert_eq!(
        paths,
        [
            "ui/pass/subdirectories/2025/2025_09_30_1636-955bb0742a21_create_products_table.sql",
            "ui/pass/subdirectories/2025/2025_10_01_0910-3c4d5e6f7a8b_add_description_and_quantity.sql",
            "ui/pass/subdirectories/2026/q1/2025_10_04_1000-d9e8f7a6b5c4_index_product_name.sql",
        ]
    );
    assert_eq!(MIGRATOR.heads().unwrap(), ["d9e8f7a6b5c4"]);
}
