//! `schema.sql`'s exclusion constraints (PostgreSQL): `[CONSTRAINT name]
//! EXCLUDE [USING method] (element WITH operator, …) [INCLUDE (…)] [WITH
//! (…)] [USING INDEX TABLESPACE t] [WHERE (predicate)] [DEFERRABLE …]`,
//! inside `CREATE TABLE` or in `ALTER TABLE [ONLY] t ADD CONSTRAINT`, as
//! pg_dump writes them.
//!
//! sqlparser does not read `EXCLUDE`: inside `CREATE TABLE` the element is
//! cut out of the text sqlparser reads (blanked, so positions stay) and read
//! here with sqlparser's own pieces, each element as a `CREATE INDEX` key
//! ([`SchemaParser::index_key`]), so that keys, options and predicates are
//! held and compared exactly as an index's are.

use sqlparser::ast::{Expr, Spanned};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Span, Token, Tokenizer};

use super::{Deferred, Pos, SchemaParser, storage_parameter};
use crate::model::{Exclusion, Index, IndexKeyOptions, QualifiedName};
use crate::naming::{choose, columns_part, index_column_names, object_name};

/// An exclusion constraint as read: the constraint, the columns it names
/// with where, and for an unnamed one the element names of its name.
type ExclusionRead = (Exclusion, Vec<(String, Span)>, Option<String>);

/// The `EXCLUDE` elements of a `CREATE TABLE` statement: the text with them
/// (and a comma next to each) blanked out, when there is one, and each
/// element's byte offset and text.
pub(super) fn split_create_table(text: &str) -> (Option<String>, Vec<(usize, String)>) {
    let Ok(tokens) = Tokenizer::new(&PostgreSqlDialect {}, text).tokenize_with_location() else {
        return (None, Vec::new());
    };
    // Byte offset of each line's start, to turn locations into offsets.
    let mut line_starts = vec![0];
    line_starts.extend(text.match_indices('\n').map(|(i, _)| i + 1));
    let offset = |span: Span| -> usize {
        let (line, column) = (span.start.line as usize, span.start.column as usize);
        let start = line_starts.get(line.wrapping_sub(1)).copied().unwrap_or(0);
        text[start..]
            .char_indices()
            .nth(column.saturating_sub(1))
            .map_or(text.len(), |(i, _)| start + i)
    };
    let significant: Vec<(&Token, usize)> = tokens
        .iter()
        .filter(|t| !matches!(t.token, Token::Whitespace(_)))
        .map(|t| (&t.token, offset(t.span)))
        .collect();
    let word = |i: usize| match significant.get(i) {
        Some((Token::Word(w), _)) if w.quote_style.is_none() => w.keyword,
        _ => Keyword::NoKeyword,
    };
    // CREATE [UNLOGGED | TEMP …] TABLE … ( elements )
    if word(0) != Keyword::CREATE {
        return (None, Vec::new());
    }
    let Some(open) = significant
        .iter()
        .position(|(t, _)| matches!(t, Token::LParen))
    else {
        return (None, Vec::new());
    };
    if !(1..open).any(|i| word(i) == Keyword::TABLE) {
        return (None, Vec::new());
    }
    // Elements: (first token index, separator before it, end offset,
    // separator after it).
    let mut elements = Vec::new();
    let mut depth = 0;
    let mut start = open + 1;
    let mut before: Option<usize> = None;
    for (i, (token, at)) in significant.iter().enumerate().skip(open) {
        match token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    elements.push((start, before, *at, None));
                    break;
                }
            }
            Token::Comma if depth == 1 => {
                elements.push((start, before, *at, Some(*at)));
                start = i + 1;
                before = Some(*at);
            }
            _ => {}
        }
    }
    // `EXCLUDE USING …` or `EXCLUDE (…`: a column may be named `exclude`.
    let exclude_at = |i: usize| {
        word(i) == Keyword::EXCLUDE
            && (word(i + 1) == Keyword::USING
                || matches!(significant.get(i + 1), Some((Token::LParen, _))))
    };
    let is_exclusion = |first: usize| {
        exclude_at(first) || (word(first) == Keyword::CONSTRAINT && exclude_at(first + 2))
    };
    let mut blanked = text.to_owned();
    let mut found = Vec::new();
    let blank = |s: &mut String, from: usize, to: usize| *s = super::blank(s, from, to);
    for (first, before, end, after) in elements {
        if first >= significant.len() || !is_exclusion(first) {
            continue;
        }
        let begin = significant[first].1;
        found.push((begin, text[begin..end].trim_end().to_owned()));
        match (before, after) {
            (Some(comma), _) => blank(&mut blanked, comma, end),
            (None, Some(comma)) => blank(&mut blanked, begin, comma + 1),
            (None, None) => blank(&mut blanked, begin, end),
        }
    }
    if found.is_empty() {
        (None, Vec::new())
    } else {
        (Some(blanked), found)
    }
}

