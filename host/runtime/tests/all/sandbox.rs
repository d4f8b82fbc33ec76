//! Guests reaching past their sandbox other than by CPU and memory: unbounded error payloads,
//! tables outside the memory cap, the network.

use std::io::ErrorKind;
use std::net::{TcpListener, UdpSocket};

use fnhost_runtime::{
    MAX_ERROR_MESSAGE_BYTES, MAX_ERROR_TYPE_BYTES, MAX_STACK_TRACE_BYTES, Outcome,
};

use crate::support::*;

#[tokio::test]
async fn huge_error_fields_are_cut_to_their_caps() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hostile-escape"), "hostile-escape");
    let done = invoke(&rt, &f, r#"{"do":"error","bytes":200000}"#).await;
    let Outcome::FunctionError {
        error_type,
        message,
        stack_trace,
    } = &done.outcome
    else {
        panic!("{:?}", done.outcome)
    };
    // The type still names the call (it is fresh each time), cut to the cap.
    let id = done.request_id.replace('-', "");
    assert_eq!(error_type.len(), MAX_ERROR_TYPE_BYTES);
    assert!(
        error_type.starts_with(&format!("Fresh{id}TTT")),
        "{error_type}"
    );
    assert!(message.len() <= MAX_ERROR_MESSAGE_BYTES && message.starts_with("mmmm"));
    assert!(message.ends_with(" [truncated by fnhost]"));
    let trace: usize = stack_trace.iter().map(String::len).sum();
    assert!(trace <= MAX_STACK_TRACE_BYTES, "{trace} bytes of frames");
    assert!(
        stack_trace
            .last()
            .unwrap()
            .contains("more frames truncated")
    );
    // What the caller gets: one bounded error object (the fields asked for 20.4 MB).
    let payload = done.payload();
    assert!(payload.len() < 256 << 10, "{} bytes", payload.len());
    let v = json(&done);
    assert_eq!(v["errorType"].as_str().unwrap(), error_type);

    // A small error passes untouched.
    let small = invoke(&rt, &f, r#"{"do":"error","bytes":10}"#).await;
    let t = small.outcome.error_type().unwrap().to_owned();
    assert!(t.starts_with("Fresh") && t.len() == 5 + 32, "{t}");
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn tables_count_toward_the_memory_cap() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hostile-table"), "hostile-table");
    let done = invoke(&rt, &f, "{}").await;
    // Without tables in the cap, the module's table reaches its own limit and it exits 0
    // with "table growth refused".
    assert_eq!(
        done.outcome,
        Outcome::OutOfMemory { cap_mb: 128 },
        "stdout: {}",
        String::from_utf8_lossy(&done.payload())
    );
    assert_eq!(done.outcome.error_type(), Some("Runtime.OutOfMemory"));
    assert_eq!(done.report.max_memory_used_mb, 128);
    assert!(
        done.log_text().contains("memory limit exceeded"),
        "{}",
        done.log_text()
    );
    assert_healthy(&rt).await;
}

#[tokio::test]
async fn guests_cannot_open_connections() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hostile-escape"), "hostile-escape");
    let tcp = TcpListener::bind("127.0.0.1:0").unwrap();
    tcp.set_nonblocking(true).unwrap();
    let udp = UdpSocket::bind("127.0.0.1:0").unwrap();
    udp.set_nonblocking(true).unwrap();
    let event = serde_json::json!({
        "do": "connect",
        "tcp": tcp.local_addr().unwrap().to_string(),
        "udp": udp.local_addr().unwrap().to_string(),
    });
    let done = invoke(&rt, &f, &event.to_string()).await;
    assert!(done.outcome.is_ok(), "{:?}", done.outcome);
    let v = json(&done);
    assert_ne!(v["tcp"], "connected", "{v}");
    assert_ne!(v["udp"], "sent", "{v}");
    assert_ne!(v["lookup"], "resolved", "{v}");
    // A loopback connect completes its handshake, and a datagram lands, before the guest's
    // call returns: had either gone out, it would be waiting here now.
    assert_eq!(
        tcp.accept().map(|(_, peer)| peer).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "the listener saw a connection"
    );
    let mut buf = [0u8; 64];
    assert_eq!(
        udp.recv_from(&mut buf).unwrap_err().kind(),
        ErrorKind::WouldBlock,
        "the socket got a datagram"
    );
}
