//! The AWS SDK for JavaScript v3 inside JavaScript functions, through the real `fnhost up`:
//! the tutorial's S3-read handler on a bucket trigger (functions/js-s3-read), the S3 commands
//! and their error codes, and `InvokeCommand` calling a Rust function (functions/js-aws).
//!
//! The guests are packaged by `bash .ci/guests.sh` into `target/guests/`; the SDK modules are
//! guest-sdk/js/aws/ (unit tests: `node --test guest-sdk/js/test/*.test.mjs`).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::up::{Server, function};

/// Buckets `uploads` (triggers), `data` (granted) and `secret` (never granted), quick events.
const BUCKETS: &str = "[bucket.uploads]\npath = \"uploads\"\n\n[bucket.data]\npath = \"data\"\n\n\
                       [bucket.secret]\npath = \"secret\"\n\n[events]\nquiet_ms = 300\nretry_delay_ms = 100\n\n";

fn server(functions: &str) -> Server {
    Server::start_with_dirs(
        &format!("{BUCKETS}{functions}"),
        &["uploads", "data", "secret"],
        &[],
    )
}

/// Invoke `name` through the Lambda API of the admin listener: the status, the
/// `X-Amz-Function-Error` header and the JSON response.
async fn invoke(server: &Server, name: &str, event: Value) -> (u16, Option<String>, Value) {
    crate::up::invoke_api(server.admin, name, &event).await
}

/// Invoke and expect success: the response.
async fn call(server: &Server, name: &str, event: Value) -> Value {
    let (status, error, value) = invoke(server, name, event).await;
    assert_eq!((status, error), (200, None), "{name}: {value}");
    value
}

