//! The tutorial examples and the custom-runtime conventions.

use fnhost_runtime::{FunctionKind, Outcome};
use serde_json::json;

use crate::support::*;

#[tokio::test]
async fn hello_returns_the_tutorial_response_and_logs_between_start_and_end() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("hello"), "hello");
    assert_eq!(f.info().kind, FunctionKind::Handler);
    let done = invoke(&rt, &f, r#"{"name":"Gemini"}"#).await;
    assert_eq!(
        json(&done),
        json!({"statusCode":200,"body":"{\"message\": \"Hello, Gemini! This is your first AWS Lambda function.\"}"})
    );
    let log = done.log_text();
    let lines: Vec<&str> = log.lines().collect();
    assert!(lines[0].starts_with("START RequestId: ") && lines[0].ends_with(" Version: $LATEST"));
    assert_eq!(lines[1], "Hello function invoked for Gemini");
    assert!(lines[2].starts_with("END RequestId: "));
    assert!(lines[3].starts_with("REPORT RequestId: "));
    assert!(lines[3].contains("\tMemory Size: 128 MB\tMax Memory Used: "));
    assert!(
        lines[3].contains("\tInit Duration: "),
        "first call reports init: {}",
        lines[3]
    );
    // Max Memory Used is measured, not the configured size.
    assert!(done.report.max_memory_used_mb >= 1 && done.report.max_memory_used_mb < 128);

    let again = invoke(&rt, &f, "{}").await;
    assert!(
        again.report.init_duration.is_none(),
        "init is reported once"
    );
    assert!(
        json(&again)["body"]
            .as_str()
            .unwrap()
            .contains("Hello, World!"),
        "default name"
    );
}

#[tokio::test]
async fn greet_query_keeps_korean_unescaped() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("greet-query"), "greet-query");
    let done = invoke(
        &rt,
        &f,
        r#"{"queryStringParameters":{"name":"철수","age":"30"}}"#,
    )
    .await;
    let body = json(&done)["body"].as_str().unwrap().to_owned();
    assert_eq!(
        body,
        r#"{"message": "안녕하세요 철수님! 당신의 나이는 30세이군요."}"#
    );
    let defaults = invoke(&rt, &f, r#"{"queryStringParameters":null}"#).await;
    assert!(
        json(&defaults)["body"]
            .as_str()
            .unwrap()
            .contains("Guest님! 당신의 나이는 unknown세")
    );
}

#[tokio::test]
async fn s3_logger_logs_bucket_and_decoded_key() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("s3-logger"), "s3-logger");
    let event = fnhost_events::s3_event(
        fnhost_events::S3Change::Put,
        &fnhost_events::S3Object {
            bucket: "uploads".into(),
            key: "사진/red flower.jpg".into(),
            size: 10,
            etag: "x".into(),
            sequencer: "01".into(),
            time: chrono::Utc::now(),
        },
    );
    let done = invoke(&rt, &f, &event.to_string()).await;
    assert!(done.outcome.is_ok(), "{:?}", done.outcome);
    let log = String::from_utf8_lossy(&done.log).into_owned();
    assert!(
        log.contains("새로운 파일이 감지되었습니다! 버킷: uploads, 파일명: 사진/red flower.jpg"),
        "log: {log}"
    );
}

