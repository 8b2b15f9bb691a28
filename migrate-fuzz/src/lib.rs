//! A small mutation fuzzer for migrate-core that runs on stable Rust.
//!
//! Inputs run in a worker process (this binary with `--worker TARGET`), one
//! at a time, each under `catch_unwind`. The driver sends an input over the
//! worker's stdin and waits for the verdict with a time bound, so that a
//! panic, a hang (the worker is killed and restarted) and a crash that no
//! `catch_unwind` can stop (stack overflow, abort) are all reported with the
//! input that caused them. Failing inputs are written to a directory; replay
//! one with `migrate-fuzz --target NAME --replay FILE`, which runs it in
//! process with the panic message and backtrace.
//!
//! There is no coverage instrumentation on stable; as a cheap substitute an
//! input is kept for further mutation when the target reports an outcome
//! signature (which errors, how many statements) not seen before.

pub mod mutate;
pub mod targets;

use std::collections::HashSet;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{Receiver, RecvTimeoutError, channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use mutate::{Rng, mutate};

/// The seed corpus committed with the crate.
pub fn default_corpus_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// Reads every file of `dir/<target>`, sorted by name.
pub fn load_corpus(dir: &Path, target: &str) -> std::io::Result<Vec<Vec<u8>>> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(dir.join(target))?
        .map(|e| e.map(|e| e.path()))
        .collect::<Result<_, _>>()?;
    paths.sort();
    paths.into_iter().map(std::fs::read).collect()
}

// ------------------------------------------------------------------ worker --

thread_local! {
    static PANIC_MESSAGE: std::cell::RefCell<String> = const { std::cell::RefCell::new(String::new()) };
}

/// Runs one input under `catch_unwind`: `Ok(signature)` or the panic message.
pub fn run_caught(target: &str, data: &[u8]) -> Result<u64, String> {
    std::panic::catch_unwind(|| targets::run(target, data)).map_err(|payload| {
        let recorded = PANIC_MESSAGE.with(|m| std::mem::take(&mut *m.borrow_mut()));
        if !recorded.is_empty() {
            return recorded;
        }
        payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "panic with a non-string payload".to_owned())
    })
}

/// The worker loop: read `[u32 length][bytes]` from stdin, answer
/// `[u8 status][u64 signature or u32 length + message]` on stdout.
pub fn worker_main(target: &str) -> std::io::Result<()> {
    std::panic::set_hook(Box::new(|info| {
        let location = info
            .location()
            .map(|l| format!(" at {}:{}", l.file(), l.line()))
            .unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        PANIC_MESSAGE.with(|m| *m.borrow_mut() = format!("{message}{location}"));
    }));
    let mut stdin = std::io::stdin().lock();
    let mut stdout = std::io::stdout().lock();
    let mut len = [0u8; 4];
    let mut data = Vec::new();
    loop {
        if stdin.read_exact(&mut len).is_err() {
            return Ok(()); // driver closed the pipe
        }
        data.resize(u32::from_le_bytes(len) as usize, 0);
        stdin.read_exact(&mut data)?;
        match run_caught(target, &data) {
            Ok(signature) => {
                stdout.write_all(&[0])?;
                stdout.write_all(&signature.to_le_bytes())?;
            }
            Err(message) => {
                stdout.write_all(&[1])?;
                stdout.write_all(&(message.len() as u32).to_le_bytes())?;
                stdout.write_all(message.as_bytes())?;
            }
        }
        stdout.flush()?;
    }
}

// ------------------------------------------------------------------ driver --

/// What one input did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// Returned normally with this signature.
    Ok(u64),
    /// Panicked (caught by `catch_unwind`).
    Panic(String),
    /// Took longer than the time bound; the worker was killed.
    Hang,
    /// The worker died (stack overflow, abort, signal).
    Crash(String),
}

enum Reply {
    Ok(u64),
    Panic(String),
    Eof,
}

struct Worker {
    child: Child,
    stdin: ChildStdin,
    replies: Receiver<Reply>,
    stderr: Arc<Mutex<Vec<u8>>>,
}

