//! Functions in Python, JavaScript and C through the real binary: `fnhost invoke` and
//! `fnhost up` give the Lambda tutorials' responses and error shapes, and the guests' output
//! sits between START and END.
//!
//! The guests are built by `bash .ci/guests.sh` into `target/guests/` (`.ci/test` runs it first).
//! A missing one fails the tests; a stale one is rebuilt by `fnhost build` over the fixtures.

use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::up::{Server, get};
use crate::{built, fnhost, root, text};

/// Every non-Rust guest of `functions/fixtures.toml`.
const GUESTS: &[&str] = &[
    "python-hello",
    "python-greet",
    "python-s3-logger",
    "python-hostile",
    "js-hello",
    "js-throw",
    "c-hello",
];

const TUTORIAL_BODY: &str =
    r#"{"message": "Hello, Gemini! This is your first AWS Lambda function."}"#;

/// The guest in `functions/<name>`; a missing one fails with how to build it.
fn guest(name: &str) -> &'static Path {
    fnhost_test_programs::guest(name)
}

/// Artifacts are shared with the `fnhost up` tests and kept between runs: a Python component
/// takes seconds to compile.
fn state() -> PathBuf {
    root().join("target/test-state")
}

/// The guests exist (or the test fails saying how to build them), are fresh, and are compiled
/// into the shared state directory once, one at a time, before any test uses them.
fn guests_ready() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        for name in GUESTS {
            guest(name);
        }
        built();
        let dir = manifest(GUESTS.iter().map(|name| function(name, "")));
        for name in GUESTS {
            let out = invoke(&dir, name, "{}");
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{name} does not run: {}",
                text(&out.stderr)
            );
        }
    });
}

/// A `[function.NAME]` table for a guest in `target/guests/`, plus extra lines.
fn function(name: &str, extra: &str) -> String {
    format!(
        "[function.{name}]\nsource = {:?}\n{extra}\n",
        guest(name).to_string_lossy()
    )
}

/// A manifest of `functions` in a fresh directory.
fn manifest(functions: impl IntoIterator<Item = String>) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let text: String = functions.into_iter().collect();
    std::fs::write(
        dir.path().join("fnhost.toml"),
        format!("manifest_version = 1\n\n{text}"),
    )
    .unwrap();
    dir
}

fn invoke(dir: &tempfile::TempDir, name: &str, event: &str) -> Output {
    let manifest = dir.path().join("fnhost.toml");
    fnhost(
        &[
            "-f",
            manifest.to_str().unwrap(),
            "invoke",
            name,
            "-e",
            "-",
            "--no-build",
        ],
        Some(event),
        Some(&state()),
    )
}

/// Invoke one guest with its own manifest.
fn invoke_guest(name: &str, event: &str) -> Output {
    guests_ready();
    invoke(&manifest([function(name, "")]), name, event)
}

