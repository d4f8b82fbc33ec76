//! Counters of outbound requests by function, host and outcome, for `/metrics`.
//!
//! The `host` label comes from what guests ask for, so it is bounded: each function keeps its
//! first [`MAX_HOSTS_PER_FUNCTION`] hosts under their own names and counts the rest as
//! [`OTHER_HOST`].

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Mutex;

/// Distinct `host` labels a function keeps.
pub const MAX_HOSTS_PER_FUNCTION: usize = 32;

/// The `host` label past [`MAX_HOSTS_PER_FUNCTION`].
pub const OTHER_HOST: &str = "other";

/// How an outbound request ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Outcome {
    /// A response came back (whatever its status) and its body was read or dropped.
    Ok,
    /// Not on the function's allow-list.
    Denied,
    /// Every address of the host is in a blocked network.
    Blocked,
    /// The function had `max_connections` requests open for longer than the connect timeout.
    Limited,
    /// A connect, first-byte or between-bytes timeout.
    Timeout,
    /// The response body was larger than `max_response_bytes`.
    TooLarge,
    /// DNS, connection, TLS or protocol failure.
    Error,
}

impl Outcome {
    /// The `outcome` label.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Denied => "denied",
            Outcome::Blocked => "blocked",
            Outcome::Limited => "limited",
            Outcome::Timeout => "timeout",
            Outcome::TooLarge => "too_large",
            Outcome::Error => "error",
        }
    }
}

#[derive(Debug, Default)]
struct Counts {
    by: BTreeMap<(String, String, Outcome), u64>,
    hosts: BTreeMap<String, BTreeSet<String>>,
}

/// The counters; shared by every invocation.
#[derive(Debug, Default)]
pub struct OutboundStats {
    counts: Mutex<Counts>,
}

impl OutboundStats {
    /// One request of `function` to `host` ended with `outcome`.
    pub fn count(&self, function: &str, host: &str, outcome: Outcome) {
        let mut counts = match self.counts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        let hosts = counts.hosts.entry(function.to_owned()).or_default();
        let host = if hosts.contains(host) {
            host
        } else if hosts.len() < MAX_HOSTS_PER_FUNCTION {
            hosts.insert(host.to_owned());
            host
        } else {
            OTHER_HOST
        };
        let key = (function.to_owned(), host.to_owned(), outcome);
        *counts.by.entry(key).or_default() += 1;
    }

    /// Every counter: (function, host, outcome, requests), sorted.
    pub fn snapshot(&self) -> Vec<(String, String, Outcome, u64)> {
        let counts = match self.counts.lock() {
            Ok(guard) => guard,
            Err(poisoned) => poisoned.into_inner(),
        };
        counts
            .by
            .iter()
            .map(|((f, h, o), n)| (f.clone(), h.clone(), *o, *n))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hosts_past_the_cap_fold_into_other() {
        let stats = OutboundStats::default();
        for i in 0..MAX_HOSTS_PER_FUNCTION + 5 {
            stats.count("f", &format!("h{i}.example"), Outcome::Denied);
        }
        stats.count("f", "h0.example", Outcome::Ok);
        stats.count("g", "h99.example", Outcome::Ok);
        let snap = stats.snapshot();
        let other = snap
            .iter()
            .find(|(f, h, _, _)| f == "f" && h == OTHER_HOST)
            .unwrap();
        assert_eq!(other.3, 5);
        assert!(
            snap.iter()
                .any(|(f, h, o, n)| f == "f" && h == "h0.example" && *o == Outcome::Ok && *n == 1)
        );
        assert!(
            snap.iter()
                .any(|(f, h, _, _)| f == "g" && h == "h99.example")
        );
        assert_eq!(
            snap.iter().filter(|(f, _, _, _)| f == "f").count(),
            MAX_HOSTS_PER_FUNCTION + 2
        );
    }
}
