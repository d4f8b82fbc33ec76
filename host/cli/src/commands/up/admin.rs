//! The admin listener of `fnhost up`: the Lambda REST API and `/metrics`, with SigV4 auth off
//! loopback. Also where every invocation's log is fanned out: the console, the metrics and the
//! store (invocation records for `fnhost logs` and `fnhost usage`).

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result, bail};
use clap::ArgAction;
use clap::builder::BoolishValueParser;
use fnhost_api::{Api, ApiConfig, Credentials, DEFAULT_CODE_STORAGE_LIMIT, Metrics, RecordSink};
use fnhost_dispatch::{Dispatcher, LogSink, Tee};
use fnhost_store::{Recorder, Store};
use tokio::sync::Notify;

/// The environment variables holding the credentials requests must be signed with.
pub const ACCESS_KEY_ENV: &str = "FNHOST_ACCESS_KEY_ID";
/// The secret's variable; its value is never printed or logged.
pub const SECRET_KEY_ENV: &str = "FNHOST_SECRET_ACCESS_KEY";

/// Flags of the admin listener.
#[derive(Debug, Clone, clap::Args)]
pub struct AdminArgs {
    /// Address of the admin listener (Lambda API and /metrics), `ip:port` (default
    /// `127.0.0.1:9000`; port 0 picks a free one). Off loopback every request must be
    /// SigV4-signed with FNHOST_ACCESS_KEY_ID / FNHOST_SECRET_ACCESS_KEY.
    #[arg(long = "admin", env = "FNHOST_ADMIN", default_value = "127.0.0.1:9000")]
    pub admin: SocketAddr,
    /// Require SigV4 signatures on a loopback admin listener too (needs FNHOST_ACCESS_KEY_ID
    /// and FNHOST_SECRET_ACCESS_KEY).
    #[arg(long = "admin-auth", env = "FNHOST_ADMIN_AUTH", action = ArgAction::SetTrue, value_parser = BoolishValueParser::new())]
    pub admin_auth: bool,
    /// Most bytes of uploaded code kept, over all functions and versions (default 75 GiB,
    /// Lambda's code storage quota); uploads past it get CodeStorageExceededException.
    #[arg(long, env = "FNHOST_CODE_STORAGE_LIMIT")]
    pub code_storage_limit: Option<u64>,
    /// How long invocation records and their logs are kept (`30m`, `12h`, `7d`; `0` keeps
    /// them forever). Older ones are deleted at start and every 10 minutes.
    #[arg(long, env = "FNHOST_LOG_RETENTION", default_value = "7d", value_parser = crate::commands::logs::parse_since)]
    pub log_retention: Duration,
}

/// The admin listener, configured and with its sinks, before it binds.
pub struct Admin {
    args: AdminArgs,
    credentials: Option<Credentials>,
    store: Store,
    metrics: Arc<Metrics>,
    recorder: Arc<Recorder>,
    sink: Arc<dyn LogSink>,
}

/// The running admin listener.
pub struct AdminServer {
    recorder: Arc<Recorder>,
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
    /// and wrap `console` with the metrics and the store.
    pub fn prepare(args: &AdminArgs, store: &Store, console: Arc<dyn LogSink>) -> Result<Admin> {
        let configured = credentials()?;
        let loopback = args.admin.ip().is_loopback();
        let credentials = match (configured, loopback, args.admin_auth) {
            (None, false, _) => bail!(
                "the admin listener `{}` is not on loopback, so every request must be SigV4-signed, but no credentials are configured: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}, or keep --admin on 127.0.0.1",
                args.admin
            ),
            (None, true, true) => {
                bail!("--admin-auth needs credentials: set {ACCESS_KEY_ENV} and {SECRET_KEY_ENV}")
            }
            (Some(c), false, _) | (Some(c), true, true) => Some(c),
            (_, true, false) => None,
        };
        let metrics = Arc::new(Metrics::new());
        let recorder = Arc::new(Recorder::start(store.clone()));
        let sink: Arc<dyn LogSink> = Arc::new(Tee::new(vec![
            console,
            metrics.clone(),
            Arc::new(RecordSink::new(recorder.clone())),
        ]));
        Ok(Admin {
            args: args.clone(),
            credentials,
            store: store.clone(),
            metrics,
            recorder,
            sink,
        })
    }

    /// The sink the dispatcher logs to: console, metrics and invocation records.
    pub fn sink(&self) -> Arc<dyn LogSink> {
        self.sink.clone()
    }

    /// Deploy the stored uploads, bind, print `admin: http://ADDR` and serve until SIGINT or
    /// SIGTERM (then drain like the HTTP listener).
    pub async fn start(
        self,
        dispatcher: Arc<Dispatcher>,
        state_dir: PathBuf,
        wake: Arc<Notify>,
        drain_timeout: Duration,
    ) -> Result<AdminServer> {
        let mut config = ApiConfig::new(state_dir);
        config.code_storage_limit = self
            .args
            .code_storage_limit
            .unwrap_or(DEFAULT_CODE_STORAGE_LIMIT);
        config.auth = self.credentials.clone();
        config.drain_timeout = drain_timeout;
        let api = Arc::new(Api::new(
            dispatcher,
            self.store.clone(),
            wake,
            self.metrics.clone(),
            Some(self.recorder.clone()),
            config,
        ));
        let restored = api
            .restore()
            .await
            .context("cannot deploy the functions uploaded earlier")?;
        if restored > 0 {
            eprintln!("fnhost: deployed {restored} uploaded function version(s)");
        }
        let listener = tokio::net::TcpListener::bind(self.args.admin)
            .await
            .with_context(|| {
                format!(
                    "cannot listen on `{}` for the admin API; pick another address with --admin or FNHOST_ADMIN",
                    self.args.admin
                )
            })?;
        let addr = listener
            .local_addr()
            .context("cannot read the admin listener's address")?;
        println!("admin: http://{addr}");
        if let Some(credentials) = &self.credentials {
            println!(
                "admin: SigV4 signatures required (access key id {})",
                credentials.access_key_id()
            );
        }
        if !self.args.log_retention.is_zero() {
            tokio::spawn(prune(self.store.clone(), self.args.log_retention));
        }
        tokio::spawn(async move {
            let drained = fnhost_edge::serve(listener, api, super::signals()).await;
            if drained.abandoned > 0 {
                eprintln!(
                    "fnhost: admin API stopped with {} request(s) still running",
                    drained.abandoned
                );
            }
        });
        Ok(AdminServer {
            recorder: self.recorder,
        })
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
