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
