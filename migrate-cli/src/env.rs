//! Where the database URL comes from: flag, environment, `.env`, `migrate.toml`.

use std::collections::HashMap;
use std::fmt;
use std::path::Path;

use migrate_runtime::DatabaseUrl;

/// The process environment with a `.env` file underneath it: a variable
/// already set in the environment wins over the file, as with `dotenv`.
///
/// The process environment is never modified (`set_var` is unsound once
/// threads run); lookups go through [`Env::var`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Env {
    dotenv: HashMap<String, String>,
    /// Stands in for the process environment in tests.
    process: Option<HashMap<String, String>>,
}

impl Env {
    /// Reads `.env` in `dir` if there is one.
    pub fn load(dir: &Path) -> Result<Env, String> {
        let path = dir.join(".env");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Env {
                dotenv: parse_dotenv(&text)
                    .map_err(|(line, message)| format!(".env:{line}: {message}"))?
                    .into_iter()
                    .collect(),
                process: None,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Env::default()),
            Err(e) => Err(format!(
                ".env: cannot read: {e}; fix its permissions or remove it"
            )),
        }
    }

    /// A non-empty variable from the environment, else from `.env`.
    pub fn var(&self, key: &str) -> Option<String> {
        let process = match &self.process {
            Some(map) => map.get(key).cloned(),
            None => std::env::var(key).ok(),
        };
        process
            .filter(|v| !v.is_empty())
            .or_else(|| self.dotenv.get(key).filter(|v| !v.is_empty()).cloned())
    }
}

/// Parses a `.env` file: `KEY=value` lines, optionally prefixed with
/// `export`; `#` comments; values unquoted (trailing ` # comment` removed),
/// in single quotes (literal) or in double quotes (with `\n`, `\t`, `\"`,
/// `\\` escapes). Variable expansion is not supported.
///
/// Returns the pairs in file order, or the 1-based line and the problem.
pub(crate) fn parse_dotenv(text: &str) -> Result<Vec<(String, String)>, (usize, String)> {
    let mut pairs = Vec::new();
    for (index, raw) in text.lines().enumerate() {
        let line_no = index + 1;
        let line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let line = line
            .strip_prefix("export ")
            .map(str::trim_start)
            .unwrap_or(line);
        let Some((key, value)) = line.split_once('=') else {
            return Err((line_no, line_problem(line)));
        };
        let key = key.trim();
        if !is_variable_name(key) {
            return Err((line_no, line_problem(line)));
        }
        let value = value.trim_start();
        let value = if let Some(rest) = value.strip_prefix('\'') {
            let end = rest
                .find('\'')
                .ok_or_else(|| (line_no, "unterminated `'` quote; close it".to_owned()))?;
            rest[..end].to_owned()
        } else if let Some(rest) = value.strip_prefix('"') {
            let mut out = String::new();
            let mut chars = rest.chars();
            let mut closed = false;
            while let Some(c) = chars.next() {
                match c {
                    '"' => {
                        closed = true;
                        break;
                    }
                    '\\' => match chars.next() {
                        Some('n') => out.push('\n'),
                        Some('t') => out.push('\t'),
                        Some('r') => out.push('\r'),
                        Some(other) => out.push(other),
                        None => break,
                    },
                    other => out.push(other),
                }
            }
            if !closed {
                return Err((line_no, "unterminated `\"` quote; close it".to_owned()));
            }
            out
        } else {
            // `KEY=value # comment`: a `#` after whitespace starts a comment.
            let mut end = value.len();
            let bytes = value.as_bytes();
            for i in 0..bytes.len() {
                if bytes[i] == b'#' && (i == 0 || bytes[i - 1].is_ascii_whitespace()) {
                    end = i;
                    break;
                }
            }
            value[..end].trim_end().to_owned()
        };
        pairs.push((key.to_owned(), value));
    }
    Ok(pairs)
}

fn is_variable_name(key: &str) -> bool {
    key.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// What is wrong with a line that is not `KEY=value`. The line may hold a
/// password (`DATABASE_URL: postgres://…`), so nothing of it is quoted but
/// a leading variable name.
fn line_problem(line: &str) -> String {
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let rest = line[name_end..].trim_start();
    if is_variable_name(name) && rest.starts_with(':') {
        return format!("`{name}:` has a colon where `=` belongs (YAML's form); write `{name}=…`");
    }
    if is_variable_name(name) {
        return format!(
            "the line after `{name}` is not `KEY=value`; write `{name}=…` (quote a value with spaces), or comment the line out with `#`"
        );
    }
    "the line is not `KEY=value` (a variable name is letters, digits and `_`); fix it, or comment it out with `#`".into()
}

/// Where a database URL was found, for messages.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum UrlSource {
    Flag,
    DatabaseUrl,
    PostgresVars,
    Config,
    Application,
}

