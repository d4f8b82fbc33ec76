//! The admin listener of `fnhost up`: the Lambda REST API, `/metrics` and the web console
//! (`/console/`), with SigV4 auth
//! whenever credentials are configured (required off loopback), browsers kept out (foreign
//! `Host` and `Origin` refused), bounded connections and body bytes, and optional TLS. Also where every invocation's log is fanned out: the console, the metrics and the
//! store (invocation records for `fnhost logs` and `fnhost usage`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::ArgAction;
use clap::builder::BoolishValueParser;
use fnhost_api::grants::Uploads;
use fnhost_api::{
    Api, ApiConfig, Credentials, DEFAULT_BODY_BUDGET, DEFAULT_CODE_STORAGE_LIMIT,
    DEFAULT_MAX_CONNECTIONS, Metrics, RecordSink,
};
use fnhost_buckets::Buckets;
use fnhost_console::{Admin as AdminHandler, Console, ConsoleConfig, LiveFeed};
use fnhost_dispatch::{Dispatcher, LogSink, Tee};
use fnhost_edge::{Drained, Shutdown, Tls};
use fnhost_store::{Recorder, Store};
use tokio::sync::Notify;

/// The environment variables holding the credentials requests must be signed with.
pub const ACCESS_KEY_ENV: &str = fnhost_core::env::ADMIN_ACCESS_KEY_ENV;
/// The secret's variable; its value is never printed or logged.
pub const SECRET_KEY_ENV: &str = fnhost_core::env::ADMIN_SECRET_KEY_ENV;

/// Flags of the admin listener.
#[derive(Debug, Clone, clap::Args)]
pub struct AdminArgs {
    /// Address of the admin listener (Lambda API and /metrics), `ip:port` (default
    /// `127.0.0.1:9000`; port 0 picks a free one). With FNHOST_ACCESS_KEY_ID /
    /// FNHOST_SECRET_ACCESS_KEY set, every request must be SigV4-signed with them; off
    /// loopback they must be set.
    #[arg(long = "admin", env = "FNHOST_ADMIN", default_value = "127.0.0.1:9000")]
    pub admin: SocketAddr,
    /// Refuse to start unless FNHOST_ACCESS_KEY_ID and FNHOST_SECRET_ACCESS_KEY are set (they
    /// are enforced whenever set, on loopback too).
    #[arg(long = "admin-auth", env = "FNHOST_ADMIN_AUTH", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub admin_auth: bool,
    /// A host name the admin listener answers to besides IP literals and `localhost`
    /// (repeatable; the env takes a comma-separated list). Requests with another `Host` get
    /// 403, which keeps DNS-rebinding web pages out.
    #[arg(
        long = "admin-host",
        env = "FNHOST_ADMIN_HOSTS",
        value_name = "NAME",
        value_delimiter = ','
    )]
    pub admin_hosts: Vec<String>,
    /// PEM certificate chain (leaf first) to serve the admin listener over HTTPS; needs
    /// --admin-tls-key. Default: plain HTTP.
    #[arg(
        long,
        env = "FNHOST_ADMIN_TLS_CERT",
        value_name = "PATH",
        requires = "admin_tls_key"
    )]
    pub admin_tls_cert: Option<PathBuf>,
    /// PEM private key of --admin-tls-cert.
    #[arg(
        long,
        env = "FNHOST_ADMIN_TLS_KEY",
        value_name = "PATH",
        requires = "admin_tls_cert"
    )]
    pub admin_tls_key: Option<PathBuf>,
    /// Most request body bytes all admin requests may hold in memory at once (default
    /// 268435456, 256 MiB); a request whose body does not fit gets 429 before it is read.
    #[arg(long, env = "FNHOST_ADMIN_BODY_BUDGET", value_name = "BYTES", default_value_t = DEFAULT_BODY_BUDGET)]
    pub admin_body_budget: usize,
    /// Seconds a client may take to send a request body to the admin listener (default 60);
    /// past it, 408.
    #[arg(
        long,
        env = "FNHOST_ADMIN_BODY_TIMEOUT_S",
        value_name = "SECONDS",
        default_value_t = 60
    )]
    pub admin_body_timeout_s: u64,
    /// Most connections open at once on the admin listener (default 256); more wait in the
    /// kernel's backlog.
    #[arg(long, env = "FNHOST_ADMIN_MAX_CONNECTIONS", value_name = "N", default_value_t = DEFAULT_MAX_CONNECTIONS)]
    pub admin_max_connections: usize,
    /// Most bytes of uploaded code kept, over all functions and versions (default 75 GiB,
    /// Lambda's code storage quota); uploads past it get CodeStorageExceededException.
    #[arg(long, env = "FNHOST_CODE_STORAGE_LIMIT")]
    pub code_storage_limit: Option<u64>,
    /// Most events the durable queue may hold (default 100000); an `Event` invocation past it
    /// gets TooManyRequestsException (429), as Lambda answers when it cannot take more.
    #[arg(long, env = "FNHOST_EVENT_QUEUE_LIMIT", default_value_t = fnhost_api::DEFAULT_EVENT_QUEUE_LIMIT, value_parser = clap::value_parser!(u64).range(1..))]
    pub event_queue_limit: u64,
    /// How many uploads of Python or Node.js source are packaged and compiled at once
    /// (default: half the cores, at least 1); the others wait, Pending or InProgress.
    #[arg(long, env = "FNHOST_PACKAGING_SLOTS", value_parser = clap::value_parser!(u64).range(1..=64))]
    pub packaging_slots: Option<u64>,
    /// How long invocation records and their logs are kept (`30m`, `12h`, `7d`; `0` keeps
    /// them forever). Older ones are deleted at start and every 10 minutes.
    #[arg(long, env = "FNHOST_LOG_RETENTION", default_value = "7d", value_parser = crate::commands::logs::parse_since)]
    pub log_retention: Duration,
}

