//! Issue 12's finding 6 and its low item on put bodies, through the real `objects-ops` guest and
//! an [`ObjectAccess`] whose calls block until the test lets them go: object calls wait for the
//! function's slots without a blocking thread and stop at the invocation's deadline, a call that
//! outlives its invocation keeps its slot until it ends, and a put body over the limit is
//! refused by the runtime before it is copied out of the guest.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use fnhost_runtime::{
    CallLimits, CallSlots, FunctionSpec, InvokeRequest, MAX_PUT_BYTES, ObjectAccess, ObjectFailure,
    ObjectMeta, Outcome, Runtime, Trigger, WriteOrigin,
};
use serde_json::{Value, json};

use crate::support::{load, runtime};

/// Object access whose listings block until [`Held::release`]; it counts the calls that reach
/// it.
#[derive(Debug)]
struct Held {
    slots: CallSlots,
    released: Mutex<bool>,
    freed: Condvar,
    lists: AtomicUsize,
    puts: AtomicUsize,
}

impl Held {
    fn new(limits: CallLimits) -> Arc<Self> {
        Arc::new(Self {
            slots: CallSlots::new(limits),
            released: Mutex::new(false),
            freed: Condvar::new(),
            lists: AtomicUsize::new(0),
            puts: AtomicUsize::new(0),
        })
    }

    fn release(&self) {
        *self.released.lock().unwrap_or_else(|e| e.into_inner()) = true;
        self.freed.notify_all();
    }
}

/// Releases the held calls when a test ends, passed or failed (tokio waits for blocking work
/// when it shuts down, so a failed assertion would otherwise hang the test).
struct ReleaseOnDrop(Arc<Held>);

impl Drop for ReleaseOnDrop {
    fn drop(&mut self) {
        self.0.release();
    }
}

impl ObjectAccess for Held {
    fn slots(&self) -> Option<&CallSlots> {
        Some(&self.slots)
    }

    fn get(&self, _: &str, _: &str, _: Option<(u64, u64)>) -> Result<Vec<u8>, ObjectFailure> {
        Ok(Vec::new())
    }

    fn put(
        &self,
        _: &str,
        key: &str,
        body: &[u8],
        _: &WriteOrigin,
    ) -> Result<ObjectMeta, ObjectFailure> {
        self.puts.fetch_add(1, Ordering::SeqCst);
        Ok(ObjectMeta {
            key: key.to_owned(),
            size: body.len() as u64,
            etag: String::new(),
            last_modified_ms: 0,
        })
    }

    fn head(&self, _: &str, key: &str, _: Instant) -> Result<ObjectMeta, ObjectFailure> {
        Err(ObjectFailure::NoSuchKey(key.to_owned()))
    }

    fn delete(&self, _: &str, _: &str, _: &WriteOrigin) -> Result<(), ObjectFailure> {
        Ok(())
    }

    fn copy(
        &self,
        _: &str,
        _: &str,
        _: &str,
        key: &str,
        _: &WriteOrigin,
        _: Instant,
    ) -> Result<ObjectMeta, ObjectFailure> {
        Err(ObjectFailure::NoSuchKey(key.to_owned()))
    }

    fn list(
        &self,
        _: &str,
        _: &str,
        _: Option<&str>,
        _: u32,
        _: Instant,
    ) -> Result<Vec<ObjectMeta>, ObjectFailure> {
        self.lists.fetch_add(1, Ordering::SeqCst);
        let mut released = self.released.lock().unwrap();
        while !*released {
            released = self.freed.wait(released).unwrap();
        }
        Ok(Vec::new())
    }
}

fn function(rt: &Runtime, access: &Arc<Held>, timeout: Duration) -> fnhost_runtime::Function {
    let mut spec = FunctionSpec::new("objects");
    spec.objects = access.clone();
    spec.timeout = timeout;
    load(rt, spec, "objects-ops")
}

async fn call(rt: &Runtime, f: &fnhost_runtime::Function, event: &Value) -> Outcome {
    let request = InvokeRequest::new(event.to_string(), Trigger::Cli);
    rt.invoke(f, request).await.unwrap().outcome
}

fn function_error(outcome: &Outcome) -> (&str, &str) {
    match outcome {
        Outcome::FunctionError {
            error_type,
            message,
            ..
        } => (error_type, message),
        other => panic!("expected a function error, got {other:?}"),
    }
}

/// Invocations waiting for the function's only slot.
const WAITERS: usize = 20;

