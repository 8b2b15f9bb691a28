//! `migrate.toml`: the settings the CLI and `embed_migrations!` share.

use std::path::Path;

use serde::Deserialize;

use crate::error::Error;
use crate::sql::{Dialect, DialectCheck};

/// The config file name.
pub const CONFIG_FILE: &str = "migrate.toml";
/// Default migration directory.
pub const DEFAULT_DIRECTORY: &str = "migrations";
/// Default name of the history table.
pub const DEFAULT_VERSION_TABLE: &str = "migrate_history";
/// Default file name template (strftime fields, `{rev}` and `{slug}`).
pub const DEFAULT_FILE_TEMPLATE: &str = "%Y_%m_%d_%H%M-{rev}_{slug}";

/// Settings read from `migrate.toml`; every key is optional.
///
/// ```toml
/// directory = "migrations"
/// dialect = "postgres"          # or "sqlite", "any" (default), "none"
/// # dialects = ["postgres", "sqlite"]   # every listed dialect must accept each statement
/// version_table = "migrate_history"
/// file_template = "%Y_%m_%d_%H%M-{rev}_{slug}"
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// Migration directory, relative to the config file.
    pub directory: String,
    /// Which SQL dialects each statement is checked in.
    pub dialects: DialectCheck,
    /// Name of the history table.
    pub version_table: String,
    /// Template for new file names.
    pub file_template: String,
    /// Database URL, the last fallback of the CLI.
    pub database_url: Option<String>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            directory: DEFAULT_DIRECTORY.into(),
            dialects: DialectCheck::Any,
            version_table: DEFAULT_VERSION_TABLE.into(),
            file_template: DEFAULT_FILE_TEMPLATE.into(),
            database_url: None,
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
    file_template: Option<String>,
    database_url: Option<String>,
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
        if let Some(t) = raw.file_template {
            if !t.contains("{rev}") {
                return Err(error("file_template must contain `{rev}`: the file name has to carry the revision id".into()));
            }
            config.file_template = t;
        }
        config.database_url = raw.database_url;
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
}
