//! Targets in Alembic's syntax, `history -r` ranges, and plans: pure
//! functions from (graph, applied set, target) to the ordered revisions to
//! run, and from (graph, current revisions, range) to the revisions listed.

use std::fmt;
use std::str::FromStr;

use crate::error::Error;
use crate::graph::RevisionGraph;
use crate::relative::{MAX_RELATIVE_CHAIN, relative_chain};

/// Where to go: Alembic's target syntax.
///
/// ```
/// use migrate_core::Target;
/// assert_eq!("head".parse::<Target>().unwrap(), Target::Head);
/// assert_eq!("-2".parse::<Target>().unwrap(), Target::Relative { from: None, steps: -2 });
/// assert!("ab12+1".parse::<Target>().is_ok());
/// assert!("core@head".parse::<Target>().is_ok());
/// assert!("a b".parse::<Target>().is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Target {
    /// The single head (an error when there are several).
    Head,
    /// Every head.
    Heads,
    /// Nothing applied.
    Base,
    /// A full or unambiguous partial revision id, or a branch label.
    Revision(String),
    /// The head of the branch holding a label.
    LabelHead(String),
    /// Below the revision holding a label (its branch removed).
    LabelBase(String),
    /// `steps` away from `from`, or from the database's current head when `from` is `None`.
    Relative {
        /// Starting point.
        from: Option<Box<Target>>,
        /// Positive: up; negative: down.
        steps: i64,
    },
}

impl Target {
    /// Parses Alembic's syntax: `head`, `heads`, `base`, `REV`, `+N`, `-N`,
    /// `REV+N`, `REV-N`, `LABEL@head`, `LABEL@base`. At most 16 relative
    /// steps may follow one another.
    pub fn parse(text: &str) -> Result<Target, Error> {
        if relative_chain(text).1 > MAX_RELATIVE_CHAIN {
            return Err(Error::InvalidTarget {
                target: text.to_owned(),
            });
        }
        Target::parse_nested(text, 0)
    }

    /// `depth` counts the relative steps already stripped from the right: a
    /// chain like `REV+1+1+…` nests one level per step. [`Target::parse`]
    /// refuses long chains before recursing; the depth bound backs that up.
    fn parse_nested(text: &str, depth: usize) -> Result<Target, Error> {
        let invalid = || Error::InvalidTarget {
            target: text.to_owned(),
        };
        if depth > MAX_RELATIVE_CHAIN {
            return Err(invalid());
        }
        let t = text.trim();
        match t {
            "" => return Err(invalid()),
            "head" => return Ok(Target::Head),
            "heads" => return Ok(Target::Heads),
            "base" => return Ok(Target::Base),
            _ => {}
        }
        if let Some(at) = t.rfind(['+', '-']) {
            let digits = &t[at + 1..];
            if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
                let n: i64 = digits.parse().map_err(|_| invalid())?;
                let steps = if t.as_bytes()[at] == b'-' { -n } else { n };
                let from = if at == 0 {
                    None
                } else {
                    Some(Box::new(
                        Target::parse_nested(&t[..at], depth + 1).map_err(|_| invalid())?,
                    ))
                };
                return Ok(Target::Relative { from, steps });
            }
        }
        if let Some((label, which)) = t.split_once('@') {
            if !is_word(label) {
                return Err(invalid());
            }
            return match which {
                "head" => Ok(Target::LabelHead(label.to_owned())),
                "base" => Ok(Target::LabelBase(label.to_owned())),
                _ => Err(invalid()),
            };
        }
        if is_word(t) {
            Ok(Target::Revision(t.to_owned()))
        } else {
            Err(invalid())
        }
    }
}

fn is_word(s: &str) -> bool {
    !s.is_empty() && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_')
}

impl FromStr for Target {
    type Err = Error;
    fn from_str(s: &str) -> Result<Target, Error> {
        Target::parse(s)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Head => f.write_str("head"),
            Target::Heads => f.write_str("heads"),
            Target::Base => f.write_str("base"),
            Target::Revision(r) => f.write_str(r),
            Target::LabelHead(l) => write!(f, "{l}@head"),
            Target::LabelBase(l) => write!(f, "{l}@base"),
            Target::Relative { from, steps } => {
                if let Some(from) = from {
                    write!(f, "{from}")?;
                }
                write!(f, "{steps:+}")
            }
        }
    }
}

/// A `history -r START:END` range: both ends included, either end may be
/// left open.
///
/// ```
/// use migrate_core::{Anchor, Range};
/// let range = Range::parse("-3:current").unwrap();
/// assert_eq!(range.start.anchor, Anchor::Open);
/// assert_eq!(range.start.steps, vec![(-3, "-3".to_owned())]);
/// assert_eq!(range.end.anchor, Anchor::Current);
/// assert!(Range::parse("ae10").is_err());
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Range {
    /// The lower end.
    pub start: Endpoint,
    /// The upper end.
    pub end: Endpoint,
}

