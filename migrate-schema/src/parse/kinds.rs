//! `schema.sql` declarations of the PostgreSQL kinds beyond tables and
//! enums: extensions, domains, composite and range types, sequences.
//!
//! `CREATE EXTENSION` and `CREATE DOMAIN` are read here token by token
//! (sqlparser reads neither in every form pg_dump writes: `NOT NULL` on a
//! domain, `VERSION '1.6'`); composite and range types come through
//! sqlparser's `CREATE TYPE`; `CREATE SEQUENCE` options are read by the dump
//! path of the parent module with [`sequence_options`].

use sqlparser::ast::{self, ObjectName};
use sqlparser::dialect::PostgreSqlDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::Parser;
use sqlparser::tokenizer::Token;

use super::{Pos, SchemaParser};
use crate::canon::canonical_type;
use crate::model::{
    Attribute, CheckConstraint, CompositeType, Domain, Extension, QualifiedName, RangeType,
    Sequence,
};
use migrate_core::sql::Dialect;

/// The name PostgreSQL gives a range type's multirange when the declaration
/// names none: `range` replaced by `multirange` in the range's name, or
/// `_multirange` appended.
pub fn default_multirange_name(range: &str) -> String {
    match range.find("range") {
        Some(i) => format!("{}multirange{}", &range[..i], &range[i + 5..]),
        None => format!("{range}_multirange"),
    }
}

/// A name as the comparison keeps a collation, operator class or function
/// name: its last part, folded, with `pg_catalog.`/`public.` left out and
/// another schema kept (`other.f`).
pub(crate) fn object_ref(parser: &SchemaParser, name: &ObjectName) -> String {
    let parts: Vec<String> = name
        .0
        .iter()
        .filter_map(|p| p.as_ident())
        .map(|i| parser.fold(i))
        .collect();
    match parts.as_slice() {
        [schema, name] if schema == "pg_catalog" || schema == "public" => name.clone(),
        _ => parts.join("."),
    }
}

impl SchemaParser {
    /// `CREATE EXTENSION` and `CREATE DOMAIN`, read before the generic
    /// path. Returns whether the statement was taken care of.
    pub(super) fn kinds_statement(&mut self, text: &str, at: Pos) -> bool {
        let mut words = text.split_whitespace().map(str::to_ascii_lowercase);
        let first = (words.next(), words.next());
        let is = |a: &str, b: &str| first.0.as_deref() == Some(a) && first.1.as_deref() == Some(b);
        if !(is("create", "extension") || is("create", "domain")) {
            return false;
        }
        let mut parser = match Parser::new(&PostgreSqlDialect {}).try_with_sql(text) {
            Ok(p) => p,
            Err(e) => {
                self.error_at(at, format!("{e}; fix the declaration"));
                return true;
            }
        };
        let result = if parser.parse_keywords(&[Keyword::CREATE, Keyword::EXTENSION]) {
            self.create_extension(&mut parser, at)
        } else {
            let _ = parser.parse_keywords(&[Keyword::CREATE, Keyword::DOMAIN]);
            self.create_domain(&mut parser, at)
        };
        if let Err(message) = result {
            let position = at.of(parser.peek_token().span);
            self.error_at(position, message);
        }
        true
    }

