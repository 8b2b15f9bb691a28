//! New revision files: ids, names from `file_template`, dates, headers.

use std::time::{SystemTime, UNIX_EPOCH};

use jiff::Timestamp;
use jiff::tz::Offset;

/// A UTC calendar date and time (jiff's civil date-time, in UTC).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct DateTime(jiff::civil::DateTime);

impl DateTime {
    /// The current time in UTC.
    pub fn now() -> DateTime {
        DateTime::from_system_time(SystemTime::now())
    }

    /// Converts a point in time to the UTC civil date and time, rounded
    /// towards the past (0.5 s before the epoch is 23:59:59 of the day
    /// before). A clock outside jiff's years -9999 to 9999 is taken at the
    /// nearer end rather than refused: a new file's name is no place to
    /// fail over a broken clock.
    pub fn from_system_time(time: SystemTime) -> DateTime {
        let timestamp = Timestamp::try_from(time).unwrap_or(if time < UNIX_EPOCH {
            Timestamp::MIN
        } else {
            Timestamp::MAX
        });
        DateTime(Offset::UTC.to_datetime(timestamp))
    }

    /// Converts seconds since 1970-01-01T00:00:00Z.
    #[cfg(test)]
    pub fn from_unix(secs: i64) -> DateTime {
        DateTime(Offset::UTC.to_datetime(Timestamp::from_second(secs).unwrap()))
    }

    /// `YYYY-MM-DD HH:MM:SS UTC`, the `create_date` header format: the
    /// time is UTC, and says so (Alembic writes local time without a zone).
    pub fn header(&self) -> String {
        // Every field is in a civil date-time, so formatting cannot fail
        // (jiff fails only on a field the value lacks).
        self.0.strftime("%Y-%m-%d %H:%M:%S UTC").to_string()
    }
}

/// Renders a `file_template`: strftime fields `%Y %m %d %H %M %S` (and `%%`),
/// `{rev}` and `{slug}`. Returns the file name without `.sql`.
///
/// The fields are checked here, so a template keeps to the six that name
/// a file the same way on every system, then jiff formats them.
pub(crate) fn render_file_name(
    template: &str,
    when: &DateTime,
    rev: &str,
    slug: &str,
) -> Result<String, String> {
    let mut chars = template.chars();
    while let Some(c) = chars.next() {
        if c != '%' {
            continue;
        }
        match chars.next() {
            Some('Y' | 'm' | 'd' | 'H' | 'M' | 'S' | '%') => {}
            Some(other) => {
                return Err(format!(
                    "file_template `{template}` uses `%{other}`; the supported fields are %Y %m %d %H %M %S and %%"
                ));
            }
            None => {
                return Err(format!(
                    "file_template `{template}` ends with a lone `%`; write `%%` for a percent sign"
                ));
            }
        }
    }
    let out = jiff::fmt::strtime::format(template, when.0)
        .map_err(|e| format!("file_template `{template}`: {e}; fix the template"))?;
    let mut name = out.replace("{rev}", rev).replace("{slug}", slug);
    // An empty slug must not leave `abc_` or `abc-` behind.
    while name.ends_with(['_', '-', '.', ' ']) {
        name.pop();
    }
    if name.contains(['/', '\\']) || name.is_empty() || name.starts_with('.') {
        return Err(format!(
            "file_template `{template}` gives the file name `{name}`; it must be a plain, non-hidden file name"
        ));
    }
    Ok(name)
}

/// Alembic's slug: words of the message joined with `_`, lowercased, cut
/// at a word boundary to at most 40 characters. Words are runs of letters
/// and digits of any script (`café straße` gives `café_straße`), with the
/// combining marks that decorate them; everything else, path separators and
/// control characters included, separates words and never reaches the name.
pub(crate) fn slugify(message: &str) -> String {
    const MAX: usize = 40;
    let words: Vec<String> = message
        .split(|c: char| !(c.is_alphanumeric() || is_combining_mark(c)))
        .filter(|w| w.chars().any(char::is_alphanumeric))
        .map(str::to_lowercase)
        .collect();
    let mut slug = String::new();
    let mut len = 0usize; // in characters
    for word in words {
        let chars = word.chars().count();
        let extra = chars + usize::from(!slug.is_empty());
        if len + extra > MAX {
            if slug.is_empty() {
                slug.extend(word.chars().take(MAX));
            }
            break;
        }
        if !slug.is_empty() {
            slug.push('_');
        }
        slug.push_str(&word);
        len += extra;
    }
    slug
}

/// Combining diacritical marks (the blocks an `e` + U+0301 `é` typed on a
/// system that does not compose uses), kept inside a word.
fn is_combining_mark(c: char) -> bool {
    matches!(c, '\u{300}'..='\u{36f}' | '\u{1ab0}'..='\u{1aff}' | '\u{1dc0}'..='\u{1dff}' | '\u{20d0}'..='\u{20ff}' | '\u{fe20}'..='\u{fe2f}')
}

