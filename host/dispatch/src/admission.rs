//! Admission: how many invocations may run at once, and what happens to the rest.
//!
//! Like Lambda's account concurrency, there is one global limit (`max_concurrency`, which also
//! sizes the engine's instance pool so a full pool is never a request error). A function with
//! `reserved_concurrency` gets its own [`Gate`] carved out of that limit: it can always run
//! that many instances and never more. All other functions share the rest. An invocation that
//! finds its gate full waits in a bounded queue for at most `queue_timeout`; past that, or when
//! the queue itself is full, it is throttled (HTTP 429 with `Retry-After`), never failed.
//!
//! The reservations must leave at least one slot shared ([`check_reservations`], the one rule
//! for start-up, reload and the API alike): functions without a reservation, uploaded ones
//! included, always have somewhere to run, and the gates never add up to more than the pool.
//! The manifest's reservations and those of uploaded functions (PutFunctionConcurrency) are
//! kept apart, so a reload of the manifest leaves the uploads' slots set aside. A reservation
//! of 0 is Lambda's "stop" switch: every invocation is throttled at once.

use std::fmt;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Limits of the dispatcher.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AdmissionConfig {
    /// Most invocations running at once, over all functions.
    pub max_concurrency: u32,
    /// Most invocations waiting for a slot at once, over all functions.
    pub queue_depth: u32,
    /// Longest wait for a slot before the invocation is throttled.
    pub queue_timeout: Duration,
}

impl Default for AdmissionConfig {
    fn default() -> Self {
        Self {
            max_concurrency: 100,
            queue_depth: 1000,
            queue_timeout: Duration::from_millis(1000),
        }
    }
}

/// Reservations that do not leave a shared slot under `max_concurrency`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error(
    "reserved_concurrency adds up to {reserved} but max_concurrency is {max}; raise \
     max_concurrency (--max-concurrency or [http] max_concurrency) or lower a function's \
     reserved_concurrency so at least one slot is left for the functions without a reservation \
     (including those uploaded through the API)"
)]
pub struct OverReserved {
    /// The sum of the reservations.
    pub reserved: u32,
    /// The global limit.
    pub max: u32,
}

/// The one rule for reservations: they add up to less than `max_concurrency`. Returns their
/// sum.
pub fn check_reservations(
    max_concurrency: u32,
    reservations: impl IntoIterator<Item = u32>,
) -> Result<u32, OverReserved> {
    let reserved = reservations
        .into_iter()
        .fold(0u32, |sum, n| sum.saturating_add(n));
    if reserved >= max_concurrency {
        return Err(OverReserved {
            reserved,
            max: max_concurrency,
        });
    }
    Ok(reserved)
}

/// Which limit throttled an invocation, spelled as Lambda's `Reason` field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum ThrottleReason {
    /// The shared (unreserved) concurrency was in use for the whole queue timeout.
    ConcurrentInvocationLimitExceeded,
    /// The function's reserved concurrency was in use for the whole queue timeout.
    ReservedFunctionConcurrentInvocationLimitExceeded,
    /// Too many invocations were already waiting.
    QueueFull,
}

impl ThrottleReason {
    /// The `Reason` value of Lambda's `TooManyRequestsException`.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ConcurrentInvocationLimitExceeded => "ConcurrentInvocationLimitExceeded",
            Self::ReservedFunctionConcurrentInvocationLimitExceeded => {
                "ReservedFunctionConcurrentInvocationLimitExceeded"
            }
            // Lambda has no queue in front of a sync invoke; the closest reason is the limit.
            Self::QueueFull => "ConcurrentInvocationLimitExceeded",
        }
    }
}

impl fmt::Display for ThrottleReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::QueueFull => f.write_str("too many invocations waiting for a free instance"),
            Self::ConcurrentInvocationLimitExceeded => {
                f.write_str("concurrency limit reached and no instance freed up in time")
            }
            Self::ReservedFunctionConcurrentInvocationLimitExceeded => f.write_str(
                "reserved concurrency of the function reached and no instance freed up in time",
            ),
        }
    }
}

