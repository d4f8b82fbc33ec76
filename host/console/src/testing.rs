//! The Test tab: saved test events per function (Lambda console's "saved test events"), the
//! templates to start one from (made by the code the triggers use), and a test run that shows
//! what the tutorial's Test tab shows: response, status, REPORT figures, fuel and the whole log.

use bytes::Bytes;
use fnhost_events::{
    HttpRequest, PayloadVersion, S3Change, S3Object, http_event, s3_event, scheduled_event,
};
use http::{Method, Request};
use http_body_util::{BodyExt as _, Full};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::console::{Console, Reply, blocking, json_ok, no_content};
use crate::error::ConsoleError;

/// Longest test event name (the Lambda console's limit).
pub const MAX_EVENT_NAME: usize = 25;

/// The templates the Test tab starts a new event from.
pub(crate) fn templates() -> Value {
    let now = chrono::Utc::now();
    let mut request = HttpRequest::new("GET", "/hello");
    request.query = "name=Ada".into();
    request
        .headers
        .push(("Host".into(), "localhost:8080".into()));
    let s3 = s3_event(
        S3Change::Put,
        &S3Object {
            bucket: "uploads".into(),
            key: "사진/red flower.jpg".into(),
            size: 1024,
            etag: "0123456789abcdef0123456789abcdef".into(),
            sequencer: format!("{:018X}", now.timestamp_nanos_opt().unwrap_or_default()),
            time: now,
        },
    );
    json!({ "templates": [
        { "id": "http", "name": "API Gateway HTTP API (payload 2.0)", "event": http_event(&request, PayloadVersion::V2) },
        { "id": "s3-put", "name": "S3 Put", "event": s3 },
        { "id": "schedule", "name": "EventBridge schedule", "event": scheduled_event("every-5-minutes", now) },
        { "id": "blank", "name": "Blank", "event": {} },
    ]})
}

fn check_name(name: &str) -> Result<(), ConsoleError> {
    let ok = !name.is_empty()
        && name.len() <= MAX_EVENT_NAME
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-'));
    if ok {
        Ok(())
    } else {
        Err(ConsoleError::BadRequest(format!(
            "a test event's name is 1 to {MAX_EVENT_NAME} of letters, digits, `_`, `.` and `-` (got `{name}`)"
        )))
    }
}

#[derive(Deserialize)]
struct SavedInput {
    event: String,
}

impl Console {
    /// `GET functions/{name}/test-events`.
    pub(crate) async fn test_events(&self, function: &str) -> Reply {
        let (store, owned) = (self.store.clone(), function.to_owned());
        let events = blocking(move || Ok(store.test_events(&owned)?)).await?;
        let events: Vec<Value> = events
            .into_iter()
            .map(|e| json!({ "name": e.name, "event": e.event, "modifiedMs": e.modified_ms }))
            .collect();
        json_ok(&json!({ "events": events }))
    }

    /// `PUT functions/{name}/test-events/{event}` with `{"event": "<JSON text>"}`.
    pub(crate) async fn save_test_event(&self, function: &str, name: &str, body: &[u8]) -> Reply {
        check_name(name)?;
        self.known_function(function)?;
        let input: SavedInput = serde_json::from_slice(body).map_err(|e| {
            ConsoleError::BadRequest(format!("the body is not {{\"event\": \"...\"}}: {e}"))
        })?;
        serde_json::from_str::<Value>(&input.event)
            .map_err(|e| ConsoleError::BadRequest(format!("the test event is not JSON: {e}")))?;
        let (store, f, n, event) = (
            self.store.clone(),
            function.to_owned(),
            name.to_owned(),
            input.event.clone(),
        );
        let now = fnhost_core::unix_ms();
        blocking(move || {
            store
                .put_test_event(&f, &n, &event, now)
                .map_err(|e| match e {
                    fnhost_store::StoreError::TooManyTestEvents { .. }
                    | fnhost_store::StoreError::TestEventTooLarge { .. } => {
                        ConsoleError::BadRequest(e.to_string())
                    }
                    other => other.into(),
                })
        })
        .await?;
        json_ok(&json!({ "name": name, "event": input.event, "modifiedMs": now }))
    }

    /// `DELETE functions/{name}/test-events/{event}`.
    pub(crate) async fn delete_test_event(&self, function: &str, name: &str) -> Reply {
        let (store, f, n) = (self.store.clone(), function.to_owned(), name.to_owned());
        let deleted = blocking(move || Ok(store.delete_test_event(&f, &n)?)).await?;
        if deleted {
            Ok(no_content())
        } else {
            Err(ConsoleError::NotFound(format!(
                "function `{function}` has no test event `{name}`"
            )))
        }
    }

