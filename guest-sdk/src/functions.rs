//! Invoke other functions through the host, as Lambda's `Invoke` does.
//!
//! The caller needs a grant for each callee: `invoke = ["name"]` in its `[function.NAME]` table
//! of `fnhost.toml` (or the `fnhost:invoke` tag of an uploaded function); otherwise the call
//! fails with [`InvokeError::AccessDenied`] naming the line to add. The host adds what the
//! function does not pass: its place in the call chain (a chain that reaches the host's loop
//! guard is refused with [`InvokeError::RecursiveInvocation`]) and its deadline (a
//! `RequestResponse` callee stops when the caller's time runs out). These calls go to the host,
//! so they only work inside a running invocation (in native unit tests they panic).
//!
//! ```no_run
//! use fnhost_sdk::functions::{self, InvocationType};
//!
//! # fn main() -> Result<(), functions::InvokeError> {
//! // Run `resize` and wait for its answer.
//! let done = functions::invoke("resize", br#"{"width":64}"#, InvocationType::RequestResponse)?;
//! if let Some(error) = &done.function_error {
//!     println!("resize failed ({error}): {}", String::from_utf8_lossy(&done.payload));
//! } else {
//!     let answer: serde_json::Value = done.json().expect("resize answers JSON");
//!     println!("resize answered {answer}");
//! }
//! // Queue an event for `audit` and go on (202).
//! functions::invoke("audit", br#"{"action":"resize"}"#, InvocationType::Event)?;
//! # Ok(())
//! # }
//! ```

use std::fmt;

use crate::bindings::fnhost::function::functions as wit;

/// Lambda's `InvocationType`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum InvocationType {
    /// Run now and wait for the result (200).
    RequestResponse,
    /// Queue durably and return at once (202); the host delivers it with retries.
    Event,
    /// Only check the grant and that the function exists (204).
    DryRun,
}

impl From<InvocationType> for wit::InvocationType {
    fn from(t: InvocationType) -> Self {
        match t {
            InvocationType::RequestResponse => wit::InvocationType::RequestResponse,
            InvocationType::Event => wit::InvocationType::Event,
            InvocationType::DryRun => wit::InvocationType::DryRun,
        }
    }
}

/// Invoke `function` (a name, `name:qualifier` or an ARN) with the JSON event `payload` (empty
/// means `{}`).
pub fn invoke(
    function: &str,
    payload: &[u8],
    invocation_type: InvocationType,
) -> Result<InvokeResponse, InvokeError> {
    Invoke::new(function, payload, invocation_type).send()
}

/// An `Invoke` with all of Lambda's options; [`invoke`] covers the usual case.
#[derive(Debug, Clone)]
pub struct Invoke<'a> {
    function: &'a str,
    qualifier: Option<&'a str>,
    payload: &'a [u8],
    invocation_type: InvocationType,
    log_tail: bool,
}

impl<'a> Invoke<'a> {
    /// A call of `function` with `payload`.
    pub fn new(function: &'a str, payload: &'a [u8], invocation_type: InvocationType) -> Self {
        Self {
            function,
            qualifier: None,
            payload,
            invocation_type,
            log_tail: false,
        }
    }

    /// Run this version (`$LATEST` or a number) instead of the latest.
    pub fn qualifier(mut self, qualifier: &'a str) -> Self {
        self.qualifier = Some(qualifier);
        self
    }

    /// Ask for the last 4 KB of the callee's log (Lambda's `LogType=Tail`), in
    /// [`InvokeResponse::log_result`].
    pub fn log_tail(mut self, tail: bool) -> Self {
        self.log_tail = tail;
        self
    }

    /// Make the call.
    pub fn send(self) -> Result<InvokeResponse, InvokeError> {
        wit::invoke(
            self.function,
            self.qualifier,
            self.invocation_type.into(),
            self.payload,
            self.log_tail,
        )
        .map(Into::into)
        .map_err(Into::into)
    }
}

/// What `Invoke` answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvokeResponse {
    /// 200 (RequestResponse), 202 (Event) or 204 (DryRun).
    pub status_code: u16,
    /// `Unhandled` when the callee failed; [`InvokeResponse::payload`] is then Lambda's error
    /// object (`errorType`, `errorMessage`, …).
    pub function_error: Option<String>,
    /// The version that ran.
    pub executed_version: Option<String>,
    /// The callee's response (empty for Event and DryRun).
    pub payload: Vec<u8>,
    /// The last 4 KB of the callee's log, base64, when asked for.
    pub log_result: Option<String>,
}

