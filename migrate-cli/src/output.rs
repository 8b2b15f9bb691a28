//! Terminal output: colour decisions, stdout lines, `error:` reports.

use std::fmt::Display;
use std::io::{self, IsTerminal, Write};

use crate::args::ColorChoice;
use crate::error::Problems;

/// ANSI styling for one stream, or none.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Style {
    enabled: bool,
}

impl Style {
    /// Colour when asked to, or on `auto` when the stream is a terminal and
    /// `NO_COLOR` is unset or empty (<https://no-color.org>).
    pub fn decide(choice: ColorChoice, is_terminal: bool) -> Style {
        let enabled = match choice {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                is_terminal && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
            }
        };
        Style { enabled }
    }

    fn paint(&self, code: &str, text: &str) -> String {
        debug_assert!(OWN_COLOURS.contains(&code), "add {code} to OWN_COLOURS");
        if self.enabled {
            format!("\x1b[{code}m{text}\x1b[0m")
        } else {
            text.to_owned()
        }
    }

    /// A revision id.
    pub fn id(&self, text: &str) -> String {
        self.paint("33", text)
    }

    /// `(head)`.
    pub fn head(&self, text: &str) -> String {
        self.paint("1;32", text)
    }

    /// `(current)`.
    pub fn current(&self, text: &str) -> String {
        self.paint("1;36", text)
    }

    /// Branch labels and other annotations.
    pub fn label(&self, text: &str) -> String {
        self.paint("35", text)
    }

    /// Graph lines and secondary text.
    pub fn dim(&self, text: &str) -> String {
        self.paint("2", text)
    }

    /// `error:`.
    pub fn error(&self, text: &str) -> String {
        self.paint("1;31", text)
    }

    /// `warning:`.
    pub fn warning(&self, text: &str) -> String {
        self.paint("1;33", text)
    }
}

/// The SGR codes [`Style`] paints with: the only escape sequences that
/// reach a terminal, and only on a stream whose colour is on.
const OWN_COLOURS: [&str; 8] = ["0", "2", "33", "35", "1;31", "1;32", "1;33", "1;36"];

/// What may stay as it is when text is printed.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Keep {
    /// `\n` and `\t`: the CLI's own line breaks and the SQL's layout.
    pub layout: bool,
    /// The colour codes in [`OWN_COLOURS`].
    pub colours: bool,
}

/// Renders control characters visible, as Rust writes them (`\u{1b}` for
/// ESC), so that text from migration files, file names or the database
/// cannot set the terminal's title, move the cursor or erase lines. Covers
/// C0 and C1 controls, DEL, and the Unicode bidi controls that reorder how
/// a line reads.
pub(crate) fn escape_controls(text: &str, keep: Keep) -> std::borrow::Cow<'_, str> {
    let needs = |c: char| is_hostile(c) && !(keep.layout && matches!(c, '\n' | '\t'));
    if !text.chars().any(needs) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c == '\x1b' && keep.colours {
            let own = OWN_COLOURS
                .iter()
                .map(|code| format!("\x1b[{code}m"))
                .find(|seq| rest.starts_with(seq.as_str()));
            if let Some(seq) = own {
                out.push_str(&seq);
                rest = &rest[seq.len()..];
                continue;
            }
        }
        if needs(c) {
            out.push_str(&format!("\\u{{{:x}}}", c as u32));
        } else {
            out.push(c);
        }
        rest = &rest[c.len_utf8()..];
    }
    std::borrow::Cow::Owned(out)
}

/// One line of text from outside (the database, a file), with nothing kept:
/// its newlines too are shown as `\u{a}`.
pub(crate) fn one_line(text: &str) -> std::borrow::Cow<'_, str> {
    escape_controls(
        text,
        Keep {
            layout: false,
            colours: false,
        },
    )
}