/// The admin listener, configured and with its sinks, before it binds.
pub struct Admin {
    args: AdminArgs,
    credentials: Option<Credentials>,
    tls: Option<Tls>,
    store: Store,
    metrics: Arc<Metrics>,
    recorder: Arc<Recorder>,
    live: Arc<LiveFeed>,
    sink: Arc<dyn LogSink>,
}

/// What the admin listener serves, from the rest of the host.
pub struct Wiring {
    /// Runs the invocations.
    pub dispatcher: Arc<Dispatcher>,
    /// The state directory (uploaded code, packages).
    pub state_dir: PathBuf,
    /// Wakes the queue's workers after an `Event` invocation is queued.
    pub wake: Arc<Notify>,
    /// How long requests in flight may take after the shutdown signal.
    pub drain_timeout: Duration,
    /// The host's stop, shared with the HTTP listener: the admin listener drains and closes
    /// with it.
    pub shutdown: Shutdown,
    /// What uploaded functions' grant tags apply to.
    pub uploads: Uploads,
    /// The function URLs the HTTP listener serves.
    pub urls: Arc<fnhost_http::FunctionUrls>,
}

/// The running admin listener.
pub struct AdminServer {
    recorder: Arc<Recorder>,
    serving: Option<tokio::task::JoinHandle<Drained>>,
    /// The console it serves (its manifest follows hot reloads).
    pub console: Arc<Console>,
}

impl AdminServer {
    /// Wait until the listener has drained after the shutdown signal (its own drain timeout
    /// bounds that); say so when requests were abandoned.
    pub async fn drained(mut self) -> Option<Drained> {
        let drained = self.serving.take()?.await.ok()?;
        if drained.abandoned > 0 {
            eprintln!(
                "fnhost: admin API stopped with {} request(s) still running",
                drained.abandoned
            );
        } else if drained.in_flight > 0 {
            eprintln!(
                "fnhost: admin API drained {} in-flight request(s)",
                drained.in_flight
            );
        }
        Some(drained)
    }
}

