//! `schema.sql` declarations of PostgreSQL's declarative partitioning:
//! `CREATE TABLE m (…) PARTITION BY RANGE|LIST|HASH (keys)`, `CREATE TABLE
//! p PARTITION OF m FOR VALUES …` (sub-partitioned with `PARTITION BY`),
//! and pg_dump's form: `CREATE TABLE p (…)` then `ALTER TABLE ONLY m ATTACH
//! PARTITION p FOR VALUES …`, with the partition's copies of the parent's
//! indexes (`CREATE INDEX … ON ONLY m`, `ALTER INDEX … ATTACH PARTITION`).
//!
//! Read from tokens: sqlparser reads neither `ATTACH PARTITION` nor a key
//! with an operator class. The key and the bound are kept as written (the
//! comparison puts them in the server's form); a `PARTITION BY` clause is
//! blanked out of the statement, which then takes the ordinary `CREATE
//! TABLE` path with the key attached to it.

use sqlparser::tokenizer::Token;

use super::{Pos, SchemaParser, blank, place};
use crate::model::{Partition, QualifiedName};
use crate::views::{self, Tok};
use migrate_core::sql::Dialect;

/// What [`SchemaParser::partition_statement`] made of a statement.
pub(super) enum Outcome {
    /// Not a partitioning statement: the ordinary path reads it.
    NotMine,
    /// Read (or reported) here: nothing more to do.
    Done,
    /// The statement with its partitioning clause blanked out, for the
    /// ordinary path.
    Rewritten(String),
}

/// A partition as declared, resolved once every table is known.
pub(super) struct Pending {
    pub at: Pos,
    pub partition: Partition,
    /// pg_dump's form: the partition was declared as a table first.
    pub attached: bool,
}

/// The first element of a top-level comma list of a key when it is a
/// plain column (`at`, `"Region"`, `k COLLATE "C"`, `k text_pattern_ops`):
/// its name as written and quoted or not, and its offset.
fn key_columns(toks: &[Tok]) -> Vec<(String, bool, usize)> {
    let mut out = Vec::new();
    let mut element: Vec<&Tok> = Vec::new();
    let mut depth = 0;
    let mut finish = |element: &mut Vec<&Tok>| {
        if let Some(first) = element.first()
            && let Token::Word(w) = &first.token
            && !matches!(element.get(1).map(|t| &t.token), Some(Token::LParen))
            && !matches!(
                element.get(1).map(|t| &t.token),
                Some(Token::Period | Token::DoubleColon)
            )
        {
            out.push((w.value.clone(), w.quote_style.is_some(), first.start));
        }
        element.clear();
    };
    for t in toks {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            Token::Comma if depth == 0 => {
                finish(&mut element);
                continue;
            }
            _ => {}
        }
        element.push(t);
    }
    finish(&mut element);
    out
}

impl SchemaParser {
    /// Partitioning statements (PostgreSQL), read before the ordinary path.
    pub(super) fn partition_statement(&mut self, text: &str, at: Pos) -> Outcome {
        let Ok(toks) = views::tokens(text, Dialect::Postgres) else {
            return Outcome::NotMine;
        };
        let word = |i: usize| toks.get(i).map(Tok::word).unwrap_or_default();
        if word(0) == "ALTER" && word(1) == "INDEX" {
            // pg_dump ties a partition's copy of an index to the parent's
            // (`ALTER INDEX m_idx ATTACH PARTITION p_idx`): the copy is the
            // parent's index, already read from it.
            return if toks.iter().any(|t| t.is("ATTACH")) {
                Outcome::Done
            } else {
                Outcome::NotMine
            };
        }
        if word(0) == "ALTER" && word(1) == "TABLE" {
            return self.attach_partition(text, &toks, at);
        }
        if word(0) != "CREATE" {
            return Outcome::NotMine;
        }
        let Some(table_at) = toks.iter().take(4).position(|t| t.is("TABLE")) else {
            return self.index_on_only(text, &toks);
        };
        let mut i = table_at + 1;
        if word(i) == "IF" {
            i += 3;
        }
        let Some((parts, after_name, _)) = views::name_at(&toks, i) else {
            return Outcome::NotMine;
        };
        if word(after_name) == "PARTITION" && word(after_name + 1) == "OF" {
            self.partition_of(text, &toks, at, &parts, after_name + 2);
            return Outcome::Done;
        }
        // `CREATE TABLE m (…) PARTITION BY …`: the clause follows the
        // column list, at depth 0.
        let mut depth = 0;
        for (k, t) in toks.iter().enumerate() {
            match t.token {
                Token::LParen => depth += 1,
                Token::RParen => depth -= 1,
                _ if depth == 0 && t.is("PARTITION") && word(k + 1) == "BY" => {
                    return match self.key_at(text, &toks, at, k + 2) {
                        Some((key, end)) => {
                            self.next_partition_key = Some((key, place(text, at, t.start)));
                            Outcome::Rewritten(blank(text, t.start, end))
                        }
                        None => Outcome::Done,
                    };
                }
                _ => {}
            }
        }
        Outcome::NotMine
    }

