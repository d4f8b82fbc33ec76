//! Fixture for the file-watch trigger: prints one line per S3 record,
//!
//! `PROBE event=ObjectCreated:Put bucket=uploads key=<decoded key> size=N etag=E seq=S`,
//!
//! so tests count deliveries by key from the function's own output. Behaviour on request:
//! - a key containing `fail` makes the invocation fail (`ProbeFailure`), for retries and dead
//!   letters;
//! - with env `ECHO_BUCKET` set, every created object is copied to
//!   `<ECHO_BUCKET>/echo/<n+1>.txt`, where `n` is the number in the source key's `echo/<n>.txt`
//!   name (0 otherwise): a function that writes into the bucket that triggers it, for the loop
//!   guard.
//!
//! Returns `{"records": N}`.

use fnhost_sdk::events::S3Event;
use fnhost_sdk::{Context, Diagnostic, objects};
use serde_json::{Value, json};

fn probe(event: S3Event, _ctx: &Context) -> Result<Value, Diagnostic> {
    let echo = std::env::var("ECHO_BUCKET").ok();
    for record in &event.records {
        let name = record.event_name.as_deref().unwrap_or("?");
        let bucket = record.s3.bucket.name.as_deref().unwrap_or("?");
        let key = fnhost_sdk::url_decode_key(record.s3.object.key.as_deref().unwrap_or(""));
        println!(
            "PROBE event={name} bucket={bucket} key={key} size={} etag={} seq={}",
            record.s3.object.size.unwrap_or(-1),
            record.s3.object.e_tag.as_deref().unwrap_or("-"),
            record.s3.object.sequencer.as_deref().unwrap_or("-"),
        );
        if key.contains("fail") {
            return Err(Diagnostic::new(
                "ProbeFailure",
                format!("asked to fail on {key}"),
            ));
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