#[test]
fn calls_waiting_for_a_slot_hold_no_thread_and_end_at_the_deadline() {
    // Few blocking threads: were waiters parked on them, the control request below could not
    // get one.
    let tokio = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .max_blocking_threads(4)
        .enable_all()
        .build()
        .unwrap();
    tokio.block_on(async {
        let state = tempfile::tempdir().unwrap();
        let rt = Arc::new(runtime(state.path()));
        let access = Held::new(CallLimits {
            concurrency: 1,
            // Longer than the test: only the deadline can end a wait.
            wait: Duration::from_secs(600),
            budget: Duration::from_secs(600),
        });
        let _release = ReleaseOnDrop(access.clone());
        let f = Arc::new(function(&rt, &access, Duration::from_secs(3)));
        let list = json!({"op": "list", "bucket": "b"});

        let holder = {
            let (rt, f, list) = (rt.clone(), f.clone(), list.clone());
            tokio::spawn(async move { call(&rt, &f, &list).await })
        };
        while access.lists.load(Ordering::SeqCst) == 0 {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        let waiters: Vec<_> = (0..WAITERS)
            .map(|_| {
                let (rt, f, list) = (rt.clone(), f.clone(), list.clone());
                tokio::spawn(async move { call(&rt, &f, &list).await })
            })
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;

        // One blocking thread is held by the call in the slot; the waiters hold none.
        let control =
            tokio::time::timeout(Duration::from_secs(1), tokio::task::spawn_blocking(|| 42)).await;
        assert!(
            matches!(control, Ok(Ok(42))),
            "object calls waiting for a slot hold the host's blocking threads"
        );

        // The holder's invocation ends at its deadline while its call still runs; the waiters
        // end at theirs (the slot is never freed for them), as timeouts.
        assert!(matches!(holder.await.unwrap(), Outcome::Timeout { .. }));
        for waiter in waiters {
            let outcome = waiter.await.unwrap();
            assert!(
                matches!(outcome, Outcome::Timeout { .. }),
                "a waiting call ended as {outcome:?}"
            );
        }
        assert_eq!(
            access.lists.load(Ordering::SeqCst),
            1,
            "a waiting call reached the bucket"
        );

        // Once the orphaned call ends, its slot serves the next invocation.
        access.release();
        let after = call(&rt, &f, &list).await;
        assert!(after.is_ok(), "{after:?}");
        assert_eq!(access.lists.load(Ordering::SeqCst), 2);
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_that_waits_longer_than_the_wait_is_told_to_slow_down() {
    let state = tempfile::tempdir().unwrap();
    let rt = Arc::new(runtime(state.path()));
    let access = Held::new(CallLimits {
        concurrency: 1,
        wait: Duration::from_millis(100),
        budget: Duration::from_secs(600),
    });
    let _release = ReleaseOnDrop(access.clone());
    let f = Arc::new(function(&rt, &access, Duration::from_secs(30)));
    let list = json!({"op": "list", "bucket": "b"});
    let holder = {
        let (rt, f, list) = (rt.clone(), f.clone(), list.clone());
        tokio::spawn(async move { call(&rt, &f, &list).await })
    };
    while access.lists.load(Ordering::SeqCst) == 0 {
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let outcome = call(&rt, &f, &list).await;
    let (error_type, message) = function_error(&outcome);
    assert_eq!(error_type, "InternalError");
    assert!(
        message.contains("SlowDown: function `objects` already has 1 object calls running"),
        "{message}"
    );
    access.release();
    assert!(holder.await.unwrap().is_ok());
}

#[tokio::test]
async fn a_put_body_over_the_limit_is_refused_before_it_is_copied() {
    let state = tempfile::tempdir().unwrap();
    let rt = runtime(state.path());
    let access = Held::new(CallLimits::default());
    let f = function(&rt, &access, Duration::from_secs(30));

    // 40 MiB in guest memory: the runtime refuses the list by its length, so the body is never
    // copied and the bucket never sees the call.
    let big = json!({"op": "put", "bucket": "b", "key": "big", "fill": 40 << 20});
    let outcome = call(&rt, &f, &big).await;
    let (error_type, message) = function_error(&outcome);
    assert_eq!(error_type, "EntityTooLarge");
    assert!(
        message.contains(&format!(
            "the body is {} bytes and one put writes at most {MAX_PUT_BYTES}",
            40 << 20
        )),
        "{message}"
    );
    assert_eq!(access.puts.load(Ordering::SeqCst), 0);

    // At the limit, the body arrives whole.
    let limit = json!({"op": "put", "bucket": "b", "key": "limit", "fill": MAX_PUT_BYTES});
    let outcome = call(&rt, &f, &limit).await;
    assert!(outcome.is_ok(), "{outcome:?}");
    let Outcome::Ok(payload) = outcome else {
        unreachable!()
    };
    let info: Value = serde_json::from_slice(&payload).unwrap();
    assert_eq!(info["size"], MAX_PUT_BYTES);
    assert_eq!(access.puts.load(Ordering::SeqCst), 1);
}
