//! Where invocation logs go: START, the guest's output, END and REPORT.
//!
//! [`Console`] prints them to stdout, each line prefixed with the function and the start of the
//! request id, from a thread of its own: a slow terminal or a full pipe never blocks an
//! invocation. When the writer falls behind by more than a bounded backlog, whole invocation
//! logs are dropped and counted, and the count is printed once the writer catches up.

use std::io::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, mpsc};

use fnhost_runtime::Invocation;

/// Receives every finished invocation's log, and the dispatcher's other events for metrics.
///
/// `function` is the registry key: the function name, or `name:version` for a published
/// version of an uploaded function.
pub trait LogSink: Send + Sync + 'static {
    /// Called once per invocation, after it ended.
    fn invocation(&self, function: &str, invocation: &Invocation);

    /// Called when an invocation was refused by the concurrency limits (it never ran).
    fn throttled(&self, function: &str) {
        let _ = function;
    }

    /// Called when an admitted invocation starts running.
    fn started(&self, function: &str) {
        let _ = function;
    }

    /// Called once for every [`LogSink::started`], however the invocation ended (also when
    /// the runtime refused the event or the caller went away mid-run).
    fn stopped(&self, function: &str) {
        let _ = function;
    }
}

/// Hands every event to several sinks, in order (e.g. the console, metrics and the log store).
pub struct Tee {
    sinks: Vec<std::sync::Arc<dyn LogSink>>,
}

impl Tee {
    /// A sink that forwards to each of `sinks`.
    pub fn new(sinks: Vec<std::sync::Arc<dyn LogSink>>) -> Self {
        Self { sinks }
    }
}

impl std::fmt::Debug for Tee {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tee")
            .field("sinks", &self.sinks.len())
            .finish()
    }
}

impl LogSink for Tee {
    fn invocation(&self, function: &str, invocation: &Invocation) {
        for sink in &self.sinks {
            sink.invocation(function, invocation);
        }
    }

    fn throttled(&self, function: &str) {
        for sink in &self.sinks {
            sink.throttled(function);
        }
    }

    fn started(&self, function: &str) {
        for sink in &self.sinks {
            sink.started(function);
        }
    }

    fn stopped(&self, function: &str) {
        for sink in &self.sinks {
            sink.stopped(function);
        }
    }
}

/// Discards logs (`fnhost up -q`).
#[derive(Debug, Default, Clone, Copy)]
pub struct NoLogs;

impl LogSink for NoLogs {
    fn invocation(&self, _: &str, _: &Invocation) {}
}

/// Prints logs to stdout from a background thread.
#[derive(Debug)]
pub struct Console {
    lines: mpsc::SyncSender<String>,
    dropped: Arc<AtomicU64>,
}

/// Invocation logs that may wait for the writer thread.
const BACKLOG: usize = 4096;

impl Console {
    /// Start the writer thread.
    pub fn stdout() -> Self {
        let (lines, rx) = mpsc::sync_channel::<String>(BACKLOG);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        let spawned = std::thread::Builder::new()
            .name("fnhost-console".into())
            .spawn(move || {
                for text in rx {
                    let mut out = std::io::stdout().lock();
                    let lost = counter.swap(0, Ordering::AcqRel);
                    if lost > 0 {
                        let _ = writeln!(
                            out,
                            "fnhost: {lost} invocation logs dropped (console too slow)"
                        );
                    }
                    let _ = out.write_all(text.as_bytes());
                    let _ = out.flush();
                }
            });
        if let Err(err) = spawned {
            tracing::warn!(%err, "cannot start the console thread; invocation logs will not be printed");
        }
        Self { lines, dropped }
    }
}

/// The invocation's log with every line prefixed by `function` and the request id's first
/// eight characters.
pub fn prefixed(function: &str, invocation: &Invocation) -> String {
    let short = invocation
        .request_id
        .get(..8)
        .unwrap_or(&invocation.request_id);
    let text = invocation.log_text();
    let mut out = String::with_capacity(text.len() + 24 * text.lines().count().max(1));
    for line in text.lines() {
        out.push_str(function);
        out.push('[');
        out.push_str(short);
        out.push_str("] ");
        out.push_str(line);
        out.push('\n');
    }
    out
}

impl LogSink for Console {
    fn invocation(&self, function: &str, invocation: &Invocation) {
        if self.lines.try_send(prefixed(function, invocation)).is_err() {
            self.dropped.fetch_add(1, Ordering::AcqRel);
        }
    }
}