impl InvokeResponse {
    /// The payload decoded from JSON.
    pub fn json<T: serde::de::DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        serde_json::from_slice(&self.payload)
    }
}

impl From<wit::InvokeResponse> for InvokeResponse {
    fn from(r: wit::InvokeResponse) -> Self {
        InvokeResponse {
            status_code: r.status_code,
            function_error: r.function_error,
            executed_version: r.executed_version,
            payload: r.payload,
            log_result: r.log_result,
        }
    }
}

/// Why a call was refused (the callee did not run); each variant carries the host's message.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum InvokeError {
    /// No such function or version.
    ResourceNotFound(String),
    /// The caller has no grant for the callee; the text names the line to add.
    AccessDenied(String),
    /// The callee is at its concurrency limit, or the event queue is full; retry later.
    TooManyRequests(String),
    /// The payload is over Lambda's limit (6 MB sync, 1 MB Event).
    RequestTooLarge(String),
    /// The payload is not JSON, or a name or parameter is invalid.
    InvalidParameter(String),
    /// The call chain reached the host's loop guard (`[events] loop_hops`).
    RecursiveInvocation(String),
    /// Anything else on the host.
    Service(String),
}

impl InvokeError {
    /// Lambda's error code, as boto3's `e.response["Error"]["Code"]` would report it.
    pub fn code(&self) -> &'static str {
        match self {
            InvokeError::ResourceNotFound(_) => "ResourceNotFoundException",
            InvokeError::AccessDenied(_) => "AccessDeniedException",
            InvokeError::TooManyRequests(_) => "TooManyRequestsException",
            InvokeError::RequestTooLarge(_) => "RequestEntityTooLargeException",
            InvokeError::InvalidParameter(_) => "InvalidParameterValueException",
            InvokeError::RecursiveInvocation(_) => "RecursiveInvocationException",
            InvokeError::Service(_) => "ServiceException",
        }
    }

    /// The host's message.
    pub fn message(&self) -> &str {
        match self {
            InvokeError::ResourceNotFound(m)
            | InvokeError::AccessDenied(m)
            | InvokeError::TooManyRequests(m)
            | InvokeError::RequestTooLarge(m)
            | InvokeError::InvalidParameter(m)
            | InvokeError::RecursiveInvocation(m)
            | InvokeError::Service(m) => m,
        }
    }
}

impl fmt::Display for InvokeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code(), self.message())
    }
}

impl std::error::Error for InvokeError {}

impl From<wit::InvokeError> for InvokeError {
    fn from(e: wit::InvokeError) -> Self {
        match e {
            wit::InvokeError::ResourceNotFound(m) => InvokeError::ResourceNotFound(m),
            wit::InvokeError::AccessDenied(m) => InvokeError::AccessDenied(m),
            wit::InvokeError::TooManyRequests(m) => InvokeError::TooManyRequests(m),
            wit::InvokeError::RequestTooLarge(m) => InvokeError::RequestTooLarge(m),
            wit::InvokeError::InvalidParameter(m) => InvokeError::InvalidParameter(m),
            wit::InvokeError::RecursiveInvocation(m) => InvokeError::RecursiveInvocation(m),
            wit::InvokeError::Service(m) => InvokeError::Service(m),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Diagnostic;

    #[test]
    fn errors_carry_lambdas_codes() {
        let e = InvokeError::from(wit::InvokeError::RecursiveInvocation("hop 16".into()));
        assert_eq!(e.code(), "RecursiveInvocationException");
        assert_eq!(e.to_string(), "RecursiveInvocationException: hop 16");
        let d = Diagnostic::from(InvokeError::from(wit::InvokeError::AccessDenied(
            "add `invoke = [\"b\"]` to [function.a]".into(),
        )));
        assert_eq!(d.error_type, "fnhost_sdk::functions::InvokeError");
        assert_eq!(
            d.error_message,
            "AccessDeniedException: add `invoke = [\"b\"]` to [function.a]"
        );
    }

    #[test]
    fn responses_decode_their_json_payload() {
        let r = InvokeResponse::from(wit::InvokeResponse {
            status_code: 200,
            function_error: None,
            executed_version: Some("$LATEST".into()),
            payload: br#"{"n":3}"#.to_vec(),
            log_result: None,
        });
        let v: serde_json::Value = r.json().unwrap();
        assert_eq!(v["n"], 3);
        assert_eq!(
            wit::InvocationType::from(InvocationType::DryRun),
            wit::InvocationType::DryRun
        );
    }
}
