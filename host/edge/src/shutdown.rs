//! [`Shutdown`]: a host's stop in two steps, shared by its listeners, so that a load balancer
//! sees the node leave before its listener closes.
//!
//! While *draining* a listener keeps accepting and serving, its health endpoint answers 503,
//! and every response carries `Connection: close` (keep-alive clients, a balancer's pool among
//! them, reconnect, to another node once the balancer has seen the 503). Once *closing*, the
//! accept loop stops and the requests in flight get the drain timeout to finish.

use std::sync::Arc;

use tokio::sync::watch;

/// Where a host is on its way out; the steps only ever go forward.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// Serving normally.
    Serving,
    /// Still serving, but leaving: health says so and connections are not kept alive.
    Draining,
    /// Not accepting any more; the requests in flight finish.
    Closing,
}

/// The shared stop of a host's listeners (cheap to clone; every clone is the same stop).
#[derive(Debug, Clone)]
pub struct Shutdown {
    phase: Arc<watch::Sender<Phase>>,
}

impl Default for Shutdown {
    fn default() -> Self {
        Self::new()
    }
}

impl Shutdown {
    /// A host serving normally.
    pub fn new() -> Self {
        Self {
            phase: Arc::new(watch::Sender::new(Phase::Serving)),
        }
    }

    /// The step it is at now.
    pub fn phase(&self) -> Phase {
        *self.phase.borrow()
    }

    /// Whether it has begun to leave (draining or closing).
    pub fn is_draining(&self) -> bool {
        self.phase() >= Phase::Draining
    }

    /// Begin draining (nothing happens when already draining or closing).
    pub fn drain(&self) {
        self.advance(Phase::Draining);
    }

    /// Stop accepting: the accept loops end and drain their requests in flight.
    pub fn close(&self) {
        self.advance(Phase::Closing);
    }

    /// Resolves once it is closing.
    pub async fn closing(&self) {
        let mut phase = self.phase.subscribe();
        // The sender lives in `self`, so waiting cannot fail.
        let _ = phase.wait_for(|p| *p >= Phase::Closing).await;
    }

    fn advance(&self, to: Phase) {
        self.phase.send_if_modified(|phase| {
            let later = to > *phase;
            if later {
                *phase = to;
            }
            later
        });
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[tokio::test]
    async fn the_steps_only_go_forward_and_closing_wakes_the_waiters() {
        let shutdown = Shutdown::new();
        assert_eq!(shutdown.phase(), Phase::Serving);
        assert!(!shutdown.is_draining());
        let waiter = tokio::spawn({
            let shutdown = shutdown.clone();
            async move { shutdown.closing().await }
        });
        shutdown.drain();
        assert!(shutdown.is_draining());
        let early = tokio::time::timeout(Duration::from_millis(50), shutdown.closing()).await;
        assert!(early.is_err(), "closing resolved while only draining");
        assert!(!waiter.is_finished());
        shutdown.close();
        waiter.await.unwrap();
        shutdown.drain();
        assert_eq!(shutdown.phase(), Phase::Closing, "draining again went back");
        // A waiter that comes after the close returns at once.
        shutdown.closing().await;
    }
}
