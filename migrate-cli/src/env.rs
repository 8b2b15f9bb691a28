//! Where the database URL comes from: flag, environment, `.env`, `migrate.toml`.

use std::collections::HashMap;
use std::fmt;
use std::path::{Path, PathBuf};

use migrate_runtime::DatabaseUrl;

/// The process environment with a `.env` file underneath it: a variable
/// already set in the environment wins over the file, as with `dotenv`.
///
/// The process environment is never modified (`set_var` is unsound once
/// threads run); lookups go through [`Env::var`].
#[derive(Debug, Default, Clone)]
pub(crate) struct Env {
    dotenv: HashMap<String, String>,
    /// The `.env` file read, and who owns it.
    dotenv_file: Option<FileOrigin>,
    /// Stands in for the process environment in tests.
    process: Option<HashMap<String, String>>,
}

impl Env {
    /// Reads `.env` in `dir` if there is one.
    pub fn load(dir: &Path) -> Result<Env, String> {
        let path = dir.join(".env");
        match std::fs::read_to_string(&path) {
            Ok(text) => Ok(Env {
                dotenv: parse_dotenv(&text).map_err(|(line, message)| match line {
                    Some(line) => format!(".env:{line}: {message}"),
                    None => format!(".env: {message}"),
                })?,
                dotenv_file: Some(FileOrigin::of(&path)),
                process: None,
            }),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Env::default()),
            Err(e) => Err(format!(
                ".env: cannot read: {e}; fix its permissions or remove it"
            )),
        }
    }

    /// A non-empty variable from the environment, else from `.env`.
    #[cfg(test)]
    pub fn var(&self, key: &'static str) -> Option<String> {
        self.lookup(key).map(|(value, _)| value)
    }

    /// A non-empty variable and where it was found.
    fn lookup(&self, key: &'static str) -> Option<(String, Origin)> {
        if let Some(value) = self.process_var(key) {
            return Some((value, Origin::Environment(key)));
        }
        let value = self.dotenv.get(key).filter(|v| !v.is_empty())?;
        let file = self.dotenv_file.clone().unwrap_or_else(|| FileOrigin {
            path: PathBuf::from(".env"),
            foreign_owner: None,
        });
        Some((value.clone(), Origin::File { var: key, file }))
    }

    fn process_var(&self, key: &str) -> Option<String> {
        match &self.process {
            Some(map) => map.get(key).cloned(),
            None => std::env::var(key).ok(),
        }
        .filter(|v| !v.is_empty())
    }
}

/// A file a setting came from, and its owner when that is not the user
/// running the command.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileOrigin {
    pub path: PathBuf,
    /// `(owner, current user)` when the file belongs to someone else.
    pub foreign_owner: Option<(u32, u32)>,
}

impl FileOrigin {
    pub fn of(path: &Path) -> FileOrigin {
        let path = std::path::absolute(path).unwrap_or_else(|_| path.to_owned());
        FileOrigin {
            foreign_owner: foreign_owner(&path),
            path,
        }
    }
}

/// `(owner, current user)` when `path` is owned by another user than the one
/// running the command.
#[cfg(unix)]
fn foreign_owner(path: &Path) -> Option<(u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let owner = std::fs::metadata(path).ok()?.uid();
    // SAFETY: geteuid has no preconditions and cannot fail.
    let me = unsafe { libc::geteuid() };
    (owner != me).then_some((owner, me))
}

#[cfg(not(unix))]
fn foreign_owner(_: &Path) -> Option<(u32, u32)> {
    None
}