/// A fresh 12-hex-digit revision id that `taken` does not know.
///
/// The 48 bits come from the operating system's random source (getrandom),
/// so two developers (or two calls) do not collide in practice.
pub(crate) fn new_revision_id(taken: impl Fn(&str) -> bool) -> anyhow::Result<String> {
    loop {
        let mut bytes = [0u8; 6];
        getrandom::getrandom(&mut bytes).map_err(|e| {
            anyhow::anyhow!(
                "revision id: the system's random source failed ({e}); choose an id with --rev-id"
            )
        })?;
        let id: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
        if !taken(&id) {
            return Ok(id);
        }
    }
}

/// The sections of a new revision. The downgrade section holds only a
/// comment, so an unedited file (nothing to do either way) loads, while a
/// file whose upgrade was filled in and whose downgrade was forgotten is
/// refused until the author writes the undo SQL, `-- migrate:no-op`, or
/// removes the section.
pub(crate) const NEW_SECTIONS: &str = "\n-- migrate:upgrade\n\n\n-- migrate:downgrade\n\
-- Write the SQL that undoes the upgrade. If there is nothing to undo, put the\n\
-- line `-- migrate:no-op` here; to make the revision irreversible, delete\n\
-- this section.\n\n";

/// The code of a new Rust revision, below its header.
pub(crate) const NEW_RUST_BODY: &str = r#"
//! A revision written in Rust: `embed_migrations!` compiles it into the
//! application, which runs it in the revision's transaction. Match on `db`
//! (`Db::Postgres(conn)`, `Db::Sqlite(conn)`) to use a database's own API,
//! `sqlx::query!` included. The `migrate` CLI lists and stamps it; the
//! application's migration subcommand runs it.

use migrate_runtime::rust::{Db, RevisionResult};

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    let _ = db;
    Ok(())
}

/// Undoes `upgrade`. Remove this function to make the revision
/// irreversible.
pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    let _ = db;
    Ok(())
}
"#;

/// What goes in a new revision's header.
pub(crate) struct NewRevision<'a> {
    pub id: &'a str,
    pub parents: &'a [String],
    pub depends_on: &'a [String],
    pub branch_labels: &'a [String],
    /// What a checkpoint replaces (`migrate squash`); empty otherwise.
    pub replaces: &'a [String],
    pub message: &'a str,
    pub create_date: &'a str,
    /// `false` writes `transactional: false`.
    pub transactional: bool,
}

