//! One test per lint rule: it triggers at the statement's line, the
//! `-- migrate:allow(rule)` comment silences it, a table created in the same
//! revision is exempt from the lock and running-code rules, and the
//! `postgres_version` boundary where a rule has one.

use migrate_core::{Dialect, DialectCheck, Level, LintConfig, Rule};

/// The tables every case starts from, created by `r1`.
const BASE: &str = "CREATE TABLE orgs (id bigint PRIMARY KEY);\n\
CREATE TABLE users (id bigint PRIMARY KEY, org bigint, email text, name varchar(20), n numeric(10, 2), age int);";

/// The first line of an upgrade's statements (after the header, a blank
/// line or one extra header line, and `-- migrate:upgrade`).
const FIRST: u32 = 5;

/// A linear chain `r1`, `r2`, … of upgrades, each with extra header lines
/// (`-- transactional: false`), checked with `lint`: what is reported, as
/// `[rule]@rN:line`.
fn lint_chain(revisions: &[(&str, &str)], lint: &LintConfig) -> Vec<String> {
    lint_chain_in(revisions, lint, &[Dialect::Postgres])
}

/// [`lint_chain`] for a project of `dialects`.
fn lint_chain_in(
    revisions: &[(&str, &str)],
    lint: &LintConfig,
    dialects: &[Dialect],
) -> Vec<String> {
    let dir = tempfile::tempdir().unwrap();
    for (i, (header, up)) in revisions.iter().enumerate() {
        let parent = if i == 0 {
            "none".to_owned()
        } else {
            format!("r{i}")
        };
        let text = format!(
            "-- revision: r{}\n-- down_revision: {parent}\n{header}\n-- migrate:upgrade\n{up}\n",
            i + 1
        );
        std::fs::write(
            dir.path().join(format!("{:03}_r{}.sql", i + 1, i + 1)),
            text,
        )
        .unwrap();
    }
    let dialects = DialectCheck::All(dialects.to_vec());
    let migrations = migrate_core::load_directory(dir.path(), "migrations", &dialects)
        .unwrap_or_else(|e| panic!("{e}"));
    super::super::check(&migrations, &dialects, lint)
        .into_iter()
        .map(|r| {
            let rule = r
                .text
                .split(" [")
                .nth(1)
                .unwrap()
                .split(']')
                .next()
                .unwrap();
            let revision = r
                .text
                .split("(revision ")
                .nth(1)
                .unwrap()
                .split(',')
                .next()
                .unwrap();
            let line = r.text.split(':').nth(1).unwrap();
            format!("[{rule}]@{revision}:{line} {}", r.text)
        })
        .collect()
}

/// Every rule at `level` (to see the ones off by default too).
fn all_at(level: Level) -> LintConfig {
    let mut lint = LintConfig::default();
    for rule in Rule::ALL {
        if lint.level(rule) == Level::Off {
            lint.set_level(rule, level);
        }
    }
    lint
}

fn has(found: &[String], rule: Rule, revision: &str, line: u32) -> bool {
    let prefix = format!("[{rule}]@{revision}:{line} ");
    found.iter().any(|f| f.starts_with(&prefix))
}

fn none_of(found: &[String], rule: Rule) -> bool {
    let tag = format!("[{rule}]@");
    !found.iter().any(|f| f.starts_with(&tag))
}

/// `sql` in `r2` on the tables of `r1` triggers `rule` at its first line;
/// allowed, it does not; in `r1` itself, after the tables are created, it
/// does not (when `exempt`).
fn case(rule: Rule, header: &str, sql: &str, exempt: bool) {
    let lint = all_at(Level::Warning);
    let found = lint_chain(&[("", BASE), (header, sql)], &lint);
    assert!(
        has(&found, rule, "r2", FIRST),
        "{rule} on {sql}: {found:#?}"
    );
    let allowed = format!("-- migrate:allow({rule})\n{sql}");
    let found = lint_chain(&[("", BASE), (header, &allowed)], &lint);
    let tag = format!("[{rule}]@r2:");
    assert!(
        !found.iter().any(|f| f.starts_with(&tag)),
        "{rule} allowed: {found:#?}"
    );
    if exempt {
        let same = format!("{BASE}\n{sql}");
        let found = lint_chain(&[(header, &same)], &lint);
        assert!(none_of(&found, rule), "{rule} on new tables: {found:#?}");
    }
}

/// `sql` in `r2` does not trigger `rule` with `lint`.
fn quiet(rule: Rule, header: &str, sql: &str, lint: &LintConfig) {
    let found = lint_chain(&[("", BASE), (header, sql)], lint);
    assert!(none_of(&found, rule), "{rule} on {sql}: {found:#?}");
}

const NOT_TRANSACTIONAL: &str = "-- transactional: false";

fn version(v: u32) -> LintConfig {
    let mut lint = LintConfig::default();
    lint.set_postgres_version(v);
    lint
}

