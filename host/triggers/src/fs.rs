//! The file-watch trigger: buckets are directories, object changes become S3 event records.
//!
//! One thread owns the bucket state. inotify events (through `notify`) mark paths *pending*
//! (written, maybe not finished) or *ready* (closed after writing, renamed in, removed). Ready
//! paths are examined against their stored checkpoint (size, mtime, ETag): an unchanged file is
//! skipped, a new or changed one queues one job per matching function, a vanished one queues
//! `ObjectRemoved:Delete` — the jobs and the new checkpoint in one transaction, so a file is
//! queued exactly once however many inotify events it produced. A pending path with no close
//! (e.g. written through mmap) becomes ready after the quiet period. At start-up, whenever
//! inotify overflows, and every [`FsTriggerConfig::rescan`] if set, every bucket is reconciled
//! against its checkpoints the same way: inotify does not see writes that other machines make
//! to a network filesystem (NFS, EFS, CephFS), the periodic rescan does. In a cluster the
//! watcher runs on one node at a time ([`crate::singleton`]); the node taking it over starts
//! with that reconciliation against the shared checkpoints, so what the previous holder had
//! not queued yet is delivered.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, mpsc};
use std::time::{Duration, Instant};

use chrono::Utc;
use fnhost_buckets::{Bucket, Buckets, FileState, JournalChange, WriteJournal};
use fnhost_events::{S3Change, S3Object, s3_event};
use fnhost_manifest::{Manifest, S3Trigger};
use fnhost_store::{Checkpoint, CheckpointChange, NewJob, Store};
use notify::event::{AccessKind, AccessMode, CreateKind, ModifyKind, RenameMode};
use notify::{EventKind, RecursiveMode, Watcher as _};
use tokio::sync::Notify;

use crate::Subscription;
use fnhost_core::{Lineage, Trigger, unix_ms};

/// How file events are detected.
#[derive(Debug, Clone)]
pub struct FsTriggerConfig {
    /// A path written without a close (mmap, a writer on another machine) fires after this
    /// long without changes.
    pub quiet: Duration,
    /// A file whose mtime is younger than this at reconciliation may still be being written
    /// and waits for the quiet period first.
    pub settle: Duration,
    /// Reconcile every bucket this often as well (`None`: only at start-up and on an inotify
    /// overflow).
    pub rescan: Option<Duration>,
}

impl Default for FsTriggerConfig {
    fn default() -> Self {
        Self {
            quiet: Duration::from_millis(2000),
            settle: Duration::from_millis(2000),
            rescan: None,
        }
    }
}

/// Why the trigger could not start.
#[derive(Debug, thiserror::Error)]
pub enum FsTriggerError {
    /// inotify refused a watch (e.g. the user's watch limit).
    #[error("cannot watch bucket `{bucket}` at `{path}`: {source}")]
    Watch {
        /// The bucket.
        bucket: String,
        /// Its directory.
        path: PathBuf,
        /// What notify said.
        #[source]
        source: notify::Error,
    },
    /// The checkpoints could not be read.
    #[error("cannot read the checkpoints of bucket `{bucket}`: {source}")]
    Store {
        /// The bucket.
        bucket: String,
        /// What the store said.
        #[source]
        source: fnhost_store::StoreError,
    },
    /// The watcher thread could not be started.
    #[error("cannot start the file-watch thread: {0}")]
    Thread(#[source] std::io::Error),
}

/// The file-watch trigger for every bucket some function subscribes to. A clone starts a
/// watcher of its own (a node taking the watcher over starts a fresh one).
#[derive(Clone)]
pub struct FsTrigger {
    buckets: Arc<Buckets>,
    journal: Arc<WriteJournal>,
    store: Store,
    wake: Arc<Notify>,
    subscriptions: Vec<Subscription<S3Trigger>>,
    config: FsTriggerConfig,
}

impl std::fmt::Debug for FsTrigger {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FsTrigger")
            .field("subscriptions", &self.subscriptions)
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

/// Longest wait for the watch thread at shutdown; a thread stuck in a filesystem call past it
/// is left behind (logged) rather than hold up the exit.
const STOP_WAIT: Duration = Duration::from_secs(5);

/// The running trigger; dropping it stops the thread.
#[derive(Debug)]
pub struct FsHandle {
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
    /// Disconnected when the thread has ended.
    ended: Option<mpsc::Receiver<()>>,
    watched: Vec<String>,
}

impl FsHandle {
    /// Names of the buckets being watched.
    pub fn watched(&self) -> &[String] {
        &self.watched
    }

