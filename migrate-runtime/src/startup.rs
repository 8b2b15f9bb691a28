//! Start-up at head: the embedded `(revision, checksum)` pairs and the
//! comparison of the history table's rows with them, which lets an
//! up-to-date database start without the lock (`Conn::history_matches`).

use std::collections::HashMap;
use std::sync::{Arc, OnceLock};

use migrate_core::{IdList, RevisionGraph, Target};

use crate::embedded::EmbeddedStartUp;
use crate::error::Result;

/// The table's `(revision, checksum)` pairs, as the start-up fast path
/// compares them with the history table: texts computed with the table
/// (see `EmbeddedStartUp`), and a lookup built on first need.
#[doc(hidden)]
#[derive(Debug, Clone)]
pub struct Expected {
    texts: Texts,
    /// How many revisions the table has.
    count: usize,
    /// Revision id → (its position in `in_order`, the byte offset of its
    /// line), for rows that do not come back in upgrade order.
    // PostgreSQL compares rows one by one (`RowMatcher`), SQLite one joined
    // text (`joined`), then pair by pair when it differs.
    lines: OnceLock<HashMap<Box<str>, (usize, usize)>>,
}

/// The start-up texts: written by the macro, or computed by the loader for
/// a directory loaded at run time (owned, shared by the migrator's clones).
#[derive(Debug, Clone)]
enum Texts {
    Static(EmbeddedStartUp),
    Loaded(Arc<migrate_core::StartUp>),
}

impl Expected {
    pub(crate) const fn new(count: usize, start_up: EmbeddedStartUp) -> Expected {
        Expected {
            texts: Texts::Static(start_up),
            count,
            lines: OnceLock::new(),
        }
    }

    /// The texts of a directory loaded at run time.
    pub(crate) fn loaded(count: usize, start_up: migrate_core::StartUp) -> Expected {
        Expected {
            texts: Texts::Loaded(Arc::new(start_up)),
            count,
            lines: OnceLock::new(),
        }
    }

    pub(crate) fn len(&self) -> usize {
        self.count
    }

    /// The same texts, nothing built.
    pub(crate) fn fresh(&self) -> Expected {
        Expected {
            texts: self.texts.clone(),
            count: self.count,
            lines: OnceLock::new(),
        }
    }

    /// The table's heads, in the order the migrator reports them.
    pub(crate) fn heads(&self) -> IdList<'_> {
        match &self.texts {
            Texts::Static(s) => IdList::from(s.heads),
            Texts::Loaded(s) => IdList::from(&s.heads[..]),
        }
    }

    /// `revision checksum v1-checksum` and a newline per revision, in
    /// upgrade order.
    fn in_order(&self) -> &str {
        match &self.texts {
            Texts::Static(s) => s.in_order,
            Texts::Loaded(s) => &s.in_order,
        }
    }

    /// Whether a database holding every embedded revision is at `target`
    /// already: `heads` always, `head` when the table has one head (neither
    /// needs the graph), any other target when the graph plans no step for
    /// it. A target that does not resolve answers `false`: the long way
    /// reports it.
    pub(crate) fn reached_when_all_applied<'g>(
        &self,
        target: &Target,
        graph: impl FnOnce() -> Result<&'g RevisionGraph>,
    ) -> Result<bool> {
        Ok(match target {
            Target::Heads => true,
            Target::Head => self.heads().len() <= 1,
            _ => {
                let graph = graph()?;
                let all = vec![true; graph.len()];
                graph
                    .plan_upgrade(target, &all)
                    .is_ok_and(|p| p.steps.is_empty())
            }
        })
    }

    pub(crate) fn joined(&self) -> &str {
        match &self.texts {
            Texts::Static(s) => s.by_id,
            Texts::Loaded(s) => &s.by_id,
        }
    }

    /// A comparison of history rows, fed one at a time, with the table.
    pub(crate) fn matcher(&self) -> RowMatcher<'_> {
        RowMatcher {
            expected: self,
            position: 0,
            offset: 0,
            seen: vec![false; self.count],
            rows: 0,
            same: true,
        }
    }

    fn lines(&self) -> &HashMap<Box<str>, (usize, usize)> {
        self.lines.get_or_init(|| {
            let mut lines = HashMap::with_capacity(self.count);
            let mut offset = 0;
            for (position, line) in self.in_order().split_terminator('\n').enumerate() {
                if let Some((id, _)) = line.split_once(' ') {
                    lines.insert(id.into(), (position, offset));
                }
                offset += line.len() + 1;
            }
            lines
        })
    }
}

