//! `fnhost up`: every error status, throttling, hostile neighbours and a bounded load test.

use std::time::Duration;

use crate::up::{Server, client, function, get, metric, refused_up};

fn limits_manifest() -> String {
    limits_manifest_with_loop_timeout(1)
}

/// [`limits_manifest`] with the endless loop stopped after `loop_timeout_s`.
fn limits_manifest_with_loop_timeout(loop_timeout_s: u32) -> String {
    function(
        "echo",
        "http-echo",
        "[[function.echo.http]]\nroute = \"/echo\"\n[[function.echo.http]]\nroute = \"/v1/echo\"\npayload = \"1.0\"\n",
    ) + &function(
        "loop",
        "hostile-loop",
        &format!("timeout_s = {loop_timeout_s}\n[[function.loop.http]]\nroute = \"/loop\"\n"),
    ) + &function(
        "bomb",
        "hostile-memory",
        "memory_mb = 128\ntimeout_s = 10\n[[function.bomb.http]]\nroute = \"/bomb\"\n",
    ) + &function(
        "hello",
        "hello",
        "[[function.hello.http]]\nroute = \"/hello\"\n",
    )
}

const SERVER_ERROR: &str = r#"{"message":"Internal server error"}"#;

#[tokio::test(flavor = "multi_thread")]
async fn failures_map_to_api_gateway_statuses() {
    let server = Server::start(&limits_manifest(), &["-q"]);
    // A response that is not a proxy response.
    let (status, _, body) = get(&server.url("/echo?mode=malformed")).await;
    assert_eq!((status, body.as_str()), (502, SERVER_ERROR));
    let (status, _, body) = get(&server.url("/v1/echo?mode=malformed")).await;
    assert_eq!((status, body.as_str()), (502, SERVER_ERROR));
    // A function error.
    let (status, _, body) = get(&server.url("/echo?mode=error")).await;
    assert_eq!((status, body.as_str()), (502, SERVER_ERROR));
    // A timeout.
    let (status, _, body) = get(&server.url("/loop")).await;
    assert_eq!(
        (status, body.as_str()),
        (504, r#"{"message":"Endpoint request timed out"}"#)
    );
    // Out of memory is a failed function.
    let (status, _, body) = get(&server.url("/bomb")).await;
    assert_eq!((status, body.as_str()), (502, SERVER_ERROR));

    // A body over 6 MB, declared (answered before the body is sent) or chunked (counted while
    // reading). Raw sockets: a client that keeps uploading after the 413 sees a reset, which
    // is how API Gateway behaves too, but makes reqwest's result depend on timing.
    let big = vec![b'a'; 6 * 1024 * 1024 + 1];
    let (status, body) = declared_post(&server, "/echo", big.len()).await;
    assert_eq!(status, 413);
    assert!(
        body.ends_with(r#"{"message":"Request Entity Too Large"}"#),
        "{body}"
    );
    assert_eq!(chunked_post_status(&server, "/echo", &big).await, 413);

    // The host is fine afterwards.
    let (status, _, _) = get(&server.url("/hello")).await;
    assert_eq!(status, 200);
}

/// Send only the head of a POST declaring `length` body bytes; return the status and the
/// response text.
async fn declared_post(server: &Server, path: &str, length: usize) -> (u16, String) {
    use tokio::io::AsyncWriteExt as _;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nContent-Length: {length}\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    // The body is never sent, so the server must answer without waiting for it.
    read_answer(&mut stream).await
}

/// Read a response until its JSON body is complete or the server closes; status and text.
async fn read_answer(stream: &mut tokio::net::TcpStream) -> (u16, String) {
    use tokio::io::AsyncReadExt as _;
    let mut response = Vec::new();
    let mut buf = [0u8; 4096];
    let read = async {
        while !response.ends_with(b"}") {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => response.extend_from_slice(&buf[..n]),
            }
        }
    };
    tokio::time::timeout(Duration::from_secs(30), read)
        .await
        .expect("no answer within 30 s");
    let text = String::from_utf8_lossy(&response).into_owned();
    let status = text
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or(0);
    (status, text)
}

/// POST `body` with `Transfer-Encoding: chunked` (no Content-Length) over a raw socket and
/// return the response status.
async fn chunked_post_status(server: &Server, path: &str, body: &[u8]) -> u16 {
    use tokio::io::AsyncWriteExt as _;
    let mut stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let head = format!(
        "POST {path} HTTP/1.1\r\nHost: {}\r\nTransfer-Encoding: chunked\r\n\r\n",
        server.addr
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    for chunk in body.chunks(64 * 1024) {
        let sent = async {
            stream
                .write_all(format!("{:x}\r\n", chunk.len()).as_bytes())
                .await?;
            stream.write_all(chunk).await?;
            stream.write_all(b"\r\n").await
        };
        // The server may answer 413 and close before the whole body is sent.
        if sent.await.is_err() {
            break;
        }
    }
    let _ = stream.write_all(b"0\r\n\r\n").await;
    read_answer(&mut stream).await.0
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_function_throttles_with_429_and_retry_after() {
    let manifest = function(
        "slow",
        "http-echo",
        "reserved_concurrency = 1\ntimeout_s = 10\n[[function.slow.http]]\nroute = \"/slow\"\n",
    ) + &function(
        "hello",
        "hello",
        "[[function.hello.http]]\nroute = \"/hello\"\n",
    );
    let server = Server::start(&manifest, &["-q", "--queue-timeout-ms", "200"]);
    let url = server.url("/slow?sleep_ms=1500");
    let first = tokio::spawn({
        let url = url.clone();
        async move { get(&url).await.0 }
    });
    // Wait until the first one holds the only slot: running, not merely received (under load
    // a request can be in flight and not yet admitted, and the second could overtake it).
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while metric(server.admin, "fnhost_concurrent_executions", "slow").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the first request never ran"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let r = client().get(&url).send().await.unwrap();
    assert_eq!(r.status().as_u16(), 429);
    assert_eq!(r.headers()["retry-after"], "1");
    assert_eq!(
        r.text().await.unwrap(),
        r#"{"message":"Too Many Requests"}"#
    );
    // Other functions are not held back by the reservation.
    assert_eq!(get(&server.url("/hello")).await.0, 200);
    assert_eq!(first.await.unwrap(), 200);
    // And once the slot is free, the function runs again.
    assert_eq!(get(&server.url("/slow")).await.0, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn queued_requests_wait_for_a_slot_instead_of_failing() {
    let manifest = function(
        "slow",
        "http-echo",
        "reserved_concurrency = 2\n[[function.slow.http]]\nroute = \"/slow\"\n",
    );
    let server = Server::start(&manifest, &["-q", "--queue-timeout-ms", "20000"]);
    let url = server.url("/slow?sleep_ms=200");
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move { get(&url).await.0 })
        })
        .collect();
    for t in tasks {
        assert_eq!(t.await.unwrap(), 200);
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn hostile_routes_do_not_break_a_healthy_one() {
    use std::sync::Arc;
    use std::sync::atomic::{AtomicBool, Ordering};

    // The loops spin for 5 s: the hundred healthy requests (a new connection each, on a machine
    // the bombs keep busy for about half a second) must all finish inside that, with margin.
    let server = Server::start(&limits_manifest_with_loop_timeout(5), &["-q"]);
    // Endless loops (stopped at their timeout) and memory bombs, all at once...
    let a_loop_ended = Arc::new(AtomicBool::new(false));
    let hostile: Vec<_> = (0..6)
        .map(|i| {
            let is_loop = i % 2 == 0;
            let url = server.url(if is_loop { "/loop" } else { "/bomb" });
            let flag = a_loop_ended.clone();
            tokio::spawn(async move {
                let status = match client().get(&url).send().await {
                    Ok(r) => r.status().as_u16(),
                    Err(err) => {
                        eprintln!("{url}: {err:?}");
                        0
                    }
                };
                if is_loop {
                    flag.store(true, Ordering::SeqCst);
                }
                status
            })
        })
        .collect();
    // Once they are running (the loops for a second)...
    let health = server.url("/.well-known/fnhost/health");
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    loop {
        let (_, _, body) = get(&health).await;
        let state: serde_json::Value = serde_json::from_str(&body).unwrap();
        if state["inFlight"].as_u64().unwrap_or(0) >= 3 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the hostile requests never started: {body}"
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // ...a hundred healthy requests, which must all succeed while the loops still spin.
    let healthy: Vec<_> = (0..100)
        .map(|i| {
            let url = server.url(&format!("/hello?name=n{i}"));
            let flag = a_loop_ended.clone();
            tokio::spawn(async move {
                let (status, _, body) = get(&url).await;
                (status, body, flag.load(Ordering::SeqCst))
            })
        })
        .collect();
    for (i, t) in healthy.into_iter().enumerate() {
        let (status, body, after_a_loop) = t.await.unwrap();
        assert_eq!(status, 200, "{body}");
        assert!(body.contains(&format!("Hello, n{i}!")), "{body}");
        assert!(
            !after_a_loop,
            "hello #{i} waited for a hostile loop to end\n{}",
            server.stderr()
        );
    }
    let mut statuses = Vec::new();
    for t in hostile {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses,
        [504, 502, 504, 502, 504, 502],
        "{}",
        server.stderr()
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn bounded_load_test_has_no_errors() {
    let server = Server::start(&limits_manifest(), &["-q"]);
    let url = server.url("/hello?name=load");
    // 32 connections, 20 requests each, keep-alive.
    let workers: Vec<_> = (0..32)
        .map(|_| {
            let url = url.clone();
            tokio::spawn(async move {
                let client = client();
                let mut bad = Vec::new();
                for _ in 0..20 {
                    let r = client.get(&url).send().await.unwrap();
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap();
                    if status != 200 || !body.contains("Hello, load!") {
                        bad.push((status, body));
                    }
                }
                bad
            })
        })
        .collect();
    let mut bad = Vec::new();
    for w in workers {
        bad.extend(w.await.unwrap());
    }
    assert!(
        bad.is_empty(),
        "{} failed requests, first: {:?}",
        bad.len(),
        bad.first()
    );
}

/// The names of the host's threads that serve HTTP connections (`--http-workers`).
fn http_worker_threads(server: &Server) -> Vec<String> {
    let tasks = std::fs::read_dir(format!("/proc/{}/task", server.pid())).unwrap();
    let mut names: Vec<String> = tasks
        .filter_map(|task| std::fs::read_to_string(task.ok()?.path().join("comm")).ok())
        .map(|name| name.trim().to_owned())
        .filter(|name| name.starts_with("fnhost-http-"))
        .collect();
    names.sort();
    names
}

/// `--http-workers N` starts N threads that serve the connections; 0 serves them on the shared
/// runtime. Either way many keep-alive connections are all answered.
#[tokio::test(flavor = "multi_thread")]
async fn http_workers_serve_every_connection() {
    for (flag, threads) in [("3", 3), ("0", 0)] {
        let server = Server::start(&limits_manifest(), &["-q", "--http-workers", flag]);
        let url = server.url("/hello?name=worker");
        let connections: Vec<_> = (0..8)
            .map(|_| {
                let url = url.clone();
                tokio::spawn(async move {
                    let client = client();
                    let mut answers = Vec::new();
                    for _ in 0..5 {
                        let r = client.get(&url).send().await.unwrap();
                        answers.push((r.status().as_u16(), r.text().await.unwrap()));
                    }
                    answers
                })
            })
            .collect();
        for connection in connections {
            for (status, body) in connection.await.unwrap() {
                assert_eq!(status, 200, "--http-workers {flag}: {body}");
                assert!(body.contains("Hello, worker!"), "{body}");
            }
        }
        // Counted after serving: the accept loop starts its workers when it starts.
        let expected: Vec<String> = (0..threads).map(|i| format!("fnhost-http-{i}")).collect();
        assert_eq!(
            http_worker_threads(&server),
            expected,
            "--http-workers {flag}"
        );
    }
}

/// With one worker thread, every connection shares it: a guest spinning until its timeout
/// gives the thread back at each epoch tick, so a request on another connection is answered
/// while the spinning one still runs.
#[tokio::test(flavor = "multi_thread")]
async fn a_spinning_guest_does_not_stop_the_other_connections_of_its_worker() {
    let server = Server::start(
        &limits_manifest_with_loop_timeout(5),
        &["-q", "--http-workers", "1"],
    );
    // Answered once the accept loop, and with it its worker, has started.
    assert_eq!(get(&server.url("/hello")).await.0, 200);
    assert_eq!(http_worker_threads(&server), ["fnhost-http-0"]);
    let url = server.url("/loop");
    let spinning = tokio::spawn(async move { get(&url).await });
    // The loop has started once the host counts it running.
    let deadline = std::time::Instant::now() + Duration::from_secs(10);
    while metric(server.admin, "fnhost_concurrent_executions", "loop").await == 0 {
        assert!(
            std::time::Instant::now() < deadline,
            "the loop never started"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    for _ in 0..3 {
        let (status, _, body) = get(&server.url("/hello?name=beside")).await;
        assert_eq!(status, 200, "{body}");
        assert!(body.contains("Hello, beside!"), "{body}");
    }
    assert!(
        !spinning.is_finished(),
        "the loop ended before the other requests were answered"
    );
    let (status, _, _) = spinning.await.unwrap();
    assert_eq!(status, 504, "the loop still times out");
}

#[test]
fn http_workers_out_of_range_are_refused() {
    let out = refused_up(&limits_manifest(), &["--http-workers", "257"]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains("--http-workers must be from 0 to 256, got 257"),
        "{err}"
    );
}
