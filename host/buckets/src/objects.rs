//! S3's object calls on one bucket: get (whole or a range), put (atomic), head, delete, list.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use fnhost_runtime::{ObjectFailure, ObjectMeta, WriteOrigin};
use md5::{Digest, Md5};

use crate::bucket::{Bucket, FileState, absent, segment_ends};
use crate::etag::hex;
use crate::journal::{JournalChange, WriteJournal};
use crate::key;

/// Most bytes one get moves, whole object or range (32 MiB).
pub const MAX_GET_BYTES: u64 = 32 << 20;
/// Most bytes one put writes (32 MiB).
pub const MAX_PUT_BYTES: usize = 32 << 20;
/// Most keys one list returns (S3's `MaxKeys` cap).
pub const MAX_LIST_KEYS: u32 = 1000;

/// Bytes written (and hashed) per step of a put.
const WRITE_CHUNK: usize = 1 << 20;

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

    /// Metadata of object `key`.
    pub(crate) fn head_object(&self, key: &str) -> Result<ObjectMeta, ObjectFailure> {
        let mut file = self
            .open_object(key)?
            .ok_or_else(|| self.no_such_key(key))?;
        self.meta(key, &mut file)
    }

    fn meta(&self, key: &str, file: &mut File) -> Result<ObjectMeta, ObjectFailure> {
        let state = FileState::of(&file.metadata().map_err(|e| self.io_failure(key, &e))?);
        let etag = self
            .etags
            .etag(key, file)
            .map_err(|e| self.io_failure(key, &e))?;
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: state.size,
            etag,
            last_modified_ms: state.last_modified_ms(),
        })
    }

    /// Write object `key` atomically on behalf of `origin`: a temp file in the key's directory,
    /// fsync, journal entry, rename over the key, fsync of the directory.
    pub(crate) fn put_object(
        &self,
        key: &str,
        body: &[u8],
        journal: &WriteJournal,
        origin: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure> {
        if body.len() > MAX_PUT_BYTES {
            return Err(ObjectFailure::TooLarge(format!(
                "the body for `{}` is {} bytes and one put writes at most {MAX_PUT_BYTES}",
                key::shown(key),
                body.len()
            )));
        }
        let target = self.path_for(key)?;
        let dir = self.make_parents(key)?;
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_dir() => {
                return Err(ObjectFailure::InvalidKey(format!(
                    "`{}` is a directory of other objects in bucket `{}`; an object cannot share a name with a directory",
                    key::shown(key),
                    self.name()
                )));
            }
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(self.symlink_failure(key, key));
            }
            Ok(_) => {}
            Err(e) if absent(&e) => {}
            Err(e) => return Err(self.io_failure(key, &e)),
        }

        let (temp, mut file) = create_temp(&dir).map_err(|e| self.io_failure(key, &e))?;
        let written = (|| {
            let mut hasher = Md5::new();
            for chunk in body.chunks(WRITE_CHUNK) {
                hasher.update(chunk);
                file.write_all(chunk)?;
            }
            file.sync_all()?;
            let state = FileState::of(&file.metadata()?);
            Ok::<_, io::Error>((hex(&hasher.finalize()), state))
        })();
        let (etag, state) = match written {
            Ok(done) => done,
            Err(e) => {
                remove_temp(&temp);
                return Err(self.io_failure(key, &e));
            }
        };
        drop(file);

        let change = JournalChange::Put { etag: etag.clone() };
        journal.record(self.name(), key, change.clone(), origin);
        if let Err(e) = fs::rename(&temp, &target) {
            journal.take(self.name(), key, &change);
            remove_temp(&temp);
            return Err(self.io_failure(key, &e));
        }
        sync_dir(&dir);
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: state.size,
            etag,
            last_modified_ms: state.last_modified_ms(),
        })
    }

    /// Remove object `key` on behalf of `origin`. A missing key (or a directory, which is no
    /// object) succeeds, as in S3. Directories left empty stay: S3 has none to remove, and
    /// another writer may be about to use them.
    pub(crate) fn delete_object(
        &self,
        key: &str,
        journal: &WriteJournal,
        origin: &WriteOrigin,
    ) -> Result<(), ObjectFailure> {
        let target = self.path_for(key)?;
        match fs::symlink_metadata(&target) {
            Ok(meta) if meta.is_file() => {}
            Ok(meta) if meta.file_type().is_symlink() => {
                return Err(self.symlink_failure(key, key));
            }
            Ok(_) => return Ok(()),
            Err(e) if absent(&e) => return Ok(()),
            Err(e) => return Err(self.io_failure(key, &e)),
        }
        journal.record(self.name(), key, JournalChange::Delete, origin);
        match fs::remove_file(&target) {
            Ok(()) => {
                if let Some(dir) = target.parent() {
                    sync_dir(dir);
                }
                Ok(())
            }
            Err(e) => {
                journal.take(self.name(), key, &JournalChange::Delete);
                if absent(&e) {
                    Ok(())
                } else {
                    Err(self.io_failure(key, &e))
                }
            }
        }
    }

    /// Objects whose keys start with `prefix`, after `start_after`, sorted, at most
    /// `max_keys` (capped at [`MAX_LIST_KEYS`]). Only the directory the prefix names is
    /// scanned; symlinks and ignored files are never listed.
    pub(crate) fn list_objects(
        &self,
        prefix: &str,
        start_after: Option<&str>,
        max_keys: u32,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        let max_keys = max_keys.min(MAX_LIST_KEYS) as usize;
        if max_keys == 0 {
            return Ok(Vec::new());
        }
        let dir_key = prefix.rfind('/').map_or("", |slash| &prefix[..slash]);
        let Some(dir) = self.listing_dir(dir_key)? else {
            return Ok(Vec::new());
        };
        let scan_prefix = if dir_key.is_empty() {
            String::new()
        } else {
            format!("{dir_key}/")
        };
        let found = self
            .scan(&dir, &scan_prefix)
            .map_err(|e| self.io_failure(prefix, &e))?;
        let mut listed = Vec::new();
        for (key, _) in found {
            if !key.starts_with(prefix) || start_after.is_some_and(|after| key.as_str() <= after) {
                continue;
            }
            // A file removed since the scan is simply not listed.
            let Some(mut file) = self.open_object(&key)? else {
                continue;
            };
            listed.push(self.meta(&key, &mut file)?);
            if listed.len() == max_keys {
                break;
            }
        }
        Ok(listed)
    }

    /// The directory that holds every key starting with `dir_key/`, if it is a real directory
    /// reached without symlinks.
    fn listing_dir(&self, dir_key: &str) -> Result<Option<PathBuf>, ObjectFailure> {
        let mut dir = self.root().to_path_buf();
        if dir_key.is_empty() {
            return Ok(Some(dir));
        }
        // No valid key lies below a directory whose name is not a valid key.
        if key::check(dir_key).is_err() {
            return Ok(None);
        }
        for segment in dir_key.split('/') {
            dir.push(segment);
            match fs::symlink_metadata(&dir) {
                Ok(meta) if meta.is_dir() => {}
                Ok(_) => return Ok(None),
                Err(e) if absent(&e) => return Ok(None),
                Err(e) => return Err(self.io_failure(dir_key, &e)),
            }
        }
        Ok(Some(dir))
    }

    /// Create the directories above `key`, refusing symlinks and files on the way (checked
    /// again here, as another process may have changed the tree since `path_for`).
    fn make_parents(&self, key: &str) -> Result<PathBuf, ObjectFailure> {
        let mut dir = self.root().to_path_buf();
        let segments: Vec<(usize, &str)> = segment_ends(key).collect();
        let Some((_, parents)) = segments.split_last() else {
            return Ok(dir);
        };
        for &(end, segment) in parents {
            dir.push(segment);
            // Twice at most: a directory another writer creates between lstat and mkdir is fine.
            for attempt in 0..2 {
                match fs::symlink_metadata(&dir) {
                    Ok(meta) if meta.is_dir() => break,
                    Ok(meta) if meta.file_type().is_symlink() => {
                        return Err(self.symlink_failure(key, &key[..end]));
                    }
                    Ok(_) => {
                        return Err(ObjectFailure::InvalidKey(format!(
                            "`{}`: `{}` is an object in bucket `{}`, so it cannot also be a directory",
                            key::shown(key),
                            key::shown(&key[..end]),
                            self.name()
                        )));
                    }
                    Err(e) if e.kind() == io::ErrorKind::NotFound && attempt == 0 => {
                        match fs::create_dir(&dir) {
                            Ok(()) => break,
                            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
                            Err(e) => return Err(self.io_failure(key, &e)),
                        }
                    }
                    Err(e) => return Err(self.io_failure(key, &e)),
                }
            }
        }
        Ok(dir)
    }
}

/// A new temp file in `dir`, created exclusively (never an existing file or link).
fn create_temp(dir: &Path) -> io::Result<(PathBuf, File)> {
    let mut last = None;
    for _ in 0..8 {
        let path = dir.join(key::temp_name());
        match OpenOptions::new().write(true).create_new(true).open(&path) {
            Ok(file) => return Ok((path, file)),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => last = Some(e),
            Err(e) => return Err(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no free temp file name")))
}

fn remove_temp(path: &Path) {
    if let Err(e) = fs::remove_file(path) {
        tracing::warn!(path = %path.display(), error = %e, "cannot remove a temp file");
    }
}

/// Make a rename or removal in `dir` durable; a failure only costs durability, so it is logged.
fn sync_dir(dir: &Path) {
    if let Err(e) = File::open(dir).and_then(|d| d.sync_all()) {
        tracing::warn!(dir = %dir.display(), error = %e, "cannot fsync a bucket directory");
    }
}
