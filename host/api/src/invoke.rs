//! `Invoke`: RequestResponse runs the function and answers with its raw payload (200 even when
//! it failed, with `X-Amz-Function-Error`), Event queues it durably and answers 202, DryRun
//! only checks and answers 204. A qualifier may name an alias: the dispatcher picks the
//! version per invocation ([`fnhost_dispatch::Registry::resolve`]), the context's
//! `invoked_function_arn` is the alias ARN, and `X-Amz-Executed-Version` the version that ran.

use base64::Engine as _;
use bytes::Bytes;
use fnhost_core::{Batcher, Lineage, Trigger};
use fnhost_dispatch::DispatchError;
use fnhost_runtime::InvokeRequest;
use fnhost_store::{NewJob, Store, StoreError};
use http::header::HeaderValue;
use http::request::Parts;
use http::{Response, StatusCode};
use http_body_util::Full;

use crate::api::{Api, empty, now_ms};
use crate::error::ApiError;
use crate::name;

/// How long a re-driven dead letter may wait in the queue before it expires again: 6 h, Lambda's
/// default maximum event age.
pub const REDRIVE_MAX_AGE_MS: u64 = 6 * 3600 * 1000;

/// Largest `Event` payload: Lambda's current asynchronous limit, 1 MB (it was 256 KB before
/// 2025; see `reference/lambda.md` §6).
pub const MAX_ASYNC_PAYLOAD_BYTES: usize = 1_048_576;
/// Attempts of an `Event` invocation: the first plus Lambda's two retries.
pub const EVENT_ATTEMPTS: u32 = 3;
/// How long an `Event` invocation may wait to be delivered (Lambda's default maximum age).
pub const EVENT_MAX_AGE_MS: u64 = 6 * 60 * 60 * 1000;
/// `Retry-After` of an `Event` invocation refused because the queue is full.
const QUEUE_FULL_RETRY_AFTER: std::time::Duration = std::time::Duration::from_secs(1);
/// Bytes of log returned by `X-Amz-Log-Type: Tail`.
pub const LOG_TAIL_BYTES: usize = 4096;

/// `X-Amz-Invocation-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum InvocationType {
    RequestResponse,
    Event,
    DryRun,
}

fn header<'a>(parts: &'a Parts, name: &str) -> Option<&'a str> {
    parts.headers.get(name).and_then(|v| v.to_str().ok())
}

/// The last `max` bytes of `log`, starting on a character boundary.
pub fn log_tail(log: &str, max: usize) -> &str {
    let mut start = log.len().saturating_sub(max);
    while !log.is_char_boundary(start) {
        start += 1;
    }
    &log[start..]
}

pub(crate) fn check_json(payload: &[u8]) -> Result<(), ApiError> {
    serde_json::from_slice::<serde::de::IgnoredAny>(payload)
        .map(|_| ())
        .map_err(|e| {
            ApiError::InvalidContent(format!(
                "Could not parse request body into json: Could not parse payload into json: {e}"
            ))
        })
}

