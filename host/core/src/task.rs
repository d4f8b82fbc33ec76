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
    match tokio::task::spawn_blocking(work).await {
        Ok(value) => value,
        Err(err) if err.is_panic() => std::panic::resume_unwind(err.into_panic()),
        Err(_) => std::future::pending().await,
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
    fn the_clock_is_after_2020() {
        assert!(unix_ms() > 1_577_836_800_000);
    }
}