    /// `RANGE|LIST|HASH ( … )` at token `i`: the key as written
    /// (`RANGE (at)`) and the byte offset after it. Reports a malformed
    /// key and returns `None`.
    fn key_at(&mut self, text: &str, toks: &[Tok], at: Pos, i: usize) -> Option<(String, usize)> {
        let method = toks.get(i).map(Tok::word).unwrap_or_default();
        let close = match (
            matches!(method.as_str(), "RANGE" | "LIST" | "HASH"),
            toks.get(i + 1).map(|t| &t.token),
        ) {
            (true, Some(Token::LParen)) => views::closing(toks, i + 1),
            _ => None,
        };
        let Some(close) = close.filter(|c| *c > i + 2) else {
            let off = toks.get(i).map_or(text.len(), |t| t.start);
            self.error_at(
                place(text, at, off),
                "expected a partition key: PARTITION BY RANGE (…), LIST (…) or HASH (…) with at least one column or expression; fix the key".into(),
            );
            return None;
        };
        let inner = text[toks[i + 1].end..toks[close].start].trim();
        // Record the key's plain columns for the check against the table.
        self.partition_key_columns = key_columns(&toks[i + 2..close])
            .into_iter()
            .map(|(name, quoted, off)| {
                let name = if quoted { name } else { name.to_lowercase() };
                (name, place(text, at, off))
            })
            .collect();
        Some((format!("{method} ({inner})"), toks[close].end))
    }

    /// The bound after a partition's name and parent: `FOR VALUES FROM (…)
    /// TO (…)`, `FOR VALUES IN (…)`, `FOR VALUES WITH (…)` or `DEFAULT`, as
    /// written, and the index of the token after it.
    fn bound_at(&mut self, text: &str, toks: &[Tok], at: Pos, i: usize) -> Option<(String, usize)> {
        let word = |k: usize| toks.get(k).map(Tok::word).unwrap_or_default();
        let end = if word(i) == "DEFAULT" {
            Some(i + 1)
        } else if word(i) == "FOR" && word(i + 1) == "VALUES" {
            let paren = |k: usize| {
                matches!(toks.get(k).map(|t| &t.token), Some(Token::LParen))
                    .then(|| views::closing(toks, k))
                    .flatten()
            };
            match word(i + 2).as_str() {
                "FROM" => paren(i + 3)
                    .filter(|c| word(c + 1) == "TO")
                    .and_then(|c| paren(c + 2))
                    .map(|c| c + 1),
                "IN" | "WITH" => paren(i + 3).map(|c| c + 1),
                _ => None,
            }
        } else {
            None
        };
        let Some(end) = end else {
            let off = toks.get(i).map_or(text.len(), |t| t.start);
            self.error_at(
                place(text, at, off),
                "expected the partition's bound: FOR VALUES FROM (…) TO (…), FOR VALUES IN (…), FOR VALUES WITH (MODULUS n, REMAINDER r) or DEFAULT; fix the bound".into(),
            );
            return None;
        };
        let bound = text[toks[i].start..toks[end - 1].end].to_owned();
        Some((bound, end))
    }

