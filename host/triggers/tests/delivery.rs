//! The delivery worker on a real store and a real runtime: retries then a dead letter, the loop
//! guard, an expired event, a vanished function, and re-drive. Uses the `s3-probe` guest.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use fnhost_core::{Lineage, Trigger, unix_ms};
use fnhost_dispatch::{Admission, AdmissionConfig, Deployed, Dispatcher, NoLogs, Origin, Registry};
use fnhost_runtime::{FunctionSpec, Runtime, RuntimeConfig};
use fnhost_store::{DeadReason, NewJob, Store};
use fnhost_triggers::{Delivery, DeliveryConfig};
use tokio::sync::Notify;

struct Host {
    store: Store,
    delivery: Delivery,
    _state: tempfile::TempDir,
}

fn host() -> Host {
    let wasm = Path::new(fnhost_test_programs::S3_PROBE);
    let state = tempfile::tempdir().unwrap();
    let runtime = Arc::new(Runtime::new(RuntimeConfig::new(state.path())));
    let admission = Arc::new(Admission::new(AdmissionConfig::default(), 0));
    let registry = Arc::new(Registry::new());
    // `slow` is the same guest taking 300 ms per record.
    for (name, env) in [
        ("probe", vec![]),
        ("slow", vec![("DELAY_MS".to_owned(), "300".to_owned())]),
    ] {
        let mut spec = FunctionSpec::new(name);
        spec.env = env;
        registry.insert(
            name,
            Deployed {
                function: Arc::new(runtime.load(spec, wasm).unwrap()),
                gate: admission.gate(None),
                reserved_concurrency: None,
                origin: Origin::Manifest,
            },
        );
    }
    let dispatcher = Arc::new(Dispatcher::new(
        runtime,
        registry,
        admission,
        Arc::new(NoLogs),
    ));
    let store = Store::open(&state.path().join("fnhost.db")).unwrap();
    let config = DeliveryConfig {
        retry_delay: Duration::from_millis(20),
        poll: Duration::from_millis(20),
        notices: false,
        ..DeliveryConfig::default()
    };
    let delivery = Delivery::new(store.clone(), dispatcher, config, Arc::new(Notify::new()));
    delivery.spawn();
    Host {
        store,
        delivery,
        _state: state,
    }
}

fn job(function: &str, key: &str, hop: u32, max_age_ms: u64) -> NewJob {
    let object = fnhost_events::S3Object {
        bucket: "b".into(),
        key: key.into(),
        size: 1,
        etag: "0cc175b9c0f1b6a831c399e269772661".into(),
        sequencer: "01".into(),
        time: chrono::Utc::now(),
    };
    let payload = fnhost_events::s3_event(fnhost_events::S3Change::Put, &object)
        .to_string()
        .into_bytes();
    let now = unix_ms();
    NewJob {
        function: function.into(),
        payload,
        trigger: Trigger::S3,
        request_id: format!("req-{key}"),
        max_attempts: 3,
        enqueued_at_ms: now,
        expires_at_ms: now + max_age_ms,
        not_before_ms: now,
        lineage: Lineage {
            chain_id: "chain".into(),
            hop,
        },
    }
}

/// Enqueue, wake the worker and wait until the queue is empty.
async fn run(host: &Host, jobs: &[NewJob]) {
    host.store.enqueue(jobs, &[]).unwrap();
    host.delivery.wake().notify_one();
    for _ in 0..500 {
        if host.store.queue_depth().unwrap() == 0 && host.delivery.in_flight() == 0 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    panic!("the queue did not drain");
}

#[tokio::test(flavor = "multi_thread")]
async fn successes_leave_the_queue_and_failures_become_dead_letters_after_three_attempts() {
    let host = host();
    run(
        &host,
        &[
            job("probe", "ok.txt", 0, 60_000),
            job("probe", "fail.txt", 0, 60_000),
        ],
    )
    .await;
    let dead = host.store.dead_letters(None).unwrap();
    assert_eq!(dead.len(), 1, "{dead:?}");
    assert_eq!(dead[0].request_id, "req-fail.txt");
    assert_eq!(dead[0].attempts, 3);
    assert_eq!(dead[0].reason, DeadReason::RetriesExhausted);
    assert!(
        dead[0]
            .error
            .starts_with("ProbeFailure: asked to fail on fail.txt")
    );

    // Re-driven, it runs three more times and dead-letters again (the function still fails).
    host.store
        .redrive(&[dead[0].id], None, unix_ms(), unix_ms() + 60_000)
        .unwrap();
    run(&host, &[]).await;
    let again = host.store.dead_letters(None).unwrap();
    assert_eq!(again.len(), 1);
    assert_eq!(again[0].attempts, 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_loop_guard_expiry_and_unknown_functions_dead_letter_without_running() {
    let host = host();
    run(
        &host,
        &[
            job("probe", "hop-15.txt", 15, 60_000),
            job("probe", "hop-16.txt", 16, 60_000),
            job("gone", "x.txt", 0, 60_000),
        ],
    )
    .await;
    // An event already past its maximum age.
    let mut old = job("probe", "old.txt", 0, 0);
    old.expires_at_ms = old.enqueued_at_ms.saturating_sub(1);
    run(&host, &[old]).await;
    let mut reasons: Vec<(String, DeadReason)> = host
        .store
        .dead_letters(None)
        .unwrap()
        .into_iter()
        .map(|d| (d.request_id, d.reason))
        .collect();
    reasons.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(
        reasons,
        [
            ("req-hop-16.txt".to_owned(), DeadReason::LoopDetected),
            ("req-old.txt".to_owned(), DeadReason::EventTooOld),
            ("req-x.txt".to_owned(), DeadReason::FunctionGone),
        ]
    );
}

async fn running(host: &Host) {
    for _ in 0..500 {
        if host.delivery.in_flight() == 1 {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("the job never started");
}

#[tokio::test(flavor = "multi_thread")]
async fn shutdown_waits_for_running_jobs() {
    let host = host();
    host.store
        .enqueue(&[job("slow", "a.txt", 0, 60_000)], &[])
        .unwrap();
    host.delivery.wake().notify_one();
    running(&host).await;
    let started = std::time::Instant::now();
    assert_eq!(host.delivery.shutdown(Duration::from_secs(10)).await, 0);
    assert!(
        started.elapsed() >= Duration::from_millis(100),
        "returned before the job ended"
    );
    assert_eq!(
        host.store.queue_depth().unwrap(),
        0,
        "finished, not abandoned"
    );
}
