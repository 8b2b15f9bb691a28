//! One migration file: its header and its upgrade/downgrade sections.

use crate::checksum;
use crate::error::Error;
use crate::sql;
pub use crate::sql::{NO_CHECK_MARKER, Section};

/// The keys a header may contain.
pub const HEADER_KEYS: &[&str] = &[
    "revision",
    "down_revision",
    "message",
    "create_date",
    "branch_labels",
    "depends_on",
    "transactional",
    "lock_timeout",
    "lock_retries",
    "data_only",
    "replaces",
];

/// The most attempts after the first that `lock_retries` may ask for.
pub const MAX_LOCK_RETRIES: u32 = 100;

/// Reads a duration written as a whole number and a unit: `500ms`, `2s`,
/// `1min` (a space before the unit is allowed), or `0`/`none` for none at
/// all ([`Duration::ZERO`]). At most a day.
///
/// ```
/// use std::time::Duration;
/// use migrate_core::parse_duration;
/// assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
/// assert_eq!(parse_duration("250 ms"), Some(Duration::from_millis(250)));
/// assert_eq!(parse_duration("none"), Some(Duration::ZERO));
/// assert_eq!(parse_duration("2"), None); // a unit is required
/// ```
pub fn parse_duration(text: &str) -> Option<std::time::Duration> {
    let text = text.trim();
    if text == "0" || text.eq_ignore_ascii_case("none") {
        return Some(std::time::Duration::ZERO);
    }
    let digits = text.bytes().take_while(u8::is_ascii_digit).count();
    let number: u64 = text[..digits].parse().ok()?;
    let millis = match text[digits..].trim_start() {
        "ms" => number,
        "s" => number.checked_mul(1000)?,
        "min" => number.checked_mul(60_000)?,
        _ => return None,
    };
    (millis <= 86_400_000).then(|| std::time::Duration::from_millis(millis))
}

/// Marker line that opens the upgrade section.
pub const UPGRADE_MARKER: &str = "-- migrate:upgrade";
/// Marker line that opens the downgrade section.
pub const DOWNGRADE_MARKER: &str = "-- migrate:downgrade";
/// Line in a downgrade section that says it is empty on purpose: the
/// upgrade changes nothing a downgrade has to undo (Alembic's `pass`).
pub const NO_OP_MARKER: &str = "-- migrate:no-op";

/// Is `id` a valid revision id (`[A-Za-z0-9_]+`, at most 64 characters)?
///
/// ```
/// assert!(migrate_core::is_valid_revision_id("955bb0742a21"));
/// assert!(!migrate_core::is_valid_revision_id("95-5b"));
/// ```
pub fn is_valid_revision_id(id: &str) -> bool {
    !id.is_empty() && id.len() <= 64 && id.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

/// Line numbers of the header keys that other checks point at (0 when absent).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct HeaderLines {
    /// `revision:`
    pub revision: u32,
    /// `down_revision:`
    pub down_revision: u32,
    /// `depends_on:`
    pub depends_on: u32,
    /// `branch_labels:`
    pub branch_labels: u32,
    /// `replaces:`
    pub replaces: u32,
}

/// The header of a migration file: the `-- key: value` lines above the first section.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// This revision's id.
    pub revision: String,
    /// Parent revisions: none for a root, several for a merge.
    pub down_revision: Vec<String>,
    /// Revisions that must be applied first without being parents.
    pub depends_on: Vec<String>,
    /// Branch labels, for `LABEL@head` targets and independent branches.
    pub branch_labels: Vec<String>,
    /// Human description.
    pub message: Option<String>,
    /// When the file was created, as written.
    pub create_date: Option<String>,
    /// `false` runs the revision outside a transaction, statement by statement.
    pub transactional: bool,
    /// PostgreSQL: the `lock_timeout` each attempt of the revision runs
    /// with ([`Duration::ZERO`](std::time::Duration::ZERO): none, even when
    /// `migrate.toml` sets a default); `None` when the header does not say.
    pub lock_timeout: Option<std::time::Duration>,
    /// How many times the revision is tried again after failing to get a
    /// lock in time; `None` when the header does not say.
    pub lock_retries: Option<u32>,
    /// A Rust revision that changes rows, not the schema (`data_only:
    /// true`): the build's replay and schema fold go on past it instead of
    /// stopping there. Read for Rust revisions only.
    pub data_only: bool,
    /// The revisions this checkpoint replaces (`replaces:`, written by
    /// `migrate squash`), in the order they apply; empty for an ordinary
    /// revision. A fresh database applies the checkpoint; one that applied
    /// some of them goes on along them and is then recorded at the
    /// checkpoint.
    pub replaces: Vec<String>,
    /// Where the keys are, for error messages.
    pub lines: HeaderLines,
}