#[test]
fn non_transactional_statements_in_a_transactional_revision_are_errors() {
    for sql in [
        "CREATE INDEX CONCURRENTLY users_email ON users (email);",
        "DROP INDEX CONCURRENTLY IF EXISTS users_email;",
        "REINDEX TABLE CONCURRENTLY users;",
        "VACUUM users;",
        "ALTER SYSTEM SET work_mem = '64MB';",
        "CREATE DATABASE other;",
        "ALTER TABLE users DETACH PARTITION users_old CONCURRENTLY;",
    ] {
        case(Rule::NonTransactional, "", sql, false);
        quiet(
            Rule::NonTransactional,
            NOT_TRANSACTIONAL,
            sql,
            &LintConfig::default(),
        );
    }
    let found = lint_chain(
        &[
            ("", BASE),
            ("", "CREATE INDEX CONCURRENTLY e ON users (email);"),
        ],
        &LintConfig::default(),
    );
    assert!(found[0].contains("CREATE INDEX CONCURRENTLY cannot run inside a transaction block"));
    assert!(found[0].contains("`-- transactional: false`"), "{found:#?}");
    assert_eq!(Rule::NonTransactional.default_level(), Level::Error);
}

#[test]
fn enum_add_value_is_non_transactional_before_postgres_12() {
    let chain = [
        ("", "CREATE TYPE mood AS ENUM ('ok');"),
        ("", "ALTER TYPE mood ADD VALUE 'sad';"),
    ];
    let found = lint_chain(&chain, &version(11));
    assert!(
        has(&found, Rule::NonTransactional, "r2", FIRST),
        "{found:#?}"
    );
    let found = lint_chain(&chain, &version(12));
    assert!(none_of(&found, Rule::NonTransactional), "{found:#?}");
}

#[test]
fn transaction_control_is_an_error() {
    case(Rule::TransactionControl, "", "COMMIT;", false);
    case(Rule::TransactionControl, "", "BEGIN;", false);
    quiet(
        Rule::TransactionControl,
        "",
        "SAVEPOINT a;",
        &LintConfig::default(),
    );
}

#[test]
fn index_without_concurrently_on_an_existing_table() {
    case(
        Rule::IndexNotConcurrent,
        "",
        "CREATE INDEX users_email ON users (email);",
        true,
    );
}

#[test]
fn foreign_key_or_check_without_not_valid() {
    case(
        Rule::ConstraintNotValid,
        "",
        "ALTER TABLE users ADD CONSTRAINT users_org_fkey FOREIGN KEY (org) REFERENCES orgs (id);",
        true,
    );
    case(
        Rule::ConstraintNotValid,
        "",
        "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0);",
        true,
    );
    let lint = LintConfig::default();
    let add = "ALTER TABLE users ADD CONSTRAINT users_org_fkey FOREIGN KEY (org) REFERENCES orgs (id) NOT VALID;";
    let validate = "ALTER TABLE users VALIDATE CONSTRAINT users_org_fkey;";
    // NOT VALID, then VALIDATE in a later revision: clean.
    let found = lint_chain(&[("", BASE), ("", add), ("", validate)], &lint);
    assert!(none_of(&found, Rule::ConstraintNotValid), "{found:#?}");
    // In the same transaction the scan runs under the lock ADD took.
    let both = format!("{add}\n{validate}");
    let found = lint_chain(&[("", BASE), ("", &both)], &lint);
    assert!(
        has(&found, Rule::ConstraintNotValid, "r2", FIRST + 1),
        "{found:#?}"
    );
    assert!(
        !has(&found, Rule::ConstraintNotValid, "r2", FIRST),
        "{found:#?}"
    );
    assert!(
        found[0].contains("runs in the transaction that added it NOT VALID"),
        "{found:#?}"
    );
    // Without a transaction each statement commits on its own: clean.
    quiet(Rule::ConstraintNotValid, NOT_TRANSACTIONAL, &both, &lint);
    let found = lint_chain(
        &[
            ("", BASE),
            (
                "",
                "ALTER TABLE users ADD FOREIGN KEY (org) REFERENCES orgs (id);",
            ),
        ],
        &lint,
    );
    assert!(
        found[0].contains("add it NOT VALID, then VALIDATE CONSTRAINT"),
        "{found:#?}"
    );
    assert!(
        found[0].starts_with("[constraint-not-valid]@r2:5 "),
        "{found:#?}"
    );
}

#[test]
fn keys_and_references_added_with_a_column() {
    case(
        Rule::ConstraintNotValid,
        "",
        "ALTER TABLE users ADD COLUMN boss bigint REFERENCES users (id);",
        true,
    );
    case(
        Rule::KeyWithoutIndex,
        "",
        "ALTER TABLE users ADD COLUMN handle text UNIQUE;",
        true,
    );
}