/// A pool of concurrency slots: the shared one, or a function's reserved one.
#[derive(Debug)]
pub struct Gate {
    slots: Arc<Semaphore>,
    size: AtomicU32,
    reserved: bool,
}

impl Gate {
    fn new(size: u32, reserved: bool) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(size as usize)),
            size: AtomicU32::new(size),
            reserved,
        }
    }

    /// Slots in this gate.
    pub fn size(&self) -> u32 {
        self.size.load(Ordering::Acquire)
    }

    /// Slots in use now.
    pub fn in_use(&self) -> u32 {
        self.size()
            .saturating_sub(self.slots.available_permits() as u32)
    }

    /// Grow or shrink the gate to `size` slots. Shrinking takes free slots at once and the
    /// rest as running invocations end (waiting invocations queue behind that), so the gate
    /// never lets more than `size` run once the running ones are done.
    fn resize(&self, size: u32) {
        let old = self.size.swap(size, Ordering::AcqRel);
        if size > old {
            self.slots.add_permits((size - old) as usize);
        } else if old > size {
            let excess = old - size;
            let taken = self.slots.forget_permits(excess as usize) as u32;
            if taken < excess {
                let slots = self.slots.clone();
                tokio::spawn(async move {
                    if let Ok(permits) = slots.acquire_many_owned(excess - taken).await {
                        permits.forget();
                    }
                });
            }
        }
    }

    /// Whether this is a function's reserved gate.
    pub fn is_reserved(&self) -> bool {
        self.reserved
    }
}

/// The shared gate's size under `max` with `reserved` set aside (never zero, even for
/// reservations that were not checked).
fn shared_slots(max: u32, reserved: u32) -> u32 {
    max.saturating_sub(reserved).max(1)
}

/// A running invocation's slot; freed on drop.
#[derive(Debug)]
pub struct Permit {
    _slot: OwnedSemaphorePermit,
}

/// The concurrency limits and the wait queue.
#[derive(Debug)]
pub struct Admission {
    config: AdmissionConfig,
    shared: Arc<Gate>,
    /// Slots set aside: by the manifest's reservations, and by uploaded functions'.
    reserved: Mutex<Reserved>,
    waiting: Arc<AtomicUsize>,
}

/// What the reservations of each kind take.
#[derive(Debug, Clone, Copy, Default)]
struct Reserved {
    manifest: u32,
    api: u32,
}

impl Reserved {
    fn total(self) -> u32 {
        self.manifest.saturating_add(self.api)
    }
}

/// Decrements the waiting count however the wait ends (admitted, timed out, or cancelled
/// because the client went away).
struct Waiting(Arc<AtomicUsize>);

