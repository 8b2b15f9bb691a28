//! Every target, every seed, and a bounded number of mutated inputs: no
//! panic, hang or crash. The long run is `cargo run --release -p
//! migrate-fuzz -- --seconds 600`.

use std::path::PathBuf;
use std::time::Duration;

use migrate_fuzz::targets::TARGETS;
use migrate_fuzz::{Budget, Config, default_corpus_dir, fuzz, replay_command};

/// Mutated inputs per target; the SQL checkers are the slow part.
fn runs(target: &str) -> u64 {
    match target {
        "sql" => 2_000,
        "graph" => 3_000,
        _ => 12_000,
    }
}

fn check(target: &str) {
    let failures = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("fuzz-failures");
    let config = Config {
        program: PathBuf::from(env!("CARGO_BIN_EXE_migrate-fuzz")),
        target: target.to_owned(),
        corpus: default_corpus_dir(),
        failures,
        seed: 0x5eed,
        timeout: Duration::from_secs(2),
        budget: Budget::Execs(runs(target)),
    };
    let stats = fuzz(&config).expect("the fuzzer runs");
    eprintln!(
        "{target}: {} execs in {:.2?} ({:.0} exec/s), {} signatures",
        stats.execs,
        stats.elapsed,
        stats.rate(),
        stats.signatures
    );
    let report: Vec<String> = stats
        .failures
        .iter()
        .map(|f| {
            format!(
                "{:?}\n  replay: {}",
                f.outcome,
                replay_command(target, &f.path)
            )
        })
        .collect();
    assert!(report.is_empty(), "{target}: {}", report.join("\n"));
}

#[test]
fn file_target() {
    check("file");
}

#[test]
fn header_target() {
    check("header");
}

#[test]
fn target_target() {
    check("target");
}

#[test]
fn graph_target() {
    check("graph");
}

#[test]
fn sql_target() {
    check("sql");
}

#[test]
fn every_target_has_seeds() {
    for target in TARGETS {
        let seeds = migrate_fuzz::load_corpus(&default_corpus_dir(), target).unwrap();
        assert!(seeds.len() >= 5, "{target}: {} seeds", seeds.len());
    }
}