#[test]
fn set_not_null_follows_a_validated_check_across_statements_and_revisions() {
    case(
        Rule::SetNotNull,
        "",
        "ALTER TABLE users ALTER COLUMN name SET NOT NULL;",
        true,
    );
    let lint = LintConfig::default();
    // A key column is NOT NULL already: nothing to scan.
    quiet(
        Rule::SetNotNull,
        "",
        "ALTER TABLE users ALTER COLUMN id SET NOT NULL;",
        &version(11),
    );
    let add = "ALTER TABLE users ADD CONSTRAINT name_nn CHECK (name IS NOT NULL) NOT VALID;";
    let validate = "ALTER TABLE users VALIDATE CONSTRAINT name_nn;";
    let set = "ALTER TABLE users ALTER COLUMN name SET NOT NULL;";
    quiet(
        Rule::SetNotNull,
        NOT_TRANSACTIONAL,
        &format!("{add}\n{validate}\n{set}"),
        &lint,
    );
    // In one transaction SET NOT NULL is spared its scan, but the
    // validation scans under ADD's lock: that one is reported.
    let found = lint_chain(
        &[("", BASE), ("", &format!("{add}\n{validate}\n{set}"))],
        &lint,
    );
    assert!(none_of(&found, Rule::SetNotNull), "{found:#?}");
    assert!(
        has(&found, Rule::ConstraintNotValid, "r2", FIRST + 1),
        "{found:#?}"
    );
    // Not validated: the check proves nothing.
    let found = lint_chain(&[("", BASE), ("", &format!("{add}\n{set}"))], &lint);
    assert!(has(&found, Rule::SetNotNull, "r2", FIRST + 1), "{found:#?}");
    // Across revisions: added, validated, then set.
    let found = lint_chain(&[("", BASE), ("", add), ("", validate), ("", set)], &lint);
    assert!(none_of(&found, Rule::SetNotNull), "{found:#?}");
    let found = lint_chain(&[("", BASE), ("", add), ("", set)], &lint);
    assert!(has(&found, Rule::SetNotNull, "r3", FIRST), "{found:#?}");
    // Before PostgreSQL 12 the check does not spare the scan.
    let found = lint_chain(
        &[("", BASE), ("", &format!("{add}\n{validate}\n{set}"))],
        &version(11),
    );
    assert!(has(&found, Rule::SetNotNull, "r2", FIRST + 2), "{found:#?}");
}

#[test]
fn volatile_defaults_rewrite_and_constant_ones_do_not_from_postgres_11() {
    case(
        Rule::VolatileDefault,
        "",
        "ALTER TABLE users ADD COLUMN token uuid DEFAULT gen_random_uuid();",
        true,
    );
    case(
        Rule::VolatileDefault,
        "",
        "ALTER TABLE users ADD COLUMN seq bigserial;",
        true,
    );
    let lint = LintConfig::default();
    quiet(
        Rule::VolatileDefault,
        "",
        "ALTER TABLE users ADD COLUMN flag boolean NOT NULL DEFAULT false;",
        &lint,
    );
    quiet(
        Rule::VolatileDefault,
        "",
        "ALTER TABLE users ADD COLUMN created timestamptz DEFAULT now();",
        &lint,
    );
    let found = lint_chain(
        &[
            ("", BASE),
            (
                "",
                "ALTER TABLE users ADD COLUMN flag boolean DEFAULT false;",
            ),
        ],
        &version(10),
    );
    assert!(
        has(&found, Rule::VolatileDefault, "r2", FIRST),
        "{found:#?}"
    );
}

#[test]
fn type_changes_that_rewrite_and_the_cheap_ones() {
    case(
        Rule::RewriteType,
        "",
        "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
        true,
    );
    case(
        Rule::RewriteType,
        "",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(40) USING trim(name);",
        true,
    );
    let lint = LintConfig::default();
    for cheap in [
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(40);",
        "ALTER TABLE users ALTER COLUMN name TYPE text;",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar;",
        "ALTER TABLE users ALTER COLUMN n TYPE numeric(12, 2);",
        "ALTER TABLE users ALTER COLUMN n TYPE numeric;",
        "ALTER TABLE users ALTER COLUMN age TYPE integer;",
    ] {
        quiet(Rule::RewriteType, "", cheap, &lint);
        quiet(Rule::NarrowingType, "", cheap, &lint);
    }
}

#[test]
fn narrowing_a_type() {
    case(
        Rule::NarrowingType,
        "",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(10);",
        true,
    );
    case(
        Rule::NarrowingType,
        "",
        "ALTER TABLE users ALTER COLUMN n TYPE numeric(8, 2);",
        true,
    );
    quiet(
        Rule::RewriteType,
        "",
        "ALTER TABLE users ALTER COLUMN name TYPE varchar(10);",
        &LintConfig::default(),
    );
}

#[test]
fn primary_key_or_unique_without_using_index() {
    case(
        Rule::KeyWithoutIndex,
        "",
        "ALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE (email);",
        true,
    );
    quiet(
        Rule::KeyWithoutIndex,
        NOT_TRANSACTIONAL,
        "CREATE UNIQUE INDEX CONCURRENTLY users_email_idx ON users (email);\nALTER TABLE users ADD CONSTRAINT users_email_key UNIQUE USING INDEX users_email_idx;",
        &LintConfig::default(),
    );
}

#[test]
fn vacuum_full_and_cluster() {
    case(
        Rule::FullRewrite,
        NOT_TRANSACTIONAL,
        "VACUUM FULL users;",
        true,
    );
    case(
        Rule::FullRewrite,
        "",
        "CLUSTER users USING users_pkey;",
        true,
    );
    quiet(
        Rule::FullRewrite,
        NOT_TRANSACTIONAL,
        "VACUUM ANALYZE users;",
        &LintConfig::default(),
    );
}

/// `users.st` of enum `status` ('a', 'b', 'c'), made by `r1`.
const ENUM_BASE: &str = "CREATE TABLE users (id bigint PRIMARY KEY, st text);\n\
CREATE TYPE status AS ENUM ('a', 'b', 'c');\n\
ALTER TABLE users ALTER COLUMN st TYPE status USING st::status;";