/// See [`Expected::matcher`]. Rows usually come back in the order they
/// were inserted, which is the upgrade order of the embedded text: each
/// row is first compared with the line after the previous row's, reading
/// the text front to back; only a row out of that order costs a lookup.
pub(crate) struct RowMatcher<'e> {
    expected: &'e Expected,
    /// Position and byte offset of the line the next row is guessed to be.
    position: usize,
    offset: usize,
    seen: Vec<bool>,
    rows: usize,
    same: bool,
}

impl RowMatcher<'_> {
    /// One `(revision, checksum, state)` row, as the database sent its text.
    /// `None` (a value that could not be read) counts as a difference.
    pub(crate) fn row(&mut self, row: Option<(&[u8], &[u8], &[u8])>) {
        self.same = self.same && self.matches(row);
    }

    fn matches(&mut self, row: Option<(&[u8], &[u8], &[u8])>) -> bool {
        let Some((revision, checksum, state)) = row else {
            return false;
        };
        self.rows += 1;
        if !matches!(state, b"applied" | b"stamped") {
            return false;
        }
        let text = self.expected.in_order().as_bytes();
        // The line `revision checksum [v1-checksum]\n` at `offset`, if it is
        // this row's (either checksum may be the stored one).
        let line_at = |offset: usize| {
            let rest = text.get(offset..)?;
            let end = rest.iter().position(|&b| b == b'\n')?;
            let line = &rest[..end];
            let sums = line.strip_prefix(revision)?.strip_prefix(b" ")?;
            let mut sums = sums.split(|&b| b == b' ');
            sums.any(|sum| sum == checksum).then_some(offset + end + 1)
        };
        let (position, next) = match line_at(self.offset) {
            Some(next) => (self.position, next),
            None => {
                let Some(&(position, offset)) = std::str::from_utf8(revision)
                    .ok()
                    .and_then(|id| self.expected.lines().get(id))
                else {
                    return false;
                };
                let Some(next) = line_at(offset) else {
                    return false;
                };
                (position, next)
            }
        };
        match self.seen.get_mut(position) {
            Some(seen) if !*seen => *seen = true,
            _ => return false,
        }
        self.position = position + 1;
        self.offset = next;
        true
    }

    /// Whether the rows were exactly the embedded revisions, each once,
    /// every one applied or stamped.
    pub(crate) fn finish(self) -> bool {
        // Distinct embedded revisions, as many as the table holds: all.
        self.same && self.rows == self.expected.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Revisions a, b, c whose upgrade order is c, a, b.
    const START_UP: EmbeddedStartUp = EmbeddedStartUp {
        in_order: "c cc\na ca\nb cb\n",
        by_id: "a ca,b cb,c cc",
        heads: &["b"],
    };

    fn matches(rows: &[(&str, &str, &str)]) -> bool {
        let expected = Expected::new(3, START_UP);
        let mut matcher = expected.matcher();
        for (revision, checksum, state) in rows {
            matcher.row(Some((
                revision.as_bytes(),
                checksum.as_bytes(),
                state.as_bytes(),
            )));
        }
        matcher.finish()
    }

    #[test]
    fn rows_in_any_order_match_when_each_revision_is_there_once() {
        assert!(matches(&[
            ("c", "cc", "applied"),
            ("a", "ca", "applied"),
            ("b", "cb", "stamped"),
        ]));
        assert!(matches(&[
            ("b", "cb", "applied"),
            ("a", "ca", "applied"),
            ("c", "cc", "applied"),
        ]));
    }

    #[test]
    fn any_difference_fails() {
        let ok = [
            ("c", "cc", "applied"),
            ("a", "ca", "applied"),
            ("b", "cb", "applied"),
        ];
        // A missing row, an extra unknown row, a repeated row in place of
        // another, an edited checksum (also one that is a prefix or an
        // extension of the right one), an id that is a prefix of another,
        // an interrupted revision.
        assert!(!matches(&ok[..2]));
        assert!(!matches(&[ok[0], ok[1], ok[2], ("d", "cd", "applied")]));
        assert!(!matches(&[ok[0], ok[1], ok[1]]));
        assert!(!matches(&[ok[0], ok[1], ("b", "cx", "applied")]));
        assert!(!matches(&[ok[0], ok[1], ("b", "c", "applied")]));
        assert!(!matches(&[ok[0], ok[1], ("b", "cbb", "applied")]));
        assert!(!matches(&[ok[0], ("", "ca", "applied"), ok[2]]));
        assert!(!matches(&[ok[0], ok[1], ("b", "cb", "running")]));

        let expected = Expected::new(3, START_UP);
        let mut matcher = expected.matcher();
        matcher.row(Some((b"c", b"cc", b"applied")));
        matcher.row(None);
        matcher.row(Some((b"a", b"ca", b"applied")));
        matcher.row(Some((b"b", b"cb", b"applied")));
        assert!(!matcher.finish(), "an unreadable row is a difference");
    }

    #[test]
    fn either_checksum_version_of_a_line_matches() {
        let expected = Expected::new(
            2,
            EmbeddedStartUp {
                in_order: "a v2:a v1:a\nb v2:b v1:b\n",
                by_id: "a v2:a,b v2:b",
                heads: &["b"],
            },
        );
        let run = |rows: &[(&str, &str)]| {
            let mut matcher = expected.matcher();
            for (revision, checksum) in rows {
                matcher.row(Some((revision.as_bytes(), checksum.as_bytes(), b"applied")));
            }
            matcher.finish()
        };
        assert!(run(&[("a", "v1:a"), ("b", "v2:b")]));
        assert!(run(&[("b", "v1:b"), ("a", "v1:a")]));
        assert!(!run(&[("a", "v1:b"), ("b", "v2:b")]));
        assert!(!run(&[("a", "v2:a v1:a"), ("b", "v2:b")]));
        assert!(!run(&[("a", "v1"), ("b", "v2:b")]));
    }

    #[test]
    fn head_and_heads_are_decided_without_the_graph() {
        let no_graph = || -> Result<&'static RevisionGraph> { unreachable!("graph built") };
        let one = Expected::new(3, START_UP);
        assert!(
            one.reached_when_all_applied(&Target::Heads, no_graph)
                .unwrap()
        );
        assert!(
            one.reached_when_all_applied(&Target::Head, no_graph)
                .unwrap()
        );
        let two = Expected::new(
            3,
            EmbeddedStartUp {
                heads: &["b", "c"],
                ..START_UP
            },
        );
        assert!(
            !two.reached_when_all_applied(&Target::Head, no_graph)
                .unwrap()
        );
        assert!(
            two.reached_when_all_applied(&Target::Heads, no_graph)
                .unwrap()
        );
    }

    #[test]
    fn texts_of_a_loaded_directory_compare_as_the_macro_s_do() {
        let loaded = Expected::loaded(
            3,
            migrate_core::StartUp {
                in_order: START_UP.in_order.to_owned(),
                by_id: START_UP.by_id.to_owned(),
                heads: vec!["b".to_owned()],
            },
        );
        let fresh = loaded.fresh();
        for expected in [&loaded, &fresh] {
            assert_eq!(expected.joined(), START_UP.by_id);
            assert_eq!(expected.heads().iter().collect::<Vec<_>>(), ["b"]);
            let mut matcher = expected.matcher();
            for row in [("b", "cb"), ("a", "ca"), ("c", "cc")] {
                matcher.row(Some((row.0.as_bytes(), row.1.as_bytes(), b"applied")));
            }
            assert!(matcher.finish(), "rows out of order are looked up");
        }
    }

    #[test]
    fn no_revisions_match_an_empty_history() {
        let expected = Expected::new(0, EmbeddedStartUp::EMPTY);
        assert!(expected.matcher().finish());
        let mut matcher = expected.matcher();
        matcher.row(Some((b"a", b"ca", b"applied")));
        assert!(!matcher.finish());
    }
}
