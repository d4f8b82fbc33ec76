//! fnhost's per-event WebAssembly runtime.
//!
//! A [`Runtime`] owns one long-lived wasmtime engine per configuration class (plain, and
//! fuel-metered), an on-disk cache of compiled artifacts keyed by content hash and engine
//! compatibility, and the linkers for the three kinds of function fnhost runs: `handler`
//! components (the `fnhost:function` world in `wit/`), WASI p2 command components and WASI p1
//! core modules (the "custom runtime" convention: event on stdin, response on stdout).
//!
//! [`Runtime::load`] turns a `.wasm` (or `.wat`) into a linked [`Function`] once;
//! [`Runtime::invoke`] runs each event in a fresh store with a memory cap over all memories and
//! tables, a wall-clock timeout (epochs plus an outer timer), an optional fuel budget, capped log
//! capture and no network, and returns an [`Invocation`]: one [`Outcome`] with Lambda's error types, a
//! [`Report`] (START/END/REPORT) and the log.
//!
//! ```no_run
//! # async fn demo() -> Result<(), fnhost_runtime::RuntimeError> {
//! use fnhost_runtime::{FunctionSpec, InvokeRequest, Runtime, RuntimeConfig, Trigger};
//! let runtime = Runtime::new(RuntimeConfig::new(".fnhost"));
//! let hello = runtime.load(FunctionSpec::new("hello"), "hello.wasm".as_ref())?;
//! let event = InvokeRequest::new(r#"{"name":"Ada"}"#, Trigger::Cli);
//! let done = runtime.invoke(&hello, event).await?;
//! println!("{}", String::from_utf8_lossy(&done.payload()));
//! eprint!("{}", done.log_text());
//! # Ok(()) }
//! ```

mod cache;
mod calls;
mod engine;
mod error;
mod function;
mod host;
mod incremental;
mod invoke;
mod limits;
mod logs;
mod objects;
mod outcome;
mod report;
mod runtime;
mod sandbox_fs;

pub use cache::{CacheStatus, Collected, DEFAULT_ARTIFACT_BUDGET, PendingArtifact};
pub use calls::{
    CallFailure, CallFuture, CallRequest, CallResponse, Caller, FunctionCalls, InvocationType,
    NoCalls,
};
pub use engine::{EPOCH_TICK, EngineClass, EngineSettings};
pub use error::{Result, RuntimeError};
pub use fnhost_core::outbound::{AllowedHosts, NetworkSettings};
pub use fnhost_core::{Lineage, Trigger};
pub use fnhost_outbound::{Outbound, OutboundError, OutboundStats, Outcome as OutboundOutcome};
pub use function::{
    ACCOUNT, DEFAULT_EPHEMERAL_MB, DEFAULT_MEMORY_MB, DEFAULT_TIMEOUT_S, Function, FunctionKind,
    FunctionSpec, Interface, LoadInfo, MAX_EPHEMERAL_MB, MIN_EPHEMERAL_MB, REGION,
};
pub use incremental::DEFAULT_INCREMENTAL_BUDGET;
pub use invoke::{Invocation, InvokeRequest, JsonEvent, MAX_EVENT_BYTES, new_request_id};
pub use limits::{MemoryLimitExceeded, WASM32_MAX_BYTES};
pub use logs::DEFAULT_LOG_CAP;
pub use objects::{
    CallLimits, CallSlots, MAX_PUT_BYTES, NoBuckets, ObjectAccess, ObjectFailure, ObjectMeta,
    WriteOrigin, check_put_size,
};
pub use outcome::{
    LAMBDA_ERROR_TYPES, MAX_ERROR_MESSAGE_BYTES, MAX_ERROR_TYPE_BYTES, MAX_RESPONSE_BYTES,
    MAX_STACK_TRACE_BYTES, Outcome,
};
pub use report::{Report, billed_ms};
pub use runtime::{Runtime, RuntimeConfig};
