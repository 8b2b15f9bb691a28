//! Rows as the API shows them, request bodies, and their validation.
//!
//! Requests are parsed leniently enough to report every problem at once
//! (422 with one entry per field) and strictly enough to catch typos:
//! unknown fields are refused.
//!
//! Control characters are refused with 400 (the request is malformed, not
//! merely invalid), naming each field: NUL everywhere, since PostgreSQL
//! cannot store it in `TEXT` and SQLite's text functions stop at it (so
//! `ann@x.org\0…` passed for a new address while `lower()` saw
//! `ann@x.org`); every other C0 and C1 control character (U+0001–U+001F,
//! U+007F–U+009F) in the one-line fields, where it can only hide text or
//! move a terminal's cursor when the value is printed. The free-text
//! `description` keeps tab, line feed and carriage return.

use std::collections::BTreeMap;

use serde::{Deserialize, Deserializer, Serialize};
use sqlx::{ColumnIndex, Decode, FromRow, Row, Type};

use crate::error::ApiError;

/// Largest value of `NUMERIC(10, 2)` in cents: 99999999.99.
const MAX_CENTS: i64 = 9_999_999_999;

// ---------------------------------------------------------------- rows

/// A product. `price` is `NUMERIC(10, 2)` in the database; it is read as text
/// (`CAST(price AS TEXT)`, which both databases support, so no decimal type
/// is needed in sqlx) and shown as a JSON number. Ten significant digits
/// survive an `f64` exactly, so `19.99` stays `19.99`.
#[derive(Debug, Clone, Serialize)]
pub struct Product {
    pub id: String,
    pub name: String,
    pub description: Option<String>,
    pub price: f64,
    pub quantity: i32,
    /// From the name (see `slug.rs`); revision a4b5c6d7e8f9 filled it for
    /// the products made before it.
    pub slug: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct User {
    pub id: String,
    pub email: String,
    pub username: String,
    pub display_name: Option<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub id: String,
    pub name: String,
}

// One generic `FromRow` per type serves `PgRow` and `SqliteRow` alike.

impl<'r, R: Row> FromRow<'r, R> for Product
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
    i32: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Product> {
        let price: String = row.try_get("price")?;
        let price = price
            .trim()
            .parse::<f64>()
            .map_err(|e| sqlx::Error::ColumnDecode {
                index: "price".to_owned(),
                source: format!("`{price}` is not a number: {e}").into(),
            })?;
        Ok(Product {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
            description: row.try_get("description")?,
            price,
            quantity: row.try_get("quantity")?,
            slug: row.try_get("slug")?,
        })
    }
}

impl<'r, R: Row> FromRow<'r, R> for User
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
    Option<String>: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<User> {
        Ok(User {
            id: row.try_get("id")?,
            email: row.try_get("email")?,
            username: row.try_get("username")?,
            display_name: row.try_get("display_name")?,
        })
    }
}

impl<'r, R: Row> FromRow<'r, R> for Tag
where
    &'static str: ColumnIndex<R>,
    String: Decode<'r, R::Database> + Type<R::Database>,
{
    fn from_row(row: &'r R) -> sqlx::Result<Tag> {
        Ok(Tag {
            id: row.try_get("id")?,
            name: row.try_get("name")?,
        })
    }
}

// ---------------------------------------------------------------- requests

/// `POST /products` and `PUT /products/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductBody {
    pub name: String,
    #[serde(default)]
    pub description: Option<String>,
    /// A number (`19.99`) or a string (`"19.99"`); checked by [`price`].
    pub price: serde_json::Value,
    #[serde(default)]
    pub quantity: i64,
}

/// `PATCH /products/{id}`: only the fields present change;
/// `"description": null` clears the description, and `null` for any other
/// field is refused (those columns are `NOT NULL`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProductPatch {
    #[serde(default, deserialize_with = "present")]
    pub name: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub price: Option<Option<serde_json::Value>>,
    #[serde(default, deserialize_with = "present")]
    pub quantity: Option<Option<i64>>,
}

/// `POST /users` and `PUT /users/{id}`. Without `display_name`, the username
/// is shown (as the backfill revision did for existing users).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    pub email: String,
    pub username: String,
    #[serde(default)]
    pub display_name: Option<String>,
}

/// `PATCH /users/{id}`; `"display_name": null` clears it.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserPatch {
    #[serde(default, deserialize_with = "present")]
    pub email: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub username: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    pub display_name: Option<Option<String>>,
}

/// `POST /tags`, `PUT /tags/{id}` and `PATCH /tags/{id}`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    pub name: String,
}

/// Tells an absent field (`None`, via `#[serde(default)]`) from an explicit
/// `null` (`Some(None)`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