impl Drop for AdminServer {
    fn drop(&mut self) {
        // Whatever ran up to the shutdown is in the store before the process ends.
        self.recorder.flush();
    }
}

/// Credentials from the environment: both variables or neither.
fn credentials() -> Result<Option<Credentials>> {
    let id = std::env::var(ACCESS_KEY_ENV).ok().filter(|v| !v.is_empty());
    let secret = std::env::var(SECRET_KEY_ENV).ok().filter(|v| !v.is_empty());
    match (id, secret) {
        (Some(id), Some(secret)) => Ok(Some(Credentials::new(id, secret))),
        (None, None) => Ok(None),
        _ => bail!("set both {ACCESS_KEY_ENV} and {SECRET_KEY_ENV} (or neither)"),
    }
}

impl Admin {
    /// Check the auth settings (before any socket is bound), start the invocation recorder
    /// and wrap `console` with the metrics (labelled with `node`) and the store.
    pub fn prepare(
        args: &AdminArgs,
        store: &Store,
        console: Arc<dyn LogSink>,
        node: &str,
    ) -> Result<Admin> {
        let credentials = credentials()?;
        let loopback = args.admin.ip().is_loopback();
        // Configured credentials are always enforced; only their absence depends on where the
        // listener is.
        match (&credentials, loopback, args.admin_auth) {
            (None, false, _) => bail!(
                "the admin listener `{}` is not on loopback, so every request must be SigV4-signed, but no credentials are configured: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or keep --admin on 127.0.0.1",
                args.admin
            ),
            (None, true, true) => {
                bail!("--admin-auth needs credentials: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}")
            }
            _ => {}
        }
        let tls = match (&args.admin_tls_cert, &args.admin_tls_key) {
            (Some(cert), Some(key)) => Some(
                Tls::from_pem_files(cert, key)
                    .context("cannot serve the admin listener over TLS; check --admin-tls-cert and --admin-tls-key")?,
            ),
            _ => None,
        };
        let metrics = Arc::new(Metrics::new().with_node(node));
        let recorder = Arc::new(Recorder::start(store.clone()));
        let live = Arc::new(LiveFeed::new());
        let sink: Arc<dyn LogSink> = Arc::new(Tee::new(vec![
            console,
            metrics.clone(),
            Arc::new(RecordSink::new(recorder.clone())),
            live.clone(),
        ]));
        Ok(Admin {
            args: args.clone(),
            credentials,
            tls,
            store: store.clone(),
            metrics,
            recorder,
            live,
            sink,
        })
    }

    /// The sink the dispatcher logs to: console, metrics and invocation records.
    pub fn sink(&self) -> Arc<dyn LogSink> {
        self.sink.clone()
    }

