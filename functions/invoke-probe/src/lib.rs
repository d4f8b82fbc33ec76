//! Fixture: functions calling functions through the host (`fnhost_sdk::functions::invoke`) and
//! server-side copies (`objects::copy_object`). Every call's answer or error comes back in the
//! response (never as a function error), so tests can read codes and messages.
//!
//! Events:
//! * `{"call": NAME, "type": "RequestResponse"|"Event"|"DryRun", "payload": {...},
//!   "qualifier": Q?, "tail": bool?}`: makes the call; answers `{"status", "functionError",
//!   "executedVersion", "payload", "logResult", "callerRemainingMs"}` or `{"error", "message"}`.
//!   A payload of `"$event"` forwards this very event (a function calling itself for ever).
//! * `{"recurse": NAME, "depth": N}`: calls `NAME` (itself) synchronously with depth `N + 1`
//!   until the host refuses; the innermost answers `{"stoppedAt": N, "error", "message"}` and
//!   every level passes that answer up.
//! * `{"remaining": true}`: answers `{"remainingMs"}`, this invocation's time left.
//! * `{"copy": [SRC_BUCKET, SRC_KEY, BUCKET, KEY]}`: answers the new object's
//!   `{"key", "size", "etag"}` or `{"error", "message"}`.
//! * anything else is echoed back.

use std::convert::Infallible;

use fnhost_sdk::Context;
use fnhost_sdk::functions::{self, InvocationType, InvokeError};
use fnhost_sdk::objects;
use serde_json::{Value, json};

fn refused(e: &InvokeError) -> Value {
    json!({"error": e.code(), "message": e.message()})
}

fn call(event: &Value, ctx: &Context) -> Value {
    let name = event["call"].as_str().unwrap_or_default();
    let kind = match event["type"].as_str().unwrap_or("RequestResponse") {
        "Event" => InvocationType::Event,
        "DryRun" => InvocationType::DryRun,
        _ => InvocationType::RequestResponse,
    };
    let payload = match &event["payload"] {
        Value::Null => Vec::new(),
        // The call forwards this very event: a function that keeps calling itself.
        Value::String(raw) if raw == "$event" => event.to_string().into_bytes(),
        Value::String(raw) => raw.clone().into_bytes(),
        other => other.to_string().into_bytes(),
    };
    let remaining = ctx.remaining_time().as_millis() as u64;
    let mut invoke = functions::Invoke::new(name, &payload, kind)
        .log_tail(event["tail"].as_bool().unwrap_or(false));
    if let Some(q) = event["qualifier"].as_str() {
        invoke = invoke.qualifier(q);
    }
    match invoke.send() {
        Ok(r) => json!({
            "status": r.status_code,
            "functionError": r.function_error,
            "executedVersion": r.executed_version,
            "payload": r.json::<Value>().unwrap_or_else(|_| json!(String::from_utf8_lossy(&r.payload))),
            "logResult": r.log_result,
            "callerRemainingMs": remaining,
        }),
        Err(e) => refused(&e),
    }
}

fn recurse(event: &Value) -> Value {
    let name = event["recurse"].as_str().unwrap_or_default();
    let depth = event["depth"].as_u64().unwrap_or(0);
    let next = json!({"recurse": name, "depth": depth + 1}).to_string();
    match functions::invoke(name, next.as_bytes(), InvocationType::RequestResponse) {
        Ok(r) => r.json::<Value>().unwrap_or_else(
            |_| json!({"depth": depth, "unparsed": String::from_utf8_lossy(&r.payload)}),
        ),
        Err(e) => json!({"stoppedAt": depth, "error": e.code(), "message": e.message()}),
    }
}

fn copy(args: &Value) -> Value {
    let arg = |i: usize| args[i].as_str().unwrap_or_default();
    match objects::copy_object(arg(0), arg(1), arg(2), arg(3)) {
        Ok(info) => json!({"key": info.key, "size": info.size, "etag": info.etag}),
        Err(e) => json!({"error": e.code(), "message": e.message()}),
    }
}

fn handler(event: Value, ctx: &Context) -> Result<Value, Infallible> {
    Ok(if event.get("call").is_some() {
        call(&event, ctx)
    } else if event.get("recurse").is_some() {
        recurse(&event)
    } else if event.get("remaining").is_some() {
        json!({"remainingMs": ctx.remaining_time().as_millis() as u64})
    } else if let Some(args) = event.get("copy") {
        copy(args)
    } else {
        event
    })
}

fnhost_sdk::handler!(handler);