/// Wait until a log line of `function` (on the host's stdout) ends with `suffix`.
fn await_log(server: &Server, function: &str, suffix: &str) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let prefix = format!("{function}[");
    loop {
        let out = server.stdout();
        if let Some(line) = out
            .lines()
            .find(|l| l.starts_with(&prefix) && l.ends_with(suffix))
        {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no `{function}` log line ending in {suffix:?}:\n{out}\nstderr:\n{}",
            server.stderr()
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// The MD5 of `data` in hex, computed by md5sum (independently of the host).
fn md5_hex(data: &[u8]) -> String {
    let mut child = Command::new("md5sum")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .expect("md5sum");
    child.stdin.take().unwrap().write_all(data).unwrap();
    let out = child.wait_with_output().unwrap();
    String::from_utf8(out.stdout).unwrap()[..32].to_owned()
}

/// An S3 `ObjectCreated:Put` event for `bucket`/`key` (the key URL-encoded as S3 sends it).
fn s3_event(bucket: &str, key: &str) -> Value {
    json!({"Records": [{
        "eventSource": "aws:s3",
        "eventName": "ObjectCreated:Put",
        "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": 1}}
    }]})
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_s3_read_in_javascript_logs_the_first_100_characters_of_a_dropped_file() {
    let functions = function(
        "js-s3-read",
        "js-s3-read",
        "objects = { read = [\"uploads\"] }\n\n[[function.js-s3-read.s3]]\nbucket = \"uploads\"\n\
         events = [\"s3:ObjectCreated:*\"]",
    );
    let server = server(&functions);
    // 120 characters, most of them three UTF-8 bytes: the log shows the first 100 characters.
    let content = "안녕하세요 fnhost! 이 파일은 버킷에 떨어진 UTF-8 텍스트입니다. ".repeat(4);
    let first_100: String = content.chars().take(100).collect();
    assert!(content.chars().count() > 100);
    std::fs::write(
        server.dir.path().join("uploads/메모 1.txt"),
        content.as_bytes(),
    )
    .unwrap();
    let line = await_log(
        &server,
        "js-s3-read",
        &format!("\tINFO\t파일 내용: {first_100}..."),
    );
    assert!(!line.contains(&content), "more than 100 characters: {line}");

    // The handler's return value, for an event naming that object (key encoded as S3 does).
    let (status, error, body) = invoke(
        &server,
        "js-s3-read",
        s3_event("uploads", "%EB%A9%94%EB%AA%A8+1.txt"),
    )
    .await;
    assert_eq!((status, error), (200, None), "{body}");
    assert_eq!(body, json!("파일 읽기 완료"));

    // A missing object: the SDK's NoSuchKey becomes the function's error.
    let (status, error, body) =
        invoke(&server, "js-s3-read", s3_event("uploads", "gone.txt")).await;
    assert_eq!(status, 200);
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "NoSuchKey");
    assert_eq!(body["errorMessage"], "The specified key does not exist.");
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_errors_are_nosuchkey_notfound_nosuchbucket_and_accessdenied_with_the_grant_to_add() {
    let server = server(&function(
        "js-aws",
        "js-aws",
        "objects = { read = [\"data\"], write = [\"data\"] }",
    ));
    std::fs::write(server.dir.path().join("secret/secret.txt"), "top secret").unwrap();
    let v = call(
        &server,
        "js-aws",
        json!({"op": "errors", "bucket": "data", "denied": "secret"}),
    )
    .await;
    let shape = |name: &str, status: u16| {
        json!({"name": name, "fault": "client", "status": status, "s3": true, "lambda": false,
               "noSuchKey": name == "NoSuchKey", "notFound": name == "NotFound"})
    };
    let without_message = |v: &Value| {
        let mut v = v.clone();
        v.as_object_mut().unwrap().remove("message");
        v
    };
    assert_eq!(
        without_message(&v["getMissing"]),
        shape("NoSuchKey", 404),
        "{v}"
    );
    assert_eq!(
        v["getMissing"]["message"],
        "The specified key does not exist."
    );
    assert_eq!(
        without_message(&v["headMissing"]),
        shape("NotFound", 404),
        "{v}"
    );
    assert_eq!(
        without_message(&v["noBucket"]),
        shape("NoSuchBucket", 404),
        "{v}"
    );
    assert_eq!(
        without_message(&v["getDenied"]),
        shape("AccessDenied", 403),
        "{v}"
    );
    assert_eq!(
        without_message(&v["putDenied"]),
        shape("AccessDenied", 403),
        "{v}"
    );
    let read_hint = v["getDenied"]["message"].as_str().unwrap();
    assert!(
        read_hint.contains("objects = { read") && read_hint.contains("secret"),
        "{read_hint}"
    );
    let write_hint = v["putDenied"]["message"].as_str().unwrap();
    assert!(
        write_hint.contains("objects = { write") && write_hint.contains("secret"),
        "{write_hint}"
    );
    assert!(!server.dir.path().join("secret/x.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_commands_put_head_get_list_copy_and_delete_real_files() {
    let server = server(&function(
        "js-aws",
        "js-aws",
        "objects = { read = [\"data\"], write = [\"data\"] }",
    ));
    let v = call(
        &server,
        "js-aws",
        json!({"op": "objects", "bucket": "data"}),
    )
    .await;
    let data = server.dir.path().join("data");
    let a = std::fs::read(data.join("docs/a.txt")).unwrap();
    assert_eq!(a, "안녕 fnhost".as_bytes());
    let etag = format!("\"{}\"", md5_hex(&a));
    assert_eq!(v["putETag"], etag);
    assert_eq!(v["putStatus"], 200);
    let modified = std::fs::metadata(data.join("docs/a.txt"))
        .unwrap()
        .modified()
        .unwrap()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as i64;
    assert_eq!(v["head"]["lastModifiedMs"], modified, "{v}");
    assert_eq!(
        v["head"],
        json!({"ContentLength": a.len(), "ContentType": "text/plain", "ETag": etag,
               "lastModifiedIsDate": true, "lastModifiedMs": modified, "Metadata": {}})
    );
    assert_eq!(v["text"], "안녕 fnhost");
    assert_eq!(
        v["again"]["message"],
        "The stream has already been transformed."
    );
    assert_eq!(v["bytes"], json!([0, 1, 2, 255]));
    assert_eq!(v["bytesIsUint8Array"], true);
    assert_eq!(
        v["delimited"],
        json!({"keys": ["docs/a.txt", "docs/b.bin"], "prefixes": ["docs/sub/"], "KeyCount": 3,
               "IsTruncated": false})
    );
    assert_eq!(
        v["pages"],
        json!([{"keys": ["docs/a.txt", "docs/b.bin"], "IsTruncated": true},
               {"keys": ["docs/sub/c.txt", "docs/sub/d.txt"], "IsTruncated": false}])
    );
    assert_eq!(
        v["paged"],
        json!([
            ["docs/a.txt", "docs/b.bin", "docs/sub/c.txt"],
            ["docs/sub/d.txt"]
        ])
    );
    assert_eq!(
        std::fs::read(data.join("copies/a copy.txt")).unwrap(),
        "안녕 fnhost".as_bytes()
    );
    assert_eq!(v["copy"], json!({"ETag": etag, "lastModifiedIsDate": true}));
    assert_eq!(v["copiedText"], "안녕 fnhost");
    assert_eq!(v["deleteStatus"], 204);
    assert!(!data.join("docs/b.bin").exists());
    assert_eq!(v["afterDelete"]["name"], "NotFound");
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_command_calls_a_rust_function_sync_event_and_dry_run() {
    let functions = function(
        "js-aws",
        "js-aws",
        "invoke = [\"hello\", \"fails\", \"no-such-function\"]",
    ) + &function("hello", "hello", "")
        + &function("fails", "fails", "");
    let server = server(&functions);
    let v = call(
        &server,
        "js-aws",
        json!({"op": "invoke", "target": "hello", "failing": "fails", "name": "자바스크립트"}),
    )
    .await;
    assert_eq!(
        v["sync"],
        json!({
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "FunctionError": null,
            "payloadIsUint8Array": true,
            "Payload": {
                "statusCode": 200,
                "body": "{\"message\": \"Hello, \\uc790\\ubc14\\uc2a4\\ud06c\\ub9bd\\ud2b8! This is your first AWS Lambda function.\"}"
            }
        }),
        "{v}"
    );
    assert_eq!(v["event"], json!({"StatusCode": 202, "payloadLength": 0}));
    assert_eq!(v["dry"], json!({"StatusCode": 204}));
    assert_eq!(v["failed"]["StatusCode"], 200);
    assert_eq!(v["failed"]["FunctionError"], "Unhandled");
    assert_eq!(v["failed"]["Payload"]["errorType"], "ValidationError");
    assert_eq!(v["failed"]["Payload"]["errorMessage"], "name is required");
    assert_eq!(v["missing"]["name"], "ResourceNotFoundException", "{v}");
    assert_eq!(v["missing"]["status"], 404);
    assert_eq!(v["missing"]["lambda"], true);

    // The Event call ran too: `hello` logged twice (the synchronous call and the queued one).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = server.stdout();
        let runs = out
            .lines()
            .filter(|l| {
                l.starts_with("hello[") && l.ends_with("Hello function invoked for 자바스크립트")
            })
            .count();
        if runs == 2 {
            break;
        }
        assert!(
            runs < 2 && Instant::now() < deadline,
            "{runs} runs of hello:\n{out}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn invoke_command_without_a_grant_is_access_denied_naming_the_line_to_add() {
    let functions = function("js-aws", "js-aws", "") + &function("hello", "hello", "");
    let server = server(&functions);
    let v = call(
        &server,
        "js-aws",
        json!({"op": "invoke-denied", "target": "hello"}),
    )
    .await;
    let denied = &v["denied"];
    assert_eq!(denied["name"], "AccessDeniedException", "{v}");
    assert_eq!(denied["status"], 403);
    assert_eq!(denied["lambda"], true);
    assert!(
        denied["message"]
            .as_str()
            .unwrap()
            .contains("invoke = [\"hello\"]"),
        "{v}"
    );
    assert!(
        !server
            .stdout()
            .lines()
            .any(|l| l.starts_with("hello[") && l.contains("Hello function invoked")),
        "a denied call ran"
    );
}
