//! Content shared by the nodes of a cluster: every file a function needs that fnhost keeps by
//! its SHA-256 (uploaded and packaged code, the zips unpacked as `/var/task` and as layers),
//! as a blob in the store, so that a node whose disk lacks one (it did not receive the upload,
//! or it started with an empty state directory) fetches it from there.
//!
//! Only a store that several nodes share has blobs ([`StoreInfo::shared_blobs`]): with the
//! SQLite backend one host keeps its files on its own disk, as before. A blob is immutable
//! (its name is the hash of its bytes); the caller checks the hash of what it fetches.
//!
//! [`StoreInfo::shared_blobs`]: crate::StoreInfo::shared_blobs

use std::collections::BTreeSet;

use crate::error::StoreError;

/// Content-addressed blobs in a store the nodes of a cluster share.
pub trait BlobStore: Send + Sync {
    /// Keeps `bytes` under `sha256` (hex, of `bytes`), or marks an existing blob of that name
    /// as written now (so that [`BlobStore::retain_blobs`] gives it its grace period again).
    /// `true` when the blob is new.
    fn put_blob(&self, sha256: &str, bytes: &[u8]) -> Result<bool, StoreError>;

    /// The bytes of blob `sha256`, if stored.
    fn blob(&self, sha256: &str) -> Result<Option<Vec<u8>>, StoreError>;

    /// Whether blob `sha256` is stored.
    fn has_blob(&self, sha256: &str) -> Result<bool, StoreError>;

    /// Deletes the blobs not in `keep` that were last written before `written_before_ms`
    /// (unix ms): a blob put for a change another node has not committed yet is younger, and
    /// stays. Returns how many were deleted.
    fn retain_blobs(
        &self,
        keep: &BTreeSet<String>,
        written_before_ms: u64,
    ) -> Result<usize, StoreError>;

    /// The names of every stored blob, in order.
    fn blob_names(&self) -> Result<Vec<String>, StoreError>;
}
