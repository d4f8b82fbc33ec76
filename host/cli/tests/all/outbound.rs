//! Outbound HTTP from a Rust function (functions/http-fetch, `fnhost_sdk::http`) through the
//! real `fnhost up`, against real HTTP and HTTPS servers on 127.0.0.1 (outbound_server.rs):
//! the allow-list, blocked networks checked after resolution, redirects, HTTPS with a test CA
//! over HTTP/2, timeouts, the response cap, concurrency, metrics and uploaded functions' tag.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::outbound_server::TestServer;
use crate::up::{Server, create_function, function, invoke_api, metrics};

/// A host with one function `fetch` (functions/http-fetch) allowed to reach `allowed`, plus
/// the `[network]` lines and other manifest text in `extra`.
pub(crate) fn host(allowed: &[String], fetch_extra: &str, extra: &str) -> Server {
    let list: Vec<String> = allowed.iter().map(|a| format!("{a:?}")).collect();
    let fetch = function(
        "fetch",
        "http-fetch",
        &format!(
            "allowed_outbound_hosts = [{}]\n{fetch_extra}",
            list.join(", ")
        ),
    );
    Server::start(&format!("{extra}\n{fetch}"), &["-q"])
}

/// `fetch` of `event`: Ok(the answer) or Err((errorType, errorMessage)).
async fn fetch(server: &Server, event: Value) -> Result<Value, (String, String)> {
    let (status, error, value) = invoke_api(server.admin, "fetch", &event).await;
    assert_eq!(status, 200, "{value}");
    match error {
        None => Ok(value),
        Some(_) => Err((
            value["errorType"].as_str().unwrap_or_default().to_owned(),
            value["errorMessage"]
                .as_str()
                .unwrap_or_default()
                .to_owned(),
        )),
    }
}

fn echo_of(answer: &Value) -> Value {
    assert_eq!(answer["status"], 200, "{answer}");
    serde_json::from_str(answer["body"].as_str().unwrap()).unwrap()
}

