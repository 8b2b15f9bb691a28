//! The rules the build checks a chain against beyond each statement's
//! grammar (what the schema fold finds), their levels, and the settings in
//! `migrate.toml`'s `[lint]` table that change them.
//!
//! Each rule has a stable name, used in `[lint]`, in `[lint.since]` and in
//! the `-- migrate:allow(rule)` comment that allows it for one statement.

use std::collections::BTreeMap;
use std::fmt;

/// A check on what the chain does to the database.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A reference to a table, column, index, constraint or type that does
    /// not exist at that point of the chain.
    Missing,
    /// Creating what already exists, without `IF NOT EXISTS`.
    Exists,
    /// Dropping what other objects still depend on, without `CASCADE`.
    DropDependency,
    /// A downgrade that does not restore the schema its upgrade started from.
    DowngradeMismatch,
    /// A statement PostgreSQL refuses inside a transaction block, in a
    /// revision that runs in one.
    NonTransactional,
    /// BEGIN, COMMIT or ROLLBACK inside a revision.
    TransactionControl,
    /// What PostgreSQL does not support on a partitioned table: a primary
    /// key or unique constraint without the partition key's columns, CREATE
    /// or DROP INDEX CONCURRENTLY, a NOT VALID foreign key, dropping or
    /// retyping a column of the partition key, DETACH PARTITION
    /// CONCURRENTLY beside a default partition.
    PartitionedUnsupported,
    /// An index built without CONCURRENTLY on a table that existed before
    /// the revision.
    IndexNotConcurrent,
    /// A foreign key or check added to an existing table without NOT VALID.
    ConstraintNotValid,
    /// SET NOT NULL on an existing table without a validated
    /// `CHECK (column IS NOT NULL)`.
    SetNotNull,
    /// ADD COLUMN whose default must be computed per row.
    VolatileDefault,
    /// A column type change that rewrites the table.
    RewriteType,
    /// ADD PRIMARY KEY or UNIQUE without USING INDEX on an existing table.
    KeyWithoutIndex,
    /// VACUUM FULL or CLUSTER.
    FullRewrite,
    /// An existing table's column converted to an enum type re-created
    /// with fewer values.
    EnumValueRemoved,
    /// DDL on an existing table with no `SET lock_timeout` before it.
    LockTimeout,
    /// DROP COLUMN on an existing table.
    DropColumn,
    /// DROP TABLE of an existing table.
    DropTable,
    /// RENAME of an existing table or column.
    Rename,
    /// ADD COLUMN … NOT NULL without a default on an existing table.
    AddNotNullColumn,
    /// A column type change to a narrower type.
    NarrowingType,
    /// ATTACH PARTITION of an existing table, or a new partition beside an
    /// existing default partition, with no validated check to prove the
    /// bound: the table is scanned under an ACCESS EXCLUSIVE lock.
    PartitionScan,
    /// A name longer than PostgreSQL's 63 bytes.
    IdentifierLength,
    /// `serial` or a 32-bit integer key instead of a bigint identity.
    PreferBigintIdentity,
    /// `timestamp` without time zone, or a length-limited `varchar`/`char`.
    PreferTimestamptzText,
    /// An ALTER TABLE form SQLite does not have, in a project whose
    /// dialects include SQLite.
    SqliteAlter,
}

impl Rule {
    /// Every rule, in the order messages list them.
    pub const ALL: [Rule; 26] = [
        Rule::Missing,
        Rule::Exists,
        Rule::DropDependency,
        Rule::DowngradeMismatch,
        Rule::NonTransactional,
        Rule::TransactionControl,
        Rule::PartitionedUnsupported,
        Rule::IndexNotConcurrent,
        Rule::ConstraintNotValid,
        Rule::SetNotNull,
        Rule::VolatileDefault,
        Rule::RewriteType,
        Rule::KeyWithoutIndex,
        Rule::FullRewrite,
        Rule::EnumValueRemoved,
        Rule::LockTimeout,
        Rule::DropColumn,
        Rule::DropTable,
        Rule::Rename,
        Rule::AddNotNullColumn,
        Rule::NarrowingType,
        Rule::PartitionScan,
        Rule::IdentifierLength,
        Rule::PreferBigintIdentity,
        Rule::PreferTimestamptzText,
        Rule::SqliteAlter,
    ];

