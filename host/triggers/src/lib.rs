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

pub mod clock;
pub mod delivery;
pub mod fs;
pub mod schedule;

pub use delivery::{Delivery, DeliveryConfig, source};
pub use fs::{FsTrigger, FsTriggerConfig};
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
        source: &str,
        request_id: String,
        chain: (String, u32),
    ) -> fnhost_store::NewJob {
        let now = clock::unix_ms();
        fnhost_store::NewJob {
            function: self.function.clone(),
            payload,
            source: source.to_owned(),
            request_id,
            max_attempts: self.max_attempts,
            enqueued_at_ms: now,
            expires_at_ms: now + self.max_age_ms,
            not_before_ms: now,
            chain_id: chain.0,
            hop: chain.1,
        }
    }
}

/// Run blocking store or filesystem work off the async workers.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, fnhost_store::StoreError> + Send + 'static,
) -> Result<T, fnhost_store::StoreError> {
    match tokio::task::spawn_blocking(work).await {
        Ok(result) => result,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        // Cancelled: the runtime is shutting down.
        Err(_) => std::future::pending().await,
    }
}