impl fmt::Display for UrlSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UrlSource::Flag => "--database-url",
            UrlSource::DatabaseUrl => "DATABASE_URL",
            UrlSource::PostgresVars => "POSTGRES_* variables",
            UrlSource::Config => "database_url in migrate.toml",
            UrlSource::Application => "the application",
        })
    }
}

/// The variables that make up a PostgreSQL URL.
const POSTGRES_VARS: [&str; 5] = [
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
];

/// First found wins: `--database-url`, `DATABASE_URL`, the `POSTGRES_*`
/// variables (any one of them set), `database_url` in `migrate.toml`.
pub(crate) fn resolve_url(
    flag: Option<&str>,
    env: &Env,
    config_url: Option<&str>,
) -> Option<(DatabaseUrl, UrlSource)> {
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        return Some((DatabaseUrl::new(url), UrlSource::Flag));
    }
    if let Some(url) = env.var("DATABASE_URL") {
        return Some((DatabaseUrl::new(url), UrlSource::DatabaseUrl));
    }
    let [user, password, host, port, db] = POSTGRES_VARS.map(|k| env.var(k));
    if user.is_some() || password.is_some() || host.is_some() || port.is_some() || db.is_some() {
        let url = DatabaseUrl::from_postgres_parts(
            user.as_deref(),
            password.as_deref(),
            host.as_deref(),
            port.as_deref(),
            db.as_deref(),
        );
        return Some((url, UrlSource::PostgresVars));
    }
    config_url
        .filter(|u| !u.is_empty())
        .map(|u| (DatabaseUrl::new(u), UrlSource::Config))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_reads_plain_quoted_exported_and_commented_lines() {
        let text = "# comment\n\nA=1\nexport B = two words # trailing\nC='lit # \\n'\nD=\"x\\ny \\\"q\\\"\"\nE=\nF=a#b\n";
        let pairs = parse_dotenv(text).unwrap();
        let get = |k: &str| pairs.iter().find(|(key, _)| key == k).unwrap().1.clone();
        assert_eq!(get("A"), "1");
        assert_eq!(get("B"), "two words");
        assert_eq!(get("C"), "lit # \\n");
        assert_eq!(get("D"), "x\ny \"q\"");
        assert_eq!(get("E"), "");
        assert_eq!(get("F"), "a#b");
    }

    #[test]
    fn dotenv_reports_the_bad_line() {
        assert_eq!(parse_dotenv("A=1\njunk\n").unwrap_err().0, 2);
        assert_eq!(parse_dotenv("A=\"open\n").unwrap_err().0, 1);
        assert_eq!(parse_dotenv("1X=2\n").unwrap_err().0, 1);
    }

    fn env(process: &[(&str, &str)], dotenv: &[(&str, &str)]) -> Env {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        Env {
            dotenv: map(dotenv),
            process: Some(map(process)),
        }
    }

    #[test]
    fn dotenv_does_not_override_the_environment() {
        let e = env(&[("A", "process")], &[("A", "dotenv"), ("B", "dotenv")]);
        assert_eq!(e.var("A").as_deref(), Some("process"));
        assert_eq!(e.var("B").as_deref(), Some("dotenv"));
        // An empty variable counts as unset.
        let e = env(&[("A", "")], &[("A", "dotenv")]);
        assert_eq!(e.var("A").as_deref(), Some("dotenv"));
    }

    #[test]
    fn url_sources_in_order() {
        let config = Some("sqlite://c.db");
        let resolve = |e: &Env, flag| {
            resolve_url(flag, e, config).map(|(url, source)| (url.expose().to_owned(), source))
        };
        let all = env(
            &[("DATABASE_URL", "sqlite://env.db")],
            &[("POSTGRES_USER", "app"), ("POSTGRES_PASSWORD", "pw")],
        );
        assert_eq!(
            resolve(&all, Some("sqlite://flag.db")),
            Some(("sqlite://flag.db".into(), UrlSource::Flag))
        );
        assert_eq!(
            resolve(&all, None),
            Some(("sqlite://env.db".into(), UrlSource::DatabaseUrl))
        );
        let pg = env(
            &[],
            &[("POSTGRES_USER", "app"), ("POSTGRES_PASSWORD", "pw")],
        );
        assert_eq!(
            resolve(&pg, None),
            Some((
                "postgres://app:pw@localhost:5432/app".into(),
                UrlSource::PostgresVars
            ))
        );
        assert_eq!(
            resolve(&env(&[], &[]), None),
            Some(("sqlite://c.db".into(), UrlSource::Config))
        );
        assert_eq!(resolve_url(None, &env(&[], &[]), None), None);
    }
}
