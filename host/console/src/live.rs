//! The live log tail: every invocation that ends, from any trigger, as one server-sent event
//! for each console tab following the logs. While no tab follows, the sink does nothing per
//! invocation but read a counter.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use bytes::Bytes;
use fnhost_dispatch::LogSink;
use fnhost_runtime::Invocation;
use serde_json::json;
use tokio::sync::{broadcast, mpsc, watch};

/// Events a slow follower may fall behind by before it is told it missed some.
const BACKLOG: usize = 1024;
/// Most console tabs following the logs at once.
pub const MAX_FOLLOWERS: usize = 64;
/// A comment sent this often keeps idle streams open through proxies.
pub const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// One ended invocation, ready to send.
#[derive(Debug)]
pub(crate) struct Ended {
    /// The function's name.
    function: String,
    /// The event's `data:` line (JSON, one line).
    data: String,
}

/// A [`LogSink`] that hands every ended invocation to the console tabs following the logs.
#[derive(Debug)]
pub struct LiveFeed {
    sender: broadcast::Sender<Arc<Ended>>,
    /// Tabs following now: read on every invocation without a lock (the channel's own
    /// receiver count takes one).
    followers: Arc<AtomicUsize>,
}

/// Counts one follower for as long as it lives.
struct Following(Arc<AtomicUsize>);

impl Drop for Following {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Default for LiveFeed {
    fn default() -> Self {
        Self::new()
    }
}

impl LiveFeed {
    /// A feed nobody follows yet.
    pub fn new() -> Self {
        Self {
            sender: broadcast::channel(BACKLOG).0,
            followers: Arc::new(AtomicUsize::new(0)),
        }
    }

    /// Tabs following now.
    pub fn followers(&self) -> usize {
        self.followers.load(Ordering::Acquire)
    }

    /// Follow: the stream of `text/event-stream` chunks for invocations of `function` (all
    /// when `None`), ending when `closed` turns true or the client goes away; `hold` is kept
    /// until then.
    pub(crate) fn follow(
        &self,
        function: Option<String>,
        mut closed: watch::Receiver<bool>,
        hold: impl Send + 'static,
    ) -> mpsc::Receiver<Bytes> {
        let mut ended = self.sender.subscribe();
        self.followers.fetch_add(1, Ordering::AcqRel);
        let following = Following(self.followers.clone());
        let (tx, rx) = mpsc::channel(64);
        tokio::spawn(async move {
            let _hold = (hold, following);
            if tx
                .send(Bytes::from_static(b"retry: 2000\n: following\n\n"))
                .await
                .is_err()
            {
                return;
            }
            let mut ping =
                tokio::time::interval_at(tokio::time::Instant::now() + KEEP_ALIVE, KEEP_ALIVE);
            loop {
                let chunk = tokio::select! {
                    next = ended.recv() => match next {
                        Ok(event) => {
                            if function.as_deref().is_some_and(|f| f != event.function) {
                                continue;
                            }
                            Bytes::from(format!("event: invocation\ndata: {}\n\n", event.data))
                        }
                        Err(broadcast::error::RecvError::Lagged(missed)) => {
                            Bytes::from(format!("event: missed\ndata: {missed}\n\n"))
                        }
                        Err(broadcast::error::RecvError::Closed) => break,
                    },
                    _ = ping.tick() => Bytes::from_static(b": keep-alive\n\n"),
                    _ = closed.wait_for(|c| *c) => break,
                    () = tx.closed() => break,
                };
                if tx.send(chunk).await.is_err() {
                    break;
                }
            }
        });
        rx
    }
}

impl LogSink for LiveFeed {
    fn invocation(&self, function: &str, invocation: &Invocation) {
        if self.followers.load(Ordering::Acquire) == 0 {
            return;
        }
        let record = fnhost_api::record::record(function, invocation);
        let data = json!({
            "function": record.function,
            "version": record.version,
            "requestId": record.request_id,
            "startedMs": record.started_at_ms,
            "trigger": record.trigger.to_string(),
            "durationMs": record.duration_ms,
            "billedMs": record.billed_ms,
            "memoryMb": record.memory_mb,
            "maxMemoryUsedMb": record.max_memory_used_mb,
            "fuel": record.fuel,
            "errorType": record.error_type,
            "log": record.log,
        })
        .to_string();
        let _ = self.sender.send(Arc::new(Ended {
            function: record.function,
            data,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn followers_get_their_functions_events_and_stop_on_close() {
        let feed = LiveFeed::new();
        let (close, closed) = watch::channel(false);
        let mut all = feed.follow(None, closed.clone(), ());
        let mut only_b = feed.follow(Some("b".into()), closed, ());
        assert_eq!(feed.followers(), 2);
        for f in ["a", "b"] {
            feed.sender
                .send(Arc::new(Ended {
                    function: f.into(),
                    data: format!("{{\"function\":\"{f}\"}}"),
                }))
                .unwrap();
        }
        let text = |b: Bytes| String::from_utf8(b.to_vec()).unwrap();
        assert!(text(all.recv().await.unwrap()).starts_with("retry:"));
        assert!(text(all.recv().await.unwrap()).contains("\"a\""));
        assert!(text(all.recv().await.unwrap()).contains("\"b\""));
        only_b.recv().await.unwrap();
        assert_eq!(
            text(only_b.recv().await.unwrap()),
            "event: invocation\ndata: {\"function\":\"b\"}\n\n"
        );
        close.send(true).unwrap();
        assert!(all.recv().await.is_none());
        assert!(only_b.recv().await.is_none());
        assert_eq!(feed.followers(), 0, "the followers left");
    }
}
