//! The web console's endpoints against hostile callers, with the same probes as the Lambda
//! API's (`admin_security.rs`): web pages of other origins, DNS rebinding, cross-site forms,
//! missing sessions and CSRF tokens, wrong sign-ins; and the console never opening a way
//! around the API's SigV4 signatures.

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use crate::admin_security::raw;
use crate::up::{Server, function, metric};

const ACCESS_KEY: &str = "AKIDFNHOSTCONSOLE";
const SECRET_KEY: &str = "fnhost-console-secret-do-not-log";

/// Every console endpoint: method, path, body type (None: no body).
const ENDPOINTS: &[(&str, &str, Option<&str>)] = &[
    ("GET", "/console/api/overview", None),
    ("GET", "/console/api/functions/hello", None),
    ("GET", "/console/api/functions/hello/source?path=x", None),
    ("GET", "/console/api/functions/hello/metrics?range=1h", None),
    ("GET", "/console/api/functions/hello/invocations", None),
    ("GET", "/console/api/functions/hello/test-events", None),
    (
        "PUT",
        "/console/api/functions/hello/test-events/e1",
        Some("application/json"),
    ),
    (
        "DELETE",
        "/console/api/functions/hello/test-events/e1",
        None,
    ),
    (
        "POST",
        "/console/api/functions/hello/test",
        Some("application/json"),
    ),
    ("GET", "/console/api/invocations/x", None),
    ("GET", "/console/api/event-templates", None),
    ("GET", "/console/api/logs/stream", None),
    ("GET", "/console/api/buckets", None),
    ("GET", "/console/api/buckets/uploads/objects", None),
    ("GET", "/console/api/buckets/uploads/objects/a.txt", None),
    (
        "PUT",
        "/console/api/buckets/uploads/objects/a.txt",
        Some("application/octet-stream"),
    ),
    ("DELETE", "/console/api/buckets/uploads/objects/a.txt", None),
    ("GET", "/console/api/dead-letters", None),
    ("GET", "/console/api/dead-letters/1", None),
    (
        "POST",
        "/console/api/dead-letters/redrive",
        Some("application/json"),
    ),
    ("GET", "/console/api/usage", None),
    ("POST", "/console/api/logout", None),
    ("GET", "/console/api/lambda/2015-03-31/functions/", None),
    (
        "POST",
        "/console/api/lambda/2015-03-31/functions/hello/invocations",
        Some("application/json"),
    ),
];

/// A body each probed endpoint would parse (none gets that far).
const PROBE_BODY: &str = "{\"event\":\"{}\",\"all\":true}";

fn manifest() -> String {
    "[bucket.uploads]\npath = \"uploads\"\n\n".to_owned() + &function("hello", "hello", "")
}

/// One request on a fresh connection: method, path, headers, body.
fn request(
    own: &str,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: Option<(&str, &str)>,
) -> String {
    let mut text = format!("{method} {path} HTTP/1.1\r\nConnection: close\r\n");
    if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
        text.push_str(&format!("Host: {own}\r\n"));
    }
    for (k, v) in headers {
        text.push_str(&format!("{k}: {v}\r\n"));
    }
    match body {
        Some((kind, body)) => {
            text.push_str(&format!(
                "Content-Type: {kind}\r\nContent-Length: {}\r\n\r\n{body}",
                body.len()
            ));
        }
        None => text.push_str("\r\n"),
    }
    text
}

/// A session: its cookie header value and CSRF token (from `GET session` or a sign-in).
fn session_of(answer: &str) -> (String, Option<String>) {
    let cookie = answer
        .lines()
        .find_map(|l| l.strip_prefix("set-cookie: "))
        .map(|c| c.split(';').next().unwrap().to_owned())
        .unwrap_or_default();
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let json: serde_json::Value = serde_json::from_str(body).unwrap_or_default();
    (cookie, json["csrf"].as_str().map(str::to_owned))
}

async fn invocations(admin: SocketAddr) -> u64 {
    metric(admin, "fnhost_invocations_total", "hello").await
}