    /// Stop watching and wait for the thread.
    pub fn stop(mut self) {
        self.halt();
    }

    fn halt(&mut self) {
        self.stop.store(true, Ordering::Release);
        let Some(thread) = self.thread.take() else {
            return;
        };
        let ended = self.ended.take().map(|rx| rx.recv_timeout(STOP_WAIT));
        if matches!(ended, Some(Err(mpsc::RecvTimeoutError::Timeout))) {
            tracing::warn!(
                "the file-watch thread did not stop within {}s; leaving it behind",
                STOP_WAIT.as_secs()
            );
            return;
        }
        let _ = thread.join();
    }
}

impl Drop for FsHandle {
    fn drop(&mut self) {
        self.halt();
    }
}

impl FsTrigger {
    /// The trigger for every `[[function.NAME.s3]]` in `manifest`.
    pub fn from_manifest(
        manifest: &Manifest,
        buckets: Arc<Buckets>,
        journal: Arc<WriteJournal>,
        store: Store,
        wake: Arc<Notify>,
        config: FsTriggerConfig,
    ) -> Self {
        let subscriptions = Subscription::all(manifest, |f| f.s3.iter().collect());
        Self {
            buckets,
            journal,
            store,
            wake,
            subscriptions,
            config,
        }
    }

    /// Whether any function subscribes to a bucket that exists.
    pub fn is_empty(&self) -> bool {
        !self
            .subscriptions
            .iter()
            .any(|sub| self.buckets.get(&sub.trigger.bucket).is_some())
    }