#[test]
fn an_enum_created_again_with_fewer_values() {
    let lint = LintConfig::default();
    // Renamed away, created again without 'c', the column converted.
    let renamed = "ALTER TYPE status RENAME TO status_old;\n\
CREATE TYPE status AS ENUM ('a', 'b');\n\
ALTER TABLE users ALTER COLUMN st TYPE status USING st::text::status;\n\
DROP TYPE status_old;";
    let found = lint_chain(&[("", ENUM_BASE), ("", renamed)], &lint);
    assert!(
        has(&found, Rule::EnumValueRemoved, "r2", FIRST + 2),
        "{found:#?}"
    );
    assert!(found.iter().any(|f| f.contains("'c'")), "{found:#?}");
    assert!(none_of(&found, Rule::RewriteType), "{found:#?}");
    // Through text: dropped, created again, converted back.
    let dropped = "ALTER TABLE users ALTER COLUMN st TYPE text;\n\
DROP TYPE status CASCADE;\n\
CREATE TYPE status AS ENUM ('a', 'c');\n\
ALTER TABLE users ALTER COLUMN st TYPE status USING st::status;";
    let found = lint_chain(&[("", ENUM_BASE), ("", dropped)], &lint);
    assert!(
        has(&found, Rule::EnumValueRemoved, "r2", FIRST + 3),
        "{found:#?}"
    );
    assert!(found.iter().any(|f| f.contains("'b'")), "{found:#?}");
    // A new type under another name, the column converted from the old one.
    let other = "CREATE TYPE status2 AS ENUM ('b', 'c');\n\
ALTER TABLE users ALTER COLUMN st TYPE status2 USING st::text::status2;";
    let found = lint_chain(&[("", ENUM_BASE), ("", other)], &lint);
    assert!(
        has(&found, Rule::EnumValueRemoved, "r2", FIRST + 1),
        "{found:#?}"
    );
    // Allowed by the comment.
    let allowed = renamed.replace(
        "ALTER TABLE users ALTER",
        "-- migrate:allow(enum-value-removed)\nALTER TABLE users ALTER",
    );
    let found = lint_chain(&[("", ENUM_BASE), ("", &allowed)], &lint);
    assert!(none_of(&found, Rule::EnumValueRemoved), "{found:#?}");
    // Every value kept (one added): nothing to fail on.
    let kept = renamed.replace("('a', 'b')", "('a', 'b', 'c', 'd')");
    let found = lint_chain(&[("", ENUM_BASE), ("", &kept)], &lint);
    assert!(none_of(&found, Rule::EnumValueRemoved), "{found:#?}");
    // A table created in the same revision holds no rows.
    let same = format!("{ENUM_BASE}\n{renamed}");
    let found = lint_chain(&[("", &same)], &lint);
    assert!(none_of(&found, Rule::EnumValueRemoved), "{found:#?}");
}

#[test]
fn alters_sqlite_does_not_have_where_the_dialects_include_sqlite() {
    assert_eq!(Rule::SqliteAlter.default_level(), Level::Error);
    let both = [Dialect::Postgres, Dialect::Sqlite];
    let lint = LintConfig::default();
    // SQLite's own check refuses these first (`near "ALTER": syntax
    // error`, `Cannot add a UNIQUE column`); behind `migrate:no-check`, or
    // without the `sqlite-exact` feature, the lint still names them.
    for sql in [
        "ALTER TABLE users ALTER COLUMN age TYPE bigint;",
        "ALTER TABLE users ALTER COLUMN email SET NOT NULL;",
        "ALTER TABLE users ALTER COLUMN age SET DEFAULT 0;",
        "ALTER TABLE users ADD CONSTRAINT age_positive CHECK (age > 0) NOT VALID;",
        "ALTER TABLE users DROP CONSTRAINT users_pkey;",
        "ALTER TABLE users ADD COLUMN code text UNIQUE;",
        "ALTER TABLE users ADD COLUMN k bigint PRIMARY KEY;",
    ] {
        let unchecked = format!("-- migrate:no-check\n{sql}");
        let found = lint_chain_in(&[("", BASE), ("", &unchecked)], &lint, &both);
        assert!(
            has(&found, Rule::SqliteAlter, "r2", FIRST + 1),
            "{sql}: {found:#?}"
        );
        let allowed = format!("-- migrate:no-check\n-- migrate:allow(sqlite-alter)\n{sql}");
        let found = lint_chain_in(&[("", BASE), ("", &allowed)], &lint, &both);
        assert!(none_of(&found, Rule::SqliteAlter), "{sql}: {found:#?}");
        // A PostgreSQL-only project may use them.
        let found = lint_chain(&[("", BASE), ("", sql)], &lint);
        assert!(none_of(&found, Rule::SqliteAlter), "{sql}: {found:#?}");
    }
    // What SQLite's ALTER TABLE has is quiet.
    for sql in [
        "ALTER TABLE users ADD COLUMN bio text;",
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
        "ALTER TABLE users DROP COLUMN age;",
        "ALTER TABLE users RENAME TO people;",
    ] {
        let found = lint_chain_in(&[("", BASE), ("", sql)], &lint, &both);
        assert!(none_of(&found, Rule::SqliteAlter), "{sql}: {found:#?}");
    }
}

