//! Starting the asynchronous side of `fnhost up`: the delivery worker, the file watch over
//! the buckets and the schedules.

use std::sync::Arc;
use std::time::Duration;

use anyhow::{Context as _, Result};
use fnhost_dispatch::Dispatcher;
use fnhost_manifest::Manifest;
use fnhost_store::Store;
use fnhost_triggers::fs::FsHandle;
use fnhost_triggers::schedule::SchedulerHandle;
use fnhost_triggers::{Delivery, DeliveryConfig, FsTrigger, FsTriggerConfig, Scheduler};
use tokio::sync::Notify;

use crate::project::Objects;

/// The running triggers.
#[derive(Debug)]
pub struct Triggers {
    delivery: Delivery,
    fs: Option<FsHandle>,
    schedules: Option<SchedulerHandle>,
}

/// Recover interrupted jobs, then start delivery, the file watch and the schedules.
pub async fn start(
    manifest: &Manifest,
    store: &Store,
    dispatcher: Arc<Dispatcher>,
    objects: &Objects,
    wake: Arc<Notify>,
    quiet: bool,
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
        },
    )
    .start()
    .context("cannot start the file watch")?;
    if !quiet {
        for name in fs.watched() {
            let functions: Vec<&str> = manifest
                .functions
                .values()
                .filter(|f| f.s3.iter().any(|t| &t.bucket == name))
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
    let schedules = scheduler.start();
    if !quiet {
        for f in manifest.functions.values() {
            for s in f.schedules.iter().filter(|s| s.enabled) {
                println!("schedule `{}` {} -> {}", s.name, s.expression, f.name);
            }
        }
    }
    Ok(Triggers {
        delivery,
        fs: Some(fs),
        schedules: Some(schedules),
    })
}

impl Triggers {
    /// Stop the schedules and the file watch, then wait up to `timeout` for running jobs.
    /// Returns how many were still running; they run again after the next start.
    pub async fn shutdown(mut self, timeout: Duration) -> usize {
        drop(self.schedules.take());
        if let Some(fs) = self.fs.take() {
            let _ = tokio::task::spawn_blocking(move || fs.stop()).await;
        }
        self.delivery.shutdown(timeout).await
    }
}
