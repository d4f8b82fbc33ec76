//! Errors of opening and scanning buckets (object calls fail with `ObjectFailure`).

use std::path::PathBuf;

/// Why a bucket could not be opened or scanned.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BucketError {
    /// The bucket's directory could not be created, resolved or read.
    #[error("bucket `{bucket}`: cannot use directory `{path}`: {source}")]
    Io {
        /// The bucket's name.
        bucket: String,
        /// The directory.
        path: PathBuf,
        /// The underlying error.
        source: std::io::Error,
    },
    /// The bucket's path exists but is not a directory.
    #[error("bucket `{bucket}`: `{path}` is not a directory; point `path` at a directory")]
    NotADirectory {
        /// The bucket's name.
        bucket: String,
        /// The path.
        path: PathBuf,
    },
    /// The bucket's directory is `/`, or its path is a link leading out of the directory that
    /// holds it: a function with a grant could then reach files the operator never meant to
    /// share, and the watcher would watch them.
    #[error("bucket `{bucket}`: refusing directory `{path}`: {reason}")]
    UnsafeDirectory {
        /// The bucket's name.
        bucket: String,
        /// The path as configured.
        path: PathBuf,
        /// Where it leads and how to fix it.
        reason: String,
    },
    /// An ignore pattern is not a valid glob.
    #[error("bucket `{bucket}`: invalid ignore pattern `{pattern}`: {reason}")]
    BadIgnore {
        /// The bucket's name.
        bucket: String,
        /// The pattern as written.
        pattern: String,
        /// What is wrong with it.
        reason: String,
    },
}
