//! Findings 4 and 6 of issue 12 through the real guest: object calls on a FIFO fail within the
//! invocation, hundreds of invocations looping over `list_objects` on a huge bucket cannot
//! take the host's blocking threads (where the control plane does its work too), and hashing or
//! listing stops at the invocation's deadline.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fnhost_runtime::{
    CallLimits, Function, FunctionSpec, InvokeRequest, ObjectAccess, Outcome, Runtime,
    RuntimeConfig,
};
use rustix::fs::{CWD, Mode, mkfifoat};
use serde_json::{Value, json};

use crate::support::Fixture;

fn function(runtime: &Runtime, fx: &Fixture, timeout: Duration) -> Function {
    let mut spec = FunctionSpec::new("lister");
    spec.objects = Arc::new(fx.access("lister", &["uploads"], &["uploads"]));
    spec.timeout = timeout;
    runtime
        .load(spec, Path::new(fnhost_test_programs::OBJECTS_OPS))
        .unwrap()
}

async fn call(runtime: &Runtime, f: &Function, event: &Value) -> Outcome {
    let request = InvokeRequest::new(event.to_string(), fnhost_runtime::Trigger::S3);
    runtime.invoke(f, request).await.unwrap().outcome
}

fn error_type(outcome: &Outcome) -> &str {
    match outcome {
        Outcome::FunctionError { error_type, .. } => error_type,
        other => panic!("expected a function error, got {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guest_calls_on_a_fifo_fail_within_a_second_600_times() {
    let fx = Fixture::new();
    mkfifoat(CWD, fx.root().join("pipe"), Mode::from_raw_mode(0o644)).unwrap();
    let state = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(state.path()));
    // A blocked call would end in a 3 s timeout instead of the error.
    let f = function(&runtime, &fx, Duration::from_secs(3));
    let get = json!({"op": "get", "bucket": "uploads", "key": "pipe"});
    let head = json!({"op": "head", "bucket": "uploads", "key": "pipe"});
    for round in 0..600 {
        let event = if round % 2 == 0 { &get } else { &head };
        let started = Instant::now();
        let outcome = call(&runtime, &f, event).await;
        assert_eq!(error_type(&outcome), "NoSuchKey", "round {round}");
        assert!(
            started.elapsed() < Duration::from_secs(1),
            "round {round} took {:?}",
            started.elapsed()
        );
    }
    // Still responsive: a real object round-trips.
    let put = json!({"op": "put", "bucket": "uploads", "key": "after.txt", "body": "ok"});
    assert!(call(&runtime, &f, &put).await.is_ok());
}

/// Files in the bucket of the load test.
const FILES: usize = 200_000;
/// Invocations running at once, each looping over `list_objects`.
const INVOCATIONS: usize = 600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn listing_a_huge_bucket_from_600_invocations_leaves_the_host_responsive() {
    let fx = Fixture::new();
    let root = fx.root();
    let dir = root.join("many");
    std::fs::create_dir(&dir).unwrap();
    for i in 0..FILES {
        std::fs::write(dir.join(format!("f{i:06}")), b"x").unwrap();
    }
    let state = tempfile::tempdir().unwrap();
    let runtime = Arc::new(Runtime::new(RuntimeConfig::new(state.path())));
    let f = Arc::new(function(&runtime, &fx, Duration::from_secs(1)));

    let stop = Arc::new(AtomicBool::new(false));
    let listed = Arc::new(AtomicUsize::new(0));
    let mut load = Vec::new();
    for i in 0..INVOCATIONS {
        let (runtime, f, stop, listed) = (runtime.clone(), f.clone(), stop.clone(), listed.clone());
        load.push(tokio::spawn(async move {
            // Different pages, so no two calls do exactly the same work.
            let event = json!({
                "op": "list",
                "bucket": "uploads",
                "prefix": "many/",
                "startAfter": format!("many/f{:06}", (i * 331) % FILES),
            });
            while !stop.load(Ordering::Relaxed) {
                if call(&runtime, &f, &event).await.is_ok() {
                    listed.fetch_add(1, Ordering::Relaxed);
                }
            }
        }));
    }

    // The control plane's work runs on the same blocking pool (ListFunctions reads the store
    // there): while the load runs, it must still be served within 2 s, every time.
    let mut slowest = Duration::ZERO;
    for _ in 0..10 {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let started = Instant::now();
        let answered =
            tokio::time::timeout(Duration::from_secs(2), tokio::task::spawn_blocking(|| 42)).await;
        assert!(
            matches!(answered, Ok(Ok(42))),
            "a control request waited more than 2 s behind object calls"
        );
        slowest = slowest.max(started.elapsed());
    }
    stop.store(true, Ordering::Relaxed);
    for task in load {
        task.await.unwrap();
    }
    eprintln!(
        "slowest control request {slowest:?}; {} listings served",
        listed.load(Ordering::Relaxed)
    );
    assert!(listed.load(Ordering::Relaxed) > 0, "listings were served");
}

/// Function `name` making its calls through `objects` (and so sharing its slots).
fn sharing(
    runtime: &Runtime,
    name: &str,
    objects: &Arc<dyn ObjectAccess>,
    timeout: Duration,
) -> Function {
    let mut spec = FunctionSpec::new(name);
    spec.objects = Arc::clone(objects);
    spec.timeout = timeout;
    runtime
        .load(spec, Path::new(fnhost_test_programs::OBJECTS_OPS))
        .unwrap()
}

/// Calls (one slot, a budget far past the test) on a file whose hashing takes minutes: only the
/// invocation's deadline can stop the work, and the slot must come back soon after it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hashing_and_listing_stop_at_the_invocations_deadline_and_free_the_slot() {
    let fx = Fixture::new();
    // 64 GiB of holes: hashing it reads zeros for far longer than the test runs.
    let huge = std::fs::File::create(fx.root().join("huge.bin")).unwrap();
    huge.set_len(64 << 30).unwrap();
    std::fs::write(fx.root().join("small.txt"), b"ok").unwrap();
    let limits = CallLimits {
        concurrency: 1,
        wait: Duration::from_secs(5),
        budget: Duration::from_secs(3600),
    };
    let objects: Arc<dyn ObjectAccess> =
        Arc::new(fx.access("lister", &["uploads"], &[]).with_limits(limits));
    let state = tempfile::tempdir().unwrap();
    let runtime = Runtime::new(RuntimeConfig::new(state.path()));
    let short = sharing(&runtime, "short", &objects, Duration::from_secs(1));
    // The same slot, from a function with time to wait for it.
    let reader = sharing(&runtime, "reader", &objects, Duration::from_secs(10));
    let head = json!({"op": "head", "bucket": "uploads", "key": "huge.bin"});
    let list = json!({"op": "list", "bucket": "uploads", "prefix": ""});
    let get = json!({"op": "get", "bucket": "uploads", "key": "small.txt"});
    for event in [&head, &list] {
        let started = Instant::now();
        let outcome = call(&runtime, &short, event).await;
        assert!(
            matches!(outcome, Outcome::Timeout { .. }),
            "{event}: expected a timeout, got {outcome:?}"
        );
        assert!(
            started.elapsed() < Duration::from_secs(3),
            "{event}: the invocation took {:?}",
            started.elapsed()
        );
        // The hashing thread gives the only slot back soon after the deadline.
        let freed = Instant::now();
        let outcome = call(&runtime, &reader, &get).await;
        assert!(outcome.is_ok(), "{event}: the next call got {outcome:?}");
        assert!(
            freed.elapsed() < Duration::from_secs(5),
            "{event}: the slot came back after {:?}",
            freed.elapsed()
        );
    }
}
