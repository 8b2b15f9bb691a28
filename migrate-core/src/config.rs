//! `migrate.toml`: the settings the CLI and `embed_migrations!` share.

use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::rule::LintConfig;
use crate::sql::{Dialect, DialectCheck};

/// The config file name.
pub const CONFIG_FILE: &str = "migrate.toml";
/// Default migration directory.
pub const DEFAULT_DIRECTORY: &str = "migrations";
/// Default name of the history table.
pub const DEFAULT_VERSION_TABLE: &str = "migrate_history";
/// Default file name template (strftime fields, `{rev}` and `{slug}`).
pub const DEFAULT_FILE_TEMPLATE: &str = "%Y_%m_%d_%H%M-{rev}_{slug}";
/// Default `max_file_size`: the largest migration file read, 16 MiB.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;
/// Default path of the declared schema, relative to the config file.
pub const DEFAULT_SCHEMA_FILE: &str = "schema.sql";

/// Settings read from `migrate.toml`; every key is optional.
///
/// ```toml
/// directory = "migrations"
/// dialect = "postgres"          # or "sqlite", "any" (default), "none"
/// # dialects = ["postgres", "sqlite"]   # every listed dialect must accept each statement
/// version_table = "migrate_history"
/// # lock_key = 7236518820311374145  # PostgreSQL advisory-lock key (default: derived from version_table)
/// file_template = "%Y_%m_%d_%H%M-{rev}_{slug}"
/// # Autogenerate (`migrate revision --autogenerate`, `migrate check`):
/// schema = "schema.sql"         # the declared schema, relative to this file
/// include_schemas = false       # PostgreSQL: compare every schema, not only the default one
/// compare_type = true           # compare column types
/// compare_server_default = true # compare column defaults
/// compare_grants = false        # PostgreSQL: compare GRANT/REVOKE on tables, views, sequences, routines
/// # exclude = ["legacy_*", "audit.*"]  # tables and types autogenerate and check leave alone
/// max_file_size = "16 MiB"      # larger migration files are refused, not read
/// postgres_version = 12         # the oldest server the lint judges for
/// # lock_timeout = "2s"         # PostgreSQL: each revision's lock_timeout, unless its header says
/// # lock_retries = 5            # attempts after a lock timeout, unless the header says
/// ```
///
/// The last four keys are Alembic's `compare_type`, `compare_server_default`
/// and `include_schemas` options of autogenerate, with the same defaults as
/// recent Alembic versions; `compare_grants` is ours (off by default: then
/// `GRANT` and `REVOKE` in schema.sql are skipped and the database's
/// privileges are not read; SQLite has no privileges and ignores it, with
/// a note); `schema` names the file that plays the part of
/// SQLAlchemy's metadata. The file is parsed in the database's dialect, so
/// one file can serve a project whose `dialects` list both databases as
/// long as every statement in it reads the same in both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Migration directory, relative to the config file.
    pub directory: String,
    /// Which SQL dialects each statement is checked in.
    pub dialects: DialectCheck,
    /// Name of the history table.
    pub version_table: String,
    /// PostgreSQL: the advisory-lock key a run holds, instead of the one
    /// derived from `version_table` (any 64-bit integer).
    pub lock_key: Option<i64>,
    /// Template for new file names.
    pub file_template: String,
    /// Database URL, the last fallback of the CLI.
    pub database_url: Option<String>,
    /// The declared schema compared by autogenerate, relative to the config
    /// file (default `schema.sql`).
    pub schema: String,
    /// PostgreSQL: compare objects in every schema, and the set of schemas
    /// itself, instead of only the default schema (default `false`).
    pub include_schemas: bool,
    /// Tables and types that autogenerate and `check` leave alone, on
    /// either side: names or patterns (`*` any run of characters, `?` one),
    /// matched against the bare name and against `schema.name` (default
    /// none).
    pub exclude: Vec<String>,
    /// Compare column types (default `true`).
    pub compare_type: bool,
    /// Compare column server defaults (default `true`).
    pub compare_server_default: bool,
    /// PostgreSQL: compare the privileges on tables, views, materialized
    /// views, sequences, functions and procedures (`GRANT`/`REVOKE` in
    /// schema.sql against the
    /// database's), other than their owner's (default `false`: both sides'
    /// privileges are left out). SQLite has none and ignores it.
    pub compare_grants: bool,
    /// The largest migration file read, in bytes (default
    /// [`DEFAULT_MAX_FILE_SIZE`]); a larger one is reported, not read.
    pub max_file_size: u64,
    /// `[lint]`: the level of each rule the build checks the chain against,
    /// and the revision each starts from.
    pub lint: LintConfig,
    /// PostgreSQL: the `lock_timeout` of a revision whose header sets none.
    pub lock_timeout: Option<std::time::Duration>,
    /// Attempts after a lock timeout, for a revision whose header sets none.
    pub lock_retries: Option<u32>,
}

