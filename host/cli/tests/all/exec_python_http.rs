//! Outbound HTTP from a Python function, end to end: the real `fnhost up` serving the
//! `python-http` fixture (`urllib.request` and fnhost's `urllib3` over wasi:http, and the
//! CloudFormation tutorial's `send_response`), invoked through the Lambda API, calling test
//! servers on 127.0.0.1 that record what reached them.
//!
//! The guest is packaged by `bash .ci/guests.sh` into `target/guests/`; the client code is
//! guest-sdk/python/fnhost_http.py and guest-sdk/python/aws/urllib3/ (unit tests:
//! `python3 -m unittest discover -s guest-sdk/python/tests`).

use std::net::SocketAddr;
use std::sync::OnceLock;

use serde_json::{Value, json};

use crate::outbound_server::TestServer;
use crate::up::{Server, function};

/// Compile the Python guest into the shared artifact cache once, before any server starts (a
/// Python component takes minutes to compile in a debug build, longer than a server may take
/// to start when several compile it at once).
fn compiled() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        crate::built();
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("fnhost.toml");
        let functions = function("python-http", "python-http", "");
        std::fs::write(&manifest, format!("manifest_version = 1\n\n{functions}")).unwrap();
        let out = crate::fnhost(
            &[
                "-f",
                manifest.to_str().unwrap(),
                "invoke",
                "python-http",
                "-e",
                "-",
                "--no-build",
            ],
            Some(r#"{"op": "urllib", "url": "http://127.0.0.1:9/never"}"#),
            Some(&crate::root().join("target/test-state")),
        );
        assert!(
            matches!(out.status.code(), Some(0 | 1)),
            "python-http does not run: {}",
            crate::text(&out.stderr)
        );
    });
}