#[test]
fn lock_timeout_is_off_by_default_and_once_per_revision() {
    assert_eq!(Rule::LockTimeout.default_level(), Level::Off);
    let sql = "ALTER TABLE users ADD COLUMN x int;\nALTER TABLE users ADD COLUMN y int;";
    case(Rule::LockTimeout, "", sql, true);
    let lint = all_at(Level::Warning);
    let found = lint_chain(&[("", BASE), ("", sql)], &lint);
    assert_eq!(
        found
            .iter()
            .filter(|f| f.starts_with("[lock-timeout]"))
            .count(),
        1,
        "{found:#?}"
    );
    quiet(
        Rule::LockTimeout,
        "",
        &format!("SET lock_timeout = '2s';\n{sql}"),
        &lint,
    );
    // The runtime sets a header's (or migrate.toml's) lock_timeout first.
    quiet(Rule::LockTimeout, "-- lock_timeout: 2s", sql, &lint);
    let mut defaulted = lint.clone();
    defaulted.set_default_lock_timeout(true);
    quiet(Rule::LockTimeout, "", sql, &defaulted);
    let off = lint_chain(&[("", BASE), ("-- lock_timeout: none", sql)], &defaulted);
    assert!(
        off.iter().any(|f| f.starts_with("[lock-timeout]")),
        "a header that turns the default off is linted: {off:#?}"
    );
}

#[test]
fn running_code_rules() {
    case(
        Rule::DropColumn,
        "",
        "ALTER TABLE users DROP COLUMN name;",
        true,
    );
    case(Rule::DropTable, "", "DROP TABLE orgs;", true);
    case(
        Rule::Rename,
        "",
        "ALTER TABLE users RENAME COLUMN name TO full_name;",
        true,
    );
    case(
        Rule::Rename,
        "",
        "ALTER TABLE users RENAME TO people;",
        true,
    );
    case(
        Rule::AddNotNullColumn,
        "",
        "ALTER TABLE users ADD COLUMN tier int NOT NULL;",
        true,
    );
    quiet(
        Rule::AddNotNullColumn,
        "",
        "ALTER TABLE users ADD COLUMN tier int NOT NULL DEFAULT 0;",
        &LintConfig::default(),
    );
}

#[test]
fn hygiene_rules_are_off_by_default() {
    let long = "a".repeat(64);
    for (rule, sql) in [
        (
            Rule::IdentifierLength,
            format!("CREATE TABLE {long} (id bigint);"),
        ),
        (
            Rule::PreferBigintIdentity,
            "CREATE TABLE t2 (id serial PRIMARY KEY);".to_owned(),
        ),
        (
            Rule::PreferBigintIdentity,
            "CREATE TABLE t2 (id int PRIMARY KEY);".to_owned(),
        ),
        (
            Rule::PreferTimestamptzText,
            "CREATE TABLE t3 (at timestamp);".to_owned(),
        ),
        (
            Rule::PreferTimestamptzText,
            "CREATE TABLE t3 (code varchar(3));".to_owned(),
        ),
    ] {
        assert_eq!(rule.default_level(), Level::Off);
        case(rule, "", &sql, false);
        quiet(rule, "", &sql, &LintConfig::default());
    }
    quiet(
        Rule::PreferBigintIdentity,
        "",
        "CREATE TABLE t2 (id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY, at timestamptz, s text);",
        &all_at(Level::Warning),
    );
}