    fn create_extension(&mut self, p: &mut Parser, at: Pos) -> Result<(), String> {
        let _ = p.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
        let name = p
            .parse_identifier()
            .map_err(|e| format!("{e}; write CREATE EXTENSION name"))?;
        let name = self.fold(&name);
        let _ = p.parse_keyword(Keyword::WITH);
        let mut extension = Extension {
            name: name.clone(),
            schema: None,
            version: None,
        };
        loop {
            if p.parse_keyword(Keyword::SCHEMA) {
                let s = p
                    .parse_identifier()
                    .map_err(|e| format!("{e}; write SCHEMA name"))?;
                let s = self.fold(&s);
                extension.schema = (s != "public").then_some(s);
            } else if p.parse_keyword(Keyword::VERSION) {
                let version = match p.next_token().token {
                    Token::SingleQuotedString(s) => s,
                    Token::Word(w) => w.value,
                    Token::Number(n, _) => n,
                    other => {
                        return Err(format!(
                            "expected a version after VERSION, found `{other}`; write VERSION '1.0'"
                        ));
                    }
                };
                extension.version = Some(version);
            } else if p.parse_keyword(Keyword::CASCADE) {
                // Installs what it needs: those extensions are declared
                // on their own (or compared as differences).
            } else {
                break;
            }
        }
        let _ = p.consume_token(&Token::SemiColon);
        if p.peek_token().token != Token::EOF {
            return Err(format!(
                "unexpected `{}` in CREATE EXTENSION; write CREATE EXTENSION [IF NOT EXISTS] name [WITH] [SCHEMA s] [VERSION v]",
                p.peek_token().token
            ));
        }
        if name == "plpgsql" {
            // Every database has it.
            return Ok(());
        }
        if self.schema.extensions.contains_key(&name) {
            self.error_at(
                at,
                format!("extension {name} is declared twice; keep one declaration"),
            );
            return Ok(());
        }
        self.schema.extensions.insert(name, extension);
        Ok(())
    }

