//! [`Recorder`]: writes invocation records off the hot path, many per transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use tracing::{error, warn};

use crate::{InvocationRecord, Store};

/// Records waiting to be written; past this, [`Recorder::submit`] drops.
pub const RECORDER_CAPACITY: usize = 8192;
/// Records per transaction at most.
pub const RECORDER_BATCH: usize = 512;
/// How long the first record of a batch waits for company before the batch is written.
pub const RECORDER_INTERVAL: Duration = Duration::from_millis(50);
/// Attempts at writing a batch while another connection holds the lock.
const BUSY_ATTEMPTS: u32 = 3;

enum Message {
    Record(Box<InvocationRecord>),
    Flush(SyncSender<()>),
}

/// Batches invocation records off the hot path: a background thread with a bounded channel
/// ([`RECORDER_CAPACITY`]) commits up to [`RECORDER_BATCH`] records, or whatever arrived within
/// [`RECORDER_INTERVAL`] of the first, per transaction. Dropping it writes what is queued and
/// stops the thread.
pub struct Recorder {
    sender: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<()>>,
    dropped: Arc<AtomicU64>,
}

impl std::fmt::Debug for Recorder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Recorder")
            .field("dropped", &self.dropped())
            .finish_non_exhaustive()
    }
}

impl Recorder {
    /// Starts the writer thread on `store`.
    pub fn start(store: Store) -> Recorder {
        let (sender, receiver) = mpsc::sync_channel(RECORDER_CAPACITY);
        let dropped = Arc::new(AtomicU64::new(0));
        let thread_dropped = Arc::clone(&dropped);
        let thread = std::thread::Builder::new()
            .name("fnhost-recorder".into())
            .spawn(move || run(&store, &receiver, &thread_dropped));
        match thread {
            Ok(thread) => Recorder {
                sender: Some(sender),
                thread: Some(thread),
                dropped,
            },
            Err(e) => {
                // Without the thread every submit counts as dropped; the host keeps serving.
                error!(error = %e, "cannot start the invocation recorder thread");
                Recorder {
                    sender: None,
                    thread: None,
                    dropped,
                }
            }
        }
    }

    /// Queues a record for writing. Never blocks: when the queue is full (the database cannot
    /// keep up) the record is dropped and counted.
    pub fn submit(&self, record: InvocationRecord) {
        let Some(sender) = &self.sender else {
            self.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        match sender.try_send(Message::Record(Box::new(record))) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Blocks until every record submitted before the call is written (or counted as dropped).
    pub fn flush(&self) {
        let Some(sender) = &self.sender else { return };
        let (done, wait) = mpsc::sync_channel(1);
        if sender.send(Message::Flush(done)).is_ok() {
            // An error means the thread is gone, which also means nothing is left to write.
            let _ = wait.recv();
        }
    }

    /// Records dropped so far: submitted while the queue was full, or lost because the
    /// database refused the write.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Closing the channel lets the thread write what is queued and end.
        self.sender.take();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            error!("the invocation recorder thread panicked");
        }
    }
}

/// The writer thread: batch, write, acknowledge flushes; ends when the channel closes.
fn run(store: &Store, receiver: &Receiver<Message>, dropped: &AtomicU64) {
    let mut batch: Vec<InvocationRecord> = Vec::with_capacity(RECORDER_BATCH);
    let mut flushes: Vec<SyncSender<()>> = Vec::new();
    while let Ok(first) = receiver.recv() {
        let deadline = Instant::now() + RECORDER_INTERVAL;
        let mut message = Some(first);
        while let Some(m) = message.take() {
            match m {
                Message::Record(record) => batch.push(*record),
                Message::Flush(done) => {
                    flushes.push(done);
                    break;
                }
            }
            if batch.len() >= RECORDER_BATCH {
                break;
            }
            let left = deadline.saturating_duration_since(Instant::now());
            match receiver.recv_timeout(left) {
                Ok(next) => message = Some(next),
                Err(RecvTimeoutError::Timeout | RecvTimeoutError::Disconnected) => break,
            }
        }
        write(store, &mut batch, dropped);
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
    }
}

/// Writes one batch, retrying while the database is locked; a batch that cannot be written is
/// counted as dropped.
fn write(store: &Store, batch: &mut Vec<InvocationRecord>, dropped: &AtomicU64) {
    if batch.is_empty() {
        return;
    }
    let mut attempt = 1;
    loop {
        match store.record(batch) {
            Ok(()) => break,
            Err(e) if e.is_busy() && attempt < BUSY_ATTEMPTS => {
                warn!(error = %e, attempt, "invocation records wait for the database lock");
                attempt += 1;
            }
            Err(e) => {
                error!(error = %e, records = batch.len(), "cannot write invocation records; dropping them");
                dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
                break;
            }
        }
    }
    batch.clear();
}
