// revision: a4b5c6d7e8f9
// down_revision: f3a4b5c6d7e8
// message: compute product slugs
// create_date: 2025-10-06 09:30:05
// data_only: true

//! Fills `products.slug` from each name: lower case, accents folded
//! (`Crème Brûlée` becomes `creme-brulee`), every run of other characters
//! one `-`. Neither database's SQL can fold accents portably, so the
//! revision is Rust. It keeps its own copy of the rule, as it was when it
//! was written: the application's may change later, a revision must not.

use migrate_runtime::rust::{Db, RevisionResult};
use migrate_runtime::sqlx;

/// The letter without its accent, for the Latin letters that have one.
fn fold(c: char) -> Option<&'static str> {
    Some(match c {
        'à' | 'á' | 'â' | 'ã' | 'ä' | 'å' | 'ā' => "a",
        'æ' => "ae",
        'ç' | 'ć' | 'č' => "c",
        'è' | 'é' | 'ê' | 'ë' | 'ē' | 'ę' | 'ě' => "e",
        'ì' | 'í' | 'î' | 'ï' | 'ī' => "i",
        'ñ' | 'ń' | 'ň' => "n",
        'ò' | 'ó' | 'ô' | 'õ' | 'ö' | 'ø' | 'ō' => "o",
        'œ' => "oe",
        'ß' => "ss",
        'ś' | 'š' => "s",
        'ù' | 'ú' | 'û' | 'ü' | 'ū' | 'ů' => "u",
        'ý' | 'ÿ' => "y",
        'ź' | 'ż' | 'ž' => "z",
        'ł' => "l",
        'ř' => "r",
        'ť' => "t",
        'ď' => "d",
        _ => return None,
    })
}

fn slug(name: &str) -> String {
    let mut out = String::new();
    let mut gap = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        let piece = match fold(c) {
            Some(folded) => folded.to_owned(),
            None if c.is_alphanumeric() => c.to_string(),
            None => {
                gap = !out.is_empty();
                continue;
            }
        };
        if gap {
            out.push('-');
            gap = false;
        }
        out.push_str(&piece);
    }
    out
}

pub async fn upgrade(db: &mut Db<'_>) -> RevisionResult {
    let products: Vec<(String, String)> = match db {
        Db::Postgres(conn) => {
            sqlx::query_as("SELECT id, name FROM products")
                .fetch_all(&mut **conn)
                .await?
        }
        Db::Sqlite(conn) => {
            sqlx::query_as("SELECT id, name FROM products")
                .fetch_all(&mut **conn)
                .await?
        }
    };
    for (id, name) in products {
        let slug = slug(&name);
        match db {
            Db::Postgres(conn) => {
                sqlx::query("UPDATE products SET slug = $1 WHERE id = $2")
                    .bind(slug)
                    .bind(id)
                    .execute(&mut **conn)
                    .await?;
            }
            Db::Sqlite(conn) => {
                sqlx::query("UPDATE products SET slug = ?1 WHERE id = ?2")
                    .bind(slug)
                    .bind(id)
                    .execute(&mut **conn)
                    .await?;
            }
        }
    }
    Ok(())
}

pub async fn downgrade(db: &mut Db<'_>) -> RevisionResult {
    db.execute("UPDATE products SET slug = NULL").await?;
    Ok(())
}