    fn create_domain(&mut self, p: &mut Parser, at: Pos) -> Result<(), String> {
        let name = p
            .parse_object_name(false)
            .map_err(|e| format!("{e}; write CREATE DOMAIN name AS type"))?;
        let Some(name) = self.qualified(&name, at) else {
            return Ok(());
        };
        let _ = p.parse_keyword(Keyword::AS);
        let data_type = p
            .parse_data_type()
            .map_err(|e| format!("{e}; write CREATE DOMAIN {name} AS type"))?;
        let mut domain = Domain {
            name: name.clone(),
            data_type: data_type.to_string(),
            collation: None,
            default: None,
            not_null: false,
            checks: Vec::new(),
        };
        loop {
            if p.parse_keyword(Keyword::COLLATE) {
                let c = p
                    .parse_object_name(false)
                    .map_err(|e| format!("{e}; write COLLATE name"))?;
                domain.collation = Some(object_ref(self, &c));
            } else if p.parse_keyword(Keyword::DEFAULT) {
                let e = p
                    .parse_expr()
                    .map_err(|e| format!("{e}; fix the default"))?;
                domain.default = Some(e.to_string());
            } else if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
                domain.not_null = true;
            } else if p.parse_keyword(Keyword::NULL) {
                domain.not_null = false;
            } else if p.parse_keyword(Keyword::CONSTRAINT) {
                let n = p
                    .parse_identifier()
                    .map_err(|e| format!("{e}; write CONSTRAINT name CHECK (…)"))?;
                let n = self.fold(&n);
                if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
                    domain.not_null = true;
                    continue;
                }
                if !p.parse_keyword(Keyword::CHECK) {
                    return Err(format!(
                        "expected CHECK after CONSTRAINT {n}; domains take CHECK constraints"
                    ));
                }
                let expression = domain_check(p)?;
                domain.checks.push(CheckConstraint {
                    name: Some(n),
                    expression,
                    not_valid: false,
                });
            } else if p.parse_keyword(Keyword::CHECK) {
                let expression = domain_check(p)?;
                domain.checks.push(CheckConstraint {
                    name: None,
                    expression,
                    not_valid: false,
                });
            } else {
                break;
            }
        }
        let _ = p.consume_token(&Token::SemiColon);
        if p.peek_token().token != Token::EOF {
            return Err(format!(
                "unexpected `{}` in CREATE DOMAIN {name}; a domain takes COLLATE, DEFAULT, NOT NULL and CHECK (…)",
                p.peek_token().token
            ));
        }
        if self.type_declared(&name) {
            self.error_at(
                at,
                format!("type {name} is declared twice; keep one declaration"),
            );
            return Ok(());
        }
        self.positions.insert(name.clone(), at);
        self.schema.domains.insert(name, domain);
        Ok(())
    }

    /// Whether a type of this name is already declared (of any kind).
    fn type_declared(&self, name: &QualifiedName) -> bool {
        self.schema.enums.contains_key(name)
            || self.schema.domains.contains_key(name)
            || self.schema.composites.contains_key(name)
            || self.schema.ranges.contains_key(name)
    }

    /// `CREATE TYPE name AS (…)` and `CREATE TYPE name AS RANGE (…)`.
    /// Returns `false` for other representations.
    pub(super) fn create_type_kind(
        &mut self,
        name: QualifiedName,
        representation: &ast::UserDefinedTypeRepresentation,
        at: Pos,
    ) -> bool {
        let declared = match representation {
            ast::UserDefinedTypeRepresentation::Composite { attributes } => {
                let mut out = Vec::new();
                for a in attributes {
                    if a.collation.is_some() {
                        self.error_at(
                            at.of(a.name.span),
                            format!("attribute {} of type {name} has a COLLATE clause, which is not compared yet; remove it or manage the type in a revision", a.name),
                        );
                        return true;
                    }
                    let attribute = self.fold(&a.name);
                    if out.iter().any(|x: &Attribute| x.name == attribute) {
                        self.error_at(
                            at.of(a.name.span),
                            format!(
                                "attribute {attribute} is declared twice in type {name}; keep one"
                            ),
                        );
                        return true;
                    }
                    out.push(Attribute {
                        name: attribute,
                        data_type: a.data_type.to_string(),
                    });
                }
                Some(Declared::Composite(CompositeType {
                    name: name.clone(),
                    attributes: out,
                }))
            }
            ast::UserDefinedTypeRepresentation::Range { options } => {
                let mut range = RangeType {
                    name: name.clone(),
                    subtype: String::new(),
                    subtype_opclass: None,
                    collation: None,
                    canonical: None,
                    subtype_diff: None,
                    multirange_type_name: None,
                };
                for o in options {
                    use ast::UserDefinedTypeRangeOption as O;
                    match o {
                        O::Subtype(t) => range.subtype = t.to_string(),
                        O::SubtypeOpClass(n) => range.subtype_opclass = Some(object_ref(self, n)),
                        O::Collation(n) => range.collation = Some(object_ref(self, n)),
                        O::Canonical(n) => range.canonical = Some(object_ref(self, n)),
                        O::SubtypeDiff(n) => range.subtype_diff = Some(object_ref(self, n)),
                        O::MultirangeTypeName(n) => {
                            let multirange = self.qualified(n, at);
                            range.multirange_type_name = multirange
                                .map(|m| m.name)
                                .filter(|m| *m != default_multirange_name(&name.name));
                        }
                    }
                }
                if range.subtype.is_empty() {
                    self.error_at(
                        at,
                        format!("range type {name} has no subtype; write CREATE TYPE {name} AS RANGE (subtype = …)"),
                    );
                    return true;
                }
                Some(Declared::Range(range))
            }
            _ => None,
        };
        let Some(declared) = declared else {
            return false;
        };
        if self.type_declared(&name) {
            self.error_at(
                at,
                format!("type {name} is declared twice; keep one declaration"),
            );
            return true;
        }
        self.positions.insert(name.clone(), at);
        match declared {
            Declared::Composite(c) => {
                self.schema.composites.insert(name, c);
            }
            Declared::Range(r) => {
                self.schema.ranges.insert(name, r);
            }
        }
        true
    }
}

enum Declared {
    Composite(CompositeType),
    Range(RangeType),
}

/// `(expr)` after `CHECK` in a domain.
fn domain_check(p: &mut Parser) -> Result<String, String> {
    p.expect_token(&Token::LParen)
        .map_err(|e| format!("{e}; write CHECK (VALUE …)"))?;
    let e = p
        .parse_expr()
        .map_err(|e| format!("{e}; fix the check expression"))?;
    p.expect_token(&Token::RParen)
        .map_err(|e| format!("{e}; close the CHECK parenthesis"))?;
    Ok(e.to_string())
}