#[test]
fn new_tables_and_data_are_quiet_at_the_default_levels() {
    let found = lint_chain(
        &[
            ("", BASE),
            (
                "",
                "CREATE TABLE posts (id bigint PRIMARY KEY, user_id bigint REFERENCES users (id), title text NOT NULL);\n\
CREATE INDEX posts_user ON posts (user_id);\n\
ALTER TABLE posts ADD COLUMN body text NOT NULL;\n\
INSERT INTO users (id, email) VALUES (1, 'a@example.com');\n\
ALTER TABLE users ADD COLUMN bio text;",
            ),
        ],
        &LintConfig::default(),
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn exclusion_constraint_on_an_existing_table() {
    case(
        Rule::KeyWithoutIndex,
        "",
        "ALTER TABLE users ADD CONSTRAINT users_age_excl EXCLUDE USING btree (age WITH =);",
        true,
    );
}

/// A partitioned table with a default partition, and a table with rows to
/// attach, made by `r1`.
const PARTITIONED: &str = "CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_default PARTITION OF events DEFAULT;\n\
CREATE TABLE events_2025 (id bigint, at date NOT NULL);";

/// What `r2` reports on [`PARTITIONED`] plus `more` in `r1`.
fn on_partitions(more: &str, up: &str) -> Vec<String> {
    let base = format!("{PARTITIONED}\n{more}");
    lint_chain(&[("", &base), ("", up)], &LintConfig::default())
}

const ATTACH: &str = "ALTER TABLE events ATTACH PARTITION events_2025 FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');";

/// Proves the default partition holds no row of 2025 to 2027.
const DEFAULT_EXCLUDES: &str = "ALTER TABLE events_default ADD CONSTRAINT events_default_range CHECK (at < '2025-01-01' OR at >= '2028-01-01');";

#[test]
fn attaching_an_existing_table_scans_it_and_the_default_partition() {
    let found = on_partitions("", ATTACH);
    let scans: Vec<&String> = found
        .iter()
        .filter(|f| f.starts_with("[partition-scan]@r2:5 "))
        .collect();
    assert_eq!(scans.len(), 2, "{found:#?}");
    assert!(
        scans[0].contains("checks every row of table events_2025 against the partition bound under an ACCESS EXCLUSIVE lock"),
        "{found:#?}"
    );
    assert!(
        scans[1].contains("checks every row of its default partition events_default"),
        "{found:#?}"
    );
    // Allowed, nothing.
    let found = on_partitions("", &format!("-- migrate:allow(partition-scan)\n{ATTACH}"));
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
}

#[test]
fn a_validated_check_on_the_key_proves_the_bound() {
    let proof = "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (at >= '2025-01-01' AND at < '2026-01-01');";
    let found = on_partitions(&format!("{proof}\n{DEFAULT_EXCLUDES}"), ATTACH);
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
    // Proved by the second revision's VALIDATE.
    let not_valid = "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (at >= '2025-01-01' AND at < '2026-01-01') NOT VALID;";
    let found = lint_chain(
        &[
            (
                "",
                &format!("{PARTITIONED}\n{not_valid}\n{DEFAULT_EXCLUDES}"),
            ),
            (
                "",
                "ALTER TABLE events_2025 VALIDATE CONSTRAINT events_2025_at;",
            ),
            ("", ATTACH),
        ],
        &LintConfig::default(),
    );
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
    // Not proved: not validated, not on the key, or only NOT NULL.
    for weak in [
        not_valid,
        "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_id CHECK (id > 0);",
        "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (at IS NOT NULL);",
    ] {
        let found = on_partitions(&format!("{weak}\n{DEFAULT_EXCLUDES}"), ATTACH);
        assert!(
            has(&found, Rule::PartitionScan, "r2", FIRST),
            "{weak}: {found:#?}"
        );
        assert!(
            !found.iter().any(|f| f.contains("default partition")),
            "{found:#?}"
        );
    }
}

#[test]
fn a_new_partition_beside_an_existing_default_partition() {
    let create = "CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');";
    let found = on_partitions("", create);
    assert!(has(&found, Rule::PartitionScan, "r2", FIRST), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|f| f.contains("CREATE TABLE events_2027 PARTITION OF events checks every row of its default partition events_default")),
        "{found:#?}"
    );
    let found = on_partitions(DEFAULT_EXCLUDES, create);
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
    // A table made in the revision and attached: nothing to scan but the
    // default partition.
    let like = "CREATE TABLE events_2026 (LIKE events INCLUDING ALL);\nALTER TABLE events ATTACH PARTITION events_2026 FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    let found = on_partitions(DEFAULT_EXCLUDES, like);
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
    // The default partition itself, or everything new: nothing.
    let found = lint_chain(
        &[("", &format!("{PARTITIONED}\n{create}\n{ATTACH}"))],
        &LintConfig::default(),
    );
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
    let base = "CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);\nCREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');";
    let found = lint_chain(&[("", base), ("", create)], &LintConfig::default());
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
}

#[test]
fn a_partition_of_an_existing_table_locks_it() {
    let mut lint = LintConfig::default();
    lint.set_level(Rule::LockTimeout, Level::Warning);
    let create = "CREATE TABLE events_2027 PARTITION OF events FOR VALUES FROM ('2027-01-01') TO ('2028-01-01');";
    let found = lint_chain(&[("", PARTITIONED), ("", create)], &lint);
    assert!(has(&found, Rule::LockTimeout, "r2", FIRST), "{found:#?}");
    assert!(
        found
            .iter()
            .any(|f| f.contains("locks table events with no lock_timeout")),
        "{found:#?}"
    );
}

#[test]
fn the_partition_key_follows_a_column_rename() {
    // The key is `at`, renamed `happened_at`: a check on the new name
    // proves the bound.
    let found = lint_chain(
        &[
            ("", PARTITIONED),
            (
                "",
                "ALTER TABLE events RENAME COLUMN at TO happened_at;\nALTER TABLE events_2025 RENAME COLUMN at TO happened_at;\nALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (happened_at >= '2025-01-01' AND happened_at < '2026-01-01');\nALTER TABLE events_default ADD CONSTRAINT events_default_range CHECK (happened_at < '2025-01-01');",
            ),
            ("", ATTACH),
        ],
        &LintConfig::default(),
    );
    assert!(none_of(&found, Rule::PartitionScan), "{found:#?}");
}

#[test]
fn attaching_a_table_builds_the_indexes_it_lacks() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);\n\
CREATE INDEX events_kind ON events (kind);\n\
CREATE TABLE events_2025 (id bigint NOT NULL, at date NOT NULL, kind text);\n\
ALTER TABLE events_2025 ADD CONSTRAINT events_2025_at CHECK (at >= '2025-01-01' AND at < '2026-01-01');";
    let lint = LintConfig::default();
    let found = lint_chain(&[("", base), ("", ATTACH)], &lint);
    assert!(
        has(&found, Rule::IndexNotConcurrent, "r2", FIRST),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|f| f.contains("ATTACH PARTITION events_2025 to events builds on table events_2025 an index for each of events_pkey, events_kind of events")),
        "{found:#?}"
    );
    // With the equivalents made first, nothing is built.
    let ready = format!(
        "{base}\nALTER TABLE events_2025 ADD PRIMARY KEY (id, at);\nCREATE INDEX events_2025_by_kind ON events_2025 (kind);"
    );
    let found = lint_chain(&[("", &ready), ("", ATTACH)], &lint);
    assert!(none_of(&found, Rule::IndexNotConcurrent), "{found:#?}");
    // Only the key is missing.
    let half = format!("{base}\nCREATE INDEX events_2025_by_kind ON events_2025 (kind);");
    let found = lint_chain(&[("", &half), ("", ATTACH)], &lint);
    assert!(
        found
            .iter()
            .any(|f| f.contains("an index for each of events_pkey of events,")),
        "{found:#?}"
    );
    // A table made in the revision is empty: nothing to report.
    let found = lint_chain(&[("", &format!("{base}\n{ATTACH}"))], &lint);
    assert!(none_of(&found, Rule::IndexNotConcurrent), "{found:#?}");
}