impl Drop for Waiting {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Admission {
    /// Limits with `reserved` slots set aside for functions with reserved concurrency (checked
    /// by [`check_reservations`]); the shared gate gets the rest.
    pub fn new(config: AdmissionConfig, reserved: u32) -> Self {
        let shared = shared_slots(config.max_concurrency, reserved);
        Self {
            config,
            shared: Arc::new(Gate::new(shared, false)),
            reserved: Mutex::new(Reserved {
                manifest: reserved,
                api: 0,
            }),
            waiting: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// The limits.
    pub fn config(&self) -> &AdmissionConfig {
        &self.config
    }

    /// The gate a function runs behind: its own for reserved concurrency (of 0 slots for a
    /// reservation of 0, which throttles every invocation), else the shared one.
    pub fn gate(&self, reserved_concurrency: Option<u32>) -> Arc<Gate> {
        match reserved_concurrency {
            Some(n) => Arc::new(Gate::new(n, true)),
            None => self.shared.clone(),
        }
    }

    /// The shared gate.
    pub fn shared(&self) -> &Arc<Gate> {
        &self.shared
    }

    /// Set aside `reserved` slots for the manifest's functions (a reload changed the
    /// reservations, already checked by [`check_reservations`]): the shared gate grows or
    /// shrinks to what they and the uploads' reservations leave.
    pub fn set_reserved(&self, reserved: u32) {
        self.update_reserved(|r| r.manifest = reserved);
    }

    /// Set aside `reserved` slots for uploaded functions (the sum of their reservations,
    /// checked by [`check_reservations`] together with [`Admission::reserved_by_manifest`]).
    pub fn set_api_reserved(&self, reserved: u32) {
        self.update_reserved(|r| r.api = reserved);
    }

    /// The slots the manifest's functions reserve.
    pub fn reserved_by_manifest(&self) -> u32 {
        self.lock_reserved().manifest
    }

    /// The slots uploaded functions reserve.
    pub fn reserved_by_api(&self) -> u32 {
        self.lock_reserved().api
    }

    fn lock_reserved(&self) -> std::sync::MutexGuard<'_, Reserved> {
        // Two plain integers: a panic elsewhere cannot leave them half-written.
        self.reserved.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Change the reservations and resize the shared gate under one lock, so two changes at
    /// once cannot leave it sized for only one of them.
    fn update_reserved(&self, change: impl FnOnce(&mut Reserved)) {
        let mut reserved = self.lock_reserved();
        change(&mut reserved);
        self.shared
            .resize(shared_slots(self.config.max_concurrency, reserved.total()));
    }

    /// Invocations waiting for a slot now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::Acquire)
    }

    /// Take a slot of `gate`, waiting up to the queue timeout.
    pub async fn admit(&self, gate: &Gate) -> Result<Permit, ThrottleReason> {
        if let Ok(slot) = gate.slots.clone().try_acquire_owned() {
            return Ok(Permit { _slot: slot });
        }
        if gate.reserved && gate.size() == 0 {
            // Reserved concurrency 0: no slot will ever free up, so no wait.
            return Err(ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded);
        }
        let queued = self.waiting.fetch_add(1, Ordering::AcqRel);
        let _waiting = Waiting(self.waiting.clone());
        if queued >= self.config.queue_depth as usize {
            return Err(ThrottleReason::QueueFull);
        }
        match tokio::time::timeout(
            self.config.queue_timeout,
            gate.slots.clone().acquire_owned(),
        )
        .await
        {
            Ok(Ok(slot)) => Ok(Permit { _slot: slot }),
            // The semaphore is never closed; treat it like a timeout all the same.
            Ok(Err(_)) | Err(_) => Err(if gate.reserved {
                ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded
            } else {
                ThrottleReason::ConcurrentInvocationLimitExceeded
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(max: u32, depth: u32, timeout_ms: u64) -> AdmissionConfig {
        AdmissionConfig {
            max_concurrency: max,
            queue_depth: depth,
            queue_timeout: Duration::from_millis(timeout_ms),
        }
    }

    #[tokio::test(start_paused = true)]
    async fn waits_then_throttles_when_the_gate_stays_full() {
        let admission = Admission::new(config(1, 10, 500), 0);
        let gate = admission.shared().clone();
        let held = admission.admit(&gate).await.unwrap();
        assert_eq!(gate.in_use(), 1);
        let err = admission.admit(&gate).await.unwrap_err();
        assert_eq!(err, ThrottleReason::ConcurrentInvocationLimitExceeded);
        assert_eq!(admission.waiting(), 0);
        drop(held);
        assert_eq!(gate.in_use(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_queued_invocation_runs_when_a_slot_frees() {
        let admission = Arc::new(Admission::new(config(1, 10, 500), 0));
        let gate = admission.shared().clone();
        let held = admission.admit(&gate).await.unwrap();
        let (a, g) = (admission.clone(), gate.clone());
        let waiter = tokio::spawn(async move { a.admit(&g).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(100)).await;
        assert_eq!(admission.waiting(), 1);
        drop(held);
        assert_eq!(waiter.await.unwrap(), Ok(()));
        assert_eq!(admission.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_full_queue_throttles_at_once() {
        let admission = Arc::new(Admission::new(config(1, 1, 10_000), 0));
        let gate = admission.shared().clone();
        let _held = admission.admit(&gate).await.unwrap();
        let (a, g) = (admission.clone(), gate.clone());
        let _first = tokio::spawn(async move { a.admit(&g).await.map(|_| ()) });
        tokio::time::sleep(Duration::from_millis(1)).await;
        let started = tokio::time::Instant::now();
        assert_eq!(
            admission.admit(&gate).await.unwrap_err(),
            ThrottleReason::QueueFull
        );
        assert_eq!(started.elapsed(), Duration::ZERO);
    }

    #[test]
    fn reservations_must_leave_a_shared_slot() {
        assert_eq!(check_reservations(4, [1, 2]), Ok(3));
        assert_eq!(check_reservations(4, []), Ok(0));
        assert_eq!(
            check_reservations(4, [2, 2]),
            Err(OverReserved {
                reserved: 4,
                max: 4
            })
        );
        assert_eq!(
            check_reservations(4, [u32::MAX, 1]).unwrap_err().reserved,
            u32::MAX
        );
    }

    #[tokio::test(start_paused = true)]
    async fn the_shared_gate_follows_the_reservations() {
        let admission = Admission::new(config(4, 10, 100), 0);
        let shared = admission.shared().clone();
        let held: Vec<_> = admit_n(&admission, &shared, 3).await;
        assert_eq!(shared.in_use(), 3);
        // A reload reserves 2 of the 4 slots: the shared gate shrinks to 2, taking the free
        // slot now and one more when a running invocation ends.
        admission.set_reserved(2);
        assert_eq!(shared.size(), 2);
        drop(held);
        tokio::task::yield_now().await;
        let a = admission.admit(&shared).await.unwrap();
        let b = admission.admit(&shared).await.unwrap();
        assert_eq!(
            admission.admit(&shared).await.unwrap_err(),
            ThrottleReason::ConcurrentInvocationLimitExceeded,
            "two shared slots once the reservation took its two"
        );
        drop((a, b));
        // And back: the reservation is gone, all four are shared again.
        admission.set_reserved(0);
        let all: Vec<_> = admit_n(&admission, &shared, 4).await;
        assert_eq!(all.len(), 4);
    }

    async fn admit_n(admission: &Admission, gate: &Gate, n: usize) -> Vec<Permit> {
        let mut permits = Vec::new();
        for _ in 0..n {
            permits.push(admission.admit(gate).await.unwrap());
        }
        permits
    }

    #[tokio::test(start_paused = true)]
    async fn a_reservation_of_zero_throttles_at_once() {
        let admission = Admission::new(config(4, 10, 10_000), 0);
        let stopped = admission.gate(Some(0));
        assert_eq!(stopped.size(), 0);
        let started = tokio::time::Instant::now();
        assert_eq!(
            admission.admit(&stopped).await.unwrap_err(),
            ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded
        );
        assert_eq!(started.elapsed(), Duration::ZERO, "no wait for a slot");
        assert_eq!(admission.waiting(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn manifest_and_upload_reservations_add_up() {
        let admission = Admission::new(config(10, 10, 100), 3);
        admission.set_api_reserved(4);
        assert_eq!(admission.shared().size(), 3);
        // A reload of the manifest leaves the uploads' reservations set aside.
        admission.set_reserved(1);
        assert_eq!(admission.shared().size(), 5);
        assert_eq!(
            (
                admission.reserved_by_manifest(),
                admission.reserved_by_api()
            ),
            (1, 4)
        );
        admission.set_api_reserved(0);
        assert_eq!(admission.shared().size(), 9);
    }

    #[tokio::test(start_paused = true)]
    async fn reserved_gates_are_separate_from_the_shared_one() {
        let admission = Admission::new(config(3, 10, 100), 2);
        assert_eq!(admission.shared().size(), 1);
        let reserved = admission.gate(Some(2));
        let _a = admission.admit(&reserved).await.unwrap();
        let _b = admission.admit(&reserved).await.unwrap();
        assert_eq!(
            admission.admit(&reserved).await.unwrap_err(),
            ThrottleReason::ReservedFunctionConcurrentInvocationLimitExceeded
        );
        // The shared slot is still free for everyone else.
        let shared = admission.shared().clone();
        assert!(admission.admit(&shared).await.is_ok());
    }
}
