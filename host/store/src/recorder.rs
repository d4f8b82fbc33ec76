//! [`Recorder`]: writes invocation records off the hot path, many per transaction.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, SyncSender, TryRecvError, TrySendError};
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
/// ([`RECORDER_CAPACITY`]) commits whatever arrived within [`RECORDER_INTERVAL`] of the first
/// record, in transactions of up to [`RECORDER_BATCH`]. Dropping it writes what is queued and
/// stops the thread.
///
/// A submit never wakes the thread, except the one that finds it idle and every
/// [`RECORDER_BATCH`]th while it waits: the thread sleeps out the interval and then takes
/// everything queued, so at thousands of invocations a second it costs a few wake-ups a second
/// rather than one (a futex call and a context switch) per invocation.
pub struct Recorder {
    sender: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<()>>,
    shared: Arc<Shared>,
}

/// What the submitters and the writer thread share.
#[derive(Default)]
struct Shared {
    dropped: AtomicU64,
    /// Records submitted and not yet taken off the channel by the thread.
    queued: AtomicUsize,
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
        let shared = Arc::new(Shared::default());
        let thread_shared = Arc::clone(&shared);
        let thread = std::thread::Builder::new()
            .name("fnhost-recorder".into())
            .spawn(move || run(&store, &receiver, &thread_shared));
        match thread {
            Ok(thread) => Recorder {
                sender: Some(sender),
                thread: Some(thread),
                shared,
            },
            Err(e) => {
                // Without the thread every submit counts as dropped; the host keeps serving.
                error!(error = %e, "cannot start the invocation recorder thread");
                Recorder {
                    sender: None,
                    thread: None,
                    shared,
                }
            }
        }
    }

    /// Ends the thread's wait early (a flush, a full batch, the end).
    fn wake(&self) {
        if let Some(thread) = &self.thread {
            thread.thread().unpark();
        }
    }

    /// Queues a record for writing. Never blocks: when the queue is full (the database cannot
    /// keep up) the record is dropped and counted.
    pub fn submit(&self, record: InvocationRecord) {
        let Some(sender) = &self.sender else {
            self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            return;
        };
        // Counted before the send, so the thread never sees more records than the count.
        let queued = self.shared.queued.fetch_add(1, Ordering::Relaxed) + 1;
        match sender.try_send(Message::Record(Box::new(record))) {
            // A full batch is written at once rather than at the interval's end.
            Ok(()) if queued == RECORDER_BATCH => self.wake(),
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.shared.queued.fetch_sub(1, Ordering::Relaxed);
                self.shared.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Blocks until every record submitted before the call is written (or counted as dropped).
    pub fn flush(&self) {
        let Some(sender) = &self.sender else { return };
        let (done, wait) = mpsc::sync_channel(1);
        if sender.send(Message::Flush(done)).is_ok() {
            self.wake();
            // An error means the thread is gone, which also means nothing is left to write.
            let _ = wait.recv();
        }
    }

    /// Records dropped so far: submitted while the queue was full, or lost because the
    /// database refused the write.
    pub fn dropped(&self) -> u64 {
        self.shared.dropped.load(Ordering::Relaxed)
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Closing the channel lets the thread write what is queued and end.
        self.sender.take();
        self.wake();
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            error!("the invocation recorder thread panicked");
        }
    }
}

/// The writer thread: wait for a record, let the interval fill the batch, write, acknowledge
/// flushes; ends when the channel closes.
fn run(store: &Store, receiver: &Receiver<Message>, shared: &Shared) {
    let mut batch: Vec<InvocationRecord> = Vec::with_capacity(RECORDER_BATCH);
    let mut flushes: Vec<SyncSender<()>> = Vec::new();
    // Idle: block until something arrives (that send wakes the thread).
    while let Ok(first) = receiver.recv() {
        let deadline = Instant::now() + RECORDER_INTERVAL;
        let mut next = Some(first);
        let mut closed = false;
        loop {
            // Take everything queued, writing each full batch as it fills.
            loop {
                let message = match next.take().map(Ok).unwrap_or_else(|| receiver.try_recv()) {
                    Ok(message) => message,
                    Err(TryRecvError::Empty) => break,
                    Err(TryRecvError::Disconnected) => {
                        closed = true;
                        break;
                    }
                };
                match message {
                    Message::Record(record) => {
                        shared.queued.fetch_sub(1, Ordering::Relaxed);
                        batch.push(*record);
                        if batch.len() >= RECORDER_BATCH {
                            write(store, &mut batch, &shared.dropped);
                        }
                    }
                    Message::Flush(done) => flushes.push(done),
                }
            }
            let now = Instant::now();
            if closed || !flushes.is_empty() || now >= deadline {
                break;
            }
            // Submits do not wake this wait; a flush, a full batch or the end do.
            std::thread::park_timeout(deadline - now);
        }
        write(store, &mut batch, &shared.dropped);
        for done in flushes.drain(..) {
            let _ = done.send(());
        }
        if closed {
            break;
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
