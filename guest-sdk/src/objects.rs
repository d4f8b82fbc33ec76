//! Read and write objects in the host's buckets, the S3 stand-in, with boto3's names.
//!
//! A bucket is a directory the host configures; the function's manifest must grant it
//! (`objects.read` / `objects.write`), otherwise calls fail with [`ObjectError::AccessDenied`]
//! naming the grant to add. These calls go to the host, so they only work inside a running
//! invocation (in native unit tests they panic).
//!
//! ```no_run
//! use fnhost_sdk::objects;
//!
//! # fn main() -> Result<(), objects::ObjectError> {
//! let photo = objects::get_object("uploads", "2026/red flower.jpg")?;
//! let info = objects::put_object("thumbnails", "2026/red flower.jpg", &photo)?;
//! println!("wrote {} bytes, etag {}", info.size, info.etag);
//! # Ok(())
//! # }
//! ```

use std::fmt;
use std::time::{Duration, SystemTime};

use crate::bindings::fnhost::function::objects as wit;

/// Read a whole object (the host caps how much one call may move).
pub fn get_object(bucket: &str, key: &str) -> Result<Vec<u8>, ObjectError> {
    wit::get_object(bucket, key, None).map_err(Into::into)
}

/// Read bytes `start` to `end` of an object, both inclusive, as S3's `Range: bytes=start-end`.
pub fn get_object_range(
    bucket: &str,
    key: &str,
    start: u64,
    end: u64,
) -> Result<Vec<u8>, ObjectError> {
    wit::get_object(bucket, key, Some((start, end))).map_err(Into::into)
}

/// Write an object atomically (readers never see a partial object) and return its metadata.
pub fn put_object(bucket: &str, key: &str, body: &[u8]) -> Result<ObjectInfo, ObjectError> {
    wit::put_object(bucket, key, body)
        .map(Into::into)
        .map_err(Into::into)
}

/// An object's metadata without its body.
pub fn head_object(bucket: &str, key: &str) -> Result<ObjectInfo, ObjectError> {
    wit::head_object(bucket, key)
        .map(Into::into)
        .map_err(Into::into)
}

/// Remove an object; removing a missing key succeeds, as in S3.
pub fn delete_object(bucket: &str, key: &str) -> Result<(), ObjectError> {
    wit::delete_object(bucket, key).map_err(Into::into)
}

/// Copy an object within or between buckets on the host (S3's `CopyObject`), without moving
/// its bytes through the function: `src_key` of `src_bucket` becomes `key` of `bucket`,
/// written atomically. Needs a read grant on the source bucket and a write grant on the target;
/// the copy fires `s3:ObjectCreated:Copy` on the target.
///
/// ```no_run
/// use fnhost_sdk::objects;
///
/// # fn main() -> Result<(), objects::ObjectError> {
/// let info = objects::copy_object("uploads", "in/report.pdf", "archive", "2026/report.pdf")?;
/// println!("archived {} bytes, etag {}", info.size, info.etag);
/// # Ok(())
/// # }
/// ```
pub fn copy_object(
    src_bucket: &str,
    src_key: &str,
    bucket: &str,
    key: &str,
) -> Result<ObjectInfo, ObjectError> {
    wit::copy_object(src_bucket, src_key, bucket, key)
        .map(Into::into)
        .map_err(Into::into)
}

/// Up to `max_keys` objects whose keys start with `prefix`, in key order, after `start_after`.
///
/// To page through a bucket, pass the last key of one page as `start_after` of the next.
pub fn list_objects(
    bucket: &str,
    prefix: &str,
    start_after: Option<&str>,
    max_keys: u32,
) -> Result<Vec<ObjectInfo>, ObjectError> {
    let objects = wit::list_objects(bucket, prefix, start_after, max_keys)?;
    Ok(objects.into_iter().map(Into::into).collect())
}

/// Metadata of one object, as S3's `HeadObject` reports it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectInfo {
    /// The object's key within its bucket.
    pub key: String,
    /// Size in bytes.
    pub size: u64,
    /// Hex MD5 of the content, without quotes.
    pub etag: String,
    /// Last modification time in Unix milliseconds.
    pub last_modified_ms: u64,
}

impl ObjectInfo {
    /// Last modification time.
    pub fn last_modified(&self) -> SystemTime {
        SystemTime::UNIX_EPOCH + Duration::from_millis(self.last_modified_ms)
    }
}

