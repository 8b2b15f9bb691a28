//! Database URLs: a type whose `Display` and `Debug` never show the
//! password, and the checks that catch what a driver would misread in
//! silence (an unknown or misspelled parameter, a raw `/` in a password, a
//! driver part in the scheme).

// Without a database feature (a build script's dependency) only the type
// and its redaction are used; the checks need the crate's `Error`.
#![cfg_attr(not(any(feature = "postgres", feature = "sqlite")), allow(dead_code))]

use std::fmt;

use migrate_core::Dialect;
use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, percent_decode_str, utf8_percent_encode};

/// A database connection URL that keeps its password out of every message.
///
/// `Display` and `Debug` print the URL with the password replaced by `***`:
/// the user-info password, and the value of any query parameter that names
/// a password (`password=`, `passwd=`, `sslpassword=`, …). Only
/// [`expose`](DatabaseUrl::expose) returns the real URL, to hand to a
/// driver. Nothing else is rewritten: a message is never searched for the
/// password, so SQL, file content and text that merely contains the same
/// letters are printed as they are.
///
/// ```
/// use migrate_runtime::DatabaseUrl;
///
/// let url = DatabaseUrl::new("postgres://app:s3cret@db.internal:5432/shop");
/// assert_eq!(url.to_string(), "postgres://app:***@db.internal:5432/shop");
/// assert_eq!(format!("{url:?}"), "DatabaseUrl(\"postgres://app:***@db.internal:5432/shop\")");
/// assert_eq!(url.expose(), "postgres://app:s3cret@db.internal:5432/shop");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
}

/// Query parameters the PostgreSQL driver reads (sqlx 0.8; libpq's names),
/// in the order messages list them.
const POSTGRES_PARAMETERS: &[&str] = &[
    "sslmode",
    "sslrootcert",
    "sslcert",
    "sslkey",
    "host",
    "hostaddr",
    "port",
    "dbname",
    "user",
    "password",
    "application_name",
    "options",
    "statement-cache-capacity",
];

/// sqlx's own spellings of some of them, accepted too.
const POSTGRES_ALIASES: &[&str] = &["ssl-mode", "ssl-root-cert", "ssl-ca", "ssl-cert", "ssl-key"];

/// libpq parameters the driver does not read. libpq would honour them; the
/// driver would ignore them, so they are refused rather than dropped.
const LIBPQ_ONLY: &[&str] = &[
    "connect_timeout",
    "client_encoding",
    "fallback_application_name",
    "keepalives",
    "keepalives_idle",
    "keepalives_interval",
    "keepalives_count",
    "tcp_user_timeout",
    "replication",
    "gssencmode",
    "sslnegotiation",
    "sslpassword",
    "sslcertmode",
    "sslcompression",
    "sslcrl",
    "sslcrldir",
    "sslsni",
    "sslkeylogfile",
    "requirepeer",
    "require_auth",
    "channel_binding",
    "ssl_min_protocol_version",
    "ssl_max_protocol_version",
    "krbsrvname",
    "gsslib",
    "gssdelegation",
    "service",
    "passfile",
    "target_session_attrs",
    "load_balance_hosts",
];

/// Query parameters of an SQLite URL (sqlx 0.8 refuses any other).
const SQLITE_PARAMETERS: &[&str] = &["mode", "cache", "immutable", "vfs"];

