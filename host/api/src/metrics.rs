//! Prometheus metrics, fed by the dispatcher as a [`LogSink`] and rendered in the text
//! exposition format (version 0.0.4) for `GET /metrics`.
//!
//! Per function (label `function`, the name without a version): invocations (also by
//! `trigger`), errors by `error_type`, throttles, a duration histogram, invocations running now, GB-seconds (billed
//! seconds × configured GB, Lambda's billing unit) and fuel. The event queue's depth and the
//! dead letters are read from the store at scrape time and handed to [`Metrics::render`], with
//! the runtime's outbound HTTP counters (`function`, `host`, `outcome`). Every sample of a
//! host with a node name ([`Metrics::with_node`]) also carries `node`, so that the nodes of a
//! cluster scraped by one Prometheus stay apart.
//!
//! `error_type` is what a function reports, so its values are bounded: Lambda's own types
//! ([`LAMBDA_ERROR_TYPES`]) always keep their names, the first
//! [`MAX_ERROR_TYPES_PER_FUNCTION`] other types a function reports keep theirs, and every later
//! one is counted as [`OTHER_ERROR_TYPE`]. (The runtime already cuts a type to
//! `MAX_ERROR_TYPE_BYTES`.)

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::Mutex;

use fnhost_dispatch::LogSink;
use fnhost_runtime::{Invocation, LAMBDA_ERROR_TYPES, OutboundOutcome, Trigger};

/// Error types of its own a function keeps as `error_type` labels, besides Lambda's.
pub const MAX_ERROR_TYPES_PER_FUNCTION: usize = 20;

/// The `error_type` label of the error types past [`MAX_ERROR_TYPES_PER_FUNCTION`].
pub const OTHER_ERROR_TYPE: &str = "Function.Other";

/// Upper bounds of the duration histogram, in seconds (Lambda's timeouts run to 900 s).
pub const DURATION_BUCKETS: [f64; 16] = [
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

#[derive(Debug, Default, Clone)]
struct Stats {
    invocations: u64,
    by_trigger: BTreeMap<Trigger, u64>,
    errors: BTreeMap<String, u64>,
    /// Keys of `errors` that are the function's own types (not Lambda's, not the fold).
    own_error_types: usize,
    throttles: u64,
    buckets: [u64; DURATION_BUCKETS.len()],
    duration_sum: f64,
    gb_seconds: f64,
    fuel: u64,
    running: i64,
    /// Most running at once since the last [`Metrics::sample`].
    peak: i64,
    /// `throttles` at the last [`Metrics::sample`].
    sampled_throttles: u64,
}

impl Stats {
    /// One more error of `error_type`, under its own label while the function has room for it.
    fn count_error(&mut self, error_type: &str) {
        if let Some(n) = self.errors.get_mut(error_type) {
            *n += 1;
            return;
        }
        let lambdas = error_type == OTHER_ERROR_TYPE || LAMBDA_ERROR_TYPES.contains(&error_type);
        let label = if lambdas {
            error_type
        } else if self.own_error_types < MAX_ERROR_TYPES_PER_FUNCTION {
            self.own_error_types += 1;
            error_type
        } else {
            OTHER_ERROR_TYPE
        };
        *self.errors.entry(label.to_owned()).or_default() += 1;
    }
}

/// What the store says at scrape time.
#[derive(Debug, Default, Clone)]
pub struct StoreGauges {
    /// Queued or running async events per function.
    pub queue_depth: Vec<(String, u64)>,
    /// Events that failed every attempt, in all.
    pub dead_letters: u64,
    /// Invocation records the recorder had to drop.
    pub records_dropped: u64,
    /// Outbound HTTP requests by (function, host, outcome), from the runtime.
    pub outbound: Vec<(String, String, OutboundOutcome, u64)>,
}

/// The counters; share it in an `Arc` as a sink and for rendering.
/// What [`Metrics::sample`] saw of one function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSample {
    /// The function's name.
    pub function: String,
    /// Invocations refused by the concurrency limits since the previous sample.
    pub throttles: u64,
    /// Most invocations running at once since the previous sample.
    pub peak_concurrency: u32,
}

#[derive(Debug, Default)]
pub struct Metrics {
    functions: Mutex<BTreeMap<String, Stats>>,
    /// The `node` label of every sample, when set.
    node: Option<String>,
}

/// `name` of a registry key `name` or `name:version`.
fn function_name(key: &str) -> &str {
    key.split(':').next().unwrap_or(key)
}

impl Metrics {
    /// Empty counters.
    pub fn new() -> Self {
        Self::default()
    }