    /// The rule's stable name.
    ///
    /// ```
    /// use migrate_core::Rule;
    /// assert_eq!(Rule::DropDependency.name(), "drop-dependency");
    /// assert_eq!(Rule::from_name("drop-dependency"), Some(Rule::DropDependency));
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Rule::Missing => "missing",
            Rule::Exists => "exists",
            Rule::DropDependency => "drop-dependency",
            Rule::DowngradeMismatch => "downgrade-mismatch",
            Rule::NonTransactional => "non-transactional",
            Rule::TransactionControl => "transaction-control",
            Rule::PartitionedUnsupported => "partitioned-unsupported",
            Rule::IndexNotConcurrent => "index-not-concurrent",
            Rule::ConstraintNotValid => "constraint-not-valid",
            Rule::SetNotNull => "set-not-null",
            Rule::VolatileDefault => "volatile-default",
            Rule::RewriteType => "rewrite-type",
            Rule::KeyWithoutIndex => "key-without-index",
            Rule::FullRewrite => "full-rewrite",
            Rule::EnumValueRemoved => "enum-value-removed",
            Rule::LockTimeout => "lock-timeout",
            Rule::DropColumn => "drop-column",
            Rule::DropTable => "drop-table",
            Rule::Rename => "rename",
            Rule::AddNotNullColumn => "add-not-null-column",
            Rule::NarrowingType => "narrowing-type",
            Rule::PartitionScan => "partition-scan",
            Rule::IdentifierLength => "identifier-length",
            Rule::PreferBigintIdentity => "prefer-bigint-identity",
            Rule::PreferTimestamptzText => "prefer-timestamptz-text",
            Rule::SqliteAlter => "sqlite-alter",
        }
    }

    /// What the rule reports, in one line.
    pub fn description(self) -> &'static str {
        match self {
            Rule::Missing => "a reference to what does not exist at that point of the chain",
            Rule::Exists => "creating what already exists, without IF NOT EXISTS",
            Rule::DropDependency => "dropping what other objects still depend on, without CASCADE",
            Rule::DowngradeMismatch => {
                "a downgrade that does not restore the schema its upgrade started from"
            }
            Rule::NonTransactional => {
                "a statement PostgreSQL refuses inside a transaction block, in a transactional revision"
            }
            Rule::TransactionControl => "BEGIN, COMMIT or ROLLBACK inside a revision",
            Rule::PartitionedUnsupported => {
                "what PostgreSQL refuses on a partitioned table: a unique key without the partition key's columns, CREATE or DROP INDEX CONCURRENTLY, a NOT VALID foreign key, a key column dropped or retyped, a concurrent detach beside a default partition"
            }
            Rule::IndexNotConcurrent => {
                "an index built without CONCURRENTLY on an existing table blocks its writes"
            }
            Rule::ConstraintNotValid => {
                "a foreign key or check added without NOT VALID scans the table under a lock"
            }
            Rule::SetNotNull => {
                "SET NOT NULL scans the table under an exclusive lock unless a validated check proves it"
            }
            Rule::VolatileDefault => {
                "ADD COLUMN with a default computed per row rewrites the table under an exclusive lock"
            }
            Rule::RewriteType => {
                "a column type change that rewrites the table under an exclusive lock"
            }
            Rule::KeyWithoutIndex => {
                "ADD PRIMARY KEY or UNIQUE builds its index under an exclusive lock"
            }
            Rule::FullRewrite => {
                "VACUUM FULL and CLUSTER rewrite the table under an exclusive lock"
            }
            Rule::EnumValueRemoved => {
                "a column converted to an enum re-created without some of its values"
            }
            Rule::LockTimeout => {
                "DDL on an existing table with no lock_timeout queues every query behind it"
            }
            Rule::DropColumn => "DROP COLUMN breaks the code still running that reads the column",
            Rule::DropTable => "DROP TABLE breaks the code still running that reads the table",
            Rule::Rename => "renaming a table or column breaks the code still running",
            Rule::AddNotNullColumn => {
                "ADD COLUMN … NOT NULL without a default fails on a table that has rows"
            }
            Rule::NarrowingType => {
                "a narrower column type fails on longer values and breaks code writing them"
            }
            Rule::PartitionScan => {
                "adding a partition scans an existing table under an exclusive lock unless a validated check proves the bound"
            }
            Rule::IdentifierLength => "a name over 63 bytes, which PostgreSQL truncates",
            Rule::PreferBigintIdentity => {
                "serial or a 32-bit integer key instead of a bigint identity"
            }
            Rule::PreferTimestamptzText => {
                "timestamp without time zone, or a length-limited varchar or char"
            }
            Rule::SqliteAlter => {
                "an ALTER TABLE form SQLite does not have, where the project runs on SQLite"
            }
        }
    }

    /// How to fix what the rule reports, in one line.
    pub fn fix(self) -> &'static str {
        match self {
            Rule::Missing => "create it first, or fix the name",
            Rule::Exists => "drop it first, fix the name, or add IF NOT EXISTS",
            Rule::DropDependency => "drop the dependents first, or add CASCADE",
            Rule::DowngradeMismatch => "make the downgrade undo every change of the upgrade",
            Rule::NonTransactional => {
                "put the statement in a revision of its own with `-- transactional: false` in its header"
            }
            Rule::TransactionControl => {
                "remove it: the revision runs in a transaction, or with `-- transactional: false` in none"
            }
            Rule::PartitionedUnsupported => {
                "do it partition by partition: an index ON ONLY the partitioned table, CONCURRENTLY on each partition, then ALTER INDEX … ATTACH PARTITION each; a foreign key NOT VALID on each partition, VALIDATE them, then on the partitioned table; drop a partitioned index without CONCURRENTLY"
            }
            Rule::IndexNotConcurrent => {
                "use CREATE INDEX CONCURRENTLY in a revision with `-- transactional: false`"
            }
            Rule::ConstraintNotValid => {
                "add it NOT VALID, then VALIDATE CONSTRAINT in a later revision"
            }
            Rule::SetNotNull => {
                "add CHECK (column IS NOT NULL) NOT VALID, VALIDATE CONSTRAINT it in a later revision, then SET NOT NULL"
            }
            Rule::VolatileDefault => {
                "add the column without a default, set the default, and fill existing rows in batches"
            }
            Rule::RewriteType => {
                "add a column of the new type, fill it in batches, and switch over"
            }
            Rule::KeyWithoutIndex => {
                "CREATE UNIQUE INDEX CONCURRENTLY first, then ADD … USING INDEX"
            }
            Rule::FullRewrite => "use plain VACUUM, or a tool that rebuilds the table online",
            Rule::EnumValueRemoved => {
                "move the rows off the removed values first (UPDATE in batches), or keep the values in the type and stop writing them"
            }
            Rule::LockTimeout => {
                "add `-- lock_timeout: 2s` (and `-- lock_retries: 5`) to the revision's header, or start it with SET lock_timeout = '…'"
            }
            Rule::DropColumn => {
                "stop reading the column in a release first, then drop it in a later one"
            }
            Rule::DropTable => {
                "stop using the table in a release first, then drop it in a later one"
            }
            Rule::Rename => {
                "add the new name beside the old one, move the code, then drop the old one"
            }
            Rule::AddNotNullColumn => {
                "give the column a DEFAULT, or add it nullable and fill it first"
            }
            Rule::NarrowingType => {
                "check the values fit and that no code writes longer ones, then allow the statement"
            }
            Rule::PartitionScan => {
                "add a CHECK matching the bound NOT VALID and VALIDATE CONSTRAINT it in an earlier revision: PostgreSQL then skips the scan"
            }
            Rule::IdentifierLength => "use a name of at most 63 bytes",
            Rule::PreferBigintIdentity => "use bigint GENERATED ALWAYS AS IDENTITY",
            Rule::PreferTimestamptzText => {
                "use timestamptz, and text (with a CHECK on length if needed)"
            }
            Rule::SqliteAlter => {
                "on SQLite, create the new table, copy the rows, drop the old one and rename (https://www.sqlite.org/lang_altertable.html#otheralter); or drop sqlite from `dialects`"
            }
        }
    }

    /// The rule named `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The level a rule has unless `[lint]` says otherwise: what fails on the
    /// server is an error; what runs but locks, rewrites or breaks the code
    /// still running (and a downgrade that restores less than it should)
    /// warns; advice is off.
    pub fn default_level(self) -> Level {
        match self {
            Rule::Missing
            | Rule::Exists
            | Rule::DropDependency
            | Rule::NonTransactional
            | Rule::TransactionControl
            | Rule::PartitionedUnsupported
            | Rule::SqliteAlter => Level::Error,
            Rule::DowngradeMismatch
            | Rule::IndexNotConcurrent
            | Rule::ConstraintNotValid
            | Rule::SetNotNull
            | Rule::VolatileDefault
            | Rule::RewriteType
            | Rule::KeyWithoutIndex
            | Rule::FullRewrite
            | Rule::EnumValueRemoved
            | Rule::DropColumn
            | Rule::DropTable
            | Rule::Rename
            | Rule::AddNotNullColumn
            | Rule::NarrowingType
            | Rule::PartitionScan => Level::Warning,
            Rule::LockTimeout
            | Rule::IdentifierLength
            | Rule::PreferBigintIdentity
            | Rule::PreferTimestamptzText => Level::Off,
        }
    }

    /// The rule's bit in a [`RuleSet`].
    fn bit(self) -> u64 {
        1 << (self as u32)
    }

    /// `missing, exists, …`: every name, for messages.
    pub fn names() -> String {
        Rule::ALL.map(Rule::name).join(", ")
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of rules, as a statement's `-- migrate:allow(…)` comment gives it.
/// `Copy`, so that a statement stays `Copy`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct RuleSet(u64);

impl RuleSet {
    /// No rule.
    pub const EMPTY: RuleSet = RuleSet(0);

    /// Whether `rule` is in the set.
    pub fn contains(self, rule: Rule) -> bool {
        self.0 & rule.bit() != 0
    }

    /// Adds `rule`.
    pub fn insert(&mut self, rule: Rule) {
        self.0 |= rule.bit();
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The union of two sets.
    pub fn union(self, other: RuleSet) -> RuleSet {
        RuleSet(self.0 | other.0)
    }
}

/// How a finding of a rule is reported.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Level {
    /// The build fails.
    Error,
    /// The build goes on and the compiler prints a warning.
    Warning,
    /// Not reported.
    Off,
}

impl Level {
    /// Reads `error`, `warning` (or `warn`) and `off`.
    pub fn from_name(name: &str) -> Option<Level> {
        match name {
            "error" => Some(Level::Error),
            "warning" | "warn" => Some(Level::Warning),
            "off" => Some(Level::Off),
            _ => None,
        }
    }

    /// The level's name.
    pub fn name(self) -> &'static str {
        match self {
            Level::Error => "error",
            Level::Warning => "warning",
            Level::Off => "off",
        }
    }
}