/// The function's own lines on stderr, checked to sit between START and END, END followed by
/// REPORT.
fn guest_lines(out: &Output) -> Vec<String> {
    let err = text(&out.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert!(lines[0].starts_with("START RequestId: "), "{err}");
    let end = lines
        .iter()
        .position(|l| l.starts_with("END RequestId: "))
        .unwrap_or_else(|| panic!("no END line: {err}"));
    assert!(lines[end + 1].starts_with("REPORT RequestId: "), "{err}");
    lines[1..end].iter().map(|l| l.to_string()).collect()
}

/// The request id of the START line.
fn request_id(out: &Output) -> String {
    let err = text(&out.stderr);
    let start = err.lines().next().unwrap();
    let id = start.strip_prefix("START RequestId: ").unwrap();
    id.split(' ').next().unwrap().to_string()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// Wait until the server's stdout has a line of `function` ending with `suffix`.
async fn await_log_line(server: &Server, function: &str, suffix: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    let prefix = format!("{function}[");
    loop {
        let out = server.stdout();
        if out
            .lines()
            .any(|l| l.starts_with(&prefix) && l.ends_with(suffix))
        {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "no `{function}` log line ending in {suffix:?}:\n{out}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

// ----------------------------------------------------------------------------------------------
// fnhost invoke

#[test]
fn python_hello_invoked_gives_the_tutorial_response_and_prints_between_start_and_end() {
    let out = invoke_guest("python-hello", r#"{"name": "Gemini"}"#);
    assert!(out.status.success(), "{}", text(&out.stderr));
    // Byte for byte what Lambda's Python runtime returns for the tutorial function.
    assert_eq!(
        text(&out.stdout),
        "{\"statusCode\": 200, \"body\": \"{\\\"message\\\": \\\"Hello, Gemini! This is your first AWS Lambda function.\\\"}\"}\n"
    );
    assert_eq!(json(&text(&out.stdout))["body"], TUTORIAL_BODY);
    assert_eq!(guest_lines(&out), ["Hello function invoked for Gemini"]);
}

#[test]
fn python_greet_invoked_keeps_korean_as_utf8() {
    let out = invoke_guest(
        "python-greet",
        r#"{"queryStringParameters": {"name": "철수", "age": "30"}}"#,
    );
    assert!(out.status.success(), "{}", text(&out.stderr));
    let v = json(&text(&out.stdout));
    assert_eq!(
        v["body"],
        r#"{"message": "안녕하세요 철수님! 당신의 나이는 30세이군요."}"#
    );
    assert_eq!(
        v["headers"]["Content-Type"],
        "application/json; charset=utf-8"
    );
}

#[test]
fn python_s3_logger_invoked_on_a_generated_event_logs_the_decoded_key() {
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
    assert!(event.status.success(), "{}", text(&event.stderr));
    let out = invoke_guest("python-s3-logger", &text(&event.stdout));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let body = json(json(&text(&out.stdout))["body"].as_str().unwrap());
    assert_eq!(
        body,
        json(r#"{"processed": 1, "files": [{"bucket": "photos", "key": "봄 사진.jpg"}]}"#)
    );
    assert_eq!(
        guest_lines(&out),
        ["새로운 파일이 감지되었습니다! 버킷: photos, 파일명: 봄 사진.jpg"]
    );
}

#[test]
fn python_exception_exits_1_with_lambdas_error_object() {
    let out = invoke_guest("python-hostile", r#"{"do": "raise"}"#);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(text(&out.stdout).trim());
    assert_eq!(v["errorType"], "ValueError", "the exception's class");
    assert_eq!(v["errorMessage"], "value is required");
    assert_eq!(v["requestId"], request_id(&out).as_str());
    let trace = v["stackTrace"].as_array().unwrap();
    assert_eq!(trace.len(), 2, "{trace:?}");
    assert!(
        trace[0]
            .as_str()
            .unwrap()
            .starts_with(r#"  File "/var/task/lambda_function.py", line "#),
        "{trace:?}"
    );
    // print() output, then the runtime's error line and the traceback, before END.
    let lines = guest_lines(&out);
    assert_eq!(lines[0], "python-hostile: raise");
    assert_eq!(lines[1], "[ERROR] ValueError: value is required");
    assert_eq!(lines[2], "Traceback (most recent call last):");
}

#[test]
fn js_throw_exits_1_with_nodes_error_object() {
    let out = invoke_guest("js-throw", r#"{"do": "throw", "why": "no name"}"#);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let v = json(text(&out.stdout).trim());
    assert_eq!(v["errorType"], "ValidationError", "the error's name");
    assert_eq!(v["errorMessage"], "bad input: no name");
    assert_eq!(v["requestId"], request_id(&out).as_str());
    let trace = v["stackTrace"].as_array().unwrap();
    assert_eq!(trace[0], "ValidationError: bad input: no name");
    assert!(
        trace.len() >= 2
            && trace[1..]
                .iter()
                .all(|l| l.as_str().unwrap().starts_with("    at ")),
        "{trace:?}"
    );
    // console.log in Lambda's Node.js format, then the runtime's Invoke Error line, before END.
    let id = request_id(&out);
    let lines = guest_lines(&out);
    assert_eq!(lines.len(), 2, "{lines:?}");
    assert!(
        lines[0].ends_with(&format!(
            "\t{id}\tINFO\tjs-throw invoked with {{ do: 'throw', why: 'no name' }}"
        )),
        "{lines:?}"
    );
    assert!(
        lines[1].contains(&format!("\t{id}\tERROR\tInvoke Error \t{{")),
        "{lines:?}"
    );
}

#[test]
fn js_and_c_hello_invoked_print_between_start_and_end() {
    let out = invoke_guest("js-hello", r#"{"name": "Gemini"}"#);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(
        json(&text(&out.stdout))["body"],
        r#"{"message":"Hello, Gemini! This is your first AWS Lambda function."}"#
    );
    let lines = guest_lines(&out);
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].ends_with("\tINFO\tHello function invoked for Gemini"),
        "{lines:?}"
    );

    let out = invoke_guest("c-hello", r#"{"name": "Gemini"}"#);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert_eq!(json(&text(&out.stdout))["body"], TUTORIAL_BODY);
    assert_eq!(guest_lines(&out), ["Hello function invoked for Gemini"]);
}

// ----------------------------------------------------------------------------------------------
// fnhost up

#[tokio::test(flavor = "multi_thread")]
async fn python_examples_answer_over_http_as_the_rust_ones_do() {
    guests_ready();
    let rust = |name: &str, route: &str| {
        format!(
            "[function.{name}]\nsource = {:?}\n[[function.{name}.http]]\nroute = \"{route}\"\n",
            guest(name).to_string_lossy()
        )
    };
    let functions = [
        function(
            "python-hello",
            "[[function.python-hello.http]]\nroute = \"/py/hello\"\nmethods = [\"GET\", \"POST\"]",
        ),
        function(
            "python-greet",
            "[[function.python-greet.http]]\nroute = \"/py/greet\"\nmethods = [\"GET\"]",
        ),
        rust("greet-query", "/greet"),
    ]
    .concat();
    let server = Server::start(&functions, &[]);

    let (status, headers, body) = get(&server.url("/py/hello?name=Gemini")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(body, TUTORIAL_BODY);
    await_log_line(
        &server,
        "python-hello",
        "] Hello function invoked for Gemini",
    )
    .await;

    let query = "?name=%EC%B2%A0%EC%88%98&age=30";
    let (status, headers, body) = get(&server.url(&format!("/py/greet{query}"))).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(headers["content-type"], "application/json; charset=utf-8");
    assert_eq!(
        body,
        r#"{"message": "안녕하세요 철수님! 당신의 나이는 30세이군요."}"#
    );
    let (_, rust_headers, rust_body) = get(&server.url(&format!("/greet{query}"))).await;
    assert_eq!(
        (&rust_headers["content-type"], &rust_body),
        (&headers["content-type"], &body)
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn js_and_c_hello_answer_over_http() {
    guests_ready();
    let functions = [
        function(
            "js-hello",
            "[[function.js-hello.http]]\nroute = \"/js/hello\"",
        ),
        function("c-hello", "[[function.c-hello.http]]\nroute = \"/c/hello\""),
    ]
    .concat();
    let server = Server::start(&functions, &[]);

    let (status, _, body) = get(&server.url("/js/hello?name=Gemini")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        body,
        r#"{"message":"Hello, Gemini! This is your first AWS Lambda function."}"#
    );
    await_log_line(
        &server,
        "js-hello",
        "\tINFO\tHello function invoked for Gemini",
    )
    .await;

    let (status, _, body) = get(&server.url("/c/hello?name=Gemini")).await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body, TUTORIAL_BODY);
    await_log_line(&server, "c-hello", "] Hello function invoked for Gemini").await;
    let (_, _, body) = get(&server.url("/c/hello")).await;
    assert_eq!(
        body,
        r#"{"message": "Hello, World! This is your first AWS Lambda function."}"#
    );
}

/// Every guest the tests rely on is in the fixture manifest, so `fnhost build` rebuilds it.
#[test]
fn every_guest_is_a_fixture() {
    let fixtures = std::fs::read_to_string(root().join("functions/fixtures.toml")).unwrap();
    for name in GUESTS {
        let source = format!("source = \"../target/guests/{name}.wasm\"");
        assert!(
            fixtures.contains(&format!("[function.{name}]")) && fixtures.contains(&source),
            "add `{name}` to functions/fixtures.toml with {source}"
        );
    }
}
