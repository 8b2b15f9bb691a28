//! Versioned checksums of a revision's upgrade SQL.
//!
//! A checksum is stored as `v<version>:<hex>`. The version names the
//! algorithm, so that every value already stored in deployed databases
//! keeps verifying after a release adds a new one ([`verify`] dispatches on
//! the prefix).
//!
//! - `v2` (what [`checksum`] writes) is SHA-256 over the section's *tokens*:
//!   comments are dropped and whitespace between tokens does not count, so
//!   editing a comment, re-indenting or re-wrapping an applied revision is
//!   not drift. Everything else is kept byte for byte: words (keywords keep
//!   their case), numbers, operators, punctuation, and the whole text of
//!   every quoted form (`'…'`, `E'…'`, `"…"`, `` `…` ``, `$tag$…$tag$`), so a
//!   changed literal, identifier or function body is drift.
//! - `v1` (written before `v2`) is SHA-256 over the text after removing a
//!   UTF-8 BOM, turning CRLF/CR into LF, removing trailing whitespace on
//!   every line and blank lines at the start and the end.
//!
//! Only the upgrade section counts: fixing a downgrade or a header message of
//! an applied revision is not drift. The golden vectors in the tests pin both
//! versions forever.

use sha2::{Digest, Sha256};

/// The algorithm version [`checksum`] produces.
pub const CURRENT_VERSION: u32 = 2;

/// Checksum of an upgrade section with the current algorithm.
///
/// ```
/// let a = migrate_core::checksum::checksum("CREATE TABLE t (id INT); -- the table\n");
/// let b = migrate_core::checksum::checksum("CREATE TABLE t (\n    id INT\n);\n");
/// let c = migrate_core::checksum::checksum("CREATE TABLE t (id BIGINT);\n");
/// assert_eq!(a, b);
/// assert_ne!(a, c);
/// assert!(a.starts_with("v2:"));
/// ```
pub fn checksum(upgrade_sql: &str) -> String {
    v2(upgrade_sql)
}

/// The checksum the previous algorithm (`v1`) gives the same SQL: what a
/// history written before `v2` holds for an unedited revision.
///
/// ```
/// let v1 = migrate_core::checksum::checksum_v1("SELECT 1;");
/// assert!(v1.starts_with("v1:"));
/// assert_eq!(migrate_core::checksum::verify(&v1, "SELECT 1;"), Some(true));
/// ```
pub fn checksum_v1(upgrade_sql: &str) -> String {
    v1(upgrade_sql)
}

/// Does `stored` (a checksum read from a database) match `upgrade_sql`?
///
/// Returns `None` when `stored` uses an algorithm this version does not know.
pub fn verify(stored: &str, upgrade_sql: &str) -> Option<bool> {
    let (version, _) = stored.split_once(':')?;
    match version {
        "v1" => Some(v1(upgrade_sql) == stored),
        "v2" => Some(v2(upgrade_sql) == stored),
        _ => None,
    }
}

fn v1(sql: &str) -> String {
    let sql = sql.strip_prefix('\u{feff}').unwrap_or(sql);
    let lines: Vec<&str> = sql
        .split('\n')
        .map(|l| l.trim_end_matches('\r').trim_end())
        .collect();
    let first = lines.iter().position(|l| !l.is_empty());
    let mut hasher = Sha256::new();
    if let Some(first) = first {
        let last = lines.iter().rposition(|l| !l.is_empty()).unwrap_or(first);
        for (i, line) in lines[first..=last].iter().enumerate() {
            if i > 0 {
                hasher.update(b"\n");
            }
            hasher.update(line.as_bytes());
        }
    }
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v1:");
    push_hex(&mut out, &hasher.finalize());
    out
}

fn v2(sql: &str) -> String {
    let mut hasher = Sha256::new();
    for token in tokens(sql) {
        // Each token with its length, so that no two token lists hash alike.
        hasher.update((token.len() as u64).to_le_bytes());
        hasher.update(token.as_bytes());
    }
    let mut out = String::with_capacity(3 + 64);
    out.push_str("v2:");
    push_hex(&mut out, &hasher.finalize());
    out
}

