//! Runs the real `example-app` binary: as a server on a free port, or for
//! one command (`migrate …`, a start that must fail). Every output is kept
//! in a transcript, so a test can check that no password was ever printed.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::mpsc;
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::http::Client;

const BIN: &str = env!("CARGO_BIN_EXE_example-app");

/// How long a start or a command may take before the test fails.
const TIMEOUT: Duration = Duration::from_secs(60);

/// Variables of the test's own environment that would change what the
/// binary connects to or prints.
const SCRUBBED: [&str; 12] = [
    "DATABASE_URL",
    "POSTGRES_USER",
    "POSTGRES_PASSWORD",
    "POSTGRES_HOST",
    "POSTGRES_PORT",
    "POSTGRES_DB",
    "PORT",
    "HOST",
    "RUST_LOG",
    "MIGRATE_LOG",
    "HTTP_HEADER_TIMEOUT",
    "HTTP_REQUEST_TIMEOUT",
];

/// Where and how the binary runs: a working directory (where `.env` and the
/// default `example-app.db` live) and extra variables.
pub struct App {
    pub dir: PathBuf,
    env: Vec<(String, String)>,
    transcript: String,
}

/// What a finished process left.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Output {
    #[track_caller]
    pub fn expect_success(&self) -> &Self {
        assert!(
            self.status.success(),
            "exit {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.status.code(),
            self.stdout,
            self.stderr
        );
        self
    }
}

/// A running server.
pub struct Server {
    child: Child,
    pub client: Client,
    /// The `listening on` line and anything printed after it.
    stdout: mpsc::Receiver<String>,
    stdout_reader: Option<JoinHandle<()>>,
    stderr_reader: Option<JoinHandle<String>>,
}

impl App {
    pub fn new(dir: &Path) -> App {
        App {
            dir: dir.to_owned(),
            env: Vec::new(),
            transcript: String::new(),
        }
    }