impl Api {
    pub(crate) async fn invoke(
        &self,
        function_name: &str,
        qualifier: Option<&str>,
        parts: &Parts,
        body: Bytes,
        request_id: &str,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        let function = name::parse(function_name, qualifier)?;
        let key = function.key();
        if self.dispatcher.registry().resolve(&key).is_none() {
            return Err(self.not_deployed_through(&function).await);
        }
        let kind = match header(parts, "x-amz-invocation-type").unwrap_or("RequestResponse") {
            "RequestResponse" => InvocationType::RequestResponse,
            "Event" => InvocationType::Event,
            "DryRun" => InvocationType::DryRun,
            other => {
                return Err(ApiError::InvalidParameter(format!(
                    "X-Amz-Invocation-Type `{other}` is not one of RequestResponse, Event, DryRun"
                )));
            }
        };
        let tail = match header(parts, "x-amz-log-type").unwrap_or("None") {
            "None" => false,
            "Tail" => true,
            other => {
                return Err(ApiError::InvalidParameter(format!(
                    "X-Amz-Log-Type `{other}` is not one of None, Tail"
                )));
            }
        };
        // No payload is an empty event object, as the SDKs send it when none is given.
        let payload = if body.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            body
        };
        match kind {
            InvocationType::DryRun => Ok(empty(StatusCode::NO_CONTENT)),
            InvocationType::Event => self.enqueue(key, payload, request_id).await,
            InvocationType::RequestResponse => {
                check_json(&payload)?;
                let mut request = InvokeRequest::new(payload, Trigger::Api);
                request.request_id = Some(request_id.to_owned());
                request.invoked_function_arn = Some(function.arn());
                let invocation =
                    self.dispatcher
                        .invoke(&key, request)
                        .await
                        .map_err(|err| match err {
                            // Named as asked (a `$LATEST` qualifier included).
                            DispatchError::UnknownFunction { .. } => function.not_found(),
                            other => ApiError::from(other),
                        })?;
                let mut response = Response::new(Full::new(invocation.payload()));
                let headers = response.headers_mut();
                headers.insert(
                    http::header::CONTENT_TYPE,
                    HeaderValue::from_static("application/json"),
                );
                if let Ok(v) = HeaderValue::from_str(&invocation.report.version) {
                    headers.insert("X-Amz-Executed-Version", v);
                }
                if let Ok(v) = HeaderValue::from_str(&invocation.request_id) {
                    headers.insert("x-amzn-RequestId", v);
                }
                if !invocation.outcome.is_ok() {
                    headers.insert(
                        "X-Amz-Function-Error",
                        HeaderValue::from_static("Unhandled"),
                    );
                }
                if tail {
                    let log = invocation.log_text();
                    let encoded = base64::engine::general_purpose::STANDARD
                        .encode(log_tail(&log, LOG_TAIL_BYTES));
                    if let Ok(v) = HeaderValue::from_str(&encoded) {
                        headers.insert("X-Amz-Log-Result", v);
                    }
                }
                Ok(response)
            }
        }
    }

    /// [`Api::not_deployed`] for `function`, or, when it names an alias, for the alias's
    /// version (a function still being created gets its state's error), named as asked.
    async fn not_deployed_through(&self, function: &name::FunctionRef) -> ApiError {
        let Some(route) = self.dispatcher.registry().alias(&function.key()) else {
            return self.not_deployed(function).await;
        };
        let target = name::FunctionRef {
            name: function.name.clone(),
            qualifier: Some(route.version.clone()),
        };
        match self.not_deployed(&target).await {
            ApiError::NotFound { .. } => function.not_found(),
            busy => busy,
        }
    }

    /// Queue an `Event` invocation durably; 202 once it is committed.
    async fn enqueue(
        &self,
        key: String,
        payload: Bytes,
        request_id: &str,
    ) -> Result<Response<Full<Bytes>>, ApiError> {
        self.events
            .push(key, payload, request_id, Lineage::root(request_id))
            .await?;
        Ok(empty(StatusCode::ACCEPTED))
    }
}

/// Most events one enqueueing transaction holds.
const ENQUEUE_BATCH: usize = 256;

/// The durable queue as `Event` invocations reach it: from the Lambda API and from functions
/// calling functions, under one set of checks. Events pushed at the same moment are committed
/// together, in one transaction ([`Batcher`]): on PostgreSQL a round trip per batch rather than
/// per event; each push still returns only once its event is committed.
#[derive(Debug, Clone)]
pub(crate) struct EventQueue {
    store: Store,
    wake: std::sync::Arc<tokio::sync::Notify>,
    limit: u64,
    /// Started at the first push (it needs the runtime).
    batcher: std::sync::Arc<std::sync::OnceLock<Batcher<NewJob, Result<(), StoreError>>>>,
}

impl EventQueue {
    /// The queue of `store`, holding at most `limit` events; `wake` is notified after a push.
    pub fn new(store: Store, wake: std::sync::Arc<tokio::sync::Notify>, limit: u64) -> Self {
        Self {
            store,
            wake,
            limit,
            batcher: Default::default(),
        }
    }

