//! Cranelift's incremental compilation cache on disk, so that code shared by many functions is
//! compiled once: every Python function carries the same CPython (about 20 MB of wasm), every
//! JavaScript function the same QuickJS, and wasmtime compiles a component function by function.
//! With this cache a function whose body was compiled before (by any function, under any engine
//! with the same code generation settings) is copied from the cache instead of compiled again.
//!
//! Layout: `<state>/cache/incremental/<2 hex>/<62 hex>`, one file per compiled function, named
//! by Cranelift's key (a sha256 of the function's IR and the target's settings). A file holds the
//! value Cranelift stored, then a trailer: the key again, the sha256 of the value and a magic
//! string. A read checks all three, so a truncated, corrupted or misplaced file (or one from
//! another format) is a miss, never wrong code; Cranelift itself rejects values from another
//! Cranelift version. Files are written to a temporary name and renamed into place.
//!
//! Entries are written by a background thread at the lowest CPU priority, so a compile does not
//! wait for the file system (creating a few hundred small files costs as much as compiling
//! them on some disks): until an entry is on disk it is served from memory. At most
//! [`MAX_PENDING_BYTES`] wait; past that a compile writes its entries itself. Entries still
//! waiting when the cache is dropped are written then; a process that exits without dropping
//! it loses them, which only costs a compile.
//!
//! The cache is bounded: past its byte budget the least recently used files (a hit refreshes a
//! file's mtime) are removed until a quarter of the budget is free. Failing to read or write it
//! only costs a compile; it is never an error.

use std::borrow::Cow;
use std::collections::{HashMap, VecDeque};
use std::fs;
use std::io::{Read as _, Write as _};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use sha2::Digest as _;

/// The default byte budget of `<state>/cache/incremental`: 1 GiB (the CPython and QuickJS
/// runtimes take about 60 MB and 5 MB of it per engine configuration).
pub const DEFAULT_INCREMENTAL_BUDGET: u64 = 1024 * 1024 * 1024;

/// Most bytes of entries held in memory waiting for the writer thread (CPython's are about
/// 60 MB); past it an insert writes its entry itself.
pub(crate) const MAX_PENDING_BYTES: u64 = 128 * 1024 * 1024;

/// The last bytes of every entry.
const MAGIC: &[u8; 8] = b"fnhic\x001\n";
/// Key, sha256 of the value, magic.
const TRAILER: usize = 32 + 32 + MAGIC.len();
/// How old a temporary file must be before an eviction sweep removes it (older than any write).
const STALE_TEMP: Duration = Duration::from_secs(600);
/// The writer thread's nice value: it runs when nothing else wants the CPU.
const WRITER_NICE: i32 = 19;

/// Cranelift's incremental cache over a directory (see the module docs).
#[derive(Debug)]
pub(crate) struct IncrementalCache {
    disk: Arc<Disk>,
    /// Most bytes waiting for the writer ([`MAX_PENDING_BYTES`]).
    max_pending: u64,
    /// The writer thread, started by the first insert; `None` until then (or when it could
    /// not be started: inserts then write their entries themselves).
    writer: Mutex<Option<std::thread::JoinHandle<()>>>,
}

/// The directory, and the entries waiting to be written to it.
#[derive(Debug)]
struct Disk {
    dir: PathBuf,
    budget: u64,
    /// Bytes in the directory, counted on the first write (not at start-up, which must stay
    /// fast) and kept up to date by writes and evictions. `None` until counted.
    total: Mutex<Option<u64>>,
    queue: Mutex<Queue>,
    /// Signalled when an entry is queued, written, or the cache closes.
    changed: Condvar,
}

/// Entries not yet on disk.
#[derive(Debug, Default)]
struct Queue {
    /// Keys in the order they came.
    order: VecDeque<[u8; 32]>,
    /// Their values; an entry stays here (and is served from here) until its file is written.
    values: HashMap<[u8; 32], Arc<Vec<u8>>>,
    /// Bytes of `values`.
    bytes: u64,
    /// The cache is being dropped: the writer finishes the queue and stops.
    closed: bool,
}

