//! One bucket: a directory, its key ↔ path mapping, and what lies in it.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};

use fnhost_runtime::ObjectFailure;

use crate::error::BucketError;
use crate::etag::EtagCache;
use crate::key::{self, MAX_KEY_BYTES, TEMP_PREFIX};

/// A regular file's size and modification time, as a scan sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FileState {
    /// Size in bytes.
    pub size: u64,
    /// Last modification, Unix nanoseconds.
    pub mtime_ns: i64,
}

impl FileState {
    pub(crate) fn of(meta: &Metadata) -> Self {
        let ns = i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec());
        Self {
            size: meta.len(),
            mtime_ns: i64::try_from(ns).unwrap_or(if ns < 0 { i64::MIN } else { i64::MAX }),
        }
    }

    /// Last modification in Unix milliseconds (0 before the epoch).
    pub(crate) fn last_modified_ms(&self) -> u64 {
        u64::try_from(self.mtime_ns / 1_000_000).unwrap_or(0)
    }
}

/// A named directory standing in for an S3 bucket.
pub struct Bucket {
    name: String,
    root: PathBuf,
    ignore: Vec<glob::Pattern>,
    pub(crate) etags: EtagCache,
}

impl fmt::Debug for Bucket {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bucket")
            .field("name", &self.name)
            .field("root", &self.root)
            .field(
                "ignore",
                &self.ignore.iter().map(|p| p.as_str()).collect::<Vec<_>>(),
            )
            .finish_non_exhaustive()
    }
}

