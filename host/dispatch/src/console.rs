//! Where invocation logs go: START, the guest's output, END and REPORT.
//!
//! [`Console`] prints them to stdout, each line prefixed with the function and the start of the
//! request id, from a thread of its own: a slow terminal or a full pipe never blocks an
//! invocation. When the writer falls behind by more than a bounded backlog, whole invocation
//! logs are dropped and counted, and the count is printed once the writer catches up.
//!
//! Guest output reaches the operator's terminal only through [`terminal_safe`]: control
//! characters are shown escaped, so a function can neither move the cursor nor forge a line of
//! the host's own (`fnhost: ...`).

use std::fmt::Write as _;
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

    /// Returns once every invocation given to [`LogSink::invocation`] so far is kept for good
    /// (a sink that writes later commits now); blocks. The delivery of queued events calls it
    /// before their jobs leave the queue, once for many events.
    fn flush(&self) {}
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

    fn flush(&self) {
        for sink in &self.sinks {
            sink.flush();
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
        push_terminal_safe(&mut out, short);
        out.push_str("] ");
        push_terminal_safe(&mut out, line);
        out.push('\n');
    }
    out
}

/// Whether a terminal would act on `c` instead of showing it: C0 controls but tab (ESC, CR,
/// backspace, ...), DEL, the C1 range (U+0080..U+009F: CSI and friends on some terminals),
/// line and paragraph separators, and the bidirectional overrides and isolates that make text
/// read other than it is stored.
fn acts_on_terminal(c: char) -> bool {
    (c.is_control() && c != '\t')
        || matches!(c, '\u{2028}' | '\u{2029}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
}

/// `line` with every character a terminal would act on written as an escape (`\r`, `\u{1b}`),
/// as Rust's `escape_debug` writes them; everything else, tabs and non-ASCII text included,
/// as is.
pub fn terminal_safe(line: &str) -> std::borrow::Cow<'_, str> {
    if !may_act_on_terminal(line) || !line.chars().any(acts_on_terminal) {
        return std::borrow::Cow::Borrowed(line);
    }
    let mut out = String::with_capacity(line.len() + 16);
    push_terminal_safe(&mut out, line);
    std::borrow::Cow::Owned(out)
}

/// A byte-level first look: only these bytes start a character [`acts_on_terminal`] is true
/// for (C0 and DEL are single bytes, C1 starts with 0xC2, the separators and bidi controls with
/// 0xE2), so most lines, Korean text included, are copied without decoding.
fn may_act_on_terminal(line: &str) -> bool {
    line.bytes()
        .any(|b| (b < 0x20 && b != b'\t') || b == 0x7f || b == 0xc2 || b == 0xe2)
}

fn push_terminal_safe(out: &mut String, line: &str) {
    if !may_act_on_terminal(line) {
        out.push_str(line);
        return;
    }
    let mut rest = line;
    while let Some(at) = rest.find(acts_on_terminal) {
        out.push_str(&rest[..at]);
        let c = rest[at..].chars().next().unwrap_or_default();
        match c {
            '\r' => out.push_str("\\r"),
            '\n' => out.push_str("\\n"),
            _ => {
                let _ = write!(out, "\\u{{{:x}}}", u32::from(c));
            }
        }
        rest = &rest[at + c.len_utf8()..];
    }
    out.push_str(rest);
}

impl LogSink for Console {
    fn invocation(&self, function: &str, invocation: &Invocation) {
        if self.lines.try_send(prefixed(function, invocation)).is_err() {
            self.dropped.fetch_add(1, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use fnhost_runtime::{Outcome, Report, Trigger};

    use super::*;

    fn invocation(log: &str) -> Invocation {
        let request_id = "4ce9340a-b765-490f-ad8a-02ab3415e2bf".to_owned();
        Invocation {
            request_id: request_id.clone(),
            outcome: Outcome::Ok(Vec::new().into()),
            report: Report {
                request_id,
                version: "$LATEST".into(),
                duration: Duration::from_millis(2),
                billed_duration_ms: 2,
                memory_size_mb: 128,
                max_memory_used_mb: 2,
                init_duration: None,
                fuel_consumed: None,
            },
            log: log.as_bytes().to_vec().into(),
            log_dropped: 0,
            detail: None,
            trigger: Trigger::Http,
            lineage: None,
        }
    }

    #[test]
    fn control_characters_are_escaped_and_text_is_kept() {
        assert_eq!(
            terminal_safe("\rfnhost: reloaded `x`\x1b[2K"),
            "\\rfnhost: reloaded `x`\\u{1b}[2K"
        );
        assert_eq!(
            terminal_safe("a\u{8}\u{7f}\u{9b}31m\u{85}b\u{202e}c"),
            "a\\u{8}\\u{7f}\\u{9b}31m\\u{85}b\\u{202e}c"
        );
        // Tabs (REPORT's separator) and non-ASCII text are shown as they are, unchanged.
        let plain = "REPORT\tDuration: 1 ms\t새로운 파일 — ok";
        assert!(matches!(
            terminal_safe(plain),
            std::borrow::Cow::Borrowed(_)
        ));
        assert_eq!(terminal_safe(plain), plain);
    }

    #[test]
    fn a_guest_cannot_forge_a_host_line() {
        let text = prefixed("web", &invocation("ok\n\rfnhost: reloaded `x`\x1b[2K\n"));
        let lines: Vec<&str> = text.lines().collect();
        // START, the two guest lines, END, REPORT: every one carries the prefix.
        assert_eq!(lines.len(), 5, "{text}");
        assert!(
            lines.iter().all(|l| l.starts_with("web[4ce9340a] ")),
            "{text}"
        );
        assert_eq!(lines[1], "web[4ce9340a] ok");
        assert_eq!(lines[2], "web[4ce9340a] \\rfnhost: reloaded `x`\\u{1b}[2K");
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\t' && c != '\n'),
            "{text:?}"
        );
    }
}
