//! Guests that misbehave on purpose: each ends in its own outcome and the host stays healthy.

use std::time::{Duration, Instant};

use fnhost_runtime::Outcome;

use crate::support::*;

#[tokio::test]
async fn endless_loop_is_stopped_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("hostile-loop");
    s.timeout = secs(1);
    let f = load(&rt, s, "hostile-loop");
    let started = Instant::now();
    let done = invoke(&rt, &f, "{}").await;
    let took = started.elapsed();
    assert_eq!(done.outcome, Outcome::Timeout { timeout_s: 1.0 });
    assert_eq!(
        done.outcome.error_message(&done.request_id).unwrap(),
        format!(
            "RequestId: {} Error: Task timed out after 1.00 seconds",
            done.request_id
        )
    );
    assert!(
        done.log_text()
            .contains("Task timed out after 1.00 seconds")
    );
    // Stopped, not left running: a generous bound (the precise lateness is measured by the
    // benchmark, not asserted here).
    assert!(
        took >= Duration::from_secs(1) && took < Duration::from_secs(3),
        "took {took:?}"
    );
    eprintln!(
        "timeout lateness: {:?}",
        took.saturating_sub(Duration::from_secs(1))
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn blocking_host_call_is_stopped_at_the_deadline() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("hostile-sleep");
    s.timeout = secs(1);
    let f = load(&rt, s, "hostile-sleep");
    let started = Instant::now();
    let done = invoke(&rt, &f, r#"{"ms":60000}"#).await;
    assert_eq!(done.outcome, Outcome::Timeout { timeout_s: 1.0 });
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn memory_bomb_hits_the_cap() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("hostile-memory");
    s.timeout = secs(10);
    let f = load(&rt, s, "hostile-memory");
    let done = invoke(&rt, &f, "{}").await;
    assert_eq!(done.outcome, Outcome::OutOfMemory { cap_mb: 128 });
    assert_eq!(done.outcome.error_type(), Some("Runtime.OutOfMemory"));
    let peak = done.report.max_memory_used_mb;
    assert!(peak > 64 && peak <= 128, "peak {peak} MB");
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn deep_recursion_traps() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hostile-recursion"), "hostile-recursion");
    let done = invoke(&rt, &f, "{}").await;
    assert!(
        matches!(done.outcome, Outcome::Trap { .. }),
        "{:?}",
        done.outcome
    );
    assert_eq!(done.outcome.error_type(), Some("Runtime.ExitError"));
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn panic_traps_with_message_and_wasm_backtrace_in_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hostile-panic"), "hostile-panic");
    let done = invoke(&rt, &f, r#"{"a":1}"#).await;
    assert_eq!(
        done.outcome,
        Outcome::Trap {
            message: "wasm trap: wasm `unreachable` instruction executed".into()
        }
    );
    let log = done.log_text();
    assert!(log.contains("panicked at") && log.contains("boom"), "{log}");
    assert!(
        log.contains("wasm backtrace:") && log.contains("hostile_panic.wasm!"),
        "{log}"
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn log_flood_is_capped_and_the_call_still_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("hostile-log-flood");
    s.timeout = secs(60);
    let f = load(&rt, s, "hostile-log-flood");
    let done = invoke(&rt, &f, "{}").await;
    assert!(done.outcome.is_ok(), "{:?}", done.outcome);
    assert_eq!(done.log.len(), fnhost_runtime::DEFAULT_LOG_CAP);
    assert!(done.log_dropped > 100 << 20, "dropped {}", done.log_dropped);
    assert!(done.log_text().contains("[fnhost] log truncated:"));
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn huge_response_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hostile-huge-response"), "hostile-huge-response");
    let done = invoke(&rt, &f, "{}").await;
    assert!(matches!(done.outcome, Outcome::ResponseTooLarge { size } if size > 6 << 20));
    let payload = json(&done);
    assert_eq!(payload["errorType"], "Function.ResponseSizeTooLarge");
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn fuel_exhaustion_is_out_of_fuel() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("cpu-burn");
    s.fuel = Some(1_000_000);
    let f = load(&rt, s, "cpu-burn");
    let done = invoke(&rt, &f, r#"{"n":100000000}"#).await;
    assert_eq!(done.outcome, Outcome::OutOfFuel { budget: 1_000_000 });
    assert_eq!(done.outcome.error_type(), Some("Runtime.OutOfFuel"));
    assert_eq!(done.report.fuel_consumed, Some(1_000_000));
    assert_healthy(&rt).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hostile_guests_do_not_starve_a_healthy_one() {
    let dir = tempfile::tempdir().unwrap();
    let rt = std::sync::Arc::new(runtime(dir.path()));
    let mut s = spec("hostile-loop");
    s.timeout = secs(2);
    let looping = std::sync::Arc::new(load(&rt, s, "hostile-loop"));
    let hello = std::sync::Arc::new(load(&rt, spec("hello"), "hello"));
    // Four endless loops on two worker threads; epochs make them yield every tick.
    let (started, mut running) = tokio::sync::mpsc::unbounded_channel();
    let mut loops = Vec::new();
    for _ in 0..4 {
        let (rt, f, started) = (rt.clone(), looping.clone(), started.clone());
        loops.push(tokio::spawn(async move {
            started.send(()).unwrap();
            invoke(&rt, &f, "{}").await
        }));
    }
    // The healthy calls begin once every loop has been picked up by a worker thread.
    for _ in 0..4 {
        running.recv().await.unwrap();
    }
    for i in 0..20 {
        let done = invoke(&rt, &hello, &format!(r#"{{"name":"n{i}"}}"#)).await;
        assert!(done.outcome.is_ok());
    }
    for l in loops {
        assert_eq!(
            l.await.unwrap().outcome,
            Outcome::Timeout { timeout_s: 2.0 }
        );
    }
}