    /// `POST functions/{name}/test`: invoke with `event` as the Lambda API does
    /// (RequestResponse, log tail), then read the invocation's record for its whole log.
    pub(crate) async fn run_test(&self, function: &str, host: &str, event: Bytes) -> Reply {
        self.known_function(function)?;
        // A registry key (`name` or `name:version`) needs no escaping in a path.
        let path = format!("/2015-03-31/functions/{function}/invocations");
        let request = Request::builder()
            .method(Method::POST)
            .uri(path)
            .header(http::header::HOST, host)
            .header(http::header::CONTENT_TYPE, "application/json")
            .header("X-Amz-Log-Type", "Tail")
            .body(Full::new(event))
            .map_err(|e| ConsoleError::internal("making the test invocation", e))?;
        let response = self.api.handle_for_session(request).await;
        let status = response.status();
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        let function_error = header("X-Amz-Function-Error");
        let request_id = header("x-amzn-RequestId").unwrap_or_default();
        let tail = header("X-Amz-Log-Result");
        let payload = response
            .into_body()
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        let payload = String::from_utf8_lossy(&payload).into_owned();
        // The invocation's record, once the recorder has written it (an API error, e.g. a
        // refused payload, has none).
        let (recorder, store, id) = (
            self.recorder.clone(),
            self.store.clone(),
            request_id.clone(),
        );
        let record = if tail.is_some() {
            blocking(move || {
                recorder.flush();
                Ok(store.invocation(&id)?)
            })
            .await?
        } else {
            None
        };
        let log = match (&record, &tail) {
            (Some(r), _) => r.log.clone(),
            (None, Some(tail)) => decode_tail(tail),
            _ => String::new(),
        };
        let report = record.as_ref().map(|r| {
            json!({
                "durationMs": r.duration_ms,
                "billedMs": r.billed_ms,
                "memoryMb": r.memory_mb,
                "maxMemoryUsedMb": r.max_memory_used_mb,
                "initMs": init_ms(&r.log),
                "fuel": r.fuel,
            })
        });
        json_ok(&json!({
            "requestId": request_id,
            "statusCode": status.as_u16(),
            "functionError": function_error,
            "payload": payload,
            "log": log,
            "report": report,
        }))
    }

    /// Refuse names the host has no function by.
    pub(crate) fn known_function(&self, name: &str) -> Result<(), ConsoleError> {
        let plain = name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'_' | b'-' | b':'));
        if !plain || name.is_empty() {
            return Err(ConsoleError::NotFound(format!(
                "function `{name}` does not exist"
            )));
        }
        let registry = self.api.dispatcher().registry();
        if registry.get(name).is_some() {
            return Ok(());
        }
        let store = self.store.clone();
        // Uploads that are Pending or Failed are not deployed but exist.
        match store.function(name, fnhost_store::LATEST) {
            Ok(Some(_)) => Ok(()),
            Ok(None) => Err(ConsoleError::NotFound(format!(
                "function `{name}` does not exist"
            ))),
            Err(e) => Err(e.into()),
        }
    }
}

/// The log tail header's text.
fn decode_tail(tail: &str) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD
        .decode(tail)
        .map(|b| String::from_utf8_lossy(&b).into_owned())
        .unwrap_or_default()
}

/// `Init Duration: 12.34 ms` of the REPORT line, when it was a cold start.
fn init_ms(log: &str) -> Option<f64> {
    let report = log.lines().rev().find(|l| l.starts_with("REPORT "))?;
    let rest = report.split("Init Duration: ").nth(1)?;
    rest.split_whitespace().next()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_templates() {
        for good in ["a", "s3-put.v2", "Event_1"] {
            assert!(check_name(good).is_ok(), "{good}");
        }
        for bad in ["", "a b", "x/y", &"n".repeat(26), "<script>"] {
            assert!(check_name(bad).is_err(), "{bad}");
        }
        let all = templates();
        let ids: Vec<&str> = all["templates"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t["id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, ["http", "s3-put", "schedule", "blank"]);
        let s3 = &all["templates"][1]["event"]["Records"][0]["s3"];
        assert_eq!(s3["bucket"]["name"], "uploads");
        assert_eq!(s3["object"]["key"], "%EC%82%AC%EC%A7%84/red+flower.jpg");
    }

    #[test]
    fn the_init_duration_comes_from_the_report() {
        let log = "START RequestId: x\nREPORT RequestId: x\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 2 MB\tInit Duration: 3.25 ms\t\n";
        assert_eq!(init_ms(log), Some(3.25));
        assert_eq!(init_ms("REPORT RequestId: x\tDuration: 1.00 ms\n"), None);
    }
}
