//! Outbound HTTP from a JavaScript function, end to end: the real `fnhost up` serving the
//! `js-fetch` fixture (`fetch` over wasi:http), invoked through the Lambda API, calling test
//! servers on 127.0.0.1 (HTTP, and HTTPS with a test CA) that record what reached them.
//!
//! The guest is packaged by `bash .ci/guests.sh` into `target/guests/`; `fetch` is
//! guest-sdk/js/fetch.js (unit tests: `node --test guest-sdk/js/test/*.test.mjs`).

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::outbound_server::TestServer;
use crate::up::{Server, function};

/// A host serving `js-fetch` as `js`, allowed to reach `allowed` (origins), with `network` (a
/// `[network]` table, or "") before it.
fn host(allowed: &[String], network: &str) -> Server {
    host_with_timeout(allowed, network, 30)
}

/// [`host`] with the function's timeout in seconds.
fn host_with_timeout(allowed: &[String], network: &str, timeout_s: u32) -> Server {
    let list = allowed
        .iter()
        .map(|o| format!("{o:?}"))
        .collect::<Vec<_>>()
        .join(", ");
    let functions = function(
        "js",
        "js-fetch",
        &format!("timeout_s = {timeout_s}\nallowed_outbound_hosts = [{list}]"),
    );
    Server::start(&format!("{network}{functions}"), &[])
}

/// Invoke `js` through the Lambda API: the `X-Amz-Function-Error` header and the response.
async fn invoke(admin: SocketAddr, event: Value) -> (Option<String>, Value) {
    let (status, error, value) = crate::up::invoke_api(admin, "js", &event).await;
    assert_eq!(status, 200, "{value}");
    (error, value)
}

/// Invoke and expect no function error: the response.
async fn call(admin: SocketAddr, event: Value) -> Value {
    let (error, value) = invoke(admin, event).await;
    assert_eq!(error, None, "function error: {value}");
    value
}

