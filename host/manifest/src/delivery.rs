//! Asynchronous delivery: a function's `async` retry policy ([`AsyncConfig`], Lambda's
//! EventInvokeConfig) and the top-level `[events]` table ([`EventsConfig`]) that says how file
//! events are detected and delivered.

use std::ops::RangeInclusive;

use toml::Spanned;

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// A function's `async` table: what happens when an asynchronous invocation fails.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AsyncConfig {
    /// How many times a failed invocation is retried (Lambda's `MaximumRetryAttempts`).
    pub retries: u32,
    /// How long an event may wait, in seconds, before it is given up on
    /// (Lambda's `MaximumEventAgeInSeconds`).
    pub max_event_age_s: u32,
}

impl AsyncConfig {
    /// `retries` when not given (Lambda's default).
    pub const DEFAULT_RETRIES: u32 = 2;
    /// `max_event_age_s` when not given: six hours (Lambda's default).
    pub const DEFAULT_MAX_EVENT_AGE_S: u32 = 21_600;
    /// Allowed `retries` (Lambda's limits).
    pub const RETRIES_RANGE: RangeInclusive<u32> = 0..=2;
    /// Allowed `max_event_age_s` (Lambda's limits).
    pub const MAX_EVENT_AGE_S_RANGE: RangeInclusive<u32> = 60..=21_600;
}

impl Default for AsyncConfig {
    fn default() -> Self {
        AsyncConfig {
            retries: Self::DEFAULT_RETRIES,
            max_event_age_s: Self::DEFAULT_MAX_EVENT_AGE_S,
        }
    }
}

/// The top-level `[events]` table, with defaults applied.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventsConfig {
    /// For a write that is never closed: fire after this many milliseconds without a change.
    pub quiet_ms: u64,
    /// How many events are delivered at once.
    pub workers: u32,
    /// The loop guard: how many events in a row one chain may cause (a function writing to
    /// a bucket that triggers a function ...) before the next one is dropped.
    pub loop_hops: u32,
    /// Delay before the first retry of a failed asynchronous invocation; the second waits
    /// twice as long (Lambda: one and two minutes).
    pub retry_delay_ms: u64,
    /// Reconcile every watched bucket with its checkpoints every this many seconds, for
    /// writes inotify does not see (other machines' writes to a network filesystem); `0` =
    /// only at start-up. `None` when not given: the host decides (off on one machine,
    /// [`EventsConfig::DEFAULT_SHARED_RESCAN_S`] when the nodes of a cluster share the store).
    pub rescan_s: Option<u32>,
}

impl EventsConfig {
    /// `quiet_ms` when not given.
    pub const DEFAULT_QUIET_MS: u64 = 2000;
    /// `workers` when not given.
    pub const DEFAULT_WORKERS: u32 = 8;
    /// `loop_hops` when not given.
    pub const DEFAULT_LOOP_HOPS: u32 = 16;
    /// Allowed `quiet_ms`: 50 ms to 10 minutes.
    pub const QUIET_MS_RANGE: RangeInclusive<u64> = 50..=600_000;
    /// Allowed `workers`.
    pub const WORKERS_RANGE: RangeInclusive<u32> = 1..=1024;
    /// Allowed `loop_hops`.
    pub const LOOP_HOPS_RANGE: RangeInclusive<u32> = 1..=1000;
    /// `retry_delay_ms` when not given: Lambda's one minute.
    pub const DEFAULT_RETRY_DELAY_MS: u64 = 60_000;
    /// Allowed `retry_delay_ms`: 10 ms to an hour.
    pub const RETRY_DELAY_MS_RANGE: RangeInclusive<u64> = 10..=3_600_000;
    /// `rescan_s` when not given and the store is shared by a cluster.
    pub const DEFAULT_SHARED_RESCAN_S: u32 = 5;
    /// Allowed `rescan_s`: 0 (off) to an hour.
    pub const RESCAN_S_RANGE: RangeInclusive<u32> = 0..=3600;
}

impl Default for EventsConfig {
    fn default() -> Self {
        EventsConfig {
            quiet_ms: Self::DEFAULT_QUIET_MS,
            workers: Self::DEFAULT_WORKERS,
            loop_hops: Self::DEFAULT_LOOP_HOPS,
            retry_delay_ms: Self::DEFAULT_RETRY_DELAY_MS,
            rescan_s: None,
        }
    }
}

/// Validate a function's `async` table; absent means the defaults.
pub(crate) fn validate_async(
    function: &str,
    table: Option<raw::Table<raw::Async>>,
    src: &Source<'_>,
) -> Result<AsyncConfig, ManifestError> {
    let Some(raw::Table(table)) = table else {
        return Ok(AsyncConfig::default());
    };
    let in_range = |field, value: Option<Spanned<raw::Integer>>, range, default| {
        let Some(value) = value else {
            return Ok(default);
        };
        integer_in(&value, range).ok_or_else(|| ManifestError::OutOfRange {
            at: src.at(value.span()),
            function: function.into(),
            field,
            value: src.as_written(value.span()).into(),
            fix: async_range_fix(field).into(),
        })
    };
    type Config = AsyncConfig;
    Ok(AsyncConfig {
        retries: in_range(
            "async.retries",
            table.retries,
            Config::RETRIES_RANGE,
            Config::DEFAULT_RETRIES,
        )?,
        max_event_age_s: in_range(
            "async.max_event_age_s",
            table.max_event_age_s,
            Config::MAX_EVENT_AGE_S_RANGE,
            Config::DEFAULT_MAX_EVENT_AGE_S,
        )?,
    })
}

