//! `fnhost up`: hot reload under load, refusal of broken versions, and graceful drain.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use fnhost_test_programs::{GREET_QUERY, HELLO};

use crate::up::{Server, client, function, get};

/// Replace `to` with `from`'s bytes the way build tools do: write aside, then rename.
fn replace_atomically(from: &std::path::Path, to: &std::path::Path) {
    let tmp = to.with_extension("wasm.tmp");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hot_reload_swaps_versions_without_failing_a_request() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let live = dir.path().join("fn.wasm");
    std::fs::copy(HELLO, &live).unwrap();
    let manifest = dir.path().join("fnhost.toml");
    std::fs::write(
        &manifest,
        "manifest_version = 1\n[function.fn]\nsource = \"fn.wasm\"\n[[function.fn.http]]\nroute = \"/r\"\n",
    )
    .unwrap();
    let server = Server::start_in(dir, &["-q"]);

    // A load loop on /r for the whole test.
    let stop = Arc::new(AtomicBool::new(false));
    let greeted = Arc::new(AtomicBool::new(false));
    let served = Arc::new(AtomicUsize::new(0));
    let url = server.url("/r?name=Ann");
    let loaders: Vec<_> = (0..4)
        .map(|_| {
            let (stop, greeted, served, url) =
                (stop.clone(), greeted.clone(), served.clone(), url.clone());
            tokio::spawn(async move {
                let client = client();
                let mut failures = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    let r = client.get(&url).send().await.unwrap();
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap();
                    served.fetch_add(1, Ordering::SeqCst);
                    if body.contains("안녕하세요 Ann님") {
                        greeted.store(true, Ordering::SeqCst);
                    } else if !body.contains("Hello, Ann!") || status != 200 {
                        failures.push((status, body));
                    }
                }
                failures
            })
        })
        .collect();
    wait_for("the first responses", async || {
        served.load(Ordering::SeqCst) > 20
    })
    .await;

    // A new version, swapped in while requests run.
    replace_atomically(std::path::Path::new(GREET_QUERY), &live);
    wait_for("the new version", async || greeted.load(Ordering::SeqCst)).await;
    // The swap can answer a request before the host's message reaches the pipe we read.
    assert!(
        server.await_stderr("fnhost: reloaded `fn`", Duration::from_secs(30)),
        "{}",
        server.stderr()
    );

    // A broken version is refused; the running one keeps serving.
    std::fs::write(&live, b"this is not wasm").unwrap();
    assert!(
        server.await_stderr("fnhost: reload of `fn` refused", Duration::from_secs(30)),
        "{}",
        server.stderr()
    );
    assert!(server.await_stderr(
        "still serving the previous version",
        Duration::from_secs(30)
    ));
    let (status, _, body) = get(&url).await;
    assert_eq!(status, 200);
    assert!(body.contains("안녕하세요 Ann님"), "{body}");

    // A manifest change adds a function and a route; an unchanged function is kept as is.
    let extra = function("hi", "hello", "[[function.hi.http]]\nroute = \"/hi\"\n");
    let manifest = server.dir.path().join("fnhost.toml");
    let mut text = std::fs::read_to_string(&manifest).unwrap();
    text.push_str(&extra);
    std::fs::write(&manifest, &text).unwrap();
    wait_for("the new route", async || {
        get(&server.url("/hi")).await.0 == 200
    })
    .await;

    // A broken manifest is refused as a whole.
    std::fs::write(&manifest, "manifest_version = 1\n[function.hi\n").unwrap();
    assert!(
        server.await_stderr("fnhost: manifest reload refused", Duration::from_secs(30)),
        "{}",
        server.stderr()
    );
    assert_eq!(get(&server.url("/hi")).await.0, 200);

    stop.store(true, Ordering::SeqCst);
    let mut failures = Vec::new();
    for l in loaders {
        failures.extend(l.await.unwrap());
    }
    assert!(
        failures.is_empty(),
        "{} of {} requests failed during reloads, first: {:?}",
        failures.len(),
        served.load(Ordering::SeqCst),
        failures.first()
    );
}

fn slow_manifest() -> String {
    function(
        "slow",
        "http-echo",
        "timeout_s = 30\n[[function.slow.http]]\nroute = \"/slow\"\n",
    )
}

async fn wait_in_flight(server: &Server) {
    let health = server.url("/.well-known/fnhost/health");
    wait_for("the request to be in flight", async || {
        get(&health).await.2.contains(r#""inFlight":1"#)
    })
    .await;
}

#[tokio::test(flavor = "multi_thread")]
async fn sigterm_drains_in_flight_requests_then_exits_0() {
    let mut server = Server::start(&slow_manifest(), &["-q"]);
    let url = server.url("/slow?sleep_ms=1500");
    let in_flight = tokio::spawn(async move { get(&url).await });
    wait_in_flight(&server).await;
    server.signal_term();
    // New connections are refused as soon as the listener closes...
    let addr = server.addr;
    wait_for("the listener to close", async || {
        tokio::net::TcpStream::connect(addr).await.is_err()
    })
    .await;
    // ...while the request in flight still completes.
    let (status, _, body) = in_flight.await.unwrap();
    assert_eq!(status, 200, "{body}");
    let exit = tokio::task::block_in_place(|| server.wait_exit());
    assert_eq!(exit.code(), Some(0));
    assert!(
        server.await_stderr("drained 1 in-flight request(s)", Duration::from_secs(10)),
        "{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_drain_is_bounded_by_its_grace_period() {
    let mut server = Server::start(&slow_manifest(), &["-q", "--drain-timeout-s", "1"]);
    let url = server.url("/slow?sleep_ms=20000");
    let _in_flight = tokio::spawn(async move { client().get(&url).send().await });
    wait_in_flight(&server).await;
    let exit = tokio::task::block_in_place(|| server.terminate());
    assert_eq!(exit.code(), Some(0));
    assert!(
        server.await_stderr(
            "stopped with 1 request(s) still running after 1 s",
            Duration::from_secs(10)
        ),
        "{}",
        server.stderr()
    );
}