impl Config {
    /// Gives a revision the `lock_timeout` and `lock_retries` defaults of
    /// this file where its header does not set them.
    pub fn apply_lock_defaults(&self, header: &mut crate::revision::Header) {
        header.lock_timeout = header.lock_timeout.or(self.lock_timeout);
        header.lock_retries = header.lock_retries.or(self.lock_retries);
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            directory: DEFAULT_DIRECTORY.into(),
            dialects: DialectCheck::Any,
            version_table: DEFAULT_VERSION_TABLE.into(),
            lock_key: None,
            file_template: DEFAULT_FILE_TEMPLATE.into(),
            database_url: None,
            schema: DEFAULT_SCHEMA_FILE.into(),
            include_schemas: false,
            exclude: Vec::new(),
            compare_type: true,
            compare_server_default: true,
            compare_grants: false,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
            lint: LintConfig::default(),
            lock_timeout: None,
            lock_retries: None,
        }
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawConfig {
    directory: Option<String>,
    dialect: Option<String>,
    dialects: Option<Vec<String>>,
    version_table: Option<String>,
    // Read as any value so that a wrong type gets a message naming the key.
    lock_key: Option<toml::Value>,
    file_template: Option<String>,
    database_url: Option<String>,
    schema: Option<String>,
    include_schemas: Option<bool>,
    exclude: Option<Vec<String>>,
    compare_type: Option<bool>,
    compare_server_default: Option<bool>,
    compare_grants: Option<bool>,
    max_file_size: Option<Size>,
    lint: Option<toml::Table>,
    // Read as any value so that a wrong type gets a message naming the key.
    postgres_version: Option<toml::Value>,
    lock_timeout: Option<toml::Value>,
    lock_retries: Option<toml::Value>,
}

/// `max_file_size`: a number of bytes, or a string such as `"16 MiB"`.
#[derive(Deserialize)]
#[serde(untagged)]
enum Size {
    Bytes(u64),
    Text(String),
}

impl Config {
    /// Parses the text of a `migrate.toml`; `path` is used in messages.
    pub fn parse(path: &str, text: &str) -> Result<Config, Error> {
        let error = |message: String| Error::Config {
            path: path.to_owned(),
            message,
        };
        let raw: RawConfig =
            toml::from_str(text).map_err(|e| error(format!("{}; fix the TOML", e.message())))?;
        let mut config = Config::default();
        if let Some(d) = raw.directory {
            config.directory = d;
        }
        match (raw.dialect, raw.dialects) {
            (Some(_), Some(_)) => {
                return Err(error(
                    "both `dialect` and `dialects` are set; keep one".into(),
                ));
            }
            (Some(name), None) => {
                config.dialects = DialectCheck::from_name(&name).ok_or_else(|| {
                    error(format!(
                        "unknown dialect `{name}`; use \"postgres\", \"sqlite\", \"any\" or \"none\""
                    ))
                })?;
            }
            (None, Some(names)) => {
                let mut list = Vec::new();
                for name in names {
                    list.push(Dialect::from_name(&name).ok_or_else(|| {
                        error(format!(
                            "unknown dialect `{name}` in `dialects`; use \"postgres\" or \"sqlite\""
                        ))
                    })?);
                }
                if list.is_empty() {
                    return Err(error(
                        "`dialects` is empty; list at least one, or set `dialect = \"none\"`"
                            .into(),
                    ));
                }
                config.dialects = DialectCheck::All(list);
            }
            (None, None) => {}
        }
        if let Some(table) = raw.version_table {
            if !is_table_name(&table) {
                return Err(error(format!(
                    "version_table `{table}` is not a plain table name; use letters, digits and `_`, optionally `schema.table`"
                )));
            }
            config.version_table = table;
        }
        match raw.lock_key {
            None => {}
            Some(toml::Value::Integer(key)) => config.lock_key = Some(key),
            Some(other) => {
                return Err(error(format!(
                    "`lock_key` is a {}, not an integer; write a whole number without quotes, e.g. `lock_key = 7236518820311374145` (any 64-bit integer)",
                    other.type_str()
                )));
            }
        }
        if let Some(t) = raw.file_template {
            if !t.contains("{rev}") {
                return Err(error("file_template must contain `{rev}`: the file name has to carry the revision id".into()));
            }
            config.file_template = t;
        }
        config.database_url = raw.database_url;
        if let Some(schema) = raw.schema {
            if schema.trim().is_empty() {
                return Err(error(
                    "`schema` is empty; name the declared schema file, e.g. \"schema.sql\"".into(),
                ));
            }
            config.schema = schema;
        }
        if let Some(v) = raw.include_schemas {
            config.include_schemas = v;
        }
        if let Some(list) = raw.exclude {
            if let Some(bad) = list
                .iter()
                .find(|p| p.trim().is_empty() || crate::escape::find_control(p, false).is_some())
            {
                return Err(error(format!(
                    "`exclude` holds `{}`; each entry is a table or type name, or a pattern with `*` and `?`",
                    crate::escape::escape_control(bad)
                )));
            }
            config.exclude = list;
        }
        if let Some(v) = raw.compare_type {
            config.compare_type = v;
        }
        if let Some(v) = raw.compare_server_default {
            config.compare_server_default = v;
        }
        if let Some(v) = raw.compare_grants {
            config.compare_grants = v;
        }
        match raw.max_file_size {
            None => {}
            Some(Size::Bytes(n)) => config.max_file_size = n,
            Some(Size::Text(text)) => {
                config.max_file_size = parse_size(&text).ok_or_else(|| {
                    error(format!(
                        "max_file_size `{}` is not a size; write a number of bytes or a string such as \"16 MiB\", \"512 KiB\" or \"1 GiB\"",
                        crate::escape::escape_control(&text)
                    ))
                })?;
            }
        }
        if let Some(table) = raw.lint {
            config.lint = LintConfig::from_toml(&table).map_err(error)?;
        }
        match raw.postgres_version {
            None => {}
            Some(toml::Value::Integer(v))
                if (i64::from(crate::rule::OLDEST_POSTGRES - 2)..=99).contains(&v) =>
            {
                config.lint.set_postgres_version(v as u32);
            }
            Some(other) => {
                return Err(error(format!(
                    "`postgres_version` is {}, not a PostgreSQL major version; write the oldest server the migrations run on as a whole number, e.g. `postgres_version = 15` (from {} up)",
                    match &other {
                        toml::Value::Integer(v) => v.to_string(),
                        v => format!("a {}", v.type_str()),
                    },
                    crate::rule::OLDEST_POSTGRES - 2
                )));
            }
        }
        match raw.lock_timeout {
            None => {}
            Some(toml::Value::String(text)) if crate::parse_duration(&text).is_some() => {
                config.lock_timeout = crate::parse_duration(&text);
                config
                    .lint
                    .set_default_lock_timeout(config.lock_timeout.is_some_and(|d| !d.is_zero()));
            }
            Some(other) => {
                return Err(error(format!(
                    "`lock_timeout` is {}, not a duration; write a string with its unit, at most a day: `lock_timeout = \"2s\"`, \"500ms\", \"1min\"",
                    match &other {
                        toml::Value::String(v) => format!("`{}`", crate::escape::escape_control(v)),
                        v => format!("a {}", v.type_str()),
                    }
                )));
            }
        }
        match raw.lock_retries {
            None => {}
            Some(toml::Value::Integer(n))
                if (0..=i64::from(crate::MAX_LOCK_RETRIES)).contains(&n) =>
            {
                config.lock_retries = Some(n as u32);
            }
            Some(other) => {
                return Err(error(format!(
                    "`lock_retries` is {}, not a number of attempts; write a whole number from 0 to {}, e.g. `lock_retries = 5`",
                    match &other {
                        toml::Value::Integer(v) => v.to_string(),
                        v => format!("a {}", v.type_str()),
                    },
                    crate::MAX_LOCK_RETRIES
                )));
            }
        }
        if config.max_file_size == 0 {
            return Err(error(
                "max_file_size is 0, so no migration file could be read; give a size such as \"16 MiB\"".into(),
            ));
        }
        Ok(config)
    }

