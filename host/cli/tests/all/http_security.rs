//! `fnhost up`'s HTTP listener under hostile clients and functions: slow-drip connections,
//! floods of large bodies, responses that would hijack the connection, and what the health
//! endpoint tells anyone who asks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::up::{Server, client, function, get};

const SERVER_ERROR: &str = r#"{"message":"Internal server error"}"#;

fn echo_manifest() -> String {
    function(
        "echo",
        "http-echo",
        "[[function.echo.http]]\nroute = \"/echo\"\n[[function.echo.http]]\nroute = \"/v1/echo\"\npayload = \"1.0\"\n",
    ) + &function(
        "payroll-export",
        "hello",
        "[[function.payroll-export.http]]\nroute = \"/hello\"\n",
    )
}

/// Raise this process's open-file limit to its hard limit (the host, started after, inherits
/// it); the limit now.
fn raise_fd_limit() -> u64 {
    let mut limit = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: getrlimit/setrlimit on a valid, initialised struct.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit), 0);
        limit.rlim_cur = limit.rlim_max;
        libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
        libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
    }
    limit.rlim_cur
}

#[tokio::test(flavor = "multi_thread")]
async fn interim_statuses_and_hop_by_hop_headers_from_a_function_get_502() {
    let server = Server::start(&echo_manifest(), &["-q"]);
    for status in [100, 101, 103, 199] {
        for route in ["/echo", "/v1/echo"] {
            let (got, _, body) = get(&server.url(&format!("{route}?status={status}"))).await;
            assert_eq!(
                (got, body.as_str()),
                (502, SERVER_ERROR),
                "{route} {status}"
            );
        }
    }
    for header in [
        "Connection:close",
        "Keep-Alive:timeout=600",
        "Proxy-Connection:keep-alive",
        "Transfer-Encoding:chunked",
        "Upgrade:websocket",
        "TE:trailers",
        "Trailer:Expires",
    ] {
        let (got, headers, body) = get(&server.url(&format!("/echo?header={header}"))).await;
        assert_eq!((got, body.as_str()), (502, SERVER_ERROR), "{header}");
        assert!(!headers.contains_key("upgrade"), "{header}");
    }
    // Other statuses and headers pass as before.
    let (got, headers, _) = get(&server.url("/echo?status=201&header=X-Fine:yes")).await;
    assert_eq!((got, &headers["x-fine"]), (201, &"yes".parse().unwrap()));
}

#[tokio::test(flavor = "multi_thread")]
async fn health_lists_counts_not_function_names() {
    let server = Server::start(&echo_manifest(), &["-q"]);
    let (status, _, body) = get(&server.url("/.well-known/fnhost/health")).await;
    assert_eq!(status, 200);
    assert!(
        !body.contains("payroll") && !body.contains("echo"),
        "{body}"
    );
    let health: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(health["functions"], 2, "{body}");
    assert_eq!(health["routes"], 3, "{body}");
}

/// How a slow client drips its request.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Drip {
    /// One header byte a second, never ending the head.
    Head,
    /// A whole head declaring a body, then one body byte a second.
    Body,
}

