//! S3's object calls on one bucket: get (whole or a range), put and copy (atomic), head,
//! delete, list.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::os::fd::{AsFd, BorrowedFd};
use std::time::Instant;

use fnhost_runtime::{ObjectFailure, ObjectMeta, WriteOrigin, check_put_size};
use md5::{Digest, Md5};
use rustix::io::Errno;

use crate::bucket::{Bucket, FileState, Reached};
use crate::etag::{Fingerprint, hex};
use crate::handle::{self, Kind};
use crate::journal::{JournalChange, WriteJournal};
use crate::key;

/// Most bytes one get moves, whole object or range (32 MiB).
pub const MAX_GET_BYTES: u64 = 32 << 20;
/// Most keys one list returns (S3's `MaxKeys` cap).
pub const MAX_LIST_KEYS: u32 = 1000;

/// Largest object one copy reads: S3's limit for a `CopyObject` source (5 GiB).
pub const MAX_COPY_BYTES: u64 = 5 << 30;

/// Bytes written (and hashed) per step of a put or a copy.
const WRITE_CHUNK: usize = 1 << 20;

/// How a write makes its object, which decides the event it fires.
#[derive(Clone, Copy)]
enum Made {
    /// A put: `ObjectCreated:Put`.
    Put,
    /// A copy: `ObjectCreated:Copy`.
    Copy,
}

impl Bucket {
    /// Object `key`, or its inclusive byte range `(first, last)`.
    ///
    /// Ranges follow S3: `last` past the end is clamped to the last byte; a range that starts
    /// at or past the end (S3's 416 `InvalidRange`), or whose `first` exceeds `last`, is
    /// [`ObjectFailure::InvalidKey`] (the SDK reports it as `InvalidArgument`). The whole object
    /// and any range are capped at [`MAX_GET_BYTES`]; ranges are read with a seek.
    pub(crate) fn get_object(
        &self,
        key: &str,
        range: Option<(u64, u64)>,
    ) -> Result<Vec<u8>, ObjectFailure> {
        let mut file = self
            .open_object(key)?
            .ok_or_else(|| self.no_such_key(key))?;
        let io_failure = |e: io::Error| self.io_failure(key, &e);
        let size = file.metadata().map_err(io_failure)?.len();
        let (first, len) = match range {
            None if size > MAX_GET_BYTES => {
                return Err(ObjectFailure::TooLarge(format!(
                    "object `{}` in bucket `{}` is {size} bytes and one call reads at most {MAX_GET_BYTES}; read it in ranges with get_object(bucket, key, Some((first, last)))",
                    key::shown(key),
                    self.name()
                )));
            }
            None => (0, size),
            Some((first, last)) => {
                let asked = format!("bytes={first}-{last}");
                if first > last {
                    return Err(ObjectFailure::InvalidKey(format!(
                        "range `{asked}` of `{}`: the first byte comes after the last",
                        key::shown(key)
                    )));
                }
                if first >= size {
                    return Err(ObjectFailure::InvalidKey(format!(
                        "range `{asked}` is not satisfiable: object `{}` is {size} bytes (S3's InvalidRange)",
                        key::shown(key)
                    )));
                }
                let len = last.min(size - 1) - first + 1;
                if len > MAX_GET_BYTES {
                    return Err(ObjectFailure::TooLarge(format!(
                        "range `{asked}` of `{}` is {len} bytes and one call reads at most {MAX_GET_BYTES}; ask for smaller ranges",
                        key::shown(key)
                    )));
                }
                (first, len)
            }
        };
        if first > 0 {
            file.seek(SeekFrom::Start(first)).map_err(io_failure)?;
        }
        // The file may grow while it is read; never read more than was decided above.
        let mut body = Vec::with_capacity(len as usize);
        file.take(len).read_to_end(&mut body).map_err(io_failure)?;
        Ok(body)
    }

    /// Metadata of object `key`; hashing an unknown file stops at `deadline`.
    pub(crate) fn head_object(
        &self,
        key: &str,
        deadline: Option<Instant>,
    ) -> Result<ObjectMeta, ObjectFailure> {
        let mut file = self
            .open_object(key)?
            .ok_or_else(|| self.no_such_key(key))?;
        self.meta(key, &mut file, deadline)
    }