impl DatabaseUrl {
    /// Wraps a URL such as `postgres://user:pw@host/db` or `sqlite://app.db`.
    ///
    /// Nothing is validated here; [`check`](DatabaseUrl::check) does that.
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        DatabaseUrl { url: url.into() }
    }

    /// Builds a PostgreSQL URL from the parts that `POSTGRES_USER`,
    /// `POSTGRES_PASSWORD`, `POSTGRES_HOST`, `POSTGRES_PORT` and
    /// `POSTGRES_DB` hold. Missing parts take libpq's defaults: user
    /// `postgres`, host `localhost`, port 5432, database named like the user.
    ///
    /// ```
    /// use migrate_runtime::DatabaseUrl;
    ///
    /// let url = DatabaseUrl::from_postgres_parts(Some("app"), Some("p@ss"), Some("db"), None, Some("shop"));
    /// assert_eq!(url.expose(), "postgres://app:p%40ss@db:5432/shop");
    /// assert_eq!(url.to_string(), "postgres://app:***@db:5432/shop");
    /// ```
    pub fn from_postgres_parts(
        user: Option<&str>,
        password: Option<&str>,
        host: Option<&str>,
        port: Option<&str>,
        database: Option<&str>,
    ) -> DatabaseUrl {
        let user = user.filter(|u| !u.is_empty()).unwrap_or("postgres");
        let host = host.filter(|h| !h.is_empty()).unwrap_or("localhost");
        let port = port.filter(|p| !p.is_empty()).unwrap_or("5432");
        let database = database.filter(|d| !d.is_empty()).unwrap_or(user);
        let mut url = format!("postgres://{}", percent_encode(user));
        if let Some(password) = password.filter(|p| !p.is_empty()) {
            url.push(':');
            url.push_str(&percent_encode(password));
        }
        url.push('@');
        // A Unix socket directory goes in the `host` parameter; an IPv6
        // address needs brackets.
        let socket = host.starts_with('/');
        if socket {
            url.push_str("localhost");
        } else if host.contains(':') && !host.starts_with('[') {
            url.push_str(&format!("[{host}]"));
        } else {
            url.push_str(host);
        }
        url.push(':');
        url.push_str(port);
        url.push('/');
        url.push_str(&percent_encode(database));
        if socket {
            url.push_str("?host=");
            url.push_str(&percent_encode(host));
        }
        DatabaseUrl::new(url)
    }

    /// The full URL, password included. Hand it to a driver; never print it.
    pub fn expose(&self) -> &str {
        &self.url
    }

    /// The scheme (`postgres`, `postgresql`, `sqlite`, …), lowercase.
    pub fn scheme(&self) -> String {
        self.url
            .split_once(':')
            .map_or("", |(scheme, _)| scheme)
            .to_ascii_lowercase()
    }

    /// The SQL dialect the scheme names, if it is one this crate supports.
    pub fn dialect(&self) -> Option<Dialect> {
        dialect_of(&self.scheme())
    }

    /// Does the URL carry a password (in the user info or as a parameter)?
    pub fn has_password(&self) -> bool {
        userinfo_password(&self.url).is_some_and(|(start, end)| end > start)
            || self
                .parameters()
                .any(|(key, value)| key == "password" && !value.is_empty())
    }

    /// The host the URL names: the `host` or `hostaddr` parameter, else the
    /// host of the authority; `None` when it names none (the driver then
    /// takes `PGHOST` or its default).
    pub fn host(&self) -> Option<String> {
        let from_parameter = self
            .parameters()
            .filter(|(key, _)| key == "host" || key == "hostaddr")
            .map(|(_, value)| value)
            .last();
        if from_parameter.is_some() {
            return from_parameter;
        }
        let start = self.url.find("://")? + 3;
        let rest = &self.url[start..];
        let rest = match userinfo_password(&self.url) {
            Some((_, end)) => &self.url[end + 1..],
            None => rest.split_once('@').map_or(rest, |(_, after)| after),
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
        let host = if let Some(bracketed) = authority.strip_prefix('[') {
            bracketed.split(']').next().unwrap_or("")
        } else {
            authority.split(':').next().unwrap_or("")
        };
        (!host.is_empty()).then(|| percent_decode(host))
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut out = self.url.clone();
        if let Some((start, end)) = userinfo_password(&self.url) {
            out.replace_range(start..end, "***");
        }
        redact_query_passwords(&out)
    }

    /// Checks the URL for what the driver would misread or ignore in
    /// silence, and returns its dialect:
    ///
    /// - a scheme with a driver part (`postgresql+psycopg2://`, SQLAlchemy's
    ///   form) or one this crate does not support;
    /// - a raw `@`, `/`, `?` or `#` in the user name or password, which psql
    ///   and sqlx split at different places (or not at all: "invalid port
    ///   number");
    /// - a query parameter the driver does not read (`SSLMODE`, `ssl_mode`,
    ///   `ssl=true`, `connect_timeout`): it would be ignored, and a TLS
    ///   setting among them would leave the connection in plain text;
    /// - `sqlite:///app.db`, which SQLAlchemy reads as a relative path and
    ///   sqlx as `/app.db`, when it names a file at the filesystem root or in
    ///   a directory that does not exist.
    ///
    /// Every message names the URL with the password redacted, never the
    /// password or a parameter's value.
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    pub fn check(&self) -> crate::Result<Dialect> {
        let dialect = match self.dialect() {
            Some(dialect) => dialect,
            None => return Err(self.invalid(self.scheme_problem())),
        };
        match dialect {
            Dialect::Postgres => {
                self.check_user_info()?;
                self.check_parameters(POSTGRES_PARAMETERS, POSTGRES_ALIASES)?;
            }
            Dialect::Sqlite => {
                self.check_parameters(SQLITE_PARAMETERS, &[])?;
                self.check_sqlite_path()?;
            }
        }
        Ok(dialect)
    }

    /// The driver's connection options for this PostgreSQL URL, after
    /// [`check`](DatabaseUrl::check).
    ///
    /// `sslmode=require` with a root certificate (`sslrootcert` in the URL
    /// or `PGSSLROOTCERT`) becomes `verify-ca`, as libpq documents for
    /// compatibility: a user who names the CA expects it to be checked.
    #[cfg(feature = "postgres")]
    pub fn pg_connect_options(&self) -> crate::Result<sqlx::postgres::PgConnectOptions> {
        use sqlx::postgres::{PgConnectOptions, PgSslMode};
        use std::str::FromStr;

        if self.check()? != Dialect::Postgres {
            return Err(self.invalid("not a PostgreSQL URL; write postgres://…"));
        }
        let mut options = PgConnectOptions::from_str(&self.url)
            .map_err(|e| self.invalid(format!("{e}; fix the URL")))?;
        let root_cert = self.parameters().any(|(key, value)| {
            matches!(key.as_str(), "sslrootcert" | "ssl-root-cert" | "ssl-ca") && !value.is_empty()
        }) || std::env::var_os("PGSSLROOTCERT").is_some_and(|v| !v.is_empty());
        if root_cert && matches!(options.get_ssl_mode(), PgSslMode::Require) {
            options = options.ssl_mode(PgSslMode::VerifyCa);
        }
        Ok(options)
    }

    /// The driver's connection options for this SQLite URL, after
    /// [`check`](DatabaseUrl::check).
    #[cfg(feature = "sqlite")]
    pub fn sqlite_connect_options(&self) -> crate::Result<sqlx::sqlite::SqliteConnectOptions> {
        use std::str::FromStr;

        if self.check()? != Dialect::Sqlite {
            return Err(self.invalid("not an SQLite URL; write sqlite://…"));
        }
        sqlx::sqlite::SqliteConnectOptions::from_str(&self.url)
            .map_err(|e| self.invalid(format!("{e}; fix the URL")))
    }

    /// Is this one of the driver's log events that quote a secret? sqlx's
    /// PostgreSQL driver logs the value of a parameter it does not know
    /// (`passwd=…`: [`check`](DatabaseUrl::check) refuses those first) and
    /// a malformed line of `~/.pgpass` whole, password included. A log
    /// subscriber drops these events (`tracing_subscriber::filter::filter_fn`).
    pub fn log_event_quotes_secret(metadata: &tracing::Metadata<'_>) -> bool {
        match metadata.target() {
            "sqlx_postgres::options::parse" => metadata.fields().field("value").is_some(),
            "sqlx_postgres::options::pgpass" => metadata.fields().field("line").is_some(),
            _ => false,
        }
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    fn invalid(&self, problem: impl Into<String>) -> crate::Error {
        crate::Error::InvalidUrl {
            url: self.clone(),
            problem: problem.into(),
        }
    }

    fn scheme_problem(&self) -> String {
        let scheme = self.scheme();
        let plain = !scheme.is_empty()
            && scheme
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'+' | b'-' | b'.'));
        if !plain || !self.url.contains(':') {
            return "not a database URL (no scheme); write postgres://user:password@host:port/db or sqlite://file.db".into();
        }
        if let Some((base, driver)) = scheme.split_once('+')
            && dialect_of(base).is_some()
        {
            return format!(
                "`{scheme}://` names a Python driver (`+{driver}`, SQLAlchemy's form), which this tool does not take; drop the driver part: {base}://…"
            );
        }
        format!("unsupported database URL scheme `{scheme}`; use postgres://… or sqlite://…")
    }

    /// A raw `@`, `/`, `?` or `#` in the user info.
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    fn check_user_info(&self) -> crate::Result<()> {
        let Some((_, end)) = userinfo_password(&self.url) else {
            return Ok(());
        };
        let start = self.url.find("://").map_or(0, |i| i + 3);
        let user_info = &self.url[start..end];
        if let Some(c) = user_info
            .chars()
            .find(|c| matches!(c, '@' | '/' | '?' | '#'))
        {
            return Err(self.invalid(format!(
                "the user name or password holds a raw `{c}`, which psql and the driver read differently (a raw `/`, `?` or `#` even ends the host there); percent-encode the password (`@` is %40, `/` %2F, `?` %3F, `#` %23, `:` %3A, `%` %25), or leave it out of the URL and set PGPASSWORD"
            )));
        }
        Ok(())
    }

    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    fn check_parameters(&self, known: &[&str], aliases: &[&str]) -> crate::Result<()> {
        for (key, _) in self.parameters() {
            let accepted = known.contains(&key.as_str())
                || aliases.contains(&key.as_str())
                || (known == POSTGRES_PARAMETERS
                    && key.starts_with("options[")
                    && key.ends_with(']'));
            if !accepted {
                return Err(self.invalid(unknown_parameter(&key, known, aliases)));
            }
        }
        Ok(())
    }

    /// `sqlite:///name`: sqlx reads `/name`, SQLAlchemy `name`.
    #[cfg(any(feature = "postgres", feature = "sqlite"))]
    fn check_sqlite_path(&self) -> crate::Result<()> {
        let after = &self.url[self.scheme().len() + 1..];
        let Some(path) = after.strip_prefix("//") else {
            return Ok(());
        };
        if !path.starts_with('/') || path.starts_with("//") {
            return Ok(());
        }
        let path = percent_decode(path.split(['?', '#']).next().unwrap_or(""));
        let relative = &path[1..];
        if relative.is_empty() || relative == ":memory:" {
            return Ok(());
        }
        let shown = relative.escape_debug();
        let why = "three slashes start an absolute path here, as in sqlx and the application's own pool, while SQLAlchemy reads them as relative";
        match std::path::Path::new(&path).parent() {
            Some(parent) if parent == std::path::Path::new("/") => Err(self.invalid(format!(
                "`sqlite:///{shown}` names /{shown}, a file at the filesystem root ({why}); write `sqlite://{shown}` for {shown} in the working directory, or `sqlite:////{shown}` if you do mean the root"
            ))),
            Some(parent) if !parent.is_dir() => Err(self.invalid(format!(
                "`sqlite:///{shown}` names /{shown}, but the directory {} does not exist ({why}); write `sqlite://{shown}` for a path relative to the working directory",
                parent.display().to_string().escape_debug()
            ))),
            _ => Ok(()),
        }
    }

    /// The query's `(key, value)` pairs, decoded as the driver decodes them.
    fn parameters(&self) -> impl Iterator<Item = (String, String)> + '_ {
        let query = match userinfo_password(&self.url) {
            // A raw `?` in the password is not the start of the query.
            Some((_, end)) => self.url[end..].split_once('?'),
            None => self.url.split_once('?'),
        }
        .map_or("", |(_, query)| query);
        let query = query.split('#').next().unwrap_or("");
        // The URL crate's form decoder, the one the driver reads them with:
        // pairs split at `&` (empty ones skipped) and at the first `=`.
        form_urlencoded::parse(query.as_bytes())
            .map(|(key, value)| (key.into_owned(), value.into_owned()))
    }
}

