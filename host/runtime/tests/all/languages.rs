//! Guests in Python, JavaScript and C, built by `bash .ci/guests.sh` into `target/guests/`.
//!
//! The examples must answer exactly as their Rust originals do (loaded side by side), and each
//! language runtime must map errors, logs, timeouts, the memory cap and the context the way
//! Lambda's runtime for that language does.
//!
//! Python and JavaScript components take seconds to compile, so these tests share one runtime
//! whose artifact cache lives in `target/guests/.test-state`: each component is compiled once,
//! then every test (and every later run) loads it from the cache.

use std::path::{Path, PathBuf};
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use fnhost_runtime::{Function, FunctionKind, FunctionSpec, Invocation, Outcome, Runtime};
use serde_json::{Value, json};

use crate::support::{self, invoke, json, secs, spec, workspace};

/// Directories whose files a guest is built from, besides `functions/<name>`.
fn sdk_inputs(name: &str) -> &'static [&'static str] {
    if name.starts_with("python-") {
        &["guest-sdk/python", "wit"]
    } else if name.starts_with("js-") {
        &[
            "guest-sdk/js/runtime.js",
            "guest-sdk/js/package.mjs",
            "guest-sdk/js/wit",
            "wit",
        ]
    } else {
        &[]
    }
}

fn newest_mtime(path: &Path) -> Option<std::time::SystemTime> {
    let meta = std::fs::metadata(path).ok()?;
    if meta.is_file() {
        return meta.modified().ok();
    }
    std::fs::read_dir(path)
        .ok()?
        .flatten()
        .filter(|e| e.file_name() != "__pycache__" && e.file_name() != "node_modules")
        .filter_map(|e| newest_mtime(&e.path()))
        .max()
}

/// The built guest, or a failure that says how to build it (never a silent skip).
fn guest(name: &str) -> PathBuf {
    let root = workspace();
    // Fails with how to build it when missing.
    let path = fnhost_test_programs::guest(name);
    let built = std::fs::metadata(path).and_then(|m| m.modified()).unwrap();
    let sources = std::iter::once(format!("functions/{name}"))
        .chain(sdk_inputs(name).iter().map(|s| s.to_string()));
    for source in sources {
        if newest_mtime(&root.join(&source)).is_some_and(|t| t > built) {
            panic!(
                "{} is older than {source}: rebuild the guests with `bash .ci/guests.sh`",
                path.display()
            );
        }
    }
    path.to_path_buf()
}

fn runtime() -> &'static Runtime {
    static RUNTIME: OnceLock<Runtime> = OnceLock::new();
    RUNTIME.get_or_init(|| support::runtime(&workspace().join("target/guests/.test-state")))
}

/// Load a guest; loads are serialized so two tests never compile the same component at once.
fn load(spec: FunctionSpec, name: &str) -> Function {
    static LOADING: Mutex<()> = Mutex::new(());
    let path = guest(name);
    let _one_at_a_time = LOADING.lock().unwrap_or_else(|e| e.into_inner());
    runtime()
        .load(spec, &path)
        .unwrap_or_else(|e| panic!("load {}: {e}", path.display()))
}

/// The Rust example of the same function, for side-by-side comparison.
fn load_rust(name: &str) -> Function {
    let path = support::wasm(name);
    runtime()
        .load(spec(name), path)
        .unwrap_or_else(|e| panic!("load {}: {e}", path.display()))
}

async fn run(f: &Function, event: &str) -> Invocation {
    invoke(runtime(), f, event).await
}

/// The guest's own log lines, checked to sit between START and END.
fn guest_lines(done: &Invocation) -> Vec<String> {
    let text = done.log_text();
    let lines: Vec<&str> = text.lines().collect();
    assert!(lines[0].starts_with("START RequestId: "), "{text}");
    let end = lines
        .iter()
        .position(|l| l.starts_with("END RequestId: "))
        .unwrap_or_else(|| panic!("no END line: {text}"));
    assert!(lines[end + 1].starts_with("REPORT RequestId: "), "{text}");
    lines[1..end].iter().map(|l| l.to_string()).collect()
}

// ----------------------------------------------------------------------------------------------
// Python