/// `[lint]` in `migrate.toml`: a level per rule, and per rule the revision
/// from which it applies (that revision and its descendants), so that a rule
/// can be adopted without failing on an old history.
///
/// ```toml
/// [lint]
/// missing = "error"
/// downgrade-mismatch = "off"
/// [lint.since]
/// exists = "3c4d5e6f7a8b"
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LintConfig {
    levels: BTreeMap<Rule, Level>,
    since: BTreeMap<Rule, String>,
    postgres_version: Option<u32>,
    /// `lock_timeout` in `migrate.toml`: every revision without a header
    /// saying otherwise runs with a (non-zero) lock timeout.
    default_lock_timeout: bool,
}

/// The oldest PostgreSQL major version the lint judges for, and the one it
/// assumes unless `postgres_version` in `migrate.toml` says otherwise.
pub const OLDEST_POSTGRES: u32 = 12;

impl LintConfig {
    /// The level of `rule`: the configured one, else its default.
    pub fn level(&self, rule: Rule) -> Level {
        self.levels
            .get(&rule)
            .copied()
            .unwrap_or(rule.default_level())
    }

    /// Sets the level of `rule`.
    pub fn set_level(&mut self, rule: Rule, level: Level) {
        self.levels.insert(rule, level);
    }

    /// The revision from which `rule` applies, if one is set.
    pub fn since(&self, rule: Rule) -> Option<&str> {
        self.since.get(&rule).map(String::as_str)
    }