/// Where one part of the URL came from, for `--verbose` and refusals.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Origin {
    Flag,
    /// A variable of the process environment.
    Environment(&'static str),
    /// A variable of `.env`.
    File {
        var: &'static str,
        file: FileOrigin,
    },
    /// `database_url` in the config file.
    Config(FileOrigin),
    /// Nothing set: the driver's or libpq's default.
    Default(&'static str),
}

impl Origin {
    /// The file it came from, when that file belongs to someone else.
    fn foreign_file(&self) -> Option<(&FileOrigin, (u32, u32))> {
        match self {
            Origin::File { file, .. } | Origin::Config(file) => {
                file.foreign_owner.map(|owner| (file, owner))
            }
            _ => None,
        }
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let owned = |file: &FileOrigin| match file.foreign_owner {
            Some((owner, _)) => format!(", owned by uid {owner}"),
            None => String::new(),
        };
        match self {
            Origin::Flag => f.write_str("--database-url"),
            Origin::Environment(var) => write!(f, "{var} in the environment"),
            Origin::File { var, file } => {
                write!(f, "{var} in {}{}", file.path.display(), owned(file))
            }
            Origin::Config(file) => {
                write!(f, "database_url in {}{}", file.path.display(), owned(file))
            }
            Origin::Default(what) => write!(f, "not set, so {what}"),
        }
    }
}

/// Parses a `.env` file as dotenvy reads it: `KEY=value` lines, optionally
/// prefixed with `export`; `#` comments; values unquoted, in single quotes
/// (literal) or in double quotes (escapes); quoted values may span lines;
/// `${VAR}` and `$VAR` expand to the environment's value, else to an earlier
/// line's. The first of two lines with one key wins, as when dotenvy loads
/// the file.
///
/// Returns the variables, or the 1-based line (when it can be told) and
/// the problem. dotenvy's own message quotes the whole line, which may hold
/// a password; it is never shown.
pub(crate) fn parse_dotenv(text: &str) -> Result<HashMap<String, String>, (Option<usize>, String)> {
    let mut vars = HashMap::new();
    for item in dotenvy::from_read_iter(text.as_bytes()) {
        match item {
            Ok((key, value)) => {
                vars.entry(key).or_insert(value);
            }
            Err(dotenvy::Error::LineParse(line, _)) => {
                // The first whole line that reads so: a substring search
                // could land in a comment or a value that quotes it.
                let line_no = text
                    .lines()
                    .position(|l| l.trim() == line.trim())
                    .map(|at| at + 1);
                return Err((line_no, line_problem(line.trim())));
            }
            Err(_) => {
                return Err((
                    None,
                    "cannot be read as UTF-8 text; save it as UTF-8".to_owned(),
                ));
            }
        }
    }
    Ok(vars)
}

fn is_variable_name(key: &str) -> bool {
    key.bytes()
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_')
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'.')
}

