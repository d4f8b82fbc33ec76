//! Identical, stateless nodes: real `fnhost up` processes, each with a state directory of its
//! own, sharing one throwaway PostgreSQL database (fnhost_testpg) as their store. A function
//! uploaded through one node's Lambda API runs on the others (its code comes from the store's
//! shared blobs; each node compiles it into its own artifact cache); a change made on any node
//! reaches every node; a delete removes it everywhere; and a node started later with an empty
//! state directory serves everything.
//!
//! The time from a node's answer to a change until another node runs it is measured and
//! printed (`cargo test … -- --nocapture`); the target is 1 s. It is not asserted: on a
//! loaded machine the compile a node does is slower; only a generous deadline bounds the wait.

use std::path::Path;
use std::time::{Duration, Instant};

use base64::Engine as _;
use serde_json::{Value, json};

use crate::up::{Server, client, create_function, uploader};

/// How long a node may take to follow a change before the test gives up.
const DEADLINE: Duration = Duration::from_secs(10);

/// A node on the shared store `store`, with an empty state directory of its own (not even the
/// compiled artifacts other tests share) and no manifest: it runs only what is uploaded.
fn node(store: &str, name: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("node-state");
    Server::start_with_env(
        dir,
        &["-q", "--node", name],
        &[
            ("FNHOST_STORE", store),
            ("FNHOST_STATE_DIR", state.to_str().unwrap()),
        ],
    )
}

