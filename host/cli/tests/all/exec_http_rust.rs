//! Outbound HTTP from a Rust function, end to end: the real `fnhost up`, the `http-fetch`
//! fixture (`fnhost_sdk::http`) invoked through the Lambda API, calling test servers on
//! 127.0.0.1 that record what reached them.

use std::net::SocketAddr;

use serde_json::{Value, json};

use crate::outbound_server::TestServer;
use crate::up::{Server, function, invoke_api};

/// `fetch`'s answer to `event` through the Lambda API: the `X-Amz-Function-Error` header and
/// the body as JSON.
async fn fetch(admin: SocketAddr, event: &Value) -> (Option<String>, Value) {
    let (status, error, body) = invoke_api(admin, "fetch", event).await;
    assert_eq!(status, 200, "{body}");
    (error, body)
}

/// A host serving `http-fetch` as `fetch`, allowed to reach `allowed`.
fn host(allowed: &[String], network: &str) -> Server {
    crate::outbound::host(allowed, "timeout_s = 30", network)
}

/// The `errorMessage` of a function error that must be `HttpError`.
fn http_error(answer: &(Option<String>, Value)) -> &str {
    let (error, body) = answer;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{body}");
    assert_eq!(body["errorType"], "HttpError", "{body}");
    body["errorMessage"].as_str().unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_allowed_get_and_post_reach_the_server() {
    let server = TestServer::http();
    let host = host(&[server.origin()], "");

    let (error, r) = fetch(
        host.admin,
        &json!({"url": server.url("/echo?q=a%20b"), "headers": {"X-Trace": "t-1"}}),
    )
    .await;
    assert_eq!(error, None, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["headers"]["content-type"], "application/json", "{r}");
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/echo?q=a%20b");
    assert_eq!(echo["headers"]["x-trace"], "t-1");
    assert_eq!(r["bytes"], r["body"].as_str().unwrap().len());

    let (error, r) = fetch(
        host.admin,
        &json!({
            "url": server.url("/echo"),
            "method": "POST",
            "headers": {"Content-Type": "text/plain"},
            "body": "hello from wasm",
        }),
    )
    .await;
    assert_eq!(error, None, "{r}");
    let posted = server.requests().pop().unwrap();
    assert_eq!(posted.method, "POST");
    assert_eq!(posted.body, b"hello from wasm");
    assert_eq!(posted.headers["content-type"], "text/plain");
    assert_eq!(posted.headers["content-length"], "15");

    // A body larger than any one write: sent in the chunks the host has room for, and the
    // echo of it read back whole.
    let big = "y".repeat(2 << 20);
    let (error, r) = fetch(
        host.admin,
        &json!({"url": server.url("/echo"), "method": "PUT", "body": big}),
    )
    .await;
    assert_eq!(error, None, "{r}");
    let put = server.requests().pop().unwrap();
    assert_eq!((put.method.as_str(), put.body.len()), ("PUT", big.len()));
    assert!(put.body == big.as_bytes());
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["body"].as_str().map(str::len), Some(big.len()));

    // Status codes are answers, not errors.
    let (error, r) = fetch(host.admin, &json!({"url": server.url("/status/503")})).await;
    assert_eq!(error, None, "{r}");
    assert_eq!(
        (r["status"].as_u64(), r["body"].as_str()),
        (Some(503), Some("status 503"))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn https_works_with_the_operators_ca() {
    let server = TestServer::https();
    let network = format!(
        "[network]\nca_certificates = [{:?}]\n\n",
        server.ca_pem_path().to_str().unwrap()
    );
    let host = host(&[server.origin()], &network);
    let (error, r) = fetch(
        host.admin,
        &json!({"url": server.url("/echo"), "method": "PUT", "body": "{\"Status\":\"SUCCESS\"}"}),
    )
    .await;
    assert_eq!(error, None, "{r}");
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(echo["method"], "PUT", "{r}");
    assert_eq!(echo["body"], "{\"Status\":\"SUCCESS\"}", "{r}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_not_on_the_list_is_refused_with_the_entry_to_add() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let host = host(&[allowed.origin()], "");

    let answer = fetch(host.admin, &json!({"url": other.url("/echo")})).await;
    let message = http_error(&answer);
    assert!(message.contains("\"fetch\""), "{message}");
    assert!(
        message.contains(&format!("add \"{}\"", other.origin())),
        "{message}"
    );
    assert!(message.contains("allowed_outbound_hosts"), "{message}");
    assert!(other.requests().is_empty());

    // A function without an allow-list reaches nothing.
    let bare = Server::start(&function("fetch", "http-fetch", ""), &["-q"]);
    let answer = fetch(bare.admin, &json!({"url": allowed.url("/echo")})).await;
    let message = http_error(&answer);
    assert!(
        message.contains(&format!("add \"{}\"", allowed.origin())),
        "{message}"
    );
    assert!(allowed.requests().is_empty());

    // Bad URLs are the client's errors, not the host's.
    let answer = fetch(host.admin, &json!({"url": "ftp://127.0.0.1/x"})).await;
    assert_eq!(
        http_error(&answer),
        "invalid URL `ftp://127.0.0.1/x`: unsupported scheme `ftp`; use http or https"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_each_hop_is_checked() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let host = host(&[allowed.origin()], "");

    // A relative Location on the same server: followed, a 302 turns the POST into a GET.
    let (error, r) = fetch(
        host.admin,
        &json!({"url": allowed.url("/redirect?to=/echo%3Fhop=1"), "method": "POST", "body": "x"}),
    )
    .await;
    assert_eq!(error, None, "{r}");
    assert_eq!(r["status"], 200, "{r}");
    let echo: Value = serde_json::from_str(r["body"].as_str().unwrap()).unwrap();
    assert_eq!(
        (echo["method"].as_str(), echo["path"].as_str()),
        (Some("GET"), Some("/echo?hop=1"))
    );

    // With redirects off, the 302 is the answer.
    let (error, r) = fetch(
        host.admin,
        &json!({"url": allowed.url("/redirect?to=/echo"), "redirects": 0}),
    )
    .await;
    assert_eq!(error, None, "{r}");
    assert_eq!(
        (r["status"].as_u64(), r["headers"]["location"].as_str()),
        (Some(302), Some("/echo"))
    );

    // A redirect to a host not on the list is refused by the host, not followed.
    let target = other.url("/echo");
    let answer = fetch(
        host.admin,
        &json!({"url": allowed.url(&format!("/redirect?to={target}"))}),
    )
    .await;
    let message = http_error(&answer);
    assert!(
        message.contains(&format!("add \"{}\"", other.origin())),
        "{message}"
    );
    assert!(other.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn timeouts_caps_and_refused_connections_read_as_errors() {
    let server = TestServer::http();
    // A port with nothing listening: bound, then closed.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let closed = format!("http://{closed}");
    let host = host(
        &[server.origin(), closed.clone()],
        "[network]\nmax_response_bytes = 1000\n\n",
    );

    let (error, r) = fetch(host.admin, &json!({"url": server.url("/bytes?n=1000")})).await;
    assert_eq!(error, None, "{r}");
    assert_eq!(r["bytes"], 1000, "{r}");
    let answer = fetch(host.admin, &json!({"url": server.url("/bytes?n=5000")})).await;
    let message = http_error(&answer);
    assert!(message.contains("1000-byte cap"), "{message}");

    // The request's own timeout (wasi:http request options) ends a request that never answers.
    let answer = fetch(
        host.admin,
        &json!({"url": server.url("/hang"), "timeout_ms": 200}),
    )
    .await;
    assert_eq!(http_error(&answer), "timed out reading from the connection");

    let answer = fetch(host.admin, &json!({"url": format!("{closed}/x")})).await;
    assert_eq!(http_error(&answer), "connection refused");
}