/// A parsed migration file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revision {
    /// The file's path as it is shown in messages.
    pub path: String,
    /// The file name alone.
    pub file_name: String,
    /// The header.
    pub header: Header,
    /// The upgrade section.
    pub upgrade: Section,
    /// The downgrade section; `None` makes the revision irreversible.
    pub downgrade: Option<Section>,
    /// Versioned checksum of the upgrade SQL (see [`checksum`](crate::checksum)),
    /// or of the whole file for a Rust revision.
    pub checksum: String,
    /// SQL, or Rust code the application's build compiles.
    pub kind: RevisionKind,
}

/// What a revision's file holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum RevisionKind {
    /// A `.sql` file: its sections are the statements to run.
    #[default]
    Sql,
    /// A `.rs` file: async `upgrade` (and optionally `downgrade`)
    /// functions that `embed_migrations!` compiles into the application;
    /// its sections hold no SQL.
    Rust,
}

impl Revision {
    /// The revision id.
    pub fn id(&self) -> &str {
        &self.header.revision
    }
}

/// Removes a UTF-8 BOM and turns CRLF (and lone CR) line endings into LF.
pub fn normalize_text(text: &str) -> String {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if !text.contains('\r') {
        return text.to_owned();
    }
    text.replace("\r\n", "\n").replace('\r', "\n")
}

