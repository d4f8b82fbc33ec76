//! Fixture for the file-watch trigger: prints one line per S3 record,
//!
//! `PROBE event=ObjectCreated:Put bucket=uploads key=<decoded key> size=N etag=E seq=S now_ms=T`
//! (`T`: the guest's clock when the handler started, for latency measurements),
//!
//! so tests count deliveries by key from the function's own output. Behaviour on request:
//! - a key containing the text of env `FAIL_ON` (default `fail`; empty = never) makes the
//!   invocation fail (`ProbeFailure`), for retries and dead letters;
//! - with env `ECHO_BUCKET` set, every created object is copied to
//!   `<ECHO_BUCKET>/echo/<n+1>.txt`, where `n` is the number in the source key's `echo/<n>.txt`
//!   name (0 otherwise): a function that writes into the bucket that triggers it, for the loop
//!   guard.
//!
//! - with env `MARK_BUCKET` set, every delivery also writes an empty object
//!   `<key>@<unique suffix>` there before the handler returns — a durable trace that survives
//!   the host being killed before its console output is flushed;
//! - with env `DELAY_MS` set, each record (and each scheduled run) takes that long (a slow consumer, so tests can kill
//!   the host in the middle of a burst).
//!
//! A scheduled event prints `SCHEDULED rule=<rule ARN> time=<event time> now_ms=<guest clock>`
//! instead, so tests can see that a schedule fires on time.
//!
//! Returns `{"records": N}`.

use fnhost_sdk::events::S3Event;
use fnhost_sdk::{Context, Diagnostic, objects};
use serde_json::{Value, json};

fn probe(event: Value, ctx: &Context) -> Result<Value, Diagnostic> {
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0.0, |d| d.as_micros() as f64 / 1000.0);
    let delay = std::env::var("DELAY_MS")
        .ok()
        .and_then(|ms| ms.parse().ok())
        .map(std::time::Duration::from_millis);
    if event.get("detail-type").is_some() {
        let now_ms = now_ms as u64;
        println!(
            "SCHEDULED rule={} time={} now_ms={now_ms}",
            event["resources"][0].as_str().unwrap_or("-"),
            event["time"].as_str().unwrap_or("-"),
        );
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        return Ok(json!({ "records": 0 }));
    }
    let event: S3Event = serde_json::from_value(event)
        .map_err(|e| Diagnostic::new("Runtime.UnmarshalError", e.to_string()))?;
    let echo = std::env::var("ECHO_BUCKET").ok();
    let mark = std::env::var("MARK_BUCKET").ok();
    let fail_on = std::env::var("FAIL_ON").unwrap_or_else(|_| "fail".to_owned());
    for record in &event.records {
        let name = record.event_name.as_deref().unwrap_or("?");
        let bucket = record.s3.bucket.name.as_deref().unwrap_or("?");
        let key = fnhost_sdk::url_decode_key(record.s3.object.key.as_deref().unwrap_or(""));
        println!(
            "PROBE event={name} bucket={bucket} key={key} size={} etag={} seq={} now_ms={now_ms:.3}",
            record.s3.object.size.unwrap_or(-1),
            record.s3.object.e_tag.as_deref().unwrap_or("-"),
            record.s3.object.sequencer.as_deref().unwrap_or("-"),
        );
        if let Some(delay) = delay {
            std::thread::sleep(delay);
        }
        if !fail_on.is_empty() && key.contains(&fail_on) {
            return Err(Diagnostic::new(
                "ProbeFailure",
                format!("asked to fail on {key}"),
            ));
        }
        if let Some(target) = &mark {
            let marker = format!("{key}@{}-{now_ms}", ctx.request_id);
            objects::put_object(target, &marker, b"")
                .map_err(|e| Diagnostic::new("MarkFailed", e.to_string()))?;
        }
        if let (Some(target), true) = (&echo, name.starts_with("ObjectCreated")) {
            let n: u64 = key
                .strip_prefix("echo/")
                .and_then(|k| k.strip_suffix(".txt"))
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let next = format!("echo/{}.txt", n + 1);
            objects::put_object(target, &next, next.as_bytes())
                .map_err(|e| Diagnostic::new("EchoFailed", e.to_string()))?;
        }
    }
    Ok(json!({ "records": event.records.len() }))
}

fnhost_sdk::handler!(probe);
