//! The host side of the guest `objects` interface, behind one small trait.
//!
//! The runtime only routes calls; where objects live (bucket directories) and who may touch
//! them is the [`ObjectAccess`] implementation's business. Without buckets every call fails
//! with an error that says how to declare and grant one.
//!
//! Two bounds belong to the runtime, because it is the one that copies bodies out of the guest
//! and hands calls to blocking threads: [`check_put_size`] refuses a put body before it is
//! copied, and each function's [`CallSlots`] (its [`CallLimits`]) bound how many of its calls
//! hold a blocking thread, with waiters parked without one.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, Instant};

use fnhost_core::Lineage;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

/// Most bytes one put writes (32 MiB); a larger body is refused before it leaves the guest.
pub const MAX_PUT_BYTES: usize = 32 << 20;

/// Refuse a put body of `len` bytes over [`MAX_PUT_BYTES`] (the one check; the runtime makes it
/// on the guest's list length, before copying, and buckets again for direct callers).
pub fn check_put_size(len: usize) -> Result<(), ObjectFailure> {
    if len > MAX_PUT_BYTES {
        return Err(ObjectFailure::TooLarge(format!(
            "the body is {len} bytes and one put writes at most {MAX_PUT_BYTES}; split the object into several keys"
        )));
    }
    Ok(())
}

/// How much blocking object work one function may have at once, and for how long, so that a
/// function looping over object calls (many invocations at once, each with a short timeout)
/// cannot take every blocking thread of the host.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CallLimits {
    /// Object calls of one function running at once; more wait for a slot, without a thread.
    pub concurrency: usize,
    /// Longest wait for a slot; then the call fails with S3's `SlowDown`. The invocation's
    /// deadline ends the wait sooner (the invocation then ends as a timeout).
    pub wait: Duration,
    /// Longest one call may hash or list; then it fails (no short listing, no orphaned thread
    /// hashing a huge file long after its invocation ended). A call also stops at its
    /// invocation's deadline, whichever comes first (see [`CallLimits::call_deadline`]). A
    /// function's own limits set it to the function's timeout.
    pub budget: Duration,
}

impl CallLimits {
    /// When a call that hashes or lists, starting now for an invocation whose deadline is
    /// `invocation`, must give up: its [`CallLimits::budget`] from now or the invocation's
    /// deadline, whichever comes first. The one place that computes it.
    pub fn call_deadline(&self, invocation: Instant) -> Instant {
        Instant::now()
            .checked_add(self.budget)
            .map_or(invocation, |b| b.min(invocation))
    }
}

impl Default for CallLimits {
    /// Twice the cores (at least 4) at once, 1 s wait, 10 s per call.
    fn default() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, |n| n.get());
        Self {
            concurrency: (2 * cores).max(4),
            wait: Duration::from_secs(1),
            budget: Duration::from_secs(10),
        }
    }
}

/// The slots one function's object calls share: the one place its [`CallLimits`] are enforced.
#[derive(Debug)]
pub struct CallSlots {
    limits: CallLimits,
    slots: Arc<Semaphore>,
}

/// A slot of [`CallSlots`], held by the blocking work until it ends (even when the invocation
/// that asked for it has already ended).
#[derive(Debug)]
pub(crate) struct CallSlot {
    _permit: OwnedSemaphorePermit,
}

/// Why [`CallSlots::enter`] gave no slot.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum NoSlot {
    /// Every slot stayed busy for the whole [`CallLimits::wait`].
    Busy,
    /// The invocation's deadline came first.
    Deadline,
}

impl CallSlots {
    /// Slots for calls under `limits` (at least one).
    pub fn new(limits: CallLimits) -> Self {
        Self {
            slots: Arc::new(Semaphore::new(limits.concurrency.max(1))),
            limits,
        }
    }

    /// The limits they enforce.
    pub fn limits(&self) -> &CallLimits {
        &self.limits
    }

    /// A slot, waiting (asynchronously, on no thread) at most [`CallLimits::wait`] and never
    /// past `deadline`.
    pub(crate) async fn enter(&self, deadline: Instant) -> Result<CallSlot, NoSlot> {
        let waited = Instant::now()
            .checked_add(self.limits.wait)
            .map_or(deadline, |w| w.min(deadline));
        match tokio::time::timeout_at(waited.into(), self.slots.clone().acquire_owned()).await {
            Ok(Ok(permit)) => Ok(CallSlot { _permit: permit }),
            // The semaphore is never closed; were it, no call could run.
            Ok(Err(_)) => Err(NoSlot::Busy),
            Err(_) if waited >= deadline => Err(NoSlot::Deadline),
            Err(_) => Err(NoSlot::Busy),
        }
    }
}

/// One object's metadata.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Key relative to the bucket root, `/`-separated.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex MD5 of the content.
    pub etag: String,
    /// Last modification, Unix milliseconds.
    pub last_modified_ms: u64,
}

