//! The singleton runner on a real store, SQLite and PostgreSQL alike: of two runners exactly
//! one runs the work; when the holder dies the other takes over once the lease has expired;
//! a lease given up is taken over at once; a holder that cannot reach the store stops before
//! its lease would expire.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use fnhost_core::unix_ms;
use fnhost_store::Store;
use fnhost_triggers::singleton::{self, SingletonConfig, SingletonHandle, Takeover};

/// The lease of these tests: short, so that failover happens within a test.
const LEASE: Duration = Duration::from_secs(2);

/// What the work of all runners of one test did.
#[derive(Default)]
struct Log {
    /// How many runners run the work now.
    running: AtomicUsize,
    /// The most that ever ran at once.
    most: AtomicUsize,
    /// Every start: the holder and its takeover.
    starts: Mutex<Vec<(String, Takeover)>>,
}

/// The work: counted while alive.
struct Work(Arc<Log>);

impl Drop for Work {
    fn drop(&mut self) {
        self.0.running.fetch_sub(1, Ordering::SeqCst);
    }
}

fn runner(store: &Store, holder: &str, log: &Arc<Log>) -> SingletonHandle {
    let log = log.clone();
    let who = holder.to_owned();
    singleton::spawn(
        store.clone(),
        SingletonConfig {
            name: "work".into(),
            holder: holder.into(),
            lease: LEASE,
        },
        move |takeover: &Takeover| {
            let now = log.running.fetch_add(1, Ordering::SeqCst) + 1;
            log.most.fetch_max(now, Ordering::SeqCst);
            log.starts
                .lock()
                .unwrap()
                .push((who.clone(), takeover.clone()));
            Ok::<_, std::convert::Infallible>(Work(log.clone()))
        },
    )
}