impl fmt::Display for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.redacted())
    }
}

impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("DatabaseUrl")
            .field(&self.redacted())
            .finish()
    }
}

impl From<String> for DatabaseUrl {
    fn from(url: String) -> DatabaseUrl {
        DatabaseUrl::new(url)
    }
}

impl From<&str> for DatabaseUrl {
    fn from(url: &str) -> DatabaseUrl {
        DatabaseUrl::new(url)
    }
}

fn dialect_of(scheme: &str) -> Option<Dialect> {
    match scheme {
        "postgres" | "postgresql" => Some(Dialect::Postgres),
        "sqlite" => Some(Dialect::Sqlite),
        _ => None,
    }
}

/// What is wrong with an unknown parameter, and the fix. The key is named
/// only when it is a plain name; its value never.
fn unknown_parameter(key: &str, known: &[&str], aliases: &[&str]) -> String {
    let list = known.join(", ");
    if !is_plain_name(key) {
        return format!(
            "a query parameter whose name is not a plain name (not shown) is unknown and the driver would ignore it; fix or remove it (known: {list})"
        );
    }
    let folded = fold(key);
    if known == POSTGRES_PARAMETERS {
        if matches!(folded.as_str(), "ssl" | "usessl" | "tls" | "requiressl") {
            return format!(
                "unknown connection parameter `{key}`, which the driver would ignore, leaving the connection possibly unencrypted; write `sslmode=require` to encrypt, or `sslmode=verify-full` with `sslrootcert=CA-FILE` to also check the server (known: {list})"
            );
        }
        if LIBPQ_ONLY.contains(&key) {
            return format!(
                "connection parameter `{key}` is libpq's, but this driver does not read it and would ignore it; remove it (known: {list})"
            );
        }
    }
    let consequence = if folded.starts_with("ssl") {
        ", leaving the connection possibly unencrypted"
    } else {
        ""
    };
    // Same letters in another case or with `_`/`-` (`SSLMODE`, `ssl_mode`),
    // else within two edits (`sslmdoe`, `passwd`).
    let suggestion = known
        .iter()
        .chain(aliases)
        .find(|k| fold(k) == folded)
        .or_else(|| {
            known
                .iter()
                .map(|k| (strsim::levenshtein(&key.to_ascii_lowercase(), k), k))
                .filter(|(d, _)| *d <= 2 && key.len() > 3)
                .min_by_key(|(d, _)| *d)
                .map(|(_, k)| k)
        });
    match suggestion {
        Some(s) => format!(
            "unknown connection parameter `{key}`, which the driver would ignore{consequence}; did you mean `{s}`? (parameters are case-sensitive; known: {list})"
        ),
        None => format!(
            "unknown connection parameter `{key}`, which the driver would ignore{consequence}; fix its spelling or remove it (known: {list})"
        ),
    }
}