// ---------------------------------------------------------------- validated

/// A product change that passed validation. For a create or a replace every
/// field is `Some`; for a patch, the fields to change.
#[derive(Debug, Default, PartialEq)]
pub struct ProductChanges {
    pub name: Option<String>,
    pub description: Option<Option<String>>,
    /// Canonical decimal text (`"19.99"`), bound as `CAST($n AS NUMERIC)`.
    pub price: Option<String>,
    pub quantity: Option<i32>,
}

#[derive(Debug, Default, PartialEq)]
pub struct UserChanges {
    pub email: Option<String>,
    pub username: Option<String>,
    pub display_name: Option<Option<String>>,
}

impl ProductBody {
    pub fn validate(self) -> Result<ProductChanges, ApiError> {
        ProductPatch {
            name: Some(Some(self.name)),
            description: Some(self.description),
            price: Some(Some(self.price)),
            quantity: Some(Some(self.quantity)),
        }
        .validate()
    }
}

impl ProductPatch {
    pub fn validate(self) -> Result<ProductChanges, ApiError> {
        let mut problems = Problems::default();
        let name = problems.not_null("name", self.name);
        let price_value = problems.not_null("price", self.price);
        let quantity_value = problems.not_null("quantity", self.quantity);
        let changes = ProductChanges {
            name: name.and_then(|n| problems.check("name", text(&n, 1, 200))),
            description: self.description.map(|d| {
                d.and_then(|d| {
                    problems
                        .check("description", optional_multiline_text(&d, 2000))
                        .flatten()
                })
            }),
            price: price_value.and_then(|p| problems.check("price", price(&p))),
            quantity: quantity_value.and_then(|q| problems.check("quantity", quantity(q))),
        };
        problems.finish(changes)
    }
}

impl UserBody {
    pub fn validate(self) -> Result<UserChanges, ApiError> {
        let display_name = self.display_name.or_else(|| Some(self.username.clone()));
        UserPatch {
            email: Some(Some(self.email)),
            username: Some(Some(self.username)),
            display_name: Some(display_name),
        }
        .validate()
    }
}

impl UserPatch {
    pub fn validate(self) -> Result<UserChanges, ApiError> {
        let mut problems = Problems::default();
        let email_value = problems.not_null("email", self.email);
        let username_value = problems.not_null("username", self.username);
        let changes = UserChanges {
            email: email_value.and_then(|e| problems.check("email", email(&e))),
            username: username_value.and_then(|u| problems.check("username", username(&u))),
            display_name: self.display_name.map(|d| {
                d.and_then(|d| {
                    problems
                        .check("display_name", optional_text(&d, 100))
                        .flatten()
                })
            }),
        };
        problems.finish(changes)
    }
}

impl TagBody {
    pub fn validate(self) -> Result<String, ApiError> {
        let mut problems = Problems::default();
        let name = problems.check("name", text(&self.name, 1, 50));
        problems.finish(name.unwrap_or_default())
    }
}

/// Why a field was refused.
#[derive(Debug, PartialEq)]
enum Problem {
    /// A control character: the request is malformed (400).
    Malformed(String),
    /// Anything else: well-formed but invalid (422).
    Invalid(String),
}

impl From<String> for Problem {
    fn from(problem: String) -> Problem {
        Problem::Invalid(problem)
    }
}

/// Field problems, gathered so that one answer lists all of them.
#[derive(Default)]
struct Problems {
    fields: BTreeMap<&'static str, String>,
    malformed: bool,
}

impl Problems {
    fn check<T, E: Into<Problem>>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        match result.map_err(Into::into) {
            Ok(value) => Some(value),
            Err(Problem::Invalid(problem)) => {
                self.fields.insert(field, problem);
                None
            }
            Err(Problem::Malformed(problem)) => {
                self.malformed = true;
                self.fields.insert(field, problem);
                None
            }
        }
    }

    /// A patch field that may be absent but not `null`.
    fn not_null<T>(&mut self, field: &'static str, value: Option<Option<T>>) -> Option<T> {
        match value {
            Some(None) => {
                self.fields.insert(field, "must not be null".to_owned());
                None
            }
            other => other.flatten(),
        }
    }

    fn finish<T>(self, value: T) -> Result<T, ApiError> {
        if self.fields.is_empty() {
            return Ok(value);
        }
        let message = self
            .fields
            .iter()
            .map(|(field, problem)| format!("{field}: {problem}"))
            .collect::<Vec<_>>()
            .join("; ");
        Err(if self.malformed {
            ApiError::Malformed {
                message,
                fields: self.fields,
            }
        } else {
            ApiError::Invalid {
                message,
                fields: self.fields,
            }
        })
    }
}

