//! Functions calling functions: the host side of the guest's `functions.invoke`, with Lambda's
//! `Invoke` semantics and the same rules as the API's `Invoke`.
//!
//! One [`CallRouter`] serves every function of a host. Each function gets its own
//! [`GrantedCalls`] (its `FunctionSpec::calls`) holding the names it may call: the manifest's
//! `invoke = [...]`, or an upload's `fnhost:invoke` tag. A call is checked in this order:
//! the name (a name, `name:qualifier` or an ARN, as the API parses it), the grant
//! (`AccessDeniedException`, naming the line to add), the callee's existence
//! (`ResourceNotFoundException`). Then:
//!
//! * `RequestResponse` runs through the [`Dispatcher`] like any invocation (admission: a full
//!   gate waits at most the queue timeout, then `TooManyRequestsException`, so a caller never
//!   holds its own slot waiting for ever). The callee's lineage is the caller's next hop (or
//!   hop 1 of a chain named after the caller's request id); at `[events] loop_hops` the call is
//!   refused with `RecursiveInvocationException`. The callee's deadline is capped at the
//!   caller's: a callee never outlives the invocation waiting for it.
//! * `Event` goes to the durable queue exactly as the API's `Event` does, with the caller's next
//!   hop as its lineage (the delivery worker applies the loop guard and dead-letters it).
//! * `DryRun` stops after the checks: 204.
//!
//! The router is made before the functions are loaded (their specs hold it) and the dispatcher
//! after them (its registry holds the functions), so [`CallRouter::connect`] hands it the
//! dispatcher later, through a `Weak` that keeps the two from owning each other.

use std::collections::BTreeSet;
use std::fmt;
use std::sync::{Arc, OnceLock, Weak};

use base64::Engine as _;
use bytes::Bytes;
use fnhost_core::Trigger;
use fnhost_dispatch::{DispatchError, Dispatcher};
use fnhost_runtime::{
    CallFailure, CallFuture, CallRequest, CallResponse, Caller, FunctionCalls, InvocationType,
    InvokeRequest, RuntimeError,
};
use fnhost_store::Store;
use tokio::sync::Notify;

use crate::error::ApiError;
use crate::invoke::{EventQueue, LOG_TAIL_BYTES, check_json, log_tail};
use crate::name::{self, FunctionRef};

/// The tag of an uploaded function listing the functions it may invoke (space-separated names).
pub const INVOKE_TAG: &str = "fnhost:invoke";

/// What the router needs once the host runs.
struct Connected {
    dispatcher: Weak<Dispatcher>,
    queue: EventQueue,
}

/// Routes the calls of every function of one host; see the module docs.
pub struct CallRouter {
    loop_hops: u32,
    connected: OnceLock<Connected>,
}

impl fmt::Debug for CallRouter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("CallRouter")
            .field("loop_hops", &self.loop_hops)
            .field("connected", &self.connected.get().is_some())
            .finish()
    }
}

impl CallRouter {
    /// A router refusing synchronous calls whose chain reaches `loop_hops` hops. Until
    /// [`CallRouter::connect`], every granted call fails with `ServiceException`.
    pub fn new(loop_hops: u32) -> Arc<Self> {
        Arc::new(Self {
            loop_hops,
            connected: OnceLock::new(),
        })
    }

    /// Route calls to `dispatcher` (held weakly) and `Event` calls to `store`'s queue (at most
    /// `event_queue_limit` events; `wake` wakes the delivery worker). Only the first call
    /// counts; returns whether this one did.
    pub fn connect(
        &self,
        dispatcher: &Arc<Dispatcher>,
        store: Store,
        wake: Arc<Notify>,
        event_queue_limit: u64,
    ) -> bool {
        self.connected
            .set(Connected {
                dispatcher: Arc::downgrade(dispatcher),
                queue: EventQueue::new(store, wake, event_queue_limit),
            })
            .is_ok()
    }