    /// Label every sample `node="<node>"` (the name of this host in a cluster).
    pub fn with_node(mut self, node: impl Into<String>) -> Self {
        self.node = Some(node.into());
        self
    }

    fn with(&self, key: &str, update: impl FnOnce(&mut Stats)) {
        let mut functions = match self.functions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let name = function_name(key);
        match functions.get_mut(name) {
            Some(stats) => update(stats),
            None => update(functions.entry(name.to_owned()).or_default()),
        }
    }

    /// Per function with activity since the previous call: the throttles since then and the
    /// most invocations running at once since then (the console's per-minute samples).
    pub fn sample(&self) -> Vec<FunctionSample> {
        let mut functions = match self.functions.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let mut samples = Vec::new();
        for (name, stats) in functions.iter_mut() {
            let throttles = stats.throttles - stats.sampled_throttles;
            let peak = u32::try_from(stats.peak.max(0)).unwrap_or(u32::MAX);
            if throttles > 0 || peak > 0 {
                samples.push(FunctionSample {
                    function: name.clone(),
                    throttles,
                    peak_concurrency: peak,
                });
            }
            stats.sampled_throttles = stats.throttles;
            stats.peak = stats.running;
        }
        samples
    }

    /// The exposition text: the per-function families, the duration histogram, then what the
    /// store says.
    pub fn render(&self, store: &StoreGauges) -> String {
        let functions = match self.functions.lock() {
            Ok(guard) => guard.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        };
        let mut out = String::with_capacity(4096);
        for (name, kind, help, value) in PER_FUNCTION {
            family(&mut out, name, kind, help);
            for (f, s) in &functions {
                let _ = writeln!(out, "{name}{{function=\"{}\"}} {}", escape(f), value(s));
            }
        }
        render_by_label(&mut out, &functions);
        render_durations(&mut out, &functions);
        render_store(&mut out, store);
        match &self.node {
            Some(node) => with_label(&out, "node", node),
            None => out,
        }
    }
}

/// `text` with `name="value"` first among the labels of every sample line (what Prometheus
/// clients call a constant label), added in one place so that no family can miss it.
fn with_label(text: &str, name: &str, value: &str) -> String {
    let label = format!("{name}=\"{}\"", escape(value));
    let mut out = String::with_capacity(text.len() + text.lines().count() * (label.len() + 3));
    for line in text.lines() {
        if line.starts_with('#') || line.is_empty() {
            out.push_str(line);
        } else {
            // A metric name holds neither `{` nor a space: the first of them ends it.
            let end = line.find(['{', ' ']).unwrap_or(line.len());
            let (metric, rest) = line.split_at(end);
            match rest.strip_prefix('{') {
                Some(labels) if labels.starts_with('}') => {
                    let _ = write!(out, "{metric}{{{label}{labels}");
                }
                Some(labels) => {
                    let _ = write!(out, "{metric}{{{label},{labels}");
                }
                None => {
                    let _ = write!(out, "{metric}{{{label}}}{rest}");
                }
            }
        }
        out.push('\n');
    }
    out
}

/// A family's `# HELP` and `# TYPE` lines.
fn family(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}\n# TYPE {name} {kind}");
}

/// The families with one sample per function: name, type, help, and the sample's value.
type PerFunction = (
    &'static str,
    &'static str,
    &'static str,
    fn(&Stats) -> String,
);
const PER_FUNCTION: [PerFunction; 5] = [
    (
        "fnhost_invocations_total",
        "counter",
        "Invocations that ran, by function (errors included, throttles not).",
        |s| s.invocations.to_string(),
    ),
    (
        "fnhost_throttles_total",
        "counter",
        "Invocations refused by the concurrency limits.",
        |s| s.throttles.to_string(),
    ),
    (
        "fnhost_concurrent_executions",
        "gauge",
        "Invocations running now.",
        |s| s.running.max(0).to_string(),
    ),
    (
        "fnhost_gb_seconds_total",
        "counter",
        "Billed GB-seconds: billed duration in seconds times configured memory in GB.",
        |s| s.gb_seconds.to_string(),
    ),
    (
        "fnhost_fuel_consumed_total",
        "counter",
        "Fuel consumed by metered invocations.",
        |s| s.fuel.to_string(),
    ),
];