/// The tokens of `sql`, comments and whitespace left out. A word or number
/// is a run of letters, digits, `_`, `$` and non-ASCII characters (a number
/// also takes its `.`); an operator is a run of operator characters (`::`,
/// `<=`, `->>` are one token each); any other character is a token alone; a
/// quoted form is one token, quotes included. A BOM counts as whitespace.
fn tokens(sql: &str) -> impl Iterator<Item = &str> {
    const OPERATOR: &[u8] = b"+-*/<>=~!@#%^&|?:";
    let bytes = sql.as_bytes();
    let mut i = 0;
    std::iter::from_fn(move || {
        loop {
            let b = *bytes.get(i)?;
            let start = i;
            if b.is_ascii_whitespace() || b == 0x0b {
                i += 1;
                continue;
            }
            if sql[i..].starts_with('\u{feff}') {
                i += '\u{feff}'.len_utf8();
                continue;
            }
            if b == b'-' && bytes.get(i + 1) == Some(&b'-') {
                i = sql[i..].find('\n').map_or(bytes.len(), |n| i + n);
                continue;
            }
            if b == b'/' && bytes.get(i + 1) == Some(&b'*') {
                i = crate::sql::skip_block_comment(bytes, i);
                continue;
            }
            let word = |c: u8| c.is_ascii_alphanumeric() || c == b'_' || c == b'$' || c >= 0x80;
            i = if b.is_ascii_digit()
                || (b == b'.' && bytes.get(i + 1).is_some_and(u8::is_ascii_digit))
            {
                let mut j = i + 1;
                while j < bytes.len() && (word(bytes[j]) || bytes[j] == b'.') {
                    j += 1;
                }
                j
            } else if (b == b'E' || b == b'e') && bytes.get(i + 1) == Some(&b'\'') {
                crate::sql::skip_quoted(bytes, i + 1, b'\'', true)
            } else if b.is_ascii_alphabetic() || b == b'_' || b >= 0x80 {
                let mut j = i + 1;
                while j < bytes.len() && word(bytes[j]) {
                    j += 1;
                }
                j
            } else if b == b'\'' || b == b'"' || b == b'`' {
                crate::sql::skip_quoted(bytes, i, b, false)
            } else if b == b'$' {
                match crate::syntax::dollar_tag(bytes, i) {
                    Some(tag_end) => {
                        let tag = &sql[i..tag_end];
                        sql[tag_end..]
                            .find(tag)
                            .map_or(bytes.len(), |n| tag_end + n + tag.len())
                    }
                    None => {
                        let mut j = i + 1;
                        while j < bytes.len() && word(bytes[j]) {
                            j += 1;
                        }
                        j
                    }
                }
            } else if OPERATOR.contains(&b) {
                let mut j = i + 1;
                // A comment starts a new token, even right after an operator.
                while j < bytes.len()
                    && OPERATOR.contains(&bytes[j])
                    && !(bytes[j] == b'-' && bytes.get(j + 1) == Some(&b'-'))
                    && !(bytes[j] == b'/' && bytes.get(j + 1) == Some(&b'*'))
                {
                    j += 1;
                }
                j
            } else {
                // One character, whole (it may be a multi-byte one).
                i + sql[i..].chars().next().map_or(1, char::len_utf8)
            };
            return Some(&sql[start..i]);
        }
    })
}

