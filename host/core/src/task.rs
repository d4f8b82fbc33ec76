//! The wall clock and blocking work, as every crate uses them.

/// Unix time in milliseconds (0 for a clock set before 1970).
pub fn unix_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as u64)
}

/// Run blocking work (SQLite, file I/O) on tokio's blocking pool and wait for it.
///
/// The work behaves as if it ran inline: its result comes back as it is, and a panic in it
/// resumes on the caller (a bug stays a bug, with its message, instead of turning into an error
/// value that each caller would map differently). When the runtime shuts down before the work
/// is picked up, the caller waits forever; it is being dropped with the runtime anyway.
pub async fn blocking<T: Send + 'static>(work: impl FnOnce() -> T + Send + 'static) -> T {
    let work = move || {
        let _mark = BlockingMark::enter();
        work()
    };
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => std::future::pending().await,
    }
}

/// Whether work on this thread may block it, as a synchronous client that runs its own runtime
/// does (rust-postgres): true on a thread no tokio runtime drives and inside [`blocking`] (tokio's
/// blocking pool); false on a runtime's worker thread or in `block_on`, where blocking stalls
/// other tasks and starting a runtime panics.
pub fn may_block() -> bool {
    IN_BLOCKING.get() || tokio::runtime::Handle::try_current().is_err()
}

thread_local! {
    /// Set while this thread runs work given to [`blocking`].
    static IN_BLOCKING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Marks the thread as running [`blocking`] work until dropped, also when the work panics (the
/// blocking pool reuses its threads).
struct BlockingMark {
    was: bool,
}

impl BlockingMark {
    fn enter() -> Self {
        Self {
            was: IN_BLOCKING.replace(true),
        }
    }
}

impl Drop for BlockingMark {
    fn drop(&mut self) {
        IN_BLOCKING.set(self.was);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn blocking_returns_the_value() {
        assert_eq!(blocking(|| 6 * 7).await, 42);
    }

    #[tokio::test]
    async fn a_panic_in_blocking_work_reaches_the_caller() {
        let caught = tokio::spawn(blocking(|| -> u32 { panic!("store bug") })).await;
        let err = caught.unwrap_err();
        assert!(err.is_panic());
        let message = err.into_panic();
        assert_eq!(message.downcast_ref::<&str>(), Some(&"store bug"));
    }

    #[test]
    fn only_blocking_work_and_plain_threads_may_block() {
        assert!(may_block(), "a thread without a runtime");
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .build()
            .unwrap();
        runtime.block_on(async {
            assert!(!may_block(), "block_on");
            assert!(
                !tokio::spawn(async { may_block() }).await.unwrap(),
                "a worker"
            );
            assert!(blocking(may_block).await, "blocking work");
            // tokio's own spawn_blocking is not marked: the caller did not say it may block.
            assert!(!tokio::task::spawn_blocking(may_block).await.unwrap());
            // The mark ends with the work, also when it panics on a reused pool thread.
            let _ = tokio::spawn(blocking(|| panic!("work fails"))).await;
            for _ in 0..4 {
                assert!(!tokio::task::spawn_blocking(may_block).await.unwrap());
            }
        });
    }

    #[test]
    fn the_clock_is_after_2020() {
        assert!(unix_ms() > 1_577_836_800_000);
    }
}