impl IncrementalCache {
    /// The cache in `dir`, holding at most about `budget` bytes. Nothing is touched until the
    /// first compile.
    pub fn new(dir: PathBuf, budget: u64) -> Self {
        Self {
            disk: Arc::new(Disk {
                dir,
                budget,
                total: Mutex::new(None),
                queue: Mutex::new(Queue::default()),
                changed: Condvar::new(),
            }),
            max_pending: MAX_PENDING_BYTES,
            writer: Mutex::new(None),
        }
    }

    /// The same cache holding at most `bytes` in memory for the writer.
    #[cfg(test)]
    fn with_max_pending(mut self, bytes: u64) -> Self {
        self.max_pending = bytes;
        self
    }

    /// Wait until every entry inserted so far is on disk (or failed to be written).
    pub fn flush(&self) {
        let mut queue = self.disk.lock_queue();
        while !queue.order.is_empty() {
            queue = self
                .disk
                .changed
                .wait(queue)
                .unwrap_or_else(|e| e.into_inner());
        }
    }

    #[cfg(test)]
    fn path_for(&self, key: &[u8]) -> Option<PathBuf> {
        self.disk.path_for(key)
    }

    /// Queue `value` for the writer thread; `false` when it must be written by the caller (the
    /// queue is full, or there is no writer thread).
    fn enqueue(&self, key: [u8; 32], value: Vec<u8>) -> std::result::Result<(), Vec<u8>> {
        if !self.writer_running() {
            return Err(value);
        }
        let mut queue = self.disk.lock_queue();
        let size = value.len() as u64;
        if queue.values.contains_key(&key) {
            return Ok(());
        }
        if queue.bytes + size > self.max_pending {
            return Err(value);
        }
        queue.bytes += size;
        queue.order.push_back(key);
        queue.values.insert(key, Arc::new(value));
        drop(queue);
        self.disk.changed.notify_all();
        Ok(())
    }

    /// Start the writer thread unless it runs; whether it does.
    fn writer_running(&self) -> bool {
        let mut writer = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        if writer.is_some() {
            return true;
        }
        let disk = self.disk.clone();
        match std::thread::Builder::new()
            .name("fnhost-cache-writer".into())
            .spawn(move || disk.write_queued())
        {
            Ok(handle) => {
                *writer = Some(handle);
                true
            }
            Err(err) => {
                tracing::debug!(%err, "cannot start the incremental cache writer; compiles write their entries");
                false
            }
        }
    }
}

impl Drop for IncrementalCache {
    fn drop(&mut self) {
        self.disk.lock_queue().closed = true;
        self.disk.changed.notify_all();
        let writer = self.writer.get_mut().unwrap_or_else(|e| e.into_inner());
        if let Some(handle) = writer.take() {
            let _ = handle.join();
        }
    }
}

impl Disk {
    fn lock_queue(&self) -> MutexGuard<'_, Queue> {
        self.queue.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn path_for(&self, key: &[u8]) -> Option<PathBuf> {
        // Cranelift's keys are sha256 digests; anything else is not ours to store.
        if key.len() != 32 {
            return None;
        }
        let name = hex::encode(key);
        Some(self.dir.join(&name[..2]).join(&name[2..]))
    }

    /// The writer thread: write queued entries in order until the cache closes.
    fn write_queued(&self) {
        // Lowest priority: a compile waiting for its CPU time matters more than its entries.
        if let Err(err) = rustix::process::setpriority_process(None, WRITER_NICE) {
            tracing::debug!(%err, "cannot lower the incremental cache writer's priority");
        }
        loop {
            let (key, value) = {
                let mut queue = self.lock_queue();
                loop {
                    if let Some(key) = queue.order.front().copied() {
                        let value = queue.values.get(&key).cloned().unwrap_or_default();
                        break (key, value);
                    }
                    if queue.closed {
                        return;
                    }
                    queue = self.changed.wait(queue).unwrap_or_else(|e| e.into_inner());
                }
            };
            self.store(&key, &value);
            let mut queue = self.lock_queue();
            queue.order.pop_front();
            if queue.values.remove(&key).is_some() {
                queue.bytes -= value.len() as u64;
            }
            drop(queue);
            self.changed.notify_all();
        }
    }