#[tokio::test]
async fn python_hello_answers_as_the_rust_example_and_prints_between_start_and_end() {
    let py = load(spec("python-hello"), "python-hello");
    assert_eq!(py.info().kind, FunctionKind::Handler);
    let rust = load_rust("hello");
    for event in [
        r#"{"name":"Gemini"}"#,
        "{}",
        r#"{"name":"민수 \"😀\""}"#,
        r#"{"rawPath":"/py/hello","queryStringParameters":{"name":"Ada"}}"#,
        r#"{"queryStringParameters":null}"#,
    ] {
        let (p, r) = (run(&py, event).await, run(&rust, event).await);
        assert_eq!(json(&p), json(&r), "event {event}");
    }
    let done = run(&py, r#"{"name":"Gemini"}"#).await;
    assert_eq!(guest_lines(&done), ["Hello function invoked for Gemini"]);
}

#[tokio::test]
async fn python_greet_answers_as_greet_query() {
    let py = load(spec("python-greet"), "python-greet");
    let rust = load_rust("greet-query");
    for event in [
        r#"{"queryStringParameters":{"name":"철수","age":"30"}}"#,
        r#"{"queryStringParameters":{"name":"철수","age":30}}"#,
        r#"{"queryStringParameters":null}"#,
        r#"{"queryStringParameters":{}}"#,
        "{}",
    ] {
        let (p, r) = (run(&py, event).await, run(&rust, event).await);
        assert!(p.outcome.is_ok(), "{event}: {:?}", p.outcome);
        assert_eq!(json(&p), json(&r), "event {event}");
    }
    let done = run(
        &py,
        r#"{"queryStringParameters":{"name":"철수","age":"30"}}"#,
    )
    .await;
    assert_eq!(
        json(&done)["body"],
        r#"{"message": "안녕하세요 철수님! 당신의 나이는 30세이군요."}"#,
        "Korean kept unescaped"
    );
}

#[tokio::test]
async fn python_s3_logger_answers_as_s3_logger() {
    let py = load(spec("python-s3-logger"), "python-s3-logger");
    let rust = load_rust("s3-logger");
    let event = fnhost_events::s3_event(
        fnhost_events::S3Change::Put,
        &fnhost_events::S3Object {
            bucket: "uploads".into(),
            key: "사진/red flower+1.jpg".into(),
            size: 10,
            etag: "x".into(),
            sequencer: "01".into(),
            time: chrono::Utc::now(),
        },
    )
    .to_string();
    let (p, r) = (run(&py, &event).await, run(&rust, &event).await);
    assert!(p.outcome.is_ok(), "{:?}", p.outcome);
    assert_eq!(json(&p), json(&r));
    assert_eq!(
        guest_lines(&p),
        ["새로운 파일이 감지되었습니다! 버킷: uploads, 파일명: 사진/red flower+1.jpg"]
    );
    assert_eq!(
        String::from_utf8_lossy(&p.log),
        String::from_utf8_lossy(&r.log)
    );
}

#[tokio::test]
async fn python_exception_has_lambdas_error_shape() {
    let f = load(spec("python-hostile"), "python-hostile");
    let done = run(&f, r#"{"do":"raise"}"#).await;
    assert_eq!(done.outcome.error_type(), Some("ValueError"));
    let out = json(&done);
    assert_eq!(out["errorMessage"], "value is required");
    assert_eq!(out["requestId"], done.request_id.as_str());
    let trace: Vec<&str> = out["stackTrace"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(trace.len(), 2, "{trace:?}");
    assert!(
        trace[0].starts_with(r#"  File "/var/task/lambda_function.py", line "#)
            && trace[0].ends_with(", in lambda_handler\n    return check(event.get(\"value\"))\n"),
        "{trace:?}"
    );
    assert!(
        trace[1].ends_with(", in check\n    raise ValueError(\"value is required\")\n"),
        "{trace:?}"
    );
    // print() output and the runtime's error line, in order, between START and END.
    let lines = guest_lines(&done);
    assert_eq!(lines[0], "python-hostile: raise");
    assert_eq!(lines[1], "[ERROR] ValueError: value is required");
    assert_eq!(lines[2], "Traceback (most recent call last):");

    let bad = run(&f, r#"{"do":"unserializable"}"#).await;
    assert_eq!(bad.outcome.error_type(), Some("Runtime.MarshalError"));
}

#[tokio::test]
async fn python_endless_loop_is_stopped_by_the_timeout() {
    let mut s = spec("python-hostile");
    s.timeout = secs(1);
    let f = load(s, "python-hostile");
    let started = Instant::now();
    let done = run(&f, r#"{"do":"loop"}"#).await;
    let took = started.elapsed();
    assert_eq!(done.outcome, Outcome::Timeout { timeout_s: 1.0 });
    assert!(took < Duration::from_secs(3), "took {took:?}");
    // What it printed before the loop is kept.
    assert_eq!(guest_lines(&done)[0], "python-hostile: loop");
}

#[tokio::test]
async fn python_memory_bomb_hits_the_cap() {
    let mut s = spec("python-hostile");
    s.timeout = secs(10);
    let f = load(s, "python-hostile");
    let done = run(&f, r#"{"do":"bomb"}"#).await;
    assert_eq!(done.outcome, Outcome::OutOfMemory { cap_mb: 128 });
    let peak = done.report.max_memory_used_mb;
    assert!(peak > 64 && peak <= 128, "peak {peak} MB");
    // The next event gets a fresh instance.
    let after = run(&f, r#"{"do":"nothing"}"#).await;
    assert_eq!(json(&after), json!({"ok": true}));
}

#[tokio::test]
async fn python_context_has_lambdas_attributes_and_remaining_time_decreases() {
    let mut s = spec("python-hostile");
    s.timeout = secs(5);
    s.memory_mb = 256;
    s.env = vec![("GREETING".into(), "annyeong".into())];
    let f = load(s, "python-hostile");
    let done = run(&f, r#"{"do":"context"}"#).await;
    let out = json(&done);
    assert_eq!(out["function_name"], "python-hostile");
    assert_eq!(out["function_version"], "$LATEST");
    assert_eq!(
        out["invoked_function_arn"],
        "arn:aws:lambda:us-east-1:000000000000:function:python-hostile"
    );
    assert_eq!(out["memory_limit_in_mb"], "256", "a string, as on Lambda");
    assert_eq!(out["aws_request_id"], done.request_id.as_str());
    assert_eq!(out["log_group_name"], "/aws/lambda/python-hostile");
    assert!(
        out["log_stream_name"]
            .as_str()
            .unwrap()
            .contains("/[$LATEST]")
    );
    assert_eq!(
        out["greeting"], "annyeong",
        "os.environ is the invocation's"
    );
    let (before, after) = (
        out["before"].as_u64().unwrap(),
        out["after"].as_u64().unwrap(),
    );
    assert!(before <= 5000 && before > 4000, "before = {before}");
    assert!(
        after < before,
        "remaining time decreases: {before} -> {after}"
    );
}

#[tokio::test]
async fn python_objects_module_raises_the_hosts_error() {
    let f = load(spec("python-hostile"), "python-hostile");
    let done = run(&f, r#"{"do":"objects"}"#).await;
    let out = json(&done);
    assert_eq!(out["error"], "NoSuchBucket");
    assert!(
        out["message"]
            .as_str()
            .unwrap()
            .contains(r#"objects.read = ["uploads"]"#),
        "{out}"
    );
}

// ----------------------------------------------------------------------------------------------
// JavaScript (QuickJS)

/// `<ISO time>\t<request id>\t<LEVEL>\t<message>`, Lambda's Node.js log format.
fn node_log_line<'a>(line: &'a str, request_id: &str, level: &str) -> &'a str {
    let parts: Vec<&str> = line.splitn(4, '\t').collect();
    assert_eq!(parts.len(), 4, "{line:?}");
    assert!(
        parts[0].len() == 24 && parts[0].ends_with('Z') && parts[0].as_bytes()[10] == b'T',
        "{line:?}"
    );
    assert_eq!((parts[1], parts[2]), (request_id, level), "{line:?}");
    parts[3]
}

#[tokio::test]
async fn js_hello_answers_and_console_log_goes_between_start_and_end() {
    let f = load(spec("js-hello"), "js-hello");
    assert_eq!(f.info().kind, FunctionKind::Handler);
    let done = run(&f, r#"{"name":"Gemini"}"#).await;
    assert_eq!(
        json(&done),
        json!({"statusCode": 200, "body": "{\"message\":\"Hello, Gemini! This is your first AWS Lambda function.\"}"})
    );
    let lines = guest_lines(&done);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert_eq!(
        node_log_line(&lines[0], &done.request_id, "INFO"),
        "Hello function invoked for Gemini"
    );
    let http = run(&f, r#"{"queryStringParameters":{"name":"Ada"}}"#).await;
    assert!(
        json(&http)["body"]
            .as_str()
            .unwrap()
            .contains("Hello, Ada!"),
        "behind an HTTP route the name comes from the query string"
    );
    let default = run(&f, "{}").await;
    assert!(
        json(&default)["body"]
            .as_str()
            .unwrap()
            .contains("Hello, World!")
    );
}

#[tokio::test]
async fn js_throw_has_nodes_error_shape() {
    let f = load(spec("js-throw"), "js-throw");
    let done = run(&f, r#"{"do":"throw","why":"no name"}"#).await;
    assert_eq!(done.outcome.error_type(), Some("ValidationError"));
    let out = json(&done);
    assert_eq!(out["errorMessage"], "bad input: no name");
    assert_eq!(out["requestId"], done.request_id.as_str());
    let trace = out["stackTrace"].as_array().unwrap();
    assert_eq!(trace[0], "ValidationError: bad input: no name");
    assert!(
        trace.len() >= 2
            && trace[1..]
                .iter()
                .all(|l| l.as_str().unwrap().starts_with("    at ")),
        "{trace:?}"
    );
    // console.log (CommonJS module, async handler) then the runtime's Invoke Error line.
    let lines = guest_lines(&done);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert_eq!(
        node_log_line(&lines[0], &done.request_id, "INFO"),
        "js-throw invoked with { do: 'throw', why: 'no name' }"
    );
    let logged = node_log_line(&lines[1], &done.request_id, "ERROR");
    let logged: Value =
        serde_json::from_str(logged.strip_prefix("Invoke Error \t").unwrap()).unwrap();
    assert_eq!(logged["errorType"], "ValidationError");
    assert_eq!(logged["stack"], out["stackTrace"]);

    // A rejected non-Error is reported by its type, as Node's runtime does.
    let rejected = run(&f, r#"{"do":"reject-string"}"#).await;
    assert_eq!(
        rejected.outcome,
        Outcome::FunctionError {
            error_type: "string".into(),
            message: "just a string".into(),
            stack_trace: vec![],
        }
    );
}

#[tokio::test]
async fn js_context_timers_and_remaining_time() {
    let mut s = spec("js-throw");
    s.timeout = secs(5);
    s.env = vec![("GREETING".into(), "annyeong".into())];
    let f = load(s, "js-throw");
    let done = run(&f, r#"{"do":"context"}"#).await;
    let out = json(&done);
    assert_eq!(out["functionName"], "js-throw");
    assert_eq!(out["functionVersion"], "$LATEST");
    assert_eq!(out["memoryLimitInMB"], "128");
    assert_eq!(out["awsRequestId"], done.request_id.as_str());
    assert_eq!(out["logGroupName"], "/aws/lambda/js-throw");
    assert_eq!(out["callbackWaitsForEmptyEventLoop"], true);
    assert_eq!(
        out["greeting"], "annyeong",
        "process.env is the invocation's"
    );
    let (before, after) = (
        out["before"].as_u64().unwrap(),
        out["after"].as_u64().unwrap(),
    );
    assert!(before <= 5000 && before > 4000, "before = {before}");
    // The handler awaited a 30 ms setTimeout in between: timers really wait.
    assert!(
        after + 25 <= before,
        "remaining time decreases: {before} -> {after}"
    );
}

#[tokio::test]
async fn js_endless_loop_is_stopped_by_the_timeout() {
    let mut s = spec("js-throw");
    s.timeout = secs(1);
    let f = load(s, "js-throw");
    let done = run(&f, r#"{"do":"loop"}"#).await;
    assert_eq!(done.outcome, Outcome::Timeout { timeout_s: 1.0 });
}

// ----------------------------------------------------------------------------------------------
// C (custom runtime)

#[tokio::test]
async fn c_hello_is_a_custom_runtime_answering_as_the_rust_example() {
    let c = load(spec("c-hello"), "c-hello");
    assert_eq!(c.info().kind, FunctionKind::Module);
    let rust = load_rust("hello");
    for event in [
        r#"{"name":"Gemini"}"#,
        "{}",
        r#"{"other":[1,{"name":"nested"}],"name":"민수 \"😀\"\n"}"#,
        r#"{"rawPath":"/c/hello","queryStringParameters":{"x":"1","name":"Ada"}}"#,
        r#"{"queryStringParameters":null,"name":null}"#,
        r#"{"name":""}"#,
    ] {
        let (c_done, r_done) = (run(&c, event).await, run(&rust, event).await);
        assert_eq!(c_done.payload(), r_done.payload(), "event {event}");
    }
    let done = run(&c, r#"{"name":"Gemini"}"#).await;
    assert_eq!(guest_lines(&done), ["Hello function invoked for Gemini"]);

    // Exit status 1 with Lambda's error object on stdout.
    let bad = run(&c, r#"{"name":42}"#).await;
    assert_eq!(
        bad.outcome,
        Outcome::FunctionError {
            error_type: "ValidationError".into(),
            message: "name must be a string".into(),
            stack_trace: vec![],
        }
    );
}