    pub fn env(mut self, key: &str, value: &str) -> App {
        self.env.push((key.to_owned(), value.to_owned()));
        self
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.args(args)
            .current_dir(&self.dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .env("NO_COLOR", "1");
        for key in SCRUBBED {
            cmd.env_remove(key);
        }
        for (key, value) in &self.env {
            cmd.env(key, value);
        }
        cmd
    }

    fn record(&mut self, args: &[&str], stdout: &str, stderr: &str) {
        self.transcript.push_str(&format!(
            "$ example-app {}\n{stdout}{stderr}\n",
            args.join(" ")
        ));
    }

    /// Starts `example-app <args>` and waits for its `listening on` line.
    /// Panics with the process's output when it exits first.
    pub fn start(&mut self, args: &[&str]) -> Server {
        let mut child = self
            .command(args)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        let stderr_reader = drain(child.stderr.take().unwrap());
        let (lines, stdout) = mpsc::channel();
        let out = child.stdout.take().unwrap();
        let stdout_reader = std::thread::spawn(move || {
            for line in BufReader::new(out).lines() {
                let Ok(line) = line else { break };
                if lines.send(line).is_err() {
                    break;
                }
            }
        });
        let first = stdout.recv_timeout(TIMEOUT);
        let addr = first.as_deref().ok().and_then(|line| {
            line.strip_prefix("listening on http://")?
                .parse::<SocketAddr>()
                .ok()
        });
        let Some(addr) = addr else {
            let _ = child.kill();
            let _ = child.wait();
            let stderr = stderr_reader.join().unwrap_or_default();
            self.record(args, &format!("{first:?}\n"), &stderr);
            panic!(
                "example-app {} did not print `listening on http://…` (first stdout line: {first:?})\n--- stderr\n{stderr}",
                args.join(" ")
            );
        };
        Server {
            child,
            client: Client { addr },
            stdout,
            stdout_reader: Some(stdout_reader),
            stderr_reader: Some(stderr_reader),
        }
    }

    /// Stops the server with SIGTERM (a graceful shutdown, which must exit
    /// 0) and returns what it printed.
    pub fn stop(&mut self, mut server: Server) -> Output {
        let pid = server.child.id().to_string();
        // The shell's builtin `kill`: no extra crate, no procps needed.
        let sent = Command::new("sh")
            .args(["-c", "kill -TERM \"$0\"", &pid])
            .status()
            .is_ok_and(|s| s.success());
        assert!(sent, "could not send SIGTERM to {pid}");
        let status = wait(&mut server.child, "the server to stop after SIGTERM");
        if let Some(reader) = server.stdout_reader.take() {
            let _ = reader.join();
        }
        let stdout: Vec<String> = server.stdout.try_iter().collect();
        let stdout = stdout.join("\n");
        let stderr = server
            .stderr_reader
            .take()
            .and_then(|reader| reader.join().ok())
            .unwrap_or_default();
        self.record(&["(server)"], &stdout, &stderr);
        Output {
            status,
            stdout,
            stderr,
        }
    }

    /// Starts `example-app <args>` and sends it SIGTERM the moment its
    /// `listening on` line is read: the `kill` runs in a shell started
    /// beforehand and waiting on its stdin, so no process start lies between
    /// the line and the signal. Returns what the server printed.
    pub fn start_and_terminate_at_once(&mut self, args: &[&str]) -> Output {
        let mut child = self
            .command(args)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        let pid = child.id().to_string();
        let mut killer = Command::new("sh")
            .args(["-c", "read _ && kill -TERM \"$0\"", &pid])
            .stdin(Stdio::piped())
            .spawn()
            .expect("cannot run sh");
        let stderr_reader = drain(child.stderr.take().unwrap());
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut first = String::new();
        let _ = stdout.read_line(&mut first);
        let sent = first.starts_with("listening on http://")
            && killer
                .stdin
                .take()
                .is_some_and(|mut stdin| stdin.write_all(b"go\n").is_ok())
            && killer.wait().is_ok_and(|s| s.success());
        let _ = killer.kill();
        let _ = killer.wait();
        if !sent {
            let _ = child.kill();
        }
        let mut rest = String::new();
        let _ = stdout.read_to_string(&mut rest);
        let status = wait(&mut child, "the server to stop after SIGTERM");
        let stderr = stderr_reader.join().unwrap_or_default();
        let stdout = first + &rest;
        self.record(args, &stdout, &stderr);
        assert!(
            sent,
            "no `listening on` line, or SIGTERM not sent:\n{stdout}{stderr}"
        );
        Output {
            status,
            stdout,
            stderr,
        }
    }

    /// Runs `example-app <args>` to its end.
    pub fn run(&mut self, args: &[&str]) -> Output {
        let mut child = self
            .command(args)
            .spawn()
            .unwrap_or_else(|e| panic!("cannot run {BIN}: {e}"));
        let stdout_reader = drain(child.stdout.take().unwrap());
        let stderr_reader = drain(child.stderr.take().unwrap());
        let status = wait(&mut child, &format!("example-app {}", args.join(" ")));
        let stdout = stdout_reader.join().unwrap_or_default();
        let stderr = stderr_reader.join().unwrap_or_default();
        self.record(args, &stdout, &stderr);
        Output {
            status,
            stdout,
            stderr,
        }
    }

    /// `example-app migrate <args>`, which must succeed.
    #[track_caller]
    pub fn migrate(&mut self, args: &[&str]) -> Output {
        let mut all = vec!["migrate"];
        all.extend_from_slice(args);
        let output = self.run(&all);
        output.expect_success();
        output
    }

    /// Asserts that no output so far contains `secret`.
    #[track_caller]
    pub fn assert_never_printed(&self, secret: &str) {
        assert!(!secret.is_empty());
        assert!(
            !self.transcript.contains(secret),
            "the password was printed:\n{}",
            self.transcript
        );
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        // A test that panicked mid-way leaves no server behind.
        if matches!(self.child.try_wait(), Ok(None)) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

fn drain(mut reader: impl Read + Send + 'static) -> JoinHandle<String> {
    std::thread::spawn(move || {
        let mut bytes = Vec::new();
        let _ = reader.read_to_end(&mut bytes);
        String::from_utf8_lossy(&bytes).into_owned()
    })
}

fn wait(child: &mut Child, what: &str) -> ExitStatus {
    let started = Instant::now();
    loop {
        if let Some(status) = child.try_wait().expect("waiting for a child process") {
            return status;
        }
        if started.elapsed() > TIMEOUT {
            let _ = child.kill();
            let _ = child.wait();
            panic!("timed out after {TIMEOUT:?} waiting for {what}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