/// What is wrong with a line dotenvy cannot read. The line may hold a
/// password (`DATABASE_URL: postgres://…`), so nothing of it is quoted but
/// a leading variable name.
fn line_problem(line: &str) -> String {
    let line = line
        .strip_prefix("export ")
        .map(str::trim_start)
        .unwrap_or(line);
    let name_end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(line.len());
    let name = &line[..name_end];
    let rest = line[name_end..].trim_start();
    if !is_variable_name(name) {
        return "the line is not `KEY=value` (a variable name is letters, digits and `_`); fix it, or comment it out with `#`".into();
    }
    if rest.starts_with(':') {
        return format!("`{name}:` has a colon where `=` belongs (YAML's form); write `{name}=…`");
    }
    match rest.strip_prefix('=').map(str::trim_start) {
        Some(value) if value.starts_with(['"', '\'']) => format!(
            "the quoted value of `{name}` is not closed (a quoted value may span lines, up to its closing quote); close it"
        ),
        Some(_) => format!(
            "the value of `{name}` cannot be read (spaces, or a `${{…}}` left open); put it in single quotes to take it literally"
        ),
        None => format!(
            "the line after `{name}` is not `KEY=value`; write `{name}=…`, or comment the line out with `#`"
        ),
    }
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

/// A database URL and where each of its parts came from.
#[derive(Debug, Clone)]
pub(crate) struct Resolved {
    pub url: DatabaseUrl,
    pub source: UrlSource,
    /// Where the whole URL came from (for `POSTGRES_*`, the first variable
    /// set).
    pub origin: Origin,
    pub host: Origin,
    /// `None`: no password anywhere (the server may not ask for one; the
    /// driver also reads `~/.pgpass`).
    pub password: Option<Origin>,
    /// Port, user and database, for `POSTGRES_*` only.
    pub parts: Vec<(&'static str, Origin)>,
}

impl Resolved {
    /// The lines `--verbose` prints: which source each part came from.
    pub fn describe(&self) -> Vec<String> {
        let from = match self.source {
            UrlSource::PostgresVars => "the POSTGRES_* variables".to_owned(),
            _ => self.origin.to_string(),
        };
        let mut lines = vec![format!("Database URL {} from {from}", self.url)];
        if self.url.dialect() == Some(migrate_core::Dialect::Sqlite) {
            return lines;
        }
        let host = self.url.host().unwrap_or_else(|| "localhost".into());
        lines.push(format!("  host {}: {}", host.escape_debug(), self.host));
        for (part, origin) in &self.parts {
            lines.push(format!("  {part}: {origin}"));
        }
        lines.push(match &self.password {
            Some(origin) => format!("  password: {origin}"),
            None => "  password: none given (the driver may still find one in ~/.pgpass)".into(),
        });
        lines
    }

    /// Refuses a password from the environment for a host that a file
    /// owned by someone else chose: such a file (a `.env` in a shared
    /// directory, a checked-out `migrate.toml`) could send the password to
    /// a server of its owner's.
    pub fn check_password_destination(&self) -> Result<(), String> {
        let Some(Origin::Environment(password_var)) = &self.password else {
            return Ok(());
        };
        let Some((file, (owner, me))) = self.host.foreign_file() else {
            return Ok(());
        };
        let host = self.url.host().unwrap_or_else(|| "localhost".into());
        let setting = match &self.host {
            Origin::File { var, .. } => (*var).to_owned(),
            _ => "database_url".to_owned(),
        };
        Err(format!(
            "{}: {setting} names the host `{}`, but the file is owned by uid {owner}, not by you (uid {me}), and the password would come from {password_var} in your environment; refusing to send it to a host someone else chose: pass the URL explicitly with --database-url (or set {setting} in your environment), or remove the file",
            file.path.display(),
            host.escape_debug()
        ))
    }
}

/// First found wins: `--database-url`, `DATABASE_URL`, the `POSTGRES_*`
/// variables (any one of them set), `database_url` in `migrate.toml`.
pub(crate) fn resolve_url(
    flag: Option<&str>,
    env: &Env,
    config: Option<(&str, FileOrigin)>,
) -> Option<Resolved> {
    // A whole URL: its parts come from wherever it came from, except what
    // the driver fills in from the environment (PGHOST, PGPASSWORD).
    let whole = |url: DatabaseUrl, source: UrlSource, origin: Origin| {
        let host = if url.host().is_some() {
            origin.clone()
        } else if env.process_var("PGHOST").is_some() {
            Origin::Environment("PGHOST")
        } else {
            Origin::Default("localhost")
        };
        let password = if url.has_password() {
            Some(origin.clone())
        } else if env.process_var("PGPASSWORD").is_some() {
            Some(Origin::Environment("PGPASSWORD"))
        } else {
            None
        };
        Resolved {
            url,
            source,
            origin,
            host,
            password,
            parts: Vec::new(),
        }
    };
    if let Some(url) = flag.filter(|u| !u.is_empty()) {
        return Some(whole(DatabaseUrl::new(url), UrlSource::Flag, Origin::Flag));
    }
    if let Some((url, origin)) = env.lookup("DATABASE_URL") {
        return Some(whole(DatabaseUrl::new(url), UrlSource::DatabaseUrl, origin));
    }
    let [user, password, host, port, db] = POSTGRES_VARS.map(|k| env.lookup(k));
    let first = [&user, &password, &host, &port, &db]
        .into_iter()
        .flatten()
        .next()
        .map(|(_, origin)| origin.clone());
    if let Some(origin) = first {
        let value = |v: &Option<(String, Origin)>| v.as_ref().map(|(value, _)| value.clone());
        let url = DatabaseUrl::from_postgres_parts(
            value(&user).as_deref(),
            value(&password).as_deref(),
            value(&host).as_deref(),
            value(&port).as_deref(),
            value(&db).as_deref(),
        );
        let origin_of = |v: &Option<(String, Origin)>, default: &'static str| {
            v.as_ref()
                .map_or(Origin::Default(default), |(_, origin)| origin.clone())
        };
        let password = match &password {
            Some((_, origin)) => Some(origin.clone()),
            None => env
                .process_var("PGPASSWORD")
                .map(|_| Origin::Environment("PGPASSWORD")),
        };
        return Some(Resolved {
            url,
            source: UrlSource::PostgresVars,
            origin,
            host: origin_of(&host, "localhost"),
            password,
            parts: vec![
                ("port", origin_of(&port, "5432")),
                ("user", origin_of(&user, "postgres")),
                ("database", origin_of(&db, "named like the user")),
            ],
        });
    }
    let (url, file) = config.filter(|(u, _)| !u.is_empty())?;
    let origin = Origin::Config(file);
    Some(whole(DatabaseUrl::new(url), UrlSource::Config, origin))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotenv_reads_plain_quoted_exported_and_commented_lines() {
        let text = "# comment\n\nA=1\nexport B='two words' # trailing\nC='lit # \\n'\nD=\"x\\ny \\\"q\\\"\"\nE=\nA=second\n";
        let vars = parse_dotenv(text).unwrap();
        assert_eq!(vars["A"], "1", "the first of two lines wins");
        assert_eq!(vars["B"], "two words");
        assert_eq!(vars["C"], "lit # \\n");
        assert_eq!(vars["D"], "x\ny \"q\"");
        assert_eq!(vars["E"], "");
    }

    #[test]
    fn dotenv_expands_variables_and_reads_multi_line_values() {
        let text = "HOST=db.internal\nDATABASE_URL=postgres://app@${HOST}:5432/shop\nKEY=\"line one\nline two\"\nAFTER=1\n";
        let vars = parse_dotenv(text).unwrap();
        assert_eq!(vars["DATABASE_URL"], "postgres://app@db.internal:5432/shop");
        assert_eq!(vars["KEY"], "line one\nline two");
        assert_eq!(vars["AFTER"], "1");
    }

    #[test]
    fn dotenv_reports_the_bad_line_without_its_value() {
        let (line, message) = parse_dotenv("A=1\njunk here\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("after `junk`"), "{message}");
        let (line, message) =
            parse_dotenv("A=1\nDATABASE_URL: postgres://u:hunter2@h/db\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("write `DATABASE_URL=…`"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
        let (line, message) = parse_dotenv("A=1\nB=\"hunter2\n").unwrap_err();
        assert_eq!(line, Some(2));
        assert!(message.contains("not closed"), "{message}");
        assert!(!message.contains("hunter2"), "{message}");
    }

    fn env(process: &[(&str, &str)], dotenv: &[(&str, &str)]) -> Env {
        env_in(process, dotenv, None)
    }

    /// `foreign`: the `.env` file belongs to uid 65534, not to uid 1000.
    fn env_in(process: &[(&str, &str)], dotenv: &[(&str, &str)], foreign: Option<u32>) -> Env {
        let map = |pairs: &[(&str, &str)]| {
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect()
        };
        Env {
            dotenv: map(dotenv),
            dotenv_file: Some(FileOrigin {
                path: PathBuf::from("/work/.env"),
                foreign_owner: foreign.map(|owner| (owner, 1000)),
            }),
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

    fn own_config() -> FileOrigin {
        FileOrigin {
            path: PathBuf::from("/work/migrate.toml"),
            foreign_owner: None,
        }
    }

    #[test]
    fn url_sources_in_order() {
        let resolve = |e: &Env, flag| {
            resolve_url(flag, e, Some(("sqlite://c.db", own_config())))
                .map(|r| (r.url.expose().to_owned(), r.source))
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
        assert!(resolve_url(None, &env(&[], &[]), None).is_none());
    }

    fn destination(e: &Env, config: Option<(&str, FileOrigin)>) -> Result<(), String> {
        resolve_url(None, e, config)
            .expect("a URL")
            .check_password_destination()
    }

    #[test]
    fn a_password_from_the_environment_is_not_sent_where_a_foreign_file_says() {
        // POSTGRES_HOST from someone else's .env, the password from ours.
        let e = env_in(
            &[("POSTGRES_PASSWORD", "pw")],
            &[("POSTGRES_HOST", "evil.example")],
            Some(65534),
        );
        let message = destination(&e, None).unwrap_err();
        assert!(
            message.starts_with("/work/.env: POSTGRES_HOST names the host `evil.example`"),
            "{message}"
        );
        assert!(
            message.contains("owned by uid 65534, not by you (uid 1000)"),
            "{message}"
        );
        assert!(
            message.contains("POSTGRES_PASSWORD in your environment"),
            "{message}"
        );
        assert!(message.contains("--database-url"), "{message}");
        assert!(!message.contains("pw"), "{message}");
        // DATABASE_URL from that file, PGPASSWORD from the environment.
        let e = env_in(
            &[("PGPASSWORD", "pw")],
            &[("DATABASE_URL", "postgres://app@evil.example/db")],
            Some(65534),
        );
        assert!(destination(&e, None).unwrap_err().contains("PGPASSWORD"));
        // database_url in someone else's migrate.toml.
        let foreign_config = FileOrigin {
            path: PathBuf::from("/work/migrate.toml"),
            foreign_owner: Some((65534, 1000)),
        };
        let e = env_in(&[("PGPASSWORD", "pw")], &[], None);
        let message = destination(
            &e,
            Some(("postgres://evil.example/db", foreign_config.clone())),
        )
        .unwrap_err();
        assert!(
            message.starts_with("/work/migrate.toml: database_url"),
            "{message}"
        );

        // Allowed: the user's own file; a foreign file with its own
        // password; a foreign file that does not choose the host.
        let e = env_in(
            &[("POSTGRES_PASSWORD", "pw")],
            &[("POSTGRES_HOST", "db")],
            None,
        );
        assert!(destination(&e, None).is_ok());
        let e = env_in(
            &[],
            &[("DATABASE_URL", "postgres://app:theirs@evil.example/db")],
            Some(65534),
        );
        assert!(destination(&e, None).is_ok());
        let e = env_in(
            &[("POSTGRES_PASSWORD", "pw"), ("POSTGRES_HOST", "db")],
            &[("POSTGRES_DB", "shop")],
            Some(65534),
        );
        assert!(destination(&e, None).is_ok());
        let e = env_in(&[], &[], None);
        assert!(destination(&e, Some(("postgres://evil.example/db", foreign_config))).is_ok());
    }

    #[test]
    fn verbose_names_the_source_of_each_part() {
        let e = env_in(
            &[("POSTGRES_PASSWORD", "pw"), ("POSTGRES_USER", "app")],
            &[("POSTGRES_HOST", "db")],
            None,
        );
        let lines = resolve_url(None, &e, None).unwrap().describe();
        assert_eq!(
            lines,
            [
                "Database URL postgres://app:***@db:5432/app from the POSTGRES_* variables",
                "  host db: POSTGRES_HOST in /work/.env",
                "  port: not set, so 5432",
                "  user: POSTGRES_USER in the environment",
                "  database: not set, so named like the user",
                "  password: POSTGRES_PASSWORD in the environment",
            ]
        );
    }
}
