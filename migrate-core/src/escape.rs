//! Control characters in names: what is refused, and how a name is shown.
//!
//! A file name, revision id, branch label or message ends up in `--`
//! comments of offline scripts, in history rows and on terminals. A newline
//! in it would end the comment, so that the rest of the name runs as SQL or
//! as a client command (`\!` in psql, `.shell` in sqlite3); an ESC would
//! drive the terminal. Such characters are refused when a directory is
//! loaded, and escaped wherever a name is shown or written into a comment.

use std::borrow::Cow;
use std::fmt::Write as _;

/// Is `c` a character no name may hold: C0 (U+0000–U+001F), DEL and C1
/// (U+0080–U+009F), that is [`char::is_control`]?
pub fn is_forbidden_control(c: char) -> bool {
    c.is_control()
}

/// The first control character of `s`, if any; a tab is allowed when
/// `allow_tab` (a message may hold one: it neither ends a line nor starts a
/// terminal sequence).
pub fn find_control(s: &str, allow_tab: bool) -> Option<char> {
    s.chars()
        .find(|&c| is_forbidden_control(c) && !(allow_tab && c == '\t'))
}

/// `s` with every control character written as a Rust-style escape
/// (`\n`, `\r`, `\t`, `\u{1b}`), so it stays on one line and cannot drive a
/// terminal; borrowed when there is nothing to escape.
///
/// ```
/// assert_eq!(migrate_core::escape_control("a\nb\u{1b}[2J"), "a\\nb\\u{1b}[2J");
/// assert_eq!(migrate_core::escape_control("café"), "café");
/// ```
pub fn escape_control(s: &str) -> Cow<'_, str> {
    if !s.chars().any(is_forbidden_control) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if is_forbidden_control(c) => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn c0_del_and_c1_are_escaped_and_nothing_else() {
        assert_eq!(
            escape_control("x\r\n\t\0\u{7f}\u{85}\u{9b}y"),
            "x\\r\\n\\t\\u{0}\\u{7f}\\u{85}\\u{9b}y"
        );
        assert!(matches!(escape_control("straße \\ ok"), Cow::Borrowed(_)));
    }

    #[test]
    fn tab_is_found_unless_allowed() {
        assert_eq!(find_control("a\tb", false), Some('\t'));
        assert_eq!(find_control("a\tb", true), None);
        assert_eq!(find_control("a\tb\u{1b}", true), Some('\u{1b}'));
    }
}