/// The host's refusal of `url` for function `js`, as `fetch` rejects with it.
fn assert_refused(message: &str, url: &str, origin: &str) {
    assert!(message.starts_with("fetch failed: "), "{message}");
    assert!(message.contains(url), "names the URL: {message}");
    crate::outbound_server::assert_denial(message, "js", origin);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_gets_text_and_json_and_posts_a_json_body_to_an_allowed_server() {
    let server = TestServer::http();
    let host = host(&[server.origin()], "");

    let r = call(
        host.admin,
        json!({"op": "text", "url": server.url("/bytes?n=12")}),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["ok"], true);
    assert_eq!(r["statusText"], "OK");
    assert_eq!(r["contentType"], "application/octet-stream");
    assert_eq!(r["text"], "x".repeat(12));
    assert_eq!(r["url"], server.url("/bytes?n=12"));
    assert_eq!(r["redirected"], false);

    let r = call(
        host.admin,
        json!({"op": "json", "url": server.url("/echo?q=%ED%95%9C%20a")}),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    let echo = &r["json"];
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/echo?q=%ED%95%9C%20a");
    assert_eq!(echo["headers"]["accept"], "application/json");
    assert_eq!(echo["body"], "");

    let body = json!({"name": "fnhost", "n": [1, 2, 3], "text": "안녕"});
    let r = call(
        host.admin,
        json!({"op": "post-json", "url": server.url("/echo"), "body": body}),
    )
    .await;
    let echo = &r["json"];
    assert_eq!(echo["method"], "POST", "{r}");
    assert_eq!(echo["headers"]["content-type"], "application/json");
    assert_eq!(echo["headers"]["x-fnhost-test"], "js-fetch");
    let sent = body.to_string();
    assert_eq!(
        echo["headers"]["content-length"],
        sent.len().to_string(),
        "fetch sends the length of a known body"
    );
    // What the server recorded, independently of what it answered.
    let recorded = server.requests();
    let post = recorded.iter().find(|q| q.method == "POST").unwrap();
    assert_eq!(
        serde_json::from_slice::<Value>(&post.body).unwrap(),
        body,
        "the JSON body arrived as sent"
    );
    assert_eq!(recorded.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fetch_reaches_an_https_server_signed_by_the_operators_ca() {
    let server = TestServer::https();
    let network = format!(
        "[network]\nca_certificates = [{:?}]\n\n",
        server.ca_pem_path().to_str().unwrap()
    );
    let host = host(&[server.origin()], &network);
    let r = call(
        host.admin,
        json!({"op": "post-json", "url": server.url("/echo"), "body": {"secure": true}}),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["json"]["method"], "POST");
    assert_eq!(r["json"]["body"], r#"{"secure":true}"#);
    let r = call(
        host.admin,
        json!({"op": "text", "url": server.url("/status/201")}),
    )
    .await;
    assert_eq!(
        (r["status"].as_u64(), r["text"].as_str()),
        (Some(201), Some("status 201"))
    );
    assert_eq!(r["statusText"], "Created");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_host_not_on_the_list_is_refused_with_a_type_error_naming_the_entry_to_add() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let host = host(&[allowed.origin()], "");

    // Caught: the error's name, message and cause, as the handler sees them.
    let url = other.url("/echo");
    let r = call(host.admin, json!({"op": "catch", "url": url})).await;
    assert_eq!(r["name"], "TypeError", "{r}");
    let message = r["message"].as_str().unwrap();
    assert_refused(message, &url, &other.origin());
    assert_eq!(
        r["cause"].as_str().unwrap(),
        message.strip_prefix("fetch failed: ").unwrap(),
        "the cause is the host's message"
    );

    // Uncaught: the function's error is Lambda's, from the TypeError.
    let (error, body) = invoke(host.admin, json!({"op": "text", "url": url})).await;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{body}");
    assert_eq!(body["errorType"], "TypeError");
    assert_refused(
        body["errorMessage"].as_str().unwrap(),
        &url,
        &other.origin(),
    );

    assert!(
        other.requests().is_empty(),
        "nothing reached the other server"
    );
    assert!(allowed.requests().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn redirects_are_followed_and_a_hop_to_a_disallowed_host_is_refused() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let host = host(&[allowed.origin()], "");

    // A redirect within the list is followed: the final URL, `redirected`, and the echo.
    let r = call(
        host.admin,
        json!({"op": "text", "url": allowed.url("/redirect?to=/echo%3Fhop%3D1")}),
    )
    .await;
    assert_eq!(r["status"], 200, "{r}");
    assert_eq!(r["redirected"], true);
    assert_eq!(r["url"], allowed.url("/echo?hop=1"));
    let echo: Value = serde_json::from_str(r["text"].as_str().unwrap()).unwrap();
    assert_eq!(echo["path"], "/echo?hop=1");

    // `redirect: "manual"` hands the 302 to the handler.
    let r = call(
        host.admin,
        json!({"op": "text", "url": allowed.url("/redirect?to=/echo"), "redirect": "manual"}),
    )
    .await;
    assert_eq!(
        (r["status"].as_u64(), r["redirected"].as_bool()),
        (Some(302), Some(false))
    );

    // A hop to a host the function may not reach is refused by the host, before it is sent.
    let target = other.url("/echo");
    let (error, body) = invoke(
        host.admin,
        json!({"op": "text", "url": allowed.url(&format!("/redirect?to={target}"))}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{body}");
    assert_eq!(body["errorType"], "TypeError");
    assert_refused(
        body["errorMessage"].as_str().unwrap(),
        &target,
        &other.origin(),
    );
    assert!(
        other.requests().is_empty(),
        "the redirect never reached the other server"
    );
    let paths: Vec<String> = allowed.requests().into_iter().map(|q| q.path).collect();
    assert_eq!(
        paths,
        [
            "/redirect?to=/echo%3Fhop%3D1".to_owned(),
            "/echo?hop=1".to_owned(),
            "/redirect?to=/echo".to_owned(),
            format!("/redirect?to={target}"),
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_server_that_never_answers_ends_in_the_functions_timeout_and_its_connection_closes() {
    let server = TestServer::http();
    let host = host_with_timeout(&[server.origin()], "", 2);
    // Even a handler that catches fetch's rejection is stopped: the wait is the function's.
    let (error, body) = invoke(
        host.admin,
        json!({"op": "catch", "url": server.url("/hang")}),
    )
    .await;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{body}");
    assert_eq!(body["errorType"], "Sandbox.Timedout", "{body}");
    assert!(
        body["errorMessage"]
            .as_str()
            .unwrap()
            .ends_with("Task timed out after 2.00 seconds"),
        "{body}"
    );
    assert_eq!(server.requests().len(), 1, "the request reached the server");
    let deadline = Instant::now() + Duration::from_secs(20);
    while server.open_connections() > 0 {
        assert!(
            Instant::now() < deadline,
            "the host kept the connection to the hanging server open"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
