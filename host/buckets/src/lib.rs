//! fnhost's buckets: named directories as S3 stand-ins.
//!
//! A [`Bucket`] is a directory; an object's key is its path below the root with `/` separators
//! (`사진/red flower.jpg`). Keys are resolved so that nothing outside the root is ever reachable:
//! `..`, absolute paths, backslashes and NUL are invalid keys, and no component of a key may be a
//! symbolic link. The root directory is held open and every call walks from it one segment at a
//! time without following links (`openat` with `O_NOFOLLOW`, then `renameat`/`unlinkat` in the
//! directory reached), so a directory swapped for a link mid-call cannot lead outside. Only
//! regular files are objects: FIFOs, sockets and devices are never opened for reading (a get or
//! head on one is `NoSuchKey`, at once). Writes are atomic (a temp file in the target directory,
//! fsync, rename); ETags are S3's single-part ETag, the hex MD5 of the content.
//!
//! [`FunctionObjects`] is the runtime's [`fnhost_runtime::ObjectAccess`] for one function: it
//! applies the function's [`Grants`] (read for get/head/list and a copy's source, write for
//! put/delete and a copy's target) and records every write in the [`WriteJournal`], so the
//! file watcher can attach the writer's lineage to the event the write causes (the loop guard;
//! a copy's event is `ObjectCreated:Copy`). Its [`CallLimits`] bound the blocking work one
//! function can have in flight: the runtime gives each call one of the function's slots before
//! a blocking thread (waiters hold none and stop at the invocation's deadline), and a call that
//! hashes or lists gives up at the invocation's deadline or after its budget, whichever comes
//! first ([`CallLimits::call_deadline`]).
//!
//! Reads are capped at [`MAX_GET_BYTES`] per call, whole object or range; ranges follow S3
//! (`last` past the end is clamped), and a range starting at or past the end (S3's 416
//! `InvalidRange`) or with `first > last` fails as `ObjectFailure::InvalidKey`, which the guest
//! SDK reports as `InvalidArgument`. Puts are capped at [`MAX_PUT_BYTES`], listings at
//! [`MAX_LIST_KEYS`] keys.
//!
//! S3 has no directories; a bucket directory does. So an object and a "directory" cannot share a
//! name (`a` and `a/b`), and deleting the last object under a directory leaves the directory in
//! place (it never shows up in listings, which only report regular files).

mod access;
mod bucket;
mod buckets;
mod error;
mod etag;
mod handle;
mod journal;
mod key;
mod listing;
mod objects;
mod operator;

pub use access::{FunctionObjects, Grants};
pub use bucket::{Bucket, FileState};
pub use buckets::Buckets;
pub use error::BucketError;
pub use fnhost_runtime::{CallLimits, MAX_PUT_BYTES};
pub use journal::{JOURNAL_MAX_ENTRIES, JOURNAL_TTL, JournalChange, WriteJournal};
pub use key::{MAX_KEY_BYTES, TEMP_PREFIX};
pub use objects::{MAX_COPY_BYTES, MAX_GET_BYTES, MAX_LIST_KEYS};