/// A parameter name that may be shown: letters, digits, `_-.[]`, at most
/// 64 bytes.
fn is_plain_name(key: &str) -> bool {
    !key.is_empty()
        && key.len() <= 64
        && key
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b'.' | b'[' | b']'))
}

/// Lowercase without `_` and `-`.
fn fold(key: &str) -> String {
    key.chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect()
}

/// Byte range of the password in `scheme://user:password@host…` (an empty
/// range for `user:@host`).
///
/// The user info ends at the last `@` before the query, so a password with a
/// raw `@` or `/` is still found whole. A raw `?` or `#` in it moves the
/// query's start into the password; the user info then runs to the last `@`
/// of the URL, provided what follows its `:` is not a port. A URL without
/// `://` (`user:pw@host/db`, no scheme) is read the same way from its start.
/// At worst more of the URL is redacted, never less.
fn userinfo_password(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://").map_or(0, |i| i + 3);
    let rest = &url[start..];
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let at = match rest[..end].rfind('@') {
        Some(at) => at,
        None => {
            let at = rest.rfind('@')?;
            let colon = rest[..at].find(':')?;
            // The `:` must be in what would be the authority, not in a
            // path or parameter (`/db?application_name=a:b@c`).
            if rest[..colon].contains(['/', '?', '#']) {
                return None;
            }
            let port = rest[colon + 1..at].split(['/', '?', '#']).next()?;
            if !port.is_empty() && port.bytes().all(|b| b.is_ascii_digit()) {
                return None;
            }
            at
        }
    };
    let colon = rest[..at].find(':')?;
    Some((start + colon + 1, start + at))
}