/// Why an object call failed; mirrors the wit `object-error` variant.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum ObjectFailure {
    /// The key does not exist.
    #[error("no such key: {0}")]
    NoSuchKey(String),
    /// The bucket is not configured.
    #[error("no such bucket: {0}")]
    NoSuchBucket(String),
    /// The function lacks a grant; the text names the grant to add.
    #[error("access denied: {0}")]
    AccessDenied(String),
    /// The key escapes the bucket or is malformed.
    #[error("invalid key: {0}")]
    InvalidKey(String),
    /// The object or range is larger than one call may move.
    #[error("too large: {0}")]
    TooLarge(String),
    /// Another I/O failure.
    #[error("i/o error: {0}")]
    Io(String),
}

/// Who made a write: the function, its invocation and the event chain it belongs to.
///
/// Bucket implementations remember it so that the file event a write causes carries the
/// writer's lineage (the loop guard counts hops along it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WriteOrigin {
    /// The writing function's name.
    pub function: String,
    /// The request id of the invocation that wrote.
    pub request_id: String,
    /// The event chain of that invocation, when it was started by another event.
    pub lineage: Option<Lineage>,
}

/// Object storage as one function sees it (grants already applied).
pub trait ObjectAccess: Send + Sync + fmt::Debug {
    /// The slots this function's calls share; the runtime takes one before it gives a call a
    /// blocking thread. `None` only for access whose calls never block (they run inline).
    fn slots(&self) -> Option<&CallSlots>;
    /// Read an object, or the inclusive byte range `(first, last)` of it (S3's `Range: bytes=first-last`).
    fn get(
        &self,
        bucket: &str,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, ObjectFailure>;
    /// Write an object atomically on behalf of `origin`.
    fn put(
        &self,
        bucket: &str,
        key: &str,
        body: &[u8],
        origin: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure>;
    /// Metadata only. `deadline` is the invocation's: hashing stops there at the latest.
    fn head(&self, bucket: &str, key: &str, deadline: Instant)
    -> Result<ObjectMeta, ObjectFailure>;
    /// Remove an object on behalf of `origin` (missing keys succeed).
    fn delete(&self, bucket: &str, key: &str, origin: &WriteOrigin) -> Result<(), ObjectFailure>;
    /// Copy `src_key` of `src_bucket` to `key` of `bucket` on behalf of `origin` (S3's
    /// `CopyObject`): a read grant on the source and a write grant on the target, the target
    /// written atomically; its file event is `s3:ObjectCreated:Copy`. `deadline` is the
    /// invocation's: copying stops there at the latest.
    fn copy(
        &self,
        src_bucket: &str,
        src_key: &str,
        bucket: &str,
        key: &str,
        origin: &WriteOrigin,
        deadline: Instant,
    ) -> Result<ObjectMeta, ObjectFailure>;
    /// Keys under `prefix` after `start_after`, sorted, at most `max_keys`. `deadline` is the
    /// invocation's: listing and hashing stop there at the latest.
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: u32,
        deadline: Instant,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure>;
}

/// The access of a function with no buckets: everything is `NoSuchBucket` with a hint.
#[derive(Debug, Clone)]
pub struct NoBuckets {
    function: String,
}

impl NoBuckets {
    /// Denies every call made by `function`.
    pub fn new(function: impl Into<String>) -> Self {
        Self {
            function: function.into(),
        }
    }

    fn deny<T>(&self, bucket: &str) -> Result<T, ObjectFailure> {
        Err(ObjectFailure::NoSuchBucket(format!(
            "bucket `{bucket}` is not available to function `{}`; declare it with `[bucket.{bucket}]` in fnhost.toml and grant it with `objects.read = [\"{bucket}\"]` or `objects.write = [\"{bucket}\"]`",
            self.function
        )))
    }
}

impl ObjectAccess for NoBuckets {
    fn slots(&self) -> Option<&CallSlots> {
        // Every call is refused at once, without I/O.
        None
    }
    fn get(&self, bucket: &str, _: &str, _: Option<(u64, u64)>) -> Result<Vec<u8>, ObjectFailure> {
        self.deny(bucket)
    }
    fn put(
        &self,
        bucket: &str,
        _: &str,
        _: &[u8],
        _: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure> {
        self.deny(bucket)
    }
    fn head(&self, bucket: &str, _: &str, _: Instant) -> Result<ObjectMeta, ObjectFailure> {
        self.deny(bucket)
    }
    fn delete(&self, bucket: &str, _: &str, _: &WriteOrigin) -> Result<(), ObjectFailure> {
        self.deny(bucket)
    }
    fn copy(
        &self,
        src_bucket: &str,
        _: &str,
        _: &str,
        _: &str,
        _: &WriteOrigin,
        _: Instant,
    ) -> Result<ObjectMeta, ObjectFailure> {
        self.deny(src_bucket)
    }
    fn list(
        &self,
        bucket: &str,
        _: &str,
        _: Option<&str>,
        _: u32,
        _: Instant,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        self.deny(bucket)
    }
}
