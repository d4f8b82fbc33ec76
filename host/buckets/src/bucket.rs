//! One bucket: a directory held open, its key ↔ path mapping, and what lies in it.

use std::fmt;
use std::fs::{self, File, Metadata};
use std::io;
use std::os::fd::{AsFd, BorrowedFd, OwnedFd};
use std::os::unix::fs::MetadataExt;
use std::path::{Component, Path, PathBuf};
use std::time::{Duration, SystemTime};

use fnhost_runtime::ObjectFailure;
use rustix::fs::{self as rfs, Mode, OFlags};
use rustix::io::Errno;

use crate::error::BucketError;
use crate::etag::EtagCache;
use crate::handle::{self, Kind};
use crate::key::{self, MAX_KEY_BYTES, TEMP_PREFIX};
use crate::listing::{self, ListingCache};

/// A temp file older than this at start-up was left by a write that crashed, and is removed
/// (younger ones may belong to another host sharing the directory).
pub(crate) const STALE_TEMP: Duration = Duration::from_secs(60);

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
        Self::from_parts(meta.len(), meta.mtime(), meta.mtime_nsec())
    }

    /// The same, from an `lstat`/`fstat` result (the field types vary by architecture).
    #[allow(clippy::unnecessary_cast)]
    pub(crate) fn of_stat(stat: &rfs::Stat) -> Self {
        Self::from_parts(
            stat.st_size as u64,
            stat.st_mtime as i64,
            stat.st_mtime_nsec as i64,
        )
    }

    fn from_parts(size: u64, secs: i64, nsecs: i64) -> Self {
        let ns = i128::from(secs) * 1_000_000_000 + i128::from(nsecs);
        Self {
            size,
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
    /// The root directory, open: every object call starts here, never from `root`'s path.
    dir: OwnedFd,
    ignore: Vec<glob::Pattern>,
    pub(crate) etags: EtagCache,
    pub(crate) listings: ListingCache,
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

/// Where a key's directory walk ended.
pub(crate) enum Reached {
    /// The directory that holds the key's file, open.
    Dir(OwnedFd),
    /// A directory on the way does not exist (or is a file): nothing is there.
    Missing,
}

impl Bucket {
    /// Open (creating it if missing) the directory `path` as bucket `name`; `ignore` holds glob
    /// patterns on file names (`*.tmp`, `.*`) whose files are never listed nor events.
    ///
    /// The directory is resolved once and held open. It must not be (or resolve to) `/`, and
    /// if `path` itself is a symbolic link, the link must stay inside the directory holding it.
    /// Temp files of writes that crashed (older than a minute) are removed.
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
        check_root(name, path, &root)?;
        if !fs::metadata(&root).map_err(io_error)?.is_dir() {
            return Err(BucketError::NotADirectory {
                bucket: name.to_owned(),
                path: path.to_owned(),
            });
        }
        let dir = rfs::open(
            &root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::NOFOLLOW | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| io_error(e.into()))?;
        let bucket = Bucket {
            name: name.to_owned(),
            root,
            dir,
            ignore,
            etags: EtagCache::default(),
            listings: ListingCache::default(),
        };
        bucket.remove_stale_temp_files();
        Ok(bucket)
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

    /// The path object `key` names, for messages and file events: the key is checked, the
    /// filesystem is not (object calls never open this path; they walk from the held root).
    pub fn path_for(&self, key: &str) -> Result<PathBuf, ObjectFailure> {
        key::validate(key)?;
        Ok(key.split('/').fold(self.root.clone(), |p, s| p.join(s)))
    }

    /// The open directory that holds `key`'s file, reached from the root one segment at a
    /// time without following links; with `create`, missing directories are made.
    ///
    /// A link on the way is [`ObjectFailure::InvalidKey`] naming it; a file on the way is
    /// [`Reached::Missing`] (or, with `create`, `InvalidKey`: it cannot also be a directory).
    pub(crate) fn parent_of(&self, key: &str, create: bool) -> Result<Reached, ObjectFailure> {
        key::validate(key)?;
        let segments: Vec<(usize, &str)> = segment_ends(key).collect();
        let parents = &segments[..segments.len() - 1];
        let mut dir = self.dir.try_clone().map_err(|e| self.io_failure(key, &e))?;
        for &(end, segment) in parents {
            let mut made = false;
            dir = loop {
                match handle::open_dir_at(dir.as_fd(), segment) {
                    Ok(next) => break next,
                    Err(e) if e == Errno::NOENT && create && !made => {
                        made = true;
                        match handle::mkdir_at(dir.as_fd(), segment) {
                            Ok(()) | Err(Errno::EXIST) => continue,
                            Err(e) => return Err(self.io_failure(key, &e.into())),
                        }
                    }
                    Err(e) if e == Errno::NOENT => return Ok(Reached::Missing),
                    Err(e) if e == Errno::LOOP || e == Errno::NOTDIR => {
                        // Only the message depends on what it is; the refusal does not.
                        let kind = handle::lstat_at(dir.as_fd(), segment)
                            .ok()
                            .flatten()
                            .map(|s| Kind::of(&s));
                        return match kind {
                            Some(Kind::Symlink) => Err(self.symlink_failure(key, &key[..end])),
                            Some(_) if create => Err(ObjectFailure::InvalidKey(format!(
                                "`{}`: `{}` is an object in bucket `{}`, so it cannot also be a directory",
                                key::shown(key),
                                key::shown(&key[..end]),
                                self.name
                            ))),
                            _ => Ok(Reached::Missing),
                        };
                    }
                    Err(e) => return Err(self.io_failure(key, &e.into())),
                }
            };
        }
        Ok(Reached::Dir(dir))
    }

    /// Size and modification time of object `key`; `None` when there is no regular file there.
    pub fn stat(&self, key: &str) -> Result<Option<FileState>, ObjectFailure> {
        let Reached::Dir(dir) = self.parent_of(key, false)? else {
            return Ok(None);
        };
        let name = key::file_name(key);
        match handle::lstat_at(dir.as_fd(), name) {
            Ok(Some(stat)) => match Kind::of(&stat) {
                Kind::File => Ok(Some(FileState::of_stat(&stat))),
                Kind::Symlink => Err(self.symlink_failure(key, key)),
                Kind::Dir | Kind::Special => Ok(None),
            },
            Ok(None) => Ok(None),
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
            .etag(key, &mut file, None)
            .map_err(|e| self.io_failure(key, &e))
    }

    /// Every object: each regular file below the root (symlinks are not followed), not
    /// ignored, with a valid key, sorted by key. Unreadable directories are skipped (logged).
    pub fn walk(&self) -> Result<Vec<(String, FileState)>, BucketError> {
        self.walk_under("").map_err(|source| BucketError::Io {
            bucket: self.name.clone(),
            path: self.root.clone(),
            source,
        })
    }

    /// Every object below the directory `dir_key` (empty for the root), as [`Bucket::walk`];
    /// nothing when `dir_key` is not a directory reached without links.
    pub fn walk_under(&self, dir_key: &str) -> io::Result<Vec<(String, FileState)>> {
        let Some(dir) = self.listing_dir(dir_key).map_err(io::Error::other)? else {
            return Ok(Vec::new());
        };
        let prefix = if dir_key.is_empty() {
            String::new()
        } else {
            format!("{dir_key}/")
        };
        let mut found = Vec::new();
        self.visit(
            dir.as_fd(),
            &prefix,
            "",
            None,
            true,
            &mut |dir, key, name| {
                match handle::lstat_at(dir, name) {
                    Ok(Some(stat)) if Kind::of(&stat) == Kind::File => {
                        found.push((key.to_owned(), FileState::of_stat(&stat)));
                    }
                    Ok(_) => {}
                    Err(e) => {
                        tracing::warn!(bucket = %self.name, key, error = %e, "skipping a file that cannot be read");
                    }
                }
                Ok(true)
            },
        )
        .map_err(io::Error::other)?;
        Ok(found)
    }

    /// Visit, in key order, every object below the open directory `dir` (whose keys start
    /// with `dir_key`) whose key starts with `dir_key` + `prefix` and comes after `after`
    /// (relative to `dir`); `visit` gets the directory holding the object, its key and file
    /// name, and returns whether to go on. Subdirectories are opened without following links;
    /// an unreadable one is skipped (logged), an unreadable `dir` is an error when `top`.
    pub(crate) fn visit(
        &self,
        dir: BorrowedFd<'_>,
        dir_key: &str,
        prefix: &str,
        after: Option<&str>,
        top: bool,
        visit: &mut dyn FnMut(BorrowedFd<'_>, &str, &str) -> Result<bool, ObjectFailure>,
    ) -> Result<bool, ObjectFailure> {
        let entries = match self.listings.sorted(dir) {
            Ok(entries) => entries,
            Err(e) if top => return Err(self.io_failure(&format!("{dir_key}{prefix}"), &e)),
            Err(e) => {
                tracing::warn!(bucket = %self.name, dir = dir_key, error = %e, "skipping an unreadable directory");
                return Ok(true);
            }
        };
        let start = listing::first_candidate(&entries, prefix, after);
        for entry in &entries[start..] {
            if !entry.sort.starts_with(prefix) {
                break;
            }
            let key = format!("{dir_key}{}", entry.sort);
            if entry.is_dir {
                if key.len() > MAX_KEY_BYTES {
                    continue;
                }
                let sub = match handle::open_dir_at(dir, entry.name()) {
                    Ok(sub) => sub,
                    // Gone, or swapped for a link or a file since the listing: not followed.
                    Err(e) if handle::is_absent(e) || e == Errno::LOOP => continue,
                    Err(e) => {
                        tracing::warn!(bucket = %self.name, dir = %key, error = %e, "skipping an unreadable directory");
                        continue;
                    }
                };
                let sub_after = after.and_then(|a| a.strip_prefix(entry.sort.as_str()));
                if !self.visit(sub.as_fd(), &key, "", sub_after, false, visit)? {
                    return Ok(false);
                }
            } else if key::check(&key).is_ok()
                && !self.is_ignored(&key)
                && !visit(dir, &key, entry.name())?
            {
                return Ok(false);
            }
        }
        Ok(true)
    }

    /// The directory that holds every key starting with `dir_key/`, if it is a real directory
    /// reached without links (`None` otherwise: no valid key lies below it).
    pub(crate) fn listing_dir(&self, dir_key: &str) -> Result<Option<OwnedFd>, ObjectFailure> {
        if dir_key.is_empty() {
            return self
                .dir
                .try_clone()
                .map(Some)
                .map_err(|e| self.io_failure(dir_key, &e));
        }
        if key::check(dir_key).is_err() {
            return Ok(None);
        }
        // The walk to a key's parent, with one more (dummy) segment.
        match self.parent_of(&format!("{dir_key}/x"), false) {
            Ok(Reached::Dir(dir)) => Ok(Some(dir)),
            Ok(Reached::Missing) | Err(ObjectFailure::InvalidKey(_)) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// The open regular file of object `key`, or `None` when there is none (missing, a
    /// directory, a FIFO, socket or device: those are never opened for reading, so a FIFO
    /// cannot block the call).
    pub(crate) fn open_object(&self, key: &str) -> Result<Option<File>, ObjectFailure> {
        let Reached::Dir(dir) = self.parent_of(key, false)? else {
            return Ok(None);
        };
        match handle::open_file_at(dir.as_fd(), key::file_name(key)) {
            Ok(file) => Ok(file),
            Err(Errno::LOOP) => Err(self.symlink_failure(key, key)),
            Err(e) => Err(self.io_failure(key, &e.into())),
        }
    }

    /// Remove the temp files of writes that crashed: every `.fnhost-tmp.*` file older than
    /// [`STALE_TEMP`] below the root. Failures are logged; the bucket still opens.
    fn remove_stale_temp_files(&self) {
        let now = SystemTime::now();
        let mut removed = 0usize;
        let mut pending = vec![(self.dir.try_clone(), String::new())];
        while let Some((dir, at)) = pending.pop() {
            let dir = match dir {
                Ok(dir) => dir,
                Err(e) => {
                    tracing::warn!(bucket = %self.name, dir = %at, error = %e, "cannot look for stale temp files");
                    continue;
                }
            };
            let Ok(entries) = handle::entries(dir.as_fd()) else {
                continue;
            };
            for entry in entries {
                if entry.is_dir {
                    let sub = handle::open_dir_at(dir.as_fd(), &entry.name).map_err(Into::into);
                    pending.push((sub, format!("{at}{}/", entry.name)));
                    continue;
                }
                if !entry.name.starts_with(TEMP_PREFIX) {
                    continue;
                }
                let stale = handle::lstat_at(dir.as_fd(), &entry.name)
                    .ok()
                    .flatten()
                    .is_some_and(|stat| {
                        let mtime = since_epoch(FileState::of_stat(&stat).mtime_ns);
                        now.duration_since(mtime).is_ok_and(|age| age >= STALE_TEMP)
                    });
                if stale {
                    match handle::unlink_at(dir.as_fd(), &entry.name) {
                        Ok(()) => removed += 1,
                        Err(e) => {
                            tracing::warn!(bucket = %self.name, file = %format!("{at}{}", entry.name), error = %e, "cannot remove a stale temp file");
                        }
                    }
                }
            }
        }
        if removed > 0 {
            tracing::info!(bucket = %self.name, removed, "removed temp files of interrupted writes");
        }
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

/// The time `ns` nanoseconds after the Unix epoch (before it for negative values).
fn since_epoch(ns: i64) -> SystemTime {
    let magnitude = Duration::from_nanos(ns.unsigned_abs());
    if ns >= 0 {
        SystemTime::UNIX_EPOCH + magnitude
    } else {
        SystemTime::UNIX_EPOCH - magnitude
    }
}

/// Refuse a bucket directory that is `/`, or whose configured path is a link leading out of
/// the directory that holds it.
fn check_root(name: &str, path: &Path, root: &Path) -> Result<(), BucketError> {
    let unsafe_root = |reason: String| BucketError::UnsafeDirectory {
        bucket: name.to_owned(),
        path: path.to_owned(),
        reason,
    };
    if root.parent().is_none() {
        return Err(unsafe_root(format!(
            "it resolves to `{}`, the filesystem root; point `path` at a directory of its own",
            root.display()
        )));
    }
    let is_link = fs::symlink_metadata(path).is_ok_and(|m| m.file_type().is_symlink());
    if is_link {
        let holder = path
            .parent()
            .and_then(|p| fs::canonicalize(p).ok())
            .unwrap_or_default();
        if holder.as_os_str().is_empty() || !root.starts_with(&holder) || root == holder {
            return Err(unsafe_root(format!(
                "it is a symbolic link to `{}`, outside `{}`; point `path` at the directory itself",
                root.display(),
                holder.display()
            )));
        }
    }
    Ok(())
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
