//! fnhost's boto3 inside Python functions, through the real `fnhost up`: the tutorial's S3-read
//! handler on a bucket trigger (functions/python-s3-read), the S3 calls and their error codes,
//! transfers through `/tmp`, `boto3.client('lambda').invoke` calling a Rust function, and
//! logging in Lambda's format with boto3 loaded (functions/python-aws).
//!
//! The guests are packaged by `bash .ci/guests.sh` into `target/guests/`; the SDK modules are
//! guest-sdk/python/aws/ (unit tests: `python3 -m unittest discover -s guest-sdk/python/tests`).

use std::io::Write as _;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::up::{Server, function};

/// Buckets `uploads` (triggers), `data` (granted) and `secret` (never granted), quick events.
const BUCKETS: &str = "[bucket.uploads]\npath = \"uploads\"\n\n[bucket.data]\npath = \"data\"\n\n\
                       [bucket.secret]\npath = \"secret\"\n\n[events]\nquiet_ms = 300\nretry_delay_ms = 100\n";

/// Compile the Python guests into the shared artifact cache once, one at a time, before any
/// server starts (a Python component takes minutes to compile in a debug build, longer than a
/// server may take to start when several compile it at once).
fn compiled() {
    static READY: OnceLock<()> = OnceLock::new();
    READY.get_or_init(|| {
        crate::built();
        let dir = tempfile::tempdir().unwrap();
        let manifest = dir.path().join("fnhost.toml");
        let functions = function("python-aws", "python-aws", "")
            + &function("python-s3-read", "python-s3-read", "");
        std::fs::write(&manifest, format!("manifest_version = 1\n\n{functions}")).unwrap();
        for name in ["python-aws", "python-s3-read"] {
            let out = crate::fnhost(
                &[
                    "-f",
                    manifest.to_str().unwrap(),
                    "invoke",
                    name,
                    "-e",
                    "-",
                    "--no-build",
                ],
                Some(r#"{"op": "log"}"#),
                Some(&crate::root().join("target/test-state")),
            );
            assert!(
                matches!(out.status.code(), Some(0 | 1)),
                "{name} does not run: {}",
                crate::text(&out.stderr)
            );
        }
    });
}

fn server_with(events: &str, functions: &str) -> Server {
    compiled();
    Server::start_with_dirs(
        &format!("{BUCKETS}{events}\n{functions}"),
        &["uploads", "data", "secret"],
        &[],
    )
}

fn server(functions: &str) -> Server {
    server_with("", functions)
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

/// Wait until a log line of `function` (on the host's stdout) satisfies `matches`; that line.
fn await_log(
    server: &Server,
    function: &str,
    what: &str,
    matches: impl Fn(&str) -> bool,
) -> String {
    let deadline = Instant::now() + Duration::from_secs(20);
    let prefix = format!("{function}[");
    loop {
        let out = server.stdout();
        if let Some(line) = out.lines().find(|l| l.starts_with(&prefix) && matches(l)) {
            return line.to_owned();
        }
        assert!(
            Instant::now() < deadline,
            "no `{function}` log line {what}:\n{out}\nstderr:\n{}",
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

/// `python-aws` with read and write access to `data`, and `extra` manifest lines.
fn python_aws(extra: &str) -> String {
    function(
        "python-aws",
        "python-aws",
        &format!("objects = {{ read = [\"data\"], write = [\"data\"] }}\n{extra}"),
    )
}

#[tokio::test(flavor = "multi_thread")]
async fn tutorial_s3_read_in_python_logs_the_first_100_characters_of_a_dropped_file() {
    let functions = function(
        "python-s3-read",
        "python-s3-read",
        "objects = { read = [\"uploads\"] }\n\n[[function.python-s3-read.s3]]\nbucket = \"uploads\"\n\
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
    let expected = format!("] 파일 내용: {first_100}...");
    let line = await_log(
        &server,
        "python-s3-read",
        &format!("ending in {expected:?}"),
        |l| l.ends_with(&expected),
    );
    assert!(!line.contains(&content), "more than 100 characters: {line}");

    // The handler's return value, for an event naming that object (key encoded as S3 does).
    let (status, error, body) = invoke(
        &server,
        "python-s3-read",
        s3_event("uploads", "%EB%A9%94%EB%AA%A8+1.txt"),
    )
    .await;
    assert_eq!((status, error), (200, None), "{body}");
    assert_eq!(body, json!("파일 읽기 완료"));

    // A missing object: boto3's NoSuchKey becomes the function's error, as on Lambda.
    let (status, error, body) =
        invoke(&server, "python-s3-read", s3_event("uploads", "gone.txt")).await;
    assert_eq!(status, 200);
    assert_eq!(error.as_deref(), Some("Unhandled"));
    assert_eq!(body["errorType"], "NoSuchKey");
    assert_eq!(
        body["errorMessage"],
        "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."
    );
    let trace = body["stackTrace"].as_array().unwrap();
    assert!(
        trace[0]
            .as_str()
            .unwrap()
            .starts_with("  File \"/var/task/lambda_function.py\", line "),
        "{trace:?}"
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_errors_are_nosuchkey_404_nosuchbucket_and_accessdenied_with_the_grant_to_add() {
    let server = server(&python_aws(""));
    std::fs::write(server.dir.path().join("secret/secret.txt"), "top secret").unwrap();
    let v = call(
        &server,
        "python-aws",
        json!({"op": "errors", "bucket": "data", "denied": "secret"}),
    )
    .await;
    let shape = |class: &str, code: &str, status: u16, operation: &str| {
        json!({"class": class, "code": code, "status": status, "operation": operation,
               "no_such_key": code == "NoSuchKey"})
    };
    let without_text = |v: &Value| {
        let mut v = v.clone();
        let o = v.as_object_mut().unwrap();
        o.remove("message");
        o.remove("text");
        v
    };
    assert_eq!(
        without_text(&v["get_missing"]),
        shape("NoSuchKey", "NoSuchKey", 404, "GetObject"),
        "{v}"
    );
    assert_eq!(
        v["get_missing"]["text"],
        "An error occurred (NoSuchKey) when calling the GetObject operation: The specified key does not exist."
    );
    assert_eq!(v["caught_no_such_key"], "no/such/key.txt");
    // HeadObject has no error body: boto3 reports the status as the code.
    assert_eq!(
        without_text(&v["head_missing"]),
        shape("ClientError", "404", 404, "HeadObject"),
        "{v}"
    );
    assert_eq!(v["head_missing"]["message"], "Not Found");
    assert_eq!(
        without_text(&v["no_bucket"]),
        shape("NoSuchBucket", "NoSuchBucket", 404, "GetObject"),
        "{v}"
    );
    assert_eq!(
        without_text(&v["get_denied"]),
        shape("ClientError", "AccessDenied", 403, "GetObject"),
        "{v}"
    );
    assert_eq!(
        without_text(&v["put_denied"]),
        shape("ClientError", "AccessDenied", 403, "PutObject"),
        "{v}"
    );
    let read_hint = v["get_denied"]["message"].as_str().unwrap();
    assert!(
        read_hint.starts_with("Access Denied")
            && read_hint.contains(
                "add \"secret\" to `objects = { read = [...] }` in [function.python-aws]"
            ),
        "{read_hint}"
    );
    let write_hint = v["put_denied"]["message"].as_str().unwrap();
    assert!(
        write_hint.contains("`objects = { write = [...] }`"),
        "{write_hint}"
    );
    assert!(!server.dir.path().join("secret/x.txt").exists());
}

#[tokio::test(flavor = "multi_thread")]
async fn s3_calls_put_head_get_list_copy_and_delete_real_files() {
    let server = server(&python_aws(""));
    let v = call(
        &server,
        "python-aws",
        json!({"op": "objects", "bucket": "data"}),
    )
    .await;
    let data = server.dir.path().join("data");
    let a = std::fs::read(data.join("docs/a.txt")).unwrap();
    assert_eq!(a, "안녕 fnhost".as_bytes());
    let etag = format!("\"{}\"", md5_hex(&a));
    assert_eq!(v["put_etag"], etag);
    assert_eq!(
        v["head"],
        json!({"ContentLength": a.len(), "ContentType": "text/plain", "ETag": etag, "Metadata": {},
               "tz": "UTC", "year": v["head"]["year"]})
    );
    assert!(v["head"]["year"].as_u64().unwrap() >= 2025, "{v}");
    assert_eq!(v["text"], "안녕 fnhost");
    assert_eq!(v["get_status"], 200);
    assert_eq!(v["ranged"], json!([1, 2]));
    assert_eq!(v["content_range"], "bytes 1-2/4");
    assert_eq!(v["keys"], json!(["docs/a.txt", "docs/b.bin", "docs/e.txt"]));
    assert_eq!(v["prefixes"], json!(["docs/sub/"]));
    assert_eq!(v["key_count"], 4);
    assert_eq!(
        v["pages"],
        json!([
            ["docs/a.txt", "docs/b.bin"],
            ["docs/e.txt", "docs/sub/c.txt"],
            ["docs/sub/d.txt"]
        ])
    );
    assert_eq!(
        std::fs::read(data.join("copies/a copy.txt")).unwrap(),
        "안녕 fnhost".as_bytes()
    );
    assert_eq!(v["copy_etag"], etag);
    assert_eq!(
        v["copy_dict_etag"],
        format!("\"{}\"", md5_hex(&[0, 1, 2, 255]))
    );
    assert_eq!(v["copied"], "안녕 fnhost");
    assert_eq!(v["delete_status"], 204);
    assert!(!data.join("docs/b.bin").exists());
    assert_eq!(v["after_delete"]["code"], "404");

    let v = call(
        &server,
        "python-aws",
        json!({"op": "resource", "bucket": "data"}),
    )
    .await;
    assert_eq!(
        v,
        json!({"body": "one", "summaries": [["res/one.txt", 3], ["res/two.txt", 3]],
               "after_delete": ["res/two.txt"]})
    );
    assert!(!data.join("res/one.txt").exists());
    assert_eq!(std::fs::read(data.join("res/two.txt")).unwrap(), b"two");
}

#[tokio::test(flavor = "multi_thread")]
async fn download_file_and_upload_file_go_through_tmp() {
    let server = server(&python_aws(""));
    let data = server.dir.path().join("data");
    std::fs::create_dir_all(data.join("in")).unwrap();
    std::fs::write(data.join("in/note.txt"), "작은 메모").unwrap();
    let v = call(
        &server,
        "python-aws",
        json!({"op": "transfer", "bucket": "data", "key": "in/note.txt"}),
    )
    .await;
    assert_eq!(v["tempdir"], "/tmp");
    assert_eq!(v["downloaded"], "작은 메모");
    assert_eq!(v["uploaded"], "작은 메모".to_uppercase());
    assert_eq!(
        std::fs::read_to_string(data.join("uploaded/upper.txt")).unwrap(),
        "작은 메모".to_uppercase()
    );
    // boto3 HEADs before downloading: a missing key is a 404 from HeadObject, no file left.
    assert_eq!(v["download_missing"]["code"], "404", "{v}");
    assert_eq!(v["download_missing"]["operation"], "HeadObject");
    assert_eq!(v["left_in_tmp"], json!(["download.txt", "upload.txt"]));
}

#[tokio::test(flavor = "multi_thread")]
async fn lambda_invoke_calls_a_rust_function_sync_event_and_dry_run() {
    let functions = python_aws("invoke = [\"hello\", \"fails\", \"no-such-function\"]")
        + &function("hello", "hello", "")
        + &function("fails", "fails", "");
    let server = server(&functions);
    let v = call(
        &server,
        "python-aws",
        json!({"op": "invoke", "target": "hello", "failing": "fails", "name": "파이썬"}),
    )
    .await;
    assert_eq!(
        v["sync"],
        json!({
            "StatusCode": 200,
            "ExecutedVersion": "$LATEST",
            "FunctionError": null,
            "Payload": {
                "statusCode": 200,
                "body": "{\"message\": \"Hello, \\ud30c\\uc774\\uc36c! This is your first AWS Lambda function.\"}"
            }
        }),
        "{v}"
    );
    assert_eq!(v["event"], json!({"StatusCode": 202, "Payload": ""}));
    assert_eq!(
        v["dry_run"],
        json!({"StatusCode": 204, "keys": ["Payload", "StatusCode"]})
    );
    assert_eq!(v["failed"]["StatusCode"], 200);
    assert_eq!(v["failed"]["FunctionError"], "Unhandled");
    assert_eq!(v["failed"]["Payload"]["errorType"], "ValidationError");
    assert_eq!(v["failed"]["Payload"]["errorMessage"], "name is required");
    assert_eq!(v["missing"]["class"], "ResourceNotFoundException", "{v}");
    assert_eq!(v["missing"]["status"], 404);
    let unknown = v["unknown_service"].as_str().unwrap();
    assert!(
        unknown.starts_with("Unknown service: 'dynamodb'") && unknown.contains("lambda: invoke"),
        "{unknown}"
    );

    // The Event call ran too: `hello` logged twice (the synchronous call and the queued one).
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        let out = server.stdout();
        let runs = out
            .lines()
            .filter(|l| l.starts_with("hello[") && l.ends_with("Hello function invoked for 파이썬"))
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
async fn lambda_invoke_without_a_grant_is_access_denied_naming_the_line_to_add() {
    let functions = python_aws("") + &function("hello", "hello", "");
    let server = server(&functions);
    let v = call(
        &server,
        "python-aws",
        json!({"op": "invoke-denied", "target": "hello"}),
    )
    .await;
    let denied = &v["denied"];
    assert_eq!(denied["code"], "AccessDeniedException", "{v}");
    assert_eq!(denied["class"], "ClientError");
    assert_eq!(denied["status"], 403);
    assert_eq!(denied["operation"], "Invoke");
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

#[tokio::test(flavor = "multi_thread")]
async fn a_self_invoking_python_function_stops_at_the_loop_guard() {
    let server = server_with(
        "loop_hops = 4\n",
        &python_aws("invoke = [\"python-aws\"]\ntimeout_s = 30"),
    );
    let v = call(&server, "python-aws", json!({"op": "recurse"})).await;
    assert_eq!(v["code"], "RecursiveInvocationException", "{v}");
    let depth = v["stopped_at"].as_u64().unwrap();
    assert!((1..=4).contains(&depth), "stopped at depth {depth}: {v}");
}

#[tokio::test(flavor = "multi_thread")]
async fn logging_keeps_lambdas_format_with_boto3_loaded() {
    let server = server(&python_aws(""));
    let v = call(&server, "python-aws", json!({"op": "log"})).await;
    let id = v["request_id"].as_str().unwrap().to_owned();
    let line = await_log(&server, "python-aws", "from logger.info", |l| {
        l.ends_with(&format!("\t{id}\tboto3 1.40.0+fnhost and logging together"))
    });
    // `[INFO]\t2026-01-31T22:12:58.534Z\t<request id>\t<message>`, as AWS's Python runtime.
    let fields: Vec<&str> = line[line.find("[INFO]\t").expect("an [INFO] field")..]
        .split('\t')
        .collect();
    assert_eq!(fields.len(), 4, "{line}");
    assert_eq!(fields[0], "[INFO]");
    let ts = fields[1].as_bytes();
    assert_eq!(ts.len(), 24, "{line}");
    for (i, c) in ts.iter().enumerate() {
        match i {
            4 | 7 => assert_eq!(*c, b'-', "{line}"),
            10 => assert_eq!(*c, b'T', "{line}"),
            13 | 16 => assert_eq!(*c, b':', "{line}"),
            19 => assert_eq!(*c, b'.', "{line}"),
            23 => assert_eq!(*c, b'Z', "{line}"),
            _ => assert!(c.is_ascii_digit(), "{line}"),
        }
    }
    await_log(&server, "python-aws", "from the `app` logger", |l| {
        l.contains("[WARNING]\t") && l.ends_with(&format!("\t{id}\ta warning from app"))
    });
}
