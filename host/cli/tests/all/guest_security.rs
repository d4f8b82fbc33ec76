//! `fnhost up` against a guest that reaches past its sandbox: error payloads that would grow
//! the metrics and the database without bound, and output that would drive the operator's
//! terminal.

use std::time::{Duration, Instant};

use fnhost_store::{InvocationQuery, Store};

use crate::up::{Server, client, function, metrics, state_dir};

/// `POST /2015-03-31/functions/NAME/invocations` (RequestResponse); the status and body.
async fn api_invoke(server: &Server, name: &str, event: &str) -> (u16, String) {
    let response = client()
        .post(format!(
            "http://{}/2015-03-31/functions/{name}/invocations",
            server.admin
        ))
        .header("Content-Type", "application/json")
        .body(event.to_owned())
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.text().await.unwrap())
}

/// Issue #12, finding 7: a fresh 100 KB `errorType` on every call.
#[tokio::test(flavor = "multi_thread")]
async fn fresh_huge_error_types_leave_metrics_and_records_bounded() {
    const CALLS: usize = 200;
    let server = Server::start(&function("esc", "hostile-escape", ""), &["-q"]);
    for _ in 0..CALLS {
        let (status, body) = api_invoke(&server, "esc", r#"{"do":"error","bytes":100000}"#).await;
        assert_eq!(status, 200, "{body}");
        // The caller gets one bounded error object, not the 10 MB the guest reported.
        assert!(body.len() < 256 << 10, "{} bytes", body.len());
        let v: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["errorType"].as_str().unwrap().len(), 256, "{body:.300}");
    }

    let metrics = metrics(server.admin).await;
    let series: Vec<&str> = metrics
        .lines()
        .filter(|l| l.starts_with("fnhost_errors_total{function=\"esc\""))
        .collect();
    // 20 types of its own, then everything else under one label.
    assert_eq!(series.len(), 21, "{metrics:.4000}");
    assert!(
        metrics.contains(&format!(
            "fnhost_errors_total{{function=\"esc\",error_type=\"Function.Other\"}} {}\n",
            CALLS - 20
        )),
        "{metrics:.4000}"
    );
    assert!(
        metrics.len() < 64 << 10,
        "/metrics is {} bytes",
        metrics.len()
    );

    // The records hold the cut type (the recorder writes in the background: poll).
    let db = state_dir(server.dir.path()).join("fnhost.db");
    let query = InvocationQuery {
        function: Some("esc".into()),
        limit: CALLS + 10,
        ..InvocationQuery::default()
    };
    let deadline = Instant::now() + Duration::from_secs(60);
    let records = loop {
        let records = Store::open_read_only(&db)
            .and_then(|store| store.invocations(&query))
            .unwrap_or_default();
        if records.len() >= CALLS {
            break records;
        }
        assert!(
            Instant::now() < deadline,
            "{} of {CALLS} records after 60 s",
            records.len()
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(records.len(), CALLS);
    for r in &records {
        let t = r.error_type.as_deref().unwrap();
        assert!(t.len() == 256 && t.starts_with("Fresh"), "{t:.300}");
    }
}

/// Issue #12, low: guest output echoed to the terminal cannot forge a host line.
#[tokio::test(flavor = "multi_thread")]
async fn guest_output_cannot_forge_a_host_line() {
    let mut server = Server::start(&function("esc", "hostile-escape", ""), &[]);
    let event = serde_json::json!({
        "do": "print",
        "text": "\rfnhost: reloaded `x`\x1b[2K\nbell\x07 csi\u{9b}31m done\n",
    });
    let (status, body) = api_invoke(&server, "esc", &event.to_string()).await;
    assert_eq!(status, 200, "{body}");
    let stdout = server.stdout_to_end();
    let guest: Vec<&str> = stdout
        .lines()
        .filter(|l| l.starts_with("esc[") && !l.contains("RequestId: "))
        .collect();
    assert_eq!(guest.len(), 2, "{stdout}");
    assert!(
        guest[0].ends_with("] \\rfnhost: reloaded `x`\\u{1b}[2K"),
        "{stdout}"
    );
    assert!(
        guest[1].ends_with("] bell\\u{7} csi\\u{9b}31m done"),
        "{stdout}"
    );
    assert!(
        !stdout.lines().any(|l| l.starts_with("fnhost: reloaded")),
        "{stdout}"
    );
    assert!(
        !stdout
            .chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t'),
        "{stdout:?}"
    );

    // The stored lines printed by `fnhost logs`, and `fnhost invoke`'s own log on stderr, are
    // escaped the same way (the JSON forms carry the raw text, escaped by JSON).
    let manifest = server.dir.path().join("fnhost.toml");
    let manifest = manifest.to_str().unwrap();
    let state = state_dir(server.dir.path());
    let logs = crate::fnhost(&["-f", manifest, "logs", "esc"], None, Some(&state));
    let invoked = crate::fnhost(
        &["-f", manifest, "invoke", "esc", "-e", "-", "--no-build"],
        Some(&event.to_string()),
        Some(&state),
    );
    assert!(invoked.status.success(), "{invoked:?}");
    for out in [&logs.stdout, &invoked.stderr] {
        let text = String::from_utf8_lossy(out);
        assert!(
            text.contains("\\rfnhost: reloaded `x`\\u{1b}[2K"),
            "{text:?}"
        );
        assert!(
            !text
                .chars()
                .any(|c| c.is_control() && c != '\n' && c != '\t'),
            "{text:?}"
        );
    }
}