impl Bucket {
    /// Open (creating it if missing) the directory `path` as bucket `name`; `ignore` holds glob
    /// patterns on file names (`*.tmp`, `.*`) whose files are never listed nor events.
    pub fn open(name: &str, path: &Path, ignore: &[String]) -> Result<Bucket, BucketError> {
        let io_error = |source| BucketError::Io {
            bucket: name.to_owned(),
            path: path.to_owned(),
            source,
        };
        let ignore = ignore
            .iter()
            .map(|pattern| {
                glob::Pattern::new(pattern).map_err(|e| BucketError::BadIgnore {
                    bucket: name.to_owned(),
                    pattern: pattern.clone(),
                    reason: e.msg.to_owned(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        fs::create_dir_all(path).map_err(io_error)?;
        let root = fs::canonicalize(path).map_err(io_error)?;
        if !fs::metadata(&root).map_err(io_error)?.is_dir() {
            return Err(BucketError::NotADirectory {
                bucket: name.to_owned(),
                path: path.to_owned(),
            });
        }
        Ok(Bucket {
            name: name.to_owned(),
            root,
            ignore,
            etags: EtagCache::default(),
        })
    }

    /// The bucket's name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The bucket's directory, canonical (symlinks in the configured path resolved).
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The key of the file at `path` (absolute, under the root), or `None` when the path is
    /// outside the root, not UTF-8, not a valid key, ignored, or an fnhost temp file.
    ///
    /// Needs no filesystem access, so it works for files that were just removed.
    pub fn key_for(&self, path: &Path) -> Option<String> {
        let relative = path.strip_prefix(&self.root).ok()?;
        let mut key = String::new();
        for component in relative.components() {
            let Component::Normal(segment) = component else {
                return None;
            };
            if !key.is_empty() {
                key.push('/');
            }
            key.push_str(segment.to_str()?);
        }
        if key::check(&key).is_err() || self.is_ignored(&key) {
            return None;
        }
        Some(key)
    }

    /// Whether the file name of `key` (its last segment) matches an ignore pattern or is an
    /// fnhost temp file.
    pub fn is_ignored(&self, key: &str) -> bool {
        let name = key::file_name(key);
        name.starts_with(TEMP_PREFIX) || self.ignore.iter().any(|p| p.matches(name))
    }

    /// The path of object `key`, checked: the key is valid (see the crate docs) and no
    /// existing component of it below the root is a symbolic link, so the path stays inside.
    pub fn path_for(&self, key: &str) -> Result<PathBuf, ObjectFailure> {
        key::validate(key)?;
        let mut path = self.root.clone();
        for (end, segment) in segment_ends(key) {
            path.push(segment);
            match fs::symlink_metadata(&path) {
                Ok(meta) if meta.file_type().is_symlink() => {
                    return Err(self.symlink_failure(key, &key[..end]));
                }
                Ok(_) => {}
                // Nothing below a missing component (or below a file) exists either.
                Err(e) if absent(&e) => {
                    for rest in key[end..].split('/').filter(|s| !s.is_empty()) {
                        path.push(rest);
                    }
                    break;
                }
                Err(e) => return Err(self.io_failure(key, &e)),
            }
        }
        Ok(path)
    }

    /// Size and modification time of object `key`; `None` when there is no regular file there.
    pub fn stat(&self, key: &str) -> Result<Option<FileState>, ObjectFailure> {
        let path = self.path_for(key)?;
        match fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_file() => Ok(Some(FileState::of(&meta))),
            Ok(_) => Ok(None),
            Err(e) if absent(&e) => Ok(None),
            Err(e) => Err(self.io_failure(key, &e)),
        }
    }

    /// The S3 single-part ETag of object `key`: its content's hex MD5, streamed in constant
    /// memory (and remembered while the file is unchanged).
    pub fn etag(&self, key: &str) -> Result<String, ObjectFailure> {
        let mut file = self
            .open_object(key)?
            .ok_or_else(|| self.no_such_key(key))?;
        self.etags
            .etag(key, &mut file)
            .map_err(|e| self.io_failure(key, &e))
    }

    /// Every object: each regular file below the root (symlinks are not followed), not
    /// ignored, with a valid key, sorted by key. Unreadable directories are skipped (logged).
    pub fn walk(&self) -> Result<Vec<(String, FileState)>, BucketError> {
        self.scan(&self.root, "").map_err(|source| BucketError::Io {
            bucket: self.name.clone(),
            path: self.root.clone(),
            source,
        })
    }

    /// The objects below directory `dir` (whose keys start with `dir_key`, empty or ending in
    /// `/`), sorted by key; an unreadable `dir` is an error, unreadable subdirectories are
    /// skipped.
    pub(crate) fn scan(&self, dir: &Path, dir_key: &str) -> io::Result<Vec<(String, FileState)>> {
        let mut found = Vec::new();
        let mut pending = vec![(dir.to_path_buf(), dir_key.to_owned())];
        let mut first = true;
        while let Some((dir, prefix)) = pending.pop() {
            let entries = match fs::read_dir(&dir) {
                Ok(entries) => entries,
                Err(e) if first => return Err(e),
                Err(e) => {
                    tracing::warn!(bucket = %self.name, dir = %dir.display(), error = %e, "skipping an unreadable directory");
                    continue;
                }
            };
            first = false;
            for entry in entries {
                let entry = match entry {
                    Ok(entry) => entry,
                    Err(e) => {
                        tracing::warn!(bucket = %self.name, dir = %dir.display(), error = %e, "skipping an unreadable directory entry");
                        continue;
                    }
                };
                let Some(name) = entry.file_name().to_str().map(str::to_owned) else {
                    tracing::debug!(bucket = %self.name, path = %entry.path().display(), "skipping a file name that is not UTF-8");
                    continue;
                };
                // DirEntry::file_type and ::metadata do not follow symlinks.
                let Ok(kind) = entry.file_type() else {
                    continue;
                };
                let key = format!("{prefix}{name}");
                if kind.is_dir() {
                    if key.len() < MAX_KEY_BYTES {
                        pending.push((entry.path(), format!("{key}/")));
                    }
                } else if kind.is_file() && key::check(&key).is_ok() && !self.is_ignored(&key) {
                    match entry.metadata() {
                        Ok(meta) => found.push((key, FileState::of(&meta))),
                        Err(e) if absent(&e) => {}
                        Err(e) => {
                            tracing::warn!(bucket = %self.name, key = %key, error = %e, "skipping a file that cannot be read");
                        }
                    }
                }
            }
        }
        found.sort_unstable_by(|a, b| a.0.cmp(&b.0));
        Ok(found)
    }

    /// The open regular file of object `key`, or `None` when there is none.
    pub(crate) fn open_object(&self, key: &str) -> Result<Option<File>, ObjectFailure> {
        let path = self.path_for(key)?;
        let file = match File::open(&path) {
            Ok(file) => file,
            Err(e) if absent(&e) => return Ok(None),
            Err(e) => return Err(self.io_failure(key, &e)),
        };
        let meta = file.metadata().map_err(|e| self.io_failure(key, &e))?;
        Ok(meta.is_file().then_some(file))
    }

    pub(crate) fn no_such_key(&self, key: &str) -> ObjectFailure {
        ObjectFailure::NoSuchKey(format!("`{}` in bucket `{}`", key::shown(key), self.name))
    }

    pub(crate) fn symlink_failure(&self, key: &str, link: &str) -> ObjectFailure {
        ObjectFailure::InvalidKey(format!(
            "`{}`: `{}` in bucket `{}` is a symbolic link; fnhost never follows links, so nothing outside the bucket's directory is reachable",
            key::shown(key),
            key::shown(link),
            self.name
        ))
    }

    pub(crate) fn io_failure(&self, key: &str, error: &io::Error) -> ObjectFailure {
        if error.kind() == io::ErrorKind::InvalidFilename {
            return ObjectFailure::InvalidKey(format!(
                "`{}`: a segment is longer than the filesystem allows ({error})",
                key::shown(key)
            ));
        }
        ObjectFailure::Io(format!(
            "`{}` in bucket `{}`: {error}",
            key::shown(key),
            self.name
        ))
    }
}

/// Errors that mean "there is no such file": missing, or a file where a directory should be.
pub(crate) fn absent(error: &io::Error) -> bool {
    matches!(
        error.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

/// Each segment of a valid key with the byte offset where it ends.
pub(crate) fn segment_ends(key: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start = 0;
    key.split('/').map(move |segment| {
        let end = start + segment.len();
        start = end + 1;
        (end, segment)
    })
}