/// The file position of byte `offset` of a statement that starts at `at`.
pub(super) fn position(text: &str, offset: usize, at: Pos) -> Pos {
    let before = &text[..offset];
    match before.rfind('\n') {
        Some(nl) => Pos {
            line: at.line + before.matches('\n').count() as u32,
            column: before[nl + 1..].chars().count() as u32 + 1,
        },
        None => Pos {
            line: at.line,
            column: at.column + before.chars().count() as u32,
        },
    }
}

/// The column name PostgreSQL gives an index key when it names the index
/// (`FigureIndexColname`): the column, a function's name, a cast's inner
/// name or type, else `expr`.
fn key_name(parser: &SchemaParser, expr: &Expr) -> String {
    match expr {
        Expr::Identifier(i) => parser.fold(i),
        Expr::Collate { expr, .. } | Expr::Nested(expr) => key_name(parser, expr),
        Expr::Function(f) => f
            .name
            .0
            .last()
            .and_then(|p| p.as_ident())
            .map_or_else(|| "expr".into(), |i| parser.fold(i)),
        Expr::Cast {
            expr, data_type, ..
        } => match key_name(parser, expr) {
            n if n != "expr" => n,
            _ => data_type
                .to_string()
                .split(['(', ' '])
                .next()
                .unwrap_or("expr")
                .to_lowercase(),
        },
        Expr::Case { .. } => "case".into(),
        _ => "expr".into(),
    }
}

impl SchemaParser {
    /// `ALTER TABLE [ONLY] t ADD CONSTRAINT n EXCLUDE …`. Returns whether
    /// the statement was one.
    pub(super) fn alter_exclusion(&mut self, text: &str, at: Pos) -> bool {
        // A parser standing after `ALTER TABLE [IF EXISTS] [ONLY] t ADD`.
        let after_add = || {
            let mut parser = Parser::new(&PostgreSqlDialect {}).try_with_sql(text).ok()?;
            if !parser.parse_keywords(&[Keyword::ALTER, Keyword::TABLE]) {
                return None;
            }
            let _ = parser.parse_keywords(&[Keyword::IF, Keyword::EXISTS]);
            let _ = parser.parse_keyword(Keyword::ONLY);
            let table = parser.parse_object_name(false).ok()?;
            parser
                .parse_keyword(Keyword::ADD)
                .then_some((parser, table))
        };
        let Some((mut probe, _)) = after_add() else {
            return false;
        };
        let is_exclusion = if probe.parse_keyword(Keyword::CONSTRAINT) {
            probe.parse_identifier().is_ok() && probe.parse_keyword(Keyword::EXCLUDE)
        } else {
            probe.parse_keyword(Keyword::EXCLUDE)
        };
        let Some((mut parser, table)) = after_add().filter(|_| is_exclusion) else {
            return false;
        };
        let Some(table) = self.qualified(&table, at) else {
            return true;
        };
        self.read_exclusion(&mut parser, &table, at);
        true
    }

    /// An `EXCLUDE` element of a `CREATE TABLE` (its text, starting at
    /// `at`).
    pub(super) fn exclusion(&mut self, table: &QualifiedName, text: &str, at: Pos) {
        match Parser::new(&PostgreSqlDialect {}).try_with_sql(text) {
            Ok(mut parser) => self.read_exclusion(&mut parser, table, at),
            Err(e) => self.error_at(at, format!("{e}; fix the exclusion constraint")),
        }
    }

    fn read_exclusion(&mut self, parser: &mut Parser, table: &QualifiedName, at: Pos) {
        let errors = self.errors.len();
        match self.exclusion_parts(parser, table, at) {
            Ok(Some((x, columns, unnamed))) if self.errors.len() == errors => {
                self.deferred
                    .push((at, Deferred::Exclusion(table.clone(), x, columns, unnamed)));
            }
            Ok(_) => {}
            Err(message) => {
                let position = at.of(parser.peek_token().span);
                self.error_at(position, message);
            }
        }
    }

