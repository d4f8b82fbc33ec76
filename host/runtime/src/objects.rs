//! The host side of the guest `objects` interface, behind one small trait.
//!
//! The runtime only routes calls; where objects live (bucket directories) and who may touch
//! them is the [`ObjectAccess`] implementation's business. Without buckets every call fails
//! with an error that says how to declare and grant one.

use std::fmt;

use fnhost_core::Lineage;

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
    /// Metadata only.
    fn head(&self, bucket: &str, key: &str) -> Result<ObjectMeta, ObjectFailure>;
    /// Remove an object on behalf of `origin` (missing keys succeed).
    fn delete(&self, bucket: &str, key: &str, origin: &WriteOrigin) -> Result<(), ObjectFailure>;
    /// Keys under `prefix` after `start_after`, sorted, at most `max_keys`.
    fn list(
        &self,
        bucket: &str,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: u32,
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
    fn head(&self, bucket: &str, _: &str) -> Result<ObjectMeta, ObjectFailure> {
        self.deny(bucket)
    }
    fn delete(&self, bucket: &str, _: &str, _: &WriteOrigin) -> Result<(), ObjectFailure> {
        self.deny(bucket)
    }
    fn list(
        &self,
        bucket: &str,
        _: &str,
        _: Option<&str>,
        _: u32,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        self.deny(bucket)
    }
}
