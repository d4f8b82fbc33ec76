//! Sorted directory listings, remembered while the directory is unchanged, so that paging
//! through a large bucket with `list_objects` reads each directory once, not once per page.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::io;
use std::os::fd::BorrowedFd;
use std::sync::{Arc, Mutex};
use std::time::SystemTime;

use crate::etag::Fingerprint;
use crate::handle;

/// Most names kept over all cached directories of a bucket; the cache starts over when full.
const MAX_CACHED_NAMES: usize = 2_000_000;

/// One entry in key order: a file's name, or a directory's name followed by `/` (so that the
/// order of entries is the order of the keys below them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Sorted {
    pub sort: String,
    pub is_dir: bool,
}

impl Sorted {
    /// The entry's name in its directory.
    pub(crate) fn name(&self) -> &str {
        if self.is_dir {
            &self.sort[..self.sort.len() - 1]
        } else {
            &self.sort
        }
    }
}

/// A directory's sorted entries and the fingerprint they were read under.
type Listing = (Fingerprint, Arc<[Sorted]>);

#[derive(Debug, Default)]
struct Inner {
    /// By device and inode.
    dirs: HashMap<(u64, u64), Listing>,
    names: usize,
}

/// Listings of one bucket's directories, valid while their fingerprint is unchanged.
#[derive(Debug, Default)]
pub(crate) struct ListingCache {
    inner: Mutex<Inner>,
}

impl ListingCache {
    /// The entries of the open directory `dir`, sorted by key order.
    pub(crate) fn sorted(&self, dir: BorrowedFd<'_>) -> io::Result<Arc<[Sorted]>> {
        let before = Fingerprint::of_stat(&rustix::fs::fstat(dir)?);
        let id = before.id();
        if let Some((known, entries)) = self.lock().dirs.get(&id)
            && *known == before
        {
            return Ok(entries.clone());
        }
        let started = SystemTime::now();
        let mut entries: Vec<Sorted> = handle::entries(dir)?
            .into_iter()
            .map(|e| Sorted {
                sort: if e.is_dir {
                    format!("{}/", e.name)
                } else {
                    e.name
                },
                is_dir: e.is_dir,
            })
            .collect();
        entries.sort_unstable_by(|a, b| a.sort.cmp(&b.sort));
        let entries: Arc<[Sorted]> = entries.into();
        let after = Fingerprint::of_stat(&rustix::fs::fstat(dir)?);
        // A directory changed within the timestamp granularity could change again unseen.
        if before == after && after.settled(started) {
            let mut inner = self.lock();
            if inner.names + entries.len() > MAX_CACHED_NAMES {
                inner.dirs.clear();
                inner.names = 0;
            }
            inner.names += entries.len();
            if let Some((_, old)) = inner.dirs.insert(id, (after, entries.clone())) {
                inner.names -= old.len();
            }
        }
        Ok(entries)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// The index of the first entry that may hold a key starting with `prefix` (relative to the
/// directory, without `/`) and greater than `after` (relative too, when the key range reaches
/// into this directory).
pub(crate) fn first_candidate(entries: &[Sorted], prefix: &str, after: Option<&str>) -> usize {
    let by_prefix = entries.partition_point(|e| e.sort.as_str() < prefix);
    let by_after = after.map_or(0, |after| {
        entries.partition_point(|e| all_at_or_before(e, after))
    });
    by_prefix.max(by_after)
}

/// Whether every key at or below entry `e` sorts at or before `after` (so a listing after
/// `after` skips it). Monotone over entries in key order.
pub(crate) fn all_at_or_before(e: &Sorted, after: &str) -> bool {
    if e.is_dir {
        e.sort.as_str().cmp(after) == Ordering::Less && !after.starts_with(e.sort.as_str())
    } else {
        e.sort.as_str() <= after
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entries(names: &[&str]) -> Vec<Sorted> {
        let mut v: Vec<Sorted> = names
            .iter()
            .map(|n| Sorted {
                sort: n.to_string(),
                is_dir: n.ends_with('/'),
            })
            .collect();
        v.sort_unstable_by(|a, b| a.sort.cmp(&b.sort));
        v
    }

    #[test]
    fn candidates_skip_what_sorts_before() {
        let e = entries(&["a.txt", "a/", "ab", "b/", "c"]);
        assert_eq!(e[1].name(), "a");
        assert_eq!(first_candidate(&e, "", None), 0);
        assert_eq!(first_candidate(&e, "ab", None), 2);
        // After `a/x`: `a/` may still hold `a/y`.
        assert_eq!(first_candidate(&e, "", Some("a/x")), 1);
        // After `a0`: everything under `a/` (`/` < `0`) is before it.
        assert_eq!(first_candidate(&e, "", Some("a0")), 2);
        assert_eq!(first_candidate(&e, "", Some("c")), 5);
    }
}