    /// Watch, reconcile and start delivering file events on a thread of its own.
    pub fn start(self) -> Result<FsHandle, FsTriggerError> {
        let mut watched: Vec<Arc<Bucket>> = Vec::new();
        for sub in &self.subscriptions {
            if watched.iter().any(|b| b.name() == sub.trigger.bucket) {
                continue;
            }
            if let Some(bucket) = self.buckets.get(&sub.trigger.bucket) {
                watched.push(bucket.clone());
            }
        }
        let names = watched.iter().map(|b| b.name().to_owned()).collect();
        let stop = Arc::new(AtomicBool::new(false));
        if watched.is_empty() {
            return Ok(FsHandle {
                stop,
                thread: None,
                ended: None,
                watched: names,
            });
        }
        let mut checkpoints = HashMap::new();
        for bucket in &watched {
            let stored =
                self.store
                    .checkpoints(bucket.name())
                    .map_err(|source| FsTriggerError::Store {
                        bucket: bucket.name().to_owned(),
                        source,
                    })?;
            for cp in stored {
                checkpoints.insert((cp.bucket.clone(), cp.key.clone()), cp);
            }
        }
        let (tx, rx) = mpsc::channel();
        // Never follow a link while adding watches: a link to `/` inside a bucket would
        // otherwise put the whole filesystem under watch. Only what is inside is watched.
        let watch_config = notify::Config::default().with_follow_symlinks(false);
        let mut watcher = notify::RecommendedWatcher::new(tx, watch_config).map_err(|source| {
            FsTriggerError::Watch {
                bucket: String::new(),
                path: PathBuf::new(),
                source,
            }
        })?;
        for bucket in &watched {
            watcher
                .watch(bucket.root(), RecursiveMode::Recursive)
                .map_err(|source| FsTriggerError::Watch {
                    bucket: bucket.name().to_owned(),
                    path: bucket.root().to_owned(),
                    source,
                })?;
        }
        let mut state = State {
            trigger: self,
            watched,
            checkpoints,
            pending: HashMap::new(),
            ready: HashMap::new(),
            rescan: true,
            next_rescan: None,
        };
        let flag = stop.clone();
        let (ended_tx, ended) = mpsc::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("fnhost-fs".into())
            .spawn(move || {
                let _ended = ended_tx;
                let _watcher = watcher;
                state.run(&rx, &flag);
            })
            .map_err(FsTriggerError::Thread)?;
        Ok(FsHandle {
            stop,
            thread: Some(thread),
            ended: Some(ended),
            watched: names,
        })
    }
}

/// What inotify suggested about a path; the file's current state decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Hint {
    /// Written in place.
    Put,
    /// Renamed into the bucket.
    Copy,
    /// Removed or renamed away.
    Gone,
}

struct State {
    trigger: FsTrigger,
    watched: Vec<Arc<Bucket>>,
    checkpoints: HashMap<(String, String), Checkpoint>,
    /// Written but not closed: fires after the quiet period.
    pending: HashMap<PathBuf, (Instant, Hint)>,
    /// To examine in the next round.
    ready: HashMap<PathBuf, Hint>,
    /// Reconcile every bucket in the next round (start-up, inotify overflow).
    rescan: bool,
    /// When the next periodic reconciliation is due (set after each one when configured).
    next_rescan: Option<Instant>,
}

/// Events handled per round before the ready paths are examined (bounds a round's latency).
const ROUND_EVENTS: usize = 8192;
/// Longest wait for an event when nothing is pending.
const IDLE_TICK: Duration = Duration::from_millis(250);

impl State {
    fn run(&mut self, rx: &mpsc::Receiver<notify::Result<notify::Event>>, stop: &AtomicBool) {
        loop {
            if stop.load(Ordering::Acquire) {
                return;
            }
            if self.next_rescan.is_some_and(|due| due <= Instant::now()) {
                self.rescan = true;
            }
            if self.rescan {
                self.rescan = false;
                self.reconcile();
                self.next_rescan = self
                    .trigger
                    .config
                    .rescan
                    .map(|every| Instant::now() + every);
            }
            let now = Instant::now();
            let wait = self
                .pending
                .values()
                .map(|(deadline, _)| deadline.saturating_duration_since(now))
                .chain(
                    self.next_rescan
                        .map(|due| due.saturating_duration_since(now)),
                )
                .min()
                .unwrap_or(IDLE_TICK)
                .min(IDLE_TICK);
            if self.ready.is_empty() {
                match rx.recv_timeout(wait) {
                    Ok(event) => self.on_event(event),
                    Err(mpsc::RecvTimeoutError::Timeout) => {}
                    Err(mpsc::RecvTimeoutError::Disconnected) => return,
                }
            }
            for _ in 0..ROUND_EVENTS {
                match rx.try_recv() {
                    Ok(event) => self.on_event(event),
                    Err(_) => break,
                }
            }
            let now = Instant::now();
            let due: Vec<PathBuf> = self
                .pending
                .iter()
                .filter(|(_, (deadline, _))| *deadline <= now)
                .map(|(path, _)| path.clone())
                .collect();
            for path in due {
                if let Some((_, hint)) = self.pending.remove(&path) {
                    self.ready.entry(path).or_insert(hint);
                }
            }
            if !self.ready.is_empty() {
                let ready = std::mem::take(&mut self.ready);
                self.examine_all(ready);
            }
        }
    }

