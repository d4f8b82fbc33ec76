//! `fnhost up` behind a load balancer: on SIGTERM the node drains first (health 503, still
//! serving, every response `Connection: close`) for `--drain-delay-s`, then closes and finishes
//! what is in flight; and every `/metrics` sample names the node.

use std::time::{Duration, Instant};

use crate::up::{Server, function, get, raw_metrics, refused_up, without_node};

const HEALTH: &str = "/.well-known/fnhost/health";

/// `hello` at `/hello` and http-echo (which sleeps `sleep_ms`) at `/slow`.
fn manifest() -> String {
    function(
        "hello",
        "hello",
        "[[function.hello.http]]\nroute = \"/hello\"\nmethods = [\"GET\"]\n",
    ) + &function(
        "slow",
        "http-echo",
        "timeout_s = 60\n[[function.slow.http]]\nroute = \"/slow\"\n",
    )
}

async fn wait_for(what: &str, mut check: impl AsyncFnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !check().await {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
}

async fn health(server: &Server) -> (u16, serde_json::Value) {
    let (status, _, body) = get(&server.url(HEALTH)).await;
    let json = serde_json::from_str(&body).unwrap_or_else(|e| panic!("{e}: {body}"));
    (status, json)
}

async fn refuses(addr: std::net::SocketAddr) -> bool {
    tokio::net::TcpStream::connect(addr).await.is_err()
}

/// The drain delay is long here (120 s) so that nothing below races it: a second SIGTERM ends
/// it, which is part of what is tested.
#[tokio::test(flavor = "multi_thread")]
async fn a_draining_node_answers_503_on_health_but_keeps_serving_until_it_closes() {
    let mut server = Server::start(
        &manifest(),
        &["-q", "--drain-delay-s", "120", "--node", "n1"],
    );
    let (status, ready) = health(&server).await;
    assert_eq!(status, 200, "{ready}");
    assert_eq!(ready["status"], "ok");
    assert_eq!(ready["node"], "n1");
    let (status, headers, body) = get(&server.url("/hello?name=Ada")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers.get("connection"), None, "closed while serving");

    // A slow request in flight before the signal.
    let slow_url = server.url("/slow?sleep_ms=5000");
    let slow = tokio::spawn(async move { get(&slow_url).await });
    wait_for("the slow request to be in flight", async || {
        health(&server).await.1["inFlight"] == 1
    })
    .await;

    server.signal_term();
    assert!(
        server.await_stderr("fnhost: draining", Duration::from_secs(30)),
        "{}",
        server.stderr()
    );
    // Health says 503 at once, with the rest of its fields.
    let (status, draining) = health(&server).await;
    assert_eq!(status, 503, "{draining}");
    assert_eq!(draining["status"], "draining");
    assert_eq!(draining["node"], "n1");
    assert_eq!(draining["functions"], 2);
    // A normal route still answers, on a new connection too, and sends the client away.
    let (status, headers, body) = get(&server.url("/hello?name=Bo")).await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Bo!"), "{body}");
    assert_eq!(headers["connection"], "close");
    // The admin listener keeps serving with it.
    let (status, headers, _) = get(&format!("http://{}/metrics", server.admin)).await;
    assert_eq!(status, 200);
    assert_eq!(headers["connection"], "close");
    assert!(
        !refuses(server.addr).await,
        "the listener closed during the delay"
    );

    // A second signal ends the delay: the listener closes...
    server.signal_term();
    let addr = server.addr;
    wait_for("the listener to close", async || refuses(addr).await).await;
    // ...and the request in flight since before the first signal still completes.
    let (status, _, body) = slow.await.unwrap();
    assert_eq!(status, 200, "{body}");
    let exit = tokio::task::block_in_place(|| server.wait_exit());
    assert_eq!(exit.code(), Some(0), "{}", server.stderr());
    let stderr = server.stderr();
    let drain_at = stderr.find("fnhost: draining").unwrap();
    let close_at = stderr.find("fnhost: shutting down").expect(&stderr);
    assert!(drain_at < close_at, "{stderr}");
}

/// Without a second signal the delay runs out by itself, then the node closes and exits 0.
#[tokio::test(flavor = "multi_thread")]
async fn the_drain_delay_runs_out_then_the_listener_closes() {
    let mut server = Server::start(&manifest(), &["-q", "--drain-delay-s", "2"]);
    let (status, _, body) = get(&server.url("/hello")).await;
    assert_eq!(status, 200, "{body}");
    let signalled = Instant::now();
    server.signal_term();
    let addr = server.addr;
    wait_for("the listener to close", async || refuses(addr).await).await;
    // It closed because the delay ended, not at the signal (the delay's lower bound only: a
    // slow machine makes it later, never earlier).
    assert!(
        signalled.elapsed() >= Duration::from_secs(2),
        "closed {:?} after the signal",
        signalled.elapsed()
    );
    let exit = tokio::task::block_in_place(|| server.wait_exit());
    assert_eq!(exit.code(), Some(0), "{}", server.stderr());
    let stderr = server.stderr();
    assert!(
        stderr.contains("listeners stop accepting in 2 s"),
        "{stderr}"
    );
    assert!(
        stderr.contains("drained 0 in-flight request(s); bye"),
        "{stderr}"
    );
}

/// Without a delay (the default) the listener closes at the signal, as on one machine.
#[tokio::test(flavor = "multi_thread")]
async fn without_a_delay_the_listener_closes_at_the_signal() {
    let mut server = Server::start(&manifest(), &["-q"]);
    assert_eq!(get(&server.url("/hello")).await.0, 200);
    let exit = tokio::task::block_in_place(|| server.terminate());
    assert_eq!(exit.code(), Some(0), "{}", server.stderr());
    assert!(
        !server.stderr().contains("fnhost: draining"),
        "{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn every_metrics_sample_is_labelled_with_the_node() {
    let server = Server::start(&manifest(), &["-q", "--node", "x"]);
    assert_eq!(get(&server.url("/hello")).await.0, 200);
    assert!(
        server.stdout().lines().any(|l| l == "node: x"),
        "{}",
        server.stdout()
    );
    let text = raw_metrics(server.admin).await;
    let samples = text.lines().filter(|l| !l.starts_with('#')).count();
    assert!(samples > 20, "{text}");
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        assert!(line.contains("{node=\"x\""), "{line}");
    }
    assert!(
        text.contains("fnhost_invocations_total{node=\"x\",function=\"hello\"} 1\n"),
        "{text}"
    );
    assert!(
        text.contains("fnhost_dead_letters{node=\"x\"} 0\n"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn the_node_defaults_to_the_hostname() {
    let server = Server::start(&manifest(), &["-q"]);
    let hostname = std::fs::read_to_string("/proc/sys/kernel/hostname").unwrap();
    let hostname = hostname.trim();
    let valid = (1..=63).contains(&hostname.len())
        && hostname
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    let expected = if valid { hostname } else { "local" };
    let (_, nodes) = without_node(&raw_metrics(server.admin).await);
    assert_eq!(nodes.into_iter().collect::<Vec<_>>(), [expected]);
    assert_eq!(health(&server).await.1["node"], expected);
    let printed = format!("node: {expected}");
    assert!(
        server.stdout().lines().any(|l| l == printed),
        "{}",
        server.stdout()
    );
    // FNHOST_NODE names it too.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    let named = Server::start_with_env(dir, &["-q"], &[("FNHOST_NODE", "from-env")]);
    assert_eq!(health(&named).await.1["node"], "from-env");
}

#[test]
fn a_bad_node_name_is_refused_before_anything_listens() {
    for (bad, why) in [
        ("no spaces", "it holds ' '"),
        ("", "it is empty"),
        (&"n".repeat(64), "it is 64 bytes long"),
    ] {
        let out = refused_up(&manifest(), &["--node", bad]);
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(
            err.contains(&format!("invalid node name `{bad}`: {why}")),
            "{bad:?}: {err}"
        );
        assert!(err.contains("--node (or FNHOST_NODE)"), "{err}");
        assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
    }
}

/// The drain delay's bounds are checked like the other `[http]` settings.
#[test]
fn a_drain_delay_out_of_range_is_refused() {
    let out = refused_up(&manifest(), &["--drain-delay-s", "301"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--drain-delay-s must be from 0 to 300, got 301"),
        "{err}"
    );
}