impl Worker {
    fn spawn(program: &Path, target: &str) -> std::io::Result<Worker> {
        let mut child = Command::new(program)
            .args(["--worker", target])
            .env("RUST_BACKTRACE", "0")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()?;
        let stdin = child.stdin.take().expect("piped stdin");
        let mut stdout = child.stdout.take().expect("piped stdout");
        let mut err_pipe = child.stderr.take().expect("piped stderr");
        let (tx, replies) = channel();
        std::thread::spawn(move || {
            loop {
                let mut status = [0u8; 1];
                if stdout.read_exact(&mut status).is_err() {
                    let _ = tx.send(Reply::Eof);
                    return;
                }
                let reply = if status[0] == 0 {
                    let mut sig = [0u8; 8];
                    if stdout.read_exact(&mut sig).is_err() {
                        let _ = tx.send(Reply::Eof);
                        return;
                    }
                    Reply::Ok(u64::from_le_bytes(sig))
                } else {
                    let mut len = [0u8; 4];
                    let mut message = Vec::new();
                    if stdout.read_exact(&mut len).is_err() {
                        let _ = tx.send(Reply::Eof);
                        return;
                    }
                    message.resize(u32::from_le_bytes(len) as usize, 0);
                    if stdout.read_exact(&mut message).is_err() {
                        let _ = tx.send(Reply::Eof);
                        return;
                    }
                    Reply::Panic(String::from_utf8_lossy(&message).into_owned())
                };
                if tx.send(reply).is_err() {
                    return;
                }
            }
        });
        let stderr = Arc::new(Mutex::new(Vec::new()));
        let sink = Arc::clone(&stderr);
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            while let Ok(n) = err_pipe.read(&mut buf) {
                if n == 0 {
                    return;
                }
                let mut tail = sink.lock().unwrap_or_else(|e| e.into_inner());
                tail.extend_from_slice(&buf[..n]);
                let excess = tail.len().saturating_sub(8192);
                tail.drain(..excess);
            }
        });
        Ok(Worker {
            child,
            stdin,
            replies,
            stderr,
        })
    }

    fn stderr_tail(&self) -> String {
        // Let the reader thread collect the dying worker's last words.
        std::thread::sleep(Duration::from_millis(50));
        let tail = self.stderr.lock().unwrap_or_else(|e| e.into_inner());
        String::from_utf8_lossy(&tail).trim().to_owned()
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs inputs of one target in a worker process with a time bound each.
pub struct Driver {
    program: PathBuf,
    target: String,
    timeout: Duration,
    worker: Option<Worker>,
}

impl Driver {
    /// `program` is this fuzzer's binary (it must accept `--worker TARGET`).
    pub fn new(program: &Path, target: &str, timeout: Duration) -> Driver {
        Driver {
            program: program.to_owned(),
            target: target.to_owned(),
            timeout,
            worker: None,
        }
    }

    /// Runs one input.
    pub fn exec(&mut self, data: &[u8]) -> std::io::Result<Outcome> {
        if self.worker.is_none() {
            self.worker = Some(Worker::spawn(&self.program, &self.target)?);
        }
        let worker = self.worker.as_mut().expect("worker spawned");
        let sent = worker
            .stdin
            .write_all(&(data.len() as u32).to_le_bytes())
            .and_then(|()| worker.stdin.write_all(data))
            .and_then(|()| worker.stdin.flush());
        let reply = if sent.is_err() {
            Ok(Reply::Eof)
        } else {
            worker.replies.recv_timeout(self.timeout)
        };
        match reply {
            Ok(Reply::Ok(sig)) => Ok(Outcome::Ok(sig)),
            Ok(Reply::Panic(message)) => Ok(Outcome::Panic(message)),
            Ok(Reply::Eof) | Err(RecvTimeoutError::Disconnected) => {
                let worker = self.worker.take().expect("worker spawned");
                let tail = worker.stderr_tail();
                worker.kill();
                Ok(Outcome::Crash(if tail.is_empty() {
                    "worker exited without a message".to_owned()
                } else {
                    tail
                }))
            }
            Err(RecvTimeoutError::Timeout) => {
                self.worker.take().expect("worker spawned").kill();
                Ok(Outcome::Hang)
            }
        }
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        if let Some(worker) = self.worker.take() {
            worker.kill();
        }
    }
}

/// A failure found by a run.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The outcome (panic, hang or crash).
    pub outcome: Outcome,
    /// Where the input was written.
    pub path: PathBuf,
}

/// What a run did.
#[derive(Debug, Clone)]
pub struct Stats {
    /// The target.
    pub target: String,
    /// Inputs executed (seeds included).
    pub execs: u64,
    /// Wall time.
    pub elapsed: Duration,
    /// Inputs kept for mutation (seeds plus new signatures).
    pub pool: usize,
    /// Distinct outcome signatures seen.
    pub signatures: usize,
    /// Distinct failures.
    pub failures: Vec<Failure>,
}

