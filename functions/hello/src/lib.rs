//! Lambda's getting-started function: greets `event.name` (default `World`).
//!
//! Behind an HTTP route the event is API Gateway's, which has no top-level `name`; the name
//! then comes from the query string (`GET /hello?name=Ada`).
//!
//! The response matches the Python tutorial byte for byte, including the body, which is
//! `json.dumps` output: a space after the colon and non-ASCII escaped as `\uXXXX`.

use std::convert::Infallible;

use fnhost_sdk::Context;
use serde::{Deserialize, Serialize};

/// `{"name": "..."}`, or an API Gateway event with `?name=...`; other keys are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct HelloEvent {
    name: Option<String>,
    query_string_parameters: Option<Query>,
}

#[derive(Deserialize)]
struct Query {
    name: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status_code: u16,
    body: String,
}

fn hello(event: HelloEvent, _ctx: &Context) -> Result<Response, Infallible> {
    let from_query = event.query_string_parameters.and_then(|q| q.name);
    let name = event.name.or(from_query);
    let name = name.as_deref().unwrap_or("World");
    println!("Hello function invoked for {name}");
    let message = format!("Hello, {name}! This is your first AWS Lambda function.");
    Ok(Response {
        status_code: 200,
        body: format!(r#"{{"message": {}}}"#, python_json_string(&message)),
    })
}

/// `message` as Python's `json.dumps` writes a string: JSON-escaped, with every character outside
/// printable ASCII as `\uXXXX` (UTF-16 units, lowercase hex), since `ensure_ascii` is on by default.
fn python_json_string(message: &str) -> String {
    let escaped = serde_json::to_string(message).expect("a string always serializes");
    let mut out = String::with_capacity(escaped.len());
    for c in escaped.chars() {
        if c.is_ascii() && c != '\x7f' {
            out.push(c);
        } else {
            for unit in c.encode_utf16(&mut [0; 2]) {
                out.push_str(&format!("\\u{unit:04x}"));
            }
        }
    }
    out
}

fnhost_sdk::handler!(hello);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(event: &str) -> String {
        fnhost_sdk::invoke(event, &Context::default(), hello).unwrap()
    }

    #[test]
    fn greets_by_name() {
        assert_eq!(
            run(r#"{"name":"Ann"}"#),
            r#"{"statusCode":200,"body":"{\"message\": \"Hello, Ann! This is your first AWS Lambda function.\"}"}"#
        );
    }

    #[test]
    fn reads_the_name_from_an_http_query_string() {
        assert_eq!(
            run(r#"{"rawPath":"/hello","queryStringParameters":{"name":"Ada"}}"#),
            r#"{"statusCode":200,"body":"{\"message\": \"Hello, Ada! This is your first AWS Lambda function.\"}"}"#
        );
    }

    #[test]
    fn defaults_to_world() {
        assert_eq!(
            run("{}"),
            r#"{"statusCode":200,"body":"{\"message\": \"Hello, World! This is your first AWS Lambda function.\"}"}"#
        );
    }

    #[test]
    fn escapes_like_python_json_dumps() {
        // json.dumps({"message": "민수 \"😀\""}) == '{"message": "\\ubbfc\\uc218 \\"\\ud83d\\ude00\\""}'
        assert_eq!(
            python_json_string("민수 \"😀\""),
            r#""\ubbfc\uc218 \"\ud83d\ude00\"""#
        );
    }
}
