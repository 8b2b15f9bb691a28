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

/// Where a command writes: data to stdout, diagnostics to stderr.
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
}

impl Ui {
    pub fn new(color: ColorChoice) -> Ui {
        let err_is_terminal = io::stderr().is_terminal();
        Ui {
            out: Style::decide(color, io::stdout().is_terminal()),
            err: Style::decide(color, err_is_terminal),
            err_is_terminal,
        }
    }

    /// One line of data on stdout.
    pub fn line(&self, text: impl Display) -> io::Result<()> {
        let text = text.to_string();
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.write_all(b"\n")?;
        out.flush()
    }

    /// A block of data on stdout (an SQL script, a graph), written as is.
    pub fn text(&self, text: &str) -> io::Result<()> {
        let mut out = io::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    }

    /// `warning: …` on stderr.
    pub fn warn(&self, text: impl Display) {
        eprintln!("{} {text}", self.err.warning("warning:"));
    }

    /// A plain note on stderr.
    pub fn note(&self, text: impl Display) {
        eprintln!("{text}");
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
            let _ = writeln!(stderr, "{prefix} {line}");
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
    fn never_means_no_escape_codes() {
        let style = Style::decide(ColorChoice::Never, true);
        assert_eq!(style.error("error:"), "error:");
        let style = Style::decide(ColorChoice::Always, false);
        assert_eq!(style.error("error:"), "\x1b[1;31merror:\x1b[0m");
    }
}
