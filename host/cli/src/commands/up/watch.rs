//! File watching for hot reload: inotify (through `notify`) on the directories that hold the
//! watched files, filtered to those files, debounced into batches.
//!
//! Directories rather than files are watched because editors and build tools replace files by
//! renaming a new one over the old, which ends a watch on the file itself.

use std::collections::{BTreeSet, HashSet};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::mpsc;

/// A file-system watch that could not be set up.
#[derive(Debug)]
pub struct WatchError {
    /// The path (empty when the watcher itself failed).
    pub path: String,
    /// What notify said.
    pub reason: String,
}

impl std::fmt::Display for WatchError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "cannot watch `{}`: {}", self.path, self.reason)
    }
}

impl std::error::Error for WatchError {}

/// Watches a set of files; changed paths arrive, debounced, on the receiver from [`Watcher::new`].
pub struct Watcher {
    inner: notify::RecommendedWatcher,
    files: Arc<Mutex<HashSet<PathBuf>>>,
    dirs: HashSet<PathBuf>,
}

impl std::fmt::Debug for Watcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Watcher")
            .field("dirs", &self.dirs)
            .finish_non_exhaustive()
    }
}

impl Watcher {
    /// A watcher whose batches close after `quiet` without further changes. Must be called
    /// inside a tokio runtime.
    pub fn new(quiet: Duration) -> Result<(Self, mpsc::Receiver<BTreeSet<PathBuf>>), WatchError> {
        let files: Arc<Mutex<HashSet<PathBuf>>> = Arc::default();
        let (raw_tx, raw_rx) = mpsc::unbounded_channel::<PathBuf>();
        let filter = files.clone();
        let inner = notify::recommended_watcher(move |event: notify::Result<notify::Event>| {
            let Ok(event) = event else { return };
            if matches!(event.kind, EventKind::Access(_)) {
                return;
            }
            let Ok(files) = filter.lock() else { return };
            for path in event.paths {
                if files.contains(&path) {
                    let _ = raw_tx.send(path);
                }
            }
        })
        .map_err(|e| WatchError {
            path: String::new(),
            reason: e.to_string(),
        })?;
        let (batch_tx, batch_rx) = mpsc::channel(16);
        tokio::spawn(debounce(raw_rx, batch_tx, quiet));
        Ok((
            Self {
                inner,
                files,
                dirs: HashSet::new(),
            },
            batch_rx,
        ))
    }

    /// Watch exactly `files` from now on (absolute paths; their directories must exist).
    /// Returns the directories that could not be watched, with why.
    pub fn watch_only<'a>(&mut self, files: impl IntoIterator<Item = &'a Path>) -> Vec<WatchError> {
        let files: HashSet<PathBuf> = files.into_iter().map(Path::to_path_buf).collect();
        let dirs: HashSet<PathBuf> = files
            .iter()
            .filter_map(|f| f.parent().map(Path::to_path_buf))
            .collect();
        let mut errors = Vec::new();
        for gone in self.dirs.difference(&dirs) {
            let _ = self.inner.unwatch(gone);
        }
        let mut watching = HashSet::new();
        for dir in dirs {
            if self.dirs.contains(&dir) {
                watching.insert(dir);
                continue;
            }
            match self.inner.watch(&dir, RecursiveMode::NonRecursive) {
                Ok(()) => {
                    watching.insert(dir);
                }
                Err(e) => errors.push(WatchError {
                    path: dir.display().to_string(),
                    reason: e.to_string(),
                }),
            }
        }
        self.dirs = watching;
        if let Ok(mut current) = self.files.lock() {
            *current = files;
        }
        errors
    }
}

async fn debounce(
    mut raw: mpsc::UnboundedReceiver<PathBuf>,
    batches: mpsc::Sender<BTreeSet<PathBuf>>,
    quiet: Duration,
) {
    while let Some(first) = raw.recv().await {
        let mut batch = BTreeSet::from([first]);
        loop {
            match tokio::time::timeout(quiet, raw.recv()).await {
                Ok(Some(path)) => {
                    batch.insert(path);
                }
                Ok(None) => break,
                Err(_) => break,
            }
        }
        if batches.send(batch).await.is_err() {
            return;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reports_writes_and_replacements_of_watched_files_only() {
        let dir = tempfile::tempdir().unwrap();
        let dir = dir.path().canonicalize().unwrap();
        let watched = dir.join("fn.wasm");
        let other = dir.join("other.wasm");
        std::fs::write(&watched, b"v1").unwrap();
        let (mut watcher, mut batches) = Watcher::new(Duration::from_millis(50)).unwrap();
        assert!(watcher.watch_only([watched.as_path()]).is_empty());

        std::fs::write(&other, b"x").unwrap();
        std::fs::write(&watched, b"v2").unwrap();
        let batch = tokio::time::timeout(Duration::from_secs(10), batches.recv())
            .await
            .unwrap()
            .unwrap();
        assert_eq!(batch, BTreeSet::from([watched.clone()]));

        // Replaced by rename, as cargo and editors do.
        let tmp = dir.join("fn.wasm.tmp");
        std::fs::write(&tmp, b"v3").unwrap();
        std::fs::rename(&tmp, &watched).unwrap();
        let batch = tokio::time::timeout(Duration::from_secs(10), batches.recv())
            .await
            .unwrap()
            .unwrap();
        assert!(batch.contains(&watched));
    }
}
