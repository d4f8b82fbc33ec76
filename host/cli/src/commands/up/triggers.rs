//! Starting the asynchronous side of `fnhost up`: the delivery worker, the file watch over
//! the buckets and the schedules. The file watch and the schedules are cluster singletons
//! (`super::singletons`): they run while this node holds their lease.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use fnhost_dispatch::Dispatcher;
use fnhost_manifest::Manifest;
use fnhost_store::Store;
use fnhost_triggers::singleton::SingletonHandle;
use fnhost_triggers::{Delivery, DeliveryConfig, FsTrigger, FsTriggerConfig, Scheduler};
use tokio::sync::Notify;

use super::singletons::{self, Cluster};
use crate::project::Objects;

/// How long `fnhost up` on one machine waits for the file watch and the schedules to start.
const STARTING: Duration = Duration::from_secs(10);

/// The running triggers.
#[derive(Debug)]
pub struct Triggers {
    delivery: Delivery,
    fs: Option<SingletonHandle>,
    schedules: Option<SingletonHandle>,
}

/// Recover interrupted jobs, then start delivery, the file watch and the schedules.
pub async fn start(
    manifest: &Manifest,
    store: &Store,
    dispatcher: Arc<Dispatcher>,
    objects: &Objects,
    wake: Arc<Notify>,
    quiet: bool,
    cluster: &Cluster,
) -> Result<Triggers> {
    let recovering = store.clone();
    let resumed = tokio::task::spawn_blocking(move || recovering.recover())
        .await
        .context("recovering the event queue panicked")?
        .context("cannot recover the event queue")?;
    let queued = store.queue_depth().context("cannot read the event queue")?;
    if queued > 0 {
        eprintln!(
            "fnhost: {queued} queued event(s) to deliver ({resumed} were running when the host stopped)"
        );
    }
    let events = &manifest.events;
    let delivery = Delivery::new(
        store.clone(),
        dispatcher,
        DeliveryConfig {
            workers: events.workers as usize,
            loop_hops: events.loop_hops,
            retry_delay: Duration::from_millis(events.retry_delay_ms),
            notices: true,
            ..DeliveryConfig::default()
        },
        wake.clone(),
    );
    delivery.spawn();

    let fs = FsTrigger::from_manifest(
        manifest,
        objects.buckets.clone(),
        objects.journal.clone(),
        store.clone(),
        wake,
        FsTriggerConfig {
            quiet: Duration::from_millis(events.quiet_ms),
            settle: Duration::from_millis(events.quiet_ms),
            rescan: cluster.rescan,
        },
    );
    let fs = (!fs.is_empty()).then(|| singletons::watcher(store, cluster, fs));
    if !quiet {
        let mut watched: Vec<&str> = Vec::new();
        for t in manifest.functions.values().flat_map(|f| &f.s3) {
            if !watched.contains(&t.bucket.as_str()) && objects.buckets.get(&t.bucket).is_some() {
                watched.push(&t.bucket);
            }
        }
        for name in watched {
            let functions: Vec<&str> = manifest
                .functions
                .values()
                .filter(|f| f.s3.iter().any(|t| t.bucket == name))
                .map(|f| f.name.as_str())
                .collect();
            let path = manifest
                .buckets
                .get(name)
                .map(|b| b.path.display().to_string())
                .unwrap_or_default();
            println!("bucket `{name}` ({path}) -> {}", functions.join(", "));
        }
    }
    let scheduler = Scheduler::from_manifest(manifest, store.clone(), delivery.clone(), !quiet);
    let schedules =
        (!scheduler.is_empty()).then(|| singletons::scheduler(store, cluster, scheduler));
    if !quiet {
        for f in manifest.functions.values() {
            for s in f.schedules.iter().filter(|s| s.enabled) {
                println!("schedule `{}` {} -> {}", s.name, s.expression, f.name);
            }
        }
    }
    // On one machine the lease is this host's at once: wait for the watcher and the schedules
    // to run, as before there were leases, so that nothing written right after start-up is
    // missed by the file watch. (A watcher that cannot start says why and tries again later.)
    if !cluster.shared {
        for handle in fs.iter().chain(&schedules) {
            let mut holding = handle.holding();
            let _ = tokio::time::timeout(STARTING, holding.wait_for(|held| *held)).await;
        }
    }
    Ok(Triggers {
        delivery,
        fs,
        schedules,
    })
}

impl Triggers {
    /// Stop the schedules and the file watch and give their leases up (another node takes
    /// them over at once), then wait up to `timeout` for running jobs. Returns how many were
    /// still running; they run again after the next start.
    pub async fn shutdown(mut self, timeout: Duration) -> usize {
        let schedules = self.schedules.take();
        let fs = self.fs.take();
        tokio::join!(
            async {
                if let Some(s) = schedules {
                    s.stop().await;
                }
            },
            async {
                if let Some(f) = fs {
                    f.stop().await;
                }
            }
        );
        self.delivery.shutdown(timeout).await
    }
}