/// A signed integer option value.
fn signed(p: &mut Parser, what: &str) -> Result<i64, String> {
    let negative = p.consume_token(&Token::Minus);
    let _ = p.consume_token(&Token::Plus);
    match p.next_token().token {
        Token::Number(n, _) => {
            let text = if negative { format!("-{n}") } else { n };
            text.parse::<i64>()
                .map_err(|_| format!("{what} {text} is not a 64-bit integer; fix the value"))
        }
        other => Err(format!(
            "expected a number after {what}, found `{other}`; fix the value"
        )),
    }
}

/// The options of `CREATE SEQUENCE name …` after the name, with the
/// defaults PostgreSQL fills in for what is left out. The owner (`OWNED
/// BY t.c`) is returned as its name, for the caller to resolve.
pub(super) fn sequence_options(
    p: &mut Parser,
    name: QualifiedName,
) -> Result<(Sequence, Option<ObjectName>), String> {
    let mut data_type = "bigint".to_owned();
    let mut increment = 1;
    let mut min = None;
    let mut max = None;
    let mut start = None;
    let mut cache = 1;
    let mut cycle = false;
    let mut owner = None;
    loop {
        if p.parse_keyword(Keyword::AS) {
            let t = p
                .parse_data_type()
                .map_err(|e| format!("{e}; write AS smallint, integer or bigint"))?;
            data_type = canonical_type(&t.to_string(), Dialect::Postgres);
            if !matches!(data_type.as_str(), "smallint" | "integer" | "bigint") {
                return Err(format!(
                    "a sequence is smallint, integer or bigint, not {data_type}; fix the type"
                ));
            }
        } else if p.parse_keyword(Keyword::INCREMENT) {
            let _ = p.parse_keyword(Keyword::BY);
            increment = signed(p, "INCREMENT")?;
            if increment == 0 {
                return Err("INCREMENT must not be zero; fix the value".into());
            }
        } else if p.parse_keywords(&[Keyword::NO, Keyword::MINVALUE]) {
            min = None;
        } else if p.parse_keywords(&[Keyword::NO, Keyword::MAXVALUE]) {
            max = None;
        } else if p.parse_keywords(&[Keyword::NO, Keyword::CYCLE]) {
            cycle = false;
        } else if p.parse_keyword(Keyword::MINVALUE) {
            min = Some(signed(p, "MINVALUE")?);
        } else if p.parse_keyword(Keyword::MAXVALUE) {
            max = Some(signed(p, "MAXVALUE")?);
        } else if p.parse_keyword(Keyword::START) {
            let _ = p.parse_keyword(Keyword::WITH);
            start = Some(signed(p, "START")?);
        } else if p.parse_keyword(Keyword::CACHE) {
            cache = signed(p, "CACHE")?;
        } else if p.parse_keyword(Keyword::CYCLE) {
            cycle = true;
        } else if p.parse_keywords(&[Keyword::OWNED, Keyword::BY]) {
            owner = Some(
                p.parse_object_name(false)
                    .map_err(|e| format!("{e}; write OWNED BY table.column"))?,
            );
        } else {
            break;
        }
    }
    let _ = p.consume_token(&Token::SemiColon);
    if p.peek_token().token != Token::EOF {
        return Err(format!(
            "unexpected `{}` in CREATE SEQUENCE {name}; a sequence takes AS, INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE and OWNED BY",
            p.peek_token().token
        ));
    }
    let mut s = Sequence::new(name, &data_type, increment);
    if let Some(m) = min {
        s.min_value = m;
    }
    if let Some(m) = max {
        s.max_value = m;
    }
    s.start = start.unwrap_or(if increment < 0 {
        s.max_value
    } else {
        s.min_value
    });
    s.cache = cache;
    s.cycle = cycle;
    if s.min_value >= s.max_value {
        return Err(format!(
            "MINVALUE ({}) must be less than MAXVALUE ({}); fix the bounds",
            s.min_value, s.max_value
        ));
    }
    if s.start < s.min_value || s.start > s.max_value {
        return Err(format!(
            "START {} is outside MINVALUE {} and MAXVALUE {}; fix the value",
            s.start, s.min_value, s.max_value
        ));
    }
    Ok((s, owner))
}