/// Does this query parameter hold a password (`password`, `passwd`,
/// `sslpassword`, `pwd`, any case)?
fn names_a_password(key: &str) -> bool {
    let key = form_decode(key).to_ascii_lowercase();
    key.contains("pass") || key.contains("pwd") || key.contains("secret")
}

fn redact_query_passwords(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_owned();
    };
    let (query, fragment) = match url[q + 1..].split_once('#') {
        Some((query, fragment)) => (query, Some(fragment)),
        None => (&url[q + 1..], None),
    };
    let pairs: Vec<String> = query
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if names_a_password(key) => format!("{key}=***"),
            // `?passwd:s3cret`, a typo: a key that is not a plain name may
            // be anything.
            _ if !pair.is_empty() && !is_plain_name(pair.split('=').next().unwrap_or("")) => {
                "***".to_owned()
            }
            _ => pair.to_owned(),
        })
        .collect();
    let mut out = format!("{}?{}", &url[..q], pairs.join("&"));
    if let Some(fragment) = fragment {
        out.push('#');
        out.push_str(fragment);
    }
    out
}

/// What a URL part built from `POSTGRES_*` keeps as it is: RFC 3986's
/// unreserved characters. Everything else is percent-encoded.
const UNRESERVED: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

fn percent_encode(text: &str) -> String {
    utf8_percent_encode(text, UNRESERVED).to_string()
}