    /// The constraint's parts; `Ok(None)` when an error was already
    /// reported at its place.
    fn exclusion_parts(
        &mut self,
        p: &mut Parser,
        table: &QualifiedName,
        at: Pos,
    ) -> Result<Option<ExclusionRead>, String> {
        let syntax = |e: ParserError| format!("{e}; fix the exclusion constraint");
        let name = if p.parse_keyword(Keyword::CONSTRAINT) {
            Some(self.fold(&p.parse_identifier().map_err(syntax)?))
        } else {
            None
        };
        if !p.parse_keyword(Keyword::EXCLUDE) {
            return Err("expected EXCLUDE; fix the exclusion constraint".into());
        }
        let method = if p.parse_keyword(Keyword::USING) {
            Some(self.fold(&p.parse_identifier().map_err(syntax)?))
        } else {
            None
        };
        p.expect_token(&Token::LParen).map_err(syntax)?;
        let mut keys = Vec::new();
        let mut key_options = Vec::new();
        let mut operators = Vec::new();
        let mut columns = Vec::new();
        let mut names = Vec::new();
        loop {
            let c = p.parse_create_index_expr().map_err(syntax)?;
            if !p.parse_keyword(Keyword::WITH) {
                return Err(format!(
                    "expected WITH and an operator after `{c}`; write each element as `column WITH operator` (`during WITH &&`)"
                ));
            }
            operators.push(operator(p)?);
            names.push(key_name(self, &c.column.expr));
            let Some((key, options, column)) = self.index_key(&c, at) else {
                return Ok(None);
            };
            keys.push(key);
            key_options.push(options);
            columns.extend(column);
            if !p.consume_token(&Token::Comma) {
                p.expect_token(&Token::RParen).map_err(syntax)?;
                break;
            }
        }
        if key_options.iter().all(IndexKeyOptions::is_default) {
            key_options.clear();
        }
        let mut include = Vec::new();
        if p.parse_keyword(Keyword::INCLUDE) {
            p.expect_token(&Token::LParen).map_err(syntax)?;
            for ident in p
                .parse_comma_separated(|p| p.parse_identifier())
                .map_err(syntax)?
            {
                let col = self.fold(&ident);
                columns.push((col.clone(), ident.span));
                include.push(col);
            }
            p.expect_token(&Token::RParen).map_err(syntax)?;
        }
        let mut with = Vec::new();
        if p.parse_keyword(Keyword::WITH) {
            p.expect_token(&Token::LParen).map_err(syntax)?;
            for option in p
                .parse_comma_separated(|p| p.parse_expr())
                .map_err(syntax)?
            {
                match storage_parameter(&option) {
                    Some(pair) => with.push(pair),
                    None => {
                        self.error_at(
                            at.of(option.span()),
                            format!("storage parameter `{option}` is not `name = value`; write it as WITH (fillfactor = 70)"),
                        );
                        return Ok(None);
                    }
                }
            }
            p.expect_token(&Token::RParen).map_err(syntax)?;
        }
        // The tablespace is where the index lives, not what it is.
        if p.parse_keywords(&[Keyword::USING, Keyword::INDEX, Keyword::TABLESPACE]) {
            p.parse_identifier().map_err(syntax)?;
        }
        let predicate = if p.parse_keyword(Keyword::WHERE) {
            p.expect_token(&Token::LParen).map_err(syntax)?;
            let mut e = p.parse_expr().map_err(syntax)?;
            p.expect_token(&Token::RParen).map_err(syntax)?;
            // pg_dump doubles the parentheses: `WHERE ((room > 0))`.
            while let Expr::Nested(inner) = e {
                e = *inner;
            }
            Some(e.to_string())
        } else {
            None
        };
        let characteristics = p.parse_constraint_characteristics().map_err(syntax)?;
        let deferral = self.deferral(characteristics.as_ref(), at);
        let _ = p.consume_token(&Token::SemiColon);
        let next = p.peek_token();
        if next.token != Token::EOF {
            return Err(format!(
                "`{}` after an exclusion constraint is not read; remove it or manage the constraint in a revision",
                next.token
            ));
        }
        // PostgreSQL names an unnamed one after its index:
        // `<table>_<element names>_excl` (a digit is added, when that is
        // taken, once every table is known).
        let part = columns_part(&index_column_names(&names));
        let unnamed = name.is_none().then(|| part.clone());
        let name = name.unwrap_or_else(|| object_name(&table.name, Some(&part), "excl"));
        let index = Index {
            name: name.clone(),
            unique: false,
            keys,
            predicate,
            method: method.filter(|m| m != "btree"),
            key_options,
            include,
            with,
        };
        Ok(Some((
            Exclusion {
                name,
                index,
                operators,
                deferral,
            },
            columns,
            unnamed,
        )))
    }

