//! The names PostgreSQL gives what a statement leaves unnamed: its
//! `makeObjectName`, `ChooseRelationName`/`ChooseConstraintName` collision
//! digits, and the column parts of index, key and foreign-key names.
//!
//! Each rule's unit test says which examples were confirmed on PostgreSQL 15
//! (the server `scripts/pg.sh` starts), and how.

/// The longest identifier PostgreSQL keeps, in bytes (`NAMEDATALEN - 1`).
pub const MAX_IDENTIFIER: usize = 63;

/// `makeObjectName`: `name1[_name2][_label]`, cut to 63 bytes. The label is
/// never cut; while the two names are too long together, one byte comes off
/// the longer one (the second on a tie), and each cut then moves back to a
/// character boundary.
pub fn object_name(name1: &str, name2: Option<&str>, label: &str) -> String {
    let mut overhead = 0;
    let mut n1 = name1.len();
    let mut n2 = 0;
    if let Some(name2) = name2 {
        n2 = name2.len();
        overhead += 1;
    }
    if !label.is_empty() {
        overhead += label.len() + 1;
    }
    let avail = MAX_IDENTIFIER.saturating_sub(overhead);
    while n1 + n2 > avail {
        if n1 > n2 {
            n1 -= 1;
        } else {
            n2 -= 1;
        }
    }
    let mut out = String::from(clip(name1, n1));
    if let Some(name2) = name2 {
        out.push('_');
        out.push_str(clip(name2, n2));
    }
    if !label.is_empty() {
        out.push('_');
        out.push_str(label);
    }
    out
}

/// The first `len` bytes of `s`, moved back to a character boundary.
fn clip(s: &str, len: usize) -> &str {
    let mut len = len.min(s.len());
    while !s.is_char_boundary(len) {
        len -= 1;
    }
    &s[..len]
}

/// `ChooseRelationName` and `ChooseConstraintName`: the first of
/// `name1_name2_label`, `…_label1`, `…_label2`, … that `taken` refuses.
pub fn choose(
    name1: &str,
    name2: Option<&str>,
    label: &str,
    taken: impl Fn(&str) -> bool,
) -> String {
    let mut candidate = object_name(name1, name2, label);
    let mut pass = 0u32;
    while taken(&candidate) {
        pass += 1;
        candidate = object_name(name1, name2, &format!("{label}{pass}"));
    }
    candidate
}

/// `ChooseIndexNameAddition` and `ChooseForeignKeyConstraintNameAddition`:
/// the column names joined by `_`, stopping once the result reaches 64
/// bytes (`makeObjectName` cuts it further).
pub fn columns_part<S: AsRef<str>>(columns: &[S]) -> String {
    let mut out = String::new();
    for name in columns {
        if !out.is_empty() {
            out.push('_');
        }
        out.push_str(clip(name.as_ref(), MAX_IDENTIFIER));
        if out.len() > MAX_IDENTIFIER {
            break;
        }
    }
    out
}

/// `ChooseIndexColumnNames`: a key's name repeated in one index gets a
/// digit (`lower`, `lower1`), cut so the digit fits in 63 bytes.
pub fn index_column_names(names: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(names.len());
    for name in names {
        let mut candidate = name.clone();
        let mut i = 0u32;
        while out.contains(&candidate) {
            i += 1;
            let digits = i.to_string();
            candidate = format!(
                "{}{digits}",
                clip(name, MAX_IDENTIFIER.saturating_sub(digits.len()))
            );
        }
        out.push(candidate);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    // Confirmed on PostgreSQL 15 (scripts/pg.sh, 2026-12-06): each name
    // below is what `\d` showed after the statement in the comment.

    #[test]
    fn labels_follow_the_table_and_columns() {
        // CREATE TABLE posts (id int PRIMARY KEY) → posts_pkey
        assert_eq!(object_name("posts", None, "pkey"), "posts_pkey");
        // CREATE TABLE users (a int, b int, UNIQUE (a, b)) → users_a_b_key
        assert_eq!(
            object_name("users", Some(&columns_part(&["a", "b"])), "key"),
            "users_a_b_key"
        );
        // FOREIGN KEY (x, y) REFERENCES … → posts_x_y_fkey
        assert_eq!(
            object_name("posts", Some(&columns_part(&["x", "y"])), "fkey"),
            "posts_x_y_fkey"
        );
    }

    #[test]
    fn long_names_lose_bytes_from_the_longer_part_and_keep_the_label() {
        // CREATE TABLE a_very_long_table_name_that_goes_on_and_on_and_on_for_ever
        //   (a_very_long_column_name_that_goes_on_and_on_and_on_too int UNIQUE, b int CHECK (b > 0))
        let table = "a_very_long_table_name_that_goes_on_and_on_and_on_for_ever";
        let column = "a_very_long_column_name_that_goes_on_and_on_and_on_too";
        assert_eq!(
            object_name(table, Some(column), "key"),
            "a_very_long_table_name_that_g_a_very_long_column_name_that__key"
        );
        assert_eq!(
            object_name(table, Some("b"), "check"),
            "a_very_long_table_name_that_goes_on_and_on_and_on_for_e_b_check"
        );
        let name = object_name("é".repeat(40).as_str(), Some("x"), "key");
        assert!(
            name.len() <= MAX_IDENTIFIER && name.ends_with("_x_key"),
            "{name}"
        );
    }

    #[test]
    fn collisions_add_a_digit_to_the_label() {
        // a second unnamed UNIQUE (email) after a rename → users_email_key1
        let taken = ["users_email_key"];
        assert_eq!(
            choose("users", Some("email"), "key", |n| taken.contains(&n)),
            "users_email_key1"
        );
        let taken = ["posts_user_id_idx", "posts_user_id_idx1"];
        assert_eq!(
            choose("posts", Some("user_id"), "idx", |n| taken.contains(&n)),
            "posts_user_id_idx2"
        );
    }

    #[test]
    fn repeated_index_keys_get_digits() {
        // CREATE INDEX ON posts (lower(a), lower(b)) → posts_lower_lower1_idx
        let names = index_column_names(&["lower".into(), "lower".into()]);
        assert_eq!(names, ["lower", "lower1"]);
        assert_eq!(
            object_name("posts", Some(&columns_part(&names)), "idx"),
            "posts_lower_lower1_idx"
        );
    }
}
