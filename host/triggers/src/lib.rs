//! fnhost's asynchronous triggers: file watch (the S3 stand-in), schedules (the EventBridge
//! stand-in) and the durable delivery worker they — and the Lambda API's `Event` invocations —
//! share.
//!
//! The path of one file event: inotify (via `notify`) reports a write, the [`fs`] watcher waits
//! until the write is complete (close-after-write, a rename into the bucket, or a quiet period),
//! compares the file with its stored checkpoint and, in one transaction, queues one job per
//! matching function and moves the checkpoint. The [`delivery`] worker then runs each job with
//! retries, a maximum event age, dead letters and a loop guard. At start-up the watcher
//! reconciles every bucket against its checkpoints, so files that changed while the host was
//! down are delivered once.
//!
//! In a cluster the watcher and the scheduler are [`singleton`]s: each runs on the one node
//! holding its lease in the shared store, and moves to another node when that one dies.

pub mod delivery;
pub mod fs;
pub mod schedule;
pub mod singleton;

pub use delivery::{Delivery, DeliveryConfig};
pub use fs::{FsTrigger, FsTriggerConfig};

pub(crate) use fnhost_core::blocking;
use fnhost_core::{Lineage, Trigger, unix_ms};
pub use schedule::Scheduler;

/// One function's interest in one trigger, with the function's async delivery settings.
#[derive(Debug, Clone)]
pub(crate) struct Subscription<T> {
    pub function: String,
    pub trigger: T,
    pub max_attempts: u32,
    pub max_age_ms: u64,
}

impl<T: Clone + 'static> Subscription<T> {
    /// Every trigger `pick` finds on the manifest's functions.
    pub fn all<'m>(
        manifest: &'m fnhost_manifest::Manifest,
        pick: impl Fn(&'m fnhost_manifest::FunctionConfig) -> Vec<&'m T>,
    ) -> Vec<Self> {
        manifest
            .functions
            .values()
            .flat_map(|f| {
                pick(f).into_iter().map(move |trigger| Subscription {
                    function: f.name.clone(),
                    trigger: trigger.clone(),
                    max_attempts: f.async_config.retries + 1,
                    max_age_ms: u64::from(f.async_config.max_event_age_s) * 1000,
                })
            })
            .collect()
    }

    /// A job for this function, due now, expiring after the function's maximum event age.
    pub fn job(
        &self,
        payload: Vec<u8>,
        trigger: Trigger,
        request_id: String,
        lineage: Lineage,
    ) -> fnhost_store::NewJob {
        let now = unix_ms();
        fnhost_store::NewJob {
            function: self.function.clone(),
            payload,
            trigger,
            request_id,
            max_attempts: self.max_attempts,
            enqueued_at_ms: now,
            expires_at_ms: now + self.max_age_ms,
            not_before_ms: now,
            lineage,
        }
    }
}