/// Refuses NUL, and any other control character unless `multiline` and it
/// is a tab, line feed or carriage return.
fn no_control_characters(value: &str, multiline: bool) -> Result<(), Problem> {
    match value
        .chars()
        .find(|c| c.is_control() && !(multiline && matches!(c, '\t' | '\n' | '\r')))
    {
        None => Ok(()),
        Some(c) => Err(Problem::Malformed(format!(
            "must not contain the control character {}; remove it",
            control_name(c)
        ))),
    }
}

/// `U+0000 (NUL)`: the character itself is never echoed back.
pub fn control_name(c: char) -> String {
    let name = match c {
        '\0' => " (NUL)",
        '\t' => " (tab)",
        '\n' => " (line feed)",
        '\r' => " (carriage return)",
        '\u{1b}' => " (escape)",
        '\u{7f}' => " (delete)",
        _ => "",
    };
    format!("U+{:04X}{name}", u32::from(c))
}

/// Trimmed one-line text of `min..=max` characters.
fn text(value: &str, min: usize, max: usize) -> Result<String, Problem> {
    checked_text(value, min, max, false)
}

fn checked_text(value: &str, min: usize, max: usize, multiline: bool) -> Result<String, Problem> {
    let value = value.trim();
    no_control_characters(value, multiline)?;
    let len = value.chars().count();
    if len < min {
        Err(Problem::Invalid("must not be empty".to_owned()))
    } else if len > max {
        Err(Problem::Invalid(format!(
            "must be at most {max} characters (got {len})"
        )))
    } else {
        Ok(value.to_owned())
    }
}

/// Trimmed one-line text of at most `max` characters; empty means none.
fn optional_text(value: &str, max: usize) -> Result<Option<String>, Problem> {
    let value = text(value, 0, max)?;
    Ok(Some(value).filter(|v| !v.is_empty()))
}

/// Like [`optional_text`], keeping tabs and line breaks.
fn optional_multiline_text(value: &str, max: usize) -> Result<Option<String>, Problem> {
    let value = checked_text(value, 0, max, true)?;
    Ok(Some(value).filter(|v| !v.is_empty()))
}

/// An address with one `@`, a local part and a dotted domain, compared
/// case-insensitively (stored lowercase), so `Ann@x.org` and `ann@x.org`
/// are the same user.
fn email(value: &str) -> Result<String, Problem> {
    let value = text(value, 1, 254)?.to_lowercase();
    let valid = match value.split_once('@') {
        Some((local, domain)) => {
            !local.is_empty()
                && !domain.contains('@')
                && domain.contains('.')
                && !domain.starts_with('.')
                && !domain.ends_with('.')
                && !value.chars().any(char::is_whitespace)
        }
        None => false,
    };
    if valid {
        Ok(value)
    } else {
        Err(Problem::Invalid(format!(
            "`{value}` is not an email address such as ann@example.com"
        )))
    }
}

/// 1 to 50 letters, digits, `_`, `-` or `.`.
fn username(value: &str) -> Result<String, Problem> {
    let value = text(value, 1, 50)?;
    if value
        .chars()
        .all(|c| c.is_alphanumeric() || matches!(c, '_' | '-' | '.'))
    {
        Ok(value)
    } else {
        Err(Problem::Invalid(
            "may contain only letters, digits, `_`, `-` and `.`".to_owned(),
        ))
    }
}

/// A price from 0 to 99999999.99 with at most two decimals, as a number or
/// a numeric string, turned into canonical text (`"19.90"`).
fn price(value: &serde_json::Value) -> Result<String, String> {
    let number = match value {
        serde_json::Value::Number(n) => n.as_f64(),
        serde_json::Value::String(s) => s.trim().parse::<f64>().ok(),
        _ => None,
    }
    .filter(|n| n.is_finite())
    .ok_or_else(|| format!("must be a number such as 19.99 (got {value})"))?;
    let cents = (number * 100.0).round();
    if (cents / 100.0 - number).abs() > 1e-9 {
        return Err(format!("must have at most two decimals (got {number})"));
    }
    if !(0.0..=MAX_CENTS as f64).contains(&cents) {
        return Err(format!("must be between 0 and 99999999.99 (got {number})"));
    }
    // In range, so the conversion is exact.
    let cents = cents as i64;
    Ok(format!("{}.{:02}", cents / 100, cents % 100))
}