fn push_hex(out: &mut String, digest: &[u8]) {
    for &byte in digest {
        out.push(char::from(b"0123456789abcdef"[usize::from(byte >> 4)]));
        out.push(char::from(b"0123456789abcdef"[usize::from(byte & 15)]));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // Golden vectors: these values are stored in deployed databases and must never change.
    #[test]
    fn v1_golden_vectors() {
        assert_eq!(
            v1(""),
            "v1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            v1("CREATE TABLE t (id INT);"),
            "v1:f423e61fbd021a13b6ae0afb423f2da5c3cf7cc0647ddb7348266dbfd281d6fe"
        );
    }

    #[test]
    fn line_endings_bom_and_trailing_space_do_not_matter() {
        let base = v1("CREATE TABLE t (\n  id INT\n);");
        assert_eq!(
            base,
            v1("\n\nCREATE TABLE t (\r\n  id INT   \r\n);\r\n\r\n")
        );
        assert_eq!(base, v1("\u{feff}CREATE TABLE t (\n  id INT\n);\n"));
        assert_ne!(base, v1("CREATE TABLE t (\n  id BIGINT\n);"));
    }

    #[test]
    fn verify_dispatches_on_version() {
        let sql = "SELECT 1;";
        for stored in [v1(sql), checksum(sql)] {
            assert_eq!(verify(&stored, sql), Some(true));
            assert_eq!(verify(&stored, "SELECT 2;"), Some(false));
        }
        // A v1 history keeps verifying after a comment-only edit only if
        // v1 says so: it does not (`stamp --accept-checksum` records the edit).
        assert_eq!(verify(&v1(sql), "SELECT 1; -- one"), Some(false));
        assert_eq!(verify(&checksum(sql), "SELECT 1; -- one"), Some(true));
        assert_eq!(verify("v9:abc", sql), None);
        assert_eq!(verify("garbage", sql), None);
    }

    // Golden vectors: these values are stored in deployed databases and must never change.
    #[test]
    fn v2_golden_vectors() {
        assert_eq!(
            checksum(""),
            "v2:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(checksum("CREATE TABLE t (id INT);"), V2_TABLE);
    }

    const V2_TABLE: &str = "v2:e94328038f129cb5444bf30840ab9bdb9f8e6ae5e60ca0bb67f6a0546d072289";

    fn words(sql: &str) -> Vec<&str> {
        tokens(sql).collect()
    }

    #[test]
    fn tokens_keep_quoted_forms_whole_and_drop_comments() {
        assert_eq!(
            words("SELECT E'a\\'b', $f$ x -- y $f$, \"Q  q\" -- c\n/* d /* e */ */ x::int>=1.5e3;"),
            [
                "SELECT",
                "E'a\\'b'",
                ",",
                "$f$ x -- y $f$",
                ",",
                "\"Q  q\"",
                "x",
                "::",
                "int",
                ">=",
                "1.5e3",
                ";"
            ]
        );
        assert_eq!(words("a<--b\n+c"), ["a", "<", "+", "c"]);
        assert_eq!(words("$1 + é"), ["$1", "+", "é"]);
    }

    #[test]
    fn comments_and_layout_are_not_drift_and_any_token_is() {
        let base = checksum("CREATE TABLE t (\n  id INT,\n  name TEXT DEFAULT 'a  b'\n);\n");
        for same in [
            "CREATE TABLE t (id INT, name TEXT DEFAULT 'a  b');",
            "-- the users\nCREATE TABLE t ( -- one row per user\n\tid INT ,\n/* shown */ name TEXT DEFAULT 'a  b'\n) ;\n\n",
            "\u{feff}CREATE  TABLE t(id INT,name TEXT DEFAULT 'a  b');\r\n",
        ] {
            assert_eq!(base, checksum(same), "{same}");
        }
        for different in [
            "CREATE TABLE t (id INT, name TEXT DEFAULT 'a b');",
            "CREATE TABLE t (id BIGINT, name TEXT DEFAULT 'a  b');",
            "create table t (id INT, name TEXT DEFAULT 'a  b');",
            "CREATE TABLE \"t\" (id INT, name TEXT DEFAULT 'a  b');",
            "CREATE TABLE t (id INT, name TEXT DEFAULT 'a  b')",
        ] {
            assert_ne!(base, checksum(different), "{different}");
        }
        // A function body is a quoted text: a comment inside it is kept.
        assert_ne!(
            checksum("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 $$ LANGUAGE sql;"),
            checksum("CREATE FUNCTION f() RETURNS int AS $$ SELECT 1 -- one\n $$ LANGUAGE sql;")
        );
        // Two operators are not one.
        assert_ne!(checksum("SELECT a <= b;"), checksum("SELECT a < = b;"));
    }
}
