//! One line per revision as it completes, and a progress line on a terminal.
//!
//! The runtime reports each finished revision as a `tracing` event with the
//! fields `revision` and `duration_ms` (its logging contract, see STYLE.md)
//! and returns the whole [`Report`](migrate_runtime::Report) at the end. To
//! print lines while a long run goes on, under the runtime's single lock and
//! transaction, the run is polled with a scoped subscriber that turns those
//! events into lines and forwards every event to whatever subscriber was in
//! place (the application's, when mounted with `run_embedded`).

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use tracing::field::{Field, Visit};
use tracing::instrument::WithSubscriber;
use tracing::{Dispatch, Event, Subscriber};
use tracing_subscriber::layer::{Context, Layer, SubscriberExt};

use crate::output::Ui;

/// Which way the run goes, for the wording of the lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Verb {
    Upgrade,
    Downgrade,
}

impl Verb {
    fn done(self) -> &'static str {
        match self {
            Verb::Upgrade => "Applied",
            Verb::Downgrade => "Reverted",
        }
    }

    fn running(self) -> &'static str {
        match self {
            Verb::Upgrade => "upgrading",
            Verb::Downgrade => "downgrading",
        }
    }
}

/// State shared between the event hook, the ticker and the caller.
struct Shared {
    ui: Arc<Ui>,
    verb: Verb,
    messages: HashMap<String, Option<String>>,
    plan: Option<Vec<String>>,
    done: AtomicUsize,
    printed: Mutex<HashSet<String>>,
    progress_visible: AtomicBool,
    stdout_closed: AtomicBool,
    started: Instant,
}

impl Shared {
    fn line_for(&self, revision: &str, duration: Option<i64>) -> String {
        let mut line = format!("{} {}", self.verb.done(), self.ui.out.id(revision));
        if let Some(Some(message)) = self.messages.get(revision) {
            line.push(' ');
            line.push_str(message);
        }
        if let Some(ms) = duration {
            line.push_str(&format!(" ({ms} ms)"));
        }
        line
    }

    fn print(&self, revision: &str, duration: Option<i64>) {
        if !self
            .printed
            .lock()
            .map(|mut p| p.insert(revision.to_owned()))
            .unwrap_or(true)
        {
            return;
        }
        self.done.fetch_add(1, Ordering::Relaxed);
        self.clear_progress();
        // A closed stdout must not stop a migration half-way: remember it
        // and end quietly afterwards.
        if self.ui.line(self.line_for(revision, duration)).is_err() {
            self.stdout_closed.store(true, Ordering::Relaxed);
        }
    }

    fn clear_progress(&self) {
        if self.progress_visible.swap(false, Ordering::Relaxed) {
            let mut err = std::io::stderr().lock();
            let _ = err.write_all(b"\r\x1b[2K");
            let _ = err.flush();
        }
    }

    fn draw_progress(&self) {
        let Some(plan) = &self.plan else { return };
        let n = self.done.load(Ordering::Relaxed);
        let Some(next) = plan.get(n) else { return };
        let message = self
            .messages
            .get(next)
            .and_then(|m| m.as_deref())
            .unwrap_or("");
        let line = format!(
            "[{}/{}] {} {next} {message} ({:.1} s)",
            n + 1,
            plan.len(),
            self.verb.running(),
            self.started.elapsed().as_secs_f64()
        );
        let mut err = std::io::stderr().lock();
        let _ = write!(err, "\r\x1b[2K{}", self.ui.safe_err(&line));
        let _ = err.flush();
        self.progress_visible.store(true, Ordering::Relaxed);
    }
}

/// Turns the runtime's "revision done" events into lines.
struct Hook(Arc<Shared>);

#[derive(Default)]
struct Fields {
    revision: Option<String>,
    duration_ms: Option<i64>,
}

impl Visit for Fields {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "revision" {
            self.revision = Some(value.to_owned());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if field.name() == "duration_ms" {
            self.duration_ms = Some(value);
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if field.name() == "duration_ms" {
            self.duration_ms = Some(i64::try_from(value).unwrap_or(i64::MAX));
        }
    }

    fn record_debug(&mut self, _field: &Field, _value: &dyn std::fmt::Debug) {}
}

impl<S: Subscriber> Layer<S> for Hook {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if !event.metadata().target().starts_with("migrate_runtime") {
            return;
        }
        let mut fields = Fields::default();
        event.record(&mut fields);
        if let (Some(revision), Some(ms)) = (fields.revision, fields.duration_ms) {
            self.0.print(&revision, Some(ms));
        }
    }
}

/// Hands every event on to the subscriber that was in place before.
struct Forward(Dispatch);

impl<S: Subscriber> Layer<S> for Forward {
    fn on_event(&self, event: &Event<'_>, _ctx: Context<'_, S>) {
        if self.0.enabled(event.metadata()) {
            self.0.event(event);
        }
    }
}

/// What a run printed.
pub(crate) struct Printed {
    shared: Arc<Shared>,
}

impl Printed {
    /// Prints the revisions of the final report that no event announced
    /// (without a duration), so every revision gets its line.
    pub fn finish(&self, revisions: &[String]) {
        for r in revisions {
            self.shared.print(r, None);
        }
    }

    /// Did stdout go away during the run?
    pub fn stdout_closed(&self) -> bool {
        self.shared.stdout_closed.load(Ordering::Relaxed)
    }
}

/// Runs `run` while printing a line per finished revision, and on a terminal
/// a progress line (revision n of N, elapsed) on stderr. `plan` is the
/// expected order, when known, for the progress line.
pub(crate) async fn run<F: Future>(
    ui: &Arc<Ui>,
    verb: Verb,
    messages: HashMap<String, Option<String>>,
    plan: Option<Vec<String>>,
    run: F,
) -> (F::Output, Printed) {
    let shared = Arc::new(Shared {
        ui: ui.clone(),
        verb,
        messages,
        plan,
        done: AtomicUsize::new(0),
        printed: Mutex::new(HashSet::new()),
        progress_visible: AtomicBool::new(false),
        stdout_closed: AtomicBool::new(false),
        started: Instant::now(),
    });
    let previous = tracing::dispatcher::get_default(Dispatch::clone);
    let subscriber = tracing_subscriber::registry()
        .with(Hook(shared.clone()))
        .with(Forward(previous));
    let run = run.with_subscriber(Dispatch::new(subscriber));

    let show_progress = ui.err_is_terminal && shared.plan.as_ref().is_some_and(|p| !p.is_empty());
    let output = if show_progress {
        tokio::pin!(run);
        // Short runs finish before the first tick and never draw.
        let mut ticker = tokio::time::interval_at(
            tokio::time::Instant::now() + Duration::from_millis(300),
            Duration::from_millis(200),
        );
        loop {
            tokio::select! {
                output = &mut run => break output,
                _ = ticker.tick() => shared.draw_progress(),
            }
        }
    } else {
        run.await
    };
    shared.clear_progress();
    (output, Printed { shared })
}