#[test]
fn indexes_on_a_partitioned_table() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
CREATE INDEX events_id ON events (id);";
    let lint = LintConfig::default();
    // Built on every partition, and CONCURRENTLY is no way out.
    let found = lint_chain(
        &[
            ("", base),
            ("", "CREATE INDEX events_kind ON events (kind);"),
        ],
        &lint,
    );
    assert!(
        has(&found, Rule::IndexNotConcurrent, "r2", FIRST),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("builds it on each of its partitions") && f.contains("ON ONLY")),
        "{found:#?}"
    );
    for sql in [
        "CREATE INDEX CONCURRENTLY events_kind ON events (kind);",
        "DROP INDEX CONCURRENTLY events_id;",
    ] {
        let found = lint_chain(&[("", base), (NOT_TRANSACTIONAL, sql)], &lint);
        assert!(
            has(&found, Rule::PartitionedUnsupported, "r2", 5),
            "{sql}: {found:#?}"
        );
        // In a transaction, the transaction is what fails first.
        let found = lint_chain(&[("", base), ("", sql)], &lint);
        assert!(
            has(&found, Rule::NonTransactional, "r2", FIRST),
            "{sql}: {found:#?}"
        );
        assert!(
            none_of(&found, Rule::PartitionedUnsupported),
            "{sql}: {found:#?}"
        );
    }
    // The way around: ON ONLY, CONCURRENTLY on each partition, ATTACH.
    let found = lint_chain(
        &[
            ("", base),
            ("", "CREATE INDEX events_kind ON ONLY events (kind);"),
            (
                NOT_TRANSACTIONAL,
                "CREATE INDEX CONCURRENTLY events_2025_kind ON events_2025 (kind);",
            ),
            (
                "",
                "ALTER INDEX events_kind ATTACH PARTITION events_2025_kind;",
            ),
        ],
        &lint,
    );
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn foreign_keys_on_a_partitioned_table() {
    let base = "CREATE TABLE devices (id bigint PRIMARY KEY);\n\
CREATE TABLE events (id bigint NOT NULL, device_id bigint, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
CREATE TABLE events_2026 PARTITION OF events FOR VALUES FROM ('2026-01-01') TO ('2027-01-01');";
    let lint = LintConfig::default();
    let fk = "ALTER TABLE events ADD CONSTRAINT events_device_fk FOREIGN KEY (device_id) REFERENCES devices (id);";
    let found = lint_chain(
        &[("", base), ("", &fk.replace(");", ") NOT VALID;"))],
        &lint,
    );
    assert!(
        has(&found, Rule::PartitionedUnsupported, "r2", FIRST),
        "{found:#?}"
    );
    // In the revision that made the table, too.
    let found = lint_chain(
        &[("", &format!("{base}\n{}", fk.replace(");", ") NOT VALID;")))],
        &lint,
    );
    assert!(
        has(&found, Rule::PartitionedUnsupported, "r1", FIRST + 4),
        "{found:#?}"
    );
    let found = lint_chain(&[("", base), ("", fk)], &lint);
    assert!(
        has(&found, Rule::ConstraintNotValid, "r2", FIRST),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("checks every row of events_2025, events_2026 under")),
        "{found:#?}"
    );
    // The recipe: NOT VALID on each partition, validated, then the parent.
    let on = |p: &str| {
        format!(
            "ALTER TABLE {p} ADD CONSTRAINT events_device_fk FOREIGN KEY (device_id) REFERENCES devices (id) NOT VALID;"
        )
    };
    let found = lint_chain(
        &[
            ("", base),
            ("", &format!("{}\n{}", on("events_2025"), on("events_2026"))),
            (
                "",
                "ALTER TABLE events_2025 VALIDATE CONSTRAINT events_device_fk;\nALTER TABLE events_2026 VALIDATE CONSTRAINT events_device_fk;",
            ),
            ("", fk),
        ],
        &lint,
    );
    assert!(found.is_empty(), "{found:#?}");
    // One partition left to check.
    let found = lint_chain(
        &[
            ("", base),
            ("", &on("events_2025")),
            (
                "",
                "ALTER TABLE events_2025 VALIDATE CONSTRAINT events_device_fk;",
            ),
            ("", fk),
        ],
        &lint,
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("checks every row of events_2026 under")),
        "{found:#?}"
    );
}