    /// Puts a read exclusion constraint on its table, once every table is
    /// declared: its columns must exist and its name be free.
    pub(super) fn add_exclusion(
        &mut self,
        table: QualifiedName,
        mut x: Exclusion,
        columns: Vec<(String, Span)>,
        unnamed: Option<String>,
        at: Pos,
    ) {
        let Some(t) = self.schema.tables.get(&table) else {
            self.error_at(
                at,
                format!(
                    "exclusion constraint {} is on unknown table {table}; declare the table or fix the name",
                    x.name
                ),
            );
            return;
        };
        for (col, span) in columns {
            if t.column(&col).is_none() {
                self.error_at(
                    at.of(span),
                    format!(
                        "exclusion constraint {} names unknown column {table}.{col}; fix the column name",
                        x.name
                    ),
                );
                return;
            }
        }
        // The constraint's index takes its name in the table's schema.
        let taken = |name: &str| {
            self.schema.tables.values().any(|t| {
                t.name.schema == table.schema
                    && (t.indexes.iter().any(|i| i.name == name)
                        || t.exclusions.iter().any(|e| e.name == name)
                        || t.uniques.iter().any(|u| u.name.as_deref() == Some(name))
                        || t.primary_key
                            .as_ref()
                            .is_some_and(|k| k.name.as_deref() == Some(name)))
            })
        };
        if let Some(part) = unnamed {
            x.name = choose(&table.name, Some(&part), "excl", taken);
            x.index.name = x.name.clone();
        }
        if taken(&x.name) {
            self.error_at(
                at,
                format!(
                    "exclusion constraint {} takes a name already given to an index or exclusion constraint; name it otherwise",
                    x.name
                ),
            );
            return;
        }
        if let Some(t) = self.schema.tables.get_mut(&table) {
            t.exclusions.push(x);
        }
    }
}