/// `application/x-www-form-urlencoded` decoding, as the driver reads query
/// parameters: `+` is a space, then percent-decoding.
fn form_decode(text: &str) -> String {
    percent_decode(&text.replace('+', " "))
}

/// Percent-decoding as the driver's URL parser does it: a `%` not followed
/// by two hex digits stays, and bytes that are not UTF-8 become U+FFFD.
fn percent_decode(text: &str) -> String {
    percent_decode_str(text).decode_utf8_lossy().into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn display_and_debug_redact_the_password() {
        let url = DatabaseUrl::new("postgres://user:hunter2@host/db");
        assert_eq!(url.to_string(), "postgres://user:***@host/db");
        assert!(!format!("{url:?}").contains("hunter2"));
        assert_eq!(url.expose(), "postgres://user:hunter2@host/db");
    }

    #[test]
    fn url_without_password_is_unchanged() {
        for plain in [
            "postgres://user@host/db",
            "postgres://host:5432/db",
            "postgres://host:5432/db?application_name=me@corp",
            "postgres://host/db?application_name=a:b@c",
            "sqlite://app.db?mode=rwc",
            "sqlite::memory:",
        ] {
            let url = DatabaseUrl::new(plain);
            assert_eq!(url.to_string(), plain);
            assert!(!url.has_password());
        }
    }

    #[test]
    fn raw_reserved_characters_in_the_password_are_redacted_whole() {
        for (raw, password) in [
            ("postgres://u:a@b/c@host/db", "a@b/c"),
            ("postgres://u:pa/ss@host/db", "pa/ss"),
            ("postgres://u:p#ss@host/db", "p#ss"),
            ("postgres://u:p?ss@host/db?sslmode=require", "p?ss"),
            ("u:s3cret@host/db", "s3cret"),
        ] {
            let shown = DatabaseUrl::new(raw).to_string();
            assert!(!shown.contains(password), "{shown}");
            assert!(shown.contains(":***@"), "{shown}");
        }
    }

    #[test]
    fn query_passwords_are_redacted_under_any_name() {
        let url = DatabaseUrl::new(
            "postgres://host/db?user=u&password=topsecret&sslmode=require&passwd=other&PWD=x#frag",
        );
        assert_eq!(
            url.to_string(),
            "postgres://host/db?user=u&password=***&sslmode=require&passwd=***&PWD=***#frag"
        );
        assert!(url.has_password());
    }

    #[test]
    fn host_comes_from_the_authority_or_the_parameter() {
        let host = |u: &str| DatabaseUrl::new(u).host();
        assert_eq!(
            host("postgres://u:p@db.example:5432/x").as_deref(),
            Some("db.example")
        );
        assert_eq!(host("postgres://u:a/b@evil/x").as_deref(), Some("evil"));
        assert_eq!(host("postgres://[::1]:5432/x").as_deref(), Some("::1"));
        assert_eq!(host("postgres:///x").as_deref(), None);
        assert_eq!(
            host("postgres://localhost/x?host=%2Ftmp").as_deref(),
            Some("/tmp")
        );
    }

    #[test]
    fn postgres_parts_are_encoded_with_defaults() {
        let url = DatabaseUrl::from_postgres_parts(None, None, None, None, None);
        assert_eq!(url.expose(), "postgres://postgres@localhost:5432/postgres");
        let url = DatabaseUrl::from_postgres_parts(
            Some("me"),
            Some("a b:c"),
            Some("::1"),
            Some("6543"),
            None,
        );
        assert_eq!(url.expose(), "postgres://me:a%20b%3Ac@[::1]:6543/me");
        assert_eq!(url.to_string(), "postgres://me:***@[::1]:6543/me");
        let url = DatabaseUrl::from_postgres_parts(
            Some("me"),
            None,
            Some("/var/run/postgresql"),
            None,
            Some("app"),
        );
        assert_eq!(
            url.expose(),
            "postgres://me@localhost:5432/app?host=%2Fvar%2Frun%2Fpostgresql"
        );
    }

    #[test]
    fn percent_and_form_decoding_read_what_the_driver_reads() {
        assert_eq!(percent_decode("p%40ss%2Fw%3f"), "p@ss/w?");
        // A `%` without two hex digits after it stays as it is.
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%4"), "%4");
        assert_eq!(percent_decode("%zz%+1"), "%zz%+1");
        // Bytes that are not UTF-8 become U+FFFD.
        assert_eq!(percent_decode("a%FFb"), "a\u{fffd}b");
        assert_eq!(percent_decode("caf%C3%A9"), "café");
        assert_eq!(form_decode("a+b%2B"), "a b+");
        let url =
            DatabaseUrl::new("postgres://h/db?&application_name=a+b%26c&&options=-c%20x=1&sslmode");
        let pairs: Vec<(String, String)> = url.parameters().collect();
        assert_eq!(
            pairs,
            [
                ("application_name".to_owned(), "a b&c".to_owned()),
                ("options".to_owned(), "-c x=1".to_owned()),
                ("sslmode".to_owned(), String::new()),
            ]
        );
        assert_eq!(percent_encode("a b:c/é~-._"), "a%20b%3Ac%2F%C3%A9~-._");
    }

    #[test]
    fn dialect_follows_the_scheme() {
        assert_eq!(
            DatabaseUrl::new("postgresql://h/db").dialect(),
            Some(Dialect::Postgres)
        );
        assert_eq!(
            DatabaseUrl::new("sqlite:app.db").dialect(),
            Some(Dialect::Sqlite)
        );
        assert_eq!(DatabaseUrl::new("mysql://h/db").dialect(), None);
    }

    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn problem(url: &str) -> String {
        DatabaseUrl::new(url).check().expect_err(url).to_string()
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn misspelled_tls_parameters_are_refused_with_the_right_spelling() {
        for key in ["SSLMODE", "sslMode", "ssl_mode", "SSL-MODE"] {
            let text = problem(&format!("postgres://u:pw@h/db?{key}=require"));
            assert!(
                text.contains(&format!("`{key}`")) && text.contains("did you mean `sslmode`?"),
                "{text}"
            );
            assert!(text.contains("possibly unencrypted"), "{text}");
            assert!(text.starts_with("postgres://u:***@h/db?"), "{text}");
        }
        let text = problem("postgres://h/db?ssl=true");
        assert!(text.contains("`sslmode=require`"), "{text}");
        let text = problem("postgres://h/db?sslmdoe=require");
        assert!(text.contains("did you mean `sslmode`?"), "{text}");
        let text = problem("postgres://h/db?connect_timeout=5");
        assert!(text.contains("libpq's"), "{text}");
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn a_password_parameter_is_named_but_its_value_never() {
        let text = problem("postgres://u@h/db?passwd=hunter2");
        assert!(text.contains("`passwd`"), "{text}");
        assert!(text.contains("did you mean `password`?"), "{text}");
        assert!(!text.contains("hunter2"), "{text}");
        // A key that is not a plain name is not shown either.
        let text = problem("postgres://u@h/db?hunter2:secret");
        assert!(!text.contains("hunter2"), "{text}");
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn known_parameters_pass() {
        for url in [
            "postgres://u:pw@h:5432/db?sslmode=verify-full&sslrootcert=/ca.crt&application_name=x&options[search_path]=a",
            "postgresql://h/db?ssl-mode=require&statement-cache-capacity=10&host=%2Ftmp",
            "sqlite://app.db?mode=rwc&cache=shared",
            "sqlite::memory:",
            "sqlite:////tmp/app.db",
            "postgres://host/db?application_name=a:b@c",
        ] {
            DatabaseUrl::new(url).check().expect(url);
        }
        let text = problem("sqlite://app.db?mdoe=rwc");
        assert!(text.contains("did you mean `mode`?"), "{text}");
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn raw_at_or_slash_in_the_password_asks_for_percent_encoding() {
        for url in [
            "postgres://u:p@ss@h/db",
            "postgres://u:pa/ss@h/db",
            "postgres://u:p#ss@h/db",
        ] {
            let text = problem(url);
            assert!(text.contains("percent-encode the password"), "{text}");
            assert!(!text.contains("ss@h"), "{text}");
        }
        DatabaseUrl::new("postgres://u:p%40ss@h/db")
            .check()
            .unwrap();
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn a_driver_in_the_scheme_gets_a_hint() {
        let text = problem("postgresql+psycopg2://u:pw@h/db");
        assert!(
            text.contains("drop the driver part: postgresql://"),
            "{text}"
        );
        assert!(!text.contains(":pw@"), "{text}");
        let text = problem("mysql://h/db");
        assert!(
            text.contains("unsupported database URL scheme `mysql`"),
            "{text}"
        );
    }

    #[test]
    #[cfg(all(feature = "postgres", feature = "sqlite"))]
    fn three_slashes_at_the_root_are_refused() {
        let text = problem("sqlite:///app.db");
        assert!(text.contains("write `sqlite://app.db`"), "{text}");
        let text = problem("sqlite:///no-such-dir-here/app.db");
        assert!(text.contains("does not exist"), "{text}");
        DatabaseUrl::new("sqlite:///tmp/app.db").check().unwrap();
        DatabaseUrl::new("sqlite://app.db").check().unwrap();
    }

    #[test]
    #[cfg(feature = "postgres")]
    fn require_with_a_root_certificate_verifies_the_ca() {
        use sqlx::postgres::PgSslMode;
        let options = DatabaseUrl::new("postgres://h/db?sslmode=require&sslrootcert=/ca.crt")
            .pg_connect_options()
            .unwrap();
        assert!(matches!(options.get_ssl_mode(), PgSslMode::VerifyCa));
        let options = DatabaseUrl::new("postgres://h/db?sslmode=verify-full&sslrootcert=/ca.crt")
            .pg_connect_options()
            .unwrap();
        assert!(matches!(options.get_ssl_mode(), PgSslMode::VerifyFull));
    }
}