/// A host serving `python-http` as `py`, allowed to reach `allowed` (origins), with
/// `network` (a `[network]` table, or "") before it.
fn host(allowed: &[String], network: &str) -> Server {
    compiled();
    let list = allowed
        .iter()
        .map(|o| format!("{o:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let functions = function(
        "py",
        "python-http",
        &format!("timeout_s = 30\nallowed_outbound_hosts = [{list}]"),
    );
    Server::start(&format!("{network}{functions}"), &[])
}

/// Invoke `py` through the Lambda API and expect no function error: its response.
async fn call(admin: SocketAddr, event: Value) -> Value {
    let (status, error, value) = crate::up::invoke_api(admin, "py", &event).await;
    assert_eq!(status, 200, "{value}");
    assert_eq!(error, None, "function error: {value}");
    value
}

/// The `/echo` answer inside a fixture result.
fn echoed(result: &Value) -> Value {
    assert_eq!(result["status"], 200, "{result}");
    serde_json::from_str(result["body"].as_str().unwrap()).unwrap()
}

/// The allow-list denial for `origin`, as the host words it for function `py`.
fn assert_denied(text: &str, origin: &str) {
    crate::outbound_server::assert_denial(text, "py", origin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn urllib_and_urllib3_reach_an_allowed_server() {
    let server = TestServer::http();
    let host = host(&[server.origin()], "");

    let r = call(
        host.admin,
        json!({"op": "urllib", "url": server.url("/echo?q=a%20b"), "headers": {"X-Trace": "t-1"}}),
    )
    .await;
    let echo = echoed(&r);
    assert_eq!(
        (echo["method"].as_str(), echo["path"].as_str()),
        (Some("GET"), Some("/echo?q=a%20b"))
    );
    assert_eq!(echo["headers"]["x-trace"], "t-1");
    assert!(
        echo["headers"]["user-agent"]
            .as_str()
            .unwrap()
            .starts_with("Python-urllib/"),
        "{echo}"
    );
    assert_eq!(r["content_type"], "application/json");

    let r = call(
        host.admin,
        json!({"op": "urllib", "url": server.url("/echo"), "data": "a=1&b=2"}),
    )
    .await;
    let echo = echoed(&r);
    assert_eq!(echo["method"], "POST");
    let posted = server.requests().pop().unwrap();
    assert_eq!(posted.body, b"a=1&b=2");
    assert_eq!(posted.headers["content-length"], "7");
    assert_eq!(
        posted.headers["content-type"],
        "application/x-www-form-urlencoded"
    );

    let r = call(
        host.admin,
        json!({"op": "urllib3", "url": server.url("/echo"), "method": "POST", "json": {"name": "철수"}}),
    )
    .await;
    let echo = echoed(&r);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], "{\"name\":\"철수\"}");
    assert_eq!(echo["headers"]["content-type"], "application/json");

    // Error statuses: urllib's HTTPError, urllib3's plain response.
    let r = call(
        host.admin,
        json!({"op": "urllib", "url": server.url("/status/404")}),
    )
    .await;
    assert_eq!(
        (
            r["error"].as_str(),
            r["status"].as_u64(),
            r["body"].as_str()
        ),
        (Some("HTTPError"), Some(404), Some("status 404"))
    );
    let r = call(
        host.admin,
        json!({"op": "urllib3", "url": server.url("/status/503")}),
    )
    .await;
    assert_eq!(
        (r["status"].as_u64(), r["body"].as_str()),
        (Some(503), Some("status 503"))
    );

    // A large body streams through.
    let r = call(
        host.admin,
        json!({"op": "urllib3", "url": server.url("/bytes?n=3000000")}),
    )
    .await;
    assert_eq!(r["body"].as_str().unwrap().len(), 3_000_000);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_works_with_the_operators_ca() {
    let server = TestServer::https();
    let network = format!(
        "[network]\nca_certificates = [{:?}]\n\n",
        server.ca_pem_path().to_str().unwrap()
    );
    let host = host(&[server.origin()], &network);
    let r = call(
        host.admin,
        json!({"op": "urllib", "url": server.url("/echo"), "data": "{}", "method": "PUT"}),
    )
    .await;
    assert_eq!(echoed(&r)["method"], "PUT");
    let r = call(
        host.admin,
        json!({"op": "urllib3", "url": server.url("/echo?tls=1")}),
    )
    .await;
    assert_eq!(echoed(&r)["path"], "/echo?tls=1");
    assert_eq!(server.requests().len(), 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_not_on_the_list_is_refused_with_the_entry_to_add() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let host = host(&[allowed.origin()], "");

    let r = call(
        host.admin,
        json!({"op": "urllib", "url": other.url("/echo")}),
    )
    .await;
    assert_eq!(r["error"], "URLError", "{r}");
    let reason = r["reason"].as_str().unwrap();
    assert_denied(reason, &other.origin());
    assert!(
        reason.starts_with(&format!("outbound request to {}", other.url("/echo"))),
        "{reason}"
    );

    let r = call(
        host.admin,
        json!({"op": "urllib3", "url": other.url("/echo")}),
    )
    .await;
    assert_eq!(
        (r["error"].as_str(), r["cause"].as_str()),
        (Some("MaxRetryError"), Some("NewConnectionError")),
        "{r}"
    );
    assert_denied(r["text"].as_str().unwrap(), &other.origin());
    assert!(other.requests().is_empty());
    assert!(allowed.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_a_hop_to_a_disallowed_host_is_refused() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let host = host(&[allowed.origin()], "");

    for op in ["urllib", "urllib3"] {
        let r = call(
            host.admin,
            json!({"op": op, "url": allowed.url("/redirect?to=/echo%3Fhop=1")}),
        )
        .await;
        assert_eq!(echoed(&r)["path"], "/echo?hop=1", "{op}: {r}");
        assert_eq!(r["url"], allowed.url("/echo?hop=1"), "{op}: {r}");
    }

    let target = other.url("/stolen");
    let r = call(
        host.admin,
        json!({"op": "urllib", "url": allowed.url(&format!("/redirect?to={target}"))}),
    )
    .await;
    assert_eq!(r["error"], "URLError", "{r}");
    assert_denied(r["reason"].as_str().unwrap(), &other.origin());
    let r = call(
        host.admin,
        json!({"op": "urllib3", "url": allowed.url(&format!("/redirect?to={target}"))}),
    )
    .await;
    assert_eq!(r["error"], "MaxRetryError", "{r}");
    assert_denied(r["text"].as_str().unwrap(), &other.origin());
    assert!(other.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_tutorials_send_response_puts_its_json() {
    let server = TestServer::http();
    let host = host(&[server.origin()], "");
    let response_url = server.url("/echo?X-Amz-Signature=abc123");
    let event = json!({
        "RequestType": "Create",
        "ResponseURL": response_url,
        "StackId": "arn:aws:cloudformation:us-east-1:000000000000:stack/demo/1",
        "RequestId": "5d478078-13e9-baf0-464a-7ef285ecc786",
        "LogicalResourceId": "MyCustomResource",
        "ResourceType": "Custom::Demo",
        "ResourceProperties": {},
    });
    let r = call(host.admin, event.clone()).await;
    assert_eq!(r["sent"], response_url);

    let requests = server.requests();
    assert_eq!(requests.len(), 1, "{requests:?}");
    let put = &requests[0];
    assert_eq!(put.method, "PUT");
    assert_eq!(put.path, "/echo?X-Amz-Signature=abc123");
    assert_eq!(put.headers["content-type"], "");
    assert_eq!(put.headers["content-length"], put.body.len().to_string());
    let body: Value = serde_json::from_slice(&put.body).unwrap();
    assert_eq!(body["Status"], "SUCCESS");
    assert_eq!(body["StackId"], event["StackId"]);
    assert_eq!(body["RequestId"], event["RequestId"]);
    assert_eq!(body["LogicalResourceId"], "MyCustomResource");
    assert_eq!(body["NoEcho"], false);
    assert_eq!(body["Data"], json!({"Message": "Resource created"}));
    let stream = body["PhysicalResourceId"].as_str().unwrap();
    assert!(stream.contains("[$LATEST]"), "{body}");
    assert_eq!(
        body["Reason"],
        format!("See the details in CloudWatch Log Stream: {stream}")
    );
    // The tutorial prints the status it got back.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while !host.stdout().contains("Status code: 200") {
        assert!(
            std::time::Instant::now() < deadline,
            "no `Status code: 200` log line:\n{}",
            host.stdout()
        );
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
}