    /// Deploy the stored uploads (their grant tags applied to `uploads`), bind, print
    /// `admin: http://ADDR` and serve until SIGINT or SIGTERM (then drain like the HTTP
    /// listener).
    pub async fn start(
        self,
        host: Wiring,
        manifest: &fnhost_manifest::Manifest,
    ) -> Result<AdminServer> {
        let Wiring {
            dispatcher,
            state_dir,
            wake,
            drain_timeout,
            shutdown,
            uploads,
            urls,
        } = host;
        // Bound first: the API answers to the address it got (port 0 picks one).
        let listener = fnhost_edge::bind(self.args.admin).with_context(|| {
                format!(
                    "cannot listen on `{}` for the admin API; pick another address with --admin or FNHOST_ADMIN",
                    self.args.admin
                )
            })?;
        let addr = listener
            .local_addr()
            .context("cannot read the admin listener's address")?;
        let mut config = ApiConfig::new(state_dir);
        config.bound = Some(addr);
        config.hosts = self.args.admin_hosts.clone();
        config.body_budget = self.args.admin_body_budget;
        config.body_timeout = Duration::from_secs(self.args.admin_body_timeout_s);
        config.max_connections = self.args.admin_max_connections;
        config.code_storage_limit = self
            .args
            .code_storage_limit
            .unwrap_or(DEFAULT_CODE_STORAGE_LIMIT);
        config.event_queue_limit = self.args.event_queue_limit;
        if let Some(slots) = self.args.packaging_slots {
            config.packaging_slots = usize::try_from(slots).unwrap_or(1);
        }
        config.auth = self.credentials.clone();
        config.drain_timeout = drain_timeout;
        let buckets = uploads
            .buckets
            .as_ref()
            .map_or_else(|| Arc::new(Buckets::default()), |(b, _)| b.clone());
        config.uploads = uploads;
        config.urls = Some(urls);
        let api = Api::new(
            dispatcher,
            self.store.clone(),
            wake,
            self.metrics.clone(),
            Some(self.recorder.clone()),
            config,
        );
        let restored = api
            .restore()
            .await
            .context("cannot deploy the functions uploaded earlier")?;
        if restored > 0 {
            eprintln!("fnhost: deployed {restored} uploaded function version(s)");
        }
        let urls = api
            .serve_urls()
            .await
            .context("cannot serve the function URLs made earlier")?;
        if urls > 0 {
            eprintln!("fnhost: serving {urls} function URL(s) of uploaded functions");
        }
        // A node of a cluster follows what the others change (nothing to follow on SQLite).
        super::follow::spawn(&api, &self.store)?;
        let console = Console::new(
            api.clone(),
            self.store.clone(),
            self.recorder.clone(),
            self.live.clone(),
            ConsoleConfig {
                auth: self.credentials.clone(),
                tls: self.tls.is_some(),
                buckets,
                manifest: Arc::new(manifest.clone()),
            },
        );
        fnhost_console::sampler::spawn(self.metrics.clone(), self.store.clone());
        let scheme = if self.tls.is_some() { "https" } else { "http" };
        println!("admin: {scheme}://{addr}");
        println!("console: {scheme}://{}/console/", console_host(addr));
        if let Some(credentials) = &self.credentials {
            println!(
                "admin: SigV4 signatures required (access key id {})",
                credentials.access_key_id()
            );
        }
        if !self.args.log_retention.is_zero() {
            tokio::spawn(prune(self.store.clone(), self.args.log_retention));
        }
        let handler = AdminHandler::new(api, console.clone());
        // The console's live streams end when the listeners close, so they do not hold the
        // drain open.
        let (closing, stop) = (console.clone(), shutdown.clone());
        tokio::spawn(async move {
            stop.closing().await;
            closing.close();
        });
        let serving = match self.tls {
            Some(tls) => tokio::spawn(fnhost_edge::serve_on(listener, tls, handler, shutdown)),
            None => tokio::spawn(fnhost_edge::serve(listener, handler, shutdown)),
        };
        Ok(AdminServer {
            recorder: self.recorder,
            serving: Some(serving),
            console,
        })
    }
}

/// The address to print for the console: a wildcard bind is reached on loopback.
fn console_host(addr: SocketAddr) -> SocketAddr {
    match addr.ip() {
        std::net::IpAddr::V4(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv4Addr::LOCALHOST, addr.port()))
        }
        std::net::IpAddr::V6(ip) if ip.is_unspecified() => {
            SocketAddr::from((std::net::Ipv6Addr::LOCALHOST, addr.port()))
        }
        _ => addr,
    }
}

/// How often old invocation records and logs are deleted.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Delete invocation records and logs older than `retention`, now and every 10 minutes.
async fn prune(store: Store, retention: Duration) {
    loop {
        let cutoff = crate::commands::logs::since_ms(retention);
        let pruning = store.clone();
        match tokio::task::spawn_blocking(move || pruning.prune(cutoff)).await {
            Ok(Ok(removed)) if removed > 0 => {
                tracing::info!(removed, "pruned old invocation records and logs");
            }
            Ok(Err(err)) => tracing::warn!(%err, "cannot prune old invocation records and logs"),
            _ => {}
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}
