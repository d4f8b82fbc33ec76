//! fnhost's Lambda-compatible REST API, the admin listener of `fnhost up`.
//!
//! [`Api`] answers the Lambda REST API (`rest-json`, paths under `/2015-03-31/functions`) as
//! boto3 and the aws CLI speak it: Invoke (RequestResponse, Event, DryRun; log tails) and the
//! control plane for uploaded functions (create, get, list, update code and configuration,
//! delete, versions, aliases, reserved concurrency). Uploads are unpacked defensively
//! ([`package`]), compiled and linked before anything is written, kept by content hash
//! ([`code`]) and recorded in the store, and restored into the registry at startup
//! ([`Api::restore`]). Errors leave in
//! Lambda's wire format from one place ([`ApiError::into_response`]). Before authentication,
//! requests from browsers are refused by their headers ([`reach`]: foreign `Host` or `Origin`,
//! simple-request content types). With credentials configured, every request must carry a
//! valid SigV4 signature ([`sigv4`]) covering the headers that change its meaning; everything
//! that can be refused from the headers is, before the body is read, and bodies are read under
//! a byte budget shared by all requests and a timeout (the edge's
//! [`fnhost_edge::BodyReader::up_front`]).
//!
//! Two [`fnhost_dispatch::LogSink`]s feed on every invocation of every trigger: [`Metrics`]
//! (rendered at `GET /metrics` in Prometheus text format) and [`RecordSink`] (invocation
//! records and logs in the store, for `fnhost logs` and `fnhost usage`). [`Api`] is a
//! [`fnhost_edge::Handler`]: the edge's accept loop serves it and drains it on shutdown.

mod aliases;
mod api;
pub mod calls;
pub mod code;
mod concurrency;
pub mod config;
pub mod error;
mod follow;
mod functions;
pub mod grants;
mod intake;
mod invoke;
mod layers;
pub mod metrics;
pub mod name;
pub mod opt;
pub mod package;
mod paging;
mod provision;
pub mod reach;
pub mod record;
mod server;
mod shared;
pub mod sigv4;
mod tags;
mod urls;
pub mod usage;

pub use api::{
    Api, ApiConfig, DEFAULT_CODE_STORAGE_LIMIT, DEFAULT_EVENT_QUEUE_LIMIT, DEFAULT_MAX_CONNECTIONS,
    MAX_CODE_REQUEST_BYTES, default_packaging_slots,
};
pub use error::ApiError;
pub use functions::spec_of;
pub use intake::DEFAULT_BODY_BUDGET;
pub use invoke::{
    EVENT_ATTEMPTS, EVENT_MAX_AGE_MS, LOG_TAIL_BYTES, MAX_ASYNC_PAYLOAD_BYTES, REDRIVE_MAX_AGE_MS,
    log_tail,
};
pub use metrics::{FunctionSample, Metrics, StoreGauges};
pub use paging::MAX_PAGE;
pub use record::RecordSink;
pub use sigv4::{Credentials, Verifier};