    fn partition_of(
        &mut self,
        text: &str,
        toks: &[Tok],
        at: Pos,
        parts: &[(String, bool)],
        i: usize,
    ) {
        let Some(name) = views::qualify(parts, Dialect::Postgres) else {
            self.error_at(
                at,
                "the partition's name has too many parts; write `schema.name` or `name`".into(),
            );
            return;
        };
        let Some((parent_parts, mut i, _)) = views::name_at(toks, i) else {
            self.error_at(at, format!("partition {name}: expected the parent's name after PARTITION OF; fix the declaration"));
            return;
        };
        let Some(parent) = views::qualify(&parent_parts, Dialect::Postgres) else {
            self.error_at(at, format!("partition {name}: the parent's name has too many parts; write `schema.name` or `name`"));
            return;
        };
        if matches!(toks.get(i).map(|t| &t.token), Some(Token::LParen)) {
            let close = views::closing(toks, i).unwrap_or(toks.len() - 1);
            if close > i + 1 {
                self.error_at(
                    place(text, at, toks[i].start),
                    format!("partition {name}: constraints and column options declared on a partition are not compared; declare them on {parent}, which gives them to every partition, or add them in a revision"),
                );
                return;
            }
            i = close + 1;
        }
        let Some((bound, mut i)) = self.bound_at(text, toks, at, i) else {
            return;
        };
        let mut partition_key = None;
        if toks.get(i).is_some_and(|t| t.is("PARTITION"))
            && toks.get(i + 1).is_some_and(|t| t.is("BY"))
        {
            let Some((key, end)) = self.key_at(text, toks, at, i + 2) else {
                return;
            };
            partition_key = Some(key);
            i = toks
                .iter()
                .position(|t| t.start >= end)
                .unwrap_or(toks.len());
        }
        if let Some(extra) = toks.get(i).filter(|t| !matches!(t.token, Token::SemiColon)) {
            self.error_at(
                place(text, at, extra.start),
                format!("partition {name}: `{}` after the bound is not compared; remove it, or set it in a revision", &text[extra.start..]),
            );
            return;
        }
        let key_columns = std::mem::take(&mut self.partition_key_columns);
        self.pending_partitions.push(Pending {
            at,
            partition: Partition {
                name,
                parent,
                bound,
                partition_key,
            },
            attached: false,
        });
        self.pending_key_columns.push(key_columns);
    }

    /// `ALTER TABLE [ONLY] m ATTACH PARTITION p FOR VALUES …` (pg_dump).
    fn attach_partition(&mut self, text: &str, toks: &[Tok], at: Pos) -> Outcome {
        let mut i = 2;
        if toks.get(i).is_some_and(|t| t.is("IF")) {
            i += 2;
        }
        if toks.get(i).is_some_and(|t| t.is("ONLY")) {
            i += 1;
        }
        let Some((parent_parts, i, _)) = views::name_at(toks, i) else {
            return Outcome::NotMine;
        };
        if !(toks.get(i).is_some_and(|t| t.is("ATTACH"))
            && toks.get(i + 1).is_some_and(|t| t.is("PARTITION")))
        {
            return Outcome::NotMine;
        }
        let (Some(parent), Some((parts, i, _))) = (
            views::qualify(&parent_parts, Dialect::Postgres),
            views::name_at(toks, i + 2),
        ) else {
            self.error_at(
                at,
                "expected ALTER TABLE m ATTACH PARTITION p FOR VALUES …; fix the statement".into(),
            );
            return Outcome::Done;
        };
        let Some(name) = views::qualify(&parts, Dialect::Postgres) else {
            self.error_at(
                at,
                "the partition's name has too many parts; write `schema.name` or `name`".into(),
            );
            return Outcome::Done;
        };
        let Some((bound, i)) = self.bound_at(text, toks, at, i) else {
            return Outcome::Done;
        };
        if let Some(extra) = toks.get(i).filter(|t| !matches!(t.token, Token::SemiColon)) {
            self.error_at(
                place(text, at, extra.start),
                format!(
                    "partition {name}: `{}` after the bound is not compared; remove it",
                    &text[extra.start..]
                ),
            );
            return Outcome::Done;
        }
        self.pending_partitions.push(Pending {
            at,
            partition: Partition {
                name,
                parent,
                bound,
                partition_key: None,
            },
            attached: true,
        });
        self.pending_key_columns.push(Vec::new());
        Outcome::Done
    }

