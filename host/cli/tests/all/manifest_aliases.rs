//! Aliases from the manifest, against the real binary over HTTP: a `[[route]]` naming an
//! upload's alias (`function = "f:live"`) runs, per request, the version the alias names at
//! that moment (weights included) and says which one ran; `auto_publish_alias` makes `x:live`
//! answer locally and follow hot reload; `fnhost deploy` publishes a version and moves the alias
//! only when the code changed; a malformed qualifier stops `fnhost up` with its line.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use fnhost_test_programs::{CONTEXT_ECHO, HELLO};
use serde_json::{Value, json};

use crate::up::{Server, client, create_function, uploader};

const ARN: &str = "arn:aws:lambda:us-east-1:000000000000:function:";

/// A Lambda API call on the admin listener: the status and the JSON answer (`Null` if empty).
async fn call(server: &Server, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let mut request = client().request(
        method.parse().unwrap(),
        format!("http://{}{path}", server.admin),
    );
    if let Some(body) = body {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    let value = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
    };
    (status, value)
}

/// GET `path` on the HTTP listener: the status and the body.
async fn get(server: &Server, path: &str) -> (u16, String) {
    let r = client().get(server.url(path)).send().await.unwrap();
    (r.status().as_u16(), r.text().await.unwrap())
}

/// GET `path`, which must answer 200 with context-echo's JSON.
async fn echo(server: &Server, path: &str) -> Value {
    let (status, body) = get(server, path).await;
    assert_eq!(status, 200, "{body}\n{}", server.stderr());
    serde_json::from_str(&body).unwrap_or_else(|e| panic!("not JSON ({e}): {body}"))
}