/// One end of a [`Range`]: where counting starts, then relative steps.
///
/// An end that is a single step and nothing before it (`-3`, `+2`) counts
/// from the other end of the range.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    /// What the text names before its steps.
    pub anchor: Anchor,
    /// `+N` / `-N` steps, left to right, each with the text up to and
    /// including it (what a message about that step quotes).
    pub steps: Vec<(i64, String)>,
}

/// What an [`Endpoint`] counts from.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Anchor {
    /// Nothing: the range is open at this end (with one step: the other end).
    Open,
    /// `base`: before any revision.
    Base,
    /// `head` or `heads`: every head.
    Heads,
    /// `current`: the database's current revisions.
    Current,
    /// A revision id, prefix or label, or `REV@head`.
    Revision(String),
}

impl Range {
    /// Parses `START:END`; each end is empty, `base`, `head`, `heads`,
    /// `current`, a revision (id, prefix, label, `REV@head`), any of these
    /// followed by `+N`/`-N` steps, or a step alone.
    pub fn parse(text: &str) -> Result<Range, Error> {
        let Some((start, end)) = text.split_once(':') else {
            return Err(Error::RangeWithoutColon {
                range: text.to_owned(),
            });
        };
        Ok(Range {
            start: Endpoint::parse(start),
            end: Endpoint::parse(end),
        })
    }
}

impl Endpoint {
    /// Parses one end of a range (never fails: an unknown revision is found
    /// out on selection).
    pub fn parse(text: &str) -> Endpoint {
        // Iterative, so a long chain of steps cannot exhaust the stack.
        let mut rest = text;
        let mut steps = Vec::new();
        while let Some((base, n)) = range_step(rest) {
            steps.push((n, rest.to_owned()));
            rest = base;
        }
        steps.reverse();
        let anchor = match rest {
            "" => Anchor::Open,
            "base" => Anchor::Base,
            "head" | "heads" => Anchor::Heads,
            "current" => Anchor::Current,
            spec => Anchor::Revision(spec.to_owned()),
        };
        Endpoint { anchor, steps }
    }

    /// A single step with nothing before it: counted from the other end.
    fn counted_from_other_end(&self) -> Option<&(i64, String)> {
        match (&self.anchor, &self.steps[..]) {
            (Anchor::Open, [one]) => Some(one),
            _ => None,
        }
    }
}

/// `(base, steps)` of `base+N` / `base-N`; `base` may be empty.
fn range_step(text: &str) -> Option<(&str, i64)> {
    let at = text.rfind(['+', '-'])?;
    let digits = &text[at + 1..];
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: i64 = digits.parse().ok()?;
    Some((
        &text[..at],
        if text.as_bytes()[at] == b'-' { -n } else { n },
    ))
}

/// A resolved end of a range: open, or a set of revisions (empty: base).
#[derive(Debug, Clone, PartialEq, Eq)]
enum End {
    Open,
    At(Vec<usize>),
}

impl RevisionGraph {
    /// A revision by id, prefix or label, or `REV@head`: the single head
    /// above REV.
    pub fn lookup_at_head(&self, spec: &str) -> Result<usize, Error> {
        if let Some(label) = spec.strip_suffix("@head") {
            let start = self.lookup(label)?;
            let above = self.descendants(&[start]);
            let heads: Vec<usize> = self
                .heads
                .iter()
                .copied()
                .filter(|&h| h == start || above[h])
                .collect();
            return match heads[..] {
                [one] => Ok(one),
                _ => Err(Error::MultipleHeadsTarget {
                    argument: spec.to_owned(),
                }),
            };
        }
        self.lookup(spec)
    }

    /// The revisions in `range`, both ends included, as a mark per
    /// revision; `current` are the database's current revisions.
    pub fn select_range(&self, range: &Range, current: &[usize]) -> Result<Vec<bool>, Error> {
        let start_from_end = range.start.counted_from_other_end();
        let mut start = match start_from_end {
            Some(_) => None,
            None => Some(self.endpoint(&range.start, current)?),
        };
        let end = match range.end.counted_from_other_end() {
            Some((steps, text)) => {
                let from = start.clone().unwrap_or(End::Open);
                self.range_walk(&from, *steps, text)?
            }
            None => self.endpoint(&range.end, current)?,
        };
        if let Some((steps, text)) = start_from_end {
            start = Some(self.range_walk(&end, *steps, text)?);
        }
        let start = start.unwrap_or(End::Open);
        let upper = match &end {
            End::Open => vec![true; self.len()],
            End::At(set) => self.ancestors_inclusive(set),
        };
        let lower = match &start {
            End::Open => vec![true; self.len()],
            End::At(set) if set.is_empty() => vec![true; self.len()],
            End::At(set) => {
                let mut after = self.descendants(set);
                for &i in set {
                    after[i] = true;
                }
                after
            }
        };
        Ok((0..self.len()).map(|i| upper[i] && lower[i]).collect())
    }