/// Parses the text of one migration file. `path` is used in messages only.
///
/// All problems of the file are returned together. SQL is split into
/// statements but not validated here; see [`sql::check_section`].
///
/// ```
/// let text = "-- revision: a1\n-- down_revision: none\n\n-- migrate:upgrade\nCREATE TABLE t (id INT);\n\n-- migrate:downgrade\nDROP TABLE t;\n";
/// let rev = migrate_core::parse_revision("migrations/2025_01_01_0000-a1_t.sql", text).unwrap();
/// assert_eq!(rev.id(), "a1");
/// assert_eq!(rev.upgrade.statements[0].line, 5);
/// ```
pub fn parse_revision(path: &str, text: &str) -> Result<Revision, Vec<Error>> {
    let text = normalize_text(text);
    let mut errors = Vec::new();
    let mut fields: Vec<(&'static str, u32, String)> = Vec::new();
    // Keys whose value held a control character (already reported).
    let mut controlled: Vec<&'static str> = Vec::new();

    #[derive(PartialEq, Clone, Copy)]
    enum Part {
        Header,
        Upgrade,
        Downgrade,
    }
    let mut part = Part::Header;
    // After a misplaced marker the lines below it are the user's SQL, not
    // more problems: report the marker only.
    let mut misplaced_marker = false;
    // (start byte, first line) of each section body.
    let mut upgrade_body: Option<(usize, u32)> = None;
    let mut downgrade_body: Option<(usize, u32)> = None;
    let mut upgrade_end = text.len();
    // Line of the downgrade marker and of a `-- migrate:no-op` in its section.
    let mut downgrade_marker_line = 0u32;
    let mut no_op_line: Option<u32> = None;

    let mut offset = 0usize;
    for (index, raw_line) in text.split_inclusive('\n').enumerate() {
        let line_no = index as u32 + 1;
        let line_start = offset;
        offset += raw_line.len();
        let line = raw_line.trim_end_matches('\n').trim();

        if let Some(rest) = line.strip_prefix("-- migrate:") {
            let word = rest.split_whitespace().next().unwrap_or("");
            match word {
                "upgrade" => {
                    if part == Part::Header {
                        part = Part::Upgrade;
                        upgrade_body = Some((offset, line_no + 1));
                    } else {
                        errors.push(Error::BadMarker {
                            path: path.to_owned(),
                            line: line_no,
                            problem: "second `-- migrate:upgrade` marker; a file has one upgrade section, remove this line".into(),
                        });
                    }
                    continue;
                }
                "downgrade" => {
                    match part {
                        Part::Upgrade => {
                            part = Part::Downgrade;
                            upgrade_end = line_start;
                            downgrade_body = Some((offset, line_no + 1));
                            downgrade_marker_line = line_no;
                        }
                        Part::Header => {
                            misplaced_marker = true;
                            errors.push(Error::BadMarker {
                                path: path.to_owned(),
                                line: line_no,
                                problem: "`-- migrate:downgrade` before `-- migrate:upgrade`; put the upgrade section first".into(),
                            })
                        }
                        Part::Downgrade => errors.push(Error::BadMarker {
                            path: path.to_owned(),
                            line: line_no,
                            problem: "second `-- migrate:downgrade` marker; a file has one downgrade section, remove this line".into(),
                        }),
                    }
                    continue;
                }
                "no-check" if part != Part::Header => continue,
                _ if word.starts_with("allow") && part != Part::Header => {
                    if let Err(problem) = crate::rule::parse_allow(&rest[5..]) {
                        errors.push(Error::BadMarker {
                            path: path.to_owned(),
                            line: line_no,
                            problem,
                        });
                    }
                    continue;
                }
                "no-op" if part == Part::Downgrade => {
                    if no_op_line.is_none() {
                        no_op_line = Some(line_no);
                    }
                    continue;
                }
                "no-op" => {
                    errors.push(Error::BadMarker {
                        path: path.to_owned(),
                        line: line_no,
                        problem: "`-- migrate:no-op` outside the downgrade section; it marks a downgrade that undoes nothing, move it below `-- migrate:downgrade` or remove it".into(),
                    });
                    continue;
                }
                _ => {
                    errors.push(Error::BadMarker {
                        path: path.to_owned(),
                        line: line_no,
                        problem: format!(
                            "unknown marker `-- migrate:{word}`; the markers are `-- migrate:upgrade`, `-- migrate:downgrade`, `-- migrate:no-check` and `-- migrate:allow(rule)` (inside a section) and `-- migrate:no-op` (inside the downgrade section)"
                        ),
                    });
                    continue;
                }
            }
        }

        let key_value = header_key_value(line);
        if part != Part::Header {
            if let Some((key, _)) = key_value
                && matches!(
                    key,
                    "revision" | "down_revision" | "depends_on" | "branch_labels"
                )
            {
                errors.push(Error::HeaderAfterSection {
                    path: path.to_owned(),
                    line: line_no,
                    key: key.to_owned(),
                });
            }
            continue;
        }

        if line.is_empty() {
            continue;
        }
        if !line.starts_with("--") {
            if misplaced_marker {
                continue;
            }
            errors.push(Error::SqlBeforeSection {
                path: path.to_owned(),
                line: line_no,
            });
            continue;
        }
        let Some((key, value)) = key_value else {
            continue; // a free comment
        };
        let Some(known) = HEADER_KEYS.iter().copied().find(|k| *k == key) else {
            // A key that looks like a typo of a known one is an error; anything
            // else is an ordinary comment (`-- note: ...`).
            // `retries` alone reads as the retry count too.
            let near =
                |k: &&str| edit_distance(k, key) <= 2 || (key == "retries" && *k == "lock_retries");
            if let Some(suggestion) = HEADER_KEYS.iter().copied().find(near) {
                errors.push(Error::UnknownHeaderKey {
                    path: path.to_owned(),
                    line: line_no,
                    key: key.to_owned(),
                    suggestion,
                });
            }
            continue;
        };
        if let Some((_, first, _)) = fields.iter().find(|(k, _, _)| *k == known) {
            errors.push(Error::DuplicateHeaderKey {
                path: path.to_owned(),
                line: line_no,
                first: *first,
                key: known.to_owned(),
            });
            continue;
        }
        // A tab may sit in a message; anything else (ESC, DEL, C1, a NUL)
        // would reach comments and terminals. Newlines cannot: they end
        // the header line. The value is dropped so that nothing checks it
        // again, but a missing-key error would be misleading.
        if crate::escape::find_control(value, known == "message").is_some() {
            errors.push(Error::HeaderControl {
                path: path.to_owned(),
                line: line_no,
                key: known,
                value: crate::escape::escape_control(value).into_owned(),
            });
            controlled.push(known);
            continue;
        }
        fields.push((known, line_no, value.to_owned()));
    }

    // A misspelled key was already reported with its correct spelling.
    let misspelled = |key: &str| {
        errors
            .iter()
            .any(|e| matches!(e, Error::UnknownHeaderKey { suggestion, .. } if *suggestion == key))
    };
    let revision_misspelled = misspelled("revision") || controlled.contains(&"revision");
    let down_misspelled = misspelled("down_revision") || controlled.contains(&"down_revision");
    let field = |key: &str| {
        fields
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, line, v)| (*line, v.as_str()))
    };

    let mut lines = HeaderLines::default();
    let revision = match field("revision") {
        Some((line, value)) => {
            lines.revision = line;
            if !is_valid_revision_id(value) {
                errors.push(Error::InvalidHeaderValue {
                    path: path.to_owned(),
                    line,
                    key: "revision",
                    value: value.to_owned(),
                    expected: "ids use only letters, digits and `_` (at most 64), e.g. `955bb0742a21`",
                });
            }
            value.to_owned()
        }
        None => {
            if !revision_misspelled {
                errors.push(Error::MissingHeaderKey {
                    path: path.to_owned(),
                    key: "revision",
                });
            }
            String::new()
        }
    };
    let id_list = |key: &'static str, errors: &mut Vec<Error>| -> (u32, Vec<String>) {
        let Some((line, value)) = field(key) else {
            return (0, Vec::new());
        };
        let list = parse_id_list(value);
        for id in &list {
            if !is_valid_revision_id(id) {
                errors.push(Error::InvalidHeaderValue {
                    path: path.to_owned(),
                    line,
                    key,
                    value: value.to_owned(),
                    expected: "expected `none` or a comma-separated list of revision ids (letters, digits, `_`)",
                });
                break;
            }
        }
        (line, list)
    };
    let (down_line, down_revision) = id_list("down_revision", &mut errors);
    if field("down_revision").is_none() && !down_misspelled {
        errors.push(Error::MissingHeaderKey {
            path: path.to_owned(),
            key: "down_revision",
        });
    }
    lines.down_revision = down_line;
    let (dep_line, depends_on) = id_list("depends_on", &mut errors);
    lines.depends_on = dep_line;
    let (label_line, branch_labels) = id_list("branch_labels", &mut errors);
    lines.branch_labels = label_line;
    let (replaces_line, replaces) = id_list("replaces", &mut errors);
    lines.replaces = replaces_line;
    let mut flag = |key: &'static str, default: bool| match field(key) {
        None => default,
        Some((_, v)) if v.eq_ignore_ascii_case("true") => true,
        Some((_, v)) if v.eq_ignore_ascii_case("false") => false,
        Some((line, v)) => {
            errors.push(Error::InvalidHeaderValue {
                path: path.to_owned(),
                line,
                key,
                value: v.to_owned(),
                expected: "expected `true` or `false`",
            });
            default
        }
    };
    let transactional = flag("transactional", true);
    let data_only = flag("data_only", false);

    let lock_timeout = field("lock_timeout").and_then(|(line, v)| {
        let parsed = parse_duration(v);
        if parsed.is_none() {
            errors.push(Error::InvalidHeaderValue {
                path: path.to_owned(),
                line,
                key: "lock_timeout",
                value: v.to_owned(),
                expected: "expected a duration with its unit, at most a day: `500ms`, `2s`, `1min`, or `none`",
            });
        }
        parsed
    });
    let lock_retries = field("lock_retries").and_then(|(line, v)| {
        let parsed = v.parse::<u32>().ok().filter(|&n| n <= MAX_LOCK_RETRIES);
        if parsed.is_none() {
            errors.push(Error::InvalidHeaderValue {
                path: path.to_owned(),
                line,
                key: "lock_retries",
                value: v.to_owned(),
                expected: "expected a whole number of attempts after the first, from 0 to 100",
            });
        }
        parsed
    });

    let file_name = path.rsplit(['/', '\\']).next().unwrap_or(path).to_owned();
    if !revision.is_empty() && is_valid_revision_id(&revision) && !file_name.contains(&revision) {
        errors.push(Error::FileNameWithoutRevision {
            path: path.to_owned(),
            revision: revision.clone(),
        });
    }

    let Some((up_start, up_line)) = upgrade_body else {
        errors.push(Error::MissingUpgrade {
            path: path.to_owned(),
        });
        return Err(errors);
    };
    if !errors.is_empty() {
        return Err(errors);
    }

    let upgrade = section(&text[up_start..upgrade_end.max(up_start)], up_line);
    let downgrade = downgrade_body.map(|(start, line)| section(&text[start..], line));
    if let Some(down) = &downgrade {
        // An empty downgrade under a non-empty upgrade would report the
        // revision reverted while undoing nothing; the next upgrade then
        // fails on what is still there. Empty on purpose says so.
        match no_op_line {
            None if down.statements.is_empty() && !upgrade.statements.is_empty() => {
                errors.push(Error::EmptyDowngrade {
                    path: path.to_owned(),
                    line: downgrade_marker_line,
                    revision: revision.clone(),
                });
            }
            Some(line) if !down.statements.is_empty() => {
                errors.push(Error::BadMarker {
                    path: path.to_owned(),
                    line,
                    problem: "`-- migrate:no-op` in a downgrade section that has SQL; remove the marker, or the SQL if nothing needs undoing".into(),
                });
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
    }
    let checksum = checksum::checksum(&upgrade.sql);
    Ok(Revision {
        path: path.to_owned(),
        file_name,
        header: Header {
            revision,
            down_revision,
            depends_on,
            branch_labels,
            message: field("message").map(|(_, v)| v.to_owned()),
            create_date: field("create_date").map(|(_, v)| v.to_owned()),
            transactional,
            lock_timeout,
            lock_retries,
            data_only,
            replaces,
            lines,
        },
        upgrade,
        downgrade,
        checksum,
        kind: RevisionKind::Sql,
    })
}

/// Parses a migration file by its name: a `.rs` file as a Rust revision
/// ([`parse_rust_revision`]), anything else as SQL ([`parse_revision`]).
pub fn parse_revision_file(path: &str, text: &str) -> Result<Revision, Vec<Error>> {
    if path.ends_with(".rs") {
        parse_rust_revision(path, text)
    } else {
        parse_revision(path, text)
    }
}

/// Parses a Rust revision (a `.rs` file). Its header is the block of `//`
/// comments at its top, with the keys of an SQL file's header
/// (`// revision: …`, `// down_revision: …`); the code below it is for
/// the compiler. The revision is reversible when the file defines a
/// `downgrade` function. Its checksum covers the whole file.
///
/// ```
/// let text = "// revision: a1\n// down_revision: none\n\npub async fn upgrade(db: &mut Db<'_>) -> Result { Ok(()) }\n";
/// let rev = migrate_core::parse_rust_revision("migrations/2025_01_01_0000-a1_t.rs", text).unwrap();
/// assert_eq!(rev.id(), "a1");
/// assert_eq!(rev.kind, migrate_core::RevisionKind::Rust);
/// assert!(rev.downgrade.is_none());
/// ```
pub fn parse_rust_revision(path: &str, text: &str) -> Result<Revision, Vec<Error>> {
    let text = normalize_text(text);
    // The header, line for line as an SQL file's, so that its errors name
    // the same lines; doc comments (`///`, `//!`) are not header lines.
    let mut header = String::new();
    for line in text.lines() {
        let trimmed = line.trim();
        match trimmed.strip_prefix("//") {
            Some(rest) if !rest.starts_with('/') && !rest.starts_with('!') => {
                header.push_str("--");
                header.push_str(rest);
            }
            Some(_) => {}
            None if trimmed.is_empty() => {}
            None => break,
        }
        header.push('\n');
    }
    header.push_str(UPGRADE_MARKER);
    header.push('\n');
    let mut revision = parse_revision(path, &header)?;
    if !defines_fn(&text, "upgrade") {
        return Err(vec![Error::RustWithoutUpgrade {
            path: path.to_owned(),
        }]);
    }
    let empty = section("", 1);
    revision.downgrade = defines_fn(&text, "downgrade").then(|| empty.clone());
    revision.upgrade = empty;
    revision.checksum = checksum::checksum_v1(&text);
    revision.kind = RevisionKind::Rust;
    Ok(revision)
}

/// Does the code define a function `name` (`fn name(` or `fn name<` on
/// a line that is not a comment)?
fn defines_fn(text: &str, name: &str) -> bool {
    text.lines()
        .map(str::trim_start)
        .filter(|l| !l.starts_with("//"))
        .any(|l| {
            l.split("fn ").skip(1).any(|after| {
                after
                    .strip_prefix(name)
                    .is_some_and(|rest| rest.trim_start().starts_with(['(', '<']))
            })
        })
}

fn section(sql: &str, first_line: u32) -> Section {
    Section {
        statements: sql::split_statements(sql, first_line),
        sql: sql.to_owned(),
        first_line,
    }
}

/// `-- key: value` with a lowercase `[a-z_]+` key, or `None`.
fn header_key_value(line: &str) -> Option<(&str, &str)> {
    let rest = line.strip_prefix("--")?.trim_start();
    let colon = rest.find(':')?;
    let key = &rest[..colon];
    if key.is_empty() || !key.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
        return None;
    }
    Some((key, rest[colon + 1..].trim()))
}