/// Wait until the host's stdout has a line containing every one of `needles`.
fn await_stdout_line(server: &Server, needles: &[&str]) -> bool {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let found = server
            .stdout()
            .lines()
            .any(|l| needles.iter().all(|n| l.contains(n)));
        if found || Instant::now() > deadline {
            return found;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_route_to_an_uploads_alias_runs_the_version_the_alias_names_now() {
    let server = Server::start("[[route]]\nfunction = \"f:live\"\nroute = \"/f\"\n", &[]);
    assert!(
        server.stdout().contains("ANY  /f  -> f:live (payload 2.0)"),
        "{}",
        server.stdout()
    );
    // Before the upload exists: API Gateway's answer to an integration Lambda cannot run, and
    // the reason in the host's log.
    let (status, body) = get(&server, "/f").await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
    assert!(
        server.await_stderr("function `f:live` is not deployed", Duration::from_secs(10)),
        "{}",
        server.stderr()
    );

    // Two published versions that differ in configuration: version 2 greets.
    let (status, made) =
        create_function(server.admin, &uploader("context-echo")("f", json!({}))).await;
    assert_eq!(status, 201, "{made}");
    let versions = "/2015-03-31/functions/f/versions";
    let (status, one) = call(&server, "POST", versions, Some(json!({}))).await;
    assert_eq!((status, one["Version"].as_str()), (201, Some("1")), "{one}");
    let config = json!({"Environment": {"Variables": {"GREETING": "two"}}});
    let (status, updated) = call(
        &server,
        "PUT",
        "/2015-03-31/functions/f/configuration",
        Some(config),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let (status, two) = call(&server, "POST", versions, Some(json!({}))).await;
    assert_eq!((status, two["Version"].as_str()), (201, Some("2")), "{two}");

    // The function exists, the alias not yet: the same answer.
    let (status, _) = get(&server, "/f").await;
    assert_eq!(status, 500);

    let aliases = "/2015-03-31/functions/f/aliases";
    let (status, alias) = call(
        &server,
        "POST",
        aliases,
        Some(json!({"Name": "live", "FunctionVersion": "1"})),
    )
    .await;
    assert_eq!(status, 201, "{alias}");
    let answer = echo(&server, "/f").await;
    assert_eq!(answer["functionVersion"], "1", "{answer}");
    assert_eq!(answer["invokedFunctionArn"], format!("{ARN}f:live"));
    assert_eq!(answer["greeting"], Value::Null);
    // The console log (what the records hold) names the version that ran.
    let id = answer["requestId"].as_str().unwrap().to_owned();
    assert!(
        await_stdout_line(
            &server,
            &["f:live[", &format!("START RequestId: {id} Version: 1")]
        ),
        "{}",
        server.stdout()
    );

    // A canary: each request runs one of the two, and says which.
    let alias_path = format!("{aliases}/live");
    let weights = json!({"RoutingConfig": {"AdditionalVersionWeights": {"2": 0.5}}});
    let (status, alias) = call(&server, "PUT", &alias_path, Some(weights)).await;
    assert_eq!(status, 200, "{alias}");
    let mut ran: BTreeMap<String, usize> = BTreeMap::new();
    for _ in 0..60 {
        let answer = echo(&server, "/f").await;
        let version = answer["functionVersion"].as_str().unwrap().to_owned();
        let greeting = (version == "2").then_some("two");
        assert_eq!(answer["greeting"].as_str(), greeting, "{answer}");
        *ran.entry(version).or_default() += 1;
    }
    // Each version has a 1 in 2^60 chance of never running.
    assert_eq!(ran.keys().collect::<Vec<_>>(), ["1", "2"], "{ran:?}");

    // UpdateAlias moves the route with no restart.
    let moved = json!({"FunctionVersion": "2", "RoutingConfig": {"AdditionalVersionWeights": {}}});
    let (status, alias) = call(&server, "PUT", &alias_path, Some(moved)).await;
    assert_eq!(status, 200, "{alias}");
    for _ in 0..5 {
        let answer = echo(&server, "/f").await;
        assert_eq!(answer["functionVersion"], "2", "{answer}");
        assert_eq!(answer["invokedFunctionArn"], format!("{ARN}f:live"));
    }
    let id = echo(&server, "/f").await["requestId"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(
        await_stdout_line(&server, &[&format!("START RequestId: {id} Version: 2")]),
        "{}",
        server.stdout()
    );

    // Deleted: an answer, not a hang.
    let (status, _) = call(&server, "DELETE", &alias_path, None).await;
    assert_eq!(status, 204);
    let (status, body) = get(&server, "/f").await;
    assert_eq!(
        (status, body.as_str()),
        (500, r#"{"message":"Internal Server Error"}"#)
    );
}

/// Replace `to` with `from`'s bytes the way build tools do: write aside, then rename.
fn replace_atomically(from: &Path, to: &Path) {
    let tmp = to.with_extension("wasm.tmp");
    std::fs::copy(from, &tmp).unwrap();
    std::fs::rename(&tmp, to).unwrap();
}

const AUTO_ALIAS: &str =
    "manifest_version = 1\n\n[function.x]\nsource = \"x.wasm\"\nauto_publish_alias = \"live\"\n";

#[tokio::test(flavor = "multi_thread")]
async fn auto_publish_alias_names_the_current_code_locally_and_follows_hot_reload() {
    crate::built();
    let dir = tempfile::tempdir().unwrap();
    let source = dir.path().join("x.wasm");
    std::fs::copy(HELLO, &source).unwrap();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("{AUTO_ALIAS}\n[[route]]\nfunction = \"x:live\"\nroute = \"/live\"\n"),
    )
    .unwrap();
    let server = Server::start_in(dir, &["-q"]);
    let (status, body) = get(&server, "/live?name=Ada").await;
    assert_eq!(status, 200, "{body}");
    assert!(body.contains("Hello, Ada!"), "{body}");
    // The Lambda API resolves the same alias.
    let r = client()
        .post(format!(
            "http://{}/2015-03-31/functions/x/invocations?Qualifier=live",
            server.admin
        ))
        .body(r#"{"name":"Ada"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    assert_eq!(r.headers()["x-amz-executed-version"], "$LATEST");

    // New code: the alias follows it.
    replace_atomically(Path::new(CONTEXT_ECHO), &source);
    assert!(
        server.await_stderr("fnhost: reloaded `x`", Duration::from_secs(60)),
        "{}",
        server.stderr()
    );
    let answer = echo(&server, "/live").await;
    assert_eq!(answer["functionVersion"], "$LATEST", "{answer}");
    assert_eq!(answer["invokedFunctionArn"], format!("{ARN}x:live"));
}

#[test]
fn a_malformed_qualifier_stops_fnhost_up_with_its_line() {
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("fnhost.toml");
    std::fs::write(
        &manifest,
        "manifest_version = 1\n\n[[route]]\nfunction = \"f:\"\nroute = \"/f\"\n",
    )
    .unwrap();
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
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
        .env("FNHOST_STATE_DIR", dir.path().join("state"))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains(
            "fnhost.toml:4: route: function = `f:` is invalid: the qualifier after `:` is empty; write `f`, `f:ALIAS` (e.g. `f:live`) or `f:VERSION` (e.g. `f:1`)"
        ),
        "{stderr}"
    );
    assert!(!String::from_utf8_lossy(&out.stdout).contains("listening"));
}

/// `fnhost -f MANIFEST deploy --endpoint ADMIN EXTRA…`, unsigned (the target is a loopback host
/// without credentials).
fn deploy(manifest: &Path, server: &Server, extra: &[&str]) -> Output {
    let out = Command::new(env!("CARGO_BIN_EXE_fnhost"))
        .arg("-f")
        .arg(manifest)
        .args(["deploy", "--endpoint", &format!("http://{}", server.admin)])
        .args(extra)
        .env_remove("FNHOST_ACCESS_KEY_ID")
        .env_remove("FNHOST_SECRET_ACCESS_KEY")
        .env_remove("FNHOST_ENDPOINT")
        .env_remove("FNHOST_STATE_DIR")
        .output()
        .expect("run fnhost deploy");
    assert!(
        out.status.success(),
        "--- stderr\n{}\n--- stdout\n{}\n--- host stderr\n{}",
        String::from_utf8_lossy(&out.stderr),
        String::from_utf8_lossy(&out.stdout),
        server.stderr()
    );
    out
}

/// Invoke `x:live` through the target's Lambda API: the executed version and the payload.
async fn invoke_live(server: &Server) -> (String, Value) {
    let r = client()
        .post(format!(
            "http://{}/2015-03-31/functions/x/invocations?Qualifier=live",
            server.admin
        ))
        .body(r#"{"name":"Ada"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let version = r.headers()["x-amz-executed-version"]
        .to_str()
        .unwrap()
        .to_owned();
    (
        version,
        serde_json::from_str(&r.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn deploy_publishes_a_version_and_moves_the_alias_only_when_the_code_changes() {
    crate::built();
    let target = Server::start_with_env(tempfile::tempdir().unwrap(), &["-q"], &[]);
    let project = tempfile::tempdir().unwrap();
    let source: PathBuf = project.path().join("x.wasm");
    std::fs::copy(HELLO, &source).unwrap();
    let manifest = project.path().join("fnhost.toml");
    std::fs::write(&manifest, AUTO_ALIAS).unwrap();

    let first = deploy(&manifest, &target, &["--json"]);
    let report: Value = serde_json::from_slice(&first.stdout).unwrap();
    let x = &report["functions"][0];
    assert_eq!(x["action"], "created", "{report}");
    assert_eq!(
        x["alias"],
        json!({"name": "live", "version": "1", "action": "created"})
    );
    let (version, answer) = invoke_live(&target).await;
    assert_eq!(version, "1");
    assert!(
        answer["body"].as_str().unwrap().contains("Hello, Ada!"),
        "{answer}"
    );

    // New code: version 2, and the alias moves to it.
    std::fs::copy(CONTEXT_ECHO, &source).unwrap();
    let second = deploy(&manifest, &target, &[]);
    assert_eq!(
        String::from_utf8_lossy(&second.stdout),
        "~ updated code of x\n~ alias live of x → version 2\n"
    );
    let (version, answer) = invoke_live(&target).await;
    assert_eq!(version, "2");
    assert_eq!(answer["functionVersion"], "2");
    assert_eq!(answer["invokedFunctionArn"], format!("{ARN}x:live"));

    // Nothing changed: nothing published, the alias stays.
    let third = deploy(&manifest, &target, &[]);
    assert_eq!(
        String::from_utf8_lossy(&third.stdout),
        "= x unchanged (alias live → version 2)\n"
    );
    let (status, listed) = call(&target, "GET", "/2015-03-31/functions/x/versions", None).await;
    assert_eq!(status, 200);
    let versions: Vec<&str> = listed["Versions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["Version"].as_str().unwrap())
        .collect();
    assert_eq!(versions, ["$LATEST", "1", "2"]);
}