/// The operator after `WITH`, up to the `,` or `)` that ends the element:
/// `&&`, `=`, `OPERATOR(pg_catalog.&&)`.
fn operator(p: &mut Parser) -> Result<String, String> {
    let mut text = String::new();
    let mut depth = 0;
    loop {
        let token = p.peek_token().token;
        match token {
            Token::Comma | Token::RParen if depth == 0 => break,
            Token::EOF => return Err("the element list is not closed; add `)`".into()),
            Token::LParen => depth += 1,
            Token::RParen => depth -= 1,
            _ => {}
        }
        text.push_str(&p.next_token().token.to_string());
    }
    if text.is_empty() {
        return Err("expected an operator after WITH (`&&`, `=`); fix the element".into());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use crate::model::{Deferral, IndexKey, Schema};
    use crate::parse_schema;
    use migrate_core::sql::Dialect;

    fn pg(sql: &str) -> Schema {
        parse_schema(sql, Dialect::Postgres).unwrap_or_else(|e| panic!("{e:?}"))
    }

    fn errors(sql: &str) -> Vec<String> {
        parse_schema(sql, Dialect::Postgres)
            .unwrap_err()
            .iter()
            .map(ToString::to_string)
            .collect()
    }

    #[test]
    fn exclusions_in_create_table_and_alter_table() {
        let s = pg("CREATE TABLE booking (
    id int PRIMARY KEY,
    room int NOT NULL,
    EXCLUDE USING gist (during WITH &&),
    during tstzrange NOT NULL,
    CONSTRAINT room_free EXCLUDE USING gist (int4range(room, room + 1) WITH &&, during WITH OPERATOR(pg_catalog.&&)) WHERE (room > 0) DEFERRABLE
);
ALTER TABLE ONLY public.booking
    ADD CONSTRAINT booking_again EXCLUDE USING gist (during WITH &&) INCLUDE (id) WITH (fillfactor='70') USING INDEX TABLESPACE pg_default;
CREATE TABLE t (EXCLUDE (a WITH =), a int, b int);
");
        let b = &s.tables[&crate::QualifiedName::new("booking")];
        assert_eq!(b.columns.len(), 3, "{b:?}");
        assert!(b.primary_key.is_some());
        let [unnamed, named, altered] = b.exclusions.as_slice() else {
            panic!("{:?}", b.exclusions);
        };
        assert_eq!(unnamed.name, "booking_during_excl");
        assert_eq!(unnamed.index.method.as_deref(), Some("gist"));
        assert_eq!(unnamed.index.keys, [IndexKey::Column("during".into())]);
        assert_eq!(unnamed.operators, ["&&"]);
        assert_eq!(unnamed.deferral, Deferral::NotDeferrable);
        assert_eq!(named.name, "room_free");
        assert_eq!(
            named.index.keys,
            [
                IndexKey::Expression("int4range(room, room + 1)".into()),
                IndexKey::Column("during".into())
            ]
        );
        assert_eq!(named.operators, ["&&", "OPERATOR(pg_catalog.&&)"]);
        assert_eq!(named.index.predicate.as_deref(), Some("room > 0"));
        assert_eq!(named.deferral, Deferral::Immediate);
        assert_eq!(altered.name, "booking_again");
        assert_eq!(altered.index.include, ["id"]);
        assert_eq!(altered.index.with, [("fillfactor".into(), "70".into())]);
        let t = &s.tables[&crate::QualifiedName::new("t")];
        assert_eq!(t.columns.len(), 2);
        // A column may be called exclude.
        let s = pg("CREATE TABLE u (exclude int, EXCLUDE (exclude WITH =));");
        let u = &s.tables[&crate::QualifiedName::new("u")];
        assert_eq!(u.columns[0].name, "exclude");
        assert_eq!(u.exclusions[0].name, "u_exclude_excl");
        assert_eq!(t.exclusions[0].name, "t_a_excl");
        assert_eq!(t.exclusions[0].index.method, None);
    }

    /// PostgreSQL 15 names unnamed ones after the index it builds:
    /// `CREATE TABLE e (a int, r int4range, EXCLUDE USING gist (r WITH &&),
    /// EXCLUDE USING gist (int4range(a, a) WITH &&, r WITH &&), EXCLUDE
    /// USING gist ((r * r) WITH &&))` gives `e_r_excl`,
    /// `e_int4range_r_excl` and `e_expr_excl`, and a second unnamed one on
    /// `r` (`ALTER TABLE e ADD EXCLUDE USING gist (r WITH -|-)`)
    /// `e_r_excl1`.
    #[test]
    fn unnamed_ones_are_named_as_postgres_names_them() {
        let s = pg(
            "CREATE TABLE e (a int, r int4range, EXCLUDE USING gist (r WITH &&), EXCLUDE USING gist (int4range(a, a) WITH &&, r WITH &&), EXCLUDE USING gist ((r * r) WITH &&));",
        );
        let names: Vec<&str> = s.tables[&crate::QualifiedName::new("e")]
            .exclusions
            .iter()
            .map(|x| x.name.as_str())
            .collect();
        assert_eq!(names, ["e_r_excl", "e_int4range_r_excl", "e_expr_excl"]);
        let s = pg(
            "CREATE TABLE e (r int4range, EXCLUDE USING gist (r WITH &&));
            ALTER TABLE e ADD EXCLUDE USING gist (r WITH -|-);",
        );
        let names: Vec<&str> = s.tables[&crate::QualifiedName::new("e")]
            .exclusions
            .iter()
            .map(|x| x.name.as_str())
            .collect();
        assert_eq!(names, ["e_r_excl", "e_r_excl1"]);
    }

    #[test]
    fn mistakes_are_located() {
        let e = errors("CREATE TABLE t (\n    a int,\n    EXCLUDE USING gist (b WITH &&)\n);");
        assert_eq!(e.len(), 1, "{e:?}");
        assert!(
            e[0].starts_with("line 3:25: exclusion constraint t_b_excl names unknown column t.b"),
            "{e:?}"
        );
        let e = errors(
            "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT x EXCLUDE USING gist (a);",
        );
        assert!(
            e[0].starts_with("line 2:") && e[0].contains("expected WITH"),
            "{e:?}"
        );
        let e =
            errors("CREATE TABLE t (a int);\nALTER TABLE u ADD CONSTRAINT x EXCLUDE (a WITH =);");
        assert!(e[0].contains("unknown table u"), "{e:?}");
        let e = errors(
            "CREATE TABLE t (a int);\nALTER TABLE t ADD CONSTRAINT x EXCLUDE (a WITH =) NOT VALID;",
        );
        assert!(
            e[0].starts_with("line 2:51: `NOT` after an exclusion constraint"),
            "{e:?}"
        );
    }
}