impl From<wit::ObjectInfo> for ObjectInfo {
    fn from(info: wit::ObjectInfo) -> Self {
        ObjectInfo {
            key: info.key,
            size: info.size,
            etag: info.etag,
            last_modified_ms: info.last_modified_ms,
        }
    }
}

/// Why an object call failed; each variant carries the host's explanation.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ObjectError {
    /// The key does not exist in the bucket.
    NoSuchKey(String),
    /// No bucket of that name is configured.
    NoSuchBucket(String),
    /// The function has no grant for this bucket; the text names the grant to add.
    AccessDenied(String),
    /// The key is empty, absolute, contains `..` or otherwise escapes the bucket.
    InvalidKey(String),
    /// The object or range is larger than the host lets one call move.
    TooLarge(String),
    /// Any other I/O failure on the host.
    Io(String),
}

impl ObjectError {
    /// The S3 error code closest to this error (`NoSuchKey`, `AccessDenied`, …), as boto3's
    /// `e.response["Error"]["Code"]` would report it.
    pub fn code(&self) -> &'static str {
        match self {
            ObjectError::NoSuchKey(_) => "NoSuchKey",
            ObjectError::NoSuchBucket(_) => "NoSuchBucket",
            ObjectError::AccessDenied(_) => "AccessDenied",
            ObjectError::InvalidKey(_) => "InvalidArgument",
            ObjectError::TooLarge(_) => "EntityTooLarge",
            ObjectError::Io(_) => "InternalError",
        }
    }

    /// The host's explanation.
    pub fn message(&self) -> &str {
        match self {
            ObjectError::NoSuchKey(m)
            | ObjectError::NoSuchBucket(m)
            | ObjectError::AccessDenied(m)
            | ObjectError::InvalidKey(m)
            | ObjectError::TooLarge(m)
            | ObjectError::Io(m) => m,
        }
    }
}

impl fmt::Display for ObjectError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self {
            ObjectError::NoSuchKey(_) => "no such key",
            ObjectError::NoSuchBucket(_) => "no such bucket",
            ObjectError::AccessDenied(_) => "access denied",
            ObjectError::InvalidKey(_) => "invalid key",
            ObjectError::TooLarge(_) => "too large",
            ObjectError::Io(_) => "i/o error",
        };
        write!(f, "{what}: {}", self.message())
    }
}

impl std::error::Error for ObjectError {}

impl From<wit::ObjectError> for ObjectError {
    fn from(e: wit::ObjectError) -> Self {
        match e {
            wit::ObjectError::NoSuchKey(m) => ObjectError::NoSuchKey(m),
            wit::ObjectError::NoSuchBucket(m) => ObjectError::NoSuchBucket(m),
            wit::ObjectError::AccessDenied(m) => ObjectError::AccessDenied(m),
            wit::ObjectError::InvalidKey(m) => ObjectError::InvalidKey(m),
            wit::ObjectError::TooLarge(m) => ObjectError::TooLarge(m),
            wit::ObjectError::Io(m) => ObjectError::Io(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Diagnostic;

    #[test]
    fn error_display_and_code() {
        let e = ObjectError::from(wit::ObjectError::AccessDenied(
            "add `objects.read = [\"uploads\"]` to function `thumbnail`".into(),
        ));
        assert_eq!(e.code(), "AccessDenied");
        assert_eq!(
            e.to_string(),
            "access denied: add `objects.read = [\"uploads\"]` to function `thumbnail`"
        );
    }

    #[test]
    fn error_converts_into_diagnostic() {
        let d = Diagnostic::from(ObjectError::NoSuchKey("`a.jpg` in bucket `photos`".into()));
        assert_eq!(d.error_type, "fnhost_sdk::objects::ObjectError");
        assert_eq!(d.error_message, "no such key: `a.jpg` in bucket `photos`");
    }

    #[test]
    fn last_modified_is_unix_milliseconds() {
        let info = ObjectInfo {
            key: "k".into(),
            size: 1,
            etag: String::new(),
            last_modified_ms: 1_500,
        };
        assert_eq!(
            info.last_modified(),
            SystemTime::UNIX_EPOCH + Duration::from_millis(1_500)
        );
    }
}