    /// `CREATE INDEX … ON ONLY m …` (pg_dump's index on a partitioned
    /// table): read as `ON m`.
    fn index_on_only(&mut self, text: &str, toks: &[Tok]) -> Outcome {
        if !toks.iter().take(4).any(|t| t.is("INDEX")) {
            return Outcome::NotMine;
        }
        match toks.windows(2).find(|w| w[0].is("ON") && w[1].is("ONLY")) {
            Some(w) => Outcome::Rewritten(blank(text, w[1].start, w[1].end)),
            None => Outcome::NotMine,
        }
    }

    /// Moves the declared partitions into [`Schema::partitions`]
    /// (crate::model::Schema::partitions), once every table is known:
    /// a table that pg_dump's `ATTACH PARTITION` names becomes a
    /// partition (its columns, and its copies of the parent's indexes and
    /// constraints, are the parent's). Reports partitions of an undeclared
    /// or unpartitioned parent and key columns that do not exist.
    pub(super) fn resolve_partitions(&mut self) {
        let pending = std::mem::take(&mut self.pending_partitions);
        let key_columns = std::mem::take(&mut self.pending_key_columns);
        let mut accepted = Vec::new();
        for (p, columns) in pending.iter().zip(key_columns) {
            let name = &p.partition.name;
            let mut partition = p.partition.clone();
            if p.attached {
                if self.schema.partitions.contains_key(name) {
                    self.error_at(
                        p.at,
                        format!("partition {name} is attached twice; keep one"),
                    );
                    continue;
                }
                match self.schema.tables.remove(name) {
                    Some(table) => partition.partition_key = table.partition_key,
                    None => {
                        self.error_at(
                            p.at,
                            format!("ATTACH PARTITION {name}: table {name} is not declared in this file; declare it with CREATE TABLE {name} PARTITION OF {} FOR VALUES …", p.partition.parent),
                        );
                        continue;
                    }
                }
            } else if self.schema.tables.contains_key(name)
                || self.schema.partitions.contains_key(name)
            {
                self.error_at(
                    p.at,
                    format!("table {name} is declared twice; keep one declaration"),
                );
                continue;
            }
            self.schema.partitions.insert(name.clone(), partition);
            accepted.push((p, columns));
        }
        for (p, columns) in accepted {
            let name = &p.partition.name;
            let Some(partition) = self.schema.partitions.get(name) else {
                continue;
            };
            let parent = &partition.parent;
            let parent_key = match (
                self.schema.tables.get(parent),
                self.schema.partitions.get(parent),
            ) {
                (Some(t), _) => Some(t.partition_key.is_some()),
                (None, Some(q)) => Some(q.partition_key.is_some()),
                (None, None) => None,
            };
            match parent_key {
                None => self.error_at(
                    p.at,
                    format!("partition {name}: its parent {parent} is not declared in this file; declare CREATE TABLE {parent} (…) PARTITION BY … before it, or fix the name"),
                ),
                Some(false) => self.error_at(
                    p.at,
                    format!("partition {name}: its parent {parent} is not partitioned; add PARTITION BY RANGE|LIST|HASH (…) to the declaration of {parent}"),
                ),
                Some(true) => {}
            }
            // A sub-partition's key names the root table's columns.
            let root = self.partition_root(name);
            for (column, at) in columns {
                if root
                    .as_ref()
                    .and_then(|r| self.schema.tables.get(r))
                    .is_some_and(|t| t.column(&column).is_none())
                {
                    self.error_at(
                        at,
                        format!("partition key of {name}: column {column} does not exist in {}; fix the key or declare the column", root.clone().unwrap_or_else(|| name.clone())),
                    );
                }
            }
        }
    }

    /// The parent of `name` when it is declared with `PARTITION OF`.
    pub(super) fn partition_parent(&self, name: &QualifiedName) -> Option<QualifiedName> {
        self.pending_partitions
            .iter()
            .find(|p| !p.attached && p.partition.name == *name)
            .map(|p| p.partition.parent.clone())
    }