    /// Sets the revision from which `rule` applies.
    pub fn set_since(&mut self, rule: Rule, revision: String) {
        self.since.insert(rule, revision);
    }

    /// Every `[lint.since]` entry.
    pub fn since_entries(&self) -> impl Iterator<Item = (Rule, &str)> {
        self.since.iter().map(|(r, s)| (*r, s.as_str()))
    }

    /// The PostgreSQL major version the rules judge for (`postgres_version`
    /// in `migrate.toml`, default [`OLDEST_POSTGRES`]).
    pub fn postgres_version(&self) -> u32 {
        self.postgres_version.unwrap_or(OLDEST_POSTGRES)
    }

    /// Sets the PostgreSQL major version the rules judge for.
    pub fn set_postgres_version(&mut self, version: u32) {
        self.postgres_version = Some(version);
    }

    /// Whether `migrate.toml` gives every revision a lock timeout.
    pub fn default_lock_timeout(&self) -> bool {
        self.default_lock_timeout
    }

    /// Records that `migrate.toml` gives every revision a lock timeout.
    pub fn set_default_lock_timeout(&mut self, on: bool) {
        self.default_lock_timeout = on;
    }

    /// Whether any rule is reported at all.
    pub fn any_on(&self) -> bool {
        Rule::ALL.into_iter().any(|r| self.level(r) != Level::Off)
    }

