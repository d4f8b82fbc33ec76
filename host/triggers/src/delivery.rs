//! Durable delivery: runs queued jobs (file events, schedules, API `Event` invocations) with
//! retries, a maximum event age, dead letters and the loop guard.
//!
//! A job is in the database before its trigger is acknowledged; the worker claims due jobs,
//! runs each through the [`Dispatcher`] and then removes it, schedules a retry or moves it to
//! the dead letters — each step one transaction. Jobs delivered at the same moment are removed
//! together, in one transaction: on a busy queue a round trip to the store per batch rather than
//! per event, which on PostgreSQL is most of an event's cost. A host killed mid-invocation finds the job
//! still claimed at the next start ([`Store::recover`]) and runs it again: delivery is
//! at-least-once, exactly as Lambda's asynchronous invocations.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use fnhost_core::Batcher;
use fnhost_core::unix_ms;
use fnhost_dispatch::{DispatchError, Dispatcher};
use fnhost_runtime::InvokeRequest;
use fnhost_store::{DeadReason, Job, Store};
use tokio::sync::Notify;

use crate::blocking;

/// How the worker runs jobs.
#[derive(Debug, Clone)]
pub struct DeliveryConfig {
    /// Jobs running at once.
    pub workers: usize,
    /// A chain of events caused by function writes stops at this many hops (Lambda: 16).
    pub loop_hops: u32,
    /// Delay before the first retry; each later retry waits twice as long (Lambda: 1 min, 2 min).
    pub retry_delay: Duration,
    /// How often the queue is checked without a wake-up (jobs written by another process,
    /// e.g. `fnhost dead-letters redrive`).
    pub poll: Duration,
    /// Print one line per dead letter and loop stop on stderr.
    pub notices: bool,
}

impl Default for DeliveryConfig {
    fn default() -> Self {
        Self {
            workers: 8,
            loop_hops: 16,
            retry_delay: Duration::from_secs(60),
            poll: Duration::from_millis(500),
            notices: true,
        }
    }
}

/// The delivery worker. Cheap to clone; [`Delivery::spawn`] starts the loop.
#[derive(Clone)]
pub struct Delivery {
    inner: Arc<Inner>,
}

struct Inner {
    store: Store,
    dispatcher: Arc<Dispatcher>,
    config: DeliveryConfig,
    wake: Arc<Notify>,
    slot_freed: Notify,
    stopping: AtomicBool,
    /// Jobs claimed and not finished: running, or waiting for their removal from the queue.
    in_flight: AtomicUsize,
    /// Jobs whose invocation is running: at most `workers`.
    running: AtomicUsize,
    idle: Notify,
    outstanding: Mutex<HashSet<String>>,
    /// Removes delivered jobs from the queue, many at once ([`Delivery::spawn`] starts it).
    completions: std::sync::OnceLock<Batcher<i64, ()>>,
}

/// Most jobs one completing transaction removes; also how many delivered jobs may wait for
/// their removal before the worker stops claiming more.
const COMPLETION_BATCH: usize = 512;

/// A worker slot: held while a job's invocation runs, given back (and the claim loop woken) when
/// dropped, so the next job runs while this one's removal is still being committed.
struct RunSlot(Arc<Inner>);

impl RunSlot {
    fn take(inner: &Arc<Inner>) -> RunSlot {
        inner.running.fetch_add(1, Ordering::AcqRel);
        RunSlot(Arc::clone(inner))
    }
}

impl Drop for RunSlot {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::AcqRel);
        self.0.slot_freed.notify_one();
    }
}

impl std::fmt::Debug for Delivery {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Delivery")
            .field("config", &self.inner.config)
            .field("in_flight", &self.in_flight())
            .finish_non_exhaustive()
    }
}

impl Delivery {
    /// A worker over `store`'s queue; `wake` is notified by whoever enqueues.
    pub fn new(
        store: Store,
        dispatcher: Arc<Dispatcher>,
        config: DeliveryConfig,
        wake: Arc<Notify>,
    ) -> Self {
        Self {
            inner: Arc::new(Inner {
                store,
                dispatcher,
                config,
                wake,
                slot_freed: Notify::new(),
                stopping: AtomicBool::new(false),
                in_flight: AtomicUsize::new(0),
                running: AtomicUsize::new(0),
                idle: Notify::new(),
                outstanding: Mutex::new(HashSet::new()),
                completions: std::sync::OnceLock::new(),
            }),
        }
    }

    /// The notifier producers call after enqueueing.
    pub fn wake(&self) -> &Arc<Notify> {
        &self.inner.wake
    }

