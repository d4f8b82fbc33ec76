//! Greets the caller in Korean from API Gateway query parameters `name` and `age`.
//!
//! Like the Python original, a missing or null `queryStringParameters` counts as empty, and the
//! body is `json.dumps(..., ensure_ascii=False)`: a space after the colon, Korean kept as UTF-8.

use std::convert::Infallible;

use fnhost_sdk::Context;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The part of an API Gateway proxy event this function reads (works for v1 and v2 payloads).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct QueryEvent {
    query_string_parameters: Option<Map<String, Value>>,
}

#[derive(Serialize)]
struct Headers {
    #[serde(rename = "Content-Type")]
    content_type: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Response {
    status_code: u16,
    headers: Headers,
    body: String,
}

fn greet(event: QueryEvent, _ctx: &Context) -> Result<Response, Infallible> {
    let params = event.query_string_parameters.unwrap_or_default();
    let name = param(&params, "name").unwrap_or_else(|| "Guest".into());
    let age = param(&params, "age").unwrap_or_else(|| "unknown".into());
    let message = format!("안녕하세요 {name}님! 당신의 나이는 {age}세이군요.");
    let message = serde_json::to_string(&message).expect("a string always serializes");
    Ok(Response {
        status_code: 200,
        headers: Headers {
            content_type: "application/json; charset=utf-8",
        },
        body: format!(r#"{{"message": {message}}}"#),
    })
}

/// A query parameter as text; API Gateway sends strings, direct invokes may send numbers.
fn param(params: &Map<String, Value>, key: &str) -> Option<String> {
    match params.get(key)? {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fnhost_sdk::handler!(greet);

#[cfg(test)]
mod tests {
    use super::*;

    fn run(event: &str) -> String {
        fnhost_sdk::invoke(event, &Context::default(), greet).unwrap()
    }

    #[test]
    fn greets_with_name_and_age() {
        assert_eq!(
            run(r#"{"queryStringParameters":{"name":"민수","age":"30"}}"#),
            r#"{"statusCode":200,"headers":{"Content-Type":"application/json; charset=utf-8"},"body":"{\"message\": \"안녕하세요 민수님! 당신의 나이는 30세이군요.\"}"}"#
        );
    }

    #[test]
    fn missing_or_null_parameters_use_defaults() {
        let expected = r#"{"statusCode":200,"headers":{"Content-Type":"application/json; charset=utf-8"},"body":"{\"message\": \"안녕하세요 Guest님! 당신의 나이는 unknown세이군요.\"}"}"#;
        assert_eq!(run("{}"), expected);
        assert_eq!(run(r#"{"queryStringParameters":null}"#), expected);
        assert_eq!(run(r#"{"queryStringParameters":{}}"#), expected);
    }
}