    fn on_event(&mut self, event: notify::Result<notify::Event>) {
        let event = match event {
            Ok(event) => event,
            Err(err) => {
                tracing::warn!(%err, "file watch error; reconciling the buckets");
                self.rescan = true;
                return;
            }
        };
        if event.need_rescan() {
            tracing::warn!("the file watch queue overflowed; reconciling the buckets");
            self.rescan = true;
            return;
        }
        let quiet = self.trigger.config.quiet;
        match event.kind {
            EventKind::Create(CreateKind::Folder) => {
                for path in &event.paths {
                    self.scan_dir(path, Hint::Put, true);
                }
            }
            EventKind::Create(_) | EventKind::Modify(ModifyKind::Data(_) | ModifyKind::Any) => {
                for path in event.paths {
                    let hint = self.pending.get(&path).map_or(Hint::Put, |(_, hint)| *hint);
                    self.pending.insert(path, (Instant::now() + quiet, hint));
                }
            }
            EventKind::Access(AccessKind::Close(AccessMode::Write)) => {
                for path in event.paths {
                    let hint = self.pending.remove(&path).map_or(Hint::Put, |(_, h)| h);
                    self.ready.insert(path, hint);
                }
            }
            EventKind::Modify(ModifyKind::Name(mode)) => {
                let (from, to): (Vec<&PathBuf>, Vec<&PathBuf>) = match mode {
                    RenameMode::From => (event.paths.iter().collect(), vec![]),
                    RenameMode::To => (vec![], event.paths.iter().collect()),
                    RenameMode::Both => (
                        event.paths.first().into_iter().collect(),
                        event.paths.get(1).into_iter().collect(),
                    ),
                    _ => (vec![], event.paths.iter().collect()),
                };
                for path in from {
                    self.pending.remove(path);
                    self.gone(path);
                }
                for path in to {
                    // The link itself, never its target: a link renamed in is no directory.
                    if path.symlink_metadata().is_ok_and(|m| m.is_dir()) {
                        self.scan_dir(path, Hint::Copy, false);
                    } else {
                        self.pending.remove(path);
                        self.ready.insert(path.clone(), Hint::Copy);
                    }
                }
            }
            EventKind::Remove(_) => {
                for path in &event.paths {
                    self.pending.remove(path);
                    self.gone(path);
                }
            }
            _ => {}
        }
    }

    /// A path disappeared: the object, or every object under a directory.
    fn gone(&mut self, path: &Path) {
        let Some((bucket, key)) = self.locate(path) else {
            return;
        };
        let name = bucket.name().to_owned();
        // An object (the common case, looked up directly), or a directory: every object
        // under it (a scan, only when the path is not a known object).
        let mut keys: Vec<String> = Vec::new();
        if !self.checkpoints.contains_key(&(name.clone(), key.clone())) {
            let prefix = format!("{key}/");
            keys = self
                .checkpoints
                .keys()
                .filter(|(b, k)| *b == name && k.starts_with(&prefix))
                .map(|(_, k)| k.clone())
                .collect();
        }
        if keys.is_empty() {
            keys.push(key);
        }
        for key in keys {
            self.ready.insert(bucket.root().join(&key), Hint::Gone);
        }
    }

    /// Files under a directory that appeared: a new directory's files may have been written
    /// before its watch existed. Read through the bucket (from its held root, never following
    /// a link), so only what is inside the bucket is looked at.
    fn scan_dir(&mut self, dir: &Path, hint: Hint, wait_quiet: bool) {
        let Some((bucket, dir_key)) = self.locate_dir(dir) else {
            return;
        };
        let files = match bucket.walk_under(&dir_key) {
            Ok(files) => files,
            Err(err) => {
                tracing::warn!(bucket = bucket.name(), dir = %dir_key, %err, "cannot scan a new directory");
                return;
            }
        };
        let deadline = Instant::now() + self.trigger.config.quiet;
        for (key, _) in files {
            let path = bucket.root().join(&key);
            if wait_quiet {
                self.pending.entry(path).or_insert((deadline, hint));
            } else {
                self.ready.insert(path, hint);
            }
        }
    }

    /// The bucket holding directory `dir` and the directory's key there (`""` for the root).
    fn locate_dir(&self, dir: &Path) -> Option<(Arc<Bucket>, String)> {
        self.watched.iter().find_map(|b| {
            let relative = dir.strip_prefix(b.root()).ok()?;
            let segments: Option<Vec<&str>> = relative
                .components()
                .map(|c| match c {
                    std::path::Component::Normal(s) => s.to_str(),
                    _ => None,
                })
                .collect();
            Some((b.clone(), segments?.join("/")))
        })
    }

