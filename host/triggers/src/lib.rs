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