    fn endpoint(&self, endpoint: &Endpoint, current: &[usize]) -> Result<End, Error> {
        let mut at = match &endpoint.anchor {
            Anchor::Open => End::Open,
            Anchor::Base => End::At(Vec::new()),
            Anchor::Heads => End::At(self.heads.clone()),
            Anchor::Current => {
                let mut set = current.to_vec();
                set.sort_unstable();
                End::At(set)
            }
            Anchor::Revision(spec) => End::At(vec![self.lookup_at_head(spec)?]),
        };
        for (steps, text) in &endpoint.steps {
            at = self.range_walk(&at, *steps, text)?;
        }
        Ok(at)
    }

    /// `steps` revisions up (positive) or down from a single revision.
    fn range_walk(&self, from: &End, steps: i64, text: &str) -> Result<End, Error> {
        let mut at: Option<usize> = match from {
            End::Open | End::At(_) if steps == 0 => return Ok(from.clone()),
            End::At(set) if set.is_empty() => None,
            End::At(set) if set.len() == 1 => Some(set[0]),
            _ => {
                return Err(Error::RelativeRangeEnd {
                    end: text.to_owned(),
                });
            }
        };
        let out_of_range = || Error::RelativeOutOfRange {
            target: text.to_owned(),
            steps: steps.unsigned_abs(),
        };
        for _ in 0..steps.unsigned_abs() {
            let next: Vec<usize> = match (at, steps > 0) {
                (Some(i), true) => self.children[i].to_vec(),
                (Some(i), false) => self.parents[i].to_vec(),
                (None, true) => self.bases(),
                (None, false) => return Err(out_of_range()),
            };
            at = match next[..] {
                [] if steps < 0 => None,
                [] => return Err(out_of_range()),
                [one] => Some(one),
                _ => {
                    return Err(Error::AmbiguousWalk {
                        target: text.to_owned(),
                        revision: at.map_or("base".into(), |i| self.ids[i].to_owned()),
                        direction: if steps > 0 { "children" } else { "parents" },
                        candidates: self.names(&next),
                    });
                }
            };
        }
        Ok(End::At(at.into_iter().collect()))
    }
}

/// Which way a plan goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Applying upgrade sections.
    Upgrade,
    /// Applying downgrade sections.
    Downgrade,
}

/// The ordered revisions to run, as graph indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// Upgrade or downgrade.
    pub direction: Direction,
    /// Revisions in the order to run them.
    pub steps: Vec<usize>,
}

/// What `stamp` changes in the history table, without running SQL.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StampPlan {
    /// Revisions to record as applied, parents first.
    pub add: Vec<usize>,
    /// Revisions to remove from the history, dependents first.
    pub remove: Vec<usize>,
}

impl RevisionGraph {
    /// Marks the applied revisions; an id the graph does not know is the
    /// "Can't locate revision" error (the database is ahead of this directory).
    pub fn applied_set<S: AsRef<str>>(&self, applied: &[S]) -> Result<Vec<bool>, Error> {
        let mut set = vec![false; self.len()];
        for id in applied {
            let id = id.as_ref();
            match self.find(id) {
                Some(i) => set[i] = true,
                None => {
                    return Err(Error::UnknownRevision {
                        revision: id.to_owned(),
                    });
                }
            }
        }
        Ok(set)
    }

    /// The heads of an applied set: applied revisions with no applied child.
    pub fn current_heads(&self, applied: &[bool]) -> Vec<usize> {
        let mut heads: Vec<usize> = (0..self.len())
            .filter(|&i| applied[i] && !self.children[i].iter().any(|&c| applied[c]))
            .collect();
        self.sort_topological(&mut heads);
        heads
    }

    /// A revision by full id, branch label, or unambiguous id prefix.
    pub fn lookup(&self, text: &str) -> Result<usize, Error> {
        if let Some(i) = self.find(text).or_else(|| self.find_label(text)) {
            return Ok(i);
        }
        let matches: Vec<usize> = (0..self.len())
            // A later file repeating an id is not a second candidate (only
            // a lenient graph has one).
            .filter(|&i| self.ids[i].starts_with(text) && self.find(&self.ids[i]) == Some(i))
            .collect();
        match matches[..] {
            [one] => Ok(one),
            [] => Err(Error::UnknownRevision {
                revision: text.to_owned(),
            }),
            _ => Err(Error::AmbiguousRevision {
                prefix: text.to_owned(),
                candidates: self.names(&matches),
            }),
        }
    }