/// The text of a new revision file: header and empty sections.
pub(crate) fn revision_file(rev: &NewRevision<'_>) -> String {
    let list = |items: &[String]| {
        if items.is_empty() {
            "none".to_owned()
        } else {
            items.join(", ")
        }
    };
    let mut text = format!(
        "-- revision: {}\n-- down_revision: {}\n",
        rev.id,
        list(rev.parents)
    );
    if !rev.depends_on.is_empty() {
        text.push_str(&format!("-- depends_on: {}\n", list(rev.depends_on)));
    }
    if !rev.branch_labels.is_empty() {
        text.push_str(&format!("-- branch_labels: {}\n", list(rev.branch_labels)));
    }
    if !rev.replaces.is_empty() {
        text.push_str(&format!("-- replaces: {}\n", list(rev.replaces)));
    }
    // The header is line-based: a multi-line message becomes one line.
    let message = rev.message.split_whitespace().collect::<Vec<_>>().join(" ");
    if !message.is_empty() {
        text.push_str(&format!("-- message: {message}\n"));
    }
    text.push_str(&format!("-- create_date: {}\n", rev.create_date));
    if !rev.transactional {
        text.push_str("-- transactional: false\n");
    }
    text.push_str(NEW_SECTIONS);
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn civil_dates_match_known_days() {
        let day = |days: i64| DateTime::from_unix(days * 86_400).header();
        assert_eq!(day(0), "1970-01-01 00:00:00 UTC");
        assert_eq!(day(-1), "1969-12-31 00:00:00 UTC");
        assert_eq!(day(11_016), "2000-02-29 00:00:00 UTC");
        assert_eq!(day(11_017), "2000-03-01 00:00:00 UTC");
        assert_eq!(day(20_361), "2025-09-30 00:00:00 UTC");
        // 2100 is not a leap year; 2400 is.
        assert_eq!(day(47_541), "2100-03-01 00:00:00 UTC");
        assert_eq!(day(157_113), "2400-02-29 00:00:00 UTC");
    }

    #[test]
    fn unix_seconds_give_utc_civil_time() {
        let t = DateTime::from_unix(1_759_250_172);
        assert_eq!(t.header(), "2025-09-30 16:36:12 UTC");
        let t = DateTime::from_unix(-1);
        assert_eq!(t.header(), "1969-12-31 23:59:59 UTC");
        let t = DateTime::from_system_time(UNIX_EPOCH - std::time::Duration::from_millis(500));
        assert_eq!(t.header(), "1969-12-31 23:59:59 UTC");
        let t = DateTime::from_system_time(UNIX_EPOCH + std::time::Duration::from_millis(1_999));
        assert_eq!(t.header(), "1970-01-01 00:00:01 UTC");
    }

    #[test]
    fn a_clock_beyond_the_calendar_is_taken_at_its_end() {
        let far = std::time::Duration::from_secs(400 * 366 * 86_400 * 1000);
        let t = DateTime::from_system_time(UNIX_EPOCH + far);
        assert_eq!(t.header(), "9999-12-30 22:00:00 UTC");
        let t = DateTime::from_system_time(UNIX_EPOCH - far);
        assert_eq!(t.header(), "-9999-01-02 01:59:59 UTC");
    }

    #[test]
    fn default_template_renders_the_documented_name() {
        let t = DateTime::from_unix(1_759_250_172);
        let name = render_file_name(
            migrate_core::DEFAULT_FILE_TEMPLATE,
            &t,
            "955bb0742a21",
            "create_products_table",
        )
        .unwrap();
        assert_eq!(name, "2025_09_30_1636-955bb0742a21_create_products_table");
    }

    #[test]
    fn template_fields_seconds_percent_and_empty_slug() {
        let t = DateTime::from_unix(1_759_250_172);
        assert_eq!(
            render_file_name("%Y%m%d%H%M%S_100%%_{rev}_{slug}", &t, "ab", "").unwrap(),
            "20250930163612_100%_ab"
        );
        assert!(
            render_file_name("%Q-{rev}", &t, "ab", "x")
                .unwrap_err()
                .contains("`%Q`")
        );
        assert!(render_file_name("{rev}%", &t, "ab", "x").is_err());
        assert!(
            render_file_name("%Y-%d-{rev}%", &t, "ab", "x")
                .unwrap_err()
                .contains("lone `%`")
        );
        assert_eq!(
            render_file_name("%Y年%m月-{rev}", &t, "ab", "x").unwrap(),
            "2025年09月-ab"
        );
        assert!(render_file_name("sub/{rev}", &t, "ab", "x").is_err());
    }

    #[test]
    fn slug_is_lowercase_words_cut_at_forty() {
        assert_eq!(slugify("Create products table"), "create_products_table");
        assert_eq!(slugify("  add: price (NUMERIC)!"), "add_price_numeric");
        assert_eq!(slugify("żółw żółć"), "żółw_żółć");
        assert_eq!(slugify("café straße"), "café_straße");
        assert_eq!(slugify("Café STRASSE Ölfeld"), "café_strasse_ölfeld");
        assert_eq!(
            slugify("cafe\u{301} 表 テーブル"),
            "cafe\u{301}_表_テーブル"
        );
        // Separators and control characters never reach the file name.
        assert_eq!(slugify("../etc/passwd\\x\n\u{1b}[2Jy"), "etc_passwd_x_2jy");
        assert_eq!(slugify("\u{301}"), "");
        let long = slugify(&"é".repeat(50));
        assert_eq!(long.chars().count(), 40, "{long}");
        let long = slugify("one two three four five six seven eight nine ten");
        assert!(long.len() <= 40, "{long}");
        assert_eq!(long, "one_two_three_four_five_six_seven_eight");
        assert_eq!(slugify(&"x".repeat(50)).len(), 40);
    }

    #[test]
    fn revision_ids_are_twelve_hex_and_avoid_taken_ones() {
        let first = new_revision_id(|_| false).unwrap();
        assert_eq!(first.len(), 12);
        assert!(
            first
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        );
        let second = new_revision_id(|id| id == first).unwrap();
        assert_ne!(first, second);
    }

    #[test]
    fn revision_ids_do_not_repeat_over_many_calls() {
        let mut seen = std::collections::HashSet::new();
        for _ in 0..10_000 {
            let id = new_revision_id(|_| false).unwrap();
            assert_eq!(id.len(), 12, "{id}");
            assert!(
                id.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')),
                "{id}"
            );
            assert!(seen.insert(id.clone()), "{id} came twice");
        }
        // Every hex digit shows up in every position: the bits are not
        // stuck (as a clock's high bits would be).
        for position in 0..12 {
            let digits: std::collections::HashSet<u8> =
                seen.iter().map(|id| id.as_bytes()[position]).collect();
            assert_eq!(digits.len(), 16, "position {position}");
        }
    }

    #[test]
    fn new_file_parses_back() {
        let parents = vec!["a1".to_owned(), "b2".to_owned()];
        let text = revision_file(&NewRevision {
            id: "c3",
            parents: &parents,
            depends_on: &[],
            branch_labels: &["core".to_owned()],
            replaces: &[],
            message: "merge\nheads",
            create_date: "2025-01-01 00:00:00 UTC",
            transactional: true,
        });
        let rev = migrate_core::parse_revision("m/x-c3.sql", &text).unwrap();
        assert_eq!(rev.header.down_revision, parents);
        assert_eq!(rev.header.branch_labels, ["core"]);
        assert_eq!(rev.header.message.as_deref(), Some("merge heads"));
        assert!(rev.upgrade.statements.is_empty());
        assert!(rev.downgrade.is_some());
        assert_eq!(
            rev.header.create_date.as_deref(),
            Some("2025-01-01 00:00:00 UTC")
        );
    }
}