/// `none`, empty, or a comma-separated list (optionally in brackets or quotes,
/// as Alembic writes tuples).
fn parse_id_list(value: &str) -> Vec<String> {
    let value = value
        .trim()
        .trim_start_matches(['(', '['])
        .trim_end_matches([')', ']']);
    if value.is_empty() || value.eq_ignore_ascii_case("none") {
        return Vec::new();
    }
    value
        .split(',')
        .map(|s| s.trim().trim_matches(['\'', '"']).to_owned())
        .filter(|s| !s.is_empty())
        .collect()
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut cur = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let cost = usize::from(ca != *cb);
            cur.push((prev[j] + cost).min(prev[j + 1] + 1).min(cur[j] + 1));
        }
        prev = cur;
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = "-- revision: 955bb0742a21\n-- down_revision: none\n-- message: create products table\n-- create_date: 2025-09-30 16:36:12\n\n-- migrate:upgrade\nCREATE TABLE products (\n    id TEXT PRIMARY KEY\n);\n\n-- migrate:downgrade\nDROP TABLE products;\n";
    const PATH: &str = "migrations/2025_09_30_1636-955bb0742a21_create_products_table.sql";

    #[test]
    fn parses_header_and_sections_with_line_numbers() {
        let rev = parse_revision(PATH, GOOD).unwrap();
        assert_eq!(rev.header.revision, "955bb0742a21");
        assert!(rev.header.down_revision.is_empty());
        assert_eq!(rev.header.message.as_deref(), Some("create products table"));
        assert!(rev.header.transactional);
        assert_eq!(rev.upgrade.first_line, 7);
        assert_eq!(rev.upgrade.statements.len(), 1);
        assert_eq!(rev.upgrade.statements[0].line, 7);
        let down = rev.downgrade.unwrap();
        assert_eq!(down.statements[0].line, 12);
        assert_eq!(
            down.statement_sql(&down.statements[0]),
            "DROP TABLE products"
        );
    }

    #[test]
    fn crlf_and_bom_give_same_revision_and_checksum() {
        let crlf = format!("\u{feff}{}", GOOD.replace('\n', "\r\n"));
        let a = parse_revision(PATH, GOOD).unwrap();
        let b = parse_revision(PATH, &crlf).unwrap();
        assert_eq!(a, b);
    }

    #[test]
    fn merge_revision_lists_parents() {
        let text = "-- revision: m1\n-- down_revision: a1, b2\n-- migrate:upgrade\n";
        let rev = parse_revision("x/m1.sql", text).unwrap();
        assert_eq!(rev.header.down_revision, vec!["a1", "b2"]);
        assert!(rev.upgrade.statements.is_empty());
        assert!(rev.downgrade.is_none());
    }

    #[test]
    fn alembic_tuple_syntax_is_accepted() {
        let text = "-- revision: m1\n-- down_revision: ('a1', 'b2')\n-- migrate:upgrade\n";
        let rev = parse_revision("x/m1.sql", text).unwrap();
        assert_eq!(rev.header.down_revision, vec!["a1", "b2"]);
    }

    #[test]
    fn missing_keys_and_upgrade_are_all_reported() {
        let errors = parse_revision("x/a.sql", "-- message: hi\n").unwrap_err();
        let text: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(text.len(), 3, "{text:?}");
        assert!(text[0].contains("no `revision:` line"));
        assert!(text[1].contains("no `down_revision:` line"));
        assert!(text[2].contains("no `-- migrate:upgrade` section"));
    }

    #[test]
    fn misspelled_key_is_rejected_with_suggestion() {
        let text = "-- revision: a1\n-- down_revison: none\n-- migrate:upgrade\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert!(
            errors[0].to_string().contains(
                "x/a1.sql:2: unknown header key `down_revison`; did you mean `down_revision`?"
            ),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn free_comments_in_header_are_allowed() {
        let text = "-- revision: a1\n-- down_revision: none\n-- Note: this is a comment\n-- plain comment\n-- migrate:upgrade\n";
        assert!(parse_revision("x/a1.sql", text).is_ok());
    }

    #[test]
    fn duplicate_key_points_at_both_lines() {
        let text = "-- revision: a1\n-- revision: a2\n-- down_revision: none\n-- migrate:upgrade\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "x/a1.sql:2: header key `revision` appears twice (first on line 1); keep one"
        );
    }

    #[test]
    fn bad_revision_id_is_rejected() {
        let text = "-- revision: a-1\n-- down_revision: none\n-- migrate:upgrade\n";
        let errors = parse_revision("x/a-1.sql", text).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("x/a-1.sql:1: invalid revision `a-1`")
        );
    }

    #[test]
    fn header_after_section_is_rejected() {
        let text = "-- revision: a1\n-- migrate:upgrade\n-- down_revision: none\nSELECT 1;\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert!(
            all.iter().any(|e| e.starts_with(
                "x/a1.sql:3: header line `down_revision:` after the first section marker"
            )),
            "{all:?}"
        );
    }

    #[test]
    fn sql_before_marker_is_rejected() {
        let text = "-- revision: a1\n-- down_revision: none\nCREATE TABLE t (id int);\n-- migrate:upgrade\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert_eq!(
            errors[0].to_string(),
            "x/a1.sql:3: SQL before the `-- migrate:upgrade` marker; put the marker line above it"
        );
    }

    #[test]
    fn file_name_must_contain_revision() {
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n";
        let errors = parse_revision("x/2025_01_01_0000-b2_t.sql", text).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .contains("file name does not contain its revision id `a1`")
        );
    }

    #[test]
    fn unknown_marker_and_misordered_sections() {
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:downgrade\n-- migrate:upgrade\n-- migrate:upgrade\n-- migrate:up\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(all.len(), 3, "{all:?}");
        assert!(all[0].starts_with("x/a1.sql:3: `-- migrate:downgrade` before"));
        assert!(all[1].starts_with("x/a1.sql:5: second `-- migrate:upgrade`"));
        assert!(all[2].starts_with("x/a1.sql:6: unknown marker `-- migrate:up`"));
    }

    #[test]
    fn transactional_false_is_read() {
        let text = "-- revision: a1\n-- down_revision: none\n-- transactional: false\n-- migrate:upgrade\nCREATE INDEX CONCURRENTLY i ON t (x);\n";
        assert!(
            !parse_revision("x/a1.sql", text)
                .unwrap()
                .header
                .transactional
        );
    }

    #[test]
    fn empty_downgrade_under_sql_is_refused_with_what_to_do() {
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nALTER TABLE t ADD c INT;\n\n-- migrate:downgrade\n-- nothing here\n\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert_eq!(errors.len(), 1);
        assert_eq!(
            errors[0].to_string(),
            "x/a1.sql:6: revision a1: the downgrade section is empty but the upgrade is not; \
             write the SQL that undoes the upgrade, put `-- migrate:no-op` in it if nothing \
             needs undoing, or remove the section to make the revision irreversible"
        );
    }

    #[test]
    fn no_op_marker_makes_an_empty_downgrade_intended() {
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nUPDATE t SET c = 1;\n-- migrate:downgrade\n-- migrate:no-op\n";
        let rev = parse_revision("x/a1.sql", text).unwrap();
        assert!(rev.downgrade.unwrap().statements.is_empty());
    }

    #[test]
    fn empty_upgrade_keeps_an_empty_downgrade() {
        // A merge revision, or a fresh `migrate revision` file.
        let text = "-- revision: m1\n-- down_revision: a1, b2\n-- migrate:upgrade\n\n-- migrate:downgrade\n\n";
        assert!(parse_revision("x/m1.sql", text).is_ok());
        // Irreversible: no downgrade section at all.
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n";
        assert!(parse_revision("x/a1.sql", text).is_ok());
    }

    #[test]
    fn no_op_marker_with_sql_or_in_the_upgrade_is_refused() {
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n-- migrate:downgrade\n-- migrate:no-op\nSELECT 2;\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("x/a1.sql:6: `-- migrate:no-op` in a downgrade section that has SQL"),
            "{}",
            errors[0]
        );
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n-- migrate:no-op\nSELECT 1;\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("x/a1.sql:4: `-- migrate:no-op` outside the downgrade section"),
            "{}",
            errors[0]
        );
    }

    #[test]
    fn control_characters_in_header_values_are_refused_and_shown_escaped() {
        let text = "-- revision: a1\u{1b}]0;x\u{7}\n-- down_revision: none\n-- branch_labels: core\u{9b}\n-- message: add \u{1b}[2J c\n-- create_date: 2025\u{0}\n-- migrate:upgrade\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(
            all,
            [
                "x/a1.sql:1: revision `a1\\u{1b}]0;x\\u{7}` holds a control character; remove it (names and messages end up in script comments and on terminals)",
                "x/a1.sql:3: branch_labels `core\\u{9b}` holds a control character; remove it (names and messages end up in script comments and on terminals)",
                "x/a1.sql:4: message `add \\u{1b}[2J c` holds a control character; remove it (names and messages end up in script comments and on terminals)",
                "x/a1.sql:5: create_date `2025\\u{0}` holds a control character; remove it (names and messages end up in script comments and on terminals)",
            ]
        );
    }

    #[test]
    fn a_tab_is_allowed_in_a_message_only() {
        let text =
            "-- revision: a1\n-- down_revision: none\n-- message: add\tc\n-- migrate:upgrade\n";
        let rev = parse_revision("x/a1.sql", text).unwrap();
        assert_eq!(rev.header.message.as_deref(), Some("add\tc"));
        let text =
            "-- revision: a1\n-- down_revision: none\n-- branch_labels: a\tb\n-- migrate:upgrade\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        assert!(
            errors[0]
                .to_string()
                .starts_with("x/a1.sql:3: branch_labels `a\\tb` holds a control character"),
            "{}",
            errors[0]
        );
    }
    #[test]
    fn allow_markers_are_read_and_bad_ones_named_at_their_line() {
        let text = "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\n-- migrate:allow(missing, exists)\nDROP INDEX i;\nSELECT 1;\n-- migrate:allow(nope)\nSELECT 2;\n";
        let errors = parse_revision("x/a1.sql", text).unwrap_err();
        let all: Vec<String> = errors.iter().map(|e| e.to_string()).collect();
        assert_eq!(all.len(), 1, "{all:?}");
        assert!(
            all[0].starts_with("x/a1.sql:7: unknown rule `nope` in `-- migrate:allow(…)`"),
            "{all:?}"
        );
        let text = text.replace("-- migrate:allow(nope)\n", "");
        let r = parse_revision("x/a1.sql", &text).unwrap();
        let s = &r.upgrade.statements;
        assert!(
            s[0].allow.contains(crate::Rule::Missing) && s[0].allow.contains(crate::Rule::Exists)
        );
        assert!(s[1].allow.is_empty() && s[2].allow.is_empty());
    }

    #[test]
    fn lock_timeout_and_retries_headers() {
        let text = "-- revision: a1\n-- down_revision: none\n-- lock_timeout: 2s\n-- lock_retries: 5\n-- migrate:upgrade\nSELECT 1;\n";
        let rev = parse_revision("x/a1.sql", text).unwrap();
        assert_eq!(
            rev.header.lock_timeout,
            Some(std::time::Duration::from_secs(2))
        );
        assert_eq!(rev.header.lock_retries, Some(5));
        let plain = parse_revision(
            "x/a1.sql",
            "-- revision: a1\n-- down_revision: none\n-- migrate:upgrade\nSELECT 1;\n",
        )
        .unwrap();
        assert_eq!(
            (plain.header.lock_timeout, plain.header.lock_retries),
            (None, None)
        );
        for (line, needle) in [
            ("-- lock_timeout: 2", "x/a1.sql:3: invalid lock_timeout `2`"),
            (
                "-- lock_retries: many",
                "x/a1.sql:3: invalid lock_retries `many`",
            ),
            ("-- lock_retries: 101", "from 0 to 100"),
            ("-- retries: 5", "did you mean `lock_retries`"),
        ] {
            let text = format!(
                "-- revision: a1\n-- down_revision: none\n{line}\n-- migrate:upgrade\nSELECT 1;\n"
            );
            let errors = parse_revision("x/a1.sql", &text).unwrap_err();
            let all: Vec<String> = errors.iter().map(ToString::to_string).collect();
            assert!(all.iter().any(|e| e.contains(needle)), "{line}: {all:#?}");
        }
    }
}
