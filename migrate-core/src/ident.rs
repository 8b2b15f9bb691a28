//! Identifier quoting: every name the workspace writes into SQL is quoted
//! here, by one of two rules kept side by side so that their difference
//! stays visible.
//!
//! - [`quote_ident`] quotes only when it has to, and the rule depends on the
//!   dialect: generated revisions are read and edited by people, so `users`
//!   stays `users`. PostgreSQL folds unquoted names to lower case where
//!   SQLite keeps them, and a control character is written as an escape on
//!   PostgreSQL only (SQLite has no escape syntax in identifiers).
//! - [`quote_ident_always`] and [`quote_qualified_always`] always quote, the
//!   same way in both dialects: for names the program writes into its own
//!   SQL (the history table, stand-in tables of a syntax check), where
//!   nobody reads the text and one rule is simplest.
//!
//! String literals are not identifiers and are quoted where they are
//! written.

use crate::sql::Dialect;

/// `name` quoted for `dialect` when it has to be.
///
/// A name holding a control character (a line break, an escape) is written
/// on PostgreSQL as a Unicode-escaped identifier (`U&"a\000ab"`), so that
/// the name stays on one line of the file and nothing in it can be read as
/// a marker, a comment or a client command. SQLite has no escape syntax in
/// identifiers: there the characters stay inside the double quotes, where
/// they are part of the name and nothing else.
///
/// ```
/// use migrate_core::quote_ident;
/// use migrate_core::sql::Dialect;
/// assert_eq!(quote_ident("t\nDROP", Dialect::Postgres), "U&\"t\\000aDROP\"");
/// ```
pub fn quote_ident(name: &str, dialect: Dialect) -> String {
    if dialect == Dialect::Postgres && name.chars().any(char::is_control) {
        let mut out = String::from("U&\"");
        for c in name.chars() {
            match c {
                '"' => out.push_str("\"\""),
                '\\' => out.push_str("\\\\"),
                c if c.is_control() => out.push_str(&format!("\\{:04x}", u32::from(c))),
                c => out.push(c),
            }
        }
        out.push('"');
        return out;
    }
    let plain = name.chars().next().is_some_and(|c| {
        c.is_ascii_lowercase() || c == '_' || (dialect == Dialect::Sqlite && c.is_ascii_uppercase())
    }) && name.chars().all(|c| {
        c.is_ascii_lowercase()
            || c.is_ascii_digit()
            || c == '_'
            || (dialect == Dialect::Sqlite && c.is_ascii_uppercase())
    });
    if plain && !RESERVED.contains(&name.to_ascii_lowercase().as_str()) {
        name.to_owned()
    } else {
        quote_ident_always(name)
    }
}

/// Words quoted when used as names: PostgreSQL's reserved keywords and
/// SQLite's keywords.
const RESERVED: &[&str] = &[
    "abort",
    "action",
    "add",
    "after",
    "all",
    "alter",
    "always",
    "analyse",
    "analyze",
    "and",
    "any",
    "array",
    "as",
    "asc",
    "asymmetric",
    "attach",
    "authorization",
    "autoincrement",
    "before",
    "begin",
    "between",
    "binary",
    "both",
    "by",
    "cascade",
    "case",
    "cast",
    "check",
    "collate",
    "collation",
    "column",
    "commit",
    "concurrently",
    "conflict",
    "constraint",
    "create",
    "cross",
    "current",
    "current_catalog",
    "current_date",
    "current_role",
    "current_schema",
    "current_time",
    "current_timestamp",
    "current_user",
    "database",
    "default",
    "deferrable",
    "deferred",
    "delete",
    "desc",
    "detach",
    "distinct",
    "do",
    "drop",
    "each",
    "else",
    "end",
    "escape",
    "except",
    "exclude",
    "exclusive",
    "exists",
    "explain",
    "fail",
    "false",
    "fetch",
    "filter",
    "first",
    "following",
    "for",
    "foreign",
    "freeze",
    "from",
    "full",
    "generated",
    "glob",
    "grant",
    "group",
    "groups",
    "having",
    "if",
    "ignore",
    "ilike",
    "immediate",
    "in",
    "index",
    "indexed",
    "initially",
    "inner",
    "insert",
    "instead",
    "intersect",
    "into",
    "is",
    "isnull",
    "join",
    "key",
    "last",
    "lateral",
    "leading",
    "left",
    "like",
    "limit",
    "localtime",
    "localtimestamp",
    "match",
    "materialized",
    "natural",
    "no",
    "not",
    "nothing",
    "notnull",
    "null",
    "nulls",
    "of",
    "offset",
    "on",
    "only",
    "or",
    "order",
    "others",
    "outer",
    "over",
    "overlaps",
    "partition",
    "placing",
    "plan",
    "pragma",
    "preceding",
    "primary",
    "query",
    "raise",
    "range",
    "recursive",
    "references",
    "regexp",
    "reindex",
    "release",
    "rename",
    "replace",
    "restrict",
    "returning",
    "right",
    "rollback",
    "row",
    "rows",
    "savepoint",
    "select",
    "session_user",
    "set",
    "similar",
    "some",
    "symmetric",
    "table",
    "tablesample",
    "temp",
    "temporary",
    "then",
    "ties",
    "to",
    "trailing",
    "transaction",
    "trigger",
    "true",
    "unbounded",
    "union",
    "unique",
    "update",
    "user",
    "using",
    "vacuum",
    "values",
    "variadic",
    "verbose",
    "view",
    "virtual",
    "when",
    "where",
    "window",
    "with",
    "without",
];

/// `name` in double quotes, any `"` in it doubled: a delimited identifier
/// that PostgreSQL and SQLite both read back as exactly `name`, whatever it
/// holds.
///
/// ```
/// assert_eq!(migrate_core::quote_ident_always("users"), "\"users\"");
/// assert_eq!(migrate_core::quote_ident_always("a\"b"), "\"a\"\"b\"");
/// ```
pub fn quote_ident_always(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// A dotted name (`schema.table` or `table`) with each part quoted by
/// [`quote_ident_always`]. A `.` always separates parts: a name that holds
/// one cannot be written this way.
///
/// ```
/// assert_eq!(
///     migrate_core::quote_qualified_always("audit.history"),
///     "\"audit\".\"history\""
/// );
/// ```
pub fn quote_qualified_always(name: &str) -> String {
    name.split('.')
        .map(quote_ident_always)
        .collect::<Vec<_>>()
        .join(".")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting() {
        assert_eq!(quote_ident("users", Dialect::Postgres), "users");
        assert_eq!(quote_ident("user", Dialect::Postgres), "\"user\"");
        assert_eq!(quote_ident("Users", Dialect::Postgres), "\"Users\"");
        assert_eq!(quote_ident("Users", Dialect::Sqlite), "Users");
        assert_eq!(quote_ident("a b", Dialect::Sqlite), "\"a b\"");
        assert_eq!(quote_ident("x\"y", Dialect::Postgres), "\"x\"\"y\"");
        assert_eq!(quote_ident("1a", Dialect::Postgres), "\"1a\"");
    }

    #[test]
    fn always_quoting_doubles_quotes_and_splits_at_dots() {
        assert_eq!(quote_ident_always("user"), "\"user\"");
        assert_eq!(quote_ident_always("a\"b\nc"), "\"a\"\"b\nc\"");
        assert_eq!(quote_qualified_always("t"), "\"t\"");
        assert_eq!(quote_qualified_always("s.t\"x"), "\"s\".\"t\"\"x\"");
    }
}
