//! End-to-end tests of the real `fnhost` binary against the fixture manifest.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

mod admin_security;
mod aliases;
mod api;
mod balancer;
mod buckets_security;
mod cluster_balancer;
mod cluster_queue;
mod cluster_singletons;
mod cluster_sync;
mod console;
mod console_security;
mod deploy;
mod exec_calls;
mod exec_http_rust;
mod exec_js_aws;
mod exec_js_http;
mod exec_layers;
mod exec_python_aws;
mod exec_python_http;
mod exec_tmp;
mod fs_events;
mod fs_examples;
mod guest_security;
mod http_events;
mod http_limits;
mod http_reload;
mod http_security;
mod languages;
mod manifest_aliases;
mod new;
mod outbound;
mod outbound_server;
mod retention;
mod runtimes;
mod source_runtimes;
mod state_security;
mod store_url;
mod triggers;
mod up;
mod urls;

pub(crate) fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .unwrap()
}

fn fixtures() -> PathBuf {
    root().join("functions/fixtures.toml")
}

/// `fnhost build` over the fixtures, once per run (it is also what this exercises).
pub(crate) fn built() {
    static ONCE: OnceLock<()> = OnceLock::new();
    ONCE.get_or_init(|| {
        let out = fnhost(&["-f", fixtures().to_str().unwrap(), "build"], None, None);
        assert!(
            out.status.success(),
            "fnhost build: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    });
}

fn fnhost(args: &[&str], stdin: Option<&str>, state: Option<&Path>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_fnhost"));
    cmd.args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    if let Some(state) = state {
        cmd.env("FNHOST_STATE_DIR", state);
    }
    let mut child = cmd.spawn().expect("spawn fnhost");
    let mut input = child.stdin.take().unwrap();
    input.write_all(stdin.unwrap_or("").as_bytes()).unwrap();
    drop(input);
    child.wait_with_output().unwrap()
}

fn invoke(name: &str, event: &str, state: &Path, extra: &[&str]) -> Output {
    built();
    let f = fixtures();
    let mut args = vec!["-f", f.to_str().unwrap(), "invoke", name, "-e", "-"];
    args.extend_from_slice(extra);
    fnhost(&args, Some(event), Some(state))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn invoke_hello_prints_payload_on_stdout_and_framing_on_stderr() {
    let state = tempfile::tempdir().unwrap();
    let out = invoke("hello", r#"{"name":"Gemini"}"#, state.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        "{\"statusCode\":200,\"body\":\"{\\\"message\\\": \\\"Hello, Gemini! This is your first AWS Lambda function.\\\"}\"}\n"
    );
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("START RequestId: "), "{err}");
    assert_eq!(lines[1], "Hello function invoked for Gemini");
    assert!(lines[2].starts_with("END RequestId: "));
    assert!(lines[3].starts_with("REPORT RequestId: ") && lines[3].contains("\tBilled Duration: "));
}

#[test]
fn invoke_json_reports_outcome_and_cache_reuse_across_restarts() {
    let state = tempfile::tempdir().unwrap();
    let first = invoke(
        "greet-query",
        r#"{"queryStringParameters":{"name":"철수","age":"30"}}"#,
        state.path(),
        &["--json"],
    );
    assert!(first.status.success(), "{}", text(&first.stderr));
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["ok"], true);
    assert_eq!(v["load"]["cache"]["status"], "miss");
    assert_eq!(v["load"]["kind"], "handler");
    let body = v["payload"]["body"].as_str().unwrap();
    assert_eq!(
        body,
        r#"{"message": "안녕하세요 철수님! 당신의 나이는 30세이군요."}"#
    );
    assert!(v["report"]["initDuration"].as_f64().is_some());
    // A second process is a restart: the compiled artifact is reused, nothing is recompiled.
    let second = invoke("greet-query", "{}", state.path(), &["--json"]);
    let v: serde_json::Value = serde_json::from_slice(&second.stdout).unwrap();
    assert_eq!(v["load"]["cache"]["status"], "hit");
}

#[test]
fn function_errors_exit_1_with_lambdas_payload() {
    let state = tempfile::tempdir().unwrap();
    let out = invoke("fails", "{}", state.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let v: serde_json::Value = serde_json::from_str(text(&out.stdout).trim()).unwrap();
    assert_eq!(v["errorType"], "ValidationError");
    let out = invoke("hostile-loop", "{}", state.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out.stdout).contains("Task timed out after 1.00 seconds"));
    assert!(text(&out.stderr).contains("Task timed out after 1.00 seconds"));
}

#[test]
fn s3_logger_runs_on_a_generated_event() {
    let state = tempfile::tempdir().unwrap();
    let event = fnhost(
        &[
            "generate-event",
            "s3-put",
            "--bucket",
            "photos",
            "--key",
            "봄 사진.jpg",
        ],
        None,
        None,
    );
    assert!(event.status.success());
    let e: serde_json::Value = serde_json::from_slice(&event.stdout).unwrap();
    assert_eq!(
        e["Records"][0]["s3"]["object"]["key"],
        "%EB%B4%84+%EC%82%AC%EC%A7%84.jpg"
    );
    let out = invoke("s3-logger", &text(&event.stdout), state.path(), &[]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stderr)
            .contains("새로운 파일이 감지되었습니다! 버킷: photos, 파일명: 봄 사진.jpg")
    );
}

#[test]
fn generate_event_shapes() {
    let http = fnhost(
        &[
            "generate-event",
            "http",
            "--path",
            "/hello",
            "--query",
            "name=Ada",
        ],
        None,
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&http.stdout).unwrap();
    assert_eq!(v["version"], "2.0");
    assert_eq!(v["queryStringParameters"]["name"], "Ada");
    let v1 = fnhost(
        &[
            "generate-event",
            "http",
            "--v1",
            "--method",
            "POST",
            "--body",
            "{}",
        ],
        None,
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&v1.stdout).unwrap();
    assert_eq!(v["httpMethod"], "POST");
    let del = fnhost(&["generate-event", "s3-delete"], None, None);
    let v: serde_json::Value = serde_json::from_slice(&del.stdout).unwrap();
    assert_eq!(v["Records"][0]["eventName"], "ObjectRemoved:Delete");
    let sched = fnhost(
        &["generate-event", "schedule", "--rule", "nightly"],
        None,
        None,
    );
    let v: serde_json::Value = serde_json::from_slice(&sched.stdout).unwrap();
    assert_eq!(v["detail-type"], "Scheduled Event");
}

/// A one-line `error: ...` on stderr, exit 2, and no panic.
fn assert_clean_error(out: &Output, needle: &str) {
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert!(
        err.starts_with("error: ") && err.lines().count() == 1,
        "one line: {err}"
    );
    assert!(err.contains(needle), "`{needle}` in {err}");
    assert!(!err.contains("panicked"));
}

#[test]
fn bad_input_gets_one_line_errors() {
    let state = tempfile::tempdir().unwrap();
    assert_clean_error(
        &invoke("nope", "{}", state.path(), &[]),
        "no function `nope`",
    );
    assert_clean_error(
        &invoke("hello", "{oops", state.path(), &[]),
        "the event is not valid JSON",
    );

    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("junk.wasm"),
        b"\x00asm\x01\x00\x00\x00garbage",
    )
    .unwrap();
    std::fs::write(dir.path().join("text.wasm"), b"this is not wasm at all").unwrap();
    std::fs::write(dir.path().join("fnhost.toml"), "manifest_version = 1\n[function.junk]\nsource = \"junk.wasm\"\n[function.text]\nsource = \"text.wasm\"\n").unwrap();
    let m = dir.path().join("fnhost.toml");
    let run = |name: &str| {
        fnhost(
            &["-f", m.to_str().unwrap(), "invoke", name],
            None,
            Some(state.path()),
        )
    };
    assert_clean_error(&run("junk"), "failed to compile");
    assert_clean_error(&run("text"), "is not WebAssembly");

    std::fs::write(
        &m,
        "manifest_version = 1\n[function.junk]\nsource = \"junk.wasm\"\nmemroy_mb = 5\n",
    )
    .unwrap();
    assert_clean_error(&run("junk"), "fnhost.toml:4: unknown field `memroy_mb`");
}

#[test]
fn build_reports_fresh_functions_as_json() {
    built();
    let f = fixtures();
    let out = fnhost(
        &[
            "-f",
            f.to_str().unwrap(),
            "build",
            "hello",
            "echo-wat",
            "--json",
        ],
        None,
        None,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v[0]["name"], "hello");
    assert_eq!(v[0]["status"], "fresh");
    assert_eq!(v[1]["status"], "no-build");
}