/// The families with a second label: invocations by trigger, errors by Lambda error type.
fn render_by_label(out: &mut String, functions: &BTreeMap<String, Stats>) {
    family(
        out,
        "fnhost_trigger_invocations_total",
        "counter",
        "Invocations that ran, by function and by what delivered the event (http, s3, schedule, \
         api, api-event, cli).",
    );
    for (f, s) in functions {
        for (trigger, n) in &s.by_trigger {
            let _ = writeln!(
                out,
                "fnhost_trigger_invocations_total{{function=\"{}\",trigger=\"{trigger}\"}} {n}",
                escape(f)
            );
        }
    }
    family(
        out,
        "fnhost_errors_total",
        "counter",
        "Invocations that ended in an error, by function and Lambda error type.",
    );
    for (f, s) in functions {
        for (error_type, n) in &s.errors {
            let _ = writeln!(
                out,
                "fnhost_errors_total{{function=\"{}\",error_type=\"{}\"}} {n}",
                escape(f),
                escape(error_type)
            );
        }
    }
}

/// The duration histogram: cumulative buckets, `+Inf`, sum and count per function.
fn render_durations(out: &mut String, functions: &BTreeMap<String, Stats>) {
    family(
        out,
        "fnhost_duration_seconds",
        "histogram",
        "Invocation duration (Lambda's Duration).",
    );
    for (f, s) in functions {
        let f = escape(f);
        let mut cumulative = 0;
        for (bound, n) in DURATION_BUCKETS.iter().zip(s.buckets) {
            cumulative += n;
            let _ = writeln!(
                out,
                "fnhost_duration_seconds_bucket{{function=\"{f}\",le=\"{}\"}} {cumulative}",
                le(*bound)
            );
        }
        let _ = writeln!(
            out,
            "fnhost_duration_seconds_bucket{{function=\"{f}\",le=\"+Inf\"}} {}\n\
             fnhost_duration_seconds_sum{{function=\"{f}\"}} {}\n\
             fnhost_duration_seconds_count{{function=\"{f}\"}} {}",
            s.invocations, s.duration_sum, s.invocations
        );
    }
}

/// What the store says at scrape time: queue depth, dead letters, dropped records.
fn render_store(out: &mut String, store: &StoreGauges) {
    family(
        out,
        "fnhost_queue_depth",
        "gauge",
        "Asynchronous events queued or running, by function.",
    );
    for (f, n) in &store.queue_depth {
        let _ = writeln!(out, "fnhost_queue_depth{{function=\"{}\"}} {n}", escape(f));
    }
    family(
        out,
        "fnhost_dead_letters",
        "gauge",
        "Asynchronous events that failed every attempt and wait in the dead-letter store.",
    );
    let _ = writeln!(out, "fnhost_dead_letters {}", store.dead_letters);
    family(
        out,
        "fnhost_invocation_records_dropped_total",
        "counter",
        "Invocation records not written to the store because it fell behind.",
    );
    let _ = writeln!(
        out,
        "fnhost_invocation_records_dropped_total {}",
        store.records_dropped
    );
    family(
        out,
        "fnhost_outbound_requests_total",
        "counter",
        "Outbound HTTP requests by function, host and outcome (ok, denied, blocked, limited, timeout, too_large, error).",
    );
    for (f, host, outcome, n) in &store.outbound {
        let _ = writeln!(
            out,
            "fnhost_outbound_requests_total{{function=\"{}\",host=\"{}\",outcome=\"{}\"}} {n}",
            escape(f),
            escape(host),
            outcome.as_str()
        );
    }
}

/// A bucket bound as Prometheus clients write it (`1.0`, `0.005`).
fn le(bound: f64) -> String {
    if bound.fract() == 0.0 {
        format!("{bound:.1}")
    } else {
        bound.to_string()
    }
}

/// Label values: backslash, double quote and newline escaped.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

impl LogSink for Metrics {
    fn invocation(&self, function: &str, invocation: &Invocation) {
        let report = &invocation.report;
        let seconds = report.duration.as_secs_f64();
        let gb_seconds =
            report.billed_duration_ms as f64 / 1000.0 * f64::from(report.memory_size_mb) / 1024.0;
        let error_type = invocation.outcome.error_type();
        self.with(function, |s| {
            s.invocations += 1;
            *s.by_trigger.entry(invocation.trigger).or_default() += 1;
            if let Some(error_type) = error_type {
                s.count_error(error_type);
            }
            if let Some(slot) = DURATION_BUCKETS.iter().position(|b| seconds <= *b) {
                s.buckets[slot] += 1;
            }
            s.duration_sum += seconds;
            s.gb_seconds += gb_seconds;
            s.fuel += report.fuel_consumed.unwrap_or(0);
        });
    }

    fn throttled(&self, function: &str) {
        self.with(function, |s| s.throttles += 1);
    }

    fn started(&self, function: &str) {
        self.with(function, |s| {
            s.running += 1;
            s.peak = s.peak.max(s.running);
        });
    }