    fn names(&self, items: &[usize]) -> String {
        items
            .iter()
            .map(|&i| &self.ids[i])
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// Resolves a target to the set of revisions that should be the heads
    /// afterwards (empty for `base`).
    pub fn resolve(&self, target: &Target, applied: &[bool]) -> Result<Vec<usize>, Error> {
        match target {
            Target::Head => match self.heads[..] {
                [] => Ok(Vec::new()),
                [one] => Ok(vec![one]),
                _ => Err(Error::MultipleHeadsTarget {
                    argument: "head".into(),
                }),
            },
            Target::Heads => Ok(self.heads.clone()),
            Target::Base => Ok(Vec::new()),
            Target::Revision(r) => Ok(vec![self.lookup(r)?]),
            Target::LabelHead(label) => {
                let start = self
                    .find_label(label)
                    .ok_or_else(|| Error::UnknownRevision {
                        revision: format!("{label}@head"),
                    })?;
                let reached: Vec<usize> = self
                    .heads
                    .iter()
                    .copied()
                    .filter(|&h| h == start || self.is_descendant(h, start))
                    .collect();
                match reached[..] {
                    [one] => Ok(vec![one]),
                    _ => Err(Error::MultipleHeadsTarget {
                        argument: format!("{label}@head"),
                    }),
                }
            }
            Target::LabelBase(label) => {
                let start = self
                    .find_label(label)
                    .ok_or_else(|| Error::UnknownRevision {
                        revision: format!("{label}@base"),
                    })?;
                Ok(self.parents[start].to_vec())
            }
            Target::Relative { from, steps } => {
                let start = match from {
                    Some(from) => match self.resolve(from, applied)?[..] {
                        [one] => Some(one),
                        [] => None,
                        _ => {
                            return Err(Error::MultipleHeadsTarget {
                                argument: target.to_string(),
                            });
                        }
                    },
                    None => match self.current_heads(applied)[..] {
                        [one] => Some(one),
                        [] => None,
                        _ => {
                            return Err(Error::MultipleHeadsTarget {
                                argument: target.to_string(),
                            });
                        }
                    },
                };
                self.walk(start, *steps, target)
            }
        }
    }

    fn walk(&self, start: Option<usize>, steps: i64, target: &Target) -> Result<Vec<usize>, Error> {
        let out_of_range = || Error::RelativeOutOfRange {
            target: target.to_string(),
            steps: steps.unsigned_abs(),
        };
        if steps >= 0 {
            let mut current = start;
            for _ in 0..steps {
                let next: Vec<usize> = match current {
                    Some(c) => self.children[c].to_vec(),
                    None => self.bases(),
                };
                match next[..] {
                    [] => return Err(out_of_range()),
                    [one] => current = Some(one),
                    _ => {
                        return Err(Error::AmbiguousWalk {
                            target: target.to_string(),
                            revision: current.map_or("base".into(), |c| self.ids[c].to_owned()),
                            direction: "children",
                            candidates: self.names(&next),
                        });
                    }
                }
            }
            Ok(current.into_iter().collect())
        } else {
            let mut current: Vec<usize> = start.into_iter().collect();
            for _ in 0..steps.unsigned_abs() {
                match current[..] {
                    [] => return Err(out_of_range()),
                    [one] => current = self.parents[one].to_vec(),
                    _ => {
                        return Err(Error::AmbiguousWalk {
                            target: target.to_string(),
                            revision: self.ids[current[0]].to_owned(),
                            direction: "parents",
                            candidates: self.names(&current),
                        });
                    }
                }
            }
            Ok(current)
        }
    }

    /// Revisions that come after a resolved target and go in a downgrade.
    /// `LABEL@base` removes the labelled revision and what follows it, and
    /// leaves other branches alone.
    fn after(&self, target: &Target, resolved: &[usize]) -> Vec<bool> {
        if let Target::LabelBase(label) = target
            && let Some(start) = self.find_label(label)
        {
            let mut after = self.descendants(&[start]);
            after[start] = true;
            return after;
        }
        if resolved.is_empty() {
            vec![true; self.len()]
        } else {
            self.descendants(resolved)
        }
    }

    /// The upgrade plan: every revision the target needs that is not applied,
    /// parents and dependencies first. Empty when there is nothing to do.
    ///
    /// ```
    /// # use migrate_core::{parse_revision, RevisionGraph, Target};
    /// # let text = |id: &str, parent: &str| format!("-- revision: {id}\n-- down_revision: {parent}\n-- migrate:upgrade\n");
    /// let revisions = vec![
    ///     parse_revision("m/a.sql", &text("a", "none")).unwrap(),
    ///     parse_revision("m/b.sql", &text("b", "a")).unwrap(),
    /// ];
    /// let graph = RevisionGraph::from_revisions(&revisions).unwrap();
    /// let plan = graph.plan_upgrade(&Target::Head, &graph.applied_set(&["a"]).unwrap()).unwrap();
    /// assert_eq!(plan.steps, vec![1]);
    /// ```
    pub fn plan_upgrade(&self, target: &Target, applied: &[bool]) -> Result<Plan, Error> {
        let targets = self.resolve(target, applied)?;
        let needed = self.ancestors_inclusive(&targets);
        let mut steps: Vec<usize> = (0..self.len())
            .filter(|&i| needed[i] && !applied[i])
            .collect();
        self.sort_topological(&mut steps);
        Ok(Plan {
            direction: Direction::Upgrade,
            steps,
        })
    }

    /// The downgrade plan: every applied revision after the target,
    /// dependents first. Fails before anything runs when the target is not
    /// below the applied revisions or a step has no downgrade section.
    pub fn plan_downgrade(&self, target: &Target, applied: &[bool]) -> Result<Plan, Error> {
        let targets = self.resolve(target, applied)?;
        let needed = self.ancestors_inclusive(&targets);
        let missing: Vec<usize> = (0..self.len())
            .filter(|&i| needed[i] && !applied[i])
            .collect();
        if !missing.is_empty() {
            return Err(Error::NotADowngrade {
                target: target.to_string(),
                current: self.names(&self.current_heads(applied)),
                missing: self.names(&missing),
            });
        }
        let after = self.after(target, &targets);
        let mut steps: Vec<usize> = (0..self.len())
            .filter(|&i| after[i] && applied[i])
            .collect();
        self.sort_topological(&mut steps);
        steps.reverse();
        if let Some(&i) = steps.iter().find(|&&i| !self.reversible[i]) {
            return Err(Error::Irreversible {
                revision: self.ids[i].to_owned(),
                path: self.paths[i].to_owned(),
            });
        }
        Ok(Plan {
            direction: Direction::Downgrade,
            steps,
        })
    }

    /// What `stamp` records: the target's revisions added, anything applied
    /// after it removed; with `purge`, the history is rebuilt from scratch.
    pub fn plan_stamp(
        &self,
        targets: &[Target],
        applied: &[bool],
        purge: bool,
    ) -> Result<StampPlan, Error> {
        let none = vec![false; self.len()];
        let applied = if purge { &none[..] } else { applied };
        let mut resolved = Vec::new();
        for t in targets {
            resolved.extend(self.resolve(t, applied)?);
        }
        let needed = self.ancestors_inclusive(&resolved);
        let after = match targets {
            [one] => self.after(one, &resolved),
            _ => self.after(&Target::Heads, &resolved),
        };
        let mut add: Vec<usize> = (0..self.len())
            .filter(|&i| needed[i] && !applied[i])
            .collect();
        self.sort_topological(&mut add);
        let mut remove: Vec<usize> = (0..self.len())
            .filter(|&i| applied[i] && after[i] && !needed[i])
            .collect();
        self.sort_topological(&mut remove);
        remove.reverse();
        Ok(StampPlan { add, remove })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::graph::tests::graph;

    fn ids(g: &RevisionGraph, steps: &[usize]) -> String {
        steps.iter().map(|&i| g.id(i)).collect::<Vec<_>>().join(" ")
    }

    fn up(g: &RevisionGraph, target: &str, applied: &[&str]) -> Result<String, String> {
        let set = g.applied_set(applied).unwrap();
        g.plan_upgrade(&target.parse().map_err(|e: Error| e.to_string())?, &set)
            .map(|p| ids(g, &p.steps))
            .map_err(|e| e.to_string())
    }

    fn down(g: &RevisionGraph, target: &str, applied: &[&str]) -> Result<String, String> {
        let set = g.applied_set(applied).unwrap();
        g.plan_downgrade(&target.parse().map_err(|e: Error| e.to_string())?, &set)
            .map(|p| ids(g, &p.steps))
            .map_err(|e| e.to_string())
    }

    fn range(g: &RevisionGraph, text: &str, current: &[usize]) -> Result<String, String> {
        let range = Range::parse(text).map_err(|e| e.to_string())?;
        let selected = g.select_range(&range, current).map_err(|e| e.to_string())?;
        Ok(g.topological_order()
            .iter()
            .filter(|&&i| selected[i])
            .map(|&i| g.id(i))
            .collect::<Vec<_>>()
            .join(" "))
    }

    #[test]
    fn range_parses_anchors_and_steps() {
        let r = Range::parse("core@head-1+2:").unwrap();
        assert_eq!(r.start.anchor, Anchor::Revision("core@head".into()));
        assert_eq!(
            r.start.steps,
            vec![
                (-1, "core@head-1".to_owned()),
                (2, "core@head-1+2".to_owned())
            ]
        );
        assert_eq!(
            r.end,
            Endpoint {
                anchor: Anchor::Open,
                steps: Vec::new()
            }
        );
        for (text, anchor) in [
            ("base", Anchor::Base),
            ("head", Anchor::Heads),
            ("heads", Anchor::Heads),
            ("current", Anchor::Current),
            ("ae1", Anchor::Revision("ae1".into())),
        ] {
            assert_eq!(Endpoint::parse(text).anchor, anchor, "{text}");
        }
        // Too large to be a step: the whole text names a revision.
        let big = Endpoint::parse("a+99999999999999999999");
        assert_eq!(
            big.anchor,
            Anchor::Revision("a+99999999999999999999".into())
        );
        assert!(big.steps.is_empty());
    }

    #[test]
    fn range_without_colon_is_refused_with_examples() {
        assert_eq!(
            Range::parse("ae10").unwrap_err().to_string(),
            "history range `ae10` has no `:`; write START:END, e.g. `-r base:head`, `-r -3:current`, `-r ae10:`"
        );
    }

    #[test]
    fn ranges_include_both_ends() {
        let g = graph("a: b:a c:b d:c").unwrap();
        assert_eq!(range(&g, "b:c", &[]).unwrap(), "b c");
        assert_eq!(range(&g, "c:", &[]).unwrap(), "c d");
        assert_eq!(range(&g, ":b", &[]).unwrap(), "a b");
        assert_eq!(range(&g, "base:head", &[]).unwrap(), "a b c d");
        assert_eq!(range(&g, "-1:current", &[2]).unwrap(), "b c");
        assert_eq!(range(&g, "current:", &[2]).unwrap(), "c d");
        assert_eq!(range(&g, "a:+2", &[]).unwrap(), "a b c");
        assert_eq!(range(&g, "b+1:d-1", &[]).unwrap(), "c");
        assert!(
            range(&g, "zz:", &[])
                .unwrap_err()
                .starts_with("Can't locate revision identified by 'zz'")
        );
    }

    #[test]
    fn range_label_head_and_relative_errors_keep_their_messages() {
        let g = graph("a::: b:a::core c:a").unwrap_or_else(|_| unreachable!());
        assert_eq!(range(&g, "core@head:", &[]).unwrap(), "b");
        assert_eq!(
            range(&g, "a@head:", &[]).unwrap_err(),
            Error::MultipleHeadsTarget {
                argument: "a@head".into()
            }
            .to_string()
        );
        assert_eq!(
            range(&g, "heads+1:", &[]).unwrap_err(),
            "relative range end `heads+1` needs a single revision to count from; name one"
        );
        assert!(
            range(&g, "a+1:", &[])
                .unwrap_err()
                .starts_with("target a+1 is ambiguous: revision `a` has several children (b, c)")
        );
        assert!(
            range(&g, "b+1:", &[])
                .unwrap_err()
                .starts_with("Relative revision b+1 didn't produce 1 migrations")
        );
    }

    #[test]
    fn parses_every_form() {
        for (text, expected) in [
            ("heads", Target::Heads),
            ("base", Target::Base),
            ("ab12", Target::Revision("ab12".into())),
            (
                "+3",
                Target::Relative {
                    from: None,
                    steps: 3,
                },
            ),
            (
                "ab12-1",
                Target::Relative {
                    from: Some(Box::new(Target::Revision("ab12".into()))),
                    steps: -1,
                },
            ),
            ("core@head", Target::LabelHead("core".into())),
            ("core@base", Target::LabelBase("core".into())),
        ] {
            assert_eq!(Target::parse(text).unwrap(), expected, "{text}");
            assert_eq!(expected.to_string(), text);
        }
        for bad in ["", "a@b", "x y", "+", "@head", "a;b"] {
            assert!(Target::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn upgrade_head_from_empty_and_partial() {
        let g = graph("a: b:a c:b").unwrap();
        assert_eq!(up(&g, "head", &[]).unwrap(), "a b c");
        assert_eq!(up(&g, "head", &["a"]).unwrap(), "b c");
        assert_eq!(up(&g, "head", &["a", "b", "c"]).unwrap(), "");
    }

    #[test]
    fn relative_and_partial_targets() {
        let g = graph("a1: b1:a1 c1:b1").unwrap();
        assert_eq!(up(&g, "+1", &[]).unwrap(), "a1");
        assert_eq!(up(&g, "+2", &["a1"]).unwrap(), "b1 c1");
        assert_eq!(up(&g, "b", &[]).unwrap(), "a1 b1");
        assert_eq!(up(&g, "a1+1", &[]).unwrap(), "a1 b1");
        assert_eq!(
            up(&g, "+4", &[]).unwrap_err(),
            "Relative revision +4 didn't produce 4 migrations; the chain is shorter, use a smaller step or `base`/`head`"
        );
        assert_eq!(down(&g, "-1", &["a1", "b1", "c1"]).unwrap(), "c1");
        assert_eq!(down(&g, "-3", &["a1", "b1", "c1"]).unwrap(), "c1 b1 a1");
        assert_eq!(down(&g, "c1-2", &["a1", "b1", "c1"]).unwrap(), "c1 b1");
        assert!(
            down(&g, "-4", &["a1", "b1", "c1"])
                .unwrap_err()
                .starts_with("Relative revision -4")
        );
    }

    #[test]
    fn unknown_and_ambiguous_ids_use_alembic_wording() {
        let g = graph("ab1: ab2:ab1").unwrap();
        assert_eq!(
            up(&g, "zz", &[]).unwrap_err(),
            "Can't locate revision identified by 'zz'; check `migrate history` for valid ids"
        );
        assert!(
            up(&g, "ab", &[])
                .unwrap_err()
                .starts_with("Multiple revisions start with 'ab': ab1, ab2")
        );
        assert!(
            g.applied_set(&["gone"])
                .unwrap_err()
                .to_string()
                .starts_with("Can't locate revision identified by 'gone'")
        );
    }

    #[test]
    fn head_with_several_heads_is_refused() {
        let g = graph("a:::core b:a y:::other").unwrap();
        assert!(
            up(&g, "head", &[])
                .unwrap_err()
                .starts_with("Multiple head revisions are present for given argument 'head'")
        );
        assert_eq!(up(&g, "heads", &[]).unwrap(), "a b y");
        assert_eq!(up(&g, "core@head", &[]).unwrap(), "a b");
        assert_eq!(up(&g, "other@head", &[]).unwrap(), "y");
        assert_eq!(down(&g, "other@base", &["a", "b", "y"]).unwrap(), "y");
    }

    #[test]
    fn merge_and_depends_on_are_planned_in_order() {
        let g = graph("a: b:a c:a m:b,c").unwrap();
        assert_eq!(up(&g, "head", &[]).unwrap(), "a b c m");
        assert_eq!(down(&g, "-1", &["a", "b", "c", "m"]).unwrap(), "m");
        assert_eq!(down(&g, "a", &["a", "b", "c", "m"]).unwrap(), "m c b");
        let g = graph("a:::one b:a:d c:::two d:c").unwrap();
        assert_eq!(up(&g, "one@head", &[]).unwrap(), "a c d b");
        assert_eq!(
            down(&g, "two@base", &["a", "b", "c", "d"]).unwrap(),
            "b d c"
        );
    }

    #[test]
    fn downgrade_refuses_irreversible_and_forward_targets() {
        let g = graph("a: x1:a c:x1").unwrap();
        assert_eq!(down(&g, "x1", &["a", "x1", "c"]).unwrap(), "c");
        let err = down(&g, "base", &["a", "x1", "c"]).unwrap_err();
        assert!(
            err.starts_with("revision x1 (m/x1.sql) has no `-- migrate:downgrade` section"),
            "{err}"
        );
        let err = down(&g, "c", &["a"]).unwrap_err();
        assert!(
            err.starts_with("Destination c is not a valid downgrade target from current head(s) a"),
            "{err}"
        );
    }

    #[test]
    fn stamp_adds_and_removes() {
        let g = graph("a: b:a c:b").unwrap();
        let applied = g.applied_set(&["a"]).unwrap();
        let p = g.plan_stamp(&[Target::Head], &applied, false).unwrap();
        assert_eq!(
            (ids(&g, &p.add), ids(&g, &p.remove)),
            ("b c".into(), "".into())
        );
        let applied = g.applied_set(&["a", "b", "c"]).unwrap();
        let p = g
            .plan_stamp(&[Target::Revision("a".into())], &applied, false)
            .unwrap();
        assert_eq!(
            (ids(&g, &p.add), ids(&g, &p.remove)),
            ("".into(), "c b".into())
        );
        let p = g
            .plan_stamp(&[Target::Revision("b".into())], &applied, true)
            .unwrap();
        assert_eq!(ids(&g, &p.add), "a b");
    }

    #[test]
    fn downgrade_to_revision_removes_only_what_comes_after_it() {
        let g = graph("a: b:a c:a m:b,c d:m").unwrap();
        let start = g.applied_set(&["a", "b"]).unwrap();
        let plan = g.plan_upgrade(&Target::Head, &start).unwrap();
        let mut after = start.clone();
        for &i in &plan.steps {
            after[i] = true;
        }
        let back = g
            .plan_downgrade(&Target::Revision("b".into()), &after)
            .unwrap();
        for &i in &back.steps {
            after[i] = false;
        }
        // c is on the other side of the merge, not after b: it stays.
        assert_eq!(ids(&g, &back.steps), "d m");
        assert!(after[0] && after[1] && after[2]);
    }
}

/// Plans over random graphs: orders and round trips hold for every case.
#[cfg(test)]
mod properties {
    use super::*;
    use crate::graph::tests::graph;

    /// xorshift64*: deterministic, no dependency.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
        }
        fn below(&mut self, n: usize) -> usize {
            (self.next() % n as u64) as usize
        }
    }

    /// A random DAG of `n` revisions (parents and depends_on among earlier
    /// ones), closed by a merge of every head so there is one head.
    fn random_spec(rng: &mut Rng, n: usize) -> String {
        let mut entries = Vec::new();
        let mut has_child = vec![false; n];
        for i in 0..n {
            let mut parents = Vec::new();
            if i > 0 && rng.below(8) != 0 {
                let p = rng.below(i);
                parents.push(p);
                if i > 1 && rng.below(4) == 0 {
                    let q = rng.below(i);
                    if q != p {
                        parents.push(q);
                    }
                }
            }
            let mut deps = Vec::new();
            if i > 2 && rng.below(6) == 0 {
                let d = rng.below(i);
                if !parents.contains(&d) {
                    deps.push(d);
                }
            }
            for &p in &parents {
                has_child[p] = true;
            }
            let list = |v: &[usize]| {
                v.iter()
                    .map(|p| format!("n{p}"))
                    .collect::<Vec<_>>()
                    .join(",")
            };
            entries.push(format!("n{i}:{}:{}", list(&parents), list(&deps)));
        }
        let heads: Vec<String> = (0..n)
            .filter(|&i| !has_child[i])
            .map(|i| format!("n{i}"))
            .collect();
        if heads.len() > 1 {
            entries.push(format!("merge:{}", heads.join(",")));
        }
        entries.join(" ")
    }

    fn assert_ordered(g: &RevisionGraph, before: &[bool], steps: &[usize], upgrade: bool) {
        let mut state = before.to_vec();
        for &i in steps {
            let needs: Vec<usize> = g
                .parents(i)
                .iter()
                .chain(g.depends_on(i))
                .copied()
                .collect();
            if upgrade {
                assert!(!state[i], "{} applied twice", g.id(i));
                assert!(
                    needs.iter().all(|&p| state[p]),
                    "{} runs before what it needs",
                    g.id(i)
                );
                state[i] = true;
            } else {
                assert!(state[i], "{} undone while not applied", g.id(i));
                let after = (0..g.len()).filter(|&c| {
                    state[c] && (g.parents(c).contains(&i) || g.depends_on(c).contains(&i))
                });
                assert_eq!(after.count(), 0, "{} undone before what needs it", g.id(i));
                state[i] = false;
            }
        }
    }

    #[test]
    fn upgrade_and_downgrade_plans_respect_order_and_round_trip() {
        let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
        for case in 0..300 {
            let n = 2 + rng.below(25);
            let spec = random_spec(&mut rng, n);
            let g = graph(&spec).unwrap_or_else(|e| panic!("case {case}: {spec}: {e:?}"));
            let a = rng.below(g.len());
            let start = g.ancestors_inclusive(&[a]);

            let up = g.plan_upgrade(&Target::Head, &start).unwrap();
            assert_ordered(&g, &start, &up.steps, true);
            let mut at_head = start.clone();
            for &i in &up.steps {
                at_head[i] = true;
            }
            assert!(
                at_head.iter().all(|&x| x),
                "case {case}: head needs every revision"
            );

            let target = Target::Revision(g.id(a).to_owned());
            let down = g.plan_downgrade(&target, &at_head).unwrap();
            assert_ordered(&g, &at_head, &down.steps, false);
            let mut back = at_head.clone();
            for &i in &down.steps {
                back[i] = false;
            }
            let after_a = g.descendants(&[a]);
            for i in 0..g.len() {
                assert_eq!(
                    back[i],
                    !after_a[i],
                    "case {case}: {spec}: {} after downgrade to {}",
                    g.id(i),
                    g.id(a)
                );
            }
            // `depends_on` targets are heads of their own branches, so `a` is
            // one head of its ancestry, not necessarily the only one.
            assert!(g.current_heads(&start).contains(&a), "case {case}");

            // Upgrading again restores the head state exactly.
            let again = g.plan_upgrade(&Target::Head, &back).unwrap();
            assert_ordered(&g, &back, &again.steps, true);
            assert_eq!(again.steps.len(), down.steps.len(), "case {case}");

            // Down to base and back up.
            let base = g.plan_downgrade(&Target::Base, &at_head).unwrap();
            assert_eq!(base.steps.len(), g.len());
            assert_ordered(&g, &at_head, &base.steps, false);
        }
    }
}