#[tokio::test]
async fn context_fields_env_and_remaining_time() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("context-echo");
    s.memory_mb = 256;
    s.timeout = secs(5);
    s.env = vec![("GREETING".into(), "annyeong".into())];
    let f = load(&rt, s, "context-echo");
    let done = invoke(&rt, &f, r#"{"k":1}"#).await;
    let out = json(&done);
    assert_eq!(out["functionName"], "context-echo");
    assert_eq!(out["functionVersion"], "$LATEST");
    assert_eq!(out["memoryLimitMb"], 256);
    assert_eq!(out["requestId"], done.request_id.as_str());
    assert_eq!(
        out["invokedFunctionArn"],
        "arn:aws:lambda:us-east-1:000000000000:function:context-echo"
    );
    assert_eq!(out["logGroupName"], "/aws/lambda/context-echo");
    assert!(
        out["logStreamName"]
            .as_str()
            .unwrap()
            .contains("/[$LATEST]")
    );
    assert_eq!(out["greeting"], "annyeong");
    assert_eq!(out["event"], json!({"k":1}));
    let before = out["remainingMsBefore"].as_u64().unwrap();
    let after = out["remainingMsAfter"].as_u64().unwrap();
    assert!(before <= 5000 && before > 4000, "before = {before}");
    assert!(
        after < before,
        "remaining time decreases: {before} -> {after}"
    );
}

#[tokio::test]
async fn guest_error_has_lambdas_shape() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("fails"), "fails");
    let done = invoke(&rt, &f, "{}").await;
    assert_eq!(done.outcome.error_type(), Some("ValidationError"));
    let out = json(&done);
    assert_eq!(out["errorMessage"], "name is required");
    assert_eq!(out["requestId"], done.request_id.as_str());
    assert!(out["stackTrace"].as_array().is_some_and(|t| !t.is_empty()));
    // A wrongly typed event is the SDK's unmarshal error, not a crash.
    let hello = load(&rt, spec("hello"), "hello");
    let bad = invoke(&rt, &hello, r#"{"name": 42}"#).await;
    assert_eq!(bad.outcome.error_type(), Some("Runtime.UnmarshalError"));
}

#[tokio::test]
async fn custom_runtime_command_component() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = load(&rt, spec("custom-echo"), "custom-echo");
    assert_eq!(f.info().kind, FunctionKind::Command);
    let done = invoke(&rt, &f, r#"{"x":"y"}"#).await;
    let out = json(&done);
    assert_eq!(out["echo"], json!({"x":"y"}));
    assert_eq!(out["requestId"], done.request_id.as_str());
    assert_eq!(out["functionName"], "custom-echo");
    assert_eq!(out["memoryMb"], 128);
    assert!(String::from_utf8_lossy(&done.log).contains("custom-echo"));

    // Non-zero exit with error JSON on stdout = the function's own error.
    let failed = invoke(&rt, &f, r#"{"fail":true}"#).await;
    assert_eq!(
        failed.outcome,
        Outcome::FunctionError {
            error_type: "CustomError".into(),
            message: "asked to fail".into(),
            stack_trace: vec![]
        }
    );
}

#[tokio::test]
async fn custom_runtime_wat_core_module() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let f = rt.load(spec("echo-wat"), wasm("echo-wat")).unwrap();
    assert_eq!(f.info().kind, FunctionKind::Module);
    let event = r#"{"hello":"세계"}"#;
    let done = invoke(&rt, &f, event).await;
    assert_eq!(done.outcome, Outcome::Ok(event.as_bytes().to_vec().into()));
    assert_eq!(String::from_utf8_lossy(&done.log), "echo-wat: done\n");
}

#[tokio::test]
async fn fuel_is_metered_and_reported() {
    let dir = tempfile::tempdir().unwrap();
    let rt = runtime(dir.path());
    let mut s = spec("cpu-burn");
    s.fuel = Some(5_000_000_000);
    let f = load(&rt, s, "cpu-burn");
    let done = invoke(&rt, &f, r#"{"n":20000}"#).await;
    assert_eq!(json(&done), json!({"primes": 2262}));
    let used = done.report.fuel_consumed.expect("metered");
    assert!(used > 0 && used < 5_000_000_000);
    assert!(
        done.report
            .report_line()
            .contains(&format!("\tFuel Consumed: {used}\t"))
    );

    let unmetered = load(&rt, spec("cpu-burn"), "cpu-burn");
    let plain = invoke(&rt, &unmetered, r#"{"n":20000}"#).await;
    assert_eq!(plain.report.fuel_consumed, None);
}