    fn locate(&self, path: &Path) -> Option<(Arc<Bucket>, String)> {
        self.watched
            .iter()
            .find_map(|b| b.key_for(path).map(|key| (b.clone(), key)))
    }

    /// Compare every watched bucket with its checkpoints.
    fn reconcile(&mut self) {
        let settle = self.trigger.config.settle;
        let now_ns = unix_ms() as i64 * 1_000_000;
        for bucket in self.watched.clone() {
            let files = match bucket.walk() {
                Ok(files) => files,
                Err(err) => {
                    tracing::error!(bucket = bucket.name(), %err, "cannot scan the bucket");
                    continue;
                }
            };
            let mut present: BTreeMap<&str, FileState> = BTreeMap::new();
            for (key, state) in &files {
                present.insert(key, *state);
                let unchanged = self
                    .checkpoints
                    .get(&(bucket.name().to_owned(), key.clone()))
                    .is_some_and(|cp| same(cp, state));
                if unchanged {
                    continue;
                }
                let path = bucket.root().join(key);
                if now_ns.saturating_sub(state.mtime_ns) < settle.as_nanos() as i64 {
                    self.pending
                        .entry(path)
                        .or_insert((Instant::now() + self.trigger.config.quiet, Hint::Put));
                } else {
                    self.ready.insert(path, Hint::Put);
                }
            }
            let vanished: Vec<String> = self
                .checkpoints
                .keys()
                .filter(|(b, k)| b == bucket.name() && !present.contains_key(k.as_str()))
                .map(|(_, k)| k.clone())
                .collect();
            for key in vanished {
                self.ready.insert(bucket.root().join(key), Hint::Gone);
            }
        }
    }

    /// Examine every ready path and queue what changed, in one transaction.
    fn examine_all(&mut self, ready: HashMap<PathBuf, Hint>) {
        let mut jobs = Vec::new();
        let mut changes = Vec::new();
        for (path, hint) in ready {
            let Some((bucket, key)) = self.locate(&path) else {
                continue;
            };
            match self.examine(&bucket, &key, hint) {
                Examined::Unchanged => {}
                Examined::Busy => {
                    let deadline = Instant::now() + self.trigger.config.quiet;
                    self.pending.insert(path, (deadline, hint));
                }
                Examined::Changed(mut new_jobs, change) => {
                    jobs.append(&mut new_jobs);
                    changes.push(change);
                }
            }
        }
        if changes.is_empty() {
            return;
        }
        match self.trigger.store.enqueue(&jobs, &changes) {
            Ok(_) => {
                for change in changes {
                    match change {
                        CheckpointChange::Put(cp) => {
                            self.checkpoints
                                .insert((cp.bucket.clone(), cp.key.clone()), cp);
                        }
                        CheckpointChange::Delete { bucket, key } => {
                            self.checkpoints.remove(&(bucket, key));
                        }
                    }
                }
                if !jobs.is_empty() {
                    self.trigger.wake.notify_one();
                }
            }
            Err(err) => {
                tracing::error!(%err, "cannot queue file events; retrying after the quiet period");
                let deadline = Instant::now() + self.trigger.config.quiet;
                for change in changes {
                    let (bucket, key) = match &change {
                        CheckpointChange::Put(cp) => (&cp.bucket, &cp.key),
                        CheckpointChange::Delete { bucket, key } => (bucket, key),
                    };
                    if let Some(b) = self.trigger.buckets.get(bucket) {
                        self.pending
                            .insert(b.root().join(key), (deadline, Hint::Put));
                    }
                }
            }
        }
    }

