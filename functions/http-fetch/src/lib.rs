//! Fixture and example: one outbound HTTP request with `fnhost_sdk::http`.
//!
//! Event: `{"url": "...", "method": "GET", "headers": {"name": "value"}, "body": "...",
//! "timeout_ms": n, "redirects": n}`; only `url` is required. Answers `{"status", "headers",
//! "body", "bytes"}`: the headers as an object (a repeated name keeps its last value), the body
//! as text and its length in bytes. A failed request is a function error of type `HttpError`
//! whose message is the client's (the host's own sentence when it refused the request).

use std::collections::BTreeMap;
use std::time::Duration;

use fnhost_sdk::http::{Method, Request};
use fnhost_sdk::{Context, Diagnostic};
use serde::{Deserialize, Serialize};

#[derive(Deserialize)]
struct Fetch {
    url: String,
    method: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
    body: Option<String>,
    timeout_ms: Option<u64>,
    redirects: Option<u32>,
}

#[derive(Serialize)]
struct Fetched {
    status: u16,
    headers: BTreeMap<String, String>,
    body: String,
    bytes: usize,
}

fn fetch(event: Fetch, _ctx: &Context) -> Result<Fetched, Diagnostic> {
    let method = Method::from(event.method.as_deref().unwrap_or("GET"));
    let mut request = Request::new(method, event.url);
    for (name, value) in event.headers {
        request = request.header(name, value);
    }
    if let Some(body) = event.body {
        request = request.body(body);
    }
    if let Some(ms) = event.timeout_ms {
        request = request.timeout(Duration::from_millis(ms));
    }
    if let Some(n) = event.redirects {
        request = request.redirects(n);
    }
    let response = request
        .send()
        .map_err(|e| Diagnostic::new("HttpError", e.to_string()))?;
    Ok(Fetched {
        status: response.status,
        body: response.text(),
        bytes: response.body.len(),
        headers: response.headers.into_iter().collect(),
    })
}

fnhost_sdk::handler!(fetch);