#[tokio::test(flavor = "multi_thread")]
async fn other_origins_and_requests_without_a_session_or_token_are_refused() {
    let server = Server::start_with_dirs(&manifest(), &["uploads"], &["-q"]);
    let admin = server.admin;
    let own = format!("127.0.0.1:{}", admin.port());
    // The page itself loads, with headers that keep it from being framed or sniffed.
    let (status, page) = raw(admin, &request(&own, "GET", "/console/", &[], None)).await;
    assert_eq!(status, 200, "{page}");
    for header in [
        "content-security-policy: default-src 'self'",
        "x-frame-options: DENY",
        "x-content-type-options: nosniff",
    ] {
        assert!(page.contains(header), "{header}: {page}");
    }
    let (status, _) = raw(
        admin,
        &request("evil.example:9000", "GET", "/console/", &[], None),
    )
    .await;
    assert_eq!(status, 403, "a rebinding page's Host loads no console");

    // A session of the local user (no credentials configured: one is made on request).
    let (status, answer) = raw(
        admin,
        &request(&own, "GET", "/console/api/session", &[], None),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let (cookie, csrf) = session_of(&answer);
    let csrf = csrf.expect("a CSRF token");
    assert!(
        answer.contains("HttpOnly") && answer.contains("SameSite=Strict"),
        "{answer}"
    );
    let cookie_header = ("Cookie", cookie.as_str());
    let token = ("X-Fnhost-Csrf", csrf.as_str());

    for (method, path, kind) in ENDPOINTS {
        let body = kind.map(|k| (k, PROBE_BODY));
        let send = |headers: Vec<(&str, &str)>, body| {
            let text = request(&own, method, path, &headers, body);
            async move { raw(admin, &text).await }
        };
        // DNS rebinding: the page's own name as Host, even with the session.
        let (status, answer) = send(
            vec![("Host", "evil.example:9000"), cookie_header, token],
            body,
        )
        .await;
        assert_eq!(status, 403, "{method} {path} with a foreign Host: {answer}");
        // Cross-site: a foreign Origin, or the browser saying the request is cross-site.
        let (status, answer) = send(
            vec![("Origin", "http://evil.example"), cookie_header, token],
            body,
        )
        .await;
        assert_eq!(status, 403, "{method} {path} from another origin: {answer}");
        let (status, answer) = send(
            vec![("Sec-Fetch-Site", "cross-site"), cookie_header, token],
            body,
        )
        .await;
        assert_eq!(status, 403, "{method} {path} cross-site: {answer}");
        // No session (SameSite=Strict: a cross-site request carries none).
        let (status, answer) = send(vec![token], body).await;
        assert_eq!(status, 401, "{method} {path} without a session: {answer}");
        if *method != "GET" {
            // No CSRF token, or a wrong one.
            let (status, answer) = send(vec![cookie_header], body).await;
            assert_eq!(status, 403, "{method} {path} without a token: {answer}");
            let (status, answer) = send(vec![cookie_header, ("X-Fnhost-Csrf", "0")], body).await;
            assert_eq!(status, 403, "{method} {path} with a wrong token: {answer}");
            // The body types of a cross-site form, even with the token.
            if kind.is_some() {
                for form in [
                    "text/plain",
                    "application/x-www-form-urlencoded",
                    "multipart/form-data; boundary=x",
                ] {
                    let (status, answer) =
                        send(vec![cookie_header, token], Some((form, PROBE_BODY))).await;
                    assert_eq!(status, 415, "{method} {path} as {form}: {answer}");
                }
            }
        }
    }
    assert_eq!(invocations(admin).await, 0, "a refused probe ran");

    // The same session and token work, and a test run is counted.
    let (status, answer) = raw(
        admin,
        &request(
            &own,
            "POST",
            "/console/api/functions/hello/test",
            &[cookie_header, token, ("Origin", &format!("http://{own}"))],
            Some(("application/json", "{}")),
        ),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("REPORT RequestId"), "{answer}");
    assert_eq!(invocations(admin).await, 1);
    // The details of a manifest function: its code's size, kind, world and imports.
    let (status, answer) = raw(
        admin,
        &request(
            &own,
            "GET",
            "/console/api/functions/hello",
            &[cookie_header],
            None,
        ),
    )
    .await;
    assert_eq!(status, 200, "{answer}");
    let body = answer.split("\r\n\r\n").nth(1).unwrap_or("");
    let details: serde_json::Value = serde_json::from_str(body).unwrap();
    let size = std::fs::metadata(fnhost_test_programs::guest("hello"))
        .unwrap()
        .len();
    let manifest_text = std::fs::read_to_string(server.dir.path().join("fnhost.toml")).unwrap();
    let line = manifest_text
        .lines()
        .position(|l| l == "[function.hello]")
        .unwrap()
        + 1;
    assert_eq!(details["codeSize"], size, "{details}");
    assert_eq!(details["kind"], "handler");
    assert_eq!(details["world"], "fnhost:function/handler");
    assert_eq!(details["manifest"]["line"], line, "{details}");
    assert!(
        details["imports"].as_array().is_some_and(|i| i
            .iter()
            .any(|n| n.as_str().is_some_and(|n| n.starts_with("wasi:")))),
        "{details}"
    );
    // Logging out ends the session.
    let (status, _) = raw(
        admin,
        &request(
            &own,
            "POST",
            "/console/api/logout",
            &[cookie_header, token],
            None,
        ),
    )
    .await;
    assert_eq!(status, 204);
    let (status, _) = raw(
        admin,
        &request(&own, "GET", "/console/api/overview", &[cookie_header], None),
    )
    .await;
    assert_eq!(status, 401);
}

#[test]
fn with_credentials_a_session_begins_only_by_signing_in() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n{}", manifest()),
    )
    .unwrap();
    std::fs::create_dir_all(dir.path().join("uploads")).unwrap();
    let server = Server::start_with_env(
        dir,
        &["-q"],
        &[
            ("FNHOST_ACCESS_KEY_ID", ACCESS_KEY),
            ("FNHOST_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
    );
    let admin = server.admin;
    let own = format!("127.0.0.1:{}", admin.port());
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let send = |text: String| runtime.block_on(raw(admin, &text));

    let (status, answer) = send(request(&own, "GET", "/console/api/session", &[], None));
    assert_eq!(status, 200);
    assert!(
        answer.contains("\"authRequired\":true") && answer.contains("\"signedIn\":false"),
        "{answer}"
    );
    assert!(
        !answer.contains("set-cookie"),
        "no session before signing in: {answer}"
    );
    let (status, _) = send(request(&own, "GET", "/console/api/overview", &[], None));
    assert_eq!(status, 401);

    // A wrong secret: refused, no session, and the refusal takes its time.
    let started = Instant::now();
    let wrong = format!("{{\"accessKeyId\":\"{ACCESS_KEY}\",\"secretAccessKey\":\"guess\"}}");
    let (status, answer) = send(request(
        &own,
        "POST",
        "/console/api/login",
        &[],
        Some(("application/json", &wrong)),
    ));
    assert_eq!(status, 401, "{answer}");
    assert!(
        answer.contains("InvalidCredentials") && !answer.contains("set-cookie"),
        "{answer}"
    );
    assert!(
        started.elapsed() >= Duration::from_millis(900),
        "a wrong guess costs a second"
    );
    // A cross-site form cannot sign in either.
    let right =
        format!("{{\"accessKeyId\":\"{ACCESS_KEY}\",\"secretAccessKey\":\"{SECRET_KEY}\"}}");
    let (status, _) = send(request(
        &own,
        "POST",
        "/console/api/login",
        &[("Origin", "http://evil.example")],
        Some(("application/json", &right)),
    ));
    assert_eq!(status, 403);
    let (status, _) = send(request(
        &own,
        "POST",
        "/console/api/login",
        &[],
        Some(("text/plain", &right)),
    ));
    assert_eq!(status, 415);

    let (status, answer) = send(request(
        &own,
        "POST",
        "/console/api/login",
        &[],
        Some(("application/json", &right)),
    ));
    assert_eq!(status, 200, "{answer}");
    let (cookie, csrf) = session_of(&answer);
    let csrf = csrf.expect("a CSRF token");
    let (status, answer) = send(request(
        &own,
        "GET",
        "/console/api/overview",
        &[("Cookie", &cookie)],
        None,
    ));
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("\"hello\""), "{answer}");
    // The Lambda API through the console with the session...
    let (status, answer) = send(request(
        &own,
        "GET",
        "/console/api/lambda/2015-03-31/functions/",
        &[("Cookie", &cookie)],
        None,
    ));
    assert_eq!(status, 200, "{answer}");
    // ...but the cookie is no key to the Lambda API itself: it still wants SigV4.
    let (status, answer) = send(request(
        &own,
        "GET",
        "/2015-03-31/functions/",
        &[("Cookie", &cookie)],
        None,
    ));
    assert_eq!(status, 403, "{answer}");
    assert!(
        answer.contains("MissingAuthenticationTokenException"),
        "{answer}"
    );

    let (status, _) = send(request(
        &own,
        "POST",
        "/console/api/logout",
        &[("Cookie", &cookie), ("X-Fnhost-Csrf", &csrf)],
        None,
    ));
    assert_eq!(status, 204);
    let (status, _) = send(request(
        &own,
        "GET",
        "/console/api/overview",
        &[("Cookie", &cookie)],
        None,
    ));
    assert_eq!(status, 401, "the session ended");
    let logs = server.stdout() + &server.stderr();
    assert!(
        !logs.contains(SECRET_KEY),
        "the secret was printed:\n{logs}"
    );
}

/// A console tab following the logs does not hold the host open at SIGTERM.
#[tokio::test(flavor = "multi_thread")]
async fn live_streams_end_at_shutdown() {
    let mut server = Server::start(&function("hello", "hello", ""), &["-q"]);
    let admin = server.admin;
    let own = format!("127.0.0.1:{}", admin.port());
    let (_, answer) = raw(
        admin,
        &request(&own, "GET", "/console/api/session", &[], None),
    )
    .await;
    let (cookie, _) = session_of(&answer);
    let follow = request(
        &own,
        "GET",
        "/console/api/logs/stream",
        &[("Cookie", &cookie)],
        None,
    );
    let stream = tokio::spawn(async move { raw(admin, &follow).await });
    tokio::time::sleep(Duration::from_millis(500)).await;
    let started = Instant::now();
    server.signal_term();
    let (status, answer) = stream.await.unwrap();
    assert_eq!(status, 200, "{answer}");
    assert!(answer.contains("text/event-stream"), "{answer}");
    let status = server.terminate();
    assert!(status.success(), "{status:?}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "the stream held the drain: {:?}",
        started.elapsed()
    );
}
