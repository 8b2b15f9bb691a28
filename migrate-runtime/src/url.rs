//! Database URLs whose password never reaches a message.

use std::fmt;

use migrate_core::Dialect;

/// A database connection URL that keeps its password out of every message.
///
/// `Display` and `Debug` print the URL with the password replaced by `***`
/// (in the user-info part and in a `password=` query parameter), and
/// [`scrub`](DatabaseUrl::scrub) removes the password from any other text,
/// such as a driver's error message. Only [`expose`](DatabaseUrl::expose)
/// returns the real URL, to hand to a driver.
///
/// ```
/// use migrate_runtime::DatabaseUrl;
///
/// let url = DatabaseUrl::new("postgres://app:s3cret@db.internal:5432/shop");
/// assert_eq!(url.to_string(), "postgres://app:***@db.internal:5432/shop");
/// assert_eq!(format!("{url:?}"), "DatabaseUrl(\"postgres://app:***@db.internal:5432/shop\")");
/// assert_eq!(url.scrub("login with s3cret failed"), "login with *** failed");
/// assert_eq!(url.expose(), "postgres://app:s3cret@db.internal:5432/shop");
/// ```
#[derive(Clone, PartialEq, Eq)]
pub struct DatabaseUrl {
    url: String,
    /// The password as written and percent-decoded, longest first (so that
    /// scrubbing the longer form does not leave part of it behind).
    secrets: Vec<String>,
}

impl DatabaseUrl {
    /// Wraps a URL such as `postgres://user:pw@host/db` or `sqlite://app.db`.
    ///
    /// Nothing is validated here: the driver does that when it connects, and
    /// its error goes through [`scrub`](DatabaseUrl::scrub).
    pub fn new(url: impl Into<String>) -> DatabaseUrl {
        let url = url.into();
        let mut secrets = Vec::new();
        for raw in find_passwords(&url) {
            let decoded = percent_decode(raw);
            for s in [raw.to_owned(), decoded] {
                if !s.is_empty() && !secrets.contains(&s) {
                    secrets.push(s);
                }
            }
        }
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        DatabaseUrl { url, secrets }
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
        let mut built = DatabaseUrl::new(url);
        // The password as given is a secret too, whatever its encoding.
        if let Some(p) = password.filter(|p| !p.is_empty())
            && !built.secrets.iter().any(|s| s == p)
        {
            built.secrets.push(p.to_owned());
            built.secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
        built
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
        match self.scheme().as_str() {
            "postgres" | "postgresql" => Some(Dialect::Postgres),
            "sqlite" => Some(Dialect::Sqlite),
            _ => None,
        }
    }

    /// Does the URL carry a password?
    pub fn has_password(&self) -> bool {
        !self.secrets.is_empty()
    }

    /// The URL with its password replaced by `***`.
    pub fn redacted(&self) -> String {
        let mut out = self.url.clone();
        if let Some((start, end)) = userinfo_password(&self.url) {
            out.replace_range(start..end, "***");
        }
        let out = redact_query_password(&out);
        self.scrub(&out)
    }

    /// `text` with every occurrence of the password (as written in the URL
    /// and percent-decoded) replaced by `***`. Use it on any message that
    /// may quote the URL, such as a driver's connection error.
    pub fn scrub(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.secrets {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), "***");
            }
        }
        out
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

/// Byte range of the password in `scheme://user:password@host…`.
///
/// The user info ends at the *last* `@` before the query: a password with a
/// raw `@` or `/` in it is still found, at worst together with more of the
/// URL, which is then redacted too (never less).
fn userinfo_password(url: &str) -> Option<(usize, usize)> {
    let start = url.find("://")? + 3;
    let rest = &url[start..];
    let end = rest.find(['?', '#']).unwrap_or(rest.len());
    let at = rest[..end].rfind('@')?;
    let colon = rest[..at].find(':')?;
    Some((start + colon + 1, start + at))
}

/// Passwords as written: in the user info and in `password=` parameters.
fn find_passwords(url: &str) -> Vec<&str> {
    let mut found = Vec::new();
    if let Some((start, end)) = userinfo_password(url) {
        found.push(&url[start..end]);
    }
    if let Some(q) = url.find('?') {
        for pair in url[q + 1..].split(['&', '#']) {
            if let Some((key, value)) = pair.split_once('=')
                && key.eq_ignore_ascii_case("password")
            {
                found.push(value);
            }
        }
    }
    found
}

fn redact_query_password(url: &str) -> String {
    let Some(q) = url.find('?') else {
        return url.to_owned();
    };
    let pairs: Vec<String> = url[q + 1..]
        .split('&')
        .map(|pair| match pair.split_once('=') {
            Some((key, _)) if key.eq_ignore_ascii_case("password") => format!("{key}=***"),
            _ => pair.to_owned(),
        })
        .collect();
    format!("{}?{}", &url[..q], pairs.join("&"))
}

fn percent_encode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            let hex = std::str::from_utf8(&bytes[i + 1..i + 3]).ok();
            if let Some(b) = hex.and_then(|h| u8::from_str_radix(h, 16).ok()) {
                out.push(b);
                i += 3;
                continue;
            }
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
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
            "sqlite://app.db?mode=rwc",
            "sqlite::memory:",
        ] {
            let url = DatabaseUrl::new(plain);
            assert_eq!(url.to_string(), plain);
            assert!(!url.has_password());
        }
    }

    #[test]
    fn password_with_at_sign_and_slash_is_redacted_whole() {
        let url = DatabaseUrl::new("postgres://u:a@b/c@host/db");
        let shown = url.to_string();
        assert!(!shown.contains("a@b/c"), "{shown}");
        assert!(shown.starts_with("postgres://u:***@"), "{shown}");
    }

    #[test]
    fn query_password_is_redacted() {
        let url = DatabaseUrl::new("postgres://host/db?user=u&password=topsecret&sslmode=require");
        assert_eq!(
            url.to_string(),
            "postgres://host/db?user=u&password=***&sslmode=require"
        );
        assert_eq!(url.scrub("x topsecret y"), "x *** y");
    }

    #[test]
    fn scrub_removes_encoded_and_decoded_forms() {
        let url = DatabaseUrl::new("postgres://u:p%40ss%2Fw0rd@h/db");
        assert_eq!(
            url.scrub("raw p%40ss%2Fw0rd and decoded p@ss/w0rd"),
            "raw *** and decoded ***"
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
        assert_eq!(url.scrub("a b:c"), "***");
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
}
