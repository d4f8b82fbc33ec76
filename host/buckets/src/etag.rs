//! ETags: the hex MD5 of an object's content, streamed, and remembered while the file is
//! unchanged so listings do not re-read every object.

use std::collections::HashMap;
use std::fs::{File, Metadata};
use std::io::{self, Read};
use std::os::unix::fs::MetadataExt;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use md5::{Digest, Md5};

/// Read buffer of the streaming hash.
const CHUNK: usize = 64 * 1024;
/// Cached ETags per bucket; the cache starts over when full.
const MAX_CACHED: usize = 100_000;
/// A file changed more recently than this is hashed but not cached: timestamps are coarse
/// (a few ms on most filesystems), so a same-size rewrite inside one tick would look unchanged.
const SETTLE: Duration = Duration::from_secs(2);

/// The hex MD5 of everything `reader` yields, in constant memory.
#[cfg(test)]
pub(crate) fn md5_hex(reader: &mut impl Read) -> io::Result<String> {
    md5_hex_until(reader, None)
}

/// The hex MD5 of everything `reader` yields, in constant memory; past `deadline` it stops
/// with [`io::ErrorKind::TimedOut`] (a huge object cannot keep a host thread past the call's
/// time limit).
pub(crate) fn md5_hex_until(
    reader: &mut impl Read,
    deadline: Option<Instant>,
) -> io::Result<String> {
    let mut hasher = Md5::new();
    let mut buf = vec![0u8; CHUNK];
    loop {
        if deadline.is_some_and(|d| Instant::now() >= d) {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the call's time limit passed while hashing the object",
            ));
        }
        match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => hasher.update(&buf[..n]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(hex(&hasher.finalize()))
}

/// The hex MD5 of `bytes`.
#[cfg(test)]
fn md5_bytes(bytes: &[u8]) -> String {
    hex(&Md5::digest(bytes))
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        out.push(DIGITS[usize::from(b >> 4)] as char);
        out.push(DIGITS[usize::from(b & 0xf)] as char);
    }
    out
}

/// What identifies one version of a file without reading it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Fingerprint {
    dev: u64,
    ino: u64,
    size: u64,
    mtime_ns: i128,
    ctime_ns: i128,
}

impl Fingerprint {
    pub(crate) fn of(meta: &Metadata) -> Self {
        Self {
            dev: meta.dev(),
            ino: meta.ino(),
            size: meta.size(),
            mtime_ns: i128::from(meta.mtime()) * 1_000_000_000 + i128::from(meta.mtime_nsec()),
            ctime_ns: i128::from(meta.ctime()) * 1_000_000_000 + i128::from(meta.ctime_nsec()),
        }
    }

    /// The same, from an `lstat`/`fstat` result (the field types vary by architecture).
    #[allow(clippy::unnecessary_cast, clippy::useless_conversion)]
    pub(crate) fn of_stat(stat: &rustix::fs::Stat) -> Self {
        Self {
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
            size: stat.st_size as u64,
            mtime_ns: i128::from(stat.st_mtime as i64) * 1_000_000_000
                + i128::from(stat.st_mtime_nsec as i64),
            ctime_ns: i128::from(stat.st_ctime as i64) * 1_000_000_000
                + i128::from(stat.st_ctime_nsec as i64),
        }
    }

    /// Device and inode: which file (or directory) this is.
    pub(crate) fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }

    /// Whether the file last changed at least [`SETTLE`] before `now`.
    pub(crate) fn settled(&self, now: SystemTime) -> bool {
        let now_ns = now
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as i128);
        let limit = now_ns - SETTLE.as_nanos() as i128;
        self.mtime_ns <= limit && self.ctime_ns <= limit
    }
}

/// ETags of one bucket's files, valid while their fingerprint is unchanged.
#[derive(Debug, Default)]
pub(crate) struct EtagCache {
    entries: Mutex<HashMap<String, (Fingerprint, String)>>,
}

impl EtagCache {
    /// The ETag of the open `file` (object `key`), from the cache when its fingerprint matches;
    /// hashing stops at `deadline`.
    pub(crate) fn etag(
        &self,
        key: &str,
        file: &mut File,
        deadline: Option<Instant>,
    ) -> io::Result<String> {
        let before = Fingerprint::of(&file.metadata()?);
        if let Some(etag) = self.lookup(key, &before) {
            return Ok(etag);
        }
        let started = SystemTime::now();
        let etag = md5_hex_until(file, deadline)?;
        let after = Fingerprint::of(&file.metadata()?);
        if before == after && after.settled(started) {
            self.remember(key, after, etag.clone());
        }
        Ok(etag)
    }

    /// The remembered ETag of `key`, if its file still has `fingerprint`.
    pub(crate) fn lookup(&self, key: &str, fingerprint: &Fingerprint) -> Option<String> {
        let entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        match entries.get(key) {
            Some((known, etag)) if known == fingerprint => Some(etag.clone()),
            _ => None,
        }
    }

    fn remember(&self, key: &str, fingerprint: Fingerprint, etag: String) {
        let mut entries = self.entries.lock().unwrap_or_else(|e| e.into_inner());
        if entries.len() >= MAX_CACHED && !entries.contains_key(key) {
            entries.clear();
        }
        entries.insert(key.to_owned(), (fingerprint, etag));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_md5_vectors() {
        assert_eq!(md5_bytes(b""), "d41d8cd98f00b204e9800998ecf8427e");
        assert_eq!(
            md5_bytes(b"hello world"),
            "5eb63bbbe01eeed093cb22bb8f5acdc3"
        );
        let big = vec![7u8; CHUNK * 3 + 17];
        assert_eq!(md5_hex(&mut big.as_slice()).unwrap(), md5_bytes(&big));
    }

    #[test]
    fn recent_changes_are_not_settled() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"x").unwrap();
        let fp = Fingerprint::of(&std::fs::metadata(&path).unwrap());
        assert!(!fp.settled(SystemTime::now()));
        assert!(fp.settled(SystemTime::now() + Duration::from_secs(3)));
    }

    #[test]
    fn cache_follows_the_fingerprint() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f");
        std::fs::write(&path, b"one").unwrap();
        let cache = EtagCache::default();
        let mut file = File::open(&path).unwrap();
        let fp = Fingerprint::of(&file.metadata().unwrap());
        // A stale entry under the current fingerprint is what a cache hit returns...
        cache.remember("f", fp, "cached".into());
        assert_eq!(cache.etag("f", &mut file, None).unwrap(), "cached");
        // ...and any change of the file makes it miss.
        std::fs::write(&path, b"two!").unwrap();
        let mut file = File::open(&path).unwrap();
        assert_eq!(
            cache.etag("f", &mut file, None).unwrap(),
            md5_bytes(b"two!")
        );
    }
}