    /// Jobs claimed and not finished: running, or waiting for their removal from the queue.
    pub fn in_flight(&self) -> usize {
        self.inner.in_flight.load(Ordering::Acquire)
    }

    /// Remember that the job with `request_id` is queued (schedules use it to avoid overlap).
    pub fn track(&self, request_id: &str) {
        if let Ok(mut set) = self.inner.outstanding.lock() {
            set.insert(request_id.to_owned());
        }
    }

    /// Whether a tracked job is still queued or running.
    pub fn is_outstanding(&self, request_id: &str) -> bool {
        self.inner
            .outstanding
            .lock()
            .map(|set| set.contains(request_id))
            .unwrap_or(false)
    }

    /// Start the claim loop (and the task that removes delivered jobs) on the current runtime.
    pub fn spawn(&self) -> tokio::task::JoinHandle<()> {
        let (store, dispatcher) = (self.inner.store.clone(), self.inner.dispatcher.clone());
        self.inner.completions.get_or_init(|| {
            Batcher::start(COMPLETION_BATCH, move |ids| {
                complete(&store, &dispatcher, &ids)
            })
        });
        let this = self.clone();
        tokio::spawn(async move { this.run().await })
    }

    /// Stop claiming and wait up to `timeout` for running jobs; returns how many were still
    /// running (they stay claimed and run again after the next start).
    pub async fn shutdown(&self, timeout: Duration) -> usize {
        self.inner.stopping.store(true, Ordering::Release);
        self.inner.wake.notify_one();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let idle = self.inner.idle.notified();
            if self.in_flight() == 0 {
                return 0;
            }
            if tokio::time::timeout_at(deadline, idle).await.is_err() {
                return self.in_flight();
            }
        }
    }

    async fn run(self) {
        let inner = &self.inner;
        loop {
            if inner.stopping.load(Ordering::Acquire) {
                return;
            }
            let slot = inner.slot_freed.notified();
            let workers = inner.config.workers;
            let free = workers
                .saturating_sub(inner.running.load(Ordering::Acquire))
                .min((workers + COMPLETION_BATCH).saturating_sub(self.in_flight()));
            if free == 0 {
                slot.await;
                continue;
            }
            let store = inner.store.clone();
            let claimed = blocking(move || store.claim(unix_ms(), free)).await;
            let jobs = match claimed {
                Ok(jobs) => jobs,
                Err(err) => {
                    tracing::error!(%err, "cannot read the event queue");
                    tokio::time::sleep(inner.config.poll).await;
                    continue;
                }
            };
            let full = jobs.len() == free;
            for job in jobs {
                inner.in_flight.fetch_add(1, Ordering::AcqRel);
                let slot = RunSlot::take(inner);
                let this = self.clone();
                tokio::spawn(async move {
                    this.deliver(job, slot).await;
                    let left = this.inner.in_flight.fetch_sub(1, Ordering::AcqRel) - 1;
                    this.inner.slot_freed.notify_one();
                    if left == 0 {
                        this.inner.idle.notify_waiters();
                    }
                });
            }
            if full {
                continue;
            }
            let store = inner.store.clone();
            let wait = match blocking(move || store.next_due_ms()).await {
                Ok(Some(due)) => {
                    Duration::from_millis(due.saturating_sub(unix_ms())).min(inner.config.poll)
                }
                _ => inner.config.poll,
            };
            tokio::select! {
                () = inner.wake.notified() => {}
                () = tokio::time::sleep(wait) => {}
            }
        }
    }

    /// Run one claimed job to its next state; `slot` is given back once its invocation ended.
    async fn deliver(&self, job: Job, slot: RunSlot) {
        let inner = &self.inner;
        let now = unix_ms();
        if job.lineage.hop >= inner.config.loop_hops {
            let error = format!(
                "loop detected: `{}` was invoked {} times by one chain of object writes (chain {}); \
                 the chain was stopped",
                job.function, job.lineage.hop, job.lineage.chain_id
            );
            drop(slot);
            self.dead(job, error, DeadReason::LoopDetected).await;
            return;
        }
        if now > job.expires_at_ms {
            let age_s = now.saturating_sub(job.enqueued_at_ms) / 1000;
            let error = format!("event is {age_s} s old, past its maximum event age");
            drop(slot);
            self.dead(job, error, DeadReason::EventTooOld).await;
            return;
        }
        let mut request = InvokeRequest::new(job.payload.clone(), job.trigger);
        request.request_id = Some(job.request_id.clone());
        request.lineage = Some(job.lineage.clone());
        let invoked = inner.dispatcher.invoke(&job.function, request).await;
        drop(slot);
        match invoked {
            Ok(invocation) if invocation.outcome.is_ok() => self.finish(job).await,
            Ok(invocation) => {
                let error_type = invocation.outcome.error_type().unwrap_or("Unhandled");
                let message = invocation
                    .outcome
                    .error_message(&invocation.request_id)
                    .unwrap_or_default();
                self.failed(job, format!("{error_type}: {message}")).await;
            }
            Err(DispatchError::Throttled { retry_after, .. }) => {
                // Lambda keeps retrying throttled events until the maximum age; a throttle is
                // not an attempt.
                let id = job.id;
                let store = inner.store.clone();
                let at = now + retry_after.as_millis() as u64;
                if let Err(err) = blocking(move || store.release(id, at)).await {
                    tracing::error!(%err, "cannot requeue a throttled event");
                }
            }
            Err(DispatchError::UnknownFunction { name }) => {
                let error = format!("function `{name}` is not deployed any more");
                self.dead(job, error, DeadReason::FunctionGone).await;
            }
            Err(err) => self.failed(job, err.to_string()).await,
        }
    }

    /// Remove a delivered job from the queue, together with the others delivered meanwhile
    /// (see [`complete`]); returns once it is gone, or once the store refused.
    async fn finish(&self, job: Job) {
        if let Some(completions) = self.inner.completions.get() {
            // `None`: the batching task is gone with its runtime; the job stays and runs again.
            let _ = completions.submit(job.id).await;
        }
        self.untrack(&job.request_id);
    }

    async fn failed(&self, job: Job, error: String) {
        let now = unix_ms();
        if job.attempts < job.max_attempts {
            let factor = 1u32 << job.attempts.saturating_sub(1).min(16);
            let delay = self.inner.config.retry_delay.saturating_mul(factor);
            let at = now + delay.as_millis() as u64;
            if at <= job.expires_at_ms {
                tracing::info!(function = %job.function, request_id = %job.request_id, attempt = job.attempts, %error, "retrying");
                let store = self.inner.store.clone();
                let id = job.id;
                if let Err(err) = blocking(move || store.retry(id, &error, at)).await {
                    tracing::error!(%err, "cannot schedule a retry");
                }
                return;
            }
        }
        self.dead(job, error, DeadReason::RetriesExhausted).await;
    }

    async fn dead(&self, job: Job, error: String, reason: DeadReason) {
        let (store, dispatcher) = (self.inner.store.clone(), self.inner.dispatcher.clone());
        let (id, text) = (job.id, error.clone());
        let result = blocking(move || {
            // The last attempt's record first, as for a delivered job.
            dispatcher.flush_logs();
            store.dead_letter(id, &text, reason, unix_ms())
        })
        .await;
        self.untrack(&job.request_id);
        match result {
            Ok(dead_id) => {
                tracing::warn!(function = %job.function, request_id = %job.request_id, reason = reason.as_str(), %error, dead_id, "dead letter");
                if self.inner.config.notices {
                    let what = match reason {
                        DeadReason::LoopDetected => "stopped a loop".to_owned(),
                        _ => format!("gave up after {} attempt(s)", job.attempts),
                    };
                    eprintln!(
                        "fnhost: `{}` {what} on event {} ({}): {error}; saved as dead letter #{dead_id} \
                         (`fnhost dead-letters redrive {dead_id}` runs it again)",
                        job.function,
                        job.request_id,
                        reason.as_str(),
                    );
                }
            }
            Err(err) => tracing::error!(%err, "cannot write a dead letter"),
        }
    }

    /// Forget a tracked job (it finished, or was never queued).
    pub fn untrack(&self, request_id: &str) {
        if let Ok(mut set) = self.inner.outstanding.lock() {
            set.remove(request_id);
        }
    }
}

/// Removes a batch of delivered jobs from the queue ([`COMPLETION_BATCH`] at most, those
/// delivered while the previous batch was written): commits the invocation records of those
/// events first (one flush of the log sinks, so a delivered event never leaves the queue
/// without its record), then the jobs in one transaction. A failed write leaves its jobs
/// queued: they run again, as after a crash before the removal.
fn complete(store: &Store, dispatcher: &Dispatcher, ids: &[i64]) -> Vec<()> {
    dispatcher.flush_logs();
    if let Err(err) = store.complete(ids) {
        let count = ids.len();
        tracing::error!(%err, count, "cannot mark events delivered; they will run again");
    }
    vec![(); ids.len()]
}
