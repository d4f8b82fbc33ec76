//! `fnhost up`'s flags and how they combine with the manifest's `[http]` table:
//! defaults < fnhost.toml < `FNHOST_*` environment < flags.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::{Result, bail};
use fnhost_dispatch::{AdmissionConfig, OverReserved, check_reservations};
use fnhost_http::ServerConfig;
use fnhost_manifest::{HttpServerConfig as Http, Manifest};

/// Arguments of `fnhost up`.
#[derive(Debug, Clone, clap::Args)]
pub struct Args {
    /// Address to serve HTTP on, `ip:port` (default `127.0.0.1:8080`; port 0 picks a free one).
    #[arg(long, env = "FNHOST_LISTEN")]
    pub listen: Option<SocketAddr>,
    /// Most invocations running at once over all functions (default 64); also sizes the
    /// instance pool.
    #[arg(long, env = "FNHOST_MAX_CONCURRENCY")]
    pub max_concurrency: Option<u32>,
    /// Most requests waiting for a free instance (default 256); more get 429.
    #[arg(long, env = "FNHOST_QUEUE_DEPTH")]
    pub queue_depth: Option<u32>,
    /// Milliseconds a request may wait for a free instance before 429 (default 1000).
    #[arg(long, env = "FNHOST_QUEUE_TIMEOUT_MS")]
    pub queue_timeout_ms: Option<u32>,
    /// Seconds in-flight requests get to finish after SIGINT/SIGTERM (default 30).
    #[arg(long, env = "FNHOST_DRAIN_TIMEOUT_S")]
    pub drain_timeout_s: Option<u32>,
    /// Seconds the host keeps serving after SIGINT/SIGTERM, its health endpoint answering 503
    /// and every response `Connection: close`, before it stops accepting (default 0; behind a
    /// load balancer, at least two health-check intervals). A second signal ends it early.
    #[arg(long, env = "FNHOST_DRAIN_DELAY_S")]
    pub drain_delay_s: Option<u32>,
    /// This node's name: the `node` label of every /metrics sample and `node` in health
    /// (1-63 characters of A-Z a-z 0-9 . _ -; default the hostname, else `local`).
    #[arg(long, env = "FNHOST_NODE", value_name = "NAME")]
    pub node: Option<String>,
    /// Most HTTP connections open at once (default 1024); more wait in the kernel's accept
    /// backlog until one closes.
    #[arg(long, env = "FNHOST_MAX_CONNECTIONS")]
    pub max_connections: Option<u32>,
    /// Threads serving HTTP connections, each keeping its connections and their requests on
    /// itself (0, the default, serves them on the shared async runtime; the number of cores
    /// suits throughput, at some cost in tail latency).
    #[arg(long, env = "FNHOST_HTTP_WORKERS")]
    pub http_workers: Option<u32>,
    /// Milliseconds a client may take to send a request's headers, and an idle keep-alive
    /// connection stays open (default 30000); then the connection is closed.
    #[arg(long, env = "FNHOST_HEADER_READ_TIMEOUT_MS")]
    pub header_read_timeout_ms: Option<u32>,
    /// Milliseconds a client may take to send a whole request body (default 30000); then 408.
    #[arg(long, env = "FNHOST_BODY_READ_TIMEOUT_MS")]
    pub body_read_timeout_ms: Option<u32>,
    /// Milliseconds a response write may make no progress, a client that stopped reading
    /// (default 30000); then the connection is closed.
    #[arg(long, env = "FNHOST_WRITE_TIMEOUT_MS")]
    pub write_timeout_ms: Option<u32>,
    /// Bytes of request bodies (and the events built from them) all HTTP requests may hold in
    /// memory at once (default 134217728, 128 MiB; at least 6291456); a body over 16 KiB
    /// waits up to --queue-timeout-ms for room, then gets 429.
    #[arg(long, env = "FNHOST_BODY_BUDGET")]
    pub body_budget: Option<u64>,
    /// Domain of function URLs, served on the HTTP listener as
    /// `http://<url-id>.lambda-url.<DOMAIN>:<port>/` (default `localhost`, whose subdomains
    /// resolve to loopback; give a domain whose wildcard DNS points at this host to serve them
    /// to other machines). Every URL also answers at `/lambda-url/<url-id>/` on any host name.
    #[arg(
        long,
        env = "FNHOST_URL_DOMAIN",
        default_value = fnhost_http::urls::DEFAULT_URL_DOMAIN,
        value_name = "DOMAIN"
    )]
    pub url_domain: String,
    /// Do not print invocation logs (START, the function's output, END, REPORT).
    #[arg(long, short = 'q')]
    pub quiet: bool,
    /// Do not build stale functions before serving.
    #[arg(long)]
    pub no_build: bool,
    /// Do not watch the manifest and the functions' .wasm files for changes.
    #[arg(long)]
    pub no_watch: bool,
    /// The admin listener (Lambda API, /metrics) and its auth.
    #[command(flatten)]
    pub admin: super::admin::AdminArgs,
    /// The bounds of the state directory (artifacts, dead letters, logs).
    #[command(flatten)]
    pub state: super::state::StateArgs,
    /// The cluster singletons' lease and the buckets' rescan.
    #[command(flatten)]
    pub cluster: super::singletons::ClusterArgs,
}

/// The resolved settings.
#[derive(Debug, Clone)]
pub struct Settings {
    pub listen: SocketAddr,
    pub admission: AdmissionConfig,
    pub server: ServerConfig,
    /// How long the host drains (still serving, health 503) before it stops accepting.
    pub drain_delay: Duration,
    /// This node's name.
    pub node: String,
}

