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
}

impl Rule {
    /// Every rule, in the order messages list them.
    pub const ALL: [Rule; 4] = [
        Rule::Missing,
        Rule::Exists,
        Rule::DropDependency,
        Rule::DowngradeMismatch,
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
        }
    }

    /// The rule named `name`.
    pub fn from_name(name: &str) -> Option<Rule> {
        Rule::ALL.into_iter().find(|r| r.name() == name)
    }

    /// The level a rule has unless `[lint]` says otherwise: what fails on the
    /// server is an error; a downgrade that restores less than it should
    /// still runs, so it warns.
    pub fn default_level(self) -> Level {
        match self {
            Rule::Missing | Rule::Exists | Rule::DropDependency => Level::Error,
            Rule::DowngradeMismatch => Level::Warning,
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
}

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