/// Open a connection and drip `kind` into it, one byte a second, until the host closes it or
/// `give_up` passes; how long after connecting the host closed it (`None`: never) and what it
/// answered.
async fn drip(
    addr: std::net::SocketAddr,
    kind: Drip,
    give_up: Duration,
) -> (Option<Duration>, String) {
    let stream = TcpStream::connect(addr).await.unwrap();
    let opened = Instant::now();
    let (mut read, mut write) = stream.into_split();
    let head: &[u8] = match kind {
        Drip::Head => b"GET /echo HTTP/1.1\r\nHost: fnhost\r\nX-Drip: ",
        Drip::Body => b"POST /echo HTTP/1.1\r\nHost: fnhost\r\nContent-Length: 100000\r\n\r\n",
    };
    let dripper = tokio::spawn(async move {
        let start = if kind == Drip::Head { 1 } else { head.len() };
        if write.write_all(&head[..start]).await.is_err() {
            return;
        }
        for i in 0.. {
            tokio::time::sleep(Duration::from_secs(1)).await;
            let byte = head.get(start + i).copied().unwrap_or(b'a');
            if write.write_all(&[byte]).await.is_err() {
                return;
            }
        }
    });
    let mut answer = Vec::new();
    let mut buf = [0u8; 1024];
    let closed = tokio::time::timeout(give_up, async {
        loop {
            match read.read(&mut buf).await {
                Ok(0) | Err(_) => return opened.elapsed(),
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await
    .ok();
    dripper.abort();
    (closed, String::from_utf8_lossy(&answer).into_owned())
}

#[tokio::test(flavor = "multi_thread")]
async fn slow_drip_connections_are_closed_and_a_healthy_request_gets_through() {
    const CLIENTS: usize = 2000;
    let fds = raise_fd_limit();
    assert!(
        fds > 2 * CLIENTS as u64 + 500,
        "the open-file limit ({fds}) is too low for {CLIENTS} connections; raise `ulimit -Hn`"
    );
    // The default connection cap (1024): the first 1024 drips are served and timed out, the
    // rest wait in the backlog for their turn.
    let server = Server::start(
        &echo_manifest(),
        &[
            "-q",
            "--header-read-timeout-ms",
            "2000",
            "--body-read-timeout-ms",
            "2000",
        ],
    );
    // Two rounds of 2 s behind the cap, with a wide margin for a loaded machine; the old 30 s
    // header timeout and the missing body timeout are well past it.
    let bound = Duration::from_secs(20);
    let addr = server.addr;
    let drips: Vec<_> = (0..CLIENTS)
        .map(|i| {
            let kind = if i % 2 == 0 { Drip::Head } else { Drip::Body };
            tokio::spawn(async move { (kind, drip(addr, kind, bound * 2).await) })
        })
        .collect();

    // A keep-alive connection that goes idle after one request is closed on the same clock.
    let idle = tokio::spawn(async move {
        let mut stream = TcpStream::connect(addr).await.unwrap();
        stream
            .write_all(b"GET /hello HTTP/1.1\r\nHost: fnhost\r\n\r\n")
            .await
            .unwrap();
        let mut answer = Vec::new();
        let mut buf = [0u8; 4096];
        let answered = loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break None,
                Ok(n) => answer.extend_from_slice(&buf[..n]),
            }
            if answer.ends_with(b"}") {
                break Some(Instant::now());
            }
        };
        let answered = answered.expect("the idle connection's request was not answered");
        let closed = tokio::time::timeout(bound * 2, async {
            while let Ok(n) = stream.read(&mut buf).await
                && n > 0
            {}
        })
        .await
        .ok()
        .map(|()| answered.elapsed());
        (String::from_utf8_lossy(&answer).into_owned(), closed)
    });

    // A healthy request in the middle of the flood succeeds.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let (status, _, body) = get(&server.url("/hello")).await;
    assert_eq!(status, 200, "{body}");

    let mut open = Vec::new();
    for task in drips {
        let (kind, (closed, answer)) = task.await.unwrap();
        match closed {
            Some(after) if after < bound => {}
            _ => open.push((kind, closed)),
        }
        if kind == Drip::Body && closed.is_some() {
            assert!(answer.starts_with("HTTP/1.1 408 "), "{answer}");
            assert!(
                answer.ends_with(r#"{"message":"Request Timeout"}"#),
                "{answer}"
            );
        }
    }
    assert!(
        open.is_empty(),
        "{} of {CLIENTS} slow-drip connections still open after {bound:?}: {:?}",
        open.len(),
        &open[..open.len().min(10)]
    );
    let (answer, closed) = idle.await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200 "), "{answer}");
    assert!(
        closed.is_some_and(|after| after < bound),
        "an idle keep-alive connection stayed open: {closed:?}"
    );
    // And the host is still fine.
    let (status, _, _) = get(&server.url("/hello")).await;
    assert_eq!(status, 200);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_flood_of_large_escaping_bodies_keeps_memory_bounded() {
    const CLIENTS: usize = 300;
    raise_fd_limit();
    let server = Server::start(&echo_manifest(), &["-q"]);
    // 6 MB of control characters: within the body limit, six times that once JSON-escaped.
    // One buffer for all requests (a static slice is sent without a copy).
    let body: &'static [u8] = Vec::leak(vec![0x01u8; 6 << 20]);
    let http = client();
    let flood: Vec<_> = (0..CLIENTS)
        .map(|_| {
            let request = http.post(server.url("/echo")).body(body);
            tokio::spawn(async move {
                match request.send().await {
                    Ok(response) => response.status().as_u16(),
                    Err(err) => panic!("a flood request failed: {err:?}"),
                }
            })
        })
        .collect();
    // Healthy requests while it lasts: no body, and a small one.
    let flooding = Arc::new(AtomicBool::new(true));
    let healthy = tokio::spawn({
        let (flooding, hello, echo) = (flooding.clone(), server.url("/hello"), server.url("/echo"));
        let http = http.clone();
        async move {
            let mut answered = 0;
            while flooding.load(Ordering::Acquire) {
                let (status, _, _) = get(&hello).await;
                assert_eq!(status, 200, "a healthy GET during the flood");
                let small = http.post(&echo).body(r#"{"small":true}"#).send().await;
                assert_eq!(
                    small.unwrap().status(),
                    200,
                    "a small POST during the flood"
                );
                answered += 1;
            }
            answered
        }
    });
    let mut statuses = Vec::new();
    for task in flood {
        statuses.push(task.await.unwrap());
    }
    flooding.store(false, Ordering::Release);
    assert!(
        healthy.await.unwrap() > 0,
        "no healthy request began during the flood"
    );
    let unexpected: Vec<_> = statuses
        .iter()
        .filter(|s| ![200, 413, 429].contains(*s))
        .collect();
    assert!(unexpected.is_empty(), "unexpected statuses: {unexpected:?}");
    assert!(statuses.contains(&413), "no body was read and refused");
    // Building each event takes ~50 MB (body, copies, 36 MB of escaped JSON); 300 of them
    // overlapping took the host before this fix to 1.7 GB (up to 16 GB at full overlap). Now
    // the bodies and events in memory share a 128 MiB budget (about 300 MB peak measured).
    let peak = server.peak_rss();
    assert!(
        peak < 768 << 20,
        "peak RSS {} MiB during the flood",
        peak >> 20
    );
    let (status, _, _) = get(&server.url("/hello")).await;
    assert_eq!(status, 200);
}

/// A client that asks for a large response and never reads it is closed once the host's
/// writes have made no progress for `--write-timeout-ms`, which frees its connection slot:
/// on a host that serves one connection at a time, the next client gets through.
#[tokio::test(flavor = "multi_thread")]
async fn a_client_that_never_reads_its_response_is_closed_and_frees_its_slot() {
    let server = Server::start(
        &echo_manifest(),
        &["-q", "--max-connections", "1", "--write-timeout-ms", "500"],
    );
    // 4 MiB of text, echoed back byte for byte (`mode=binary`): twice, pipelined, so the
    // responses outgrow what the socket buffers hold.
    const BODY: usize = 4 << 20;
    let head = format!(
        "POST /echo?mode=binary HTTP/1.1\r\nHost: fnhost\r\nContent-Type: text/plain\r\nContent-Length: {BODY}\r\n\r\n"
    );
    let mut request = head.into_bytes();
    request.resize(request.len() + BODY, b'x');
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_recv_buffer_size(4096).unwrap();
    let stalled = socket.connect(server.addr).await.unwrap();
    let (mut read, mut write) = stalled.into_split();
    let sender = tokio::spawn(async move {
        for _ in 0..2 {
            if write.write_all(&request).await.is_err() {
                break;
            }
        }
        write // kept open: the client never says it is done
    });

    // The stalled client holds the only slot until the host closes it; a host without a
    // write deadline never does.
    let bound = Duration::from_secs(30);
    let (status, _, body) = tokio::time::timeout(bound, get(&server.url("/hello")))
        .await
        .expect("the client that never reads still holds the only connection slot");
    assert_eq!(status, 200, "{body}");

    // And it was closed: what is left to read ends (or the connection was reset).
    let mut buf = vec![0u8; 1 << 20];
    let mut received = 0usize;
    let closed = tokio::time::timeout(bound, async {
        while let Ok(n) = read.read(&mut buf).await
            && n > 0
        {
            received += n;
        }
    })
    .await;
    assert!(closed.is_ok(), "the stalled connection is still open");
    assert!(
        received < 2 * BODY,
        "both responses were sent whole ({received} bytes)"
    );
    sender.abort();
}
