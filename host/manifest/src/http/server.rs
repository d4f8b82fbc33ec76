//! [`HttpServerConfig`]: the top-level `[http]` table, where the server listens and how many
//! requests it runs and queues.

use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::ops::RangeInclusive;

use toml::Spanned;

use crate::error::ManifestError;
use crate::raw;
use crate::source::Source;

/// The `[http]` table as written, every field optional: the caller applies the `DEFAULT_*`s
/// after `FNHOST_*` variables and flags have had their say.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct HttpServerConfig {
    /// `listen`: the address to bind, `ip:port`.
    pub listen: Option<SocketAddr>,
    /// `max_concurrency`: the most instances, of all functions together, running at once.
    pub max_concurrency: Option<u32>,
    /// `queue_depth`: how many requests may wait for a free instance; 0 means none wait.
    pub queue_depth: Option<u32>,
    /// `queue_timeout_ms`: how long a request may wait, in milliseconds, before a 429.
    pub queue_timeout_ms: Option<u32>,
    /// `drain_timeout_s`: on shutdown, how long running requests get to finish, in seconds.
    pub drain_timeout_s: Option<u32>,
    /// `drain_delay_s`: on shutdown, how long the host keeps serving, its health endpoint
    /// answering 503, before it stops accepting, in seconds (time for a load balancer to see it).
    pub drain_delay_s: Option<u32>,
}

impl HttpServerConfig {
    /// `listen` when not given.
    pub const DEFAULT_LISTEN: SocketAddr =
        SocketAddr::V4(SocketAddrV4::new(Ipv4Addr::LOCALHOST, 8080));
    /// `max_concurrency` when not given.
    pub const DEFAULT_MAX_CONCURRENCY: u32 = 64;
    /// `queue_depth` when not given.
    pub const DEFAULT_QUEUE_DEPTH: u32 = 256;
    /// `queue_timeout_ms` when not given.
    pub const DEFAULT_QUEUE_TIMEOUT_MS: u32 = 1000;
    /// `drain_timeout_s` when not given.
    pub const DEFAULT_DRAIN_TIMEOUT_S: u32 = 30;
    /// `drain_delay_s` when not given: stop accepting at once, as a single machine should.
    pub const DEFAULT_DRAIN_DELAY_S: u32 = 0;
    /// Allowed `max_concurrency`.
    pub const MAX_CONCURRENCY_RANGE: RangeInclusive<u32> = 1..=10_000;
    /// Allowed `queue_depth`.
    pub const QUEUE_DEPTH_RANGE: RangeInclusive<u32> = 0..=100_000;
    /// Allowed `queue_timeout_ms`.
    pub const QUEUE_TIMEOUT_MS_RANGE: RangeInclusive<u32> = 0..=60_000;
    /// Allowed `drain_timeout_s` (Lambda's longest timeout, so any invocation can finish).
    pub const DRAIN_TIMEOUT_S_RANGE: RangeInclusive<u32> = 0..=900;
    /// Allowed `drain_delay_s`.
    pub const DRAIN_DELAY_S_RANGE: RangeInclusive<u32> = 0..=300;
}

/// Validate the `[http]` table; absent means every field unset.
pub(crate) fn validate(
    table: Option<raw::HttpServer>,
    src: &Source<'_>,
) -> Result<HttpServerConfig, ManifestError> {
    let Some(table) = table else {
        return Ok(HttpServerConfig::default());
    };
    let listen = match table.listen {
        None => None,
        Some(listen) => match listen.get_ref().parse::<SocketAddr>() {
            Ok(address) => Some(address),
            Err(_) => {
                let at = src.at(listen.span());
                let value = listen.into_inner();
                return Err(ManifestError::InvalidListen { at, value });
            }
        },
    };
    type Config = HttpServerConfig;
    Ok(HttpServerConfig {
        listen,
        max_concurrency: in_range(
            "max_concurrency",
            table.max_concurrency,
            Config::MAX_CONCURRENCY_RANGE,
            src,
        )?,
        queue_depth: in_range(
            "queue_depth",
            table.queue_depth,
            Config::QUEUE_DEPTH_RANGE,
            src,
        )?,
        queue_timeout_ms: in_range(
            "queue_timeout_ms",
            table.queue_timeout_ms,
            Config::QUEUE_TIMEOUT_MS_RANGE,
            src,
        )?,
        drain_timeout_s: in_range(
            "drain_timeout_s",
            table.drain_timeout_s,
            Config::DRAIN_TIMEOUT_S_RANGE,
            src,
        )?,
        drain_delay_s: in_range(
            "drain_delay_s",
            table.drain_delay_s,
            Config::DRAIN_DELAY_S_RANGE,
            src,
        )?,
    })
}

/// `None` when absent, the value when inside `range`, otherwise an "out of range" error.
fn in_range(
    field: &'static str,
    value: Option<Spanned<raw::Integer>>,
    range: RangeInclusive<u32>,
    src: &Source<'_>,
) -> Result<Option<u32>, ManifestError> {
    let Some(value) = value else { return Ok(None) };
    match u32::try_from(value.get_ref().0) {
        Ok(n) if range.contains(&n) => Ok(Some(n)),
        _ => Err(ManifestError::ServerOutOfRange {
            at: src.at(value.span()),
            field,
            value: src.as_written(value.span()),
            fix: range_fix(field).into(),
        }),
    }
}

/// How to fix an out-of-range `[http]` field, for [`ManifestError::ServerOutOfRange`].
fn range_fix(field: &str) -> String {
    type Config = HttpServerConfig;
    let (range, meaning) = match field {
        "max_concurrency" => (
            Config::MAX_CONCURRENCY_RANGE,
            "instances of all functions running at once",
        ),
        "queue_depth" => (
            Config::QUEUE_DEPTH_RANGE,
            "requests waiting for a free instance; 0 turns the queue off",
        ),
        "queue_timeout_ms" => (
            Config::QUEUE_TIMEOUT_MS_RANGE,
            "milliseconds a request may wait before a 429",
        ),
        "drain_delay_s" => (
            Config::DRAIN_DELAY_S_RANGE,
            "seconds the host keeps serving, health 503, before it stops accepting on shutdown",
        ),
        _ => (
            Config::DRAIN_TIMEOUT_S_RANGE,
            "seconds running requests get to finish on shutdown",
        ),
    };
    format!("use {} to {} ({meaning})", range.start(), range.end())
}