    /// The calls of manifest function `function`, which may invoke the functions in `invoke`.
    pub fn manifest_calls(
        self: &Arc<Self>,
        function: &str,
        invoke: impl IntoIterator<Item = String>,
    ) -> Arc<dyn FunctionCalls> {
        self.calls(function, invoke, GrantSource::Manifest)
    }

    /// The calls of uploaded function `function`, which may invoke the functions in `invoke`
    /// (its `fnhost:invoke` tag).
    pub fn uploaded_calls(
        self: &Arc<Self>,
        function: &str,
        invoke: impl IntoIterator<Item = String>,
    ) -> Arc<dyn FunctionCalls> {
        self.calls(function, invoke, GrantSource::Tags)
    }

    fn calls(
        self: &Arc<Self>,
        function: &str,
        invoke: impl IntoIterator<Item = String>,
        source: GrantSource,
    ) -> Arc<dyn FunctionCalls> {
        Arc::new(GrantedCalls(Arc::new(Granted {
            router: Arc::clone(self),
            function: function.to_owned(),
            grants: invoke.into_iter().collect(),
            source,
        })))
    }
}

/// Where a function's grants are written, which decides how a denial says to fix it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum GrantSource {
    /// `invoke = [...]` in `[function.NAME]` of fnhost.toml.
    Manifest,
    /// The `fnhost:invoke` tag of an uploaded function.
    Tags,
}

/// The calls one function may make: the names it was granted.
#[derive(Clone)]
pub struct GrantedCalls(Arc<Granted>);

struct Granted {
    router: Arc<CallRouter>,
    function: String,
    grants: BTreeSet<String>,
    source: GrantSource,
}

impl fmt::Debug for GrantedCalls {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("GrantedCalls")
            .field("function", &self.0.function)
            .field("grants", &self.0.grants)
            .field("source", &self.0.source)
            .finish()
    }
}

impl Granted {
    /// Lambda's denial, with the line that grants the call.
    fn denied(&self, callee: &FunctionRef) -> CallFailure {
        let caller = &self.function;
        let mut names: Vec<&str> = self.grants.iter().map(String::as_str).collect();
        names.push(&callee.name);
        let fix = match self.source {
            GrantSource::Manifest => {
                let list = names
                    .iter()
                    .map(|n| format!("\"{n}\""))
                    .collect::<Vec<_>>()
                    .join(", ");
                format!("add `invoke = [{list}]` to [function.{caller}] in fnhost.toml")
            }
            GrantSource::Tags => format!(
                "tag function `{caller}` with `{INVOKE_TAG}={}` (TagResource, or Tags in CreateFunction)",
                names.join(" ")
            ),
        };
        CallFailure::AccessDenied(format!(
            "function `{caller}` is not authorized to perform: lambda:InvokeFunction on resource: {}; {fix}",
            name::arn(&callee.name)
        ))
    }

