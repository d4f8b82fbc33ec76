//! Test fixture for the HTTP trigger: answers an API Gateway proxy event (payload 1.0 or 2.0)
//! with a proxy response whose body is the event it received, so tests can check every field
//! fnhost put in. Query parameters change the answer:
//!
//! - `status=N`: that status code; `header=NAME:VALUE` adds a header, `cookie=C` a cookie
//!   (2.0) or a `Set-Cookie` in `multiValueHeaders` (1.0).
//! - `mode=binary`: the request body back, byte for byte, base64-encoded with
//!   `isBase64Encoded` (`application/octet-stream`).
//! - `mode=plain`: the event itself, not a proxy response (2.0 infers a 200; 1.0 must 502).
//! - `mode=malformed`: `{"statusCode": "teapot"}`, which no gateway accepts.
//! - `mode=error`: a function error.
//! - `sleep_ms=N`: sleep that long first (a blocking WASI clock call).

use std::time::Duration;

use fnhost_sdk::{Context, Diagnostic};
use serde_json::{Map, Value, json};

fn param<'a>(event: &'a Value, name: &str) -> Option<&'a str> {
    let query = event.get("queryStringParameters")?.as_object()?;
    query.get(name)?.as_str()
}

fn echo(event: Value, _ctx: &Context) -> Result<Value, Diagnostic> {
    if let Some(ms) = param(&event, "sleep_ms").and_then(|s| s.parse::<u64>().ok()) {
        std::thread::sleep(Duration::from_millis(ms));
    }
    let v1 = event.get("httpMethod").is_some();
    match param(&event, "mode") {
        Some("plain") => return Ok(event),
        Some("malformed") => return Ok(json!({"statusCode": "teapot"})),
        Some("error") => return Err(Diagnostic::from("echo was asked to fail")),
        Some("binary") => {
            let body = event.get("body").cloned().unwrap_or(Value::Null);
            let encoded = event
                .get("isBase64Encoded")
                .and_then(Value::as_bool)
                .unwrap_or(false);
            // Text bodies arrive as text; send them back as base64 all the same.
            let body = match (body, encoded) {
                (Value::String(b64), true) => b64,
                (Value::String(text), false) => base64(text.as_bytes()),
                _ => String::new(),
            };
            return Ok(json!({
                "statusCode": 200,
                "headers": {"content-type": "application/octet-stream"},
                "body": body,
                "isBase64Encoded": true,
            }));
        }
        _ => {}
    }
    let status = param(&event, "status")
        .and_then(|s| s.parse::<u16>().ok())
        .unwrap_or(200);
    let mut headers = Map::new();
    headers.insert("content-type".into(), json!("application/json"));
    if let Some((name, value)) = param(&event, "header").and_then(|h| h.split_once(':')) {
        headers.insert(name.into(), json!(value));
    }
    println!("echo {} {}", status, if v1 { "1.0" } else { "2.0" });
    let mut response = json!({
        "statusCode": status,
        "headers": headers,
        "body": event.to_string(),
        "isBase64Encoded": false,
    });
    if let Some(cookie) = param(&event, "cookie") {
        if v1 {
            response["multiValueHeaders"] = json!({"Set-Cookie": [cookie, "second=2"]});
        } else {
            response["cookies"] = json!([cookie, "second=2"]);
        }
    }
    Ok(response)
}

fn base64(bytes: &[u8]) -> String {
    const TABLE: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = (u32::from(chunk[0]) << 16)
            | (u32::from(*chunk.get(1).unwrap_or(&0)) << 8)
            | u32::from(*chunk.get(2).unwrap_or(&0));
        for i in 0..4 {
            out.push(if i <= chunk.len() {
                TABLE[(n >> (18 - 6 * i)) as usize & 63] as char
            } else {
                '='
            });
        }
    }
    out
}

fnhost_sdk::handler!(echo);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(event: Value) -> Result<Value, String> {
        fnhost_sdk::invoke(&event.to_string(), &Context::default(), echo)
            .map(|s| serde_json::from_str(&s).unwrap())
            .map_err(|e| format!("{e:?}"))
    }

    #[test]
    fn echoes_the_event_as_the_body() {
        let event =
            json!({"rawPath": "/x", "queryStringParameters": {"status": "201", "header": "x-a:b"}});
        let out = run(event.clone()).unwrap();
        assert_eq!(out["statusCode"], 201);
        assert_eq!(out["headers"]["x-a"], "b");
        assert_eq!(out["body"].as_str().unwrap(), event.to_string());
    }

    #[test]
    fn binary_bodies_come_back_base64() {
        let event = json!({"body": "AAH/", "isBase64Encoded": true, "queryStringParameters": {"mode": "binary"}});
        assert_eq!(run(event).unwrap()["body"], "AAH/");
        let event = json!({"body": "hi", "queryStringParameters": {"mode": "binary"}});
        assert_eq!(run(event).unwrap()["body"], "aGk=");
    }

    #[test]
    fn modes() {
        let mode = |m: &str| json!({"queryStringParameters": {"mode": m}});
        assert_eq!(run(mode("malformed")).unwrap()["statusCode"], "teapot");
        assert!(run(mode("error")).is_err());
        assert_eq!(run(mode("plain")).unwrap(), mode("plain"));
    }
}
