//! Hostile fixture: a guest that tries to get out of its sandbox in ways other than CPU and
//! memory. The event's `do` picks the attempt:
//!
//! - `{"do":"error","bytes":N}`: fails with an `errorType` of N bytes that is new on every call
//!   (it carries the request id), an `errorMessage` of N bytes and a `stackTrace` of 1,000 frames
//!   of N/10 bytes each: unbounded error payloads, metric labels and database columns.
//! - `{"do":"connect","tcp":"127.0.0.1:P","udp":"127.0.0.1:Q"}`: opens a TCP connection to
//!   `tcp`, sends a UDP datagram to `udp` and resolves `localhost`; answers
//!   `{"tcp":..,"udp":..,"lookup":..}`, each `"connected"`/`"sent"`/`"resolved"` or the error's
//!   text.
//! - `{"do":"print","text":"..."}`: writes `text` to stdout as is (control characters, escape
//!   sequences, a forged `fnhost:` line) and answers `{"printed": <bytes>}`.

use std::io::Write as _;
use std::net::{TcpStream, ToSocketAddrs as _, UdpSocket};

use fnhost_sdk::{Context, Diagnostic};
use serde_json::{Value, json};

fn escape(event: Value, ctx: &Context) -> Result<Value, Diagnostic> {
    match event["do"].as_str().unwrap_or_default() {
        "error" => Err(huge_error(&event, ctx)),
        "connect" => Ok(connect(
            event["tcp"].as_str().unwrap_or("127.0.0.1:9"),
            event["udp"].as_str().unwrap_or("127.0.0.1:9"),
        )),
        "print" => {
            let text = event["text"].as_str().unwrap_or_default();
            let mut out = std::io::stdout().lock();
            let _ = out.write_all(text.as_bytes());
            let _ = out.flush();
            Ok(json!({ "printed": text.len() }))
        }
        other => Err(Diagnostic::new(
            "UnknownAction",
            format!("`do` must be error, connect or print, not `{other}`"),
        )),
    }
}

/// An error whose three fields are as large as the event asks; the type is unique per call.
fn huge_error(event: &Value, ctx: &Context) -> Diagnostic {
    let bytes = event["bytes"].as_u64().unwrap_or(100_000) as usize;
    let mut error_type = format!("Fresh{}", ctx.request_id.replace('-', ""));
    let pad = bytes.saturating_sub(error_type.len());
    error_type.push_str(&"T".repeat(pad));
    let frame = "f".repeat(bytes / 10);
    Diagnostic::new(error_type, "m".repeat(bytes)).with_stack_trace(vec![frame; 1_000])
}

/// Every way out the guest has: TCP, UDP and name lookup.
fn connect(tcp: &str, udp: &str) -> Value {
    let tcp = match TcpStream::connect(tcp) {
        Ok(mut stream) => {
            let _ = stream.write_all(b"hello from the guest\n");
            "connected".to_owned()
        }
        Err(e) => e.to_string(),
    };
    let udp = match UdpSocket::bind("0.0.0.0:0").and_then(|s| s.send_to(b"hello", udp)) {
        Ok(_) => "sent".to_owned(),
        Err(e) => e.to_string(),
    };
    let lookup = match "localhost:80".to_socket_addrs() {
        Ok(_) => "resolved".to_owned(),
        Err(e) => e.to_string(),
    };
    json!({ "tcp": tcp, "udp": udp, "lookup": lookup })
}

fnhost_sdk::handler!(escape);