    async fn call(
        &self,
        caller: Caller,
        request: CallRequest,
    ) -> Result<CallResponse, CallFailure> {
        let callee =
            name::parse(&request.function_name, request.qualifier.as_deref()).map_err(failure)?;
        if !self.grants.contains(&callee.name) {
            return Err(self.denied(&callee));
        }
        let connected = self.router.connected.get().ok_or_else(|| {
            CallFailure::Service(
                "functions can call functions only under `fnhost up` (not `fnhost invoke`)".into(),
            )
        })?;
        let dispatcher = connected
            .dispatcher
            .upgrade()
            .ok_or_else(|| CallFailure::Service("the host is shutting down".into()))?;
        let key = callee.key();
        if dispatcher.registry().resolve(&key).is_none() {
            return Err(failure(callee.not_found()));
        }
        // No payload is an empty event object, as the SDKs send it when none is given.
        let payload = if request.payload.is_empty() {
            Bytes::from_static(b"{}")
        } else {
            request.payload
        };
        match request.invocation_type {
            InvocationType::DryRun => Ok(status_only(204)),
            InvocationType::Event => {
                let request_id = fnhost_runtime::new_request_id();
                connected
                    .queue
                    .push(key, payload, &request_id, caller.next_lineage())
                    .await
                    .map_err(failure)?;
                Ok(status_only(202))
            }
            InvocationType::RequestResponse => {
                let lineage = caller.next_lineage();
                if lineage.hop >= self.router.loop_hops {
                    tracing::warn!(
                        caller = %self.function,
                        callee = %callee.name,
                        chain = %lineage.chain_id,
                        hop = lineage.hop,
                        "recursive invocation refused"
                    );
                    return Err(CallFailure::RecursiveInvocation(format!(
                        "the call from `{}` to `{}` would be hop {} of chain {}, and chains stop at {} hops ([events] loop_hops); Lambda stops recursive loops the same way",
                        self.function,
                        callee.name,
                        lineage.hop,
                        lineage.chain_id,
                        self.router.loop_hops
                    )));
                }
                check_json(&payload).map_err(failure)?;
                let mut invoke = InvokeRequest::new(payload, Trigger::Invoke);
                invoke.invoked_function_arn = Some(callee.arn());
                invoke.lineage = Some(lineage);
                invoke.deadline_cap = Some(caller.deadline);
                let invocation = dispatcher
                    .invoke(&key, invoke)
                    .await
                    .map_err(|err| match err {
                        // Named as asked (a qualifier included).
                        DispatchError::UnknownFunction { .. } => failure(callee.not_found()),
                        DispatchError::Throttled {
                            function, reason, ..
                        } => CallFailure::TooManyRequests(format!(
                            "Rate Exceeded. (Reason: {}; function `{function}`: {reason})",
                            reason.as_str()
                        )),
                        DispatchError::Runtime(RuntimeError::EventTooLarge { limit }) => {
                            CallFailure::RequestTooLarge(format!(
                                "Request must be smaller than {limit} bytes for the InvokeFunction operation"
                            ))
                        }
                        other => failure(ApiError::from(other)),
                    })?;
                let log_result = request.log_tail.then(|| {
                    base64::engine::general_purpose::STANDARD
                        .encode(log_tail(&invocation.log_text(), LOG_TAIL_BYTES))
                });
                Ok(CallResponse {
                    status_code: 200,
                    function_error: (!invocation.outcome.is_ok()).then(|| "Unhandled".to_owned()),
                    executed_version: Some(invocation.report.version.clone()),
                    payload: invocation.payload().to_vec(),
                    log_result,
                })
            }
        }
    }
}

impl FunctionCalls for GrantedCalls {
    fn invoke(&self, caller: Caller, request: CallRequest) -> CallFuture {
        let granted = Arc::clone(&self.0);
        Box::pin(async move { granted.call(caller, request).await })
    }
}

/// An answer without a payload (202, 204).
fn status_only(status_code: u16) -> CallResponse {
    CallResponse {
        status_code,
        function_error: None,
        executed_version: None,
        payload: Vec::new(),
        log_result: None,
    }
}

/// The API's error as the guest's `invoke-error`; internal details stay in the host's log.
fn failure(err: ApiError) -> CallFailure {
    let message = err.to_string();
    match err.code() {
        "ResourceNotFoundException" => CallFailure::ResourceNotFound(message),
        "TooManyRequestsException" => CallFailure::TooManyRequests(message),
        "RequestEntityTooLargeException" => CallFailure::RequestTooLarge(message),
        "InvalidParameterValueException"
        | "ValidationException"
        | "InvalidRequestContentException" => CallFailure::InvalidParameter(message),
        _ => {
            tracing::error!(error = %message, "a function's call failed on the host");
            CallFailure::Service("the call failed on the host; see the host's log".into())
        }
    }
}