fn is_hostile(c: char) -> bool {
    migrate_core::is_forbidden_control(c)
        || matches!(c, '\u{61c}' | '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// Where a command writes: data to stdout, diagnostics to stderr, with
/// control characters escaped ([`escape_controls`]).
///
/// Text is written as it is: nothing here searches it for the password. A
/// URL reaches the text only through `DatabaseUrl`'s `Display`, which
/// redacts it, and the driver's errors do not quote the password (see
/// docs/reliability.md#secrets-and-tls).
#[derive(Debug)]
pub(crate) struct Ui {
    /// Styling of stdout.
    pub out: Style,
    /// Styling of stderr.
    pub err: Style,
    /// Whether stderr is a terminal (for the progress line).
    pub err_is_terminal: bool,
    /// Whether stdout is a terminal (scripts are escaped only there).
    out_is_terminal: bool,
}

impl Ui {
    pub fn new(color: ColorChoice) -> Ui {
        let err_is_terminal = io::stderr().is_terminal();
        let out_is_terminal = io::stdout().is_terminal();
        Ui {
            out: Style::decide(color, out_is_terminal),
            err: Style::decide(color, err_is_terminal),
            err_is_terminal,
            out_is_terminal,
        }
    }

    /// Escapes text for stdout (lines keep their layout and our colours).
    fn safe_out<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        escape_controls(
            text,
            Keep {
                layout: true,
                colours: self.out.enabled,
            },
        )
    }

    /// Escapes text for stderr. A diagnostic may span lines (a TOML parse
    /// error), but its continuation lines are indented, so that no text
    /// inside it (a revision id read from the database) can pass for a line
    /// of its own such as `error: …`.
    pub fn safe_err<'a>(&self, text: &'a str) -> std::borrow::Cow<'a, str> {
        let text = escape_controls(
            text,
            Keep {
                layout: true,
                colours: self.err.enabled,
            },
        );
        if text.trim_end_matches('\n').contains('\n') {
            let body = text.trim_end_matches('\n');
            let tail = &text[body.len()..];
            std::borrow::Cow::Owned(format!("{}{tail}", body.replace('\n', "\n  ")))
        } else {
            text
        }
    }

    /// One line of data on stdout.
    pub fn line(&self, text: impl Display) -> io::Result<()> {
        let text = text.to_string();
        let text = self.safe_out(&text);
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// A block of data on stdout (a SQL script, a DOT graph), written as
    /// is into a pipe or file, so a script keeps every byte of its SQL;
    /// escaped on a terminal.
    pub fn text(&self, text: &str) -> io::Result<()> {
        let text = if self.out_is_terminal {
            self.safe_out(text)
        } else {
            std::borrow::Cow::Borrowed(text)
        };
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// `warning: …` on stderr.
    pub fn warn(&self, text: impl Display) {
        eprintln!(
            "{} {}",
            self.err.warning("warning:"),
            self.safe_err(&text.to_string())
        );
    }

    /// A plain note on stderr.
    pub fn note(&self, text: impl Display) {
        eprintln!("{}", self.safe_err(&text.to_string()));
    }

    /// Prints an error and its causes as `error: …` lines on stderr.
    ///
    /// A list of problems (a directory check) gets one line each. Otherwise
    /// the causes are appended with `: `, skipping a cause whose text the
    /// message already contains (many errors quote their source).
    pub fn error(&self, err: &anyhow::Error) {
        let prefix = self.err.error("error:");
        let mut stderr = io::stderr().lock();
        for line in error_lines(err) {
            let _ = writeln!(stderr, "{prefix} {}", self.safe_err(&line));
        }
    }
}

/// The lines `Ui::error` prints.
pub(crate) fn error_lines(err: &anyhow::Error) -> Vec<String> {
    for cause in err.chain() {
        let list: Option<Vec<String>> =
            if let Some(list) = cause.downcast_ref::<migrate_core::Errors>() {
                Some(list.as_slice().iter().map(ToString::to_string).collect())
            } else if let Some(migrate_runtime::Error::InvalidTable(list)) =
                cause.downcast_ref::<migrate_runtime::Error>()
            {
                Some(list.as_slice().iter().map(ToString::to_string).collect())
            } else {
                cause.downcast_ref::<Problems>().map(|p| p.0.clone())
            };
        if let Some(mut out) = list {
            // Context added above the list ("3 problems in migrations")
            // comes first, on its own line.
            let context: Vec<String> = err
                .chain()
                .take_while(|c| !std::ptr::eq(*c, cause))
                .map(|c| c.to_string())
                .collect();
            if !context.is_empty() {
                out.insert(0, context.join(": "));
            }
            return out;
        }
    }
    let mut text = String::new();
    for cause in err.chain() {
        let message = cause.to_string();
        if text.contains(&message) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&message);
    }
    vec![text]
}

/// Is this error (anywhere in its chain) a closed stdout?
pub(crate) fn is_broken_pipe(err: &anyhow::Error) -> bool {
    err.chain().any(|c| {
        c.downcast_ref::<io::Error>()
            .is_some_and(|e| e.kind() == io::ErrorKind::BrokenPipe)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn causes_are_joined_without_repeating_quoted_ones() {
        let inner = io::Error::other("connection refused");
        let err = anyhow::Error::new(inner)
            .context("database error while connecting: connection refused")
            .context("could not connect");
        assert_eq!(
            error_lines(&err),
            ["could not connect: database error while connecting: connection refused"]
        );
    }

    #[test]
    fn problem_lists_get_one_line_each() {
        let errors = migrate_core::Errors::from_vec(vec![
            migrate_core::Error::MissingUpgrade {
                path: "m/a.sql".into(),
            },
            migrate_core::Error::DirectoryMissing { path: "m".into() },
        ])
        .unwrap();
        let lines = error_lines(&anyhow::Error::new(errors));
        assert_eq!(lines.len(), 2);
        assert!(lines[0].starts_with("m/a.sql: no `-- migrate:upgrade` section"));
    }

    #[test]
    fn control_characters_are_shown_not_sent() {
        let keep = Keep {
            layout: true,
            colours: false,
        };
        assert_eq!(
            escape_controls("a\x1b]0;title\x07b\r\u{9b}2J\u{202e}c", keep),
            "a\\u{1b}]0;title\\u{7}b\\u{d}\\u{9b}2J\\u{202e}c"
        );
        assert_eq!(
            escape_controls("two\nlines\tand a tab", keep),
            "two\nlines\tand a tab"
        );
        assert_eq!(one_line("two\nlines"), "two\\u{a}lines");
        assert!(matches!(
            escape_controls("plain ünïcode", keep),
            std::borrow::Cow::Borrowed(_)
        ));
    }

    #[test]
    fn only_our_own_colours_pass_and_only_when_colour_is_on() {
        let style = Style::decide(ColorChoice::Always, false);
        let painted = format!("{} \x1b[2J \x1b[31m", style.id("abc"));
        let keep = Keep {
            layout: true,
            colours: true,
        };
        assert_eq!(
            escape_controls(&painted, keep),
            "\x1b[33mabc\x1b[0m \\u{1b}[2J \\u{1b}[31m"
        );
        let keep = Keep {
            layout: true,
            colours: false,
        };
        assert_eq!(
            escape_controls(&painted, keep),
            "\\u{1b}[33mabc\\u{1b}[0m \\u{1b}[2J \\u{1b}[31m"
        );
    }

    #[test]
    fn never_means_no_escape_codes() {
        let style = Style::decide(ColorChoice::Never, true);
        assert_eq!(style.error("error:"), "error:");
        let style = Style::decide(ColorChoice::Always, false);
        assert_eq!(style.error("error:"), "\x1b[1;31merror:\x1b[0m");
    }
}
