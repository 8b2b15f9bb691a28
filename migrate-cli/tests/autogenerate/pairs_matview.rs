//! Pairs A → B for indexes on materialized views (PostgreSQL), through the
//! same loop as [`crate::pairs`]: a unique index added to a view with rows
//! (what `REFRESH MATERIALIZED VIEW CONCURRENTLY` needs), an index dropped,
//! an index changed, and a view re-created by a change of its query that
//! keeps its index.

use crate::pairs::{Case, case, pg_pairs};
use crate::{Db, Project, TestDb};

pg_pairs! {
    add_unique_index_to_materialized_view => ADD_MATVIEW_INDEX;
    drop_materialized_view_index => DROP_MATVIEW_INDEX;
    change_materialized_view_index => CHANGE_MATVIEW_INDEX;
    recreated_materialized_view_keeps_its_index => RECREATE_MATVIEW;
    create_materialized_view_with_indexes => CREATE_MATVIEW;
}

const SALES: &str =
    "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
";

const SEED: &str = "INSERT INTO sales VALUES (1, 'north', 10), (2, 'north', 5), (3, 'south', 7);
REFRESH MATERIALIZED VIEW sales_by_region;";

/// The indexes of `sales_by_region`.
const INDEXES: &str = "SELECT count(*) FROM pg_indexes WHERE tablename = 'sales_by_region'";

const ADD_MATVIEW_INDEX: Case = Case {
    seed: SEED,
    after: &[
        ("SELECT count(*) FROM sales_by_region", 2),
        (
            "SELECT count(*) FROM pg_indexes WHERE indexname = 'sales_by_region_key' \
               AND indexdef LIKE 'CREATE UNIQUE INDEX%'",
            1,
        ),
    ],
    expect: &[
        "CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);",
        "DROP INDEX sales_by_region_key;",
    ],
    ..case(
        SALES,
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_key ON public.sales_by_region USING btree (region);",
    )
};

const DROP_MATVIEW_INDEX: Case = Case {
    seed: SEED,
    after: &[(INDEXES, 1), ("SELECT count(*) FROM sales_by_region", 2)],
    expect: &["DROP INDEX sales_by_region_total;"],
    ..case(
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);
CREATE INDEX sales_by_region_total ON sales_by_region (total DESC) WHERE total > 0;",
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);",
    )
};

const CHANGE_MATVIEW_INDEX: Case = Case {
    seed: SEED,
    after: &[(
        "SELECT count(*) FROM pg_indexes WHERE indexname = 'sales_by_region_total' \
           AND indexdef LIKE '%(lower(region), total)%'",
        1,
    )],
    expect: &[
        "DROP INDEX sales_by_region_total;",
        "CREATE INDEX sales_by_region_total ON sales_by_region ((lower(region)), total);",
    ],
    ..case(
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE INDEX sales_by_region_total ON sales_by_region (total);",
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE INDEX sales_by_region_total ON sales_by_region (lower(region), total);",
    )
};

const RECREATE_MATVIEW: Case = Case {
    seed: SEED,
    after: &[
        (INDEXES, 1),
        ("SELECT count(*) FROM sales_by_region WHERE n = 2", 1),
    ],
    expect: &[
        "DROP INDEX sales_by_region_key;",
        "DROP MATERIALIZED VIEW sales_by_region;",
        "CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);",
    ],
    ..case(
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);",
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region AS
    SELECT region, sum(amount) AS total, count(*) AS n FROM sales GROUP BY region;
CREATE UNIQUE INDEX sales_by_region_key ON sales_by_region (region);",
    )
};

const CREATE_MATVIEW: Case = Case {
    seed: "INSERT INTO sales VALUES (1, 'north', 10);",
    after: &[(INDEXES, 2)],
    expect: &[
        "CREATE MATERIALIZED VIEW sales_by_region",
        "CREATE UNIQUE INDEX \"Sales Key\" ON sales_by_region (region) INCLUDE (total);",
    ],
    ..case(
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);",
        "CREATE TABLE sales (id INTEGER PRIMARY KEY, region TEXT NOT NULL, amount NUMERIC NOT NULL);
CREATE MATERIALIZED VIEW sales_by_region (region, total) AS
    SELECT region, sum(amount) FROM sales GROUP BY region;
CREATE UNIQUE INDEX \"Sales Key\" ON sales_by_region (region) INCLUDE (total);
CREATE INDEX sales_by_region_big ON sales_by_region USING btree (total DESC NULLS LAST)
    WITH (fillfactor = 70) WHERE total > 100;",
    )
};

/// After the generated upgrade, the unique index is what
/// `REFRESH MATERIALIZED VIEW CONCURRENTLY` needs: the refresh that
/// PostgreSQL refuses before the upgrade runs after it and picks up new
/// rows. `check --offline` leaves the view and its index out on both
/// sides, as the fold does not model views.
#[tokio::test]
async fn refresh_concurrently_works_after_the_upgrade() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "");
    p.revision("a", SALES, None);
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    pool.exec(SEED).await;
    let refuse = match &pool {
        crate::Pool::Pg(pg) => {
            sqlx::raw_sql("REFRESH MATERIALIZED VIEW CONCURRENTLY sales_by_region")
                .execute(pg)
                .await
        }
        crate::Pool::Sqlite(_) => unreachable!("a PostgreSQL database"),
    };
    let e = refuse.expect_err("a concurrent refresh needs a unique index");
    assert!(
        e.to_string()
            .contains("cannot refresh materialized view \"public.sales_by_region\" concurrently"),
        "{e}"
    );

    p.write_schema(ADD_MATVIEW_INDEX.b);
    p.ok(&["revision", "--autogenerate", "-m", "key"]);
    let offline = p.ok(&["check", "--offline"]);
    assert!(
        offline
            .stdout
            .contains("No new upgrade operations detected."),
        "{}\n{}",
        offline.stdout,
        offline.stderr
    );
    p.ok(&["upgrade", "head"]);
    pool.exec("INSERT INTO sales VALUES (4, 'east', 1);").await;
    pool.exec("REFRESH MATERIALIZED VIEW CONCURRENTLY sales_by_region;")
        .await;
    assert_eq!(pool.int("SELECT count(*) FROM sales_by_region").await, 3);
    let check = p.ok(&["check"]);
    assert!(
        check.stdout.contains("No new upgrade operations detected."),
        "{}",
        check.stdout
    );
    pool.close().await;
}

/// `exclude` takes a materialized view's indexes with it.
#[tokio::test]
async fn an_excluded_materialized_view_keeps_its_indexes() {
    let database = TestDb::fresh(Db::Pg).await;
    let p = Project::new(Db::Pg, database.url(), "exclude = [\"legacy_*\"]\n");
    p.revision("a", SALES, None);
    p.write_schema(SALES);
    p.ok(&["upgrade", "head"]);
    let pool = database.pool().await;
    pool.exec(
        "CREATE MATERIALIZED VIEW legacy_totals AS SELECT region FROM sales;
         CREATE INDEX legacy_totals_region ON legacy_totals (region);",
    )
    .await;
    let out = p.ok(&["revision", "--autogenerate", "-m", "nothing"]);
    assert_eq!(out.stdout, "No changes in schema detected.\n");
    pool.close().await;
}