    /// Reads the `[lint]` table; an error names the key and what to write.
    pub fn from_toml(table: &toml::Table) -> Result<LintConfig, String> {
        let mut lint = LintConfig::default();
        for (key, value) in table {
            if key == "since" {
                let toml::Value::Table(since) = value else {
                    return Err(format!(
                        "`lint.since` is a {}, not a table; write `[lint.since]` with one `rule = \"revision\"` per line",
                        value.type_str()
                    ));
                };
                for (name, value) in since {
                    let rule = rule_named(name, "lint.since")?;
                    let toml::Value::String(revision) = value else {
                        return Err(format!(
                            "`lint.since.{name}` is a {}, not a revision id; write `{name} = \"<revision>\"`",
                            value.type_str()
                        ));
                    };
                    lint.set_since(rule, revision.clone());
                }
                continue;
            }
            let rule = rule_named(key, "lint")?;
            let level = match value {
                toml::Value::String(s) => Level::from_name(s),
                _ => None,
            }
            .ok_or_else(|| {
                let got = match value {
                    toml::Value::String(s) => format!("\"{}\"", crate::escape::escape_control(s)),
                    other => format!("a {}", other.type_str()),
                };
                format!(
                    "`lint.{}` must be \"error\", \"warning\" or \"off\", not {got}",
                    crate::escape::escape_control(key)
                )
            })?;
            lint.set_level(rule, level);
        }
        Ok(lint)
    }
}

fn rule_named(name: &str, table: &str) -> Result<Rule, String> {
    Rule::from_name(name).ok_or_else(|| {
        format!(
            "unknown rule `{}` in `[{table}]`; the rules are {}",
            crate::escape::escape_control(name),
            Rule::names()
        )
    })
}

/// Reads the rule list of a `-- migrate:allow(a, b)` comment from what
/// follows `allow`; the error says what is wrong with it.
///
/// ```
/// use migrate_core::{Rule, parse_allow};
/// let set = parse_allow("(missing, exists)").unwrap();
/// assert!(set.contains(Rule::Missing) && set.contains(Rule::Exists));
/// assert!(parse_allow("(nope)").is_err());
/// ```
pub fn parse_allow(rest: &str) -> Result<RuleSet, String> {
    let rest = rest.trim();
    let inner = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .ok_or_else(|| {
            "`-- migrate:allow` needs the rules in parentheses, e.g. `-- migrate:allow(missing)`"
                .to_owned()
        })?;
    let mut set = RuleSet::EMPTY;
    for name in inner.split(',').map(str::trim) {
        if name.is_empty() {
            return Err(
                "empty rule name in `-- migrate:allow(…)`; list rules separated by commas".into(),
            );
        }
        let rule = Rule::from_name(name).ok_or_else(|| {
            format!(
                "unknown rule `{}` in `-- migrate:allow(…)`; the rules are {}",
                crate::escape::escape_control(name),
                Rule::names()
            )
        })?;
        set.insert(rule);
    }
    Ok(set)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for rule in Rule::ALL {
            assert_eq!(Rule::from_name(rule.name()), Some(rule));
        }
        assert_eq!(Rule::from_name("Missing"), None);
    }

    #[test]
    fn levels_and_since_are_read() {
        let table: toml::Table = toml::from_str(
            "missing = \"warning\"\ndowngrade-mismatch = \"off\"\n[since]\nexists = \"abc123\"\n",
        )
        .unwrap();
        let lint = LintConfig::from_toml(&table).unwrap();
        assert_eq!(lint.level(Rule::Missing), Level::Warning);
        assert_eq!(lint.level(Rule::DowngradeMismatch), Level::Off);
        assert_eq!(lint.level(Rule::Exists), Level::Error);
        assert_eq!(lint.since(Rule::Exists), Some("abc123"));
    }

    #[test]
    fn unknown_rules_and_levels_are_named() {
        let table: toml::Table = toml::from_str("mising = \"error\"").unwrap();
        let e = LintConfig::from_toml(&table).unwrap_err();
        assert!(e.contains("unknown rule `mising`"), "{e}");
        assert!(e.contains("missing, exists, drop-dependency"), "{e}");
        let table: toml::Table = toml::from_str("missing = \"loud\"").unwrap();
        let e = LintConfig::from_toml(&table).unwrap_err();
        assert!(e.contains("\"error\", \"warning\" or \"off\""), "{e}");
        let table: toml::Table = toml::from_str("since = 3").unwrap();
        assert!(LintConfig::from_toml(&table).is_err());
    }

    #[test]
    fn allow_lists_are_read() {
        let set = parse_allow("(drop-dependency)").unwrap();
        assert!(set.contains(Rule::DropDependency));
        assert!(!set.contains(Rule::Missing));
        assert!(parse_allow("missing").is_err());
        assert!(parse_allow("()").is_err());
        assert!(parse_allow("(missing,)").is_err());
    }
}
