//! `migrate lint --format json` on the three real-looking histories of
//! `tests/lint/histories/` (a blog, a SaaS with tenants and an audit log, a
//! shop with enums and money columns): the findings per revision at the
//! default levels, the figures docs/lint.md sets beside squawk's.

use std::path::Path;
use std::process::Command;

/// A history and, per revision (the file name's slug, in order), the rules
/// reported at the default levels.
type Expected = (
    &'static str,
    &'static [(&'static str, &'static [&'static str])],
);

const HISTORIES: &[Expected] = &[
    (
        "blog",
        &[
            ("create_users", &[]),
            ("create_posts", &[]),
            ("create_comments", &[]),
            ("create_tags", &[]),
            ("add_user_bio", &[]),
            ("index_posts_created_at", &["index-not-concurrent"]),
            ("add_post_slug", &[]),
            ("post_slug_not_null", &["set-not-null"]),
            ("unique_post_slug", &[]),
            ("add_comment_edited_at", &[]),
            ("rename_username_to_handle", &["rename"]),
            ("create_votes", &[]),
            ("add_post_view_count", &[]),
            ("limit_comment_length", &["constraint-not-valid"]),
            ("view_count_bigint", &["rewrite-type"]),
            ("drop_user_bio", &["drop-column"]),
            ("create_notifications", &[]),
            ("backfill_post_published_at", &[]),
        ],
    ),
    (
        "saas",
        &[
            ("create_tenants", &[]),
            ("create_accounts", &[]),
            ("create_audit_log", &[]),
            ("create_projects", &[]),
            ("audit_log_tenant_fkey", &["constraint-not-valid"]),
            ("index_audit_log_actor", &["index-not-concurrent"]),
            ("add_account_api_token", &["volatile-default"]),
            ("create_api_keys", &[]),
            ("add_project_settings", &[]),
            ("add_account_role", &[]),
            ("check_account_role", &[]),
            ("validate_account_role", &[]),
            ("add_tenant_plan", &[]),
            ("check_tenant_plan", &[]),
            ("tenant_plan_not_null", &[]),
            ("index_projects_tenant", &[]),
            ("rename_projects_to_workspaces", &["rename"]),
            ("limit_audit_action", &["narrowing-type"]),
            ("create_webhooks", &[]),
            ("drop_api_keys", &["drop-table"]),
            ("add_account_last_login", &[]),
        ],
    ),
    (
        "shop",
        &[
            ("create_customers", &[]),
            ("create_products", &[]),
            ("create_orders", &[]),
            ("create_order_items", &[]),
            ("order_status_on_hold", &[]),
            ("widen_product_price", &[]),
            ("index_orders_status", &["index-not-concurrent"]),
            ("add_order_currency", &[]),
            ("create_coupons", &[]),
            ("add_order_coupon", &["constraint-not-valid"]),
            ("add_customer_phone", &[]),
            ("check_stock_nonnegative", &[]),
            ("validate_stock_nonnegative", &[]),
            ("drop_status_refunded", &["enum-value-removed"]),
            ("order_item_quantity_bigint", &["rewrite-type"]),
            ("add_customer_loyalty_points", &["add-not-null-column"]),
            ("add_order_public_id", &["volatile-default"]),
            ("create_shipments", &[]),
            ("order_public_id_not_null", &["set-not-null"]),
            ("drop_customer_phone", &["drop-column"]),
        ],
    ),
];

/// The string value of each `"key":"…"` in `json`, in order.
fn values<'a>(json: &'a str, key: &str) -> Vec<&'a str> {
    let tag = format!("\"{key}\":\"");
    json.match_indices(&tag)
        .map(|(i, _)| {
            let rest = &json[i + tag.len()..];
            &rest[..rest.find('"').unwrap_or(rest.len())]
        })
        .collect()
}

/// The revision files of `dir`, in order, as their slugs
/// (`2025_03_06_0900-1ec90a044570_index_posts_created_at.sql` →
/// `index_posts_created_at`).
fn slugs(dir: &Path) -> Vec<(String, String)> {
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|f| f.ends_with(".sql"))
        .collect();
    files.sort();
    files
        .into_iter()
        .map(|f| {
            let slug = f
                .split_once('-')
                .and_then(|(_, rest)| rest.get(13..))
                .and_then(|s| s.strip_suffix(".sql"))
                .unwrap_or_default()
                .to_owned();
            (f, slug)
        })
        .collect()
}

#[test]
fn findings_per_revision_at_the_default_levels() {
    let root = migrate_tests::workspace_root().join("tests/lint/histories");
    for (history, expected) in HISTORIES {
        let dir = root.join(history);
        let files = slugs(&dir.join("migrations"));
        assert!(
            (15..=30).contains(&files.len()),
            "{history}: {} revisions",
            files.len()
        );
        let out = Command::new(env!("CARGO_BIN_EXE_migrate"))
            .args(["lint", "--format", "json"])
            .current_dir(&dir)
            .env_remove("DATABASE_URL")
            .env_remove("MIGRATE_LOG")
            .output()
            .expect("run the migrate binary");
        let stdout = String::from_utf8_lossy(&out.stdout);
        // Warnings alone: exit 0.
        assert_eq!(
            out.status.code(),
            Some(0),
            "{history}: {stdout}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let rules = values(&stdout, "rule");
        let paths = values(&stdout, "path");
        assert_eq!(rules.len(), paths.len(), "{history}: {stdout}");
        assert!(
            values(&stdout, "level").iter().all(|l| *l == "warning"),
            "{history}: {stdout}"
        );
        let names: Vec<&str> = files.iter().map(|(_, s)| s.as_str()).collect();
        let wanted: Vec<&str> = expected.iter().map(|(s, _)| *s).collect();
        assert_eq!(names, wanted, "{history}: the revisions");
        for ((file, slug), (_, want)) in files.iter().zip(expected.iter()) {
            let found: Vec<&str> = rules
                .iter()
                .zip(&paths)
                .filter(|(_, p)| p.ends_with(file.as_str()))
                .map(|(r, _)| *r)
                .collect();
            assert_eq!(&found, want, "{history}: revision {slug}");
        }
        let total: usize = expected.iter().map(|(_, w)| w.len()).sum();
        assert_eq!(rules.len(), total, "{history}: {stdout}");
    }
}