    fn meta(
        &self,
        key: &str,
        file: &mut File,
        deadline: Option<Instant>,
    ) -> Result<ObjectMeta, ObjectFailure> {
        let state = FileState::of(&file.metadata().map_err(|e| self.io_failure(key, &e))?);
        let etag = self
            .etags
            .etag(key, file, deadline)
            .map_err(|e| self.io_failure(key, &e))?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: state.size,
            etag,
            last_modified_ms: state.last_modified_ms(),
        })
    }

    /// Write object `key` atomically on behalf of `origin`: a temp file in the key's directory,
    /// fsync, journal entry, rename over the key, fsync of the directory — every step relative
    /// to the directory handle reached without links.
    pub(crate) fn put_object(
        &self,
        key: &str,
        body: &[u8],
        journal: &WriteJournal,
        origin: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure> {
        check_put_size(body.len())?;
        self.write_object(key, journal, origin, Made::Put, |file, hasher| {
            for chunk in body.chunks(WRITE_CHUNK) {
                hasher.update(chunk);
                file.write_all(chunk)?;
            }
            Ok(())
        })
    }

    /// Copy object `src_key` of bucket `src` to `key` of this bucket on behalf of `origin`
    /// (S3's `CopyObject`), written as atomically as a put; its file event is
    /// `ObjectCreated:Copy`. The copy streams through a fixed buffer; past `deadline` it stops
    /// and leaves the target as it was. Sources over [`MAX_COPY_BYTES`] are refused, as S3
    /// refuses them.
    pub(crate) fn copy_object(
        &self,
        src: &Bucket,
        src_key: &str,
        key: &str,
        journal: &WriteJournal,
        origin: &WriteOrigin,
        deadline: Option<Instant>,
    ) -> Result<ObjectMeta, ObjectFailure> {
        if src.name() == self.name() && src_key == key {
            // S3's own text (InvalidRequest): there is no metadata to change here.
            return Err(ObjectFailure::InvalidKey(format!(
                "`{}` in bucket `{}`: this copy request is illegal because it is trying to copy an object to itself; copy it to another key",
                key::shown(key),
                self.name()
            )));
        }
        let source = src
            .open_object(src_key)?
            .ok_or_else(|| src.no_such_key(src_key))?;
        let size = source
            .metadata()
            .map_err(|e| src.io_failure(src_key, &e))?
            .len();
        if size > MAX_COPY_BYTES {
            return Err(ObjectFailure::TooLarge(format!(
                "`{}` in bucket `{}` is {size} bytes, larger than the maximum allowable size for a copy source: {MAX_COPY_BYTES}",
                key::shown(src_key),
                src.name()
            )));
        }
        let mut timed_out = false;
        // The file may grow while it is copied; never copy more than was checked above.
        let mut source = source.take(size);
        let done = self.write_object(key, journal, origin, Made::Copy, |file, hasher| {
            let mut buf = vec![0; WRITE_CHUNK];
            loop {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    timed_out = true;
                    return Err(io::Error::from(io::ErrorKind::TimedOut));
                }
                let n = match source.read(&mut buf) {
                    Ok(0) => return Ok(()),
                    Ok(n) => n,
                    Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                    Err(e) => return Err(e),
                };
                hasher.update(&buf[..n]);
                file.write_all(&buf[..n])?;
            }
        });
        match done {
            Err(_) if timed_out => Err(ObjectFailure::Io(format!(
                "the copy of `{}` reached its time limit before it was complete; `{}` in bucket `{}` is unchanged",
                key::shown(src_key),
                key::shown(key),
                self.name()
            ))),
            done => done,
        }
    }

    /// The one atomic write: `fill` writes (and hashes) the content into a temp file in the
    /// key's directory; then fsync, journal entry (`made`, with the ETag), rename over the
    /// key and fsync of the directory, every step relative to the directory handle reached
    /// without links. A failure removes the temp file and leaves the key as it was.
    fn write_object(
        &self,
        key: &str,
        journal: &WriteJournal,
        origin: &WriteOrigin,
        made: Made,
        fill: impl FnOnce(&mut File, &mut Md5) -> io::Result<()>,
    ) -> Result<ObjectMeta, ObjectFailure> {
        let dir = match self.parent_of(key, true)? {
            Reached::Dir(dir) => dir,
            // Only when a directory made for this write vanished at once.
            Reached::Missing => {
                return Err(self.io_failure(
                    key,
                    &io::Error::new(io::ErrorKind::NotFound, "its directory was removed"),
                ));
            }
        };
        let name = key::file_name(key);
        match handle::lstat_at(dir.as_fd(), name) {
            Ok(Some(stat)) if Kind::of(&stat) == Kind::Dir => {
                return Err(ObjectFailure::InvalidKey(format!(
                    "`{}` is a directory of other objects in bucket `{}`; an object cannot share a name with a directory",
                    key::shown(key),
                    self.name()
                )));
            }
            Ok(Some(stat)) if Kind::of(&stat) == Kind::Symlink => {
                return Err(self.symlink_failure(key, key));
            }
            Ok(_) => {}
            Err(e) => return Err(self.io_failure(key, &e)),
        }

        let (temp, mut file) = create_temp(dir.as_fd()).map_err(|e| self.io_failure(key, &e))?;
        let written = (|| {
            let mut hasher = Md5::new();
            fill(&mut file, &mut hasher)?;
            file.sync_all()?;
            let state = FileState::of(&file.metadata()?);
            Ok::<_, io::Error>((hex(&hasher.finalize()), state))
        })();
        let (etag, state) = match written {
            Ok(done) => done,
            Err(e) => {
                remove_temp(dir.as_fd(), &temp);
                return Err(self.io_failure(key, &e));
            }
        };
        drop(file);

        let change = match made {
            Made::Put => JournalChange::Put { etag: etag.clone() },
            Made::Copy => JournalChange::Copy { etag: etag.clone() },
        };
        journal.record(self.name(), key, change.clone(), origin);
        // A link or file swapped in at `name` since the check is replaced, never followed.
        if let Err(e) = handle::rename_at(dir.as_fd(), &temp, name) {
            journal.take(self.name(), key, &change);
            remove_temp(dir.as_fd(), &temp);
            return Err(self.io_failure(key, &e.into()));
        }
        handle::sync_dir(&dir);
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: state.size,
            etag,
            last_modified_ms: state.last_modified_ms(),
        })
    }

    /// Remove object `key` on behalf of `origin`. A missing key (or a directory, FIFO or other
    /// non-object) succeeds, as in S3. Directories left empty stay: S3 has none to remove, and
    /// another writer may be about to use them.
    pub(crate) fn delete_object(
        &self,
        key: &str,
        journal: &WriteJournal,
        origin: &WriteOrigin,
    ) -> Result<(), ObjectFailure> {
        let Reached::Dir(dir) = self.parent_of(key, false)? else {
            return Ok(());
        };
        let name = key::file_name(key);
        match handle::lstat_at(dir.as_fd(), name) {
            Ok(Some(stat)) => match Kind::of(&stat) {
                Kind::File => {}
                Kind::Symlink => return Err(self.symlink_failure(key, key)),
                Kind::Dir | Kind::Special => return Ok(()),
            },
            Ok(None) => return Ok(()),
            Err(e) => return Err(self.io_failure(key, &e)),
        }
        journal.record(self.name(), key, JournalChange::Delete, origin);
        // Relative to the held directory: a link swapped in since the check is itself removed
        // (inside the bucket), a directory is refused by the kernel.
        match handle::unlink_at(dir.as_fd(), name) {
            Ok(()) => {
                handle::sync_dir(&dir);
                Ok(())
            }
            Err(e) => {
                journal.take(self.name(), key, &JournalChange::Delete);
                if handle::is_absent(e) {
                    Ok(())
                } else {
                    Err(self.io_failure(key, &e.into()))
                }
            }
        }
    }

    /// Objects whose keys start with `prefix`, after `start_after`, sorted, at most
    /// `max_keys` (capped at [`MAX_LIST_KEYS`]). Only the directories that can hold such keys
    /// are read, each once while it is unchanged; only the listed files are examined, and their
    /// ETags come from the cache while they are unchanged. Symlinks, special files and ignored
    /// files are never listed. Past `deadline` the call fails rather than return a short page
    /// (which a caller would take for the end).
    pub(crate) fn list_objects(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: u32,
        deadline: Option<Instant>,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        let max_keys = max_keys.min(MAX_LIST_KEYS) as usize;
        if max_keys == 0 {
            return Ok(Vec::new());
        }
        let (dir_key, rel_prefix) = match prefix.rfind('/') {
            Some(slash) => (&prefix[..slash], &prefix[slash + 1..]),
            None => ("", prefix),
        };
        let scan_prefix = if dir_key.is_empty() {
            String::new()
        } else {
            format!("{dir_key}/")
        };
        // Keys below `scan_prefix` after `start_after`: all (it sorts before them), some (it is
        // one of them), or none (it sorts after them all).
        let after = match start_after {
            None => None,
            Some(after) => match after.strip_prefix(scan_prefix.as_str()) {
                Some(rel) => Some(rel),
                None if after < scan_prefix.as_str() => None,
                None => return Ok(Vec::new()),
            },
        };
        let Some(dir) = self.listing_dir(dir_key)? else {
            return Ok(Vec::new());
        };
        let mut listed = Vec::new();
        self.visit(
            dir.as_fd(),
            &scan_prefix,
            rel_prefix,
            after,
            true,
            &mut |dir, key, name| {
                if deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(self.call_timed_out(key));
                }
                if let Some(meta) = self.listed_meta(dir, key, name, deadline)? {
                    listed.push(meta);
                }
                Ok(listed.len() < max_keys)
            },
        )?;
        Ok(listed)
    }

    /// The metadata of the listed file `name` in `dir` (object `key`): from the `lstat` and the
    /// ETag cache when the file is unchanged, else opened and hashed. `None` when it is gone or
    /// is no longer a regular file.
    fn listed_meta(
        &self,
        dir: BorrowedFd<'_>,
        key: &str,
        name: &str,
        deadline: Option<Instant>,
    ) -> Result<Option<ObjectMeta>, ObjectFailure> {
        let stat = match handle::lstat_at(dir, name) {
            Ok(Some(stat)) if Kind::of(&stat) == Kind::File => stat,
            Ok(_) => return Ok(None),
            Err(e) => return Err(self.io_failure(key, &e)),
        };
        if let Some(etag) = self.etags.lookup(key, &Fingerprint::of_stat(&stat)) {
            let state = FileState::of_stat(&stat);
            return Ok(Some(ObjectMeta {
                key: key.to_owned(),
                size: state.size,
                etag,
                last_modified_ms: state.last_modified_ms(),
            }));
        }
        let mut file = match handle::open_file_at(dir, name) {
            Ok(Some(file)) => file,
            // Gone or swapped since the listing: not listed.
            Ok(None) | Err(Errno::LOOP) => return Ok(None),
            Err(e) => return Err(self.io_failure(key, &e.into())),
        };
        match self.meta(key, &mut file, deadline) {
            Ok(meta) => Ok(Some(meta)),
            Err(ObjectFailure::Io(_)) if deadline.is_some_and(|d| Instant::now() >= d) => {
                Err(self.call_timed_out(key))
            }
            Err(e) => Err(e),
        }
    }

    fn call_timed_out(&self, key: &str) -> ObjectFailure {
        ObjectFailure::Io(format!(
            "the call reached its time limit at `{}` in bucket `{}`; list with a smaller `max_keys` or a narrower prefix",
            key::shown(key),
            self.name()
        ))
    }
}

/// A new temp file in `dir`, created exclusively (never an existing file or link).
fn create_temp(dir: BorrowedFd<'_>) -> io::Result<(String, File)> {
    let mut last = None;
    for _ in 0..8 {
        let name = key::temp_name();
        match handle::create_file_at(dir, &name) {
            Ok(file) => return Ok((name, file)),
            Err(e) if e == Errno::EXIST => last = Some(io::Error::from(e)),
            Err(e) => return Err(e.into()),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temp file name")))
}

fn remove_temp(dir: BorrowedFd<'_>, name: &str) {
    if let Err(e) = handle::unlink_at(dir, name) {
        tracing::warn!(file = name, error = %e, "cannot remove a temp file");
    }
}
