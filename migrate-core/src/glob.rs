//! Name patterns: `*` any run of characters, `?` one character, anything
//! else itself (the `exclude` list of `migrate.toml`, `--each-schema`).

/// Does `name` match `pattern`? Backtracks only to the last `*`, so a
/// pattern of many stars stays linear in the name times the pattern, never
/// exponential.
///
/// ```
/// use migrate_core::glob_match;
/// assert!(glob_match("tenant_*", "tenant_42"));
/// assert!(glob_match("t?_a*z", "t1_abcz"));
/// assert!(!glob_match("tenant_*", "tenants"));
/// assert!(glob_match("*", ""));
/// ```
pub fn glob_match(pattern: &str, name: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let name: Vec<char> = name.chars().collect();
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and the name position it matched up to.
    let mut star: Option<(usize, usize)> = None;
    while n < name.len() {
        match pattern.get(p) {
            Some('*') => {
                star = Some((p, n));
                p += 1;
            }
            Some(&c) if c == '?' || c == name[n] => {
                p += 1;
                n += 1;
            }
            _ => match star {
                Some((sp, sn)) => {
                    star = Some((sp, sn + 1));
                    p = sp + 1;
                    n = sn + 1;
                }
                None => return false,
            },
        }
    }
    pattern[p..].iter().all(|&c| c == '*')
}