#[tokio::test]
async fn allowed_hosts_are_reached_and_others_refused_with_the_entry_to_add() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let server = host(&[allowed.origin()], "", "");

    let answer = fetch(&server, json!({"url": allowed.url("/echo?x=1")}))
        .await
        .unwrap();
    let echo = echo_of(&answer);
    assert_eq!(echo["method"], "GET");
    assert_eq!(echo["path"], "/echo?x=1");

    let answer = fetch(
        &server,
        json!({"url": allowed.url("/echo"), "method": "POST",
               "headers": {"content-type": "application/json", "x-trace": "t1"},
               "body": "{\"a\":1}"}),
    )
    .await
    .unwrap();
    let echo = echo_of(&answer);
    assert_eq!(echo["method"], "POST");
    assert_eq!(echo["body"], "{\"a\":1}");
    assert_eq!(echo["headers"]["x-trace"], "t1");
    assert_eq!(echo["headers"]["content-type"], "application/json");

    let (kind, message) = fetch(&server, json!({"url": other.url("/echo")}))
        .await
        .unwrap_err();
    assert_eq!(kind, "HttpError");
    assert!(message.contains("function \"fetch\""), "{message}");
    assert!(
        message.contains(&format!(
            "add \"{}\" to its allowed_outbound_hosts",
            other.origin()
        )),
        "{message}"
    );
    assert!(
        other.requests().is_empty(),
        "the refused server was reached"
    );

    // The cloud metadata address is blocked by default, even when listed.
    let server = host(&["http://169.254.169.254".to_owned()], "", "");
    let (_, message) = fetch(
        &server,
        json!({"url": "http://169.254.169.254/latest/meta-data/"}),
    )
    .await
    .unwrap_err();
    assert!(message.contains("blocked network metadata"), "{message}");

    let text = metrics(server.admin).await;
    assert!(
        text.contains(
            "fnhost_outbound_requests_total{function=\"fetch\",host=\"169.254.169.254\",outcome=\"blocked\"} 1"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn requests_are_counted_by_function_host_and_outcome() {
    let allowed = TestServer::http();
    let server = host(&[allowed.origin()], "", "");
    fetch(&server, json!({"url": allowed.url("/echo")}))
        .await
        .unwrap();
    fetch(&server, json!({"url": allowed.url("/status/503")}))
        .await
        .unwrap();
    fetch(&server, json!({"url": "https://example.invalid/"}))
        .await
        .unwrap_err();
    let text = metrics(server.admin).await;
    for line in [
        "fnhost_outbound_requests_total{function=\"fetch\",host=\"127.0.0.1\",outcome=\"ok\"} 2",
        "fnhost_outbound_requests_total{function=\"fetch\",host=\"example.invalid\",outcome=\"denied\"} 1",
    ] {
        assert!(text.contains(line), "{line} not in:\n{text}");
    }
}

#[tokio::test]
async fn names_that_resolve_to_blocked_networks_are_refused() {
    let target = TestServer::http();
    let port = target.addr.port();
    let by_name = format!("http://localhost:{port}");
    let by_ip = target.origin();
    let network = "[network]\nblock_networks = [\"loopback\", \"metadata\"]\n";
    let server = host(&[by_name.clone(), by_ip.clone()], "", network);

    let (_, message) = fetch(&server, json!({"url": format!("{by_name}/echo")}))
        .await
        .unwrap_err();
    assert!(message.contains("localhost resolves to"), "{message}");
    assert!(message.contains("blocked network loopback"), "{message}");
    let (_, message) = fetch(&server, json!({"url": format!("{by_ip}/echo")}))
        .await
        .unwrap_err();
    assert!(
        message.contains("127.0.0.1 is in the blocked network loopback"),
        "{message}"
    );
    assert!(target.requests().is_empty());

    // Where the operator allows it, an address written in the allow-list passes; a name that
    // resolves into the blocked network still does not.
    let network = format!("{network}allow_listed_ips = true\n");
    let server = host(&[by_name.clone(), by_ip.clone()], "", &network);
    let answer = fetch(&server, json!({"url": format!("{by_ip}/echo")}))
        .await
        .unwrap();
    assert_eq!(echo_of(&answer)["method"], "GET");
    let (_, message) = fetch(&server, json!({"url": format!("{by_name}/echo")}))
        .await
        .unwrap_err();
    assert!(message.contains("blocked network loopback"), "{message}");
    assert_eq!(target.requests().len(), 1);
}

#[tokio::test]
async fn redirects_are_checked_again_at_every_hop() {
    let allowed = TestServer::http();
    let other = TestServer::http();
    let server = host(&[allowed.origin()], "", "");

    let inside = allowed.url("/redirect?to=/echo");
    let answer = fetch(&server, json!({"url": inside})).await.unwrap();
    assert_eq!(echo_of(&answer)["path"], "/echo");

    let outside = allowed.url(&format!("/redirect?to={}", other.url("/echo")));
    let (_, message) = fetch(&server, json!({"url": outside})).await.unwrap_err();
    assert!(
        message.contains(&format!("add \"{}\"", other.origin())),
        "{message}"
    );
    assert!(
        other.requests().is_empty(),
        "the redirect target was reached"
    );
}

#[tokio::test]
async fn https_with_the_operators_ca_speaks_http2_and_unknown_cas_fail() {
    let tls = TestServer::https();
    let ca = tls.ca_pem_path();
    let network = format!(
        "[network]\nca_certificates = [{:?}]\n",
        ca.to_string_lossy()
    );
    let server = host(&[tls.origin()], "", &network);
    let answer = fetch(&server, json!({"url": tls.url("/echo")}))
        .await
        .unwrap();
    let echo = echo_of(&answer);
    assert_eq!(echo["version"], "HTTP/2.0");

    // Without the CA, the certificate is refused and nothing is sent.
    let before = tls.requests().len();
    let server = host(&[tls.origin()], "", "");
    let (_, message) = fetch(&server, json!({"url": tls.url("/echo")}))
        .await
        .unwrap_err();
    assert!(message.to_lowercase().contains("certificate"), "{message}");
    assert_eq!(tls.requests().len(), before);
}

#[tokio::test]
async fn a_server_that_never_answers_ends_in_the_timeout_and_the_connection_closes() {
    let slow = TestServer::http();
    let server = host(&[slow.origin()], "timeout_s = 2", "");
    let started = Instant::now();
    let (kind, message) = fetch(&server, json!({"url": slow.url("/hang")}))
        .await
        .unwrap_err();
    assert_eq!(kind, "Sandbox.Timedout", "{message}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(slow.requests().len(), 1);
    let deadline = Instant::now() + Duration::from_secs(20);
    while slow.open_connections() > 0 {
        assert!(Instant::now() < deadline, "the connection stayed open");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let text = metrics(server.admin).await;
    assert!(
        text.contains(
            "fnhost_outbound_requests_total{function=\"fetch\",host=\"127.0.0.1\",outcome=\"timeout\"} 1"
        ),
        "{text}"
    );
}

#[tokio::test]
async fn a_hundred_megabyte_response_hits_the_cap() {
    let big = TestServer::http();
    let server = host(&[big.origin()], "timeout_s = 60\nmemory_mb = 512", "");
    let n = 100 * 1024 * 1024;
    // Announced by Content-Length: refused before the body is read.
    let (_, message) = fetch(&server, json!({"url": big.url(&format!("/bytes?n={n}"))}))
        .await
        .unwrap_err();
    assert!(message.contains("of 104857600 bytes"), "{message}");
    assert!(message.contains("33554432-byte cap"), "{message}");
    // Streamed without a length: cut at the cap.
    let (_, message) = fetch(
        &server,
        json!({"url": big.url(&format!("/bytes?n={n}&chunked=1"))}),
    )
    .await
    .unwrap_err();
    assert!(message.contains("33554432-byte cap"), "{message}");
    // Under the cap is fine.
    let answer = fetch(&server, json!({"url": big.url("/bytes?n=1000000")}))
        .await
        .unwrap();
    assert_eq!(answer["bytes"], 1_000_000);
}

#[tokio::test]
async fn a_hundred_concurrent_calls_from_a_hundred_invocations_complete() {
    let target = TestServer::http();
    let server = host(
        &[target.origin()],
        "timeout_s = 60",
        "[http]\nmax_concurrency = 128\n",
    );
    let calls = (0..100).map(|i| {
        let url = target.url(&format!("/echo?i={i}"));
        let admin = server.admin;
        tokio::spawn(async move { invoke_api(admin, "fetch", &json!({"url": url})).await })
    });
    for (i, call) in calls.enumerate() {
        let (status, error, value) = call.await.unwrap();
        assert_eq!((status, error), (200, None), "call {i}: {value}");
        assert_eq!(echo_of(&value)["path"], format!("/echo?i={i}"));
    }
    assert_eq!(target.requests().len(), 100);
}

/// The bundled examples' `webhook` (fnhost.toml at the repository's root) run by
/// `fnhost invoke`, against an echo server this test starts.
#[test]
fn the_bundled_webhook_example_calls_a_local_echo_server() {
    crate::built();
    let echo = TestServer::http();
    let state = tempfile::tempdir().unwrap();
    let event = json!({"url": echo.url("/echo"), "method": "POST", "body": "hi"}).to_string();
    let manifest = crate::root().join("fnhost.toml");
    let out = crate::fnhost(
        &[
            "-f",
            manifest.to_str().unwrap(),
            "invoke",
            "webhook",
            "-e",
            "-",
            "--no-build",
        ],
        Some(&event),
        Some(state.path()),
    );
    assert!(out.status.success(), "{}", crate::text(&out.stderr));
    let answer: Value = serde_json::from_slice(&out.stdout).unwrap();
    let sent = echo_of(&answer);
    assert_eq!(
        (sent["method"].as_str(), sent["body"].as_str()),
        (Some("POST"), Some("hi"))
    );
    assert_eq!(echo.requests().len(), 1);
}

/// Uploaded functions take their allow-list from the tag `fnhost:allowed-outbound-hosts`
/// (CreateFunction's Tags or TagResource); a bad entry is refused with the form to write.
#[tokio::test]
async fn uploaded_functions_take_the_allow_list_from_their_tag() {
    let target = TestServer::http();
    let server = Server::start(&function("hello", "hello", ""), &["-q"]);
    let upload = crate::up::uploader("http-fetch");
    let tag = crate::up::OUTBOUND_TAG;
    let (status, r) = create_function(
        server.admin,
        &upload(
            "tagged",
            json!({tag: format!("https://x.example {}", target.origin())}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{r}");
    let (status, r) = create_function(server.admin, &upload("plain", json!({}))).await;
    assert_eq!(status, 201, "{r}");
    let (status, r) = create_function(
        server.admin,
        &upload("bad", json!({tag: "https://x.example/path"})),
    )
    .await;
    assert_eq!(status, 400, "{r}");
    assert!(
        r["message"]
            .as_str()
            .unwrap()
            .contains("write \"https://x.example\""),
        "{r}"
    );

    let event = json!({"url": target.url("/echo")});
    let (_, error, r) = invoke_api(server.admin, "tagged", &event).await;
    assert_eq!(error, None, "{r}");
    let (_, error, r) = invoke_api(server.admin, "plain", &event).await;
    assert_eq!(error.as_deref(), Some("Unhandled"), "{r}");
    assert!(
        r["errorMessage"]
            .as_str()
            .unwrap()
            .contains("function \"plain\""),
        "{r}"
    );
    assert_eq!(target.requests().len(), 1);

    let r = crate::up::client()
        .post(format!(
            "http://{}/2017-03-31/tags/arn:aws:lambda:us-east-1:000000000000:function:plain",
            server.admin
        ))
        .header("content-type", "application/json")
        .body(json!({"Tags": {tag: target.origin()}}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    let (_, error, r) = invoke_api(server.admin, "plain", &event).await;
    assert_eq!(error, None, "{r}");
    assert_eq!(target.requests().len(), 2);
}

/// `max_connections`: with one slot held by a request that hangs, another waits the connect
/// timeout for a slot and is refused; once the first ends, requests flow again.
#[tokio::test]
async fn the_connection_cap_refuses_requests_past_it() {
    let target = TestServer::http();
    let server = host(
        &[target.origin()],
        "timeout_s = 30",
        "[network]\nmax_connections = 1\nconnect_timeout_ms = 300\n",
    );
    let admin = server.admin;
    let hang = json!({"url": target.url("/hang"), "timeout_ms": 3000});
    let holder = tokio::spawn(async move { invoke_api(admin, "fetch", &hang).await });
    let deadline = Instant::now() + Duration::from_secs(20);
    while target.requests().is_empty() {
        assert!(Instant::now() < deadline, "the first request never arrived");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let (_, message) = fetch(&server, json!({"url": target.url("/echo")}))
        .await
        .unwrap_err();
    assert!(
        message.contains("function \"fetch\" already has 1 outbound requests open"),
        "{message}"
    );
    let (_, error, _) = holder.await.unwrap();
    assert_eq!(error.as_deref(), Some("Unhandled"));
    let answer = fetch(&server, json!({"url": target.url("/echo")}))
        .await
        .unwrap();
    assert_eq!(echo_of(&answer)["method"], "GET");
    let text = metrics(server.admin).await;
    assert!(
        text.contains(
            "fnhost_outbound_requests_total{function=\"fetch\",host=\"127.0.0.1\",outcome=\"limited\"} 1"
        ),
        "{text}"
    );
}
