//! What both SQL checkers share and neither owns: the error a dialect's
//! parser reports and the lexing of PostgreSQL's dollar quotes.

/// A statement rejected by a dialect's parser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyntaxError {
    /// File line of the problem.
    pub line: u32,
    /// Column of the problem.
    pub column: u32,
    /// The parser's message, without its location suffix.
    pub message: String,
    /// A complete statement was followed by a keyword that starts another
    /// one: most likely a missing `;`.
    pub trailing: bool,
}

/// If a dollar-quote tag (`$$` or `$tag$`) starts at `i`, the offset past it.
pub(crate) fn dollar_tag(bytes: &[u8], i: usize) -> Option<usize> {
    let mut j = i + 1;
    if bytes.get(j).is_some_and(|b| b.is_ascii_digit()) {
        return None; // `$1` is a parameter
    }
    while j < bytes.len()
        && (bytes[j].is_ascii_alphanumeric() || bytes[j] == b'_' || bytes[j] >= 0x80)
    {
        j += 1;
    }
    (bytes.get(j) == Some(&b'$')).then_some(j + 1)
}
