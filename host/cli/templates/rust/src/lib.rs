//! {{name}}: Lambda's getting-started function in Rust. Greets `event.name` (default World).
//!
//! Run it:    fnhost invoke {{name}} -e events/{{name}}.json   (builds first when stale)
//! Behind an HTTP route or a function URL the event is API Gateway's, which has no top-level
//! `name`; the name then comes from the query string (`?name=Ada`).

use fnhost_sdk::Context;
use serde::{Deserialize, Serialize};

/// `{"name": "..."}`, or an API Gateway event with `?name=...`; other keys are ignored.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Event {
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

fn handler(event: Event, _ctx: &Context) -> Result<Response, serde_json::Error> {
    let from_query = event.query_string_parameters.and_then(|q| q.name);
    let name = event.name.or(from_query).unwrap_or_else(|| "World".to_owned());
    println!("Hello function invoked for {name}");
    let message = format!("Hello, {name}! This is your first AWS Lambda function.");
    Ok(Response {
        status_code: 200,
        body: format!(r#"{{"message": {}}}"#, serde_json::to_string(&message)?),
    })
}

fnhost_sdk::handler!(handler);