    fn read(&self, key: &[u8]) -> Option<Vec<u8>> {
        let path = self.path_for(key)?;
        let mut file = fs::File::open(&path).ok()?;
        let len = usize::try_from(file.metadata().ok()?.len()).ok()?;
        if len < TRAILER {
            return None;
        }
        let mut bytes = Vec::with_capacity(len);
        file.read_to_end(&mut bytes).ok()?;
        let value_len = bytes.len().checked_sub(TRAILER)?;
        let trailer = &bytes[value_len..];
        let (stored_key, rest) = trailer.split_at(32);
        let (digest, magic) = rest.split_at(32);
        if magic != MAGIC || stored_key != key {
            return None;
        }
        if sha2::Sha256::digest(&bytes[..value_len]).as_slice() != digest {
            tracing::debug!(entry = %path.display(), "corrupt incremental cache entry ignored");
            return None;
        }
        // Recently used: the budget evicts by mtime. A failure only makes it look older.
        let _ = file.set_modified(SystemTime::now());
        bytes.truncate(value_len);
        Some(bytes)
    }

    /// Write an entry and count it against the budget; whether it was written.
    fn store(&self, key: &[u8], value: &[u8]) -> bool {
        match self.write(key, value) {
            Ok(size) => {
                self.account(size);
                true
            }
            Err(err) => {
                tracing::debug!(cache = %self.dir.display(), %err, "cannot write an incremental cache entry");
                false
            }
        }
    }

    fn write(&self, key: &[u8], value: &[u8]) -> std::io::Result<u64> {
        let path = self
            .path_for(key)
            .ok_or_else(|| std::io::Error::other("not a 32-byte key"))?;
        let digest = sha2::Sha256::digest(value);
        let shard = path.parent().unwrap_or(&self.dir);
        fs::create_dir_all(shard)?;
        let tmp = shard.join(format!(".{}.tmp", uuid::Uuid::new_v4().simple()));
        let written = fs::File::create(&tmp)
            .and_then(|mut file| {
                file.write_all(value)?;
                file.write_all(key)?;
                file.write_all(&digest)?;
                file.write_all(MAGIC)
            })
            .and_then(|()| fs::rename(&tmp, &path));
        if let Err(err) = written {
            let _ = fs::remove_file(&tmp);
            return Err(err);
        }
        Ok((value.len() + TRAILER) as u64)
    }

    /// Count a new entry of `size` bytes against the budget, evicting when it is exceeded.
    fn account(&self, size: u64) {
        let mut total = self.total.lock().unwrap_or_else(|e| e.into_inner());
        let current = match *total {
            Some(bytes) => bytes + size,
            // The first write counts what earlier runs left (this entry included).
            None => entries(&self.dir).iter().map(|e| e.size).sum(),
        };
        *total = Some(if current > self.budget {
            self.evict()
        } else {
            current
        });
    }

    /// Remove the least recently used entries until a quarter of the budget is free, and stale
    /// temporary files; the bytes left.
    fn evict(&self) -> u64 {
        let target = self.budget / 4 * 3;
        let mut all = entries(&self.dir);
        let now = SystemTime::now();
        all.retain(|e| {
            let stale = e.temp && now.duration_since(e.used).is_ok_and(|age| age > STALE_TEMP);
            if stale {
                let _ = fs::remove_file(&e.path);
            }
            !e.temp
        });
        all.sort_by_key(|e| e.used);
        let mut left: u64 = all.iter().map(|e| e.size).sum();
        let mut removed = 0usize;
        for entry in all {
            if left <= target {
                break;
            }
            match fs::remove_file(&entry.path) {
                Ok(()) => {
                    left -= entry.size;
                    removed += 1;
                }
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => left -= entry.size,
                Err(_) => {}
            }
        }
        tracing::info!(cache = %self.dir.display(), removed, bytes = left, "incremental compilation cache over its budget: least recently used entries removed");
        left
    }
}

impl wasmtime::CacheStore for IncrementalCache {
    fn get(&self, key: &[u8]) -> Option<Cow<'_, [u8]>> {
        if let Ok(pending) = <[u8; 32]>::try_from(key)
            && let Some(value) = self.disk.lock_queue().values.get(&pending)
        {
            return Some(Cow::Owned(value.as_ref().clone()));
        }
        self.disk.read(key).map(Cow::Owned)
    }

    fn insert(&self, key: &[u8], value: Vec<u8>) -> bool {
        let Ok(key) = <[u8; 32]>::try_from(key) else {
            return false;
        };
        match self.enqueue(key, value) {
            Ok(()) => true,
            Err(value) => self.disk.store(&key, &value),
        }
    }
}