    fn stopped(&self, function: &str) {
        self.with(function, |s| s.running -= 1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_carry_throttles_and_peaks_since_the_last_one() {
        let m = Metrics::new();
        m.started("f");
        m.started("f:2");
        m.stopped("f");
        m.throttled("f");
        m.throttled("g");
        let first = m.sample();
        assert_eq!(
            first,
            vec![
                FunctionSample {
                    function: "f".into(),
                    throttles: 1,
                    peak_concurrency: 2
                },
                FunctionSample {
                    function: "g".into(),
                    throttles: 1,
                    peak_concurrency: 0
                },
            ]
        );
        // One is still running: the next minute's peak starts from it.
        let second = m.sample();
        assert_eq!(
            second,
            vec![FunctionSample {
                function: "f".into(),
                throttles: 0,
                peak_concurrency: 1
            }]
        );
        m.stopped("f:2");
        assert_eq!(
            m.sample()[0].peak_concurrency,
            1,
            "it ran during this minute"
        );
        assert!(m.sample().is_empty(), "nothing ran since");
    }

    #[test]
    fn throttles_and_running_counts_render_per_function() {
        let m = Metrics::new();
        m.throttled("f");
        m.throttled("f:2");
        m.started("g");
        m.started("g");
        m.stopped("g");
        let text = m.render(&StoreGauges {
            queue_depth: vec![("f".into(), 3)],
            dead_letters: 2,
            records_dropped: 0,
            outbound: vec![(
                "f".into(),
                "api.example.com".into(),
                OutboundOutcome::Denied,
                4,
            )],
        });
        assert!(
            text.contains("fnhost_throttles_total{function=\"f\"} 2\n"),
            "{text}"
        );
        assert!(
            text.contains("fnhost_concurrent_executions{function=\"g\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("fnhost_queue_depth{function=\"f\"} 3\n"),
            "{text}"
        );
        assert!(text.contains("fnhost_dead_letters 2\n"), "{text}");
        assert!(
            text.contains(
                "fnhost_outbound_requests_total{function=\"f\",host=\"api.example.com\",outcome=\"denied\"} 4\n"
            ),
            "{text}"
        );
        assert_eq!(escape("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn a_node_name_labels_every_sample() {
        let m = Metrics::new().with_node("node-a.1");
        m.started("f");
        m.throttled("f");
        m.with("f", |s| {
            s.invocations += 1;
            s.by_trigger.insert(Trigger::Http, 1);
            s.count_error("ValidationError");
        });
        let text = m.render(&StoreGauges {
            queue_depth: vec![("f".into(), 3)],
            dead_letters: 2,
            records_dropped: 0,
            outbound: vec![("f".into(), "x".into(), OutboundOutcome::Ok, 1)],
        });
        let samples: Vec<&str> = text.lines().filter(|l| !l.starts_with('#')).collect();
        assert!(samples.len() > 20, "{text}");
        for sample in &samples {
            let (_, labels) = sample.split_once('{').unwrap_or_else(|| panic!("{sample}"));
            assert!(labels.starts_with("node=\"node-a.1\""), "{sample}");
        }
        assert!(
            text.contains("fnhost_throttles_total{node=\"node-a.1\",function=\"f\"} 1\n"),
            "{text}"
        );
        assert!(
            text.contains("fnhost_dead_letters{node=\"node-a.1\"} 2\n"),
            "{text}"
        );
        // Without a node, the text is as before.
        assert!(
            Metrics::new()
                .render(&StoreGauges::default())
                .contains("fnhost_dead_letters 0\n")
        );
        assert_eq!(with_label("m{} 1\n", "node", "n"), "m{node=\"n\"} 1\n");
    }

    #[test]
    fn error_type_labels_stay_bounded() {
        let mut s = Stats::default();
        for round in 0..3 {
            s.count_error("Sandbox.Timedout");
            s.count_error("ValidationError");
            for i in 0..200 {
                s.count_error(&format!("Fresh{round}-{i}-{}", "T".repeat(250)));
            }
            s.count_error("Runtime.OutOfMemory");
        }
        // Lambda's two types, ValidationError, 19 fresh types and the fold.
        assert_eq!(s.errors.len(), 2 + MAX_ERROR_TYPES_PER_FUNCTION + 1);
        assert_eq!(s.errors["Sandbox.Timedout"], 3);
        assert_eq!(s.errors["Runtime.OutOfMemory"], 3);
        assert_eq!(s.errors["ValidationError"], 3);
        assert_eq!(
            s.errors[OTHER_ERROR_TYPE],
            600 - (MAX_ERROR_TYPES_PER_FUNCTION as u64 - 1)
        );
        // A known type seen before keeps counting under its name.
        s.count_error("ValidationError");
        assert_eq!(s.errors["ValidationError"], 4);
    }
}