    /// The table at the top of a partition's parents, if declared.
    fn partition_root(&self, name: &QualifiedName) -> Option<QualifiedName> {
        let mut at = name.clone();
        for _ in 0..64 {
            match self.schema.partitions.get(&at) {
                Some(p) => at = p.parent.clone(),
                None => return self.schema.tables.contains_key(&at).then_some(at),
            }
        }
        None
    }

    /// Attaches the key read by [`Self::partition_statement`] to the table
    /// the ordinary path just read, checking that its columns exist.
    pub(super) fn take_partition_key(&mut self, table: &mut crate::model::Table) {
        let Some((key, _)) = self.next_partition_key.take() else {
            return;
        };
        for (column, at) in std::mem::take(&mut self.partition_key_columns) {
            if table.column(&column).is_none() {
                self.error_at(
                    at,
                    format!("partition key of {}: column {column} does not exist; fix the key or declare the column", table.name),
                );
            }
        }
        table.partition_key = Some(key);
    }
}

#[cfg(test)]
mod tests {
    use crate::model::QualifiedName;
    use crate::parse::parse_schema;
    use migrate_core::sql::Dialect;

    fn errors(sql: &str) -> Vec<String> {
        parse_schema(sql, Dialect::Postgres)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn partitioned_tables_and_partitions() {
        let s = parse_schema(
            "CREATE TABLE ev (id int NOT NULL, at date NOT NULL, name text, PRIMARY KEY (id, at))\n  PARTITION BY RANGE (at);\n\
             CREATE TABLE ev_2020 PARTITION OF ev FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n\
             CREATE TABLE ev_rest PARTITION OF public.ev DEFAULT;\n\
             CREATE INDEX ev_name ON ev (name);\n\
             CREATE TABLE l (region text, n int) PARTITION BY LIST (lower(region));\n\
             CREATE TABLE l_eu PARTITION OF l FOR VALUES IN ('eu', 'uk') PARTITION BY HASH (n);\n\
             CREATE TABLE l_eu_0 PARTITION OF l_eu FOR VALUES WITH (MODULUS 2, REMAINDER 0);\n\
             CREATE TABLE ts (at timestamptz, k text COLLATE \"C\") PARTITION BY RANGE (at, k text_pattern_ops);",
            Dialect::Postgres,
        )
        .unwrap();
        let ev = &s.tables[&QualifiedName::new("ev")];
        assert_eq!(ev.partition_key.as_deref(), Some("RANGE (at)"));
        assert_eq!(ev.columns.len(), 3);
        assert_eq!(ev.indexes.len(), 1);
        assert_eq!(
            s.tables[&QualifiedName::new("l")].partition_key.as_deref(),
            Some("LIST (lower(region))")
        );
        assert_eq!(
            s.tables[&QualifiedName::new("ts")].partition_key.as_deref(),
            Some("RANGE (at, k text_pattern_ops)")
        );
        assert!(!s.tables.contains_key(&QualifiedName::new("ev_2020")));
        let p = &s.partitions[&QualifiedName::new("ev_2020")];
        assert_eq!(p.parent, QualifiedName::new("ev"));
        assert_eq!(p.bound, "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')");
        assert_eq!(
            s.partitions[&QualifiedName::new("ev_rest")].bound,
            "DEFAULT"
        );
        let eu = &s.partitions[&QualifiedName::new("l_eu")];
        assert_eq!(eu.partition_key.as_deref(), Some("HASH (n)"));
        assert_eq!(
            s.partitions[&QualifiedName::new("l_eu_0")].bound,
            "FOR VALUES WITH (MODULUS 2, REMAINDER 0)"
        );
    }

    #[test]
    fn pg_dump_attach_form_is_read() {
        let s = parse_schema(
            "CREATE TABLE public.ev (\n    id integer NOT NULL,\n    at date NOT NULL,\n    name text,\n    CONSTRAINT ev_id_check CHECK ((id > 0))\n)\nPARTITION BY RANGE (at);\n\
             CREATE TABLE public.ev_2020 (\n    id integer NOT NULL,\n    at date NOT NULL,\n    name text,\n    CONSTRAINT ev_id_check CHECK ((id > 0))\n);\n\
             ALTER TABLE public.ev_2020 OWNER TO migrate;\n\
             ALTER TABLE ONLY public.ev ATTACH PARTITION public.ev_2020 FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');\n\
             ALTER TABLE ONLY public.ev\n    ADD CONSTRAINT ev_pkey PRIMARY KEY (id, at);\n\
             ALTER TABLE ONLY public.ev_2020\n    ADD CONSTRAINT ev_2020_pkey PRIMARY KEY (id, at);\n\
             CREATE INDEX ev_name ON ONLY public.ev USING btree (name);\n\
             CREATE INDEX ev_2020_name_idx ON public.ev_2020 USING btree (name);\n\
             ALTER INDEX public.ev_name ATTACH PARTITION public.ev_2020_name_idx;\n\
             ALTER INDEX public.ev_pkey ATTACH PARTITION public.ev_2020_pkey;",
            Dialect::Postgres,
        )
        .unwrap();
        assert_eq!(s.tables.len(), 1, "{:?}", s.tables.keys());
        let ev = &s.tables[&QualifiedName::new("ev")];
        assert_eq!(ev.partition_key.as_deref(), Some("RANGE (at)"));
        assert_eq!(ev.indexes.len(), 1);
        assert!(ev.primary_key.is_some());
        assert_eq!(
            s.partitions[&QualifiedName::new("ev_2020")].bound,
            "FOR VALUES FROM ('2020-01-01') TO ('2021-01-01')"
        );
    }

    #[test]
    fn partition_mistakes_are_located_errors() {
        let err = errors(
            "CREATE TABLE m (at date) PARTITION BY RANGE (at);\nCREATE TABLE p PARTITION OF nope FOR VALUES FROM ('2020-01-01') TO ('2021-01-01');",
        );
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with("line 2:1: partition p: its parent nope is not declared"),
            "{err:?}"
        );
        let err = errors("CREATE TABLE m (at date)\n  PARTITION BY RANGE (when_at);");
        assert_eq!(err.len(), 1, "{err:?}");
        assert!(
            err[0].starts_with("line 2:23: partition key of m: column when_at does not exist"),
            "{err:?}"
        );
        let err = errors("CREATE TABLE m (at date);\nCREATE TABLE p PARTITION OF m DEFAULT;");
        assert!(
            err[0].contains("its parent m is not partitioned"),
            "{err:?}"
        );
        let err = errors(
            "CREATE TABLE m (at date) PARTITION BY RANGE (at);\nCREATE TABLE p PARTITION OF m FOR VALUES LIKE (1);",
        );
        assert!(
            err[0].starts_with("line 2:31: expected the partition's bound"),
            "{err:?}"
        );
        let err = errors(
            "CREATE TABLE m (at date) PARTITION BY RANGE (at);\nCREATE TABLE p PARTITION OF m (CHECK (at > '2000-01-01')) DEFAULT;",
        );
        assert!(err[0].contains("declare them on m"), "{err:?}");
        let err = errors("CREATE TABLE m (at date) PARTITION BY SPREAD (at);");
        assert!(
            err[0].starts_with("line 1:39: expected a partition key"),
            "{err:?}"
        );
        let err = errors(
            "CREATE TABLE m (at date) PARTITION BY LIST (at);\nALTER TABLE ONLY m ATTACH PARTITION p DEFAULT;",
        );
        assert!(err[0].contains("table p is not declared"), "{err:?}");
        let err = errors(
            "CREATE TABLE m (at date) PARTITION BY LIST (at);\nCREATE TABLE p PARTITION OF m DEFAULT;\nCREATE INDEX p_at ON p (at);",
        );
        assert!(
            err[0].starts_with("line 3:1: index p_at is on partition p: an index on one partition alone is not compared; declare it on m"),
            "{err:?}"
        );
        let err: Vec<String> = parse_schema(
            "CREATE TABLE m (at date) PARTITION BY LIST (at);",
            Dialect::Sqlite,
        )
        .unwrap_err()
        .iter()
        .map(ToString::to_string)
        .collect();
        // SQLite's grammar stops at the clause.
        assert!(
            err[0].starts_with("line 1:26: unexpected `PARTITION`"),
            "{err:?}"
        );
    }
}