#[test]
fn a_partition_key_column_is_neither_dropped_nor_retyped() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL, kind text) PARTITION BY RANGE (at);";
    let lint = LintConfig::default();
    for sql in [
        "ALTER TABLE events DROP COLUMN at;",
        "ALTER TABLE events ALTER COLUMN at TYPE timestamptz;",
    ] {
        let found = lint_chain(&[("", base), ("", sql)], &lint);
        assert!(
            has(&found, Rule::PartitionedUnsupported, "r2", FIRST),
            "{sql}: {found:#?}"
        );
        // In the revision that made the table, too.
        let found = lint_chain(&[("", &format!("{base}\n{sql}"))], &lint);
        assert!(
            has(&found, Rule::PartitionedUnsupported, "r1", FIRST + 1),
            "{sql}: {found:#?}"
        );
    }
    for sql in [
        "ALTER TABLE events DROP COLUMN kind;",
        "ALTER TABLE events RENAME COLUMN at TO happened_at;",
    ] {
        let found = lint_chain(&[("", base), ("", sql)], &lint);
        assert!(
            none_of(&found, Rule::PartitionedUnsupported),
            "{sql}: {found:#?}"
        );
    }
}

#[test]
fn detaching_concurrently_beside_a_default_partition() {
    let detach = "ALTER TABLE events DETACH PARTITION events_2025 CONCURRENTLY;";
    let with_default = "CREATE TABLE events (id bigint, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');\n\
CREATE TABLE events_default PARTITION OF events DEFAULT;";
    let lint = LintConfig::default();
    let found = lint_chain(&[("", with_default), (NOT_TRANSACTIONAL, detach)], &lint);
    assert!(
        has(&found, Rule::PartitionedUnsupported, "r2", FIRST),
        "{found:#?}"
    );
    assert!(
        found.iter().any(|f| f.contains("(events_default)")),
        "{found:#?}"
    );
    let without = with_default.replace(
        "\nCREATE TABLE events_default PARTITION OF events DEFAULT;",
        "",
    );
    let found = lint_chain(&[("", &without), (NOT_TRANSACTIONAL, detach)], &lint);
    assert!(found.is_empty(), "{found:#?}");
}

#[test]
fn a_unique_key_on_a_partitioned_table_must_hold_the_partition_key() {
    let lint = LintConfig::default();
    let refused = [
        "CREATE TABLE events (id bigserial PRIMARY KEY, at timestamptz NOT NULL) PARTITION BY RANGE (at);",
        "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, email text, UNIQUE (email)) PARTITION BY RANGE (at);",
    ];
    for sql in refused {
        let found = lint_chain(&[("", sql)], &lint);
        assert!(
            has(&found, Rule::PartitionedUnsupported, "r1", FIRST),
            "{sql}: {found:#?}"
        );
        assert!(
            found
                .iter()
                .any(|f| f.contains("lacks column at of its partition key")),
            "{found:#?}"
        );
    }
    let base = "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, email text) PARTITION BY RANGE (at);";
    for sql in [
        "ALTER TABLE events ADD PRIMARY KEY (id);",
        "ALTER TABLE events ADD COLUMN code text UNIQUE;",
        "CREATE UNIQUE INDEX events_email ON events (email);",
        "CREATE UNIQUE INDEX events_email ON ONLY events (email);",
    ] {
        let found = lint_chain(&[("", base), ("", sql)], &lint);
        assert!(
            has(&found, Rule::PartitionedUnsupported, "r2", FIRST),
            "{sql}: {found:#?}"
        );
    }
    for sql in [
        "ALTER TABLE events ADD PRIMARY KEY (id, at);",
        "CREATE UNIQUE INDEX events_email ON events (email, at);",
        "CREATE INDEX events_email ON events (email);",
    ] {
        let found = lint_chain(&[("", base), ("", sql)], &lint);
        assert!(
            none_of(&found, Rule::PartitionedUnsupported),
            "{sql}: {found:#?}"
        );
    }
    let ok = "CREATE TABLE events (id bigint NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (id, at)) PARTITION BY RANGE (at);";
    assert!(lint_chain(&[("", ok)], &lint).is_empty());
}

#[test]
fn a_key_on_an_existing_partitioned_table() {
    let base = "CREATE TABLE events (id bigint NOT NULL, at date NOT NULL) PARTITION BY RANGE (at);\n\
CREATE TABLE events_2025 PARTITION OF events FOR VALUES FROM ('2025-01-01') TO ('2026-01-01');";
    let lint = LintConfig::default();
    let found = lint_chain(
        &[
            ("", base),
            ("", "ALTER TABLE events ADD PRIMARY KEY (id, at);"),
        ],
        &lint,
    );
    assert!(
        has(&found, Rule::KeyWithoutIndex, "r2", FIRST),
        "{found:#?}"
    );
    assert!(
        found
            .iter()
            .any(|f| f.contains("on every partition") && f.contains("ALTER TABLE ONLY")),
        "{found:#?}"
    );
    // The recipe: ONLY, each partition's built concurrently, attached.
    let found = lint_chain(
        &[
            ("", base),
            (
                "",
                "ALTER TABLE ONLY events ADD CONSTRAINT events_pkey PRIMARY KEY (id, at);",
            ),
            (
                NOT_TRANSACTIONAL,
                "CREATE UNIQUE INDEX CONCURRENTLY events_2025_pkey_idx ON events_2025 (id, at);",
            ),
            (
                "",
                "ALTER TABLE events_2025 ADD CONSTRAINT events_2025_pkey PRIMARY KEY USING INDEX events_2025_pkey_idx;\nALTER INDEX events_pkey ATTACH PARTITION events_2025_pkey;",
            ),
        ],
        &lint,
    );
    assert!(found.is_empty(), "{found:#?}");
}