/// 0 to 2147483647 (the column is `INTEGER`).
fn quantity(value: i64) -> Result<i32, String> {
    i32::try_from(value)
        .ok()
        .filter(|q| *q >= 0)
        .ok_or_else(|| format!("must be between 0 and {} (got {value})", i32::MAX))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn price_accepts_numbers_and_strings_with_two_decimals() {
        assert_eq!(price(&json!(19.99)).unwrap(), "19.99");
        assert_eq!(price(&json!(20)).unwrap(), "20.00");
        assert_eq!(price(&json!("0.1")).unwrap(), "0.10");
        assert_eq!(price(&json!(0)).unwrap(), "0.00");
        assert_eq!(price(&json!(99_999_999.99)).unwrap(), "99999999.99");
    }

    #[test]
    fn price_rejects_what_numeric_10_2_cannot_hold() {
        for bad in [
            json!(-1),
            json!(1.234),
            json!(100_000_000),
            json!("abc"),
            json!(null),
            json!([1]),
        ] {
            assert!(price(&bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn email_is_lowercased_and_checked() {
        assert_eq!(email(" Ann@Example.ORG ").unwrap(), "ann@example.org");
        for bad in [
            "ann",
            "@x.org",
            "ann@x",
            "a b@x.org",
            "a@@x.org",
            "a@x.",
            "",
        ] {
            assert!(email(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn product_body_reports_every_bad_field() {
        let body: ProductBody =
            serde_json::from_value(json!({"name": " ", "price": -2, "quantity": -1})).unwrap();
        let Err(ApiError::Invalid { fields, .. }) = body.validate() else {
            panic!("expected a validation error");
        };
        assert_eq!(
            fields.keys().copied().collect::<Vec<_>>(),
            ["name", "price", "quantity"]
        );
    }

    #[test]
    fn patch_tells_absent_from_null() {
        let patch: ProductPatch = serde_json::from_value(json!({"description": null})).unwrap();
        assert_eq!(patch.description, Some(None));
        let patch: ProductPatch = serde_json::from_value(json!({"name": "x"})).unwrap();
        assert_eq!(patch.description, None);
    }

    #[test]
    fn patch_refuses_null_for_not_null_columns() {
        let patch: ProductPatch =
            serde_json::from_value(json!({"name": null, "price": null})).unwrap();
        let Err(ApiError::Invalid { fields, .. }) = patch.validate() else {
            panic!("expected a validation error");
        };
        assert_eq!(
            fields.keys().copied().collect::<Vec<_>>(),
            ["name", "price"]
        );
    }

    #[test]
    fn new_user_shows_the_username_by_default() {
        let body: UserBody =
            serde_json::from_value(json!({"email": "a@b.co", "username": "ann"})).unwrap();
        assert_eq!(
            body.validate().unwrap().display_name,
            Some(Some("ann".to_owned()))
        );
    }

    #[test]
    fn nul_is_malformed_in_every_text_field() {
        let body: UserBody = serde_json::from_value(
            json!({"email": "ann@x.org\0evil", "username": "ann", "display_name": "A\0"}),
        )
        .unwrap();
        let Err(ApiError::Malformed { fields, .. }) = body.validate() else {
            panic!("expected a malformed-request error");
        };
        assert_eq!(
            fields.keys().copied().collect::<Vec<_>>(),
            ["display_name", "email"]
        );
        assert_eq!(
            fields["email"],
            "must not contain the control character U+0000 (NUL); remove it"
        );
        let body: ProductBody =
            serde_json::from_value(json!({"name": "x", "description": "a\0b", "price": 1}))
                .unwrap();
        assert!(matches!(body.validate(), Err(ApiError::Malformed { .. })));
        assert!(matches!(
            TagBody { name: "t\0".into() }.validate(),
            Err(ApiError::Malformed { .. })
        ));
    }

    #[test]
    fn other_control_characters_only_in_descriptions() {
        for c in ['\u{1}', '\t', '\n', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}'] {
            let name = format!("a{c}b");
            assert!(
                matches!(text(&name, 1, 200), Err(Problem::Malformed(_))),
                "{c:?}"
            );
        }
        assert_eq!(
            optional_multiline_text("line 1\n\tline 2\r\n", 2000).unwrap(),
            Some("line 1\n\tline 2".to_owned())
        );
        assert!(optional_multiline_text("a\u{1b}[2Jb", 2000).is_err());
        // Trimmed first: a trailing line break is not part of the name.
        assert_eq!(text("name\n", 1, 200).unwrap(), "name");
        // Letters beyond ASCII are not control characters.
        assert_eq!(text("Zoë 名前", 1, 200).unwrap(), "Zoë 名前");
    }

    #[test]
    fn unknown_fields_are_refused() {
        assert!(serde_json::from_value::<TagBody>(json!({"name": "x", "nmae": "y"})).is_err());
    }
}