/// Wait (up to a minute) until `done`.
async fn until(what: &str, done: impl Fn() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

/// Run `test` on a fresh SQLite store, then on a fresh PostgreSQL database.
fn on_both(test: fn(Store) -> std::pin::Pin<Box<dyn std::future::Future<Output = ()>>>) {
    let dir = tempfile::tempdir().unwrap();
    let sqlite = Store::open(&dir.path().join("fnhost.db")).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(test(sqlite.clone()));
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let pg = Store::connect(db.url()).unwrap();
    rt.block_on(test(pg.clone()));
    // The last handles go here, off the runtime (PostgreSQL's client blocks when it closes).
    drop(rt);
    drop((sqlite, pg));
}

/// The lease row, read off the runtime's threads (store calls block).
async fn lease(store: &Store) -> Option<fnhost_store::Lease> {
    let store = store.clone();
    tokio::task::spawn_blocking(move || store.lease("work").unwrap())
        .await
        .unwrap()
}

#[test]
fn of_two_runners_exactly_one_runs_the_work() {
    on_both(|store| {
        Box::pin(async move {
            let log = Arc::new(Log::default());
            let a = runner(&store, "node-a", &log);
            let b = runner(&store, "node-b", &log);
            until("a holder", || a.is_holding() || b.is_holding()).await;
            // Several renewals later: still the one holder, started once, never two at once.
            tokio::time::sleep(LEASE * 3).await;
            assert!(a.is_holding() ^ b.is_holding());
            assert_eq!(log.running.load(Ordering::SeqCst), 1);
            assert_eq!(log.most.load(Ordering::SeqCst), 1);
            let starts = log.starts.lock().unwrap().clone();
            assert_eq!(starts.len(), 1, "{starts:?}");
            let holder = if a.is_holding() { "node-a" } else { "node-b" };
            assert_eq!(starts[0].0, holder);
            assert_eq!(starts[0].1.previous, None);
            assert_eq!(lease(&store).await.unwrap().holder, holder);
            a.stop().await;
            b.stop().await;
            assert_eq!(log.running.load(Ordering::SeqCst), 0);
        })
    });
}

#[test]
fn when_the_holder_dies_the_other_takes_over_after_the_lease() {
    on_both(|store| {
        Box::pin(async move {
            let log = Arc::new(Log::default());
            // The first holder runs on a runtime of its own, shut down below without a word
            // to the store: a node that died.
            let doomed = tokio::runtime::Runtime::new().unwrap();
            let a = {
                let _entered = doomed.enter();
                runner(&store, "node-a", &log)
            };
            until("node-a to hold the lease", || a.is_holding()).await;
            let b = runner(&store, "node-b", &log);
            tokio::time::sleep(LEASE).await;
            assert!(!b.is_holding(), "node-b took a lease that node-a renews");
            std::mem::forget(a);
            doomed.shutdown_background();
            let died_ms = unix_ms();
            let last = lease(&store).await.unwrap();
            assert_eq!(last.holder, "node-a");
            until("node-b to take over", || b.is_holding()).await;
            let starts = log.starts.lock().unwrap().clone();
            assert_eq!(starts.len(), 2, "{starts:?}");
            let (holder, takeover) = &starts[1];
            assert_eq!(holder, "node-b");
            let previous = takeover.previous.clone().expect("took over from node-a");
            assert_eq!(previous.holder, "node-a");
            // Only once node-a's lease had run out, and within one lease of its death.
            assert!(takeover.at_ms >= previous.until_ms, "{takeover:?}");
            assert!(takeover.at_ms <= died_ms + LEASE.as_millis() as u64 + 1000);
            // It continues right after node-a: its last term's start.
            let follows = takeover.follows().expect("follows node-a");
            assert!(follows < died_ms && follows + (LEASE.as_millis() as u64) >= died_ms);
            eprintln!(
                "takeover after a death: {} ms after it, {} ms after the lease ran out",
                takeover.at_ms - died_ms,
                takeover.at_ms - previous.until_ms
            );
            b.stop().await;
        })
    });
}

#[test]
fn a_lease_given_up_is_taken_over_at_once() {
    on_both(|store| {
        Box::pin(async move {
            let log = Arc::new(Log::default());
            let a = runner(&store, "node-a", &log);
            until("node-a to hold the lease", || a.is_holding()).await;
            let b = runner(&store, "node-b", &log);
            tokio::time::sleep(LEASE / 2).await;
            let held_until = lease(&store).await.unwrap().until_ms;
            let stopped_ms = unix_ms();
            a.stop().await;
            // node-a's work stopped before the lease was given up.
            until("node-b to take over", || b.is_holding()).await;
            let starts = log.starts.lock().unwrap().clone();
            let (holder, takeover) = &starts[1];
            assert_eq!(holder, "node-b");
            assert_eq!(takeover.previous.as_ref().unwrap().holder, "node-a");
            // Before node-a's lease would have run out by itself.
            assert!(
                takeover.at_ms < held_until,
                "{takeover:?}, held until {held_until}"
            );
            assert!(takeover.follows().is_some());
            assert_eq!(log.most.load(Ordering::SeqCst), 1);
            eprintln!(
                "takeover after a release: {} ms",
                takeover.at_ms.saturating_sub(stopped_ms)
            );
            b.stop().await;
            // Given up again: the row says it ran out.
            let lease = lease(&store).await.unwrap();
            assert!(lease.until_ms <= unix_ms());
        })
    });
}

#[test]
fn a_holder_that_cannot_reach_the_store_stops_before_its_lease_runs_out() {
    let mut server = fnhost_testpg::Server::start_private().unwrap();
    let db = server.database().unwrap();
    let store = Store::connect(db.url()).unwrap();
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        let log = Arc::new(Log::default());
        let a = runner(&store, "node-a", &log);
        until("node-a to hold the lease", || a.is_holding()).await;
        tokio::time::sleep(LEASE / 2).await;
        let holding = a.holding();
        server.stop(fnhost_testpg::Shutdown::Immediate).unwrap();
        until("node-a to stop", || !*holding.borrow()).await;
        let stopped_ms = unix_ms();
        assert_eq!(log.running.load(Ordering::SeqCst), 0);
        // Stopped for good (it does not reach the store on the way out).
        a.stop().await;
        // The last lease node-a wrote, read once the store is back: it stopped before that
        // ran out, so no other node could have taken over while it still ran.
        server.start().unwrap();
        let store = store.clone();
        let last = lease(&store).await.unwrap();
        assert_eq!(last.holder, "node-a");
        assert!(
            stopped_ms < last.until_ms,
            "stopped at {stopped_ms}, {last:?}"
        );
        eprintln!(
            "stopped {} ms before its last lease ran out",
            last.until_ms - stopped_ms
        );
    });
}