impl Stats {
    /// Executions per second.
    pub fn rate(&self) -> f64 {
        self.execs as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// When a run stops.
#[derive(Debug, Clone, Copy)]
pub enum Budget {
    /// After this many mutated inputs.
    Execs(u64),
    /// After this much time.
    Time(Duration),
}

/// Settings of one fuzzing run.
#[derive(Debug, Clone)]
pub struct Config {
    /// The binary that serves `--worker TARGET`.
    pub program: PathBuf,
    /// Target name (see [`targets::TARGETS`]).
    pub target: String,
    /// Seed corpus directory (holding one directory per target).
    pub corpus: PathBuf,
    /// Where failing inputs are written (`<dir>/<target>/…`).
    pub failures: PathBuf,
    /// RNG seed.
    pub seed: u64,
    /// Time bound per input.
    pub timeout: Duration,
    /// When to stop.
    pub budget: Budget,
}

const POOL_LIMIT: usize = 4096;

fn fnv(data: &[u8]) -> u64 {
    data.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Fuzzes one target: every seed once, then mutated inputs until the budget
/// is spent. Failures are saved and returned, not raised.
pub fn fuzz(config: &Config) -> std::io::Result<Stats> {
    let seeds = load_corpus(&config.corpus, &config.target)?;
    if seeds.is_empty() {
        return Err(std::io::Error::other(format!(
            "no seed inputs in {}",
            config.corpus.join(&config.target).display()
        )));
    }
    let mut driver = Driver::new(&config.program, &config.target, config.timeout);
    let mut rng = Rng::new(config.seed ^ fnv(config.target.as_bytes()));
    let mut pool: Vec<Vec<u8>> = Vec::new();
    let mut signatures = HashSet::new();
    let mut failures: Vec<Failure> = Vec::new();
    let mut seen_failures = HashSet::new();
    let started = Instant::now();
    let mut execs = 0u64;

    let mut record =
        |data: &[u8], outcome: Outcome, failures: &mut Vec<Failure>| -> std::io::Result<()> {
            let kind = match &outcome {
                Outcome::Ok(_) => return Ok(()),
                Outcome::Panic(m) => format!("panic {}", m.lines().next().unwrap_or("")),
                Outcome::Hang => "hang".to_owned(),
                Outcome::Crash(m) => format!("crash {}", m.lines().last().unwrap_or("")),
            };
            // One file per distinct message; a hang is kept once per target.
            if !seen_failures.insert(kind.clone()) {
                return Ok(());
            }
            let dir = config.failures.join(&config.target);
            std::fs::create_dir_all(&dir)?;
            let prefix = kind.split(' ').next().unwrap_or("failure");
            let path = dir.join(format!("{prefix}-{:016x}.bin", fnv(data)));
            std::fs::write(&path, data)?;
            failures.push(Failure { outcome, path });
            Ok(())
        };

    for seed in &seeds {
        let outcome = driver.exec(seed)?;
        execs += 1;
        if let Outcome::Ok(sig) = outcome {
            signatures.insert(sig);
        } else {
            record(seed, outcome, &mut failures)?;
        }
        pool.push(seed.clone());
    }

    let mut input = Vec::new();
    let mut mutated = 0u64;
    loop {
        match config.budget {
            Budget::Execs(n) if mutated >= n => break,
            Budget::Time(t) if started.elapsed() >= t => break,
            _ => {}
        }
        input.clear();
        input.extend_from_slice(&pool[rng.below(pool.len())]);
        let other = pool[rng.below(pool.len())].clone();
        mutate(&mut rng, &mut input, &other);
        let outcome = driver.exec(&input)?;
        execs += 1;
        mutated += 1;
        match outcome {
            Outcome::Ok(sig) => {
                if signatures.insert(sig) {
                    if pool.len() >= POOL_LIMIT {
                        let victim = seeds.len() + rng.below(pool.len() - seeds.len());
                        pool[victim] = input.clone();
                    } else {
                        pool.push(input.clone());
                    }
                }
            }
            other => record(&input, other, &mut failures)?,
        }
    }
    Ok(Stats {
        target: config.target.clone(),
        execs,
        elapsed: started.elapsed(),
        pool: pool.len(),
        signatures: signatures.len(),
        failures,
    })
}

/// How to replay a saved failure.
pub fn replay_command(target: &str, path: &Path) -> String {
    format!(
        "cargo run -p migrate-fuzz -- --target {target} --replay {}",
        path.display()
    )
}
