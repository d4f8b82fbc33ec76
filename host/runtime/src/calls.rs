//! The host side of the guest `functions` interface (Lambda's `Invoke` from inside a function),
//! behind one small trait.
//!
//! The runtime only routes calls: which functions exist, who may call whom, and how a call is
//! admitted and run is the [`FunctionCalls`] implementation's business (the dispatcher's).
//! Without one every call is denied with a message naming the grant to add.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::time::Instant;

use bytes::Bytes;
use fnhost_core::Lineage;

/// Lambda's `InvocationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Run now and wait for the result.
    RequestResponse,
    /// Queue durably and return at once (202).
    Event,
    /// Check the grant and that the function exists; run nothing (204).
    DryRun,
}

/// One call as the guest asked for it.
#[derive(Debug, Clone)]
pub struct CallRequest {
    /// A name, `name:qualifier`, or a full or partial ARN.
    pub function_name: String,
    /// `$LATEST`, a version number or an alias, when given separately.
    pub qualifier: Option<String>,
    /// How to run it.
    pub invocation_type: InvocationType,
    /// The event, JSON text (not yet checked).
    pub payload: Bytes,
    /// Whether to return the last 4 KB of the callee's log.
    pub log_tail: bool,
}

/// The invocation making the call: who it is, its chain and its deadline, supplied by the host
/// (never by the guest).
#[derive(Debug, Clone)]
pub struct Caller {
    /// The calling function's name.
    pub function: String,
    /// The calling invocation's request id.
    pub request_id: String,
    /// The calling invocation's chain, when another event started it.
    pub lineage: Option<Lineage>,
    /// The calling invocation's deadline: a synchronous callee stops there at the latest.
    pub deadline: Instant,
}

impl Caller {
    /// Where an event this caller causes sits: the next hop of the caller's chain, or hop 1 of
    /// a new chain named after the caller's request id (the loop guard counts along it).
    pub fn next_lineage(&self) -> Lineage {
        match &self.lineage {
            Some(lineage) => lineage.next(),
            None => Lineage::root(&self.request_id).next(),
        }
    }
}

/// What `Invoke` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallResponse {
    /// 200, 202 or 204.
    pub status_code: u16,
    /// `Unhandled` or `Handled` when the callee failed.
    pub function_error: Option<String>,
    /// The version that ran.
    pub executed_version: Option<String>,
    /// The callee's response or Lambda's error object.
    pub payload: Vec<u8>,
    /// The last 4 KB of the callee's log, base64, when asked for.
    pub log_result: Option<String>,
}

/// Why a call was refused, with Lambda's message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallFailure {
    /// No such function or qualifier.
    #[error("ResourceNotFoundException: {0}")]
    ResourceNotFound(String),
    /// The caller has no grant for the callee.
    #[error("AccessDeniedException: {0}")]
    AccessDenied(String),
    /// The callee is at its concurrency limit.
    #[error("TooManyRequestsException: {0}")]
    TooManyRequests(String),
    /// The payload is over Lambda's limit.
    #[error("RequestTooLargeException: {0}")]
    RequestTooLarge(String),
    /// The payload or a parameter is invalid.
    #[error("InvalidParameterValueException: {0}")]
    InvalidParameter(String),
    /// The chain reached the loop guard.
    #[error("RecursiveInvocationException: {0}")]
    RecursiveInvocation(String),
    /// Anything else on the host.
    #[error("ServiceException: {0}")]
    Service(String),
}

/// A boxed call in flight.
pub type CallFuture = Pin<Box<dyn Future<Output = Result<CallResponse, CallFailure>> + Send>>;

/// Function calls as one function may make them (grants already applied).
pub trait FunctionCalls: Send + Sync + fmt::Debug {
    /// Run `request` on behalf of `caller`.
    fn invoke(&self, caller: Caller, request: CallRequest) -> CallFuture;
}

/// The calls of a function with no `invoke` grant: every call is denied with a hint.
#[derive(Debug, Clone)]
pub struct NoCalls {
    function: String,
}

impl NoCalls {
    /// Denies every call made by `function`.
    pub fn new(function: impl Into<String>) -> Self {
        Self {
            function: function.into(),
        }
    }
}

impl FunctionCalls for NoCalls {
    fn invoke(&self, _: Caller, request: CallRequest) -> CallFuture {
        let message = format!(
            "function `{}` may not invoke `{}`; grant it with `invoke = [\"{}\"]` in [function.{}]",
            self.function, request.function_name, request.function_name, self.function
        );
        Box::pin(async move { Err(CallFailure::AccessDenied(message)) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn caller(lineage: Option<Lineage>) -> Caller {
        Caller {
            function: "a".into(),
            request_id: "req-1".into(),
            lineage,
            deadline: Instant::now(),
        }
    }

    #[test]
    fn a_call_is_the_next_hop_of_the_callers_chain() {
        let root = caller(None).next_lineage();
        assert_eq!((root.chain_id.as_str(), root.hop), ("req-1", 1));
        let chained = caller(Some(Lineage {
            chain_id: "c".into(),
            hop: 4,
        }))
        .next_lineage();
        assert_eq!((chained.chain_id.as_str(), chained.hop), ("c", 5));
    }

    #[tokio::test]
    async fn without_grants_a_call_is_denied_naming_the_line_to_add() {
        let request = CallRequest {
            function_name: "b".into(),
            qualifier: None,
            invocation_type: InvocationType::RequestResponse,
            payload: Bytes::from_static(b"{}"),
            log_tail: false,
        };
        let err = NoCalls::new("a")
            .invoke(caller(None), request)
            .await
            .unwrap_err();
        assert_eq!(
            err,
            CallFailure::AccessDenied(
                "function `a` may not invoke `b`; grant it with `invoke = [\"b\"]` in [function.a]"
                    .into()
            )
        );
    }
}
