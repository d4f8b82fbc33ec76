//! Where a connection is served: on the accept loop's own runtime, or on one of a set of
//! single-threaded runtimes, each on a thread of its own.
//!
//! On tokio's work-stealing runtime a request's future moves between worker threads: the I/O
//! driver wakes whichever worker is parked, tasks are stolen, and each move is a cross-thread
//! wake-up (a futex and often a context switch). With [`Workers`], a connection is handed
//! once, when it is accepted, to one worker thread (round robin), and every request on it is
//! read, run and answered there. This is the model of actix-web and of thread-per-core
//! servers; the accept loop itself, draining and the connection cap are unchanged.

use std::future::Future;
use std::io;
use std::pin::Pin;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::sync::mpsc;

type Job = Pin<Box<dyn Future<Output = ()> + Send + 'static>>;

/// Threads that each run a single-threaded tokio runtime serving the connections handed to them.
/// Dropping it lets each thread finish: its runtime stops, cancelling what still runs there.
#[derive(Debug)]
pub struct Workers {
    queues: Vec<mpsc::UnboundedSender<Job>>,
    next: AtomicUsize,
}

impl Workers {
    /// Start `count` worker threads (at least one), named `{name}-{i}`.
    pub fn start(name: &str, count: usize) -> io::Result<Self> {
        let mut queues = Vec::with_capacity(count.max(1));
        for i in 0..count.max(1) {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()?;
            let (queue, mut jobs) = mpsc::unbounded_channel::<Job>();
            std::thread::Builder::new()
                .name(format!("{name}-{i}"))
                .spawn(move || {
                    runtime.block_on(async move {
                        while let Some(job) = jobs.recv().await {
                            tokio::spawn(job);
                        }
                    });
                })?;
            queues.push(queue);
        }
        Ok(Self {
            queues,
            next: AtomicUsize::new(0),
        })
    }

    /// Run `job` on the next worker thread. A tokio I/O object must be made inside `job`
    /// (e.g. `TcpStream::from_std`), so it registers with that thread's runtime.
    pub(crate) fn spawn(&self, job: impl Future<Output = ()> + Send + 'static) {
        let i = self.next.fetch_add(1, Ordering::Relaxed) % self.queues.len();
        // A worker's loop ends only when its queue is dropped, which is when `self` is.
        let _ = self.queues[i].send(Box::pin(job));
    }
}
