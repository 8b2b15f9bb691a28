//! Relative steps at the end of a target (`+2`, `REV-1`) and the message of
//! a target that does not parse; shared by the target grammar and the error
//! type, and importing neither.

/// How many relative steps may follow one another (`REV+1+1+…`): the parsed
/// target nests one level per step, and resolution, display and drop recurse
/// through them.
pub(crate) const MAX_RELATIVE_CHAIN: usize = 16;

/// The relative steps at the end of a target, stripped from the right as
/// [`Target::parse`](crate::Target::parse) strips them: the text before them (trimmed; empty when
/// they count from the current head), how many there are, and their sum
/// (`None` if it overflows). Iterative, so any length is safe.
pub(crate) fn relative_chain(text: &str) -> (&str, usize, Option<i64>) {
    let mut rest = text.trim();
    let mut count = 0usize;
    let mut sum = Some(0i64);
    while let Some(at) = rest.rfind(['+', '-']) {
        let digits = &rest[at + 1..];
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            break;
        }
        count += 1;
        let negative = rest.as_bytes()[at] == b'-';
        sum = sum.and_then(|total| {
            let n: i64 = digits.parse().ok()?;
            total.checked_add(if negative { -n } else { n })
        });
        rest = rest[..at].trim();
    }
    (rest, count, sum)
}

/// The message of [`Error::InvalidTarget`](crate::Error::InvalidTarget): a chain of too many relative
/// steps gets its own, with the target cut short.
pub(crate) fn invalid_target_message(target: &str) -> String {
    let (base, steps, sum) = relative_chain(target);
    if steps <= MAX_RELATIVE_CHAIN {
        return format!(
            "invalid target `{target}`; expected head, heads, base, a revision id, +N, -N, REV+N, REV-N, LABEL@head or LABEL@base"
        );
    }
    const SHOWN: usize = 48;
    let length = target.chars().count();
    let shown = if length <= SHOWN {
        format!("`{target}`")
    } else {
        let cut: String = target.chars().take(SHOWN).collect();
        format!("`{cut}…` ({length} characters)")
    };
    let single = match sum {
        Some(0) if !base.is_empty() => base.to_owned(),
        Some(n) => format!("{base}{n:+}"),
        None => format!("{base}+N"),
    };
    format!(
        "invalid target {shown}: {steps} relative steps in a row, more than the {MAX_RELATIVE_CHAIN} allowed; write a single step such as `{single}`, or name the revision to go to"
    )
}
