//! How one invocation ended, with Lambda's error types and payloads.

use bytes::Bytes;
use serde_json::json;

/// Lambda's synchronous response limit as reported in its error (6 MiB + 100 bytes).
pub const MAX_RESPONSE_BYTES: usize = 6_291_556;

/// The end of one invocation. Every way a guest can fail is one variant with its own
/// Lambda error type, so triggers map them without parsing text.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum Outcome {
    /// The function returned a response payload (JSON text for handlers, raw stdout for commands).
    Ok(Bytes),
    /// The function reported its own error (`function-error`, or a command's error JSON).
    FunctionError {
        /// e.g. `ValidationError`, `Runtime.UnmarshalError`.
        error_type: String,
        /// Human-readable message.
        message: String,
        /// Frames as the guest reported them.
        stack_trace: Vec<String>,
    },
    /// The wall-clock timeout passed (`Sandbox.Timedout`).
    Timeout {
        /// The configured timeout in seconds.
        timeout_s: f64,
    },
    /// The guest tried to grow its memory past the cap (`Runtime.OutOfMemory`).
    OutOfMemory {
        /// The cap in MB.
        cap_mb: u64,
    },
    /// The fuel budget ran out (`Runtime.OutOfFuel`, fnhost's own type).
    OutOfFuel {
        /// The budget the invocation started with.
        budget: u64,
    },
    /// The guest trapped (`Runtime.ExitError`): unreachable, stack overflow, out-of-bounds...
    Trap {
        /// The trap's one-line description.
        message: String,
    },
    /// A command exited with a non-zero status and no error JSON (`Runtime.ExitError`).
    Exit {
        /// The exit status.
        code: i32,
    },
    /// The response was larger than 6 MB (`Function.ResponseSizeTooLarge`).
    ResponseTooLarge {
        /// Bytes the function tried to return (a lower bound when output was capped).
        size: usize,
    },
    /// The host could not run the function (`Sandbox.Failure`); details are in the host log.
    HostFailure {
        /// What went wrong, safe to show the caller.
        message: String,
    },
}

impl Outcome {
    /// Whether the function succeeded.
    pub fn is_ok(&self) -> bool {
        matches!(self, Outcome::Ok(_))
    }

    /// Lambda's `errorType`, or `None` for success.
    pub fn error_type(&self) -> Option<&str> {
        Some(match self {
            Outcome::Ok(_) => return None,
            Outcome::FunctionError { error_type, .. } => error_type,
            Outcome::Timeout { .. } => "Sandbox.Timedout",
            Outcome::OutOfMemory { .. } => "Runtime.OutOfMemory",
            Outcome::OutOfFuel { .. } => "Runtime.OutOfFuel",
            Outcome::Trap { .. } | Outcome::Exit { .. } => "Runtime.ExitError",
            Outcome::ResponseTooLarge { .. } => "Function.ResponseSizeTooLarge",
            Outcome::HostFailure { .. } => "Sandbox.Failure",
        })
    }

    /// Lambda's `errorMessage` for a failure, `None` for success.
    pub fn error_message(&self, request_id: &str) -> Option<String> {
        Some(match self {
            Outcome::Ok(_) => return None,
            Outcome::FunctionError { message, .. } => message.clone(),
            Outcome::Timeout { timeout_s } => {
                format!(
                    "RequestId: {request_id} Error: Task timed out after {timeout_s:.2} seconds"
                )
            }
            Outcome::OutOfMemory { cap_mb } => format!(
                "RequestId: {request_id} Error: Runtime exited with error: memory limit of {cap_mb} MB exceeded"
            ),
            Outcome::OutOfFuel { budget } => format!(
                "RequestId: {request_id} Error: Runtime exited with error: fuel budget of {budget} exhausted"
            ),
            Outcome::Trap { message } => {
                format!("RequestId: {request_id} Error: Runtime exited with error: {message}")
            }
            Outcome::Exit { code } => format!(
                "RequestId: {request_id} Error: Runtime exited with error: exit status {code}"
            ),
            Outcome::ResponseTooLarge { .. } => format!(
                "Response payload size exceeded maximum allowed payload size ({MAX_RESPONSE_BYTES} bytes)."
            ),
            Outcome::HostFailure { message } => {
                format!("RequestId: {request_id} Error: {message}")
            }
        })
    }

    /// What the caller receives: the function's payload, or Lambda's error object.
    pub fn payload(&self, request_id: &str) -> Bytes {
        match self {
            Outcome::Ok(body) => body.clone(),
            Outcome::FunctionError {
                error_type,
                message,
                stack_trace,
            } => Bytes::from(
                json!({
                    "errorMessage": message,
                    "errorType": error_type,
                    "requestId": request_id,
                    "stackTrace": stack_trace,
                })
                .to_string(),
            ),
            other => Bytes::from(
                json!({
                    "errorType": other.error_type(),
                    "errorMessage": other.error_message(request_id),
                })
                .to_string(),
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timeout_payload_matches_lambda() {
        let outcome = Outcome::Timeout { timeout_s: 3.0 };
        let payload: serde_json::Value = serde_json::from_slice(&outcome.payload("abc")).unwrap();
        assert_eq!(
            payload,
            json!({"errorType": "Sandbox.Timedout",
                   "errorMessage": "RequestId: abc Error: Task timed out after 3.00 seconds"})
        );
    }

    #[test]
    fn function_error_payload_has_the_four_python_keys() {
        let outcome = Outcome::FunctionError {
            error_type: "KeyError".into(),
            message: "'bucket'".into(),
            stack_trace: vec!["frame".into()],
        };
        let payload: serde_json::Value = serde_json::from_slice(&outcome.payload("r1")).unwrap();
        assert_eq!(payload["errorType"], "KeyError");
        assert_eq!(payload["errorMessage"], "'bucket'");
        assert_eq!(payload["requestId"], "r1");
        assert_eq!(payload["stackTrace"], json!(["frame"]));
    }

    #[test]
    fn response_too_large_uses_lambdas_text() {
        let outcome = Outcome::ResponseTooLarge { size: 7 << 20 };
        assert_eq!(
            outcome.error_message("x").unwrap(),
            "Response payload size exceeded maximum allowed payload size (6291556 bytes)."
        );
        assert_eq!(outcome.error_type(), Some("Function.ResponseSizeTooLarge"));
    }
}
