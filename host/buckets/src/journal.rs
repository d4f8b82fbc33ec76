//! What functions wrote and deleted recently, so the file watcher can tell the events that
//! writes cause apart from outside changes and attach the writer's lineage to them.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use fnhost_runtime::WriteOrigin;

/// How long an entry waits for its file event before it is dropped.
pub const JOURNAL_TTL: Duration = Duration::from_secs(10 * 60);
/// Most entries kept; the oldest are evicted first.
pub const JOURNAL_MAX_ENTRIES: usize = 100_000;

/// A change a function made to an object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JournalChange {
    /// The object was written with this ETag.
    Put {
        /// Hex MD5 of the written content.
        etag: String,
    },
    /// The object was written by a copy (`CopyObject`) with this ETag.
    Copy {
        /// Hex MD5 of the copied content.
        etag: String,
    },
    /// The object was removed.
    Delete,
}

struct Entry {
    bucket: String,
    key: String,
    change: JournalChange,
    origin: WriteOrigin,
    at: Instant,
}

#[derive(Default)]
struct Inner {
    next: u64,
    /// Entries by sequence number: the first is the oldest.
    entries: BTreeMap<u64, Entry>,
    /// Sequence numbers per (bucket, key), oldest first.
    by_object: HashMap<(String, String), VecDeque<u64>>,
}

impl Inner {
    fn remove(&mut self, seq: u64) -> Option<Entry> {
        let entry = self.entries.remove(&seq)?;
        let object = (entry.bucket.clone(), entry.key.clone());
        if let Some(seqs) = self.by_object.get_mut(&object) {
            seqs.retain(|s| *s != seq);
            if seqs.is_empty() {
                self.by_object.remove(&object);
            }
        }
        Some(entry)
    }

    fn expire(&mut self, ttl: Duration, now: Instant) {
        while let Some((&seq, entry)) = self.entries.first_key_value() {
            if now.duration_since(entry.at) < ttl {
                break;
            }
            self.remove(seq);
        }
    }
}

/// Recent writes and deletes by functions, each with its [`WriteOrigin`].
///
/// Bucket writes record here *before* the change becomes visible (before the rename or the
/// removal), so a watcher that sees the change always finds its origin.
pub struct WriteJournal {
    ttl: Duration,
    max_entries: usize,
    inner: Mutex<Inner>,
}

impl std::fmt::Debug for WriteJournal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WriteJournal")
            .field("ttl", &self.ttl)
            .field("max_entries", &self.max_entries)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for WriteJournal {
    fn default() -> Self {
        Self::new()
    }
}

impl WriteJournal {
    /// A journal keeping entries for [`JOURNAL_TTL`], at most [`JOURNAL_MAX_ENTRIES`].
    pub fn new() -> Self {
        Self::with_limits(JOURNAL_TTL, JOURNAL_MAX_ENTRIES)
    }

    /// A journal with its own entry lifetime and size bound (at least one entry).
    pub fn with_limits(ttl: Duration, max_entries: usize) -> Self {
        Self {
            ttl,
            max_entries: max_entries.max(1),
            inner: Mutex::new(Inner::default()),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        // Every update leaves the maps consistent, so a poisoned lock's data is still good.
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Remember that `origin` made `change` to `key` in `bucket`.
    pub fn record(&self, bucket: &str, key: &str, change: JournalChange, origin: &WriteOrigin) {
        let now = Instant::now();
        let mut inner = self.lock();
        inner.expire(self.ttl, now);
        while inner.entries.len() >= self.max_entries {
            let Some((&oldest, _)) = inner.entries.first_key_value() else {
                break;
            };
            inner.remove(oldest);
        }
        let seq = inner.next;
        inner.next += 1;
        inner.entries.insert(
            seq,
            Entry {
                bucket: bucket.to_owned(),
                key: key.to_owned(),
                change,
                origin: origin.clone(),
                at: now,
            },
        );
        inner
            .by_object
            .entry((bucket.to_owned(), key.to_owned()))
            .or_default()
            .push_back(seq);
    }

    /// The origin of the oldest unexpired entry for `key` in `bucket` that matches `change`
    /// (for a put, the same ETag), consuming it; `None` when no function made that change.
    pub fn take(&self, bucket: &str, key: &str, change: &JournalChange) -> Option<WriteOrigin> {
        let mut inner = self.lock();
        inner.expire(self.ttl, Instant::now());
        let seqs = inner.by_object.get(&(bucket.to_owned(), key.to_owned()))?;
        let seq = seqs
            .iter()
            .copied()
            .find(|seq| inner.entries.get(seq).is_some_and(|e| e.change == *change))?;
        inner.remove(seq).map(|entry| entry.origin)
    }

    /// The origin of the oldest unexpired put or copy of `key` in `bucket` that wrote `etag`,
    /// consuming it, with the change it made (which tells `ObjectCreated:Put` from
    /// `ObjectCreated:Copy`); `None` when no function wrote that content there.
    pub fn take_written(
        &self,
        bucket: &str,
        key: &str,
        etag: &str,
    ) -> Option<(WriteOrigin, JournalChange)> {
        let mut inner = self.lock();
        inner.expire(self.ttl, Instant::now());
        let seqs = inner.by_object.get(&(bucket.to_owned(), key.to_owned()))?;
        let seq = seqs.iter().copied().find(|seq| {
            inner.entries.get(seq).is_some_and(|e| match &e.change {
                JournalChange::Put { etag: written } | JournalChange::Copy { etag: written } => {
                    written == etag
                }
                JournalChange::Delete => false,
            })
        })?;
        inner.remove(seq).map(|entry| (entry.origin, entry.change))
    }

    /// Entries currently kept.
    pub fn len(&self) -> usize {
        self.lock().entries.len()
    }

    /// Whether no entries are kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}
