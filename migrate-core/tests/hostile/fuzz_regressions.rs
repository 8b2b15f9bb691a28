//! Inputs found by migrate-fuzz that once panicked, hung or crashed.

use migrate_core::Target;

/// `REV+1+1+…` nested one `Target::Relative` per step: a few thousand steps
/// overflowed the stack (an abort, not a panic) in parsing, resolution,
/// display or drop. Chains are now bounded and rejected as invalid targets.
#[test]
fn long_relative_chain_is_rejected_without_overflowing_the_stack() {
    let text = format!("b2{}", "+1".repeat(100_000));
    let err = Target::parse(&text).unwrap_err().to_string();
    assert!(err.starts_with("invalid target `b2+1+1"), "{}", &err[..80]);

    let err = Target::parse(&"-1".repeat(100_000))
        .unwrap_err()
        .to_string();
    assert!(err.starts_with("invalid target `-1-1"), "{}", &err[..80]);

    // Short chains still parse and display as written.
    let t = Target::parse("b2+1+1-1").unwrap();
    assert_eq!(t.to_string(), "b2+1+1-1");
}

/// Past the bound, the message says what the bound is and how to write the
/// target instead, without echoing every step.
#[test]
fn too_many_relative_steps_name_the_limit_and_the_single_step() {
    let text = format!("abc{}", "+1".repeat(17));
    assert_eq!(
        Target::parse(&text).unwrap_err().to_string(),
        "invalid target `abc+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1+1`: 17 relative steps \
         in a row, more than the 16 allowed; write a single step such as `abc+17`, \
         or name the revision to go to"
    );
    assert!(Target::parse(&format!("abc{}", "+1".repeat(16))).is_ok());

    let text = format!("core@head{}", "-2".repeat(100_000));
    let err = Target::parse(&text).unwrap_err().to_string();
    assert_eq!(
        err,
        "invalid target `core@head-2-2-2-2-2-2-2-2-2-2-2-2-2-2-2-2-2-2-2-…` (200009 characters): \
         100000 relative steps in a row, more than the 16 allowed; write a single step such \
         as `core@head-200000`, or name the revision to go to"
    );

    // Without a revision the steps count from the current head.
    let err = Target::parse(&"-1".repeat(17)).unwrap_err().to_string();
    assert!(
        err.contains("17 relative steps in a row") && err.contains("such as `-17`"),
        "{err}"
    );
    // Other invalid targets keep the list of accepted forms.
    assert_eq!(
        Target::parse("a b").unwrap_err().to_string(),
        "invalid target `a b`; expected head, heads, base, a revision id, +N, -N, REV+N, REV-N, LABEL@head or LABEL@base"
    );
}
