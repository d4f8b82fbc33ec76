//! Function URLs: `fnhost up` in an empty directory takes an upload and serves it through a
//! function URL made with boto3 (the API, its errors, aliases, CORS and the event in
//! `tests/py/urls.py`), which reqwest (host name resolved to loopback, and the path form) and
//! curl then reach, also after a restart; `AWS_IAM` URLs take only requests signed with the
//! admin credentials (`tests/py/urls_iam.py`); a manifest function's `url` gets a stable URL
//! that the API shows but does not change.

use std::net::SocketAddr;

use serde_json::Value;

use crate::api::{run_py, run_signed_py};
use crate::up::{Server, client, function};

const ACCESS_KEY: &str = "AKIDFNHOSTURLS";
const SECRET_KEY: &str = "fnhost-url-secret-do-not-log";

/// The URL id and port of a `FunctionUrl` (`http://<id>.lambda-url.localhost:<port>/`).
fn id_and_port(url: &str) -> (String, u16) {
    let rest = url.strip_prefix("http://").expect(url);
    let (host, tail) = rest.split_once(':').expect(url);
    let id = host.strip_suffix(".lambda-url.localhost").expect(url);
    let port = tail.trim_end_matches('/').parse().expect(url);
    (id.to_owned(), port)
}

/// A reqwest client that resolves the URL's host name to the host's HTTP listener.
fn resolving(url_id: &str, addr: SocketAddr) -> reqwest::Client {
    reqwest::Client::builder()
        .resolve(&format!("{url_id}.lambda-url.localhost"), addr)
        .build()
        .unwrap()
}

async fn json_of(response: reqwest::Response) -> (u16, Value) {
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"));
    (status, value)
}

/// `curl -s URL`: curl resolves `*.localhost` to loopback by itself.
fn curl(url: &str) -> Value {
    let out = std::process::Command::new("curl")
        .args(["-s", "--max-time", "60", url])
        .output()
        .expect("run curl");
    assert!(out.status.success(), "curl {url}: {out:?}");
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("curl {url} gave no JSON ({e}): {out:?}"))
}

