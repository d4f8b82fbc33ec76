//! The shared event queue across real nodes: `Event` invocations accepted by one node run on
//! any node, and a node killed with `kill -9` while it runs some loses none of them — its
//! leased jobs run again on the others once their lease lapses (at least once; duplicates only
//! among those the dead node held).

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::up::{Server, client, create_function, uploader};

/// Events sent; the issue asks for 2,000.
const EVENTS: usize = 2_000;

/// A node on the shared store, uploads only.
fn node(store: &str, name: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("node-state");
    Server::start_with_env(
        dir,
        &["-q", "--node", name],
        &[
            ("FNHOST_STORE", store),
            ("FNHOST_STATE_DIR", state.to_str().unwrap()),
        ],
    )
}

/// Queues event `n` through the Lambda API at `admin`; the request id when it was accepted (202).
async fn send_event(admin: std::net::SocketAddr, n: usize) -> Option<String> {
    let r = client()
        .post(format!(
            "http://{admin}/2015-03-31/functions/echo/invocations"
        ))
        .header("x-amz-invocation-type", "Event")
        .body(json!({ "n": n }).to_string())
        .send()
        .await
        .ok()?;
    if r.status().as_u16() != 202 {
        return None;
    }
    r.headers()
        .get("x-amzn-RequestId")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_node_killed_during_2000_events_loses_none() {
    let db = tokio::task::spawn_blocking(|| fnhost_testpg::Server::shared().database())
        .await
        .unwrap()
        .expect("a PostgreSQL database");
    let url = db.url().to_owned();
    let a = node(&url, "a");
    let b = node(&url, "b");
    let c = node(&url, "c");
    let (status, body) =
        create_function(a.admin, &uploader("context-echo")("echo", json!({}))).await;
    assert_eq!(status, 201, "{body}");
    // Every node has it before events flow (they follow the store).
    for server in [&a, &b, &c] {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let r = client()
                .post(format!(
                    "http://{}/2015-03-31/functions/echo/invocations",
                    server.admin
                ))
                .body("{}")
                .send()
                .await
                .unwrap();
            if r.status().as_u16() == 200 {
                break;
            }
            assert!(Instant::now() < deadline, "echo never ran on a node");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    // 2,000 events through nodes a and c (b is the one that dies), 32 at a time; b is killed
    // when a third of them are accepted, while every node's workers are running some.
    let senders = [a.admin, c.admin];
    let mut b = Some(b);
    let mut accepted = Vec::with_capacity(EVENTS);
    let slots = std::sync::Arc::new(tokio::sync::Semaphore::new(32));
    let mut sending = tokio::task::JoinSet::new();
    for n in 0..EVENTS {
        let slot = slots.clone().acquire_owned().await.unwrap();
        let admin = senders[n % 2];
        sending.spawn(async move {
            let id = send_event(admin, n).await;
            drop(slot);
            id
        });
        while let Some(done) = sending.try_join_next() {
            accepted.push(
                done.unwrap()
                    .expect("every event is accepted (202) by a live node"),
            );
        }
        if accepted.len() >= EVENTS / 3
            && let Some(victim) = b.take()
        {
            drop(victim.kill9());
        }
    }
    while let Some(done) = sending.join_next().await {
        accepted.push(
            done.unwrap()
                .expect("every event is accepted (202) by a live node"),
        );
    }
    assert!(b.is_none(), "b was killed mid-run");
    assert_eq!(accepted.len(), EVENTS);

    // Every accepted event runs: the ones b held after their 30 s lease.
    let store = fnhost_store::Store::connect(&url).unwrap();
    let started = Instant::now();
    let mut missing: BTreeSet<String> = accepted.iter().cloned().collect();
    while !missing.is_empty() {
        let check: Vec<String> = missing.iter().cloned().collect();
        let store = store.clone();
        let ran: Vec<String> = tokio::task::spawn_blocking(move || {
            check
                .into_iter()
                .filter(|id| store.invocation(id).unwrap().is_some())
                .collect()
        })
        .await
        .unwrap();
        for id in ran {
            missing.remove(&id);
        }
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "{} of {EVENTS} accepted events never ran, e.g. {:?}",
            missing.len(),
            missing.iter().next()
        );
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let usage = tokio::task::spawn_blocking(move || store.usage(None).unwrap())
        .await
        .unwrap();
    let runs: u64 = usage
        .iter()
        .filter(|u| u.function == "echo")
        .map(|u| u.requests)
        .sum();
    // The readiness probes above ran echo synchronously too: 3 at least.
    let repeats = runs.saturating_sub(EVENTS as u64 + 3);
    println!(
        "all {EVENTS} events ran {:.1} s after the last was accepted; {runs} runs of echo \
         ({repeats} beyond one per event and probe: the dead node's interrupted jobs)",
        started.elapsed().as_secs_f64()
    );
    assert!(
        repeats <= EVENTS as u64 / 3,
        "more repeats than one node can have held: {runs} runs"
    );
}