/// Invoke `function` (a name, `name:version` or `name:alias`) through `server`'s Lambda API:
/// the status and the body as JSON (`Null` when it is not JSON).
async fn invoke(server: &Server, function: &str, event: &Value) -> (u16, Value) {
    let r = client()
        .post(format!(
            "http://{}/2015-03-31/functions/{function}/invocations",
            server.admin
        ))
        .body(event.to_string())
        .send()
        .await
        .unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// A control-plane request to `server` (no body for `Null`): the status and the JSON answer
/// (`Null` when empty).
async fn call(server: &Server, method: &str, path: &str, body: &Value) -> (u16, Value) {
    let mut request = client().request(
        method.parse().unwrap(),
        format!("http://{}{path}", server.admin),
    );
    if !body.is_null() {
        request = request
            .header("content-type", "application/json")
            .body(body.to_string());
    }
    let r = request.send().await.unwrap();
    let status = r.status().as_u16();
    let text = r.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

/// Poll `function` on `server` until `check` accepts the answer; the time it took.
async fn until(
    server: &Server,
    function: &str,
    what: &str,
    check: impl Fn(u16, &Value) -> bool,
) -> Duration {
    let started = Instant::now();
    loop {
        let (status, body) = invoke(server, function, &json!({"name": "Ada"})).await;
        if check(status, &body) {
            return started.elapsed();
        }
        assert!(
            started.elapsed() < DEADLINE,
            "{what}: still {status} {body} after {DEADLINE:?}\nstderr:\n{}",
            server.stderr()
        );
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
}

fn says_hello(status: u16, body: &Value) -> bool {
    status == 200
        && body["body"]
            .as_str()
            .is_some_and(|b| b.contains("Hello, Ada!"))
}

fn echoes(status: u16, body: &Value) -> bool {
    status == 200 && body["functionName"] == "greeter" && body["event"]["name"] == "Ada"
}

fn not_found(status: u16, _: &Value) -> bool {
    status == 404
}

fn code_of(guest: &str) -> String {
    let wasm = std::fs::read(fnhost_test_programs::guest(guest)).unwrap();
    base64::engine::general_purpose::STANDARD.encode(wasm)
}

fn files_under(dir: &Path) -> usize {
    std::fs::read_dir(dir).map_or(0, |entries| entries.count())
}

/// Wait until `dir` holds `n` entries; panics with what it holds after [`DEADLINE`].
async fn until_files(dir: &Path, n: usize) {
    let started = Instant::now();
    while files_under(dir) != n {
        assert!(
            started.elapsed() < DEADLINE,
            "{} holds {} entries, not {n}",
            dir.display(),
            files_under(dir)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_change_on_any_node_runs_on_every_node_and_an_empty_node_serves_everything() {
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let a = node(db.url(), "node-a");
    let b = node(db.url(), "node-b");
    let mut latencies = Vec::new();

    // Uploaded through A: A runs it when it answers, B within about a second.
    let (status, created) =
        create_function(a.admin, &uploader("hello")("greeter", json!({}))).await;
    assert_eq!(status, 201, "{created}");
    let (status, body) = invoke(&a, "greeter", &json!({"name": "Ada"})).await;
    assert!(says_hello(status, &body), "{status} {body}");
    let took = until(&b, "greeter", "B runs the upload made on A", says_hello).await;
    latencies.push(("create on A, runs on B", took));
    // B took the code from the shared blobs into its own state directory.
    let sha = created["CodeSha256"].as_str().unwrap();
    let hex = hex_of(sha);
    assert!(
        b.dir
            .path()
            .join(format!("node-state/code/{hex}.wasm"))
            .is_file(),
        "B keeps the code it fetched"
    );

    // Version 1 and an alias to it, made on A, resolve on B.
    let (status, published) = call(
        &a,
        "POST",
        "/2015-03-31/functions/greeter/versions",
        &json!({}),
    )
    .await;
    assert_eq!(status, 201, "{published}");
    assert_eq!(published["Version"], "1");
    let (status, alias) = call(
        &a,
        "POST",
        "/2015-03-31/functions/greeter/aliases",
        &json!({"Name": "live", "FunctionVersion": "1"}),
    )
    .await;
    assert_eq!(status, 201, "{alias}");
    let took = until(
        &b,
        "greeter:live",
        "B resolves the alias made on A",
        says_hello,
    )
    .await;
    latencies.push(("alias on A, resolves on B", took));

    // New code through B: A runs it for $LATEST; the alias keeps version 1 everywhere.
    let (status, updated) = call(
        &b,
        "PUT",
        "/2015-03-31/functions/greeter/code",
        &json!({"ZipFile": code_of("context-echo")}),
    )
    .await;
    assert_eq!(status, 200, "{updated}");
    let took = until(&a, "greeter", "A runs the code updated on B", echoes).await;
    latencies.push(("code update on B, runs on A", took));
    let (status, body) = invoke(&a, "greeter:live", &json!({"name": "Ada"})).await;
    assert!(
        says_hello(status, &body),
        "the alias still sends to version 1: {body}"
    );

    // A configuration change on A (same code, new revision) reaches B.
    let (status, configured) = call(
        &a,
        "PUT",
        "/2015-03-31/functions/greeter/configuration",
        &json!({"Environment": {"Variables": {"GREETING": "bonjour"}}}),
    )
    .await;
    assert_eq!(status, 200, "{configured}");
    let took = until(
        &b,
        "greeter",
        "B runs the configuration changed on A",
        |s, v| echoes(s, v) && v["greeting"] == "bonjour",
    )
    .await;
    latencies.push(("configuration on A, runs on B", took));

    // A third node, started now with an empty state directory, serves all of it.
    let c = node(db.url(), "node-c");
    let (status, body) = invoke(&c, "greeter", &json!({"name": "Ada"})).await;
    assert!(
        echoes(status, &body) && body["greeting"] == "bonjour",
        "{status} {body}\n{}",
        c.stderr()
    );
    let (status, body) = invoke(&c, "greeter:live", &json!({"name": "Ada"})).await;
    assert!(says_hello(status, &body), "{status} {body}");
    assert_eq!(files_under(&c.dir.path().join("node-state/code")), 2);

    // Deleted through C: gone on A and B.
    let (status, body) = call(&c, "DELETE", "/2015-03-31/functions/greeter", &json!({})).await;
    assert_eq!(status, 204, "{body}");
    for (what, server) in [
        ("delete on C, gone on A", &a),
        ("delete on C, gone on B", &b),
    ] {
        let took = until(server, "greeter", what, not_found).await;
        latencies.push((what, took));
        let (status, _) = invoke(server, "greeter:live", &json!({})).await;
        assert_eq!(status, 404, "{what}: the alias went too");
    }
    // The node that deleted it removed its files; the others collect theirs too.
    for server in [&a, &b, &c] {
        until_files(&server.dir.path().join("node-state/code"), 0).await;
    }

    for (what, took) in &latencies {
        println!("cluster propagation: {what}: {} ms", took.as_millis());
    }
}

/// The hex SHA-256 of Lambda's base64 `CodeSha256`.
fn hex_of(base64: &str) -> String {
    base64::engine::general_purpose::STANDARD
        .decode(base64)
        .unwrap()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A zip of `files` (name, contents), made by Python's zipfile (the boto3 tests need Python
/// anyway), base64 for `ZipFile`.
fn zip_of(files: &[(&str, &str)]) -> String {
    let script = "import base64, io, json, sys, zipfile\n\
                  buf = io.BytesIO()\n\
                  with zipfile.ZipFile(buf, 'w', zipfile.ZIP_DEFLATED) as z:\n    \
                  for name, text in json.load(sys.stdin):\n        \
                  z.writestr(name, text)\n\
                  print(base64.b64encode(buf.getvalue()).decode())\n";
    let mut child = std::process::Command::new("python3")
        .args(["-c", script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .expect("python3");
    let input = serde_json::to_vec(files).unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &input).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap().trim().to_owned()
}

/// A node like [`node`] that can package Python (the tools `.ci/guests.sh` installed) and
/// logs what the API does.
fn packaging_node(store: &str, name: &str) -> Server {
    let dir = tempfile::tempdir().unwrap();
    let state = dir.path().join("node-state");
    let tools = crate::source_runtimes::tools_dir();
    Server::start_with_env(
        dir,
        &["-q", "--node", name],
        &[
            ("FNHOST_STORE", store),
            ("FNHOST_STATE_DIR", state.to_str().unwrap()),
            ("FNHOST_TOOLS_DIR", &tools),
            ("FNHOST_LOG", "warn,fnhost_api=info"),
        ],
    )
}

const LAYER_PY: &str = "def lambda_handler(event, context):\n    \
                        import greeting\n    \
                        return {\"greeting\": greeting.TEXT, \"name\": event.get(\"name\")}\n";

/// A Python source upload is packaged by the one node that received it; the others run the
/// result, its source and its layer taken from the shared blobs.
#[tokio::test(flavor = "multi_thread")]
async fn a_source_upload_is_packaged_once_and_runs_on_every_node() {
    crate::built();
    let db = fnhost_testpg::Server::shared().database().unwrap();
    let a = packaging_node(db.url(), "node-a");
    let b = packaging_node(db.url(), "node-b");

    // The layer is published through A, the function created through B.
    let (status, layer) = call(
        &a,
        "POST",
        "/2018-10-31/layers/greetings/versions",
        &json!({
            "Content": {"ZipFile": zip_of(&[("python/greeting.py", "TEXT = 'hi from a layer'\n")])},
            "CompatibleRuntimes": ["python3.12"],
        }),
    )
    .await;
    assert_eq!(status, 201, "{layer}");
    let (status, created) = call(
        &b,
        "POST",
        "/2015-03-31/functions",
        &json!({
            "FunctionName": "greeter",
            "Role": "arn:aws:iam::000000000000:role/x",
            "Runtime": "python3.12",
            "Handler": "lambda_function.lambda_handler",
            "Layers": [layer["LayerVersionArn"]],
            "Code": {"ZipFile": zip_of(&[("lambda_function.py", LAYER_PY)])},
        }),
    )
    .await;
    assert_eq!(status, 201, "{created}");
    assert_eq!(created["State"], "Pending");

    // Active, as A reads it from the store; then A runs it.
    let started = Instant::now();
    loop {
        let (_, got) = call(&a, "GET", "/2015-03-31/functions/greeter", &Value::Null).await;
        if got["Configuration"]["State"] == "Active" {
            break;
        }
        assert_ne!(got["Configuration"]["State"], "Failed", "{got}");
        assert!(
            started.elapsed() < Duration::from_secs(300),
            "not packaged: {got}\nB:\n{}",
            b.stderr()
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let greets =
        |s: u16, v: &Value| s == 200 && v["greeting"] == "hi from a layer" && v["name"] == "Ada";
    let took = until(&a, "greeter", "A runs what B packaged", greets).await;
    println!(
        "cluster propagation: packaged on B, runs on A: {} ms after it was Active",
        took.as_millis()
    );
    let (status, body) = invoke(&b, "greeter", &json!({"name": "Ada"})).await;
    assert!(greets(status, &body), "{status} {body}");
    let packaged = |server: &Server| server.stderr().matches("packaged and deployed").count();
    assert_eq!(packaged(&b), 1, "{}", b.stderr());
    assert_eq!(packaged(&a), 0, "A only follows: {}", a.stderr());
    assert!(
        a.stderr()
            .contains("deployed a change made on another node"),
        "{}",
        a.stderr()
    );
}
