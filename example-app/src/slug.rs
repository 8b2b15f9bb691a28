//! A product's slug, from its name: lower case, accents folded (`Crème
//! Brûlée` is `creme-brulee`), every run of other characters one `-`.
//!
//! Revision a4b5c6d7e8f9 (`migrations/…_compute_product_slugs.rs`) filled
//! the slugs of the products that existed before it with a copy of this
//! rule: a revision keeps the code it ran with, so changing the rule here
//! later does not change what that revision does on the next database.

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

/// The slug of `name`.
pub fn of(name: &str) -> String {
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

#[cfg(test)]
mod tests {
    #[test]
    fn slugs_fold_accents_and_join_words_with_one_dash() {
        assert_eq!(super::of("Crème Brûlée"), "creme-brulee");
        assert_eq!(super::of("  Widget XL (blue)! "), "widget-xl-blue");
        assert_eq!(super::of("Straße"), "strasse");
        assert_eq!(super::of("日本 茶"), "日本-茶");
        assert_eq!(super::of("---"), "");
    }
}
