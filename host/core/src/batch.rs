//! [`Batcher`]: group commit for blocking work, such as store writes.

use tokio::sync::{mpsc, oneshot};

/// An item handed to the batching task, with who waits for its result.
type Item<T, R> = (T, oneshot::Sender<R>);

/// Group commit: each caller hands over one item and waits for its result, while one task takes
/// every item waiting (up to a maximum), runs the work on all of them at once on the blocking
/// pool ([`crate::blocking`]) and answers each; the items that arrive meanwhile form the next
/// batch. Alone, an item goes through at once; under load, a store write (a transaction, a round
/// trip to a database) serves many callers. Cheap to clone; the task ends when every clone is
/// gone.
pub struct Batcher<T, R> {
    sender: mpsc::UnboundedSender<Item<T, R>>,
}

impl<T, R> Clone for Batcher<T, R> {
    fn clone(&self) -> Self {
        Self {
            sender: self.sender.clone(),
        }
    }
}

impl<T, R> std::fmt::Debug for Batcher<T, R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Batcher").finish_non_exhaustive()
    }
}

impl<T: Send + 'static, R: Send + 'static> Batcher<T, R> {
    /// Starts the batching task on the current tokio runtime (panics outside one). `work` gets
    /// a batch of at most `max` items (at least one) and returns one result per item, in their
    /// order; a result it leaves out is answered as if the task were gone (`None`).
    pub fn start(max: usize, work: impl Fn(Vec<T>) -> Vec<R> + Send + Sync + 'static) -> Self {
        let (sender, receiver) = mpsc::unbounded_channel();
        tokio::spawn(run(receiver, max.max(1), std::sync::Arc::new(work)));
        Self { sender }
    }

    /// Hands `item` over and waits for its result; `None` if the task is gone (its runtime is
    /// shutting down) or `work` gave no result for it.
    pub async fn submit(&self, item: T) -> Option<R> {
        let (done, result) = oneshot::channel();
        self.sender.send((item, done)).ok()?;
        result.await.ok()
    }
}

async fn run<
    T: Send + 'static,
    R: Send + 'static,
    W: Fn(Vec<T>) -> Vec<R> + Send + Sync + 'static,
>(
    mut receiver: mpsc::UnboundedReceiver<Item<T, R>>,
    max: usize,
    work: std::sync::Arc<W>,
) {
    let mut batch = Vec::with_capacity(max);
    while receiver.recv_many(&mut batch, max).await > 0 {
        let (items, waiters): (Vec<T>, Vec<oneshot::Sender<R>>) = batch.drain(..).unzip();
        let work = std::sync::Arc::clone(&work);
        let results = crate::blocking(move || work(items)).await;
        for (waiter, result) in waiters.into_iter().zip(results) {
            // The caller may have gone (a closed connection); its item was still written.
            let _ = waiter.send(result);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn callers_waiting_together_share_a_batch_and_each_gets_its_result() {
        let sizes = Arc::new(Mutex::new(Vec::new()));
        let seen = Arc::clone(&sizes);
        let batcher = Batcher::start(8, move |items: Vec<u32>| {
            seen.lock().unwrap().push(items.len());
            // Slow work: callers pile up behind it.
            std::thread::sleep(std::time::Duration::from_millis(20));
            items.into_iter().map(|n| n * 10).collect()
        });
        let calls: Vec<_> = (0..20u32)
            .map(|n| {
                let batcher = batcher.clone();
                tokio::spawn(async move { (n, batcher.submit(n).await) })
            })
            .collect();
        for call in calls {
            let (n, result) = call.await.unwrap();
            assert_eq!(result, Some(n * 10));
        }
        let sizes = sizes.lock().unwrap().clone();
        assert_eq!(sizes.iter().sum::<usize>(), 20);
        assert!(sizes.iter().all(|&s| (1..=8).contains(&s)), "{sizes:?}");
        assert!(
            sizes.len() < 20,
            "no batch held more than one item: {sizes:?}"
        );
    }

    #[tokio::test]
    async fn an_item_alone_goes_through_and_a_missing_result_is_none() {
        let batcher = Batcher::start(4, |items: Vec<u8>| items.into_iter().skip(1).collect());
        assert_eq!(batcher.submit(7).await, None);
        let batcher = Batcher::start(4, |items: Vec<u8>| items);
        assert_eq!(batcher.submit(7).await, Some(7));
    }
}