/// `--max-connections` unless given.
const DEFAULT_MAX_CONNECTIONS: u32 = fnhost_edge::DEFAULT_MAX_CONNECTIONS as u32;
/// Most `--http-workers`.
const MAX_HTTP_WORKERS: u32 = 256;
/// `--header-read-timeout-ms`, `--body-read-timeout-ms` and `--write-timeout-ms` unless given.
const DEFAULT_READ_TIMEOUT_MS: u32 = 30_000;
/// Allowed read and write timeouts: from a tenth of a second to ten minutes.
const READ_TIMEOUT_MS_RANGE: std::ops::RangeInclusive<u32> = 100..=600_000;

fn in_range(name: &str, value: u32, range: std::ops::RangeInclusive<u32>) -> Result<u32> {
    if !range.contains(&value) {
        bail!(
            "{name} must be from {} to {}, got {value}",
            range.start(),
            range.end()
        );
    }
    Ok(value)
}

impl Settings {
    /// Combine flags/environment (already merged by clap) with the manifest and defaults.
    pub fn resolve(args: &Args, manifest: &Manifest) -> Result<Self> {
        let file = &manifest.http;
        // Flag or environment (merged by clap), else fnhost.toml, else the default.
        let pick = |name: &str, flag: Option<u32>, file: Option<u32>, default, range| {
            in_range(name, flag.or(file).unwrap_or(default), range)
        };
        let max_concurrency = pick(
            "--max-concurrency",
            args.max_concurrency,
            file.max_concurrency,
            Http::DEFAULT_MAX_CONCURRENCY,
            Http::MAX_CONCURRENCY_RANGE,
        )?;
        let queue_depth = pick(
            "--queue-depth",
            args.queue_depth,
            file.queue_depth,
            Http::DEFAULT_QUEUE_DEPTH,
            Http::QUEUE_DEPTH_RANGE,
        )?;
        let queue_timeout_ms = pick(
            "--queue-timeout-ms",
            args.queue_timeout_ms,
            file.queue_timeout_ms,
            Http::DEFAULT_QUEUE_TIMEOUT_MS,
            Http::QUEUE_TIMEOUT_MS_RANGE,
        )?;
        let drain_timeout_s = pick(
            "--drain-timeout-s",
            args.drain_timeout_s,
            file.drain_timeout_s,
            Http::DEFAULT_DRAIN_TIMEOUT_S,
            Http::DRAIN_TIMEOUT_S_RANGE,
        )?;
        let drain_delay_s = pick(
            "--drain-delay-s",
            args.drain_delay_s,
            file.drain_delay_s,
            Http::DEFAULT_DRAIN_DELAY_S,
            Http::DRAIN_DELAY_S_RANGE,
        )?;
        let node = super::node::resolve(args.node.as_deref())?;
        // Flag or environment only: the connection limits are the operator's, not the
        // project's.
        let max_connections = pick(
            "--max-connections",
            args.max_connections,
            None,
            DEFAULT_MAX_CONNECTIONS,
            1..=100_000,
        )?;
        let http_workers = pick(
            "--http-workers",
            args.http_workers,
            None,
            0,
            0..=MAX_HTTP_WORKERS,
        )?;
        let header_read_timeout_ms = pick(
            "--header-read-timeout-ms",
            args.header_read_timeout_ms,
            None,
            DEFAULT_READ_TIMEOUT_MS,
            READ_TIMEOUT_MS_RANGE,
        )?;
        let body_read_timeout_ms = pick(
            "--body-read-timeout-ms",
            args.body_read_timeout_ms,
            None,
            DEFAULT_READ_TIMEOUT_MS,
            READ_TIMEOUT_MS_RANGE,
        )?;
        let write_timeout_ms = pick(
            "--write-timeout-ms",
            args.write_timeout_ms,
            None,
            DEFAULT_READ_TIMEOUT_MS,
            READ_TIMEOUT_MS_RANGE,
        )?;
        // At least one largest body.
        let min_budget = fnhost_http::request::MAX_BODY_BYTES as u64;
        let body_budget = args
            .body_budget
            .unwrap_or(fnhost_http::DEFAULT_BODY_BUDGET as u64);
        if body_budget < min_budget || usize::try_from(body_budget).is_err() {
            bail!("--body-budget must be at least {min_budget} bytes, got {body_budget}");
        }
        Ok(Self {
            listen: args.listen.or(file.listen).unwrap_or(Http::DEFAULT_LISTEN),
            admission: AdmissionConfig {
                max_concurrency,
                queue_depth,
                queue_timeout: Duration::from_millis(queue_timeout_ms.into()),
            },
            server: ServerConfig {
                drain_timeout: Duration::from_secs(drain_timeout_s.into()),
                header_read_timeout: Duration::from_millis(header_read_timeout_ms.into()),
                body_read_timeout: Duration::from_millis(body_read_timeout_ms.into()),
                write_timeout: Duration::from_millis(write_timeout_ms.into()),
                body_budget: body_budget as usize,
                max_connections: max_connections as usize,
                workers: http_workers as usize,
                ..ServerConfig::default()
            },
            drain_delay: Duration::from_secs(drain_delay_s.into()),
            node,
        })
    }
}

/// The manifest's reservations, with the `by_uploads` slots uploaded functions reserve, checked
/// against `max_concurrency` by the one rule ([`fnhost_dispatch::check_reservations`]), at
/// start-up and on reload alike; the manifest's sum.
pub fn reserved_total(
    manifest: &Manifest,
    max_concurrency: u32,
    by_uploads: u32,
) -> Result<u32, OverReserved> {
    check_reservations(
        max_concurrency,
        manifest
            .functions
            .values()
            .filter_map(|f| f.reserved_concurrency)
            .chain(std::iter::once(by_uploads)),
    )
    .map(|total| total - by_uploads)
}