struct Entry {
    path: PathBuf,
    size: u64,
    used: SystemTime,
    temp: bool,
}

/// Every file in the shard directories under `dir`; a missing `dir` has none.
fn entries(dir: &Path) -> Vec<Entry> {
    let mut found = Vec::new();
    let Ok(shards) = fs::read_dir(dir) else {
        return found;
    };
    for shard in shards.flatten() {
        let Ok(files) = fs::read_dir(shard.path()) else {
            continue;
        };
        for file in files.flatten() {
            let Ok(meta) = file.metadata() else { continue };
            if !meta.is_file() {
                continue;
            }
            found.push(Entry {
                temp: file.file_name().to_string_lossy().ends_with(".tmp"),
                path: file.path(),
                size: meta.len(),
                used: meta.modified().unwrap_or(SystemTime::UNIX_EPOCH),
            });
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;
    use wasmtime::CacheStore as _;

    fn key(n: u8) -> [u8; 32] {
        [n; 32]
    }

    fn files(dir: &Path) -> Vec<PathBuf> {
        let mut all: Vec<PathBuf> = entries(dir).into_iter().map(|e| e.path).collect();
        all.sort();
        all
    }

    #[test]
    fn a_stored_value_comes_back_and_others_miss() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IncrementalCache::new(dir.path().join("inc"), 1 << 20);
        assert!(cache.get(&key(1)).is_none(), "nothing written yet");
        assert!(cache.insert(&key(1), b"compiled code".to_vec()));
        assert_eq!(cache.get(&key(1)).as_deref(), Some(&b"compiled code"[..]));
        assert!(cache.get(&key(2)).is_none());
        // An empty value is a value.
        assert!(cache.insert(&key(3), Vec::new()));
        assert_eq!(cache.get(&key(3)).as_deref(), Some(&b""[..]));
        // Keys that are not sha256 digests are neither stored nor found.
        assert!(!cache.insert(b"short", b"x".to_vec()));
        assert!(cache.get(b"short").is_none());
        // Once written, a second cache over the same directory (the next start) finds the
        // entries.
        cache.flush();
        assert_eq!(cache.get(&key(1)).as_deref(), Some(&b"compiled code"[..]));
        let again = IncrementalCache::new(dir.path().join("inc"), 1 << 20);
        assert_eq!(again.get(&key(1)).as_deref(), Some(&b"compiled code"[..]));
    }

    #[test]
    fn corrupt_truncated_or_misplaced_entries_are_misses() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IncrementalCache::new(dir.path().to_path_buf(), 1 << 20);
        cache.insert(&key(1), b"compiled code".to_vec());
        cache.flush();
        let path = cache.path_for(&key(1)).unwrap();
        let good = fs::read(&path).unwrap();
        let mut flipped = good.clone();
        flipped[3] ^= 0x20;
        let mut other_magic = good.clone();
        let n = other_magic.len();
        other_magic[n - 2] = b'2';
        for bad in [
            Vec::new(),
            b"garbage".to_vec(),
            good[..good.len() - 1].to_vec(),
            good[1..].to_vec(),
            flipped,
            other_magic,
        ] {
            fs::write(&path, &bad).unwrap();
            assert!(cache.get(&key(1)).is_none(), "{bad:?}");
        }
        // Another key's (valid) entry under this key's name.
        cache.insert(&key(2), b"other code".to_vec());
        cache.flush();
        fs::copy(cache.path_for(&key(2)).unwrap(), &path).unwrap();
        assert!(cache.get(&key(1)).is_none());
        // A directory where the entry should be.
        fs::remove_file(&path).unwrap();
        fs::create_dir(&path).unwrap();
        assert!(cache.get(&key(1)).is_none());
        // An entry that cannot replace the directory is dropped once the write fails.
        cache.insert(&key(1), b"x".to_vec());
        cache.flush();
        assert!(path.is_dir());
        assert!(cache.get(&key(1)).is_none());
        // A new insert replaces a corrupt file.
        fs::remove_dir(&path).unwrap();
        fs::write(&path, b"garbage").unwrap();
        assert!(cache.insert(&key(1), b"fresh".to_vec()));
        cache.flush();
        assert_eq!(fs::read(&path).unwrap().len(), b"fresh".len() + TRAILER);
        assert_eq!(cache.get(&key(1)).as_deref(), Some(&b"fresh"[..]));
    }

    #[test]
    fn an_unwritable_directory_only_misses() {
        let dir = tempfile::tempdir().unwrap();
        let blocker = dir.path().join("file");
        fs::write(&blocker, b"a file where the cache directory should be").unwrap();
        let cache = IncrementalCache::new(blocker.join("inc"), 1 << 20);
        cache.insert(&key(1), b"code".to_vec());
        cache.flush();
        assert!(cache.get(&key(1)).is_none());
    }

    #[test]
    fn the_budget_evicts_the_least_recently_used() {
        let dir = tempfile::tempdir().unwrap();
        let entry = 1000 + TRAILER as u64;
        // Room for four entries; an eviction frees a quarter.
        let cache = IncrementalCache::new(dir.path().to_path_buf(), 4 * entry);
        let old = SystemTime::now() - Duration::from_secs(3600);
        for n in 1..=4 {
            cache.insert(&key(n), vec![n; 1000]);
            cache.flush();
            let path = cache.path_for(&key(n)).unwrap();
            let age = old + Duration::from_secs(u64::from(n));
            fs::File::open(&path).unwrap().set_modified(age).unwrap();
        }
        // Entry 1 is used again, so 2 and 3 are now the least recently used.
        assert!(cache.get(&key(1)).is_some());
        // A stale temporary file from a crash, and a fresh one being written.
        let shard = cache
            .path_for(&key(9))
            .unwrap()
            .parent()
            .unwrap()
            .to_path_buf();
        fs::create_dir_all(&shard).unwrap();
        fs::write(shard.join(".stale.tmp"), b"crashed").unwrap();
        fs::File::options()
            .write(true)
            .open(shard.join(".stale.tmp"))
            .unwrap()
            .set_modified(old)
            .unwrap();
        fs::write(shard.join(".fresh.tmp"), b"being written").unwrap();
        cache.insert(&key(5), vec![5; 1000]);
        cache.flush();
        let left = files(dir.path());
        let kept = |n: u8| left.contains(&cache.path_for(&key(n)).unwrap());
        assert_eq!(
            (1..=5).map(kept).collect::<Vec<_>>(),
            [true, false, false, true, true],
            "{left:?}"
        );
        assert!(!shard.join(".stale.tmp").exists());
        assert!(shard.join(".fresh.tmp").exists());
        assert!(cache.get(&key(2)).is_none());
        assert!(cache.get(&key(5)).is_some());
    }

    #[test]
    fn entries_are_served_from_memory_until_written_and_written_when_dropped() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IncrementalCache::new(dir.path().to_path_buf(), 1 << 20);
        for n in 1..=50 {
            assert!(cache.insert(&key(n), vec![n; 100]));
            assert_eq!(cache.get(&key(n)).as_deref(), Some(&[n; 100][..]));
        }
        // A second insert of a queued key changes nothing.
        assert!(cache.insert(&key(1), vec![1; 100]));
        drop(cache);
        assert_eq!(files(dir.path()).len(), 50, "every entry written at drop");
        let again = IncrementalCache::new(dir.path().to_path_buf(), 1 << 20);
        for n in 1..=50 {
            assert_eq!(again.get(&key(n)).as_deref(), Some(&[n; 100][..]));
        }
        assert!(again.disk.lock_queue().values.is_empty());
    }

    #[test]
    fn past_the_pending_limit_an_insert_writes_its_entry_itself() {
        let dir = tempfile::tempdir().unwrap();
        let cache = IncrementalCache::new(dir.path().to_path_buf(), 1 << 20).with_max_pending(1000);
        let big = 1001;
        assert!(cache.insert(&key(1), vec![1; big]));
        // Written before insert returned: the file is complete without a flush.
        let path = cache.path_for(&key(1)).unwrap();
        assert_eq!(fs::metadata(&path).unwrap().len(), (big + TRAILER) as u64);
        assert!(cache.disk.lock_queue().values.is_empty());
    }
}
