//! Versioned checksums of a revision's upgrade SQL.
//!
//! A checksum is stored as `v<version>:<hex>`. The version names the
//! algorithm, so a later release can add `v2` and still verify every `v1`
//! value already stored in deployed databases ([`verify`] dispatches on the
//! prefix). `v1` is SHA-256 over the upgrade section after:
//! - removing a UTF-8 BOM and turning CRLF/CR line endings into LF,
//! - removing trailing whitespace on every line,
//! - removing blank lines at the start and the end.
//!
//! Only the upgrade section counts: fixing a downgrade or a header message of
//! an applied revision is not drift. The golden vectors in the tests pin `v1`
//! forever.

use sha2::{Digest, Sha256};

/// The algorithm version [`checksum`] produces.
pub const CURRENT_VERSION: u32 = 1;

/// Checksum of an upgrade section with the current algorithm.
///
/// ```
/// let a = migrate_core::checksum::checksum("CREATE TABLE t (id INT);\n");
/// let b = migrate_core::checksum::checksum("\u{feff}CREATE TABLE t (id INT);  \r\n\r\n");
/// assert_eq!(a, b);
/// assert!(a.starts_with("v1:"));
/// ```
pub fn checksum(upgrade_sql: &str) -> String {
    v1(upgrade_sql)
}

/// Does `stored` (a checksum read from a database) match `upgrade_sql`?
///
/// Returns `None` when `stored` uses an algorithm this version does not know.
pub fn verify(stored: &str, upgrade_sql: &str) -> Option<bool> {
    let (version, _) = stored.split_once(':')?;
    match version {
        "v1" => Some(v1(upgrade_sql) == stored),
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
            checksum(""),
            "v1:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
        assert_eq!(
            checksum("CREATE TABLE t (id INT);"),
            "v1:f423e61fbd021a13b6ae0afb423f2da5c3cf7cc0647ddb7348266dbfd281d6fe"
        );
    }

    #[test]
    fn line_endings_bom_and_trailing_space_do_not_matter() {
        let base = checksum("CREATE TABLE t (\n  id INT\n);");
        assert_eq!(
            base,
            checksum("\n\nCREATE TABLE t (\r\n  id INT   \r\n);\r\n\r\n")
        );
        assert_eq!(base, checksum("\u{feff}CREATE TABLE t (\n  id INT\n);\n"));
        assert_ne!(base, checksum("CREATE TABLE t (\n  id BIGINT\n);"));
    }

    #[test]
    fn verify_dispatches_on_version() {
        let sql = "SELECT 1;";
        assert_eq!(verify(&checksum(sql), sql), Some(true));
        assert_eq!(verify(&checksum(sql), "SELECT 2;"), Some(false));
        assert_eq!(verify("v9:abc", sql), None);
        assert_eq!(verify("garbage", sql), None);
    }
}