/// Validate the `[events]` table; absent means the defaults.
pub(crate) fn validate_events(
    table: Option<raw::Table<raw::Events>>,
    src: &Source<'_>,
) -> Result<EventsConfig, ManifestError> {
    let Some(raw::Table(table)) = table else {
        return Ok(EventsConfig::default());
    };
    type Config = EventsConfig;
    Ok(EventsConfig {
        quiet_ms: events_field(
            "quiet_ms",
            table.quiet_ms,
            Config::QUIET_MS_RANGE,
            Config::DEFAULT_QUIET_MS,
            src,
        )?,
        workers: events_field(
            "workers",
            table.workers,
            Config::WORKERS_RANGE,
            Config::DEFAULT_WORKERS,
            src,
        )?,
        loop_hops: events_field(
            "loop_hops",
            table.loop_hops,
            Config::LOOP_HOPS_RANGE,
            Config::DEFAULT_LOOP_HOPS,
            src,
        )?,
        retry_delay_ms: events_field(
            "retry_delay_ms",
            table.retry_delay_ms,
            Config::RETRY_DELAY_MS_RANGE,
            Config::DEFAULT_RETRY_DELAY_MS,
            src,
        )?,
        rescan_s: table
            .rescan_s
            .map(|value| events_field("rescan_s", Some(value), Config::RESCAN_S_RANGE, 0, src))
            .transpose()?,
    })
}

/// `default` when absent, the value when inside `range`, otherwise an "out of range" error.
fn events_field<T: TryFrom<i64> + PartialOrd>(
    field: &'static str,
    value: Option<Spanned<raw::Integer>>,
    range: RangeInclusive<T>,
    default: T,
    src: &Source<'_>,
) -> Result<T, ManifestError> {
    let Some(value) = value else {
        return Ok(default);
    };
    integer_in(&value, range).ok_or_else(|| ManifestError::EventsOutOfRange {
        at: src.at(value.span()),
        field,
        value: src.as_written(value.span()),
        fix: events_range_fix(field).into(),
    })
}

/// The integer, if it converts to `T` and lies inside `range`.
fn integer_in<T: TryFrom<i64> + PartialOrd>(
    value: &Spanned<raw::Integer>,
    range: RangeInclusive<T>,
) -> Option<T> {
    T::try_from(value.get_ref().0)
        .ok()
        .filter(|n| range.contains(n))
}

/// How to fix an out-of-range `async` field, for [`ManifestError::OutOfRange`].
fn async_range_fix(field: &str) -> String {
    type Config = AsyncConfig;
    match field {
        "async.retries" => {
            let range = Config::RETRIES_RANGE;
            let (min, max) = (range.start(), range.end());
            format!(
                "use {min} to {max} (retries after a failed asynchronous invocation, Lambda's limits)"
            )
        }
        _ => {
            let range = Config::MAX_EVENT_AGE_S_RANGE;
            let (min, max) = (range.start(), range.end());
            format!(
                "use {min} to {max} (seconds an event may wait to be delivered, Lambda's limits)"
            )
        }
    }
}

/// How to fix an out-of-range `[events]` field, for [`ManifestError::EventsOutOfRange`].
fn events_range_fix(field: &str) -> String {
    type Config = EventsConfig;
    let (min, max, meaning) = match field {
        "quiet_ms" => (
            *Config::QUIET_MS_RANGE.start(),
            *Config::QUIET_MS_RANGE.end(),
            "milliseconds without a change before an unclosed write fires",
        ),
        "workers" => (
            u64::from(*Config::WORKERS_RANGE.start()),
            u64::from(*Config::WORKERS_RANGE.end()),
            "events delivered at once",
        ),
        "retry_delay_ms" => (
            *Config::RETRY_DELAY_MS_RANGE.start(),
            *Config::RETRY_DELAY_MS_RANGE.end(),
            "milliseconds before the first retry of a failed event; the second waits twice as long",
        ),
        "rescan_s" => (
            u64::from(*Config::RESCAN_S_RANGE.start()),
            u64::from(*Config::RESCAN_S_RANGE.end()),
            "seconds between rescans of the buckets; 0 = only at start-up",
        ),
        _ => (
            u64::from(*Config::LOOP_HOPS_RANGE.start()),
            u64::from(*Config::LOOP_HOPS_RANGE.end()),
            "events one chain may cause before the loop guard stops it",
        ),
    };
    format!("use {min} to {max} ({meaning})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_fit_their_ranges() {
        let a = AsyncConfig::default();
        assert!(AsyncConfig::RETRIES_RANGE.contains(&a.retries));
        assert!(AsyncConfig::MAX_EVENT_AGE_S_RANGE.contains(&a.max_event_age_s));
        let e = EventsConfig::default();
        assert!(EventsConfig::QUIET_MS_RANGE.contains(&e.quiet_ms));
        assert!(EventsConfig::WORKERS_RANGE.contains(&e.workers));
        assert!(EventsConfig::LOOP_HOPS_RANGE.contains(&e.loop_hops));
        assert!(EventsConfig::RETRY_DELAY_MS_RANGE.contains(&e.retry_delay_ms));
        assert_eq!((a.retries, a.max_event_age_s), (2, 21_600));
        assert_eq!((e.quiet_ms, e.workers, e.loop_hops), (2000, 8, 16));
    }
}
