//! `migrate-fuzz`: fuzz migrate-core on stable Rust.
//!
//! ```text
//! cargo run --release -p migrate-fuzz -- --seconds 600            # every target, time split evenly
//! cargo run --release -p migrate-fuzz -- --seconds 120 --target sql
//! cargo run --release -p migrate-fuzz -- --runs 100000 --seed 7
//! cargo run -p migrate-fuzz -- --target file --replay migrate-fuzz/failures/file/panic-….bin
//! ```
//!
//! Options: `--target NAME` (file, header, target, graph, sql; repeatable;
//! default all), `--seconds N` (total time, split between targets; default
//! 60), `--runs N` (mutated inputs per target, instead of a time budget),
//! `--seed N` (default 1), `--timeout-ms N` (per-input bound, default 2000),
//! `--corpus DIR` (default: the crate's `corpus/`), `--failures DIR`
//! (default `migrate-fuzz/failures`). Exit status 1 when anything failed.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use migrate_fuzz::targets::TARGETS;
use migrate_fuzz::{Budget, Config, Outcome, default_corpus_dir, fuzz, replay_command};

fn usage() -> ExitCode {
    eprintln!(
        "usage: migrate-fuzz [--target NAME]... [--seconds N | --runs N] [--seed N] [--timeout-ms N] [--corpus DIR] [--failures DIR]\n       migrate-fuzz --target NAME --replay FILE\ntargets: {}",
        TARGETS.join(", ")
    );
    ExitCode::from(2)
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--worker") {
        let Some(target) = args.get(1) else {
            return usage();
        };
        return match migrate_fuzz::worker_main(target) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("migrate-fuzz worker: {e}");
                ExitCode::FAILURE
            }
        };
    }

    let mut targets: Vec<String> = Vec::new();
    let mut seconds = 60u64;
    let mut runs: Option<u64> = None;
    let mut seed = 1u64;
    let mut timeout_ms = 2000u64;
    let mut corpus = default_corpus_dir();
    let mut failures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("failures");
    let mut replay: Option<PathBuf> = None;
    let mut it = args.into_iter();
    while let Some(flag) = it.next() {
        let Some(value) = it.next() else {
            return usage();
        };
        let number = || value.parse::<u64>().ok();
        match flag.as_str() {
            "--target" => {
                if !TARGETS.contains(&value.as_str()) {
                    eprintln!("unknown target {value}");
                    return usage();
                }
                targets.push(value);
            }
            "--seconds" => match number() {
                Some(n) => seconds = n,
                None => return usage(),
            },
            "--runs" => match number() {
                Some(n) => runs = Some(n),
                None => return usage(),
            },
            "--seed" => match number() {
                Some(n) => seed = n,
                None => return usage(),
            },
            "--timeout-ms" => match number() {
                Some(n) => timeout_ms = n,
                None => return usage(),
            },
            "--corpus" => corpus = PathBuf::from(value),
            "--failures" => failures = PathBuf::from(value),
            "--replay" => replay = Some(PathBuf::from(value)),
            _ => return usage(),
        }
    }

    if let Some(file) = replay {
        let [target] = &targets[..] else {
            eprintln!("--replay needs exactly one --target");
            return usage();
        };
        let data = match std::fs::read(&file) {
            Ok(data) => data,
            Err(e) => {
                eprintln!("{}: {e}", file.display());
                return ExitCode::FAILURE;
            }
        };
        // In process, with the default panic hook: the message and (with
        // RUST_BACKTRACE=1) the backtrace are printed as usual.
        let signature = migrate_fuzz::targets::run(target, &data);
        println!(
            "{target}: {} ({} bytes) ran without failure (signature {signature:016x})",
            file.display(),
            data.len()
        );
        return ExitCode::SUCCESS;
    }

    if targets.is_empty() {
        targets = TARGETS.iter().map(|t| (*t).to_owned()).collect();
    }
    let program = match std::env::current_exe() {
        Ok(p) => p,
        Err(e) => {
            eprintln!("cannot find this program's path: {e}");
            return ExitCode::FAILURE;
        }
    };
    let per_target = Duration::from_secs(seconds) / targets.len() as u32;
    let mut total_failures = 0;
    let mut total_execs = 0;
    let mut total_time = Duration::ZERO;
    for target in &targets {
        let config = Config {
            program: program.clone(),
            target: target.clone(),
            corpus: corpus.clone(),
            failures: failures.clone(),
            seed,
            timeout: Duration::from_millis(timeout_ms),
            budget: runs.map_or(Budget::Time(per_target), Budget::Execs),
        };
        let stats = match fuzz(&config) {
            Ok(stats) => stats,
            Err(e) => {
                eprintln!("{target}: {e}");
                return ExitCode::FAILURE;
            }
        };
        println!(
            "{:<7} {:>9} execs in {:>7.1} s = {:>8.0} exec/s, pool {:>4}, signatures {:>5}, failures {}",
            target,
            stats.execs,
            stats.elapsed.as_secs_f64(),
            stats.rate(),
            stats.pool,
            stats.signatures,
            stats.failures.len()
        );
        for failure in &stats.failures {
            let what = match &failure.outcome {
                Outcome::Panic(m) => format!("panic: {m}"),
                Outcome::Hang => format!("hang: took more than {timeout_ms} ms"),
                Outcome::Crash(m) => format!("crash: {m}"),
                Outcome::Ok(_) => unreachable!("only failures are recorded"),
            };
            println!("  {what}");
            println!("    input:  {}", failure.path.display());
            println!("    replay: {}", replay_command(target, &failure.path));
        }
        total_failures += stats.failures.len();
        total_execs += stats.execs;
        total_time += stats.elapsed;
    }
    println!(
        "total   {:>9} execs in {:>7.1} s = {:>8.0} exec/s, failures {}",
        total_execs,
        total_time.as_secs_f64(),
        total_execs as f64 / total_time.as_secs_f64().max(1e-9),
        total_failures
    );
    if total_failures > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}