    /// Queue `payload` for the function at registry `key` as `request_id` in chain `lineage`,
    /// once it is under the async payload limit and JSON; returns once it is committed.
    pub async fn push(
        &self,
        key: String,
        payload: Bytes,
        request_id: &str,
        lineage: Lineage,
    ) -> Result<(), ApiError> {
        if payload.len() > MAX_ASYNC_PAYLOAD_BYTES {
            return Err(ApiError::TooLarge(format!(
                "{} byte payload is too large for the Event invocation type (limit {MAX_ASYNC_PAYLOAD_BYTES} bytes)",
                payload.len()
            )));
        }
        check_json(&payload)?;
        let now = now_ms();
        let job = NewJob {
            function: key,
            payload: payload.to_vec(),
            trigger: Trigger::ApiEvent,
            request_id: request_id.to_owned(),
            max_attempts: EVENT_ATTEMPTS,
            enqueued_at_ms: now,
            expires_at_ms: now + EVENT_MAX_AGE_MS,
            not_before_ms: now,
            lineage,
        };
        let batcher = self.batcher.get_or_init(|| {
            let (store, limit) = (self.store.clone(), self.limit);
            Batcher::start(ENQUEUE_BATCH, move |jobs| enqueue(&store, limit, jobs))
        });
        let Some(queued) = batcher.submit(job).await else {
            return Err(ApiError::internal(
                "queueing the event",
                "the host is shutting down",
            ));
        };
        queued.map_err(|e| match e {
            // Lambda's answer when it cannot take more asynchronous events.
            StoreError::QueueFull { depth, limit } => {
                tracing::warn!(depth, limit, "event queue full: Event invocation refused");
                ApiError::Throttled {
                    reason: "CallerRateLimitExceeded",
                    retry_after: QUEUE_FULL_RETRY_AFTER,
                }
            }
            other => ApiError::internal("queueing the event", other),
        })?;
        self.wake.notify_one();
        Ok(())
    }
}

/// Enqueues a batch of events under the queue cap `limit`, in one transaction; when the store
/// refuses the batch as a whole (the cap, an error), each event on its own, so that exactly the
/// events over the cap are refused and each keeps its own error.
fn enqueue(store: &Store, limit: u64, jobs: Vec<NewJob>) -> Vec<Result<(), StoreError>> {
    if jobs.len() > 1 && store.enqueue_within(&jobs, limit).is_ok() {
        return jobs.iter().map(|_| Ok(())).collect();
    }
    jobs.iter()
        .map(|job| {
            store
                .enqueue_within(std::slice::from_ref(job), limit)
                .map(drop)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn job(n: u32) -> NewJob {
        NewJob {
            function: "f".to_owned(),
            payload: b"{}".to_vec(),
            trigger: Trigger::ApiEvent,
            request_id: format!("r{n}"),
            max_attempts: EVENT_ATTEMPTS,
            enqueued_at_ms: 1,
            expires_at_ms: 1 + EVENT_MAX_AGE_MS,
            not_before_ms: 1,
            lineage: Lineage::root(&format!("r{n}")),
        }
    }

    /// A batch that fits is one transaction; one that would pass the cap is refused as a whole
    /// by the store, and then exactly the events over the cap are refused.
    #[test]
    fn a_batch_over_the_cap_refuses_only_the_events_over_it() {
        let dir = tempfile::tempdir().unwrap();
        let store = Store::open(&dir.path().join("fnhost.db")).unwrap();
        let results = enqueue(&store, 5, (0..2).map(job).collect());
        assert!(results.iter().all(Result::is_ok), "{results:?}");
        let results = enqueue(&store, 5, (2..7).map(job).collect());
        let refused: Vec<bool> = results
            .iter()
            .map(|r| matches!(r, Err(StoreError::QueueFull { limit: 5, .. })))
            .collect();
        assert_eq!(refused, [false, false, false, true, true], "{results:?}");
        assert_eq!(store.queue_depth().unwrap(), 5);
        let queued: Vec<String> = store
            .claim(10, 10)
            .unwrap()
            .into_iter()
            .map(|j| j.request_id)
            .collect();
        assert_eq!(queued, ["r0", "r1", "r2", "r3", "r4"]);
    }

    #[test]
    fn the_tail_is_the_last_4_kb_on_a_character_boundary() {
        assert_eq!(log_tail("abc", 4096), "abc");
        let long = format!("{}END", "x".repeat(5000));
        assert_eq!(log_tail(&long, 4096).len(), 4096);
        assert!(log_tail(&long, 4096).ends_with("END"));
        // 'é' is two bytes: a cut in its middle moves forward.
        assert_eq!(log_tail("aé", 1), "");
        assert_eq!(log_tail("aé", 2), "é");
    }
}