    /// Reads `migrate.toml` in `dir`; `Ok(None)` when there is none.
    pub fn load(dir: &Path) -> Result<Option<Config>, Error> {
        let path = dir.join(CONFIG_FILE);
        match std::fs::read_to_string(&path) {
            Ok(text) => Config::parse(&path.display().to_string(), &text).map(Some),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
            Err(e) => Err(Error::Io {
                path: path.display().to_string(),
                message: e.to_string(),
            }),
        }
    }
}

/// `"16 MiB"`, `"512KiB"`, `"1 GiB"`, `"100 B"` or a plain number of bytes,
/// as `max_file_size` takes it; `None` for anything else.
///
/// ```
/// assert_eq!(migrate_core::parse_size("16 MiB"), Some(16 << 20));
/// assert_eq!(migrate_core::parse_size("16 MB"), None);
/// ```
pub fn parse_size(text: &str) -> Option<u64> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let number: u64 = text[..split].parse().ok()?;
    let unit: u64 = match text[split..].trim() {
        "" | "B" => 1,
        "KiB" => 1 << 10,
        "MiB" => 1 << 20,
        "GiB" => 1 << 30,
        _ => return None,
    };
    number.checked_mul(unit)
}

/// `name` or `schema.name`, each part `[A-Za-z_][A-Za-z0-9_]*`.
pub fn is_table_name(name: &str) -> bool {
    let part = |p: &str| {
        p.bytes()
            .next()
            .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
            && p.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
            && p.len() <= 63
    };
    match name.split_once('.') {
        Some((schema, table)) => part(schema) && part(table),
        None => part(name),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_when_empty() {
        assert_eq!(
            Config::parse("migrate.toml", "").unwrap(),
            Config::default()
        );
    }

    #[test]
    fn reads_every_key() {
        let c = Config::parse(
            "migrate.toml",
            "directory = \"db\"\ndialects = [\"postgres\", \"sqlite\"]\nversion_table = \"app.history\"\n",
        )
        .unwrap();
        assert_eq!(c.directory, "db");
        assert_eq!(
            c.dialects,
            DialectCheck::All(vec![Dialect::Postgres, Dialect::Sqlite])
        );
        assert_eq!(c.version_table, "app.history");
        assert_eq!(c.schema, "schema.sql");
        assert!(!c.include_schemas && c.compare_type && c.compare_server_default);
        let c = Config::parse(
            "migrate.toml",
            "schema = \"db/schema.sql\"\ninclude_schemas = true\ncompare_type = false\ncompare_server_default = false\n",
        )
        .unwrap();
        assert_eq!(c.schema, "db/schema.sql");
        assert!(c.include_schemas && !c.compare_type && !c.compare_server_default);
        assert!(!c.compare_grants);
        assert!(
            Config::parse("m.toml", "compare_grants = true")
                .unwrap()
                .compare_grants
        );
        assert!(Config::parse("m.toml", "compare_grants = 1").is_err());
        assert!(Config::parse("m.toml", "schema = \"\"").is_err());
        assert!(Config::parse("m.toml", "compare_type = \"yes\"").is_err());
    }

    #[test]
    fn max_file_size_takes_bytes_or_a_size_with_a_unit() {
        assert_eq!(Config::default().max_file_size, 16 << 20);
        let size = |text: &str| Config::parse("m.toml", text).map(|c| c.max_file_size);
        assert_eq!(size("max_file_size = 1000"), Ok(1000));
        assert_eq!(size("max_file_size = \"64 MiB\""), Ok(64 << 20));
        assert_eq!(size("max_file_size = \"512KiB\""), Ok(512 << 10));
        assert_eq!(size("max_file_size = \"1 GiB\""), Ok(1 << 30));
        let bad = size("max_file_size = \"16 MB\"").unwrap_err().to_string();
        assert!(
            bad.starts_with("m.toml: max_file_size `16 MB` is not a size; write a number of bytes"),
            "{bad}"
        );
        assert!(size("max_file_size = 0").is_err());
        assert!(size("max_file_size = -1").is_err());
    }

    #[test]
    fn rejects_unknown_keys_and_bad_values() {
        assert!(
            Config::parse("m.toml", "dialekt = \"pg\"")
                .unwrap_err()
                .to_string()
                .starts_with("m.toml: unknown field `dialekt`")
        );
        assert!(Config::parse("m.toml", "dialect = \"oracle\"").is_err());
        assert!(Config::parse("m.toml", "version_table = \"x; DROP TABLE y\"").is_err());
    }

    #[test]
    fn lock_key_is_an_optional_integer() {
        assert_eq!(Config::parse("m.toml", "").unwrap().lock_key, None);
        for (text, key) in [
            ("lock_key = 42", 42),
            ("lock_key = -9223372036854775808", i64::MIN),
            ("lock_key = 0x7fffffffffffffff", i64::MAX),
        ] {
            assert_eq!(Config::parse("m.toml", text).unwrap().lock_key, Some(key));
        }
        let message = Config::parse("m.toml", "lock_key = \"42\"")
            .unwrap_err()
            .to_string();
        assert!(
            message.starts_with(
                "m.toml: `lock_key` is a string, not an integer; write a whole number"
            ),
            "{message}"
        );
        assert!(Config::parse("m.toml", "lock_key = 1.5").is_err());
        // Out of range for 64 bits: refused by the TOML parser.
        assert!(Config::parse("m.toml", "lock_key = 9223372036854775808").is_err());
    }
    #[test]
    fn lint_table_is_read_and_its_errors_name_the_key() {
        let c = Config::parse(
            "migrate.toml",
            "[lint]\nmissing = \"warning\"\n[lint.since]\nexists = \"ab12\"\n",
        )
        .unwrap();
        assert_eq!(c.lint.level(crate::Rule::Missing), crate::Level::Warning);
        assert_eq!(c.lint.since(crate::Rule::Exists), Some("ab12"));
        let e = Config::parse("migrate.toml", "[lint]\nmisng = \"off\"\n").unwrap_err();
        assert!(
            e.to_string()
                .contains("migrate.toml: unknown rule `misng` in `[lint]`; the rules are missing,"),
            "{e}"
        );
    }

    #[test]
    fn postgres_version_is_read_and_checked() {
        let c = Config::parse("migrate.toml", "").unwrap();
        assert_eq!(c.lint.postgres_version(), crate::OLDEST_POSTGRES);
        let c = Config::parse("migrate.toml", "postgres_version = 15\n").unwrap();
        assert_eq!(c.lint.postgres_version(), 15);
        for bad in ["postgres_version = 9", "postgres_version = \"15\""] {
            let e = Config::parse("migrate.toml", bad).unwrap_err().to_string();
            assert!(e.contains("`postgres_version` is"), "{e}");
            assert!(e.contains("e.g. `postgres_version = 15`"), "{e}");
        }
    }

    #[test]
    fn lock_timeout_and_retries_defaults() {
        let c = Config::parse("m", "lock_timeout = \"2s\"\nlock_retries = 5\n").unwrap();
        assert_eq!(c.lock_timeout, Some(std::time::Duration::from_secs(2)));
        assert_eq!(c.lock_retries, Some(5));
        assert!(c.lint.default_lock_timeout());
        let none = Config::parse("m", "lock_timeout = \"none\"\n").unwrap();
        assert_eq!(none.lock_timeout, Some(std::time::Duration::ZERO));
        assert!(!none.lint.default_lock_timeout());
        for (text, needle) in [
            (
                "lock_timeout = 2\n",
                "`lock_timeout` is a integer, not a duration",
            ),
            (
                "lock_timeout = \"2 days\"\n",
                "`lock_timeout` is `2 days`, not a duration",
            ),
            (
                "lock_retries = 101\n",
                "`lock_retries` is 101, not a number of attempts",
            ),
            ("lock_retries = \"5\"\n", "`lock_retries` is a string"),
        ] {
            let err = Config::parse("m", text).unwrap_err().to_string();
            assert!(err.contains(needle), "{text}: {err}");
        }
    }
}
