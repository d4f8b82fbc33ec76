//! The cluster singletons of `fnhost up`: the bucket watcher and the scheduler each run on the
//! one node holding their lease in the store (trivially this host on SQLite), and move to
//! another node within `lease_s` when that one dies (`fnhost_triggers::singleton`).
//!
//! Settings: `--lease-s` / `FNHOST_LEASE_S` / `[cluster] lease_s` (default 10) and
//! `--rescan-s` / `FNHOST_RESCAN_S` / `[events] rescan_s` (default 0, off, on one machine;
//! 5 when the store is shared, as buckets then live on a network filesystem whose other
//! machines' writes inotify does not report).

use std::time::Duration;

use anyhow::{Result, bail};
use chrono::DateTime;
use fnhost_manifest::{ClusterConfig, EventsConfig, Manifest};
use fnhost_store::{Location, Store};
use fnhost_triggers::singleton::{self, SingletonConfig, SingletonHandle, Takeover};
use fnhost_triggers::{FsTrigger, Scheduler};

/// The lease of the bucket watcher.
pub const WATCHER_LEASE: &str = "bucket-watcher";
/// The lease of the scheduler.
pub const SCHEDULER_LEASE: &str = "scheduler";

/// Flags of the cluster singletons.
#[derive(Debug, Clone, clap::Args)]
pub struct ClusterArgs {
    /// Seconds within which another node takes over the bucket watcher and the scheduler when
    /// the node running them dies (their lease in the store; default 10, 1 to 600).
    #[arg(long, env = "FNHOST_LEASE_S", value_name = "SECONDS")]
    pub lease_s: Option<u32>,
    /// Seconds between rescans of the watched buckets against their checkpoints, for writes
    /// inotify does not see (other machines' writes on NFS, EFS, CephFS); 0 = only at start-up
    /// (default 0 on one machine, 5 when the store is PostgreSQL).
    #[arg(long, env = "FNHOST_RESCAN_S", value_name = "SECONDS")]
    pub rescan_s: Option<u32>,
}

/// The resolved settings: defaults < fnhost.toml < environment < flags.
#[derive(Debug, Clone)]
pub struct Cluster {
    /// This process's lease holder name.
    pub holder: String,
    /// Whether the store is shared by the nodes of a cluster (PostgreSQL).
    pub shared: bool,
    /// The failover bound.
    pub lease: Duration,
    /// The buckets' periodic rescan, if any.
    pub rescan: Option<Duration>,
}

impl Cluster {
    /// Combine the flags with the manifest for node `node` on `store`.
    pub fn resolve(
        args: &ClusterArgs,
        manifest: &Manifest,
        node: &str,
        store: &Store,
    ) -> Result<Self> {
        let shared = matches!(store.location(), Location::Server(_));
        let lease_s = args
            .lease_s
            .or(manifest.cluster.lease_s)
            .unwrap_or(ClusterConfig::DEFAULT_LEASE_S);
        let range = ClusterConfig::LEASE_S_RANGE;
        if !range.contains(&lease_s) {
            bail!(
                "--lease-s must be from {} to {}, got {lease_s}",
                range.start(),
                range.end()
            );
        }
        let default_rescan = if shared {
            EventsConfig::DEFAULT_SHARED_RESCAN_S
        } else {
            0
        };
        let rescan_s = args
            .rescan_s
            .or(manifest.events.rescan_s)
            .unwrap_or(default_rescan);
        let range = EventsConfig::RESCAN_S_RANGE;
        if !range.contains(&rescan_s) {
            bail!(
                "--rescan-s must be from {} to {}, got {rescan_s}",
                range.start(),
                range.end()
            );
        }
        Ok(Cluster {
            holder: singleton::holder(node, shared),
            shared,
            lease: Duration::from_secs(lease_s.into()),
            rescan: (rescan_s > 0).then(|| Duration::from_secs(rescan_s.into())),
        })
    }

    fn config(&self, name: &str) -> SingletonConfig {
        SingletonConfig {
            name: name.to_owned(),
            holder: self.holder.clone(),
            lease: self.lease,
        }
    }

    /// Say in a cluster (not on one machine, where it is always this host) that this node took
    /// a singleton over.
    fn took_over(&self, what: &str, takeover: &Takeover) {
        if !self.shared {
            return;
        }
        match &takeover.previous {
            Some(previous) => eprintln!(
                "fnhost: {} runs the {what} now (taken over from {})",
                self.holder, previous.holder
            ),
            None => eprintln!("fnhost: {} runs the {what} now", self.holder),
        }
    }
}

/// Run the bucket watcher of `trigger` while this node holds its lease. A node taking it over
/// starts with the reconciliation against the shared checkpoints.
pub fn watcher(store: &Store, cluster: &Cluster, trigger: FsTrigger) -> SingletonHandle {
    let told = cluster.clone();
    singleton::spawn(
        store.clone(),
        cluster.config(WATCHER_LEASE),
        move |takeover: &Takeover| {
            told.took_over("bucket watcher", takeover);
            trigger.clone().start()
        },
    )
}

/// Run the schedules while this node holds the scheduler's lease. In a cluster the rate rules
/// count from the Unix epoch, and a node taking over fires the ticks missed since the previous
/// holder's last renewal (each claimed first, so none fires twice).
pub fn scheduler(store: &Store, cluster: &Cluster, scheduler: Scheduler) -> SingletonHandle {
    let scheduler = scheduler.aligned(cluster.shared);
    let told = cluster.clone();
    let runtime = tokio::runtime::Handle::current();
    singleton::spawn(
        store.clone(),
        cluster.config(SCHEDULER_LEASE),
        move |takeover: &Takeover| {
            told.took_over("scheduler", takeover);
            let from = takeover
                .follows()
                .and_then(|ms| DateTime::from_timestamp_millis(i64::try_from(ms).ok()?));
            let _entered = runtime.enter();
            Ok::<_, std::convert::Infallible>(scheduler.start_from(from))
        },
    )
}