    fn examine(&self, bucket: &Bucket, key: &str, hint: Hint) -> Examined {
        let id = (bucket.name().to_owned(), key.to_owned());
        let checkpoint = self.checkpoints.get(&id);
        let state = match bucket.stat(key) {
            Ok(state) => state,
            Err(err) => {
                tracing::warn!(bucket = bucket.name(), key, %err, "cannot read an object");
                return Examined::Unchanged;
            }
        };
        let Some(state) = state else {
            if checkpoint.is_none() {
                return Examined::Unchanged;
            }
            let origin = self
                .trigger
                .journal
                .take(bucket.name(), key, &JournalChange::Delete);
            let object = S3Object {
                bucket: bucket.name().to_owned(),
                key: key.to_owned(),
                size: 0,
                etag: String::new(),
                sequencer: next_sequencer(),
                time: Utc::now(),
            };
            let jobs = self.jobs(S3Change::Delete, &object, origin);
            let change = CheckpointChange::Delete {
                bucket: id.0,
                key: id.1,
            };
            return Examined::Changed(jobs, change);
        };
        if checkpoint.is_some_and(|cp| same(cp, &state)) {
            return Examined::Unchanged;
        }
        let etag = match bucket.etag(key) {
            Ok(etag) => etag,
            Err(err) => {
                tracing::warn!(bucket = bucket.name(), key, %err, "cannot read an object");
                return Examined::Busy;
            }
        };
        // Changed while it was being hashed: still being written.
        match bucket.stat(key) {
            Ok(Some(after)) if after == state => {}
            _ => return Examined::Busy,
        }
        // A function's write says what it was; an outside file renamed in is a copy.
        let written = self.trigger.journal.take_written(bucket.name(), key, &etag);
        let change = match &written {
            Some((_, JournalChange::Copy { .. })) => S3Change::Copy,
            Some(_) => S3Change::Put,
            None if hint == Hint::Copy => S3Change::Copy,
            None => S3Change::Put,
        };
        let origin = written.map(|(origin, _)| origin);
        let object = S3Object {
            bucket: bucket.name().to_owned(),
            key: key.to_owned(),
            size: state.size,
            etag: etag.clone(),
            sequencer: next_sequencer(),
            time: Utc::now(),
        };
        let jobs = self.jobs(change, &object, origin);
        let checkpoint = Checkpoint {
            bucket: id.0,
            key: id.1,
            size: state.size,
            mtime_ns: state.mtime_ns,
            etag,
            sequencer: object.sequencer.clone(),
        };
        Examined::Changed(jobs, CheckpointChange::Put(checkpoint))
    }

    /// One job per subscription matching this change.
    fn jobs(
        &self,
        change: S3Change,
        object: &S3Object,
        origin: Option<fnhost_runtime::WriteOrigin>,
    ) -> Vec<NewJob> {
        let name = change.event_name();
        let mut jobs = Vec::new();
        let mut payload: Option<Vec<u8>> = None;
        for sub in &self.trigger.subscriptions {
            if sub.trigger.bucket != object.bucket || !sub.trigger.matches(name, &object.key) {
                continue;
            }
            let payload = payload
                .get_or_insert_with(|| s3_event(change, object).to_string().into_bytes())
                .clone();
            let request_id = fnhost_runtime::new_request_id();
            let lineage = match origin.as_ref().and_then(|o| o.lineage.as_ref()) {
                Some(lineage) => lineage.next(),
                None => Lineage::root(&request_id),
            };
            jobs.push(sub.job(payload, Trigger::S3, request_id, lineage));
        }
        jobs
    }
}

enum Examined {
    Unchanged,
    /// Still being written or unreadable: look again after the quiet period.
    Busy,
    Changed(Vec<NewJob>, CheckpointChange),
}

fn same(cp: &Checkpoint, state: &FileState) -> bool {
    cp.size == state.size && cp.mtime_ns == state.mtime_ns
}

/// S3's `sequencer`: hex, increasing for every event of this host (and across restarts, as
/// it starts from the clock).
fn next_sequencer() -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    let start = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(1, |d| d.as_nanos() as u64);
    let _ = NEXT.compare_exchange(0, start, Ordering::AcqRel, Ordering::Acquire);
    format!("{:016X}", NEXT.fetch_add(1, Ordering::AcqRel))
}