#[tokio::test(flavor = "multi_thread")]
async fn an_empty_host_serves_an_upload_through_its_function_url() {
    let server = Server::start_with_env(tempfile::tempdir().unwrap(), &["-q"], &[]);
    let out = run_py("urls.py", &server, &[]);
    assert!(out.contains("passed urls.py"), "{out}");
    let kept = out
        .lines()
        .find_map(|l| l.strip_prefix("kept-url="))
        .expect("urls.py printed no kept-url")
        .to_owned();
    let (url_id, port) = id_and_port(&kept);
    assert_eq!(port, server.addr.port(), "{kept}");

    // reqwest by the host name, resolved to the listener.
    let r = resolving(&url_id, server.addr)
        .post(format!("{kept}orders/7?verbose=1"))
        .header("content-type", "application/json")
        .body(r#"{"qty":2}"#)
        .send()
        .await
        .unwrap();
    let (status, event) = json_of(r).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["rawPath"], "/orders/7");
    assert_eq!(event["body"], r#"{"qty":2}"#);
    assert_eq!(event["requestContext"]["apiId"], url_id.as_str());
    assert_eq!(event["requestContext"]["http"]["method"], "POST");
    assert_eq!(event["queryStringParameters"]["verbose"], "1");

    // reqwest by the path, on the listener's own address.
    let r = client()
        .get(server.url(&format!("/lambda-url/{url_id}/by/path")))
        .send()
        .await
        .unwrap();
    let (status, event) = json_of(r).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["rawPath"], "/by/path");
    assert_eq!(
        event["requestContext"]["domainName"],
        format!("{url_id}.lambda-url.localhost")
    );

    // curl, with the URL exactly as the API returned it.
    let event = curl(&format!("{kept}curl"));
    assert_eq!(event["rawPath"], "/curl");
    assert_eq!(event["routeKey"], "$default");

    // An unknown id is Lambda's 403 in both forms.
    let unknown = "z".repeat(32);
    let r = resolving(&unknown, server.addr)
        .get(format!("http://{unknown}.lambda-url.localhost:{port}/"))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.headers()["x-amzn-errortype"], "AccessDeniedException");
    assert_eq!(r.text().await.unwrap(), r#"{"Message":null}"#);
    let r = client()
        .get(server.url(&format!("/lambda-url/{unknown}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);

    // AuthType is required on create (botocore checks it before sending; a raw request gets
    // Lambda's answer).
    let r = client()
        .post(format!(
            "http://{}/2021-10-31/functions/kept/url?Qualifier=x",
            server.admin
        ))
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(r).await;
    assert_eq!(status, 400, "{body}");
    assert_eq!(
        body["message"],
        "1 validation error detected: Value null at 'authType' failed to satisfy constraint: Member must not be null"
    );

    // After a restart the URL is restored from the state: same id, the new listener's port.
    let server = Server::start_in(server.kill9(), &["-q"]);
    // Said on stderr before the listener's line on stdout; the two pipes are read apart.
    assert!(
        server.await_stderr(
            "serving 1 function URL(s)",
            std::time::Duration::from_secs(30)
        ),
        "{}",
        server.stderr()
    );
    let again = format!(
        "http://{url_id}.lambda-url.localhost:{}/",
        server.addr.port()
    );
    let r = resolving(&url_id, server.addr)
        .get(format!("{again}after-restart"))
        .send()
        .await
        .unwrap();
    let (status, event) = json_of(r).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["rawPath"], "/after-restart");
    let r = client()
        .get(format!(
            "http://{}/2021-10-31/functions/kept/url",
            server.admin
        ))
        .send()
        .await
        .unwrap();
    let (status, config) = json_of(r).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(config["FunctionUrl"], again.as_str());
}

#[test]
fn aws_iam_urls_take_only_requests_signed_with_the_admin_credentials() {
    let server = Server::start_with_env(
        tempfile::tempdir().unwrap(),
        &["-q"],
        &[
            ("FNHOST_ACCESS_KEY_ID", ACCESS_KEY),
            ("FNHOST_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
    );
    run_signed_py(
        "urls_iam.py",
        &server,
        &[
            ("FNHOST_ACCESS_KEY_ID", ACCESS_KEY),
            ("FNHOST_SECRET_ACCESS_KEY", SECRET_KEY),
        ],
        SECRET_KEY,
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn manifest_functions_get_stable_urls_the_api_shows_but_does_not_change() {
    let manifest = function("site", "http-echo", "url = true\n")
        + &function(
            "guarded",
            "http-echo",
            "[function.guarded.url]\nauth = \"aws_iam\"\ncors = { allow_origins = [\"*\"], max_age = 60 }\n",
        )
        + &function("plain", "hello", "");
    let server = Server::start(&manifest, &["-q"]);
    let site = fnhost_manifest::url_id_for("site");
    let guarded = fnhost_manifest::url_id_for("guarded");
    let port = server.addr.port();
    let stdout = server.stdout();
    for (id, name, auth) in [(&site, "site", "NONE"), (&guarded, "guarded", "AWS_IAM")] {
        let line = format!("http://{id}.lambda-url.localhost:{port}/  -> {name} (auth {auth})");
        assert!(stdout.contains(&line), "no `{line}` in:\n{stdout}");
    }

    let r = client()
        .get(server.url(&format!("/lambda-url/{site}/from-manifest")))
        .send()
        .await
        .unwrap();
    let (status, event) = json_of(r).await;
    assert_eq!(status, 200, "{event}");
    assert_eq!(event["rawPath"], "/from-manifest");
    assert_eq!(event["requestContext"]["apiId"], site.as_str());
    // No credentials on this host: an AWS_IAM URL refuses everyone, preflights aside.
    let r = client()
        .get(server.url(&format!("/lambda-url/{guarded}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403);
    assert_eq!(r.text().await.unwrap(), r#"{"Message":"Forbidden"}"#);
    let r = client()
        .request(
            reqwest::Method::OPTIONS,
            server.url(&format!("/lambda-url/{guarded}/")),
        )
        .header("origin", "http://localhost:3000")
        .header("access-control-request-method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert_eq!(r.headers()["access-control-allow-origin"], "*");
    assert_eq!(r.headers()["access-control-max-age"], "60");

    let api = |path: &str| format!("http://{}/2021-10-31/functions/{path}", server.admin);
    let r = client().get(api("site/url")).send().await.unwrap();
    let (status, config) = json_of(r).await;
    assert_eq!(status, 200, "{config}");
    assert_eq!(
        config["FunctionUrl"],
        format!("http://{site}.lambda-url.localhost:{port}/")
    );
    assert_eq!(config["AuthType"], "NONE");
    let r = client().get(api("guarded/urls")).send().await.unwrap();
    let (status, listed) = json_of(r).await;
    assert_eq!(status, 200, "{listed}");
    let configs = listed["FunctionUrlConfigs"].as_array().unwrap();
    assert_eq!(configs.len(), 1, "{listed}");
    assert_eq!(configs[0]["AuthType"], "AWS_IAM");
    assert_eq!(configs[0]["Cors"]["AllowOrigins"], serde_json::json!(["*"]));
    let r = client().get(api("plain/url")).send().await.unwrap();
    assert_eq!(r.status(), 404);

    for (method, path) in [
        (reqwest::Method::POST, "site/url"),
        (reqwest::Method::PUT, "site/url"),
        (reqwest::Method::DELETE, "site/url"),
        (reqwest::Method::POST, "plain/url"),
    ] {
        let r = client()
            .request(method.clone(), api(path))
            .header("content-type", "application/json")
            .body(r#"{"AuthType":"NONE"}"#)
            .send()
            .await
            .unwrap();
        let (status, body) = json_of(r).await;
        assert_eq!(status, 409, "{method} {path}: {body}");
        assert_eq!(body["Type"], "User");
        let message = body["message"].as_str().unwrap();
        assert!(message.contains("fnhost.toml"), "{message}");
    }
    // The manifest's URL stays as declared.
    let r = client()
        .get(server.url(&format!("/lambda-url/{site}/")))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
}

#[test]
fn a_bad_url_table_stops_the_host_with_the_line_to_fix() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    std::fs::write(
        &manifest,
        format!(
            "manifest_version = 1\n\n{}",
            function("site", "hello", "[function.site.url]\nauth = \"public\"\n")
        ),
    )
    .unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(&manifest)
        .args([
            "up",
            "--listen",
            "127.0.0.1:0",
            "--admin",
            "127.0.0.1:0",
            "--no-build",
        ])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(
        err.contains(
            "fnhost.toml:6: function `site`: url: auth = `public` is not one of `none`, `aws_iam`"
        ),
        "{err}"
    );
}
